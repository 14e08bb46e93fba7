/*
 * oauth: the connect and reconnect flow.  See oauth.h.
 */
#include "oauth.h"
#include "db_activity.h"
#include "db_job.h"
#include "db_portal.h"
#include "db_user.h"
#include "html.h"
#include "log.h"
#include "role.h"
#include "sess.h"
#include "tok.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct oauth_refusal_info refusals[OAUTH__MAX] = {
    [OAUTH_OK] = {200, "", ""},
    [OAUTH_NO_STATE] = {400, "Authorization link not valid",
			"This page was opened without an authorization state, so nothing was "
			"changed. Start again from Client Accounts."},
    [OAUTH_STATE_UNKNOWN] = {400, "Authorization link not valid",
			     "This authorization link is not one JetStack AI issued, so nothing "
			     "was changed. Start again from Client Accounts."},
    [OAUTH_STATE_USED] = {400, "Authorization link already used",
			  "This authorization link was already used. Each link works once, so "
			  "nothing was changed. Start again from Client Accounts."},
    [OAUTH_STATE_EXPIRED] = {400, "Authorization link expired",
			     "This authorization link expired (links last {ttl}), so nothing "
			     "was changed. Start again from Client Accounts."},
    [OAUTH_STATE_ELSEWHERE] = {403, "Authorization started elsewhere",
			       "This authorization was started from another sign-in session, so "
			       "nothing was changed. Start again from Client Accounts in this "
			       "browser."},
    [OAUTH_PORTAL_GONE] = {404, "Portal not found",
			   "The portal you were reconnecting is no longer in your organisation, "
			   "so nothing was changed."},
    [OAUTH_CANCELLED] = {200, "Connection cancelled",
			 "You cancelled the authorization at HubSpot, so nothing was changed. To "
			 "connect, click Reconnect again and choose Connect app on HubSpot's "
			 "screen."},
    [OAUTH_DENIED] = {400, "HubSpot did not authorize",
		      "HubSpot did not authorize the connection ({error}), so nothing was "
		      "changed. Try again; if it persists, see the troubleshooting page."},
    [OAUTH_NO_CODE] = {400, "Authorization incomplete",
		       "HubSpot sent no authorization code, so nothing was changed. Try again."},
    [OAUTH_UNAVAILABLE] = {503, "HubSpot is unavailable",
			   "HubSpot did not answer properly ({unavailable}), so nothing was "
			   "changed. This is usually temporary: wait a few minutes and try "
			   "again."},
    [OAUTH_CODE_REFUSED] = {400, "Authorization refused by HubSpot",
			    "HubSpot refused the authorization code ({error}), so nothing was "
			    "changed. Start again from Client Accounts."},
    [OAUTH_WRONG_PORTAL] = {400, "Wrong portal selected",
			    "You selected portal {selected} (Hub ID {selected_hub}) on HubSpot's "
			    "screen, but this row is portal {row} (Hub ID {row_hub}). Nothing was "
			    "changed. Click Reconnect again and select {row} (Hub ID {row_hub})."},
    [OAUTH_TYPE_CONFLICT] = {409, "Portal already connected",
			     "{name} (Hub ID {hub}) is already connected in your organisation as "
			     "{existing_type}, which needs more HubSpot permissions than {type} "
			     "asked for, so nothing was changed. Use Reconnect on its row in "
			     "Client Accounts; its connection type is kept."},
    [OAUTH_SCOPES_MISSING] = {403, "Missing HubSpot permissions",
			      "HubSpot did not grant the permission \"{scope}\", which the {type} "
			      "connection type needs, so nothing was changed. Reconnect and accept "
			      "every requested permission; check that the portal's subscription "
			      "includes the feature."},
    [OAUTH_NOT_HUBSPOT_ADMIN] = {403, "Insufficient HubSpot permissions",
				 "Your HubSpot user ({hs_user}) is not a Super Admin and has no "
				 "Admin role on this portal, so nothing was changed. Ask a HubSpot "
				 "admin of the portal to reconnect it, or to give you an Admin "
				 "role."},
    [OAUTH_NOT_MANAGER] = {403, "Permission needed",
			   "Managing portals needs the Owner or Admin role in this organisation, "
			   "and you no longer have it, so nothing was changed."},
    [OAUTH_REMOVED_MEANWHILE] = {404, "Portal not found",
				 "The portal was removed while you were at HubSpot, so nothing was "
				 "changed."},
    [OAUTH_RACE_LOST] = {409, "Portal just connected by someone else",
			 "{name} (Hub ID {hub}) was connected by someone else in your "
			 "organisation a moment ago, while you were at HubSpot. Their connection "
			 "stands and yours was withdrawn at HubSpot, so nothing was changed. It is "
			 "in Client Accounts now."},
    [OAUTH_ERROR] = {500, "Something went wrong",
		     "The server could not complete this request. Nothing was changed."},
};

