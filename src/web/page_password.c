/*
 * page_password: the links that set a password, opened without a session
 * -- an invitation (/invite?t=..., from the team page) and a forgotten
 * password (/forgot, then /reset?t=... by mail).  Only a link's SHA-256
 * is stored; opening one (GET, as mail scanners do) uses nothing up; the
 * form's POST carries the link's token and the pre-session CSRF token (as
 * the sign-in form; the gate checks it).  A link is single-use and
 * expires (an invitation after 72 hours, a reset after RESET_TTL); an
 * unknown link answers 404, a used, revoked or expired one 410, and
 * nothing changes.
 *
 * Accepting an invitation for an address with no account creates it with
 * the password chosen (at least VALID_PASSWORD_MIN characters); an
 * address that has an account joins with it: its owner signs in on the
 * invitation page with their existing password (throttled as the sign-in
 * form), and that password is not changed.  Either way they are signed in
 * to the organisation that invited them.
 *
 * Forgot password answers the same page whether or not the address has an
 * account, after the same work (the message is composed either way; only
 * an account's is stored and queued), and at most RESET_PER_HOUR requests
 * an hour per address.  Setting a new password uses up every reset link
 * of the account and ends all its sessions, then signs in.
 */
#include "auth.h"
#include "conf.h"
#include "crypt.h"
#include "db_activity.h"
#include "db_session.h"
#include "db_team.h"
#include "db_user.h"
#include "log.h"
#include "pages.h"
#include "role.h"
#include "sess.h"
#include "valid.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESET_TTL	   3600L /* a reset link works this long */
#define RESET_PER_HOUR	   5	 /* reset requests per address an hour */
#define LOGIN_MAX_FAILURES 10	 /* as page_auth.c: failures per email ... */
#define LOGIN_WINDOW	   900	 /* ... within this many seconds */

/* Why a new password is refused ("" none): the two fields differ, or it
 * is too short. */
static const char *password_problem(const char *pw, const char *again)
{
	if (again == NULL || strcmp(pw, again) != 0)
		return "The two passwords are not the same.";
	if (!valid_new_password(pw))
		return "Choose a password of at least 12 characters.";
	return "";
}

/* --- invitations --- */

/* The invitation a token names, or a page saying why not (*answered).
 * 1 usable, 0 answered, -1. */
static int invite_usable(struct ctx *c, const char *token, struct invite_row *inv)
{
	char hash[65], msg[600];
	int rc;

	if (token == NULL || sess_state_hash(token, hash) < 0)
		rc = 0;
	else
		rc = db_team_invite_by_hash(c->db, hash, inv);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return page_error(c, 404, "Link not found",
				  "This invitation link is not one JetStack AI made. Ask whoever "
				  "invited you for a new one.") < 0
			   ? -1
			   : 0;
	if (inv->accepted || inv->revoked || inv->expired) {
		snprintf(msg, sizeof(msg), "%s Ask %s for a new invitation. Nothing was changed.",
			 inv->accepted	? "This invitation was already used: sign in instead."
			 : inv->revoked ? "This invitation was withdrawn."
					: "This link has expired.",
			 inv->org_name);
		return page_error(c, 410, "This link no longer works", msg) < 0 ? -1 : 0;
	}
	if (inv->user_disabled)
		return page_error(
			   c, 403, "Account disabled",
			   "The JetStack AI account for this address is disabled. Nothing was "
			   "changed.") < 0
			   ? -1
			   : 0;
	return 1;
}

/* The view of a form a link opens: its token, the pre-session CSRF token,
 * the password rule and an error; NULL on failure. */
