/*
 * page_auth: the home redirect, sign-in and sign-out.
 */
#include "auth.h"
#include "crypt.h"
#include "log.h"
#include "pages.h"

#include <stdio.h>
#include <string.h>

/* Sign-in throttle: this many failures per email within the window. */
#define LOGIN_MAX_FAILURES 10
#define LOGIN_WINDOW	   900

int page_home(struct ctx *c)
{
	return http_redirect(c->resp, 303, "/portals");
}

static int login_form(struct ctx *c, int status, const char *error, const char *email)
{
	cJSON *v = cJSON_CreateObject();
	char csrf[44];
	const char *next = req_query(c->req, "next");

	if (next == NULL)
		next = req_form(c->req, "next");
	if (v == NULL || auth_pre_csrf(c, csrf) < 0) {
		cJSON_Delete(v);
		return -1;
	}
	cJSON_AddStringToObject(v, "login_csrf", csrf);
	if (error)
		cJSON_AddStringToObject(v, "error", error);
	if (email)
		cJSON_AddStringToObject(v, "email", email);
	if (next)
		cJSON_AddStringToObject(v, "next", next);
	return page_render(c, status, "login", "Sign in", v);
}

int page_login_get(struct ctx *c)
{
	return login_form(c, 200, NULL, NULL);
}

int page_login_post(struct ctx *c)
{
	const char *email = req_form(c->req, "email");
	const char *pw = req_form(c->req, "password");
	const char *next = req_form(c->req, "next");
	PGresult *r = NULL;
	int result = -1, ok = 0;
	char window[16];

	/* password guessing: too many recent failures for this email (known or
	 * not) and it is refused without looking at the password */
	snprintf(window, sizeof(window), "%d", LOGIN_WINDOW);
	const char *f[] = {email, window};
	r = db_run(c->db, ST_LOGIN_FAILURES, 2, f);
	if (r == NULL)
		goto out;
	if (db_get_ll(r, 0, "n") >= LOGIN_MAX_FAILURES) {
		log_event(LOG_WARN, c->req->id, "login_throttled", NULL);
		result = login_form(c, 429,
				    "Too many failed sign-ins for this email. Wait 15 minutes, "
				    "then try again.",
				    email);
		goto out;
	}
	PQclear(r);
	const char *p[] = {email};
	r = db_run(c->db, ST_USER_LOGIN, 1, p);
	if (r == NULL)
		goto out;
	if (PQntuples(r) == 1) {
		ok = crypt_password_verify(pw, db_get(r, 0, "password_hash")) == 1;
		if (strcmp(db_get(r, 0, "disabled"), "t") == 0 || db_isnull(r, 0, "org_id"))
			ok = 0;
	} else {
		/* same work for an unknown email as for a wrong password */
		crypt_password_dummy_verify(pw);
	}
	if (!ok) {
		log_event(LOG_INFO, c->req->id, "login_failed", NULL);
		if (db_cmd(c->db, ST_LOGIN_FAILED, 1, p) < 0)
			goto out;
		result = login_form(c, 403, "The email or password is not correct.", email);
		goto out;
	}
	if (auth_start(c, db_get_ll(r, 0, "id"), db_get_ll(r, 0, "org_id")) < 0)
		goto out;
	db_cmd(c->db, ST_LOGIN_CLEAR, 1, p);
	log_event(LOG_INFO, c->req->id, "login", "user_id", db_get(r, 0, "id"), NULL);
	result = http_redirect(c->resp, 303, next ? next : "/portals");
out:
	PQclear(r);
	return result;
}

int page_logout_post(struct ctx *c)
{
	if (auth_end(c) < 0)
		return -1;
	return http_redirect(c->resp, 303, "/login");
}
