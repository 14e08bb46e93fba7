/*
 * db_breaker: the HubSpot circuit breaker's row.  See db_breaker.h.
 */
#include "db_breaker.h"
#include "db_int.h"
#include "db_job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int db_breaker_state(struct db *db, double pass_start, struct breaker_view *out)
{
	char ps[32];
	PGresult *r;
	const char *st;

	memset(out, 0, sizeof(*out));
	snprintf(ps, sizeof(ps), "%.3f", pass_start);
	const char *p[] = {ps};
	r = db_run(db, ST_BREAKER_STATE, 1, p);
	if (r == NULL)
		return -1;
	if (PQntuples(r) != 1) { /* the row is the migration's: never gone */
		PQclear(r);
		return -1;
	}
	st = db_get(r, 0, "state");
	out->state = strcmp(st, "open") == 0	    ? BREAKER_OPEN
		     : strcmp(st, "half_open") == 0 ? BREAKER_HALF_OPEN
						    : BREAKER_CLOSED;
	out->probing = strcmp(db_get(r, 0, "probing"), "t") == 0;
	out->probed_since = strcmp(db_get(r, 0, "probed_since"), "t") == 0;
	out->next_probe_ms = (long)db_get_ll(r, 0, "next_probe_ms");
	PQclear(r);
	return 1;
}

int db_breaker_failed(struct db *db, long long portal, long window, const char *why)
{
	char pt[24], w[24];

	LL(pt, portal);
	LL(w, window);
	const char *p[] = {pt, w, why};
	return db_cmd(db, ST_BREAKER_FAILED, 3, p) < 0 ? -1 : 1;
}

int db_breaker_trip(struct db *db, long failures, long portals, long window, long probe_s,
		    struct breaker_trip *out)
{
	char f[24], n[24], w[24], pr[24];
	PGresult *r;
	int result;

	memset(out, 0, sizeof(*out));
	LL(f, failures);
	LL(n, portals);
	LL(w, window);
	LL(pr, probe_s);
	const char *p[] = {f, n, w, pr};
	r = db_run(db, ST_BREAKER_TRIP, 4, p);
	if (r == NULL)
		return -1;
	result = PQntuples(r) == 1;
	if (result) {
		out->failures = (long)db_get_ll(r, 0, "window_failures");
		out->answers = (long)db_get_ll(r, 0, "window_answers");
		out->portals = (long)db_get_ll(r, 0, "portals");
		db_copy(out->last_error, sizeof(out->last_error), db_get(r, 0, "last_error"));
	}
	PQclear(r);
	return result;
}

int db_breaker_answered(struct db *db, long window)
{
	char w[24];

	LL(w, window);
	const char *p[] = {w};
	return db_cmd(db, ST_BREAKER_ANSWERED, 1, p) < 0 ? -1 : 1;
}

int db_breaker_probe_take(struct db *db, const char *worker, long lease, double pass_start)
{
	char l[24], ps[32];
	long n;

	LL(l, lease);
	snprintf(ps, sizeof(ps), "%.3f", pass_start);
	const char *p[] = {worker, l, ps};
	n = db_cmd(db, ST_BREAKER_PROBE_TAKE, 3, p);
	return n < 0 ? -1 : n > 0;
}

int db_breaker_probe_failed(struct db *db, const char *worker, long probe_s, const char *why)
{
	char pr[24];

	LL(pr, probe_s);
	const char *p[] = {worker, pr, why};
	return db_cmd(db, ST_BREAKER_PROBE_FAILED, 3, p) < 0 ? -1 : 1;
}

int db_breaker_close(struct db *db, const char *worker, long window, long margin, long *open_s,
		     char *last_error, size_t cap, long *pulled)
{
	char w[24], m[24];
	PGresult *r = NULL;
	long n;

	*open_s = 0;
	*pulled = 0;
	if (cap > 0)
		last_error[0] = '\0';
	LL(w, window);
	LL(m, margin);
	const char *pw[] = {worker};
	const char *pf[] = {w, m};
	if (db_begin(db) < 0)
		return -1;
	r = db_run(db, ST_BREAKER_CLOSE, 1, pw);
	if (r == NULL)
		goto fail;
	if (PQntuples(r) != 1) { /* the lease ran out and another took it */
		PQclear(r);
		db_rollback(db);
		return 0;
	}
	*open_s = (long)db_get_ll(r, 0, "open_s");
	db_copy(last_error, cap, db_get(r, 0, "last_error"));
	PQclear(r);
	n = db_cmd(db, ST_BREAKER_PULL_FORWARD, 2, pf);
	if (n < 0 || db_cmd(db, ST_BREAKER_FAILURES_CLEAR, 0, NULL) < 0 || db_jobs_notify(db) < 0 ||
	    db_commit(db) < 0)
		goto fail;
	*pulled = n;
	return 1;
fail:
	db_rollback(db);
	return -1;
}

int db_breaker_probe_portal(struct db *db, long long *portal)
{
	return db_one_ll(db, ST_BREAKER_PROBE_PORTAL, 0, NULL, "portal_id", portal);
}
