/*
 * db_breaker: the HubSpot circuit breaker's row (sql/0022), shared by every
 * worker thread on every host, and the recovery it starts (issue 18 item
 * 2).  The decisions -- what counts, when to probe, what to log -- are
 * src/jobs/breaker.c's.  Return contract as in db.h.
 */
#ifndef JS_DB_BREAKER_H
#define JS_DB_BREAKER_H

#include <stddef.h>

#include "db.h"

enum breaker_state { BREAKER_CLOSED, BREAKER_OPEN, BREAKER_HALF_OPEN };

struct breaker_view {
	enum breaker_state state;
	int probing;	    /* a probe lease is live */
	int probed_since;   /* a probe was taken since the pass started */
	long next_probe_ms; /* until the next probe is due (0: due) */
};
/* The breaker as a thread sees it before claiming; pass_start: this --once
 * pass's start (Unix time), 0 in forever mode.  1 or -1. */
int db_breaker_state(struct db *db, double pass_start, struct breaker_view *out);

/* An outage-kind failure of portal's call (why: what failed, for logs),
 * counted in the window of window seconds.  1 or -1. */
int db_breaker_failed(struct db *db, long long portal, long window, const char *why);

struct breaker_trip {
	long failures, answers, portals;
	char last_error[300];
};
/* Open the breaker when, within window seconds, at least failures
 * outage-kind failures of at least portals portals outnumber HubSpot's
 * answers; the first probe after probe_s.  1 this call opened it (*out
 * says why), 0 not, -1. */
int db_breaker_trip(struct db *db, long failures, long portals, long window, long probe_s,
		    struct breaker_trip *out);
/* HubSpot answered a call (counted while failures are).  1 or -1. */
int db_breaker_answered(struct db *db, long window);

/* Take the probe lease for worker (lease seconds) when a probe is due, or
 * (pass_start > 0) none was made since this --once pass began.  1 taken,
 * 0 not, -1. */
int db_breaker_probe_take(struct db *db, const char *worker, long lease, double pass_start);
/* The probe failed (why): open again, the next probe after probe_s. */
int db_breaker_probe_failed(struct db *db, const char *worker, long probe_s, const char *why);
/*
 * The probe was answered: in one transaction, close the breaker, take the
 * backoff off the jobs whose failures began with the outage (window: the
 * seconds before it opened that count as its start), make every due
 * refresh and health check due now in the order of its access token's
 * expiry (margin: the refresh margin), and wake the workers.  1 closed,
 * with *open_s (how long it was open), the last error it saw and *pulled
 * (jobs made due); 0 this worker no longer held the probe; -1.
 */
int db_breaker_close(struct db *db, const char *worker, long window, long margin, long *open_s,
		     char *last_error, size_t cap, long *pulled);
/* The portal whose stored refresh token the probe introspects: the
 * Connected portal whose access token expires first.  1 with *portal, 0
 * none, -1. */
int db_breaker_probe_portal(struct db *db, long long *portal);

#endif
