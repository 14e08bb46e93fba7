/*
 * db_runs: runs and HubSpot pacing.  See db_runs.h.
 */
#include "db_runs.h"
#include "db_int.h"

#include <stdio.h>
#include <string.h>

static void run_take(const PGresult *r, int i, struct run_row *o)
{
	memset(o, 0, sizeof(*o));
	o->id = db_get_ll(r, i, "id");
	o->org_id = db_get_ll(r, i, "org_id");
	o->portal_id = db_get_ll(r, i, "portal_id");
	o->started_by = db_get_ll(r, i, "started_by");
	db_copy(o->kind, sizeof(o->kind), db_get(r, i, "kind"));
	db_copy(o->state, sizeof(o->state), db_get(r, i, "state"));
	o->steps_total = (int)db_get_ll(r, i, "steps_total");
	o->steps_done = (int)db_get_ll(r, i, "steps_done");
	o->items_seen = (long)db_get_ll(r, i, "items_seen");
	o->items_new = (long)db_get_ll(r, i, "items_new");
	o->items_changed = (long)db_get_ll(r, i, "items_changed");
	o->items_unchanged = (long)db_get_ll(r, i, "items_unchanged");
	o->items_gone = (long)db_get_ll(r, i, "items_gone");
	o->items_failed = (long)db_get_ll(r, i, "items_failed");
	o->hs_calls = (long)db_get_ll(r, i, "hs_calls");
	db_copy(o->failure_code, sizeof(o->failure_code), db_get(r, i, "failure_code"));
	db_copy(o->failure_message, sizeof(o->failure_message), db_get(r, i, "failure_message"));
	db_copy(o->failure_category, sizeof(o->failure_category),
		db_get(r, i, "failure_category"));
	db_copy(o->failure_correlation_id, sizeof(o->failure_correlation_id),
		db_get(r, i, "failure_correlation_id"));
	db_copy(o->created, sizeof(o->created), db_get(r, i, "created"));
	db_copy(o->finished, sizeof(o->finished), db_get(r, i, "finished"));
	o->started_at = db_get_ll(r, i, "started_at");
	o->finished_at = db_get_ll(r, i, "finished_at");
	o->now = db_get_ll(r, i, "now");
	db_copy(o->portal_name, sizeof(o->portal_name), db_get(r, i, "portal_name"));
	o->hub_id = db_get_ll(r, i, "hub_id");
	db_copy(o->started_by_email, sizeof(o->started_by_email), db_get(r, i, "started_by_email"));
	db_copy(o->last_error, sizeof(o->last_error), db_get(r, i, "last_error"));
}

int db_runs_create(struct db *db, long long org, long long portal, const char *kind,
		   long long user, int steps_total, const char *failure_code,
		   const char *failure_message, long long *id)
{
	char o[24], p[24], u[24] = "", st[24];
	PGresult *r;
	int own_tx = !db->in_tx;

	LL(o, org);
	LL(p, portal);
	if (user > 0)
		LL(u, user);
	LL(st, steps_total);
	if (own_tx && db_begin(db) < 0)
		return -1;
	const char *params[] = {o,  p,
				kind, u,
				st, failure_code ? failure_code : "",
				failure_message ? failure_message : ""};
	r = db_run(db, ST_RUN_CREATE, 7, params);
	if (r == NULL || PQntuples(r) != 1)
		goto fail;
	*id = db_get_ll(r, 0, "id");
	PQclear(r);
	r = NULL;
	if (failure_code == NULL) {
		char rid[24];

		LL(rid, *id);
		const char *jp[] = {kind, p, rid, st};
		if (db_cmd(db, ST_RUN_JOB_CREATE, 4, jp) != steps_total ||
		    db_cmd(db, ST_JOBS_NOTIFY, 0, NULL) < 0)
			goto fail;
	}
	if (own_tx && db_commit(db) < 0)
		goto fail;
	return 1;
fail:
	PQclear(r);
	if (own_tx)
		db_rollback(db);
	return -1;
}

