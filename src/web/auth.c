/*
 * auth: database-backed sessions, session cookies and CSRF tokens.
 */
#include "auth.h"
#include "buf.h"
#include "apitoken.h"
#include "db_apitoken.h"
#include "db_session.h"
#include "role.h"
#include "crypt.h"
#include "log.h"
#include "sess.h"
#include "valid.h"

#include <openssl/crypto.h>
#include <stdlib.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>
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
	buf_strcpy(dst, n, src);
}

/* The request's session token, verified: 1, else 0. */
static int token_of(const struct conf *conf, const struct req *r, struct sess_token_info *tok)
{
	const char *jwt = req_cookie(r, auth_session_cookie(conf));

	return jwt != NULL && sess_open(jwt, conf->session_key, sizeof(conf->session_key),
					(long)time(NULL), tok) == 0;
}

int auth_sid_hash(const struct conf *conf, const struct req *r, char sid_hash[65])
{
	struct sess_token_info tok;

	if (!token_of(conf, r, &tok))
		return 0;
	memcpy(sid_hash, tok.sid_hash, sizeof(tok.sid_hash));
	return 1;
}

int auth_load(struct ctx *c, struct session *s)
{
	return auth_load_with(c, s, NULL, NULL);
}

int auth_load_with(struct ctx *c, struct session *s, const struct portal_query *q,
		   struct portal_page *page)
{
	const struct conf *conf = &c->app->conf;
	struct session_row row;
	struct portal_query qv;
	struct sess_token_info tok;
	long long org;
	int rc;

	memset(s, 0, sizeof(*s));
	if (page != NULL)
		db_portal_page_clear(page);
	if (!token_of(conf, c->req, &tok))
		return 0;
	memcpy(s->sid_hash, tok.sid_hash, sizeof(s->sid_hash));
	org = tok.org;
	if (q != NULL) {
		/* the rows' times in this session's user's zone */
		qv = *q;
		qv.viewer = s->sid_hash;
		q = &qv;
	}
	/* a token from before the org grant (org 0) gets no prefetch */
	rc = db_session_load(c->db, s->sid_hash, conf->session_idle, org, q, &row, page);
	if (rc != 1)
		return rc;
	if (q != NULL && org > 0 && row.org_id != org)
		/* the signed grant and the session disagree (cannot happen
		 * unless the key leaked): the page read for the grant's
		 * organisation was dropped; the page reads its own */
		log_event(LOG_WARN, c->req->id, "session_org_mismatch", NULL);
	s->user_id = row.user_id;
	s->org_id = row.org_id;
	copy(s->role, sizeof(s->role), row.role);
	copy(s->email, sizeof(s->email), row.email);
	copy(s->org_name, sizeof(s->org_name), row.org_name);
	copy(s->flash, sizeof(s->flash), row.flash);
	s->can_manage = role_can_manage(s->role);
	s->n_connected = row.n_connected;
	s->n_needs = row.n_needs;
	s->n_disconnected = row.n_disconnected;
	memcpy(s->tz, row.tz, sizeof(s->tz));
	s->n_orgs = row.n_orgs;
	memcpy(s->csrf, tok.csrf, sizeof(s->csrf));
	if (row.stale)
		db_session_touch(c->db, s->sid_hash);
	if (s->flash[0])
		db_session_flash(c->db, s->sid_hash, NULL);
	return 1;
}

int auth_start(struct ctx *c, long long user_id, long long org_id)
{
	const struct conf *conf = &c->app->conf;
	char sid[44], hash[65];
	char *jwt = NULL;
	long now = (long)time(NULL);
	int result = -1;

	if (sess_new_id(sid) < 0)
		goto out;
	sess_id_hash(sid, hash);
	if (db_session_create(c->db, hash, user_id, org_id, conf->session_max) != 1)
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

	if (c->sess != NULL)
		rc = db_session_end(c->db, c->sess->sid_hash) < 0 ? -1 : 0;
	http_set_cookie(c->resp, auth_session_cookie(conf), "", 0, conf->base_https);
	return rc;
}

int auth_pre_csrf(struct ctx *c, char out[44])
{
	const struct conf *conf = &c->app->conf;
	const char *pre = req_cookie(c->req, auth_pre_cookie(conf));
	char fresh[44];

	if (pre == NULL || !sess_random_valid(pre)) {
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
		if (bound == NULL || !sess_random_valid(bound))
			return 0;
	}
	return sess_csrf_check(conf->session_key, sizeof(conf->session_key), bound, token) == 1;
}

/* ---- the read API's tokens (issue 17 item 2) ---- */
int auth_token(struct ctx *c, struct api_principal *p, long *count, int *reset_in)
{
	const char *h = req_env(c->req, "HTTP_AUTHORIZATION");
	char token[APITOKEN_LEN + 1], hash[65];
	struct apitoken_auth a;
	size_t n;
	int rc;

	memset(p, 0, sizeof(*p));
	*count = 0;
	*reset_in = 0;
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return 0;
	h += 7;
	h += strspn(h, " ");
	n = strcspn(h, " \t");
	if (n != APITOKEN_LEN || h[n + strspn(h + n, " \t")] != '\0')
		return 0;
	memcpy(token, h, n);
	token[n] = '\0';
	rc = apitoken_shape_ok(token) && apitoken_hash(token, hash) == 0;
	OPENSSL_cleanse(token, sizeof(token));
	if (!rc)
		return 0;
	rc = db_apitoken_auth(c->db, hash, c->app->conf.api_rate_window, &a);
	if (rc != 1)
		return rc;
	p->token_id = a.id;
	p->org_id = a.org_id;
	copy(p->prefix, sizeof(p->prefix), a.prefix);
	copy(p->tz, sizeof(p->tz), a.tz);
	*count = a.count;
	*reset_in = a.reset_in;
	return 1;
}
