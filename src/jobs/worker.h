/*
 * worker: the background daemon's engine.  Threads claim due jobs from the
 * jobs table (FOR UPDATE SKIP LOCKED, with a lease), so any number of
 * workers on any number of hosts share the work and a job whose worker
 * died is taken again after its lease.  Each thread has its own HubSpot
 * client; conf.worker_concurrency bounds the HubSpot calls in flight.  The
 * threads share conf.worker_db_connections database connections (a thread
 * holds one for a statement or a transaction, never across a HubSpot
 * call); one more connection listens for new jobs and wakes them, and the
 * main thread's schedule sweep and telling people (mail, webhooks) have
 * their own.
 */
#ifndef JS_WORKER_H
#define JS_WORKER_H

#include "conf.h"
#include "tmpl.h"

/* Run until SIGTERM/SIGINT (finishing the jobs in hand), or, with once,
 * one pass of all due work.  Returns the exit status. */
/* tmpl: the templates for mail (NULL when mail is off). */
int worker_run(const struct conf *conf, const struct tmpl_set *tmpl, int once);

/*
 * The delay before a failing job's next attempt (attempts: including the
 * one that failed): 30 s doubling to at most an hour, times 80..120 %
 * (jitter % 41 picks the percentage), so a broken portal is tried about 8
 * times in the first hour and once an hour after that.
 */
long worker_backoff(int attempts, unsigned jitter);

#endif
