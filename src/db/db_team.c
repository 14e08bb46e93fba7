/*
 * db_team: members, invitations, password resets.  See db_team.h.
 */
#include "db_team.h"
#include "db_activity.h"
#include "db_int.h"

#include <stdio.h>
#include <string.h>

/* The rows of a statement, through db_rows.  1 or -1. */
static int rows(struct db *db, enum stmt st, int np, const char *const *p, size_t size,
		void (*take)(const PGresult *, int, void *), void **out, int *n)
{
	*out = db_rows(db, st, np, p, size, take, n);
	return *out != NULL ? 1 : -1;
}

static void member_take(const PGresult *r, int i, void *element)
{
	struct member_row *m = element;

	m->user_id = db_get_ll(r, i, "user_id");
	db_copy(m->email, sizeof(m->email), db_get(r, i, "email"));
	db_copy(m->role, sizeof(m->role), db_get(r, i, "role"));
	m->disabled = db_get_bool(r, i, "disabled");
	db_copy(m->last_sign_in, sizeof(m->last_sign_in), db_get(r, i, "last_sign_in"));
}

int db_team_members(struct db *db, long long org, const char *tz, struct member_row **out, int *n)
{
	char o[24];

	LL(o, org);
	const char *p[] = {o, tz};
	return rows(db, ST_TEAM_MEMBERS, 2, p, sizeof(**out), member_take, (void **)out, n);
}

static void org_take(const PGresult *r, int i, void *element)
{
	struct org_row *x = element;

	x->org_id = db_get_ll(r, i, "org_id");
	db_copy(x->name, sizeof(x->name), db_get(r, i, "name"));
	db_copy(x->role, sizeof(x->role), db_get(r, i, "role"));
	db_copy(x->last_sign_in, sizeof(x->last_sign_in), db_get(r, i, "last_sign_in"));
}

int db_team_orgs(struct db *db, long long user, const char *tz, struct org_row **out, int *n)
{
	char u[24];

	LL(u, user);
	const char *p[] = {u, tz};
	return rows(db, ST_TEAM_ORGS, 2, p, sizeof(**out), org_take, (void **)out, n);
}

int db_team_signed_in(struct db *db, long long user, long long org)
{
	char u[24], o[24];

	LL(u, user);
	LL(o, org);
	const char *p[] = {u, o};
	return db_cmd(db, ST_TEAM_SIGNED_IN, 2, p) < 0 ? -1 : 1;
}

int db_team_is_member(struct db *db, long long org, const char *email)
{
	char o[24];
	long long user;

	LL(o, org);
	const char *p[] = {o, email};
	return db_one_ll(db, ST_TEAM_IS_MEMBER, 2, p, "user_id", &user);
}

static void pair_take(const PGresult *r, int i, void *element)
{
	struct team_pair *x = element;

	db_copy(x->actor_role, sizeof(x->actor_role), db_get(r, i, "actor_role"));
	db_copy(x->target_role, sizeof(x->target_role), db_get(r, i, "target_role"));
	db_copy(x->target_email, sizeof(x->target_email), db_get(r, i, "target_email"));
}

int db_team_lock(struct db *db, long long org, long long actor, long long target,
		 struct team_pair *out)
{
	char o[24], a[24], t[24];

	memset(out, 0, sizeof(*out));
	LL(o, org);
	LL(a, actor);
	LL(t, target);
	const char *lp[] = {o};
	const char *p[] = {o, a, t};
	/* two statements: the second one's snapshot is taken after the lock */
	if (db_cmd(db, ST_TEAM_LOCK_ORG, 1, lp) != 1)
		return -1;
	return db_row(db, ST_TEAM_PAIR, 3, p, pair_take, out) == 1 ? 1 : -1;
}

int db_team_set_role(struct db *db, long long org, long long target, const char *role)
{
	char o[24], t[24];

	LL(o, org);
	LL(t, target);
	const char *p[] = {o, t, role};
	return db_changed(db, ST_TEAM_SET_ROLE, 3, p);
}

int db_team_remove(struct db *db, long long org, long long target)
{
	char o[24], t[24];
	int rc;

	LL(o, org);
	LL(t, target);
	const char *p[] = {o, t};
	rc = db_changed(db, ST_TEAM_REMOVE, 2, p);
	if (rc == 1 && db_cmd(db, ST_TEAM_SESSIONS_END, 2, p) < 0)
		return -1;
	return rc;
}

static void invite_item_take(const PGresult *r, int i, void *element)
{
	struct invite_item *x = element;

	x->id = db_get_ll(r, i, "id");
	db_copy(x->email, sizeof(x->email), db_get(r, i, "email"));
	db_copy(x->role, sizeof(x->role), db_get(r, i, "role"));
	db_copy(x->inviter, sizeof(x->inviter), db_get(r, i, "inviter"));
	db_copy(x->created, sizeof(x->created), db_get(r, i, "created"));
	db_copy(x->expires, sizeof(x->expires), db_get(r, i, "expires"));
}

int db_team_invites(struct db *db, long long org, const char *tz, struct invite_item **out, int *n)
{
	char o[24];

	LL(o, org);
	const char *p[] = {o, tz};
	return rows(db, ST_INVITE_LIST, 2, p, sizeof(**out), invite_item_take, (void **)out, n);
}

int db_team_invite_create(struct db *db, long long org, const char *email, const char *role,
			  const char *token_hash, long long by, long ttl_s, long long *id)
{
	char o[24], b[24], t[24];

	LL(o, org);
	LL(b, by);
	LL(t, ttl_s);
	const char *sp[] = {o, email};
	const char *p[] = {o, email, role, token_hash, b, t};
	if (db_cmd(db, ST_INVITE_SUPERSEDE, 2, sp) < 0)
		return -1;
	return db_one_ll(db, ST_INVITE_CREATE, 6, p, "id", id) == 1 ? 1 : -1;
}

