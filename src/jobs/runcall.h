/*
 * runcall: one HubSpot call of a run (an import's read, a deployment's read
 * or write), the same way for every kind of run:
 *   - first a slot of the portal's burst limit, shared by every worker on
 *     every host through PostgreSQL (db_pace_take); a job that would wait
 *     long gives its thread back (RUNCALL_POSTPONE);
 *   - after any answer, HubSpot's rate-limit headers: a spent window or a
 *     429 blocks the hub for every worker (db_pace_block);
 *   - 401: refresh once (compare-and-swap, refresh.c) and retry once; a
 *     refused refresh settles the portal's status (refresh_refused) and the
 *     run fails with the portal's status and reason;
 *   - 429: wait what HubSpot says, not counted as an attempt;
 *   - 5xx, timeouts: the job is retried with backoff, and after
 *     RUN_MAX_ATTEMPTS the run fails with the reason.
 * Any other answer (400, 403, 404, 409) is the caller's to judge.
 */
#ifndef JS_RUNCALL_H
#define JS_RUNCALL_H

#include "conf.h"
#include "db.h"
#include "db_job.h"
#include "hs.h"
#include "tok.h"

struct httpc;

/* Attempts of a run's job before the run fails on transient errors. */
#define RUN_MAX_ATTEMPTS 5
/* Longest wait for a burst-limit slot inside a thread; longer ones give
 * the thread back. */
#define RUN_MAX_INLINE_WAIT_MS 300

/* What a run's job tells the worker. */
enum run_outcome {
	RUN_DONE,     /* the job's work is over (its step, or the run): finish the job */
	RUN_RETRY,    /* transient: retry the job with backoff (why says what) */
	RUN_POSTPONE, /* wait *wait_ms for the burst limit, attempt not counted */
};

/* One job's calls. */
struct runcall {
	struct db *db;
	struct httpc *http;
	const struct conf *conf;
	const struct job_row *j;
	long long hub_id;
	const char *work; /* "import", "deploy": the verb in messages */
	int writes;	  /* the run writes to HubSpot (a deployment) */
	struct hs_config cfg;
	struct tokens tok; /* the portal's tokens (tok_get), kept fresh */
	int refreshed;	   /* the one refresh after a 401 was spent */
	long calls;	   /* HubSpot calls made */
	long wait_ms;	   /* RUNCALL_POSTPONE: how long */
	char why[300];	   /* RUNCALL_RETRY: what to log */
	/* RUNCALL_FAILED: the run fails with these */
	char fail_code[16]; /* auth, retries */
	char fail_message[1400];
	struct hs_error fail_err;
};

enum runcall_result {
	RUNCALL_OK,	  /* success */
	RUNCALL_ANSWER,	  /* HubSpot answered an error that is the caller's to judge (*err) */
	RUNCALL_FAILED,	  /* the run must fail: fail_code, fail_message, fail_err */
	RUNCALL_RETRY,	  /* retry the job later (why) */
	RUNCALL_POSTPONE, /* give the thread back for wait_ms */
};

/* The call itself: fn(rc, arg, err) with rc->tok.access. */
typedef enum hs_err (*runcall_fn)(struct runcall *rc, void *arg, struct hs_error *err);

/*
 * A call that gave the thread back: RUNCALL_RETRY (rc->why copied into
 * why) or RUNCALL_POSTPONE become *out and 1; any other result is 0.
 */
int runcall_gave_back(const struct runcall *rc, enum runcall_result r, char *why, size_t whylen,
		      enum run_outcome *out);
/* HubSpot's answer in a sentence for a page: "HubSpot answered HTTP 409
 * OBJECT_ALREADY_EXISTS: Property x already exists." (or what failed when
 * no answer came).  Always NUL-terminated. */
void runcall_answer_text(const struct hs_error *err, char *out, size_t n);

/* The reads every run makes of an object type: arg is a struct
 * runcall_read; the previous answer in it is freed first. */
struct runcall_read {
	const char *ot;
	struct hs_groups *g;
	struct hs_properties *p;
};
enum hs_err runcall_read_groups(struct runcall *rc, void *arg, struct hs_error *err);
enum hs_err runcall_read_properties(struct runcall *rc, void *arg, struct hs_error *err);

/*
 * Make call fn (what: "read the contacts properties", for messages), as
 * described above.  *err holds HubSpot's answer (on RUNCALL_OK too, for its
 * rate-limit fields).
 */
enum runcall_result runcall(struct runcall *rc, const char *what, runcall_fn fn, void *arg,
			    struct hs_error *err);

#endif
