/*
 * deploy_job: one step of a deployment -- the chosen groups and properties
 * of one object type put into the target portal.  The step reads what the
 * target holds (groups, then properties), settles each item by comparing
 * (deploy.h: create, update, unchanged, type conflict), then writes: missing
 * groups first, then missing properties in batches of up to HS_BATCH_MAX,
 * then updates.  Every write is noted on its items before it goes out, so
 * a job claimed again after its worker died reads HubSpot first and settles
 * those items by what it finds: nothing is ever created twice.  The last
 * step done finishes the run (succeeded, partly failed, failed) with its
 * activity entry.
 *
 * The status rules (DESIGN §9): no write is ever sent to a portal that is
 * not Connected.  A deployment queued for such a portal fails at its first
 * call: without usable tokens (disconnected, removed) nothing is sent and
 * the first item fails with the portal's status and reason; otherwise one
 * job makes one read, records HubSpot's answer on the run and its first
 * item, and stops the deployment.  Before every write the portal's status
 * is read again: a portal that left Connected stops the deployment there,
 * recorded on the item that was next.  HubSpot's calls follow runcall.h.
 */
#ifndef JS_DEPLOY_JOB_H
#define JS_DEPLOY_JOB_H

#include "conf.h"
#include "db.h"
#include "db_job.h"
#include "runcall.h"

struct httpc;

/* Work deployment job j (its one step). */
enum run_outcome deploy_work(struct db *db, struct httpc *http, const struct conf *conf,
			     const struct job_row *j, char *why, size_t whylen, long *wait_ms);

#endif
