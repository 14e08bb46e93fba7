/*
 * db_apitoken: API tokens and the read API's statements.  See
 * db_apitoken.h.
 */
#include "db_apitoken.h"
#include "db_int.h"
#include "db_webhook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int db_apitoken_count(struct db *db, long long org, int *n, int *cap)
{
	return db_count_cap(db, ST_APITOKEN_COUNT, org, n, cap);
}

int db_apitoken_create(struct db *db, long long org, long long user, const char *name,
		       const char *hash, const char *prefix, long long *id, int *cap)
{
	char o[24], u[24] = "", k[24];
	long long c;

	*id = 0;
	*cap = 0;
	LL(o, org);
	if (user > 0)
		LL(u, user);
	const char *lp[] = {o};
	if (db_one_ll(db, ST_APITOKEN_LOCK_ORG, 1, lp, "cap", &c) != 1)
		return -1;
	*cap = (int)c;
	LL(k, *cap);
	const char *p[] = {o, name, hash, prefix, u, k};
	return db_one_ll(db, ST_APITOKEN_CREATE, 6, p, "id", id);
}

static void token_take(const PGresult *r, int i, void *element)
{
	struct apitoken_row *t = element;

	t->id = db_get_ll(r, i, "id");
	db_copy(t->name, sizeof(t->name), db_get(r, i, "name"));
	db_copy(t->prefix, sizeof(t->prefix), db_get(r, i, "prefix"));
	db_copy(t->created_by, sizeof(t->created_by), db_get(r, i, "created_by"));
	db_copy(t->created_at, sizeof(t->created_at), db_get(r, i, "created_at"));
	db_copy(t->last_used_at, sizeof(t->last_used_at), db_get(r, i, "last_used_at"));
	db_copy(t->revoked_at, sizeof(t->revoked_at), db_get(r, i, "revoked_at"));
	db_copy(t->revoked_by, sizeof(t->revoked_by), db_get(r, i, "revoked_by"));
}

int db_apitoken_list(struct db *db, long long org, const char *tz, struct apitoken_row **out,
		     int *n)
{
	char o[24];

	LL(o, org);
	const char *p[] = {o, tz};
	*out = db_rows(db, ST_APITOKEN_LIST, 2, p, sizeof(**out), token_take, n);
	return *out != NULL ? 1 : -1;
}

/* A revoked token's name and prefix. */
struct revoked {
	char *name, *prefix;
};

static void revoked_take(const PGresult *r, int i, void *out)
{
	struct revoked *x = out;

	db_copy(x->name, 101, db_get(r, i, "name"));
	db_copy(x->prefix, 16, db_get(r, i, "prefix"));
}

int db_apitoken_revoke(struct db *db, long long org, long long id, long long user, char name[101],
		       char prefix[16])
{
	struct revoked x = {name, prefix};
	char o[24], i[24], u[24] = "";

	name[0] = prefix[0] = '\0';
	LL(o, org);
	LL(i, id);
	if (user > 0)
		LL(u, user);
	const char *p[] = {o, i, u};
	return db_row(db, ST_APITOKEN_REVOKE, 3, p, revoked_take, &x);
}

int db_apitoken_set_max(struct db *db, long long org, int max)
{
	char o[24], m[24];

	LL(o, org);
	LL(m, max);
	const char *p[] = {o, m};
	return db_changed(db, ST_APITOKEN_SET_MAX, 2, p);
}

static void auth_take(const PGresult *r, int i, void *out)
{
	struct apitoken_auth *a = out;

	a->id = db_get_ll(r, i, "id");
	a->org_id = db_get_ll(r, i, "org_id");
	db_copy(a->prefix, sizeof(a->prefix), db_get(r, i, "prefix"));
	db_copy(a->tz, sizeof(a->tz), db_get(r, i, "tz"));
	a->count = (long)db_get_ll(r, i, "n");
	a->reset_in = (int)db_get_ll(r, i, "reset_in");
}

int db_apitoken_auth(struct db *db, const char *hash, long window_s, struct apitoken_auth *out)
{
	char w[24];

	memset(out, 0, sizeof(*out));
	LL(w, window_s);
	const char *p[] = {hash, w};
	return db_row(db, ST_APITOKEN_AUTH, 2, p, auth_take, out);
}