static void email_take(const PGresult *r, int i, void *email)
{
	db_copy(email, 256, db_get(r, i, "email"));
}

int db_team_invite_revoke(struct db *db, long long org, long long id, char email[256])
{
	char o[24], i[24];

	email[0] = '\0';
	LL(o, org);
	LL(i, id);
	const char *p[] = {o, i};
	return db_row(db, ST_INVITE_REVOKE, 2, p, email_take, email);
}

static void invite_take(const PGresult *r, int i, void *element)
{
	struct invite_row *x = element;

	x->id = db_get_ll(r, i, "id");
	x->org_id = db_get_ll(r, i, "org_id");
	db_copy(x->email, sizeof(x->email), db_get(r, i, "email"));
	db_copy(x->role, sizeof(x->role), db_get(r, i, "role"));
	db_copy(x->org_name, sizeof(x->org_name), db_get(r, i, "org_name"));
	db_copy(x->inviter, sizeof(x->inviter), db_get(r, i, "inviter"));
	x->expired = db_get_bool(r, i, "expired");
	x->revoked = db_get_bool(r, i, "revoked");
	x->accepted = db_get_bool(r, i, "accepted");
	x->user_id = db_get_ll(r, i, "user_id");
	x->user_disabled = db_get_bool(r, i, "user_disabled");
}

int db_team_invite_by_hash(struct db *db, const char *token_hash, struct invite_row *out)
{
	const char *p[] = {token_hash};

	memset(out, 0, sizeof(*out));
	return db_row(db, ST_INVITE_BY_HASH, 1, p, invite_take, out);
}

int db_team_invite_accept(struct db *db, const struct invite_row *inv, const char *password_hash,
			  const char *entry, long long *user_id)
{
	char u[24], i[24], o[24];
	int result = -1;

	*user_id = inv->user_id;
	if (db_begin(db) < 0)
		return -1;
	if (*user_id == 0) {
		const char *cp[] = {inv->email, password_hash};

		/* 0: the email has an account since the page was read */
		result = db_one_ll(db, ST_TEAM_USER_CREATE, 2, cp, "id", user_id);
		if (result != 1)
			goto out;
		result = -1;
	}
	LL(u, *user_id);
	LL(i, inv->id);
	LL(o, inv->org_id);
	const char *tp[] = {i, u};
	/* 0: used, revoked or expired meanwhile */
	result = db_changed(db, ST_INVITE_TAKE, 2, tp);
	if (result != 1)
		goto out;
	result = -1;
	const char *jp[] = {u, o, inv->role};
	if (db_cmd(db, ST_TEAM_JOIN, 3, jp) < 0 ||
	    db_activity_add(db, inv->org_id, 0, *user_id, "invite_accepted", entry, NULL) < 0 ||
	    db_commit(db) < 0)
		goto out;
	result = 1;
out:
	if (result != 1)
		db_rollback(db);
	return result;
}

int db_team_reset_requests(struct db *db, const char *email, long window, long *n)
{
	char w[24];
	long long count;

	LL(w, window);
	const char *p[] = {email, w};
	if (db_one_ll(db, ST_RESET_REQUESTS, 2, p, "n", &count) < 0)
		return -1;
	*n = (long)count;
	return 1;
}

int db_team_reset_note(struct db *db, const char *email)
{
	const char *p[] = {email};

	return db_cmd(db, ST_RESET_REQUEST_NOTE, 1, p) < 0 ? -1 : 1;
}

int db_team_reset_create(struct db *db, long long user, const char *token_hash, long ttl_s)
{
	char u[24], t[24];

	LL(u, user);
	LL(t, ttl_s);
	const char *p[] = {u, token_hash, t};
	return db_cmd(db, ST_RESET_CREATE, 3, p) == 1 ? 1 : -1;
}

static void reset_take(const PGresult *r, int i, void *element)
{
	struct reset_row *x = element;

	x->id = db_get_ll(r, i, "id");
	x->user_id = db_get_ll(r, i, "user_id");
	db_copy(x->email, sizeof(x->email), db_get(r, i, "email"));
	x->expired = db_get_bool(r, i, "expired");
	x->used = db_get_bool(r, i, "used");
	x->disabled = db_get_bool(r, i, "disabled");
}

int db_team_reset_by_hash(struct db *db, const char *token_hash, struct reset_row *out)
{
	const char *p[] = {token_hash};

	memset(out, 0, sizeof(*out));
	return db_row(db, ST_RESET_BY_HASH, 1, p, reset_take, out);
}

int db_team_reset_use(struct db *db, const struct reset_row *rs, const char *password_hash)
{
	char i[24], u[24];
	int rc;

	LL(i, rs->id);
	LL(u, rs->user_id);
	const char *ip[] = {i};
	const char *sp[] = {u, password_hash};
	const char *up[] = {u};
	const char *ep[] = {rs->email};
	if (db_begin(db) < 0)
		return -1;
	rc = db_changed(db, ST_RESET_TAKE, 1, ip);
	if (rc == 1)
		rc = db_changed(db, ST_RESET_SET_PASSWORD, 2, sp);
	if (rc == 1 && (db_cmd(db, ST_RESET_USE_ALL, 1, up) < 0 ||
			db_cmd(db, ST_USER_SESSIONS_END, 1, up) < 0 ||
			db_cmd(db, ST_LOGIN_CLEAR, 1, ep) < 0 || db_commit(db) < 0))
		rc = -1;
	if (rc != 1)
		db_rollback(db);
	return rc;
}
