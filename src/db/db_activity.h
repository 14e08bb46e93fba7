/*
 * db_activity: activity entries (a portal's history; user 0 is the
 * worker).  Return contract as in db.h.
 */
#ifndef JS_DB_ACTIVITY_H
#define JS_DB_ACTIVITY_H

#include <cJSON.h>

#include "db.h"

/* Entries a portal's page shows, and one more to know about older ones
 * (also the SQL's LIMIT, in db_stmt.c). */
#define ACTIVITY_FETCH	   26
#define ACTIVITY_PAGE_ROWS (ACTIVITY_FETCH - 1)

int db_activity_add(struct db *db, long long org, long long portal, long long user,
		    const char *kind, const char *message, const char *correlation_id);
/* Activity of a portal, newest first, at most ACTIVITY_FETCH entries with
 * ids below before (0: from the newest), as a cJSON array of objects (id,
 * kind, message, correlation_id, at: Unix seconds, user_email, at_iso: local_iso() in
 * zone tz). */
int db_activity_list(struct db *db, long long org, long long portal, long long before,
		     const char *tz, cJSON **rows);

/* ---- the organisation's activity log (issue 17 item 1) ---- */

/* Entries a page of /activity shows, and one more to know about older
 * ones (also the SQL's LIMIT, in db_stmt.c). */
#define ACTIVITY_LOG_FETCH 51
#define ACTIVITY_LOG_ROWS  (ACTIVITY_LOG_FETCH - 1)

/* Which entries: the log is newest first by (time, id). */
struct activity_filter {
	const char *tz;	  /* the IANA zone times are shown in and dates mean */
	long long portal; /* a portal of the organisation; 0 all, with its own */
	long long user;	  /* 0 everyone and the worker */
	const char *kind; /* NULL or "" every kind */
	const char *from; /* "YYYY-MM-DD" in tz, the first day; NULL or "" open */
	const char *to;	  /* "YYYY-MM-DD" in tz, the last day (included); NULL or "" */
	long long before; /* an entry id: the entries after it in the order; 0 none */
};

/* One entry, as the caller's function sees it (the strings are valid
 * during that call only). */
struct activity_entry {
	long long id;
	const char *at;		 /* local_iso() in the filter's zone: ISO 8601 with offset */
	long long portal_id;	 /* 0: the organisation's own entry */
	const char *portal_name; /* "" for the organisation's own */
	long long hub_id;	 /* 0 for the organisation's own */
	int portal_removed;
	const char *user_email; /* "" when the worker did it */
	const char *kind;
	const char *message;
	const char *correlation_id; /* "" none */
};

/* each(entry, arg) for every entry of a page: at most ACTIVITY_LOG_FETCH
 * entries of org that f selects, after f->before.  each() returning < 0
 * stops.  The number of entries, or -1. */
int db_activity_log(struct db *db, long long org, const struct activity_filter *f,
		    int (*each)(const struct activity_entry *e, void *arg), void *arg);
/* The same for every entry f selects (f->before is ignored), streamed:
 * one statement (one snapshot), its rows read one at a time, so memory
 * does not grow with the log.  The number of entries, or -1 (a failure,
 * or each() < 0). */
long db_activity_export(struct db *db, long long org, const struct activity_filter *f,
			int (*each)(const struct activity_entry *e, void *arg), void *arg);

/* What the filters of a request name. */
struct activity_check {
	char today[11]; /* "YYYY-MM-DD" in f->tz */
	int portal_ok;	/* f->portal is 0 or a portal of org (removed ones too) */
	int user_ok;	/* f->user is 0, a member of org or named in its log */
};
/* 1, or -1. */
int db_activity_check(struct db *db, long long org, const struct activity_filter *f,
		      struct activity_check *out);

/* A choice of a filter: a kind (name), a user (id, email as name) or a
 * portal (id, name, hub_id, removed). */
struct activity_choice {
	long long id;
	long long hub_id;
	int removed;
	char name[256];
};
#define ACTIVITY_PORTAL_CHOICES 500
/* The kinds in org's log (at most 200, by name), its members and whoever
 * else its log names (at most 500, by email), and its portals (at most
 * ACTIVITY_PORTAL_CHOICES + 1, removed ones last).  Each returns an array
 * the caller free()s with *n entries, or NULL (*n 0) on failure. */
struct activity_choice *db_activity_kinds(struct db *db, long long org, int *n);
struct activity_choice *db_activity_users(struct db *db, long long org, int *n);
struct activity_choice *db_activity_portals(struct db *db, long long org, int *n);

#endif