const struct oauth_refusal_info *oauth_refusal_info(enum oauth_refusal r)
{
	return &refusals[(unsigned)r < OAUTH__MAX ? r : OAUTH_ERROR];
}

void oauth_flow_free(struct oauth_flow *f)
{
	hs_tokens_free(&f->tok);
	hs_introspection_free(&f->info);
}

static int start(struct db *db, const struct conf *conf, const char *sid_hash, long long user,
		 long long org, long long portal, enum conn_type type, long long link,
		 struct buf *url)
{
	char state[44], hash[65];

	if (sess_state_new(state) < 0 || sess_state_hash(state, hash) < 0)
		return -1;
	if (db_state_create(db, hash, sid_hash, user, org, portal, conf_conn_key(type),
			    OAUTH_STATE_TTL, link) < 0)
		return -1;
	buf_puts(url, conf->hs_authorize_url);
	buf_puts(url, strchr(conf->hs_authorize_url, '?') ? "&client_id=" : "?client_id=");
	html_url_encode(url, conf->hs_client_id);
	buf_puts(url, "&redirect_uri=");
	html_url_encode(url, conf->redirect_uri);
	buf_puts(url, "&scope=");
	html_url_encode(url, conf->scopes[type]);
	if (conf->optional_scopes[type][0]) {
		buf_puts(url, "&optional_scope=");
		html_url_encode(url, conf->optional_scopes[type]);
	}
	buf_puts(url, "&state=");
	buf_puts(url, state);
	return url->overflow || url->oom ? -1 : 0;
}

int oauth_start(struct db *db, const struct conf *conf, const char *sid_hash, long long user,
		long long org, long long portal, enum conn_type type, struct buf *url)
{
	return start(db, conf, sid_hash, user, org, portal, type, 0, url);
}

int oauth_start_link(struct db *db, const struct conf *conf, long long link, long long creator,
		     long long org, long long portal, enum conn_type type, struct buf *url)
{
	return start(db, conf, "", creator, org, portal, type, link, url);
}

enum oauth_refusal oauth_take_state(struct db *db, const char *state, const char *sid_hash,
				    long long user, long long org, struct oauth_flow *f)
{
	struct oauth_state *st = &f->st;
	char hash[65];
	int rc, type;

	if (state == NULL)
		return OAUTH_NO_STATE;
	if (sess_state_hash(state, hash) < 0)
		return OAUTH_ERROR;
	rc = db_state_consume(db, hash, st);
	if (rc < 0)
		return OAUTH_ERROR;
	if (rc == 0)
		return OAUTH_STATE_UNKNOWN;
	if (rc == 2)
		return OAUTH_STATE_USED;
	if (st->expired)
		return OAUTH_STATE_EXPIRED;
	/* a flow a reconnect link started has no session: the caller checks
	 * the link instead, and the flow runs as its creator */
	if (st->link_id == 0 && (sid_hash == NULL || strcmp(st->session_hash, sid_hash) != 0 ||
				 st->user_id != user || st->org_id != org))
		return OAUTH_STATE_ELSEWHERE;
	org = st->org_id;
	type = conf_conn_parse(st->conn_type);
	if (type < 0)
		return OAUTH_ERROR;
	f->type = (enum conn_type)type;
	/* the portal being reconnected, still in this organisation */
	if (st->portal_id) {
		struct portal_ref target;

		rc = db_portal_find(db, org, st->portal_id, 0, &target);
		if (rc < 0)
			return OAUTH_ERROR;
		if (rc == 0)
			return OAUTH_PORTAL_GONE;
		f->target_hub = target.hub_id;
		snprintf(f->target_name, sizeof(f->target_name), "%s", target.name);
	}
	return OAUTH_OK;
}

enum oauth_refusal oauth_authorize_answer(const char *error, const char *code,
					  struct oauth_flow *f)
{
	if (error != NULL) {
		snprintf(f->hs_error, sizeof(f->hs_error), "%s", error);
		return strcmp(error, "access_denied") == 0 ? OAUTH_CANCELLED : OAUTH_DENIED;
	}
	return code == NULL ? OAUTH_NO_CODE : OAUTH_OK;
}

