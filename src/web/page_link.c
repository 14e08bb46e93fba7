/*
 * page_link: reconnect links for a client's HubSpot admin.  An owner or
 * admin creates one for a portal (POST /portals/{id}/links; shown once,
 * optionally mailed) or revokes it (POST /links/{id}/revoke).  The client
 * opens it (GET /reconnect?t=...: what will happen; nothing is used up,
 * as mail scanners open links too) and starts the flow with a POST from
 * that page (at most LINK_STARTS_PER_HOUR an hour); the callback
 * (page_oauth.c) finishes it without a JetStack session.  A link is void
 * once expired, revoked, used, its creator may no longer manage portals,
 * or its portal was removed.
 */
#include "auth.h"
#include "conf.h"
#include "db_activity.h"
#include "db_link.h"
#include "db_portal.h"
#include "log.h"
#include "oauth.h"
#include "pages.h"
#include "role.h"
#include "sess.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Why a link cannot be used, or NULL when it can. */
const char *page_link_void(const struct link_row *l)
{
	if (l->used)
		return "This reconnect link was already used: the portal was reconnected with it.";
	if (l->revoked)
		return "This reconnect link was revoked by the agency.";
	if (l->expired)
		return "This reconnect link has expired.";
	if (l->portal_removed)
		return "The portal this link was for is no longer managed by the agency.";
	if (!role_can_manage(l->creator_role))
		return "The person who sent this link can no longer manage portals, so the link "
		       "no longer works.";
	return NULL;
}

/* The mail that carries a link (to an address, not a user: the creator's
 * outbox and settings page show what happened to it).  1 queued, 0 not
 * (page_mail_notice), -1. */
static int mail_link(struct ctx *c, const struct portal_ref *p, const char *to, const char *url)
{
	const struct conf *conf = &c->app->conf;
	char text[2000];

	snprintf(text, sizeof(text),
		 "%s (%s) asks you to reconnect the HubSpot portal %s (Hub ID %lld) to JetStack "
		 "AI, their agency's tool.\n\nOpen this link, check what it says, then sign in to "
		 "HubSpot as a Super Admin or Admin of that portal and approve:\n\n%s\n\nThe link "
		 "works for %ld days and only for this portal. Nothing happens until you approve "
		 "in HubSpot.\n",
		 c->sess->org_name, c->sess->email, p->name, p->hub_id, url, conf->link_ttl / 86400);
	return page_mail_notice(c, c->sess->org_id, c->sess->user_id, to,
				"Please reconnect your HubSpot portal", text, 1);
}

int page_link_create_post(struct ctx *c)
{
	const struct conf *conf = &c->app->conf;
	const char *to = req_form(c->req, "email"); /* valid_email, optional */
	struct portal_ref p;
	char token[44], hash[65], url[600], entry[900];
	long long id;
	cJSON *v;
	int rc, mailed = 0;

	rc = db_portal_find(c->db, c->sess->org_id, c->req->path_id, 0, &p);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return page_error(c, 404, "Portal not found",
				  "There is no such portal in your organisation. Nothing was created.");
	if (to != NULL && to[0] == '\0')
		to = NULL;
	if (sess_state_new(token) < 0 || sess_state_hash(token, hash) < 0)
		return -1;
	snprintf(url, sizeof(url), "%s/reconnect?t=%s", conf->base_url, token);
	if (db_begin(c->db) < 0)
		return -1;
	if (db_link_create(c->db, c->sess->org_id, p.id, c->sess->user_id, hash, conf->link_ttl,
			   to, &id) < 0)
		goto fail;
	if (to != NULL && conf->smtp_url[0]) {
		rc = mail_link(c, &p, to, url);
		if (rc < 0)
			goto fail;
		mailed = rc == 1;
	}
	snprintf(entry, sizeof(entry), "Reconnect link %lld created by %s%s%s (valid %ld days).", id,
		 c->sess->email, mailed ? ", mailed to " : "", mailed ? to : "",
		 conf->link_ttl / 86400);
	if (db_activity_add(c->db, c->sess->org_id, p.id, c->sess->user_id, "link_created", entry,
			    NULL) < 0 ||
	    db_commit(c->db) < 0)
		goto fail;
	log_event(LOG_INFO, c->req->id, "reconnect_link_created", NULL);
	v = cJSON_CreateObject();
	cJSON_AddStringToObject(v, "url", url);
	cJSON_AddStringToObject(v, "portal_name", p.name);
	snprintf(entry, sizeof(entry), "%lld", p.id);
	cJSON_AddStringToObject(v, "portal_id", entry);
	cJSON_AddNumberToObject(v, "days", (double)(conf->link_ttl / 86400));
	if (mailed)
		cJSON_AddStringToObject(v, "mailed_to", to);
	else if (to != NULL)
		cJSON_AddStringToObject(v, "not_mailed_to", to);
	memset(token, 0, sizeof(token));
	return page_render(c, 200, "link_created", "Reconnect link", v);
fail:
	memset(token, 0, sizeof(token));
	db_rollback(c->db);
	return -1;
}

