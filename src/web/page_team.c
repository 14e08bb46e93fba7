/*
 * page_team: the team page (/team, owners and admins: the gate's team
 * check) -- the organisation's members with their role and last sign-in,
 * pending invitations, inviting by email (a single-use set-password link,
 * mailed when the server sends mail, else shown once to copy), revoking an
 * invitation, changing a role and removing a member (their sessions in
 * this organisation end at once); and, for a user of several
 * organisations, the chooser after sign-in (/orgs) and the switch from the
 * header (a new session for the other organisation; the old one ends).
 *
 * Who may change whom is role_may_change() (role.c); the last owner is
 * kept by the database under a lock on the organisation's row
 * (db_team_lock), so two concurrent demotions cannot both pass.  Every
 * change writes an organisation-level activity entry (portal NULL):
 * user_invited, role_changed, member_removed; page_password.c writes
 * invite_accepted.
 */
#include "auth.h"
#include "conf.h"
#include "db_activity.h"
#include "db_mail.h"
#include "db_session.h"
#include "db_team.h"
#include "db_user.h"
#include "digest.h"
#include "log.h"
#include "pages.h"
#include "role.h"
#include "sess.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How long an invitation link works. */
#define INVITE_TTL (72L * 3600)
/* Pending invitations an organisation may have at once (each may send a
 * mail: a cap, as on webhook endpoints). */
#define INVITES_PENDING_MAX 50

int page_mail_notice(struct ctx *c, long long org, long long user, const char *to,
		     const char *subject, const char *text, int queue)
{
	const struct conf *conf = &c->app->conf;
	char date[64], mid[160], err[200];
	struct buf msg;
	struct digest_in in = {.org_name = "",
			       .from = conf->smtp_from,
			       .rcpt = to,
			       .base_url = conf->base_url,
			       .date = date,
			       .message_id = mid};
	int rc = 0;

	if (conf->smtp_url[0] == '\0')
		return 0;
	digest_date(date, sizeof(date));
	if (digest_message_id(conf->smtp_from, mid, sizeof(mid)) < 0)
		return -1;
	buf_init(&msg, 1 << 20);
	if (digest_notice(&in, subject, text, &msg, err, sizeof(err)) == 0) {
		rc = 1;
		if (queue && db_mail_queue_notice(c->db, org, user, to, buf_str(&msg), mid) < 0)
			rc = -1;
	}
	buf_free(&msg);
	return rc;
}

/* next for a query string: the characters valid_local_path allows that
 * would end or split the value are escaped. */
static void query_escape(const char *s, char *out, size_t n)
{
	size_t k = 0;

	for (; *s && k + 4 < n; s++) {
		if (*s == '?' || *s == '&' || *s == '=') {
			snprintf(out + k, n - k, "%%%02X", (unsigned char)*s);
			k += 3;
		} else
			out[k++] = *s;
	}
	out[k] = '\0';
}

int page_team_sign_in(struct ctx *c, long long user, long long org, long n_orgs, const char *next)
{
	char loc[700], esc[600], uid[24];

	if (auth_start(c, user, org) < 0 || db_team_signed_in(c->db, user, org) < 0)
		return -1;
	snprintf(uid, sizeof(uid), "%lld", user);
	log_event(LOG_INFO, c->req->id, "login", "user_id", uid, NULL);
	if (n_orgs > 1) {
		query_escape(next ? next : "", esc, sizeof(esc));
		snprintf(loc, sizeof(loc), "/orgs%s%s", esc[0] ? "?next=" : "", esc);
		return http_redirect(c->resp, 303, loc);
	}
	return http_redirect(c->resp, 303, next ? next : "/portals");
}

/* The roles actor may give someone now holding from (NULL: an invitee),
 * as [{key, label, selected}]: from selected, else pick. */