/* Describe in f->err an answer of HubSpot's that we cannot use. */
static enum oauth_refusal unusable(struct oauth_flow *f, const char *why)
{
	memset(&f->err, 0, sizeof(f->err));
	f->err.kind = HS_ERR_MALFORMED;
	snprintf(f->err.message, sizeof(f->err.message), "%s", why);
	return OAUTH_UNAVAILABLE;
}

/*
 * Join scopes with spaces into out (cap bytes).  0, or -1 (out empty) when
 * they do not fit or a name holds a space: a list is never cut mid-name.
 */
static int join_scopes(char **scopes, size_t n, char *out, size_t cap)
{
	size_t pos = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(scopes[i]), sep = pos ? 1 : 0;

		if (strchr(scopes[i], ' ') != NULL || sep + l >= cap - pos) {
			out[0] = '\0';
			return -1;
		}
		if (sep)
			out[pos++] = ' ';
		memcpy(out + pos, scopes[i], l + 1);
		pos += l;
	}
	return 0;
}

enum oauth_refusal oauth_obtain_grant(struct httpc *http, const struct conf *conf, const char *code,
				      struct oauth_flow *f)
{
	struct hs_config cfg;
	enum hs_err e;
	int rc;

	hs_config_from_conf(conf, &cfg);
	e = hs_exchange_code(http, &cfg, code, conf->redirect_uri, &f->tok, &f->err);
	if (e == HS_ERR_TRANSIENT || e == HS_ERR_MALFORMED)
		return OAUTH_UNAVAILABLE;
	if (e != HS_OK) {
		snprintf(f->hs_error, sizeof(f->hs_error), "%s",
			 f->err.status[0] ? f->err.status : hs_strerror(e));
		return OAUTH_CODE_REFUSED;
	}
	if (f->tok.refresh_token == NULL)
		return unusable(f, "no refresh token in the token answer");
	e = hs_introspect(http, &cfg, f->tok.access_token, "access_token", &f->info, &f->err);
	if (e == HS_OK && (!f->info.active || f->info.hub_id != f->tok.hub_id))
		/* the token just issued is inactive, or of another hub */
		e = f->err.kind = HS_ERR_MALFORMED;
	if (e != HS_OK)
		return OAUTH_UNAVAILABLE;
	f->hs_user_id = f->tok.user_id ? f->tok.user_id : f->info.user_id;
	if (f->tok.nscopes)
		rc = join_scopes(f->tok.scopes, f->tok.nscopes, f->scopes, sizeof(f->scopes));
	else
		rc = join_scopes(f->info.scopes, f->info.nscopes, f->scopes, sizeof(f->scopes));
	if (rc < 0)
		return unusable(f, "granted scopes too long or not space-free");
	return OAUTH_OK;
}

/*
 * The admin check: the HubSpot user is a Super Admin or holds a role named
 * in the configured list on this portal.  1 admin, 0 not, -2 HubSpot
 * unavailable or its answers unusable (f->err says why).
 */
static int hubspot_admin(struct httpc *http, const struct conf *conf, struct oauth_flow *f)
{
	struct hs_config cfg;
	char uid[24];
	int admin;

	if (f->hs_user_id <= 0) {
		/* neither answer named the user: nobody to confirm as an admin */
		unusable(f, "no user id in the token answers");
		return -2;
	}
	hs_config_from_conf(conf, &cfg);
	snprintf(uid, sizeof(uid), "%lld", f->hs_user_id);
	switch (hs_check_admin(http, &cfg, f->tok.access_token, uid, conf->admin_roles, &admin,
			       &f->err)) {
	case HS_OK:
		return admin;
	case HS_ERR_PERMISSION:
	case HS_ERR_AUTH:
		return 0;
	default:
		return -2;
	}
}

