/*
 * auth: database-backed sessions, session cookies and CSRF tokens.
 */
#include "auth.h"
#include "crypt.h"
#include "log.h"
#include "sess.h"
#include "valid.h"

#include <openssl/crypto.h>
#include <stdlib.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

const char *auth_session_cookie(const struct conf *conf)
{
	return conf->base_https ? "__Host-js_session" : "js_session";
}

const char *auth_pre_cookie(const struct conf *conf)
{
	return conf->base_https ? "__Host-js_pre" : "js_pre";
}

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src);
}

int auth_load(struct ctx *c, struct session *s)
{
	return auth_load_with(c, s, NULL, NULL);
}

int auth_load_with(struct ctx *c, struct session *s, struct db_call *call, PGresult **res)
{
	const struct conf *conf = &c->app->conf;
	const char *jwt = req_cookie(c->req, auth_session_cookie(conf));
	char sid[65], idle[24], org_text[24];
	long long org = 0;
	PGresult *r = NULL;
	int result = 0;

	memset(s, 0, sizeof(*s));
	if (res != NULL)
		*res = NULL;
	if (jwt == NULL)
		return 0;
	if (sess_jwt_verify_org(jwt, conf->session_key, sizeof(conf->session_key), (long)time(NULL),
				sid, sizeof(sid), &org) < 0)
		return 0;
	if (org <= 0)
		call = NULL; /* a token from before the org grant: no prefetch */
	sess_id_hash(sid, s->sid_hash);
	snprintf(idle, sizeof(idle), "%ld", conf->session_idle);
	if (call != NULL) {
		struct db_call sc = {.st = ST_SESSION_LOAD, .n = 2, .params = {s->sid_hash, idle}};

		snprintf(org_text, sizeof(org_text), "%lld", org);
		call->params[0] = org_text;
		if (db_run_pair(c->db, &sc, call, &r, res) < 0) {
			result = -1;
			goto out;
		}
	} else {
		const char *p[] = {s->sid_hash, idle};

		r = db_run(c->db, ST_SESSION_LOAD, 2, p);
		if (r == NULL) {
			result = -1;
			goto out;
		}
	}
	if (PQntuples(r) != 1)
		goto out;
	s->user_id = db_get_ll(r, 0, "user_id");
	s->org_id = db_get_ll(r, 0, "org_id");
	if (call != NULL && s->org_id != org) {
		/* the signed grant and the session disagree (cannot happen
		 * unless the key leaked): drop the page read for the grant's
		 * organisation; the page reads its own */
		log_event(LOG_WARN, c->req->id, "session_org_mismatch", NULL);
		PQclear(*res);
		*res = NULL;
	}
	copy(s->role, sizeof(s->role), db_get(r, 0, "role"));
	copy(s->email, sizeof(s->email), db_get(r, 0, "email"));
	copy(s->org_name, sizeof(s->org_name), db_get(r, 0, "org_name"));
	copy(s->flash, sizeof(s->flash), db_get(r, 0, "flash"));
	s->can_manage = strcmp(s->role, "owner") == 0 || strcmp(s->role, "admin") == 0;
	s->n_connected = (long)db_get_ll(r, 0, "n_connected");
	s->n_needs = (long)db_get_ll(r, 0, "n_needs");
	s->n_disconnected = (long)db_get_ll(r, 0, "n_disconnected");
	sess_csrf_token(conf->session_key, sizeof(conf->session_key), s->sid_hash, s->csrf);
	if (strcmp(db_get(r, 0, "stale"), "t") == 0) {
		const char *q[] = {s->sid_hash};
		db_cmd(c->db, ST_SESSION_TOUCH, 1, q);
	}
	if (s->flash[0]) {
		const char *q[] = {s->sid_hash};
		db_cmd(c->db, ST_SESSION_FLASH_CLEAR, 1, q);
	}
	result = 1;
out:
	PQclear(r);
	if (result != 1 && res != NULL) {
		PQclear(*res);
		*res = NULL;
	}
	return result;
}

int auth_start(struct ctx *c, long long user_id, long long org_id)
{
	const struct conf *conf = &c->app->conf;
	char sid[44], hash[65], uid[24], oid[24], max[24];
	char *jwt = NULL;
	long now = (long)time(NULL);
	int result = -1;

	if (sess_new_id(sid) < 0)
		goto out;
	sess_id_hash(sid, hash);
	snprintf(uid, sizeof(uid), "%lld", user_id);
	snprintf(oid, sizeof(oid), "%lld", org_id);
	snprintf(max, sizeof(max), "%ld", conf->session_max);
	const char *p[] = {hash, uid, oid, max};
	if (db_cmd(c->db, ST_SESSION_CREATE, 4, p) != 1)
		goto out;
	jwt = sess_jwt_sign_org(conf->session_key, sizeof(conf->session_key), sid, org_id, now,
				now + conf->session_max);
	if (jwt == NULL)
		goto out;
	if (http_set_cookie(c->resp, auth_session_cookie(conf), jwt, -1, conf->base_https) < 0)
		goto out;
	result = 0;
out:
	free(jwt);
	OPENSSL_cleanse(sid, sizeof(sid));
	return result;
}

int auth_end(struct ctx *c)
{
	const struct conf *conf = &c->app->conf;
	int rc = 0;

	if (c->sess != NULL) {
		const char *p[] = {c->sess->sid_hash};
		rc = db_cmd(c->db, ST_SESSION_END, 1, p) < 0 ? -1 : 0;
	}
	http_set_cookie(c->resp, auth_session_cookie(conf), "", 0, conf->base_https);
	return rc;
}

int auth_pre_csrf(struct ctx *c, char out[44])
{
	const struct conf *conf = &c->app->conf;
	const char *pre = req_cookie(c->req, auth_pre_cookie(conf));
	char fresh[44];

	if (pre == NULL || !valid_token(pre)) {
		if (sess_new_id(fresh) < 0)
			return -1;
		if (http_set_cookie(c->resp, auth_pre_cookie(conf), fresh, -1, conf->base_https) <
		    0)
			return -1;
		pre = fresh;
	}
	sess_csrf_token(conf->session_key, sizeof(conf->session_key), pre, out);
	return 0;
}

int auth_csrf_ok(const struct ctx *c)
{
	const struct conf *conf = &c->app->conf;
	const char *token = req_form(c->req, "csrf");
	const char *bound;

	if (token == NULL)
		return 0;
	if (c->sess != NULL) {
		bound = c->sess->sid_hash;
	} else {
		bound = req_cookie(c->req, auth_pre_cookie(conf));
		if (bound == NULL || !valid_token(bound))
			return 0;
	}
	return sess_csrf_check(conf->session_key, sizeof(conf->session_key), bound, token) == 1;
}
