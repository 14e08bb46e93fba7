/*
 * db_job: the job queue in PostgreSQL (claimed with FOR UPDATE SKIP
 * LOCKED, leased, retried with a delay), the worker's counters, and what
 * a job reads of its portal.  Return contract as in db.h.
 */
#ifndef JS_DB_JOB_H
#define JS_DB_JOB_H

#include "db.h"

struct job_row {
	long long id;
	char kind[16]; /* "refresh", "health" */
	long long portal;
	int attempts; /* including this one */
	long long run_id; /* the run an import/deploy/audit job works; 0 none */
	int step;	  /* the run's step this job does (1-based); 0 none */
	long long revocation_id; /* the token a revoke job revokes; 0 none */
};

/* Workers wait on this channel; queuing work notifies it (at commit). */
#define DB_JOBS_LISTEN "LISTEN jetstack_jobs"
/* Start listening on db's connection for new jobs.  0, or -1. */
int db_jobs_listen(struct db *db);
/* Tell waiting workers that jobs were queued (inside the transaction that
 * queued them).  1 or -1. */
int db_jobs_notify(struct db *db);

/* Claim one job for worker (its lease: lease seconds): one whose worker's
 * lease ran out first, else the first due.  1 claimed, 0 none, -1 error. */
int db_job_claim(struct db *db, const char *worker, long lease, struct job_row *out);
/* Finish a job this worker holds. */
int db_job_done(struct db *db, long long job, const char *worker);
/* Put a job back, due in delay seconds, with why as its last error;
 * outage: the failure was outage-kind (hs_error_outage), which the circuit
 * breaker's recovery looks at (the failure streak's start is kept too). */
int db_job_retry(struct db *db, long long job, const char *worker, long delay, const char *why,
		 int outage);
/* Queue due refreshes (margin seconds before the access token expires)
 * and health checks of every Connected portal (one live job per kind and
 * portal). */
int db_jobs_schedule(struct db *db, long margin);
/* Forget a portal's queued refresh and health jobs (after a reconnect). */
int db_jobs_clear_portal(struct db *db, long long portal);
/* Put a job back without counting an attempt, due in delay_ms (it waits
 * for HubSpot's burst limit, not for a failure). */
int db_job_postpone(struct db *db, long long job, const char *worker, long delay_ms);
/* Add one to the worker counter name (e.g. refresh_ok). */
int db_counter_bump(struct db *db, const char *name);

/* What a job reads of its portal. */
struct job_portal {
	int connected; /* Connected and not removed */
	int removed;
	long long org_id, hub_id;
	char status[24];
	char reason[1024];
	char reason_code[24];
	char conn_type[16];
	char name[256];
	char hs_user_id[24];
	char hs_user_email[320];
	char granted_scopes[1024]; /* space-separated */
};
/* 1 with *out, 0 no such portal. */
int db_job_portal(struct db *db, long long portal, struct job_portal *out);

#endif
