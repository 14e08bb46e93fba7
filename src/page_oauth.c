/*
 * page_oauth: /oauth/callback, the return leg of connect and reconnect.
 *
 * Every refusal answers with a page saying what happened and that nothing
 * was changed, links the help pages, and revokes at HubSpot any tokens the
 * refused attempt obtained.  Only the final step writes, in one
 * transaction with the portal row locked.
 */
#include "db_portal.h"
#include "flow.h"
#include "hs.h"
#include "log.h"
#include "pages.h"
#include "sess.h"
#include "tok.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An OAuth refusal page: error.html with the help links. */
static int refuse(struct ctx *c, int status, const char *title, const char *message)
{
	cJSON *v = cJSON_CreateObject();

	if (v == NULL)
		return -1;
	cJSON_AddStringToObject(v, "message", message);
	cJSON_AddBoolToObject(v, "help", 1);
	cJSON_AddBoolToObject(v, "oauth_refusal", 1);
	log_event(LOG_INFO, c->req->id, "oauth_refused", "reason", title, NULL);
	return page_render(c, status, "error", title, v);
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

struct grant {
	struct hs_tokens tok;
	struct hs_introspection info;
	long long user_id; /* the authorizing HubSpot user: token answer, else introspection */
	char scopes[8192];
};

static void revoke_grant(struct ctx *c, struct grant *g)
{
	struct hs_config cfg;
	struct hs_error err;

	if (g->tok.refresh_token == NULL)
		return;
	flow_hs_config(&c->app->conf, &cfg);
	if (hs_revoke(c->http, &cfg, g->tok.refresh_token, "refresh_token", &err) != HS_OK)
		log_event(LOG_WARN, c->req->id, "revoke_refused_grant_failed", "kind",
			  hs_strerror(err.kind), "correlation_id", err.correlation_id, NULL);
	else
		log_event(LOG_INFO, c->req->id, "refused_grant_revoked", NULL);
}

/* Describe in *err an answer of HubSpot's that we cannot use. */
static void unusable(struct hs_error *err, const char *why)
{
	memset(err, 0, sizeof(*err));
	err->kind = HS_ERR_MALFORMED;
	snprintf(err->message, sizeof(err->message), "%s", why);
}

static int unavailable(struct ctx *c, const struct hs_error *err)
{
	char msg[400];

	snprintf(msg, sizeof(msg),
		 "HubSpot's OAuth service did not answer properly (%s%s%s), so nothing was "
		 "changed. This is usually temporary: wait a few minutes and try again.",
		 hs_strerror(err->kind), err->correlation_id[0] ? ", correlation id " : "",
		 err->correlation_id);
	return refuse(c, 503, "HubSpot is unavailable", msg);
}

/*
 * The admin check: the HubSpot user is a Super Admin or holds a role named
 * in the configured list on this portal.  1 admin, 0 not, -2 HubSpot
 * unavailable or its answers unusable (*err says why), -1 error.
 */
static int hubspot_admin(struct ctx *c, struct grant *g, struct hs_error *err)
{
	struct hs_config cfg;
	char uid[24];
	int admin;

	if (g->user_id <= 0) {
		/* neither answer named the user: nobody to confirm as an admin */
		unusable(err, "no user id in the token answers");
		return -2;
	}
	flow_hs_config(&c->app->conf, &cfg);
	snprintf(uid, sizeof(uid), "%lld", g->user_id);
	switch (hs_check_admin(c->http, &cfg, g->tok.access_token, uid, c->app->conf.admin_roles,
			       &admin, err)) {
	case HS_OK:
		return admin;
	case HS_ERR_PERMISSION:
	case HS_ERR_AUTH:
		return 0;
	default:
		return -2;
	}
}

/* Step 9: the one write.  existed: a first connection found the hub's
 * portal already here at step 4.  Returns 1 done (*portal_id, *name set),
 * 0 the portal vanished meanwhile, 2 a first connection lost the race to
 * another one of the same hub (nothing written; *name set), -1 error. */
static int replace_tokens(struct ctx *c, const struct oauth_state *st, struct grant *g,
			  int existed, long long *portal_id, char *name, size_t namelen,
			  int *was_new)
{
	const struct conf *conf = &c->app->conf;
	struct portal_lock pl;
	const char *domain = g->info.hub_domain ? g->info.hub_domain : "";
	const char *email = g->info.user ? g->info.user : "";
	char msg[600];
	int rc;

	*was_new = 0;
	if (db_begin(c->db) < 0)
		return -1;
	rc = db_portal_lock(c->db, c->sess->org_id, st->portal_id,
			    st->portal_id ? 0 : g->tok.hub_id, &pl);
	if (rc < 0)
		goto fail;
	if (rc == 0 && st->portal_id) {
		db_rollback(c->db);
		return 0;
	}
	if (rc == 1 && !st->portal_id && !existed) {
		/* another first connection of this hub committed while this
		 * one was at HubSpot: theirs stands */
		db_rollback(c->db);
		snprintf(name, namelen, "%s", pl.name);
		return 2;
	}
	if (rc == 0) {
		char nm[256];

		snprintf(nm, sizeof(nm), "%s", domain[0] ? domain : "HubSpot portal");
		rc = db_portal_insert(c->db, c->sess->org_id, g->tok.hub_id, domain, nm,
				      st->conn_type, c->sess->user_id, &pl.id);
		if (rc < 0)
			goto fail;
		if (rc == 0) {
			/* the same race, decided by the unique index: the other
			 * insert committed first */
			db_rollback(c->db);
			snprintf(name, namelen, "%s", nm);
			return 2;
		}
		snprintf(pl.name, sizeof(pl.name), "%s", nm);
		*was_new = 1;
	}
	if (pl.hub_id && pl.hub_id != g->tok.hub_id)
		goto fail; /* checked before; the row cannot change hub */
	if (tok_put(c->db, conf, pl.id, g->tok.access_token, g->tok.refresh_token,
		    (long)g->tok.expires_in) < 0)
		goto fail;
	/* the user was just confirmed as an admin: next health check after the
	 * interval; the next refresh before the access token expires */
	long check = (long)g->tok.expires_in - conf->refresh_margin;
	if (check < 0)
		check = 0;
	if (check > conf->health_interval)
		check = conf->health_interval;
	if (db_portal_set_connected(c->db, c->sess->org_id, pl.id, g->scopes, g->user_id, email,
				    c->sess->user_id, domain, conf->health_interval, check) <= 0)
		goto fail;
	snprintf(msg, sizeof(msg), "%s by %s (HubSpot user %s); tokens %s.",
		 *was_new ? "Connected" : "Reconnected", c->sess->email, email[0] ? email : "?",
		 *was_new ? "stored" : "replaced");
	if (db_activity_add(c->db, c->sess->org_id, pl.id, c->sess->user_id,
			    *was_new ? "connected" : "reconnected", msg, NULL) < 0)
		goto fail;
	/* queued refreshes and health checks (and their backoff) were about
	 * the replaced tokens: the worker schedules new ones */
	if (db_jobs_clear_portal(c->db, pl.id) < 0)
		goto fail;
	if (db_commit(c->db) < 0)
		goto fail;
	*portal_id = pl.id;
	snprintf(name, namelen, "%s", pl.name);
	return 1;
fail:
	db_rollback(c->db);
	return -1;
}

int page_oauth_callback(struct ctx *c)
{
	const struct conf *conf = &c->app->conf;
	const char *state = req_query(c->req, "state");
	const char *code = req_query(c->req, "code");
	const char *error = req_query(c->req, "error");
	struct oauth_state st;
	struct grant g;
	struct hs_config cfg;
	struct hs_error err;
	cJSON *target = NULL;
	char hash[65], msg[900], name[256], role[16];
	const char *missing;
	size_t mlen;
	long long target_hub = 0, portal_id = 0;
	int rc, type, was_new, result = -1;
	enum hs_err e;

	memset(&g, 0, sizeof(g));
	/* 1. The state: exists, unused, unexpired, this session's user. */
	if (state == NULL)
		return refuse(c, 400, "Authorization link not valid",
			      "This page was opened without an authorization state, so nothing was "
			      "changed. Start again from Client Accounts.");
	if (sess_state_hash(state, hash) < 0)
		return -1;
	rc = db_state_consume(c->db, hash, &st);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return refuse(c, 400, "Authorization link not valid",
			      "This authorization link is not one JetStack AI issued, so nothing "
			      "was changed. Start again from Client Accounts.");
	if (rc == 2)
		return refuse(c, 400, "Authorization link already used",
			      "This authorization link was already used. Each link works once, so "
			      "nothing was changed. Start again from Client Accounts.");
	if (st.expired)
		return refuse(c, 400, "Authorization link expired",
			      "This authorization link expired (links last 10 minutes), so nothing "
			      "was changed. Start again from Client Accounts.");
	if (strcmp(st.session_hash, c->sess->sid_hash) != 0 || st.user_id != c->sess->user_id ||
	    st.org_id != c->sess->org_id)
		return refuse(c, 403, "Authorization started elsewhere",
			      "This authorization was started from another sign-in session, so "
			      "nothing was changed. Start again from Client Accounts in this "
			      "browser.");
	type = conf_conn_parse(st.conn_type);
	if (type < 0)
		return -1;
	/* the portal being reconnected, still in this organisation */
	if (st.portal_id) {
		rc = db_portal_get(c->db, c->sess->org_id, st.portal_id, &target);
		if (rc < 0)
			return -1;
		if (rc == 0)
			return refuse(c, 404, "Portal not found",
				      "The portal you were reconnecting is no longer in your "
				      "organisation, so nothing was changed.");
		const cJSON *h = cJSON_GetObjectItemCaseSensitive(target, "hub_id");
		target_hub = cJSON_IsString(h) ? strtoll(h->valuestring, NULL, 10) : 0;
	}
	/* 2. HubSpot's answer: cancelled or another error. */
	if (error != NULL) {
		if (strcmp(error, "access_denied") == 0)
			result =
			    refuse(c, 200, "Connection cancelled",
				   "You cancelled the authorization at HubSpot, so nothing was "
				   "changed. To connect, click Reconnect again and choose "
				   "Connect app on HubSpot's screen.");
		else {
			snprintf(
			    msg, sizeof(msg),
			    "HubSpot did not authorize the connection (%s), so nothing was "
			    "changed. Try again; if it persists, see the troubleshooting page.",
			    error);
			result = refuse(c, 400, "HubSpot did not authorize", msg);
		}
		goto out;
	}
	if (code == NULL) {
		result = refuse(c, 400, "Authorization incomplete",
				"HubSpot sent no authorization code, so nothing was changed. Try "
				"again.");
		goto out;
	}
	/* 3. Exchange the code, then read the token's metadata. */
	flow_hs_config(conf, &cfg);
	e = hs_exchange_code(c->http, &cfg, code, conf->redirect_uri, &g.tok, &err);
	if (e == HS_ERR_TRANSIENT || e == HS_ERR_MALFORMED) {
		result = unavailable(c, &err);
		goto out;
	}
	if (e != HS_OK) {
		snprintf(msg, sizeof(msg),
			 "HubSpot refused the authorization code (%s), so nothing was changed. "
			 "Start again from Client Accounts.",
			 err.status[0] ? err.status : hs_strerror(e));
		result = refuse(c, 400, "Authorization refused by HubSpot", msg);
		goto out;
	}
	if (g.tok.refresh_token == NULL) {
		unusable(&err, "no refresh token in the token answer");
		result = unavailable(c, &err);
		goto out;
	}
	e = hs_introspect(c->http, &cfg, g.tok.access_token, "access_token", &g.info, &err);
	if (e == HS_OK && (!g.info.active || g.info.hub_id != g.tok.hub_id))
		/* the token just issued is inactive, or of another hub */
		e = err.kind = HS_ERR_MALFORMED;
	if (e != HS_OK) {
		revoke_grant(c, &g);
		result = unavailable(c, &err);
		goto out;
	}
	g.user_id = g.tok.user_id ? g.tok.user_id : g.info.user_id;
	if (g.tok.nscopes)
		rc = join_scopes(g.tok.scopes, g.tok.nscopes, g.scopes, sizeof(g.scopes));
	else
		rc = join_scopes(g.info.scopes, g.info.nscopes, g.scopes, sizeof(g.scopes));
	if (rc < 0) {
		unusable(&err, "granted scopes too long or not space-free");
		revoke_grant(c, &g);
		result = unavailable(c, &err);
		goto out;
	}
	/* 4. A new connection of a hub already here is its reconnect: keep
	 *    that portal's connection type. */
	int existing_type = -1, existed = 0;
	char existing_name[256] = "";
	if (!st.portal_id) {
		struct portal_lock pl;

		rc = db_portal_lock(c->db, c->sess->org_id, 0, g.tok.hub_id, &pl);
		if (rc < 0)
			goto out_revoke;
		existed = rc == 1;
		if (existed) {
			existing_type = conf_conn_parse(pl.conn_type);
			snprintf(existing_name, sizeof(existing_name), "%s", pl.name);
		}
	}
	/* 5. The authorized portal is the one being reconnected. */
	if (st.portal_id && g.tok.hub_id != target_hub) {
		const cJSON *nm = cJSON_GetObjectItemCaseSensitive(target, "name");

		snprintf(
		    msg, sizeof(msg),
		    "You selected portal %s (Hub ID %lld) on HubSpot's screen, but this row is "
		    "portal %s (Hub ID %lld). Nothing was changed. Click Reconnect again and "
		    "select %s (Hub ID %lld).",
		    g.info.hub_domain ? g.info.hub_domain : "?", g.tok.hub_id,
		    cJSON_IsString(nm) ? nm->valuestring : "?", target_hub,
		    cJSON_IsString(nm) ? nm->valuestring : "?", target_hub);
		revoke_grant(c, &g);
		result = refuse(c, 400, "Wrong portal selected", msg);
		goto out;
	}
	/* 6. The granted scopes cover the connection type's required scopes
	 *    (for a hub already here: its own type's). */
	if (existing_type >= 0 && existing_type != type) {
		if (!conf_scopes_cover(conf->scopes[existing_type], g.scopes)) {
			snprintf(
			    msg, sizeof(msg),
			    "%s (Hub ID %lld) is already connected in your organisation as %s, "
			    "which needs more HubSpot permissions than %s asked for, so nothing "
			    "was changed. Use Reconnect on its row in Client Accounts; its "
			    "connection type is kept.",
			    existing_name, g.tok.hub_id,
			    conf_conn_label((enum conn_type)existing_type),
			    conf_conn_label((enum conn_type)type));
			revoke_grant(c, &g);
			result = refuse(c, 409, "Portal already connected", msg);
			goto out;
		}
		type = existing_type;
	}
	missing = conf_scopes_first_missing(conf->scopes[type], g.scopes, &mlen);
	if (missing != NULL) {
		snprintf(msg, sizeof(msg),
			 "HubSpot did not grant the permission \"%.*s\", which the %s connection "
			 "type needs, so nothing was changed. Reconnect and accept every requested "
			 "permission; check that the portal's subscription includes the feature.",
			 mlen > HS_SCOPE_MAX ? HS_SCOPE_MAX : (int)mlen, missing,
			 conf_conn_label((enum conn_type)type));
		revoke_grant(c, &g);
		result = refuse(c, 403, "Missing HubSpot permissions", msg);
		goto out;
	}
	/* 7. The HubSpot user is a Super Admin or an Admin on that portal. */
	rc = hubspot_admin(c, &g, &err);
	if (rc == -2) {
		revoke_grant(c, &g);
		result = unavailable(c, &err);
		goto out;
	}
	if (rc <= 0) {
		snprintf(
		    msg, sizeof(msg),
		    "Your HubSpot user (%s) is not a Super Admin and has no Admin role on "
		    "this portal, so nothing was changed. Ask a HubSpot admin of the portal to "
		    "reconnect it, or to give you an Admin role.",
		    g.info.user ? g.info.user : "unknown");
		revoke_grant(c, &g);
		result = refuse(c, 403, "Insufficient HubSpot permissions", msg);
		goto out;
	}
	/* 8. The JetStack user may still manage portals here. */
	{
		char uid[24], oid[24];
		PGresult *r;

		snprintf(uid, sizeof(uid), "%lld", c->sess->user_id);
		snprintf(oid, sizeof(oid), "%lld", c->sess->org_id);
		const char *p[] = {uid, oid};
		r = db_run(c->db, ST_ROLE_OF, 2, p);
		if (r == NULL)
			goto out_revoke;
		snprintf(role, sizeof(role), "%s", db_get(r, 0, "role"));
		PQclear(r);
	}
	if (strcmp(role, "owner") != 0 && strcmp(role, "admin") != 0) {
		revoke_grant(c, &g);
		result = refuse(c, 403, "Permission needed",
				"Managing portals needs the Owner or Admin role in this "
				"organisation, and you no longer have it, so nothing was changed.");
		goto out;
	}
	/* 9. Replace the tokens, status Connected, activity: one transaction. */
	rc = replace_tokens(c, &st, &g, existed, &portal_id, name, sizeof(name), &was_new);
	if (rc != 1) {
		revoke_grant(c, &g);
		if (rc == 0)
			result = refuse(c, 404, "Portal not found",
					"The portal was removed while you were at HubSpot, so "
					"nothing was changed.");
		if (rc == 2) {
			snprintf(msg, sizeof(msg),
				 "%s (Hub ID %lld) was connected by someone else in your "
				 "organisation a moment ago, while you were at HubSpot. Their "
				 "connection stands and yours was withdrawn at HubSpot, so "
				 "nothing was changed. It is in Client Accounts now.",
				 name, g.tok.hub_id);
			result = refuse(c, 409, "Portal just connected by someone else", msg);
		}
		goto out;
	}
	log_event(LOG_INFO, c->req->id, was_new ? "portal_connected" : "portal_reconnected", NULL);

	snprintf(msg, sizeof(msg), "%s %s (Hub ID %lld). It is Connected.", name,
		 was_new ? "was connected" : "was reconnected", g.tok.hub_id);
	page_flash(c, msg);
	result = http_redirect(c->resp, 303, "/portals");
	goto out;
out_revoke:
	revoke_grant(c, &g);
	result = -1;
out:
	cJSON_Delete(target);
	hs_tokens_free(&g.tok);
	hs_introspection_free(&g.info);
	return result;
}
