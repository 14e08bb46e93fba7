/*
 * db_activity: the activity entries of portals and organisations.  See
 * db_activity.h.
 */
#include "db_activity.h"
#include "db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int db_activity_add(struct db *db, long long org, long long portal, long long user,
		    const char *kind, const char *message, const char *correlation_id)
{
	char o[24], pt[24] = "", u[24] = "";

	LL(o, org);
	if (portal)
		LL(pt, portal);
	if (user)
		LL(u, user);
	const char *p[] = {o, pt, u, kind, message, correlation_id ? correlation_id : ""};
	return db_cmd(db, ST_ACTIVITY_ADD, 6, p) == 1 ? 1 : -1;
}

int db_activity_list(struct db *db, long long org, long long portal, long long before,
		     const char *tz, cJSON **rows)
{
	char o[24], pt[24], b[24];
	PGresult *r;

	*rows = NULL;
	LL(o, org);
	LL(pt, portal);
	LL(b, before > 0 ? before : 9223372036854775807LL);
	const char *p[] = {pt, o, b, db_tz(tz)};
	r = db_run(db, ST_ACTIVITY_LIST, 4, p);
	if (r == NULL)
		return -1;
	*rows = db_rows_json(r);
	PQclear(r);
	return *rows ? 1 : -1;
}


/* ---- the organisation's activity log (issue 17 item 1) ---- */

_Static_assert(ST_ACTIVITY_LOG_7 == ST_ACTIVITY_LOG_0 + 7 &&
		   ST_ACTIVITY_CSV_7 == ST_ACTIVITY_CSV_0 + 7,
	       "one statement per set of filters, in the order of filter_set()");

/* The statements' parameters for f, in text (o, pt, u, b: room for them). */
struct act_params {
	char o[24], pt[24], u[24], b[24];
	const char *p[8];
};

static void act_params(struct act_params *a, long long org, const struct activity_filter *f,
		       int with_before)
{
	LL(a->o, org);
	LL(a->pt, f->portal);
	LL(a->u, f->user);
	LL(a->b, with_before && f->before > 0 ? f->before : 0);
	a->p[0] = a->o;
	a->p[1] = db_tz(f->tz);
	a->p[2] = a->pt;
	a->p[3] = a->u;
	a->p[4] = f->kind ? f->kind : "";
	a->p[5] = f->from ? f->from : "";
	a->p[6] = f->to ? f->to : "";
	a->p[7] = a->b;
}

/* Which of the filters with an index are given: 1 portal, 2 user, 4 kind. */
static int filter_set(const struct activity_filter *f)
{
	return (f->portal > 0 ? 1 : 0) | (f->user > 0 ? 2 : 0) | (f->kind && f->kind[0] ? 4 : 0);
}

static void entry_of(const PGresult *r, int i, struct activity_entry *e)
{
	e->id = db_get_ll(r, i, "id");
	e->at = db_get(r, i, "at");
	e->portal_id = db_get_ll(r, i, "portal_id");
	e->portal_name = db_get(r, i, "portal_name");
	e->hub_id = db_get_ll(r, i, "hub_id");
	e->portal_removed = db_get_bool(r, i, "portal_removed");
	e->user_email = db_get(r, i, "user_email");
	e->kind = db_get(r, i, "kind");
	e->message = db_get(r, i, "message");
	e->correlation_id = db_get(r, i, "correlation_id");
}

int db_activity_log(struct db *db, long long org, const struct activity_filter *f,
		    int (*each)(const struct activity_entry *e, void *arg), void *arg)
{
	struct act_params a;
	struct activity_entry e;
	PGresult *r;
	int n, out;

	act_params(&a, org, f, 1);
	r = db_run(db, (enum stmt)(ST_ACTIVITY_LOG_0 + filter_set(f)), 8, a.p);
	if (r == NULL)
		return -1;
	n = PQntuples(r);
	out = n;
	for (int i = 0; i < n; i++) {
		entry_of(r, i, &e);
		if (each(&e, arg) < 0) {
			out = -1;
			break;
		}
	}
	PQclear(r);
	return out;
}

struct act_each {
	int (*each)(const struct activity_entry *e, void *arg);
	void *arg;
};

static int export_row(const PGresult *r, void *arg)
{
	struct act_each *x = arg;
	struct activity_entry e;

	entry_of(r, 0, &e);
	return x->each(&e, x->arg);
}

long db_activity_export(struct db *db, long long org, const struct activity_filter *f,
			int (*each)(const struct activity_entry *e, void *arg), void *arg)
{
	struct act_params a;
	struct act_each x = {each, arg};

	act_params(&a, org, f, 0);
	return db_each_row(db, (enum stmt)(ST_ACTIVITY_CSV_0 + filter_set(f)), 8, a.p, export_row,
			   &x);
}

int db_activity_check(struct db *db, long long org, const struct activity_filter *f,
		      struct activity_check *out)
{
	struct act_params a;
	PGresult *r;

	memset(out, 0, sizeof(*out));
	act_params(&a, org, f, 0);
	r = db_run(db, ST_ACTIVITY_CHECK, 4, a.p);
	if (r == NULL)
		return -1;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return -1;
	}
	db_copy(out->today, sizeof(out->today), db_get(r, 0, "today"));
	out->portal_ok = db_get_bool(r, 0, "portal_ok");
	out->user_ok = db_get_bool(r, 0, "user_ok");
	PQclear(r);
	return 1;
}

static void choice_take(const PGresult *r, int i, void *element)
{
	struct activity_choice *c = element;

	c->id = db_get_ll(r, i, "id");
	c->hub_id = db_get_ll(r, i, "hub_id");
	c->removed = db_get_bool(r, i, "removed");
	db_copy(c->name, sizeof(c->name), db_get(r, i, "name"));
}

static struct activity_choice *choices(struct db *db, enum stmt st, long long org, int *n)
{
	char o[24];

	LL(o, org);
	const char *p[] = {o};
	return db_rows(db, st, 1, p, sizeof(struct activity_choice), choice_take, n);
}

struct activity_choice *db_activity_kinds(struct db *db, long long org, int *n)
{
	return choices(db, ST_ACTIVITY_KINDS, org, n);
}

struct activity_choice *db_activity_users(struct db *db, long long org, int *n)
{
	return choices(db, ST_ACTIVITY_USERS, org, n);
}

struct activity_choice *db_activity_portals(struct db *db, long long org, int *n)
{
	return choices(db, ST_ACTIVITY_PORTALS, org, n);
}
