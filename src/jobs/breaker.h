/*
 * breaker: the HubSpot circuit breaker (issue 18 item 2).  When HubSpot
 * fails broadly -- outage-kind failures (hs_error_outage: no answer, 5xx,
 * 408, a 429 naming no policy) of several portals within a window,
 * outnumbering its answers -- the workers stop calling it: no job is
 * claimed while the breaker is open, and one thread of one worker at a time
 * (a lease in PostgreSQL) probes with one cheap documented call, the
 * introspection of the stored refresh token of the portal whose access
 * token expires first.  An answer closes the breaker and, in the same
 * transaction, takes the backoff off the jobs whose failures began with the
 * outage and makes every due refresh and health check due now, in the
 * order of the access tokens' expiry; a portal that was failing on its own
 * before keeps its backoff (DESIGN section 8).  An outage never changes a
 * portal's status.  The state is one row (db_breaker.h), so every thread
 * on every host shares it.  Thresholds: conf.breaker_*.
 */
#ifndef JS_BREAKER_H
#define JS_BREAKER_H

#include "conf.h"
#include "db.h"
#include "hs.h"

struct httpc;

/* Note what one HubSpot call of a job came to: err NULL when HubSpot
 * answered as documented, else its failure (an answer, or none).  An
 * outage-kind failure may open the breaker (logged at warn, naming the
 * last error). */
void breaker_note(struct db *db, const struct conf *conf, long long portal,
		  const struct hs_error *err);

enum breaker_gate {
	BREAKER_GO,   /* closed (or closed by this thread's probe): claim a job */
	BREAKER_WAIT, /* open: wait *wait_ms, then ask again */
	BREAKER_STOP  /* a --once pass: this pass's probe failed; nothing to do */
};
/*
 * Before a thread claims a job: closed is BREAKER_GO; open, the thread
 * takes the probe when it is due (in a --once pass started at pass_start,
 * also when none was made since the pass began) and probes.  A probe
 * HubSpot answers closes the breaker (logged at info, naming the last error
 * and how long it was open).  worker: the thread's lock owner.
 */
enum breaker_gate breaker_gate(struct db *db, struct httpc *http, const struct conf *conf,
			       const char *worker, double pass_start, long *wait_ms);

#endif
