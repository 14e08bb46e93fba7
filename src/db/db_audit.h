/*
 * db_audit: audits and their findings.  An audit is a run of kind "audit"
 * (db_runs.h) whose portal is the audited one.  Return contract as in db.h.
 */
#ifndef JS_DB_AUDIT_H
#define JS_DB_AUDIT_H

#include "db.h"

/* The most findings one audit keeps (a portal with more is cut, and says so). */
#define AUDIT_FINDINGS_MAX 5000

/* Queue an audit of portal (hub) by user: its run, its row, one job, in
 * one transaction (the caller's when one is open).  1 with *run, or -1. */
int db_audit_create(struct db *db, long long org, long long portal, long long hub,
		    long long user, long long *run);

/* The organisation's Super Admin limit (1..100).  1 with *limit, or -1. */
int db_audit_limit(struct db *db, long long org, int *limit);
/* Set it.  1, 0 no such organisation, -1. */
int db_audit_set_limit(struct db *db, long long org, int limit);

/* ---- the worker's side ---- */
/* The audit's Super Admin limit as queued.  1, 0 no such audit, -1. */
int db_audit_run_limit(struct db *db, long long run, int *limit);
/* Object type ot was read (kept in order, once); users: n users read. */
int db_audit_mark_read(struct db *db, long long run, const char *ot);
int db_audit_mark_users(struct db *db, long long run, int n);

struct audit_finding_in {
	const char *rule, *severity;
	int severity_rank; /* 0 high .. 3 info */
	const char *object_type, *key, *label, *detail;
};
/*
 * Store the findings and complete the audit, inside the caller's
 * transaction: the previous completed audit of the portal is what new and
 * resolved are counted against.  1, 0 already completed, -1.
 */
int db_audit_complete(struct db *db, long long run, const struct audit_finding_in *f, int n);

/* ---- the report ---- */
struct audit_row {
	long long run_id, hub_id, previous_run_id;
	int super_admin_limit, users_read, completed;
	char read_object_types[80]; /* "contacts, companies" */
	int n_high, n_medium, n_low, n_info, n_new, n_resolved;
};
/* The audit of run (of org).  1, 0 not found, -1. */
int db_audit_get(struct db *db, long long org, long long run, struct audit_row *out);

struct audit_finding_row {
	int seq;
	char rule[48], severity[8];
	char object_type[16], key[256], label[512], detail[600];
	int is_new;
};
/* The findings of run (of org), by severity then rule then object; with
 * resolved 1, the previous audit's findings this one no longer has.  *out
 * (free()) and *n.  1 or -1. */
int db_audit_findings(struct db *db, long long org, long long run, int resolved,
		      struct audit_finding_row **out, int *n);

#endif