int page_link_revoke_post(struct ctx *c)
{
	struct link_row l;
	char loc[64], entry[400];
	int rc = db_link_get(c->db, c->sess->org_id, c->req->path_id, &l);

	if (rc < 0)
		return -1;
	if (rc == 0)
		return page_error(c, 404, "Link not found",
				  "There is no such reconnect link in your organisation.");
	if (db_begin(c->db) < 0 || db_link_revoke(c->db, c->sess->org_id, l.id) < 0)
		goto fail;
	snprintf(entry, sizeof(entry), "Reconnect link %lld revoked by %s.", l.id, c->sess->email);
	if (db_activity_add(c->db, c->sess->org_id, l.portal_id, c->sess->user_id, "link_revoked",
			    entry, NULL) < 0 ||
	    db_commit(c->db) < 0)
		goto fail;
	page_flash(c, "The reconnect link was revoked: it no longer works.");
	snprintf(loc, sizeof(loc), "/portals/%lld", l.portal_id);
	return http_redirect(c->resp, 303, loc);
fail:
	db_rollback(c->db);
	return -1;
}

/* The link a request names (?t= or the form's t), or a page saying why
 * not (*answered).  1 usable. */
static int usable(struct ctx *c, const char *token, struct link_row *l, int *answered)
{
	char hash[65];
	const char *why;
	int rc;

	*answered = 1;
	if (token == NULL || sess_state_hash(token, hash) < 0)
		return page_error(c, 404, "Link not found",
				  "This reconnect link is not one JetStack AI made. Ask the agency "
				  "for a new one.");
	rc = db_link_by_hash(c->db, hash, l);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return page_error(c, 404, "Link not found",
				  "This reconnect link is not one JetStack AI made. Ask the agency "
				  "for a new one.");
	why = page_link_void(l);
	if (why != NULL) {
		char msg[400];

		snprintf(msg, sizeof(msg), "%s Ask the agency for a new one. Nothing was changed.",
			 why);
		return page_error(c, 410, "This link no longer works", msg);
	}
	*answered = 0;
	return 1;
}

int page_link_get(struct ctx *c)
{
	const char *token = req_query(c->req, "t"); /* sess_random_valid */
	struct link_row l;
	char csrf[44], b[24];
	cJSON *v;
	int answered, rc = usable(c, token, &l, &answered);

	if (rc < 0 || answered)
		return rc < 0 ? -1 : 0;
	if (auth_pre_csrf(c, csrf) < 0)
		return -1;
	v = cJSON_CreateObject();
	cJSON_AddStringToObject(v, "agency", l.org_name);
	cJSON_AddStringToObject(v, "portal_name", l.portal_name);
	snprintf(b, sizeof(b), "%lld", l.hub_id);
	cJSON_AddStringToObject(v, "hub_id", b);
	cJSON_AddStringToObject(v, "creator", l.creator_email);
	/* no session: in the organisation's zone (db_link_by_hash) */
	page_when(v, "expires_when", l.expires, (long long)time(NULL));
	cJSON_AddStringToObject(v, "token", token);
	cJSON_AddStringToObject(v, "link_csrf", csrf);
	return page_render(c, 200, "link", "Reconnect a HubSpot portal", v);
}

int page_link_post(struct ctx *c)
{
	const struct conf *conf = &c->app->conf;
	const char *token = req_form(c->req, "t"); /* sess_random_valid */
	struct link_row l;
	struct buf url;
	int answered, rc = usable(c, token, &l, &answered), type;

	if (rc < 0 || answered)
		return rc < 0 ? -1 : 0;
	if (l.starts_last_hour >= LINK_STARTS_PER_HOUR) {
		http_add_header(c->resp, "Retry-After", "3600");
		return page_error(c, 429, "Too many attempts",
				  "This link was started too many times in the last hour. Wait an "
				  "hour, then try again. Nothing was changed.");
	}
	type = conf_conn_parse(l.conn_type);
	if (type < 0)
		return -1;
	buf_init(&url, 8192);
	if (db_link_start(c->db, l.id) < 0 ||
	    oauth_start_link(c->db, conf, l.id, l.created_by, l.org_id, l.portal_id,
			     (enum conn_type)type, &url) < 0) {
		buf_free(&url);
		return -1;
	}
	log_event(LOG_INFO, c->req->id, "reconnect_link_started", NULL);
	rc = http_redirect(c->resp, 303, buf_str(&url));
	buf_free(&url);
	return rc;
}
