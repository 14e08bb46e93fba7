/*
 * db_user: organisations, users, memberships.  See db_user.h.
 */
#include "db_user.h"
#include "db_int.h"

#include <stdio.h>
#include <string.h>

int db_user_login(struct db *db, const char *email, struct login_row *out)
{
	PGresult *r;
	int result;

	memset(out, 0, sizeof(*out));
	const char *p[] = {email};
	r = db_run(db, ST_USER_LOGIN, 1, p);
	if (r == NULL)
		return -1;
	result = PQntuples(r) == 1;
	if (result) {
		out->id = db_get_ll(r, 0, "id");
		out->org_id = db_isnull(r, 0, "org_id") ? 0 : db_get_ll(r, 0, "org_id");
		db_copy(out->password_hash, sizeof(out->password_hash),
			db_get(r, 0, "password_hash"));
		out->disabled = strcmp(db_get(r, 0, "disabled"), "t") == 0;
		out->n_orgs = (long)db_get_ll(r, 0, "n_orgs");
	}
	PQclear(r);
	return result;
}

int db_user_role(struct db *db, long long user, long long org, char role[16])
{
	char u[24], o[24];
	PGresult *r;
	int result;

	role[0] = '\0';
	LL(u, user);
	LL(o, org);
	const char *p[] = {u, o};
	r = db_run(db, ST_ROLE_OF, 2, p);
	if (r == NULL)
		return -1;
	result = PQntuples(r) == 1;
	if (result)
		db_copy(role, 16, db_get(r, 0, "role"));
	PQclear(r);
	return result;
}

static int find_id(struct db *db, enum stmt st, const char *arg, long long *id)
{
	const char *p[] = {arg};

	return db_one_ll(db, st, 1, p, "id", id);
}

int db_org_find(struct db *db, const char *name, long long *id)
{
	return find_id(db, ST_ORG_BY_NAME, name, id);
}

int db_org_create(struct db *db, const char *name, long long *id)
{
	return find_id(db, ST_ORG_CREATE, name, id);
}

int db_user_find(struct db *db, const char *email, long long *id)
{
	return find_id(db, ST_USER_ID_BY_EMAIL, email, id);
}

int db_user_create(struct db *db, long long org, const char *email, const char *hash,
		   const char *role, long long *id)
{
	PGresult *r;
	char u[24], o[24];

	if (db_user_find(db, email, id) != 0)
		return 0;
	if (db_begin(db) < 0)
		return -1;
	const char *p[] = {email, hash};
	r = db_run(db, ST_USER_CREATE, 2, p);
	if (r == NULL || PQntuples(r) != 1) {
		PQclear(r);
		db_rollback(db);
		return -1;
	}
	*id = db_get_ll(r, 0, "id");
	PQclear(r);
	LL(u, *id);
	LL(o, org);
	const char *q[] = {u, o, role};
	if (db_cmd(db, ST_MEMBERSHIP_UPSERT, 3, q) != 1 || db_commit(db) < 0) {
		db_rollback(db);
		return -1;
	}
	return 1;
}

int db_user_set_role(struct db *db, long long user, long long org, const char *role)
{
	char u[24], o[24];

	LL(u, user);
	LL(o, org);
	const char *p[] = {u, o, role};
	return (int)db_cmd(db, ST_MEMBERSHIP_UPSERT, 3, p) < 0 ? -1 : 1;
}

int db_user_disable(struct db *db, long long user)
{
	char u[24];

	LL(u, user);
	const char *p[] = {u};
	if (db_begin(db) < 0)
		return -1;
	if (db_cmd(db, ST_USER_DISABLE, 1, p) < 0 || db_cmd(db, ST_USER_SESSIONS_END, 1, p) < 0 ||
	    db_commit(db) < 0) {
		db_rollback(db);
		return -1;
	}
	return 1;
}

