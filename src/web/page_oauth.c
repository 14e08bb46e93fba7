/*
 * page_oauth: /oauth/callback, the return leg of connect and reconnect.
 * The flow's steps live in oauth.c; this page runs them in order and
 * answers each refusal with its page from oauth.c's table: what happened,
 * that nothing was changed, and the help pages.  Any grant a refused
 * attempt obtained is revoked at HubSpot, here and only here.
 */
#include "auth.h"
#include "db_link.h"
#include "db_state.h"
#include "log.h"
#include "oauth.h"
#include "pages.h"
#include "sess.h"

#include <stdio.h>
#include <string.h>

/* The refusal page of r: error.html with the help links. */
static int refuse(struct ctx *c, enum oauth_refusal r, const struct oauth_flow *f)
{
	const struct oauth_refusal_info *ri = oauth_refusal_info(r);
	char msg[900];
	cJSON *v;

	if (r == OAUTH_ERROR)
		return -1; /* the gate's 500, with the cause logged */
	v = cJSON_CreateObject();
	if (v == NULL)
		return -1;
	oauth_refusal_message(r, f, msg, sizeof(msg));
	cJSON_AddStringToObject(v, "message", msg);
	cJSON_AddBoolToObject(v, "help", 1);
	cJSON_AddBoolToObject(v, "oauth_refusal", 1);
	log_event(LOG_INFO, c->req->id, "oauth_refused", "reason", ri->title, NULL);
	return page_render(c, ri->status, "error", ri->title, v);
}

/* The flow a reconnect link started: the link must still be usable (its
 * creator may still manage portals, the portal is there).  OAUTH_OK, a
 * page answered (*answered), or OAUTH_ERROR. */
static enum oauth_refusal link_still_usable(struct ctx *c, const struct oauth_flow *f,
					    struct link_row *l, int *answered)
{
	const char *why;
	int rc = db_link_get(c->db, 0, f->st.link_id, l);

	*answered = 0;
	if (rc < 0)
		return OAUTH_ERROR;
	why = rc == 0 ? "The reconnect link is gone." : page_link_void(l);
	if (why != NULL) {
		char msg[400];

		snprintf(msg, sizeof(msg), "%s Ask the agency for a new one. Nothing was changed.",
			 why);
		*answered = 1;
		return page_error(c, 410, "This link no longer works", msg) < 0 ? OAUTH_ERROR
										: OAUTH_OK;
	}
	return OAUTH_OK;
}

int page_oauth_callback(struct ctx *c)
{
	const struct conf *conf = &c->app->conf;
	const char *state = req_query(c->req, "state");
	struct session slot;
	const struct session *s = NULL;
	struct oauth_flow f;
	struct link_row l;
	enum oauth_refusal r;
	long long link = 0, user, org;
	char msg[600], hash[65], email[400];
	int result, answered = 0;

	/* a flow a reconnect link started needs no session; any other does */
	if (state != NULL && sess_state_hash(state, hash) == 0 && db_state_link(c->db, hash, &link) < 0)
		return -1;
	if (link == 0) {
		int rc = auth_load(c, &slot);

		if (rc < 0)
			return -1;
		if (rc == 0)
			return http_redirect(c->resp, 303, "/login");
		c->sess = &slot;
		s = c->sess;
	}
	memset(&f, 0, sizeof(f));
	r = oauth_take_state(c->db, state, s ? s->sid_hash : NULL, s ? s->user_id : 0,
			     s ? s->org_id : 0, &f);
	if (r == OAUTH_OK && f.st.link_id) {
		r = link_still_usable(c, &f, &l, &answered);
		if (answered) {
			result = r == OAUTH_OK ? 0 : -1;
			goto out;
		}
	}
	/* a link's flow runs as the link's creator, in their organisation */
	user = f.st.link_id ? f.st.user_id : (s ? s->user_id : 0);
	org = f.st.link_id ? f.st.org_id : (s ? s->org_id : 0);
	if (f.st.link_id)
		snprintf(email, sizeof(email), "the reconnect link of %s", l.creator_email);
	else
		snprintf(email, sizeof(email), "%s", s ? s->email : "");
	if (r == OAUTH_OK)
		r = oauth_authorize_answer(req_query(c->req, "error"), req_query(c->req, "code"),
					   &f);
	if (r == OAUTH_OK)
		r = oauth_obtain_grant(c->http, conf, req_query(c->req, "code"), &f);
	if (r == OAUTH_OK)
		r = oauth_check_grant(c->db, c->http, conf, user, org, &f);
	if (r == OAUTH_OK)
		r = oauth_store_grant(c->db, conf, user, email, org, &f);
	if (r != OAUTH_OK) {
		oauth_revoke_grant(c->db, c->http, conf, &f, c->req->id);
		result = refuse(c, r, &f);
		goto out;
	}
	log_event(LOG_INFO, c->req->id, f.was_new ? "portal_connected" : "portal_reconnected",
		  NULL);
	if (f.st.link_id) {
		cJSON *v = cJSON_CreateObject();

		/* only a successful reconnect uses the link up */
		if (db_link_use(c->db, f.st.link_id) < 0) {
			cJSON_Delete(v);
			result = -1;
			goto out;
		}
		cJSON_AddStringToObject(v, "portal_name", f.portal_name);
		snprintf(msg, sizeof(msg), "%lld", f.tok.hub_id);
		cJSON_AddStringToObject(v, "hub_id", msg);
		cJSON_AddStringToObject(v, "agency", l.org_name);
		result = page_render(c, 200, "link_done", "Reconnected", v);
		goto out;
	}
	snprintf(msg, sizeof(msg), "%s %s (Hub ID %lld). It is Connected.", f.portal_name,
		 f.was_new ? "was connected" : "was reconnected", f.tok.hub_id);
	page_flash(c, msg);
	result = http_redirect(c->resp, 303, "/portals");
out:
	oauth_flow_free(&f);
	return result;
}
