/*
 * db_runs: runs (imports now; deployments and audits later), their jobs,
 * and HubSpot's burst limit shared by every worker (hs_pacing).  Return
 * contract as in db.h.
 */
#ifndef JS_DB_RUNS_H
#define JS_DB_RUNS_H

#include "db.h"

/* A run as its page and the worker read it. */
struct run_row {
	long long id, org_id, portal_id, started_by;
	char kind[16];	/* import, deploy, audit */
	char state[16]; /* queued, running, succeeded, partly_failed, failed */
	int steps_total, steps_done;
	long items_seen, items_new, items_changed, items_unchanged, items_gone, items_failed;
	long hs_calls;
	char failure_code[16]; /* auth, hubspot, retries, type; "" */
	char failure_message[2000];
	char failure_category[64];
	char failure_correlation_id[80];
	long long started_at, finished_at; /* Unix seconds; 0 unset */
	long long now;			   /* the database's clock */
	/* queued and finished, local_iso() in the zone the call named; "" unset */
	char created[32], finished[32];
	char portal_name[256];
	long long hub_id;
	char started_by_email[256];
	char last_error[300]; /* the job's last retried error, while queued again */
};

/*
 * A new run of kind for portal, started by user.  With failure_code NULL it
 * is queued with one job per step (steps_total); otherwise it is recorded
 * failed at once with that code and message (no job).  1 with *id, or -1.
 */
int db_runs_create(struct db *db, long long org, long long portal, const char *kind,
		   long long user, int steps_total, const char *failure_code,
		   const char *failure_message, long long *id);
/* Run id of org (0: any organisation, for the worker), its times in the
 * IANA zone tz (NULL: UTC).  1, 0 not found. */
int db_runs_get(struct db *db, long long org, long long id, const char *tz,
		struct run_row *out);
/* Mark a run running (its first claim, or a claim after a dead worker).
 * 1 running now, 0 already finished. */
int db_runs_start(struct db *db, long long id);
/* Step step (1-based) done: add its counts.  Applied once per step: 1
 * applied, 2 applied and every step is now done, 0 not applied (a replayed
 * step, or the run already finished), -1 error. */
int db_runs_step(struct db *db, long long id, int step, long seen, long new_, long changed,
		 long unchanged, long gone, long calls);
/* Count n HubSpot calls on the run (every job adds its own, whatever came
 * of it).  1 or -1. */
int db_runs_add_calls(struct db *db, long long id, long n);
/* Finish a run: state and (for failures) why.  1, 0 already finished. */
int db_runs_finish(struct db *db, long long id, const char *state, const char *code,
		   const char *message, const char *category, const char *correlation_id);
/* org's runs, newest first: of portal (0 any), of kind ("" any), before run
 * before (0: the newest), at most max into out, times in zone tz; *n rows.
 * 1 or -1. */
int db_runs_list(struct db *db, long long org, long long portal, const char *kind,
		 long long before, const char *tz, struct run_row *out, int max, int *n);

/*
 * Take one call of HubSpot's burst limit for hub: limit calls per window_ms,
 * shared through PostgreSQL by every worker.  1 granted; 0 not now, with
 * *wait_ms until it may be; -1 error.
 */
int db_pace_take(struct db *db, long long hub, int limit, long window_ms, long *wait_ms);
/* HubSpot answered 429: no call to hub for wait_ms. */
int db_pace_block(struct db *db, long long hub, long wait_ms);

#endif
