/*
 * page_auth: the home redirect, sign-in and sign-out.
 */
#include "auth.h"
#include "db_session.h"
#include "db_user.h"
#include "crypt.h"
#include "log.h"
#include "pages.h"

#include <openssl/crypto.h>
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
	struct login_row u;
	long failures;
	int rc, ok = 0;

	/* password guessing: too many recent failures for this email (known or
	 * not) and it is refused without looking at the password */
	if (db_login_failures(c->db, email, LOGIN_WINDOW, &failures) < 0)
		return -1;
	if (failures >= LOGIN_MAX_FAILURES) {
		log_event(LOG_WARN, c->req->id, "login_throttled", NULL);
		return login_form(c, 429,
				  "Too many failed sign-ins for this email. Wait 15 minutes, "
				  "then try again.",
				  email);
	}
	rc = db_user_login(c->db, email, &u);
	if (rc < 0)
		return -1;
	if (rc == 1)
		ok = crypt_password_verify(pw, u.password_hash) == 1 && !u.disabled && u.org_id > 0;
	else
		/* same work for an unknown email as for a wrong password */
		crypt_password_dummy_verify(pw);
	OPENSSL_cleanse(u.password_hash, sizeof(u.password_hash));
	if (!ok) {
		log_event(LOG_INFO, c->req->id, "login_failed", NULL);
		if (db_login_failed(c->db, email) < 0)
			return -1;
		return login_form(c, 403, "The email or password is not correct.", email);
	}
	db_login_clear(c->db, email);
	/* team: the organisation signed in to last; with several, the chooser */
	return page_team_sign_in(c, u.id, u.org_id, u.n_orgs, next);
}

int page_logout_post(struct ctx *c)
{
	if (auth_end(c) < 0)
		return -1;
	return http_redirect(c->resp, 303, "/login");
}
