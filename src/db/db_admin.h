/*
 * db_admin: migrations (the admin tool), and the gauges of /metrics.
 * Return contract as in db.h.
 */
#ifndef JS_DB_ADMIN_H
#define JS_DB_ADMIN_H

#include <stdio.h>

#include "db.h"
#include "status.h"

/* Apply every sql/NNNN_verb_noun.sql in dir not yet recorded, in order,
 * each in one transaction, under an advisory lock.  Prints one line per
 * applied file to out.  Returns the number applied, or -1 (err set). */
int db_migrate(struct db *db, const char *dir, FILE *out, char *err, size_t errlen);
/* What /metrics shows from the database. */
#define DB_COUNTERS_MAX 32
struct db_gauges {
	long portals[STATUS__MAX]; /* by status */
	long jobs_due, jobs_queued, jobs_running;
	long oldest_due_s; /* age of the oldest due job */
	int nkinds;	   /* queued jobs by kind: */
	struct {
		char kind[16];
		long queued;
	} kinds[8];
	struct {
		char name[48]; /* e.g. refresh_ok */
		long long value;
	} counters[DB_COUNTERS_MAX];
	int ncounters;
	/* issue 18: the HubSpot circuit breaker (sql/0022) */
	struct {
		char state[16]; /* closed, open, half_open */
		long long opens, probes_ok, probes_failed;
		long open_s; /* how long it has been open; 0 when closed */
	} breaker;
};
/* 1 with *out, or -1. */
int db_metrics_read(struct db *db, struct db_gauges *out);

#endif
