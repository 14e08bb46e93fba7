/*
 * db_link: reconnect links.  See db_link.h.
 */
#include "db_link.h"
#include "db_int.h"

#include <stdio.h>
#include <string.h>

int db_link_create(struct db *db, long long org, long long portal, long long user,
		   const char *token_hash, long ttl_s, const char *sent_to, long long *id)
{
	char o[24], p[24], u[24], t[24];

	LL(o, org);
	LL(p, portal);
	LL(u, user);
	LL(t, ttl_s);
	const char *params[] = {o, p, u, token_hash, t, sent_to ? sent_to : ""};
	return db_one_ll(db, ST_LINK_CREATE, 6, params, "id", id) == 1 ? 1 : -1;
}

static void link_take(const PGresult *r, int i, struct link_row *x)
{
	memset(x, 0, sizeof(*x));
	x->id = db_get_ll(r, i, "id");
	x->org_id = db_get_ll(r, i, "org_id");
	x->portal_id = db_get_ll(r, i, "portal_id");
	x->created_by = db_get_ll(r, i, "created_by");
	x->hub_id = db_get_ll(r, i, "hub_id");
	db_copy(x->org_name, sizeof(x->org_name), db_get(r, i, "org_name"));
	db_copy(x->portal_name, sizeof(x->portal_name), db_get(r, i, "portal_name"));
	db_copy(x->conn_type, sizeof(x->conn_type), db_get(r, i, "connection_type"));
	db_copy(x->creator_email, sizeof(x->creator_email), db_get(r, i, "creator_email"));
	db_copy(x->creator_role, sizeof(x->creator_role), db_get(r, i, "creator_role"));
	db_copy(x->sent_to, sizeof(x->sent_to), db_get(r, i, "sent_to"));
	x->portal_removed = strcmp(db_get(r, i, "portal_removed"), "t") == 0;
	x->expired = strcmp(db_get(r, i, "expired"), "t") == 0;
	x->revoked = strcmp(db_get(r, i, "revoked"), "t") == 0;
	x->used = strcmp(db_get(r, i, "used"), "t") == 0;
	x->starts_last_hour = (long)db_get_ll(r, i, "starts");
	db_copy(x->expires, sizeof(x->expires), db_get(r, i, "expires"));
}

static int one(struct db *db, enum stmt st, int np, const char *const *p, struct link_row *out)
{
	PGresult *r = db_run(db, st, np, p);
	int found;

	memset(out, 0, sizeof(*out));
	if (r == NULL)
		return -1;
	found = PQntuples(r) == 1;
	if (found)
		link_take(r, 0, out);
	PQclear(r);
	return found;
}

int db_link_by_hash(struct db *db, const char *token_hash, struct link_row *out)
{
	const char *p[] = {token_hash};

	return one(db, ST_LINK_BY_HASH, 1, p, out);
}

int db_link_get(struct db *db, long long org, long long id, struct link_row *out)
{
	char o[24], i[24];

	LL(o, org);
	LL(i, id);
	const char *p[] = {o, i};
	return one(db, ST_LINK_GET, 2, p, out);
}

int db_link_open(struct db *db, long long org, long long portal, const char *tz,
		 struct link_row *out, int max, int *n)
{
	char o[24], p[24];
	PGresult *r;

	*n = 0;
	LL(o, org);
	LL(p, portal);
	const char *params[] = {o, p, db_tz(tz)};
	r = db_run(db, ST_LINK_OPEN, 3, params);
	if (r == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r) && i < max; i++)
		link_take(r, i, &out[(*n)++]);
	PQclear(r);
	return 1;
}

static int cmd(struct db *db, enum stmt st, int np, const char *const *p)
{
	long n = db_cmd(db, st, np, p);

	return n < 0 ? -1 : n > 0;
}

int db_link_revoke(struct db *db, long long org, long long id)
{
	char o[24], i[24];

	LL(o, org);
	LL(i, id);
	const char *p[] = {o, i};
	return cmd(db, ST_LINK_REVOKE, 2, p);
}

int db_link_start(struct db *db, long long id)
{
	char i[24];

	LL(i, id);
	const char *p[] = {i};
	return cmd(db, ST_LINK_START, 1, p);
}

int db_link_use(struct db *db, long long id)
{
	char i[24];

	LL(i, id);
	const char *p[] = {i};
	return cmd(db, ST_LINK_USE, 1, p);
}
