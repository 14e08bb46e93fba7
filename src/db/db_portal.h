/*
 * db_portal: portals -- the Client Accounts rows, a portal's page, the
 * row lock of connect and reconnect, status changes and scope gaps.
 * Return contract: <0 error, 0 not found / nothing changed, >0 done.
 */
#ifndef JS_DB_PORTAL_H
#define JS_DB_PORTAL_H

#include <cJSON.h>

#include "db.h"
#include "status.h"

enum portal_sort { SORT_NAME, SORT_STATUS, SORT_LAST };

struct portal_counts {
	long connected, needs_reconnection, disconnected;
};

/* A portal row's identity: found (db_portal_find), or locked FOR UPDATE
 * inside a transaction (db_portal_lock). */
struct portal_ref {
	long long id;
	long long hub_id;
	char status[24];
	char conn_type[16];
	char name[256];
};

/* Rows a Client Accounts page shows; each list reads one more to know
 * whether a next page exists.  (Also the SQL's LIMIT, in db_stmt.c.) */
#define PORTAL_FETCH	 51
#define PORTAL_PAGE_ROWS (PORTAL_FETCH - 1)
/* The labels a Client Accounts page offers to filter by, at most. */
#define PORTAL_LABELS_MAX 200

/* Which page of Client Accounts: sort, status filter (NULL: all; a valid
 * status key), and the portal the page starts after (0: the first). */
struct portal_query {
	enum portal_sort sort;
	const char *status;
	long long after;
	/* backwards: with after > 0 the page before that row, else the last
	 * page; rows then come nearest first (the page reverses them) */
	int backward;
	const char *q;	   /* search text; NULL or "" none (then name order) */
	const char *label; /* a label; NULL or "" none (then name order) */
	/* the session (its id hash) whose user's time zone the rows' offsets
	 * are in; NULL or "": the organisation's */
	const char *viewer;
};

/* One Client Accounts row.  Strings point into the page's result (valid
 * until db_portal_page_free); times are Unix seconds, 0 when unset. */
struct portal_list_row {
	long long id, hub_id;
	const char *name, *hub_domain, *conn_type, *status, *reason;
	const char *connected_by, *hs_user_email;
	long long last_connected, last_refreshed, next_check;
	long long last_deploy;		/* the newest deployment to it; 0 none */
	const char *last_deploy_state; /* its run state; "" none */
	const char *reason_code;       /* the status reason's code; "" none */
	const char *labels;	       /* "EU, retainer"; "" none */
	/* the viewer's time zone's offsets from UTC (seconds east) at
	 * last_connected, last_refreshed and next_check */
	int lc_off, lr_off, nc_off;
};

struct pcache_loan;

struct portal_page {
	int n; /* rows read, at most PORTAL_FETCH */
	/* the rows; a page from the page cache fills them only when asked
	 * (db_portal_page_rows): before, only n and db_portal_page_id() */
	struct portal_list_row row[PORTAL_FETCH];
	struct pg_result *res; /* private: what the strings point into */
	/* private: or a page cache value lent until db_portal_page_free */
	const char *blob;
	size_t blob_len;
	const struct pcache_loan *loan; /* NULL: blob is not lent (tests) */
	int packed;			/* row[] not filled from blob yet */
	/* the organisation's change counter and the zone of the rows'
	 * offsets, read with the rows (when n > 0) */
	long long version;
	char tz[65];
	/* how many portals a search of 3 characters or more finds, to 1,001,
	 * read with its rows (when n > 0); else -1 (db_portal_find_count) */
	long long found;
	/* the organisation's labels (the filter's choices, in order), when
	 * read with the session (labels_read: db_session_load on a page cache
	 * hit); else the page reads them itself (db_labels) */
	int labels_read, n_labels;
	char labels[PORTAL_LABELS_MAX][41];
};

/* Free what a page holds and empty it; safe on an empty page. */
void db_portal_page_free(struct portal_page *p);
/* Empty *p (no rows, nothing held, labels not read) without writing its
 * 16 KB. */
void db_portal_page_clear(struct portal_page *p);
/* 1 when p holds rows read (or lent from the page cache), else 0 (empty:
 * nothing to free, the page reads its own). */
int db_portal_page_held(const struct portal_page *p);
/* The id of row i (0 <= i < p->n), filled in or not. */
long long db_portal_page_id(const struct portal_page *p, int i);
/* Fill p->row[] when p came from the page cache and has not yet. */
void db_portal_page_rows(struct portal_page *p);
/* The page q of organisation org's portals into *out (free with
 * db_portal_page_free).  1, or -1 on error (out zeroed). */
int db_portal_list(struct db *db, long long org, const struct portal_query *q,
		   struct portal_page *out);