enum oauth_refusal oauth_check_grant(struct db *db, struct httpc *http, const struct conf *conf,
				     long long user, long long org, struct oauth_flow *f)
{
	const char *missing;
	size_t mlen;
	char role[16];
	int rc;

	/* a new connection of a hub already here is its reconnect: that
	 * portal's connection type is kept */
	if (!f->st.portal_id) {
		struct portal_ref existing;

		rc = db_portal_find(db, org, 0, f->tok.hub_id, &existing);
		if (rc < 0)
			return OAUTH_ERROR;
		f->existed = rc == 1;
		if (f->existed) {
			int t = conf_conn_parse(existing.conn_type);

			snprintf(f->portal_name, sizeof(f->portal_name), "%s", existing.name);
			if (t >= 0 && t != (int)f->type) {
				/* its own type's scopes must be covered */
				snprintf(f->existing_type_label, sizeof(f->existing_type_label), "%s",
					 conf_conn_label((enum conn_type)t));
				if (!conf_scopes_cover(conf->scopes[t], f->scopes))
					return OAUTH_TYPE_CONFLICT;
				f->type = (enum conn_type)t;
			}
		}
	}
	/* the authorized portal is the one being reconnected */
	if (f->st.portal_id && f->tok.hub_id != f->target_hub)
		return OAUTH_WRONG_PORTAL;
	/* the granted scopes cover the connection type's required scopes */
	missing = conf_scopes_first_missing(conf->scopes[f->type], f->scopes, &mlen);
	if (missing != NULL) {
		snprintf(f->missing_scope, sizeof(f->missing_scope), "%.*s",
			 mlen > HS_SCOPE_MAX ? HS_SCOPE_MAX : (int)mlen, missing);
		return OAUTH_SCOPES_MISSING;
	}
	/* the HubSpot user is a Super Admin or an Admin on that portal */
	rc = hubspot_admin(http, conf, f);
	if (rc == -2)
		return OAUTH_UNAVAILABLE;
	if (rc == 0)
		return OAUTH_NOT_HUBSPOT_ADMIN;
	/* the JetStack user may still manage portals here */
	if (db_user_role(db, user, org, role) < 0)
		return OAUTH_ERROR;
	if (!role_can_manage(role))
		return OAUTH_NOT_MANAGER;
	return OAUTH_OK;
}

enum oauth_refusal oauth_store_grant(struct db *db, const struct conf *conf, long long user,
				     const char *email, long long org, struct oauth_flow *f)
{
	const struct oauth_state *st = &f->st;
	const char *domain = f->info.hub_domain ? f->info.hub_domain : "";
	const char *hs_email = f->info.user ? f->info.user : "";
	struct portal_ref pl;
	char msg[600];
	int rc;

	f->was_new = 0;
	if (db_begin(db) < 0)
		return OAUTH_ERROR;
	rc = db_portal_lock(db, org, st->portal_id, st->portal_id ? 0 : f->tok.hub_id, &pl);
	if (rc < 0)
		goto fail;
	if (rc == 0 && st->portal_id) {
		db_rollback(db);
		return OAUTH_REMOVED_MEANWHILE;
	}
	if (rc == 1 && !st->portal_id && !f->existed) {
		/* another first connection of this hub committed while this
		 * one was at HubSpot: theirs stands */
		db_rollback(db);
		snprintf(f->portal_name, sizeof(f->portal_name), "%s", pl.name);
		return OAUTH_RACE_LOST;
	}
	if (rc == 0) {
		char nm[256];

		snprintf(nm, sizeof(nm), "%s", domain[0] ? domain : "HubSpot portal");
		rc = db_portal_insert(db, org, f->tok.hub_id, domain, nm, conf_conn_key(f->type),
				      user, &pl.id);
		if (rc < 0)
			goto fail;
		if (rc == 0) {
			/* the same race, decided by the unique index: the other
			 * insert committed first */
			db_rollback(db);
			snprintf(f->portal_name, sizeof(f->portal_name), "%s", nm);
			return OAUTH_RACE_LOST;
		}
		snprintf(pl.name, sizeof(pl.name), "%s", nm);
		f->was_new = 1;
	}
	if (pl.hub_id && pl.hub_id != f->tok.hub_id)
		goto fail; /* checked before; the row cannot change hub */
	/* a reconnect replaces a grant: its refresh token is revoked at HubSpot
	 * by a job of its own (never the one now stored: HubSpot may hand the
	 * same refresh token to the same user again) */
	if (!f->was_new) {
		struct tokens old;
		int got = tok_get(db, conf, pl.id, &old);

		if (got < 0)
			goto fail;
		if (got == 1 && strcmp(old.refresh, f->tok.refresh_token) != 0 &&
		    tok_revoke_later(db, conf, pl.id, old.refresh) < 0) {
			tok_free(&old);
			goto fail;
		}
		if (got == 1)
			tok_free(&old);
	}
	if (tok_put(db, conf, pl.id, f->tok.access_token, f->tok.refresh_token,
		    (long)f->tok.expires_in) < 0)
		goto fail;
	/* the user was just confirmed as an admin: next health check after the
	 * interval; the next refresh before the access token expires */
	long check = (long)f->tok.expires_in - conf->refresh_margin;
	if (check < 0)
		check = 0;
	if (check > conf->health_interval)
		check = conf->health_interval;
	if (db_portal_set_connected(db, org, pl.id, f->scopes, f->hs_user_id, hs_email, user, domain,
				    conf->health_interval, check) <= 0)
		goto fail;
	snprintf(msg, sizeof(msg), "%s by %s (HubSpot user %s); tokens %s.",
		 f->was_new ? "Connected" : "Reconnected", email, hs_email[0] ? hs_email : "?",
		 f->was_new ? "stored" : "replaced");
	if (db_activity_add(db, org, pl.id, user, f->was_new ? "connected" : "reconnected", msg,
			    NULL) < 0)
		goto fail;
	/* queued refreshes and health checks (and their backoff) were about
	 * the replaced tokens: the worker schedules new ones */
	if (db_jobs_clear_portal(db, pl.id) < 0)
		goto fail;
	if (db_commit(db) < 0)
		goto fail;
	f->portal_id = pl.id;
	snprintf(f->portal_name, sizeof(f->portal_name), "%s", pl.name);
	return OAUTH_OK;
fail:
	db_rollback(db);
	return OAUTH_ERROR;
}