int db_runs_get(struct db *db, long long org, long long id, const char *tz,
		struct run_row *out)
{
	char i[24], o[24];
	PGresult *r;
	int result;

	memset(out, 0, sizeof(*out));
	LL(i, id);
	LL(o, org);
	const char *p[] = {i, o, db_tz(tz)};
	r = db_run(db, ST_RUN_GET, 3, p);
	if (r == NULL)
		return -1;
	result = PQntuples(r) == 1;
	if (result)
		run_take(r, 0, out);
	PQclear(r);
	return result;
}

int db_runs_start(struct db *db, long long id)
{
	char i[24];
	long n;

	LL(i, id);
	const char *p[] = {i};
	n = db_cmd(db, ST_RUN_START, 1, p);
	return n < 0 ? -1 : n > 0;
}

int db_runs_step(struct db *db, long long id, int step, long seen, long new_, long changed,
		 long unchanged, long gone, long calls)
{
	char v[8][24];
	long n;

	LL(v[0], id);
	LL(v[1], step);
	LL(v[2], seen);
	LL(v[3], new_);
	LL(v[4], changed);
	LL(v[5], unchanged);
	LL(v[6], gone);
	LL(v[7], calls);
	const char *p[] = {v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
	PGresult *r = db_run(db, ST_RUN_STEP, 8, p);

	if (r == NULL)
		return -1;
	n = PQntuples(r) == 1 ? (strcmp(db_get(r, 0, "last"), "t") == 0 ? 2 : 1) : 0;
	PQclear(r);
	return (int)n;
}

int db_runs_add_calls(struct db *db, long long id, long n)
{
	char i[24], c[24];

	if (n <= 0)
		return 1;
	LL(i, id);
	LL(c, n);
	const char *p[] = {i, c};
	return db_cmd(db, ST_RUN_ADD_CALLS, 2, p) < 0 ? -1 : 1;
}

int db_runs_finish(struct db *db, long long id, const char *state, const char *code,
		   const char *message, const char *category, const char *correlation_id)
{
	char i[24];
	long n;

	LL(i, id);
	const char *p[] = {i,
			   state,
			   code ? code : "",
			   message ? message : "",
			   category ? category : "",
			   correlation_id ? correlation_id : ""};
	n = db_cmd(db, ST_RUN_FINISH, 6, p);
	return n < 0 ? -1 : n > 0;
}

int db_runs_list(struct db *db, long long org, long long portal, const char *kind,
		 long long before, const char *tz, struct run_row *out, int max, int *n)
{
	char o[24], p[24], b[24], m[24];
	PGresult *r;

	*n = 0;
	LL(o, org);
	LL(p, portal);
	LL(b, before);
	LL(m, max);
	const char *params[] = {o, p, kind ? kind : "", b, m, db_tz(tz)};
	r = db_run(db, ST_RUNS_LIST, 6, params);
	if (r == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r) && i < max; i++)
		run_take(r, i, &out[(*n)++]);
	PQclear(r);
	return 1;
}

int db_pace_take(struct db *db, long long hub, int limit, long window_ms, long *wait_ms)
{
	char h[24], l[24], w[24];
	PGresult *r;
	int granted;

	LL(h, hub);
	LL(l, limit);
	LL(w, window_ms);
	const char *p[] = {h, l, w};
	r = db_run(db, ST_PACE_TAKE, 3, p);
	if (r == NULL || PQntuples(r) != 1) {
		PQclear(r);
		return -1;
	}
	granted = strcmp(db_get(r, 0, "granted"), "t") == 0;
	*wait_ms = granted ? 0 : (long)db_get_ll(r, 0, "wait_ms");
	PQclear(r);
	return granted;
}

int db_pace_block(struct db *db, long long hub, long wait_ms)
{
	char h[24], w[24];

	LL(h, hub);
	LL(w, wait_ms);
	const char *p[] = {h, w};
	return db_cmd(db, ST_PACE_BLOCK, 2, p) < 0 ? -1 : 1;
}