/* One portal of org as a cJSON object (*out), its times also as
 * local_iso() in zone tz ("last_connected_at" ...). 1 found, 0 not found. */
int db_portal_get(struct db *db, long long org, long long id, const char *tz, cJSON **out);
/* Find a portal of org (not removed) by id, or by hub id when id is 0.
 * 1 found, 0 not. */
int db_portal_find(struct db *db, long long org, long long id, long long hub_id,
		   struct portal_ref *out);
/* The same, locking the row until the caller's transaction ends (call
 * inside db_begin .. db_commit only). */
int db_portal_lock(struct db *db, long long org, long long id, long long hub_id,
		   struct portal_ref *out);
/* Insert a new connected portal; 1 with *id, 0 when the hub exists. */
/* How many portals a search or label filter finds, counted to 1,001
 * (more shows as "1,000+"); a label without a search text is counted
 * exactly.  1 with *n, or -1.  version is the
 * organisation's change counter the caller has just read with the session
 * (0 when it has none): a count the page cache holds under it is used
 * without a read; a count read is held under the counter read with it. */
int db_portal_find_count(struct db *db, long long org, const struct portal_query *q,
			 long long version, long *n);
/* A portal's labels; the organisation's labels (at most max, in order,
 * into out[][41]).  1 or -1. */
int db_label_add(struct db *db, long long org, long long portal, const char *label);
int db_label_remove(struct db *db, long long org, long long portal, const char *label);
int db_labels(struct db *db, long long org, long long portal /* 0: the organisation's */,
	      char (*out)[41], int max, int *n);
/* Set portal id's display name.  1, 0 not found, -1. */
int db_portal_rename(struct db *db, long long org, long long id, const char *name);
int db_portal_insert(struct db *db, long long org, long long hub_id, const char *domain,
		     const char *name, const char *conn_type, long long user_id, long long *id);
int db_portal_set_connected(struct db *db, long long org, long long id, const char *scopes,
			    long long hs_user_id, const char *hs_user_email, long long user_id,
			    const char *domain, long health_in, long check_in);
/* Change status (the reason's) and reason (code, text); 0 when already so. */
int db_portal_set_status(struct db *db, long long org, long long id, enum status_reason reason,
			 const char *text);
/* Remove a portal (status Disconnected, reason "removed" with text). */
int db_portal_remove(struct db *db, long long org, long long id, const char *text);
/*
 * Move a Connected portal to the status of reason, with its code and text,
 * only while its tokens are still of grant.  1 changed (*org set), 0 not
 * (no longer Connected, or reconnected since), -1 error.
 */
int db_portal_degrade(struct db *db, long long portal, long long grant,
		      enum status_reason reason, const char *text, long long *org);
/* A Connected portal whose granted scopes lack required ones. */
struct scope_gap {
	long long portal;
	long long grant; /* its tokens' grant_seq */
	char missing[1024]; /* the missing scopes, ", "-separated */
};
/* The portals of connection type conn_type lacking one of the
 * space-separated required scopes: *out (caller free()s) with *n entries.
 * 1 some, 0 none, -1 error. */
int db_portal_scope_gaps(struct db *db, const char *conn_type, const char *required,
			 struct scope_gap **out, size_t *n);

/* A refresh stored new tokens: record it, next check in next_check_in
 * seconds (or at the next health check, when sooner). */
int db_portal_refreshed(struct db *db, long long portal, long next_check_in);
/* A health check finished: the next one in interval seconds; the next
 * check of either kind when due (the refresh margin before expiry). */
int db_portal_health_done(struct db *db, long long portal, long interval, long margin);

/* A portal as the admin tool lists it. */
struct portal_brief {
	long long id, hub_id;
	char conn_type[16], status[24];
	char name[256];
	char reason[1024];
};
/* Every portal of org, by name: *out (caller free()s), *n entries. 1 or -1. */
int db_portal_admin_list(struct db *db, long long org, struct portal_brief **out, size_t *n);

/* A portal that needs attention (not Connected, not removed). */
struct attention_row {
	long long id, hub_id;
	char name[256], status[24], reason[1024], reason_code[24];
	char since[32]; /* local_iso() in the zone the call named */
	long long now;	/* the database's clock, Unix seconds */
	long blocked;	/* runs refused since (imports, deployments, audits) */
};
#define ATTENTION_MAX 500
/* org's portals that are not Connected, oldest problem first, times in
 * the IANA zone tz: up to ATTENTION_MAX + 1 into *out (free()), *n.  1 or
 * -1. */
int db_portal_attention(struct db *db, long long org, const char *tz, struct attention_row **out,
			int *n);

#endif