static cJSON *link_view(struct ctx *c, const char *token, const char *error)
{
	char csrf[44];
	cJSON *v;

	if (auth_pre_csrf(c, csrf) < 0 || (v = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddStringToObject(v, "pre_csrf", csrf);
	cJSON_AddNumberToObject(v, "min", VALID_PASSWORD_MIN);
	if (token)
		cJSON_AddStringToObject(v, "token", token);
	if (error)
		cJSON_AddStringToObject(v, "error", error);
	return v;
}

static int invite_form(struct ctx *c, int status, const struct invite_row *inv, const char *token,
		       const char *error)
{
	cJSON *v = link_view(c, token, error);

	if (v == NULL)
		return -1;
	cJSON_AddStringToObject(v, "org", inv->org_name);
	cJSON_AddStringToObject(v, "inviter", inv->inviter);
	cJSON_AddStringToObject(v, "email", inv->email);
	cJSON_AddStringToObject(v, "role_label", role_label_of(inv->role));
	cJSON_AddBoolToObject(v, "existing", inv->user_id != 0);
	return page_render(c, status, "invite", "Join an organisation", v);
}

int page_invite_get(struct ctx *c)
{
	const char *token = req_query(c->req, "t"); /* sess_random_valid */
	struct invite_row inv;
	int rc = invite_usable(c, token, &inv);

	return rc <= 0 ? rc : invite_form(c, 200, &inv, token, NULL);
}

/* An existing account's owner proves it with their password (throttled
 * as sign-in).  1 proven, 0 answered (a form again), -1. */
static int existing_proven(struct ctx *c, const struct invite_row *inv, const char *token,
			   const char *pw)
{
	struct login_row u;
	long failures;
	int rc, ok;

	if (db_login_failures(c->db, inv->email, LOGIN_WINDOW, &failures) < 0)
		return -1;
	if (failures >= LOGIN_MAX_FAILURES)
		return invite_form(c, 429, inv, token,
				   "Too many failed sign-ins for this email. Wait 15 minutes, then "
				   "try again.") < 0
			   ? -1
			   : 0;
	rc = db_user_login(c->db, inv->email, &u);
	if (rc < 0)
		return -1;
	ok = rc == 1 && u.id == inv->user_id && !u.disabled &&
	     crypt_password_verify(pw, u.password_hash) == 1;
	OPENSSL_cleanse(u.password_hash, sizeof(u.password_hash));
	if (ok)
		return 1;
	log_event(LOG_INFO, c->req->id, "login_failed", NULL);
	if (db_login_failed(c->db, inv->email) < 0)
		return -1;
	return invite_form(c, 403, inv, token,
			   "The password is not correct. Use the password of your JetStack AI "
			   "account.") < 0
		   ? -1
		   : 0;
}

int page_invite_post(struct ctx *c)
{
	const char *token = req_form(c->req, "t");	   /* sess_random_valid */
	const char *pw = req_form(c->req, "password");	   /* valid_password */
	const char *again = req_form(c->req, "password2"); /* valid_password, optional */
	struct invite_row inv;
	char *hash = NULL, entry[700];
	long long uid;
	int rc = invite_usable(c, token, &inv);

	if (rc <= 0)
		return rc;
	if (inv.user_id != 0) {
		rc = existing_proven(c, &inv, token, pw);
		if (rc <= 0)
			return rc;
	} else {
		const char *why = password_problem(pw, again);

		if (why[0])
			return invite_form(c, 400, &inv, token, why);
		if (crypt_password_hash(pw, &hash) < 0)
			return -1;
	}
	snprintf(entry, sizeof(entry), "%s accepted the invitation of %s and joined as %s.",
		 inv.email, inv.inviter[0] ? inv.inviter : "a former member",
		 role_label_of(inv.role));
	rc = db_team_invite_accept(c->db, &inv, hash, entry, &uid);
	free(hash);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return page_error(c, 410, "This link no longer works",
				  "This invitation was used or withdrawn a moment ago. Nothing was "
				  "changed.");
	if (inv.user_id != 0)
		db_login_clear(c->db, inv.email);
	log_event(LOG_INFO, c->req->id, "invite_accepted", NULL);
	return page_team_sign_in(c, uid, inv.org_id, 1, "/portals");
}

/* --- forgotten passwords --- */

static int forgot_form(struct ctx *c, int status, const char *error, const char *email, int sent)
{
	cJSON *v = link_view(c, NULL, error);

	if (v == NULL)
		return -1;
	cJSON_AddBoolToObject(v, "mail_off", c->app->conf.smtp_url[0] == '\0');
	cJSON_AddBoolToObject(v, "sent", sent);
	cJSON_AddNumberToObject(v, "minutes", (double)(RESET_TTL / 60));
	if (email)
		cJSON_AddStringToObject(v, "email", email);
	return page_render(c, status, "forgot", "Forgot your password", v);
}

int page_forgot_get(struct ctx *c)
{
	return forgot_form(c, 200, NULL, NULL, 0);
}

int page_forgot_post(struct ctx *c)
{
	const struct conf *conf = &c->app->conf;
	const char *email = req_form(c->req, "email"); /* valid_email */
	char token[44], hash[65], url[600], text[1200];
	struct login_row u;
	long n;
	int rc, known;

	if (conf->smtp_url[0] == '\0')
		return forgot_form(c, 503, NULL, NULL, 0);
	if (db_team_reset_requests(c->db, email, 3600, &n) < 0)
		return -1;
	if (n >= RESET_PER_HOUR) {
		http_add_header(c->resp, "Retry-After", "3600");
		return forgot_form(c, 429,
				   "Too many requests for this address in the last hour. Wait an "
				   "hour, then try again.",
				   email, 0);
	}
	if (db_team_reset_note(c->db, email) < 0)
		return -1;
	/* the same work for every address: a link, its hash, the message;
	 * only an enabled account's link is stored and its message queued */
	if (sess_state_new(token) < 0 || sess_state_hash(token, hash) < 0)
		return -1;
	snprintf(url, sizeof(url), "%s/reset?t=%s", conf->base_url, token);
	snprintf(text, sizeof(text),
		 "Someone (hopefully you) asked to set a new password for the JetStack AI account "
		 "%s.\n\nOpen this link to choose a new password:\n\n%s\n\nThe link works for %ld "
		 "minutes and only once. Setting a new password signs you out everywhere else.\n\n"
		 "If you did not ask for this, ignore this message: your password stays as it "
		 "is.\n",
		 email, url, RESET_TTL / 60);
	rc = db_user_login(c->db, email, &u);
	OPENSSL_cleanse(u.password_hash, sizeof(u.password_hash));
	if (rc < 0)
		goto fail;
	known = rc == 1 && !u.disabled && u.org_id > 0;
	if (db_begin(c->db) < 0)
		goto fail;
	if (known && db_team_reset_create(c->db, u.id, hash, RESET_TTL) < 0)
		goto fail;
	if (page_mail_notice(c, known ? u.org_id : 0, u.id, email, "Set a new password", text,
			     known) < 0 ||
	    db_commit(c->db) < 0)
		goto fail;
	memset(token, 0, sizeof(token));
	log_event(LOG_INFO, c->req->id, "password_reset_requested", NULL);
	return forgot_form(c, 200, NULL, email, 1);
fail:
	memset(token, 0, sizeof(token));
	db_rollback(c->db);
	return -1;
}

/* The reset link a token names, or a page saying why not.  1 usable, 0
 * answered, -1. */
static int reset_usable(struct ctx *c, const char *token, struct reset_row *rs)
{
	char hash[65];
	int rc;

	if (token == NULL || sess_state_hash(token, hash) < 0)
		rc = 0;
	else
		rc = db_team_reset_by_hash(c->db, hash, rs);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return page_error(c, 404, "Link not found",
				  "This password link is not one JetStack AI made. Ask for a new "
				  "one on the sign-in page.") < 0
			   ? -1
			   : 0;
	if (rs->used || rs->expired || rs->disabled)
		return page_error(c, 410, "This link no longer works",
				  rs->used ? "This link was already used. Ask for a new one on the "
					     "sign-in page if you need it. Nothing was changed."
				  : rs->expired
				      ? "This link has expired. Ask for a new one on the "
					"sign-in page. Nothing was changed."
				      : "This account is disabled. Nothing was changed.") < 0
			   ? -1
			   : 0;
	return 1;
}

static int reset_form(struct ctx *c, int status, const struct reset_row *rs, const char *token,
		      const char *error)
{
	cJSON *v = link_view(c, token, error);

	if (v == NULL)
		return -1;
	cJSON_AddStringToObject(v, "email", rs->email);
	return page_render(c, status, "reset", "Set a new password", v);
}

int page_reset_get(struct ctx *c)
{
	const char *token = req_query(c->req, "t"); /* sess_random_valid */
	struct reset_row rs;
	int rc = reset_usable(c, token, &rs);

	return rc <= 0 ? rc : reset_form(c, 200, &rs, token, NULL);
}

int page_reset_post(struct ctx *c)
{
	const char *token = req_form(c->req, "t");	   /* sess_random_valid */
	const char *pw = req_form(c->req, "password");	   /* valid_password */
	const char *again = req_form(c->req, "password2"); /* valid_password */
	struct reset_row rs;
	struct login_row u;
	const char *why;
	char *hash = NULL;
	int rc = reset_usable(c, token, &rs);

	if (rc <= 0)
		return rc;
	why = password_problem(pw, again);
	if (why[0])
		return reset_form(c, 400, &rs, token, why);
	if (crypt_password_hash(pw, &hash) < 0)
		return -1;
	rc = db_team_reset_use(c->db, &rs, hash);
	free(hash);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return page_error(c, 410, "This link no longer works",
				  "This link was used a moment ago. Nothing was changed.");
	log_event(LOG_INFO, c->req->id, "password_reset", NULL);
	rc = db_user_login(c->db, rs.email, &u);
	OPENSSL_cleanse(u.password_hash, sizeof(u.password_hash));
	if (rc < 0)
		return -1;
	if (rc == 0 || u.org_id == 0) /* no organisation to sign in to */
		return http_redirect(c->resp, 303, "/login");
	return page_team_sign_in(c, u.id, u.org_id, u.n_orgs, NULL);
}
