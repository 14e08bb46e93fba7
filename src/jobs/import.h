/*
 * import: the import job -- a portal's custom properties of contacts,
 * companies, deals and tickets, and the property groups that hold them,
 * become assets in the organisation's library (HubSpot-defined properties
 * never do; HubSpot's groups API has no such flag, so a group is imported
 * when custom properties live in it).  A run has one job per object type,
 * worked in parallel by any workers; each step commits its assets and
 * counts once (a job claimed again after its worker died redoes only its
 * own step), and the last step done finishes the run in the same
 * transaction.
 *
 * The shared call rules are runcall.h's.  The status rules: a portal that is not Connected fails the run at once
 * with an authentication error and no HubSpot call; a connection type
 * that does not allow imports fails it the same way.  HubSpot: 401 ->
 * refresh once (compare-and-swap) and retry once; 429 -> wait what HubSpot
 * says, shared with every worker (db_pace_block); 5xx and timeouts ->
 * retried with backoff, then the run fails with the reason.  Every call
 * first takes a slot of the portal's burst limit (db_pace_take), and a job
 * that would wait long gives its thread back (RUN_POSTPONE).
 *
 * A step's two reads (the groups, the properties) are made at once: the
 * groups on a second thread with side_http (a second handle of the job's
 * thread, so its connection to HubSpot is kept too) and a db of the same
 * pool, the properties on the job's thread; the step waits for both, and
 * when both fail the groups' failure is the one told.
 */
#ifndef JS_IMPORT_H
#define JS_IMPORT_H

#include "conf.h"
#include "db.h"
#include "db_job.h"
#include "runcall.h"

struct httpc;

/* Work import job j (its one step).  side_http: a second handle for the
 * read made beside the job's own (NULL: the reads are made in turn). */
enum run_outcome import_work(struct db *db, struct httpc *http, struct httpc *side_http,
				const struct conf *conf, const struct job_row *j, char *why,
				size_t whylen, long *wait_ms);

#endif
