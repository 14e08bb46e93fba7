/*
 * page_oauth: /oauth/callback, the return leg of connect and reconnect.
 * The flow's steps live in oauth.c; this page runs them in order and
 * answers each refusal with its page from oauth.c's table: what happened,
 * that nothing was changed, and the help pages.  Any grant a refused
 * attempt obtained is revoked at HubSpot, here and only here.
 */
#include "log.h"
#include "oauth.h"
#include "pages.h"

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

int page_oauth_callback(struct ctx *c)
{
	const struct conf *conf = &c->app->conf;
	const struct session *s = c->sess;
	struct oauth_flow f;
	enum oauth_refusal r;
	char msg[600];
	int result;

	memset(&f, 0, sizeof(f));
	r = oauth_take_state(c->db, req_query(c->req, "state"), s->sid_hash, s->user_id, s->org_id,
			     &f);
	if (r == OAUTH_OK)
		r = oauth_authorize_answer(req_query(c->req, "error"), req_query(c->req, "code"),
					   &f);
	if (r == OAUTH_OK)
		r = oauth_obtain_grant(c->http, conf, req_query(c->req, "code"), &f);
	if (r == OAUTH_OK)
		r = oauth_check_grant(c->db, c->http, conf, s->user_id, s->org_id, &f);
	if (r == OAUTH_OK)
		r = oauth_store_grant(c->db, conf, s->user_id, s->email, s->org_id, &f);
	if (r != OAUTH_OK) {
		oauth_revoke_grant(c->db, c->http, conf, &f, c->req->id);
		result = refuse(c, r, &f);
		goto out;
	}
	log_event(LOG_INFO, c->req->id, f.was_new ? "portal_connected" : "portal_reconnected",
		  NULL);
	snprintf(msg, sizeof(msg), "%s %s (Hub ID %lld). It is Connected.", f.portal_name,
		 f.was_new ? "was connected" : "was reconnected", f.tok.hub_id);
	page_flash(c, msg);
	result = http_redirect(c->resp, 303, "/portals");
out:
	oauth_flow_free(&f);
	return result;
}
