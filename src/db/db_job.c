/*
 * db_job: the job queue (refresh and health jobs), its counters, and what
 * the worker reads of a portal.  See db_job.h.
 */
#include "db_job.h"
#include "db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int db_jobs_clear_portal(struct db *db, long long portal)
{
	char pt[24];

	LL(pt, portal);
	const char *p[] = {pt};
	return db_cmd(db, ST_JOBS_CLEAR_PORTAL, 1, p) < 0 ? -1 : 1;
}

int db_job_claim(struct db *db, const char *worker, long lease, struct job_row *out)
{
	char l[24];
	PGresult *r;
	int result;

	memset(out, 0, sizeof(*out));
	LL(l, lease);
	const char *p[] = {worker, l};
	/* jobs of a dead worker first, then due jobs in order */
	r = db_run(db, ST_JOB_CLAIM_STALE, 2, p);
	if (r != NULL && PQntuples(r) == 0) {
		PQclear(r);
		r = db_run(db, ST_JOB_CLAIM, 2, p);
	}
	if (r == NULL)
		return -1;
	result = PQntuples(r) == 1;
	if (result) {
		out->id = db_get_ll(r, 0, "id");
		out->portal = db_get_ll(r, 0, "portal_id");
		out->attempts = (int)db_get_ll(r, 0, "attempts");
		out->run_id = db_get_ll(r, 0, "run_id");
		out->step = (int)db_get_ll(r, 0, "step");
		out->revocation_id = db_get_ll(r, 0, "revocation_id");
		db_copy(out->kind, sizeof(out->kind), db_get(r, 0, "kind"));
	}
	PQclear(r);
	return result;
}

int db_job_done(struct db *db, long long job, const char *worker)
{
	char id[24];

	LL(id, job);
	const char *p[] = {id, worker};
	return db_cmd(db, ST_JOB_DONE, 2, p) < 0 ? -1 : 1;
}

int db_job_retry(struct db *db, long long job, const char *worker, long delay, const char *why,
		 int outage)
{
	char id[24], d[24];

	LL(id, job);
	LL(d, delay);
	const char *p[] = {id, worker, d, why, outage ? "true" : "false"};
	return db_cmd(db, ST_JOB_RETRY, 5, p) < 0 ? -1 : 1;
}

int db_jobs_schedule(struct db *db, long margin)
{
	char m[24];

	LL(m, margin);
	const char *p[] = {m};
	if (db_cmd(db, ST_JOBS_SCHEDULE_REFRESH, 1, p) < 0 ||
	    db_cmd(db, ST_JOBS_SCHEDULE_HEALTH, 0, NULL) < 0)
		return -1;
	return 1;
}

int db_counter_bump(struct db *db, const char *name)
{
	const char *p[] = {name};
	return db_cmd(db, ST_COUNTER_BUMP, 1, p) < 0 ? -1 : 1;
}

int db_job_portal(struct db *db, long long portal, struct job_portal *out)
{
	char p[24];
	PGresult *r;
	int result;

	memset(out, 0, sizeof(*out));
	LL(p, portal);
	const char *params[] = {p};
	r = db_run(db, ST_WORKER_PORTAL, 1, params);
	if (r == NULL)
		return -1;
	result = PQntuples(r) == 1;
	if (result) {
		out->connected = strcmp(db_get(r, 0, "status"), "connected") == 0 &&
				 strcmp(db_get(r, 0, "removed"), "f") == 0;
		out->removed = strcmp(db_get(r, 0, "removed"), "t") == 0;
		out->org_id = db_get_ll(r, 0, "org_id");
		out->hub_id = db_get_ll(r, 0, "hub_id");
		db_copy(out->status, sizeof(out->status), db_get(r, 0, "status"));
		db_copy(out->reason, sizeof(out->reason), db_get(r, 0, "status_reason"));
		db_copy(out->reason_code, sizeof(out->reason_code),
			db_get(r, 0, "status_reason_code"));
		db_copy(out->conn_type, sizeof(out->conn_type), db_get(r, 0, "connection_type"));
		db_copy(out->name, sizeof(out->name), db_get(r, 0, "name"));
		db_copy(out->hs_user_email, sizeof(out->hs_user_email),
			db_get(r, 0, "hs_user_email"));
		db_copy(out->hs_user_id, sizeof(out->hs_user_id), db_get(r, 0, "hs_user_id"));
		db_copy(out->granted_scopes, sizeof(out->granted_scopes),
			db_get(r, 0, "granted_scopes"));
	}
	PQclear(r);
	return result;
}

int db_job_postpone(struct db *db, long long job, const char *worker, long delay_ms)
{
	char id[24], d[24];

	LL(id, job);
	LL(d, delay_ms);
	const char *p[] = {id, worker, d};
	return db_cmd(db, ST_JOB_POSTPONE, 3, p) < 0 ? -1 : 1;
}

int db_jobs_listen(struct db *db)
{
	return db_listen(db, DB_JOBS_LISTEN);
}

int db_jobs_notify(struct db *db)
{
	return db_cmd(db, ST_JOBS_NOTIFY, 0, NULL) < 0 ? -1 : 1;
}
