/*
 * audit_job: an audit -- read a portal's property groups and properties of
 * contacts, companies, deals and tickets, and every user (paged to the
 * end), then turn them into findings (audit.h) and store them with the
 * audit, compared with the portal's previous one.  Read-only: an audit
 * never writes to HubSpot.  One job per audit; a job claimed again after
 * its worker died reads everything again (nothing is stored until the
 * end).
 *
 * The status rules: a portal that is not Connected (it turned so while
 * the audit was queued) fails it with no HubSpot call; the status is read
 * again before every call, and a portal that turned yellow meanwhile stops
 * the audit there, failed, with no findings from the partial read (the
 * audit keeps which object types were read).  HubSpot's calls follow
 * runcall.h.
 */
#ifndef JS_AUDIT_JOB_H
#define JS_AUDIT_JOB_H

#include "conf.h"
#include "db.h"
#include "db_job.h"
#include "runcall.h"

struct httpc;

/* Users read at most (pages of HS_USERS_PAGE_MAX). */
#define AUDIT_USERS_MAX 20000

enum run_outcome audit_work(struct db *db, struct httpc *http, const struct conf *conf,
			    const struct job_row *j, char *why, size_t whylen, long *wait_ms);

#endif