static cJSON *role_choices(const char *actor, const char *from, const char *pick)
{
	cJSON *a = cJSON_CreateArray();

	for (int r = 0; r < ROLE__MAX; r++) {
		const char *k = role_key((enum role)r);
		cJSON *o;

		if (!role_may_change(actor, from, k))
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "key", k);
		cJSON_AddStringToObject(o, "label", role_label((enum role)r));
		cJSON_AddBoolToObject(o, "selected", strcmp(from ? from : pick, k) == 0);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

/* The team page, with an error above the invite form (status 4xx) and the
 * address typed, or without (200). */
static int team_page(struct ctx *c, int status, const char *error, const char *email)
{
	const struct session *s = c->sess;
	struct member_row *m = NULL;
	struct invite_item *inv = NULL;
	long long now = (long long)time(NULL);
	int nm = 0, ni = 0;
	char id[24];
	cJSON *v, *members, *invites;

	if (db_team_members(c->db, s->org_id, s->tz, &m, &nm) < 0 ||
	    db_team_invites(c->db, s->org_id, s->tz, &inv, &ni) < 0) {
		free(m);
		free(inv);
		return -1;
	}
	v = cJSON_CreateObject();
	members = cJSON_AddArrayToObject(v, "members");
	for (int i = 0; i < nm; i++) {
		cJSON *o = cJSON_CreateObject();
		int others = 0;

		page_int(m[i].user_id, id, sizeof(id));
		cJSON_AddStringToObject(o, "id", id);
		cJSON_AddStringToObject(o, "email", m[i].email);
		cJSON_AddStringToObject(o, "role", m[i].role);
		cJSON_AddStringToObject(o, "role_label", role_label_of(m[i].role));
		cJSON_AddBoolToObject(o, "you", m[i].user_id == s->user_id);
		cJSON_AddBoolToObject(o, "disabled", m[i].disabled);
		page_when(o, "last_sign_in", m[i].last_sign_in, now);
		for (int r = 0; r < ROLE__MAX; r++)
			others += strcmp(role_key((enum role)r), m[i].role) != 0 &&
				  role_may_change(s->role, m[i].role, role_key((enum role)r));
		cJSON_AddBoolToObject(o, "editable", others > 0);
		if (others > 0)
			cJSON_AddItemToObject(o, "roles", role_choices(s->role, m[i].role, NULL));
		cJSON_AddBoolToObject(o, "can_remove", role_may_change(s->role, m[i].role, NULL));
		cJSON_AddItemToArray(members, o);
	}
	invites = cJSON_AddArrayToObject(v, "invites");
	for (int i = 0; i < ni; i++) {
		cJSON *o = cJSON_CreateObject();

		page_int(inv[i].id, id, sizeof(id));
		cJSON_AddStringToObject(o, "id", id);
		cJSON_AddStringToObject(o, "email", inv[i].email);
		cJSON_AddStringToObject(o, "role_label", role_label_of(inv[i].role));
		cJSON_AddStringToObject(o, "inviter", inv[i].inviter);
		page_when(o, "created", inv[i].created, now);
		page_when(o, "expires", inv[i].expires, now);
		cJSON_AddItemToArray(invites, o);
	}
	free(m);
	free(inv);
	cJSON_AddItemToObject(v, "invite_roles", role_choices(s->role, NULL, "member"));
	cJSON_AddBoolToObject(v, "mail_on", c->app->conf.smtp_url[0] != '\0');
	if (error)
		cJSON_AddStringToObject(v, "error", error);
	if (email)
		cJSON_AddStringToObject(v, "email_value", email);
	return page_render(c, status, "team", "Team", v);
}

int page_team_get(struct ctx *c)
{
	return team_page(c, 200, NULL, NULL);
}

/* How many pending invitations the organisation has: *n.  0 or -1. */
static int pending(struct ctx *c, int *n)
{
	struct invite_item *inv = NULL;
	int rc = db_team_invites(c->db, c->sess->org_id, c->sess->tz, &inv, n);

	free(inv);
	return rc < 0 ? -1 : 0;
}

int page_team_invite_post(struct ctx *c)
{
	const struct conf *conf = &c->app->conf;
	const struct session *s = c->sess;
	const char *email = req_form(c->req, "email"); /* valid_email */
	const char *role = req_form(c->req, "role");   /* valid_role */
	char token[44], hash[65], url[600], text[1600], entry[700];
	long long id;
	int rc, n, mailed = 0;
	cJSON *v;

	if (!role_may_change(s->role, NULL, role))
		return team_page(c, 403,
				 "Only an owner can invite someone as an owner. Nothing was "
				 "changed.",
				 email);
	rc = db_team_is_member(c->db, s->org_id, email);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return team_page(c, 409,
				 "That address already belongs to a member of this "
				 "organisation. Change their role below instead. Nothing was "
				 "changed.",
				 email);
	if (pending(c, &n) < 0)
		return -1;
	if (n >= INVITES_PENDING_MAX)
		return team_page(
		    c, 409,
		    "Your organisation has 50 pending invitations: revoke some, or wait "
		    "for them to be accepted or to expire. Nothing was changed.",
		    email);
	if (sess_state_new(token) < 0 || sess_state_hash(token, hash) < 0)
		return -1;
	snprintf(url, sizeof(url), "%s/invite?t=%s", conf->base_url, token);
	snprintf(text, sizeof(text),
		 "%s (%s) invites you to join %s on JetStack AI as %s.\n\nOpen this link to "
		 "accept and set your password (if you already have a JetStack AI account, you "
		 "sign in with it instead):\n\n%s\n\nThe link works for %ld hours and only once.\n",
		 s->email, s->org_name, s->org_name, role_label_of(role), url, INVITE_TTL / 3600);
	if (db_begin(c->db) < 0)
		goto fail;
	if (db_team_invite_create(c->db, s->org_id, email, role, hash, s->user_id, INVITE_TTL,
				  &id) < 0)
		goto fail;
	rc = page_mail_notice(c, s->org_id, s->user_id, email, "You are invited to JetStack AI",
			      text, 1);
	if (rc < 0)
		goto fail;
	mailed = rc == 1;
	snprintf(entry, sizeof(entry), "%s invited %s as %s%s.", s->email, email,
		 role_label_of(role), mailed ? " (mailed)" : "");
	if (db_activity_add(c->db, s->org_id, 0, s->user_id, "user_invited", entry, NULL) < 0 ||
	    db_commit(c->db) < 0)
		goto fail;
	log_event(LOG_INFO, c->req->id, "user_invited", NULL);
	if (mailed) {
		memset(token, 0, sizeof(token));
		snprintf(entry, sizeof(entry),
			 "Invitation mailed to %s. The link works for %ld hours.", email,
			 INVITE_TTL / 3600);
		page_flash(c, entry);
		return http_redirect(c->resp, 303, "/team");
	}
	v = cJSON_CreateObject();
	cJSON_AddStringToObject(v, "url", url);
	cJSON_AddStringToObject(v, "email", email);
	cJSON_AddStringToObject(v, "role_label", role_label_of(role));
	cJSON_AddNumberToObject(v, "hours", (double)(INVITE_TTL / 3600));
	memset(token, 0, sizeof(token));
	return page_render(c, 200, "team_invited", "Invitation", v);
fail:
	memset(token, 0, sizeof(token));
	db_rollback(c->db);
	return -1;
}

int page_team_invite_revoke_post(struct ctx *c)
{
	char email[256], msg[400];
	int rc = db_team_invite_revoke(c->db, c->sess->org_id, c->req->path_id, email);

	if (rc < 0)
		return -1;
	if (rc == 0)
		return page_error(
		    c, 404, "Invitation not found",
		    "There is no such pending invitation in your organisation. Nothing "
		    "was changed.");
	snprintf(msg, sizeof(msg), "The invitation of %s was revoked: its link no longer works.",
		 email);
	page_flash(c, msg);
	return http_redirect(c->resp, 303, "/team");
}

/*
 * A change of target's membership (to a role, or NULL: removal) by the
 * signed-in user, in one transaction under the organisation's lock: the
 * roles are read after the lock, role_may_change() decides who may, and
 * the database keeps the last owner.  Answers the page itself.
 */
static int change(struct ctx *c, const char *to)
{
	const struct session *s = c->sess;
	long long target = c->req->path_id;
	struct team_pair pr;
	char entry[800];
	int rc;

	if (db_begin(c->db) < 0 || db_team_lock(c->db, s->org_id, s->user_id, target, &pr) < 0)
		goto fail;
	if (pr.target_role[0] == '\0') {
		db_rollback(c->db);
		return page_error(
		    c, 404, "Member not found",
		    "There is no such member in your organisation. Nothing was changed.");
	}
	if (!role_may_change(pr.actor_role, pr.target_role, to)) {
		db_rollback(c->db);
		return page_error(
		    c, 403, "Permission needed",
		    "Only an owner can change an owner's role, remove an owner or make "
		    "someone an owner. Nothing was changed.");
	}
	if (to != NULL && strcmp(to, pr.target_role) == 0) {
		db_rollback(c->db);
		page_flash(c, "The role was already that: nothing was changed.");
		return http_redirect(c->resp, 303, "/team");
	}
	rc = to != NULL ? db_team_set_role(c->db, s->org_id, target, to)
			: db_team_remove(c->db, s->org_id, target);
	if (rc < 0)
		goto fail;
	if (rc == 0) {
		db_rollback(c->db);
		return page_error(c, 409, "The last owner stays",
				  "An organisation always keeps at least one owner: make someone "
				  "else an owner first. Nothing was changed.");
	}
	if (to != NULL)
		snprintf(entry, sizeof(entry), "%s changed the role of %s from %s to %s.", s->email,
			 pr.target_email, role_label_of(pr.target_role), role_label_of(to));
	else
		snprintf(entry, sizeof(entry), "%s removed %s (%s) from the organisation.",
			 s->email, pr.target_email, role_label_of(pr.target_role));
	if (db_activity_add(c->db, s->org_id, 0, s->user_id, to ? "role_changed" : "member_removed",
			    entry, NULL) < 0 ||
	    db_commit(c->db) < 0)
		goto fail;
	log_event(LOG_INFO, c->req->id, to ? "role_changed" : "member_removed", NULL);
	if (target == s->user_id && to == NULL) /* they left: this session has ended */
		return http_redirect(c->resp, 303, "/login");
	snprintf(entry, sizeof(entry),
		 to ? "The role of %s is now %s." : "%s was removed from the organisation%s.",
		 pr.target_email, to ? role_label_of(to) : "; their sessions here have ended");
	page_flash(c, entry);
	return http_redirect(c->resp, 303,
			     target == s->user_id && !role_can_team(to) ? "/portals" : "/team");
fail:
	db_rollback(c->db);
	return -1;
}

int page_team_role_post(struct ctx *c)
{
	return change(c, req_form(c->req, "role")); /* valid_role */
}

int page_team_remove_get(struct ctx *c)
{
	const struct session *s = c->sess;
	struct member_row *m = NULL;
	int n = 0, found = -1;
	char action[80], msg[1200];
	cJSON *v;

	if (db_team_members(c->db, s->org_id, s->tz, &m, &n) < 0)
		return -1;
	for (int i = 0; i < n && found < 0; i++)
		if (m[i].user_id == c->req->path_id)
			found = i;
	if (found < 0) {
		free(m);
		return page_error(c, 404, "Member not found",
				  "There is no such member in your organisation.");
	}
	if (!role_may_change(s->role, m[found].role, NULL)) {
		free(m);
		return page_error(c, 403, "Permission needed",
				  "Only an owner can remove an owner. Nothing was changed.");
	}
	v = cJSON_CreateObject();
	snprintf(action, sizeof(action), "/team/members/%lld/remove", m[found].user_id);
	snprintf(msg, sizeof(msg),
		 "%s (%s) will no longer see or change anything in %s, and their sessions here end "
		 "at once. Their account and any other organisations they belong to stay.",
		 m[found].email, role_label_of(m[found].role), s->org_name);
	cJSON_AddStringToObject(v, "action", action);
	cJSON_AddStringToObject(v, "email", m[found].email);
	cJSON_AddStringToObject(v, "message", msg);
	free(m);
	return page_render(c, 200, "team_remove", "Remove from the organisation", v);
}

int page_team_remove_post(struct ctx *c)
{
	return change(c, NULL);
}

int page_orgs_get(struct ctx *c)
{
	const struct session *s = c->sess;
	const char *next = req_query(c->req, "next"); /* valid_local_path */
	struct org_row *o = NULL;
	long long now = (long long)time(NULL);
	int n = 0;
	char id[24];
	cJSON *v, *orgs;

	if (db_team_orgs(c->db, s->user_id, s->tz, &o, &n) < 0)
		return -1;
	v = cJSON_CreateObject();
	orgs = cJSON_AddArrayToObject(v, "orgs");
	for (int i = 0; i < n; i++) {
		cJSON *x = cJSON_CreateObject();

		page_int(o[i].org_id, id, sizeof(id));
		cJSON_AddStringToObject(x, "id", id);
		cJSON_AddStringToObject(x, "name", o[i].name);
		cJSON_AddStringToObject(x, "role_label", role_label_of(o[i].role));
		cJSON_AddBoolToObject(x, "current", o[i].org_id == s->org_id);
		page_when(x, "last_sign_in", o[i].last_sign_in, now);
		cJSON_AddItemToArray(orgs, x);
	}
	free(o);
	if (next)
		cJSON_AddStringToObject(v, "next", next);
	return page_render(c, 200, "orgs", "Choose an organisation", v);
}

int page_org_switch_post(struct ctx *c)
{
	const struct session *s = c->sess;
	const char *next = req_form(c->req, "next");		    /* valid_local_path */
	long long org = strtoll(req_form(c->req, "org"), NULL, 10); /* valid_id */
	char role[16], old[65];
	int rc;

	/* the session's own organisation: its membership was read with the
	 * session (db_session_load), no need to ask again */
	if (org == s->org_id)
		return http_redirect(c->resp, 303, next ? next : "/portals");
	rc = db_user_role(c->db, s->user_id, org, role);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return page_error(
		    c, 404, "Organisation not found",
		    "You are not a member of that organisation. Nothing was changed.");
	/* a new session (a new id, CSRF token and signed org grant) for the
	 * other organisation; then this one ends */
	memcpy(old, s->sid_hash, sizeof(old));
	if (page_team_sign_in(c, s->user_id, org, 1, next) < 0 || db_session_end(c->db, old) < 0)
		return -1;
	return 0;
}
