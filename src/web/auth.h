/*
 * auth: sessions backed by the database.  The cookie holds an HS256 JWT
 * (sess_jwt_*) naming a random session id; the sessions table holds only
 * the id's SHA-256 and decides whether the session is alive (sign-out,
 * disabled users, idle and absolute timeouts).
 */
#ifndef JS_AUTH_H
#define JS_AUTH_H

#include "app.h"

/* Cookie names (with the __Host- prefix when the base URL is https). */
const char *auth_session_cookie(const struct conf *conf);
const char *auth_pre_cookie(const struct conf *conf);

/*
 * Load the session named by the request's cookie into *s.  Returns 1 when
 * signed in, 0 when not (no cookie, bad JWT, ended, expired, idle, user
 * disabled), -1 on a database error.
 */
int auth_load(struct ctx *c, struct session *s);
/* The same, and also read Client Accounts page q in the same round trip,
 * for the organisation named by the session token's signed "org" grant,
 * into *page (free with db_portal_page_free).  page->res is NULL unless 1
 * is returned and the session's organisation is that one (tokens without
 * the grant get no prefetch; the page reads its own). */
int auth_load_with(struct ctx *c, struct session *s, const struct portal_query *q,
		   struct portal_page *page);
/* The key of the session row the request's cookie names (a valid token's
 * sid_hash) into sid_hash: 1, or 0 (no cookie, bad or expired token).
 * Nothing is read from the database. */
int auth_sid_hash(const struct conf *conf, const struct req *r, char sid_hash[65]);
/* Create a session for user in org and set the cookie on c->resp.
 * 0 ok, -1 error. */
int auth_start(struct ctx *c, long long user_id, long long org_id);
/* End the current session and clear the cookie.  0 ok, -1 error. */
int auth_end(struct ctx *c);
/* The pre-session CSRF token for the login form, setting the pre-session
 * cookie when the request has none.  out gets 43 chars + NUL. 0 / -1. */
int auth_pre_csrf(struct ctx *c, char out[44]);
/* 1 when the form's csrf field is valid for this request, else 0. */
int auth_csrf_ok(const struct ctx *c);

/*
 * The read API (issue 17 item 2): the organisation API token of the
 * request's "Authorization: Bearer <token>" header (the scheme in any
 * case; never a cookie), checked and counted in its rate-limit window in
 * one statement.  Returns 1 with *p, *count (requests in the window, this
 * one included) and *reset_in (seconds left in it); 0 when the header is
 * missing or malformed or the token unknown or revoked; -1 on a database
 * error.
 */
int auth_token(struct ctx *c, struct api_principal *p, long *count, int *reset_in);

#endif