static void portal_take(const PGresult *r, int i, void *element)
{
	struct api_portal *x = element;

	x->id = db_get_ll(r, i, "id");
	x->hub_id = db_get_ll(r, i, "hub_id");
	db_copy(x->name, sizeof(x->name), db_get(r, i, "name"));
	db_copy(x->hub_domain, sizeof(x->hub_domain), db_get(r, i, "hub_domain"));
	db_copy(x->conn_type, sizeof(x->conn_type), db_get(r, i, "connection_type"));
	db_copy(x->status, sizeof(x->status), db_get(r, i, "status"));
	db_copy(x->reason_code, sizeof(x->reason_code), db_get(r, i, "status_reason_code"));
	db_copy(x->reason, sizeof(x->reason), db_get(r, i, "status_reason"));
	x->labels = strdup(db_get(r, i, "labels")); /* NULL: the view shows [] */
	db_copy(x->last_connected_at, sizeof(x->last_connected_at),
		db_get(r, i, "last_connected_at"));
	db_copy(x->last_refreshed_at, sizeof(x->last_refreshed_at),
		db_get(r, i, "last_refreshed_at"));
	db_copy(x->sort_name, sizeof(x->sort_name), db_get(r, i, "sort_name"));
	x->status_rank = (int)db_get_ll(r, i, "status_rank");
	db_copy(x->last_key, sizeof(x->last_key), db_get(r, i, "last_key"));
}

void db_api_portals_free(struct api_portal *p, int n)
{
	for (int i = 0; p != NULL && i < n; i++) {
		free(p[i].labels);
		p[i].labels = NULL;
	}
}

int db_api_portals(struct db *db, long long org, const char *tz, const struct api_portal_query *q,
		   struct api_portal **out, int *n)
{
	static const enum stmt st[API_SORT__MAX] = {
	    [API_SORT_ID] = ST_API_PORTALS_ID,
	    [API_SORT_NAME] = ST_API_PORTALS_NAME,
	    [API_SORT_STATUS] = ST_API_PORTALS_STATUS,
	    [API_SORT_LAST] = ST_API_PORTALS_LAST,
	};
	enum api_sort sort = (unsigned)q->sort < API_SORT__MAX ? q->sort : API_SORT_ID;
	char o[24], lim[24], id[24], rank[24];
	int np = 7;

	LL(o, org);
	LL(lim, q->limit);
	LL(id, q->after_id);
	/* the first page starts below every row */
	LL(rank, q->after_id > 0 ? q->after_rank : -1);
	const char *p[9] = {
	    o, tz, q->status ? q->status : "", q->label ? q->label : "", q->q ? q->q : "", lim, id};
	if (sort == API_SORT_NAME || sort == API_SORT_STATUS) {
		p[np++] = q->after_id > 0 && q->after_name ? q->after_name : "";
		if (sort == API_SORT_STATUS)
			p[np++] = rank;
	} else if (sort == API_SORT_LAST) {
		p[np++] = q->after_id > 0 && q->after_last ? q->after_last : "infinity";
	}
	*out = db_rows(db, st[sort], np, p, sizeof(**out), portal_take, n);
	return *out != NULL ? 1 : -1;
}

int db_api_portal(struct db *db, long long org, const char *tz, long long id,
		  struct api_portal *out)
{
	char o[24], i[24];

	memset(out, 0, sizeof(*out));
	LL(o, org);
	LL(i, id);
	const char *p[] = {o, tz, i};
	return db_row(db, ST_API_PORTAL_GET, 3, p, portal_take, out);
}

int db_api_events(struct db *db, long long org, const char *tz, long long after, int limit,
		  struct webhook_event **out, int *n)
{
	char o[24], a[24], l[24];

	LL(o, org);
	LL(a, after);
	LL(l, limit);
	const char *p[] = {o, tz, a, l};
	*out = db_rows(db, ST_API_EVENTS, 4, p, sizeof(**out), db_event_take, n);
	return *out != NULL ? 1 : -1;
}