void oauth_revoke_grant(struct db *db, struct httpc *http, const struct conf *conf,
			struct oauth_flow *f, const char *req_id)
{
	struct hs_config cfg;
	struct hs_error err;
	struct portal_ref p;
	long long portal = f->st.portal_id;
	enum hs_err e;

	if (f->tok.refresh_token == NULL)
		return;
	hs_config_from_conf(conf, &cfg);
	e = hs_revoke(http, &cfg, f->tok.refresh_token, "refresh_token", &err);
	if (e == HS_OK || e == HS_ERR_AUTH) {
		log_event(LOG_INFO, req_id, "refused_grant_revoked", NULL);
		return;
	}
	/* HubSpot did not answer: a job of its own retries, bound to the
	 * portal of the hub when the organisation has one */
	if (portal == 0 && db_portal_find(db, f->st.org_id, 0, f->tok.hub_id, &p) == 1)
		portal = p.id;
	if (portal != 0 && tok_revoke_later(db, conf, portal, f->tok.refresh_token) == 1) {
		log_event(LOG_WARN, req_id, "refused_grant_revoke_queued", "kind", hs_strerror(e),
			  NULL);
		return;
	}
	log_event(LOG_WARN, req_id, "revoke_refused_grant_failed", "kind", hs_strerror(err.kind),
		  "correlation_id", err.correlation_id, NULL);
}

/* The text of slot name (len bytes) for f, into out. */
static void slot(const char *name, size_t len, const struct oauth_flow *f, char *out, size_t cap)
{
#define IS(s) (len == sizeof(s) - 1 && memcmp(name, s, len) == 0)
	out[0] = '\0';
	if (IS("ttl"))
		snprintf(out, cap, "%s", OAUTH_STATE_TTL_TEXT);
	else if (IS("selected"))
		snprintf(out, cap, "%s", f->info.hub_domain ? f->info.hub_domain : "?");
	else if (IS("selected_hub"))
		snprintf(out, cap, "%lld", f->tok.hub_id);
	else if (IS("row"))
		snprintf(out, cap, "%s", f->target_name[0] ? f->target_name : "?");
	else if (IS("row_hub"))
		snprintf(out, cap, "%lld", f->target_hub);
	else if (IS("scope"))
		snprintf(out, cap, "%s", f->missing_scope);
	else if (IS("type"))
		snprintf(out, cap, "%s", conf_conn_label(f->type));
	else if (IS("existing_type"))
		snprintf(out, cap, "%s", f->existing_type_label);
	else if (IS("hs_user"))
		snprintf(out, cap, "%s", f->info.user ? f->info.user : "unknown");
	else if (IS("error"))
		snprintf(out, cap, "%s", f->hs_error);
	else if (IS("name"))
		snprintf(out, cap, "%s", f->portal_name);
	else if (IS("hub"))
		snprintf(out, cap, "%lld", f->tok.hub_id);
	else if (IS("unavailable"))
		hs_error_text(&f->err, out, cap);
#undef IS
}

void oauth_refusal_message(enum oauth_refusal r, const struct oauth_flow *f, char *out,
			   size_t cap)
{
	const char *m = oauth_refusal_info(r)->message;
	size_t pos = 0;

	if (cap == 0)
		return;
	while (*m && pos + 1 < cap) {
		const char *end = *m == '{' ? strchr(m, '}') : NULL;

		if (end != NULL) {
			char v[400];
			size_t l;

			slot(m + 1, (size_t)(end - m - 1), f, v, sizeof(v));
			l = strlen(v);
			if (l > cap - 1 - pos)
				l = cap - 1 - pos;
			memcpy(out + pos, v, l);
			pos += l;
			m = end + 1;
		} else {
			out[pos++] = *m++;
		}
	}
	out[pos] = '\0';
}
