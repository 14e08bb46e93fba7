/*
 * db_portal: portals, their tokens, OAuth states and activity entries.
 * Return contract: <0 error, 0 not found / nothing changed, >0 done.
 */
#ifndef JS_DB_PORTAL_H
#define JS_DB_PORTAL_H

#include "db.h"
#include "status.h"

enum portal_sort { SORT_NAME, SORT_STATUS, SORT_LAST };

struct portal_counts {
	long connected, needs_reconnection, disconnected;
};

/* A portal row locked FOR UPDATE inside a transaction. */
struct portal_lock {
	long long id;
	long long hub_id;
	char status[24];
	char conn_type[16];
	char name[256];
};

struct oauth_state {
	char session_hash[65];
	long long user_id;
	long long org_id;
	long long portal_id; /* 0: a new connection */
	char conn_type[16];
	int expired;
};

/* Encrypted token row. Blobs are raw bytes (caller frees with free()). */
struct token_row {
	int key_id;
	unsigned char *access;
	size_t access_len;
	unsigned char *refresh;
	size_t refresh_len;
	long long expires;
	long long version;
	long long grant; /* grant_seq: changes on connect/reconnect only */
};
void db_token_row_free(struct token_row *t);

/*
 * One page of the portals of organisation org, at most PORTAL_FETCH rows after the
 * portal with id after (0: from the start) in the sort order; status NULL
 * for all.  *res gets the rows in binary format, columns as in db_stmt.c's
 * LIST_COLS (PORTAL_COL_* below); the caller PQclear()s it.  Returns 1, or
 * -1 on error.
 */
enum {
	PORTAL_COL_ID,		   /* int8 */
	PORTAL_COL_HUB_ID,	   /* int8 */
	PORTAL_COL_NAME,	   /* text */
	PORTAL_COL_HUB_DOMAIN,	   /* text */
	PORTAL_COL_CONN_TYPE,	   /* text */
	PORTAL_COL_STATUS,	   /* text */
	PORTAL_COL_REASON,	   /* text */
	PORTAL_COL_LAST_CONNECTED, /* timestamptz */
	PORTAL_COL_CONNECTED_BY,   /* text */
	PORTAL_COL_HS_USER_EMAIL,  /* text */
	PORTAL_COL_LAST_REFRESHED, /* timestamptz, may be NULL */
	PORTAL_COL_NEXT_CHECK,	   /* timestamptz, may be NULL */
	PORTAL_COL__COUNT
};
int db_portal_list(struct db *db, long long org, enum portal_sort sort, const char *status,
		   long long after, PGresult **res);
/* The same statement as a call for db_run_pair / auth_load_with, with
 * params[0] (the organisation) left for the caller. */
void db_portal_list_call(struct db_call *call, enum portal_sort sort, const char *status,
			 long long after);
/* One portal of org as a cJSON object (*out). 1 found, 0 not found. */
int db_portal_get(struct db *db, long long org, long long id, cJSON **out);
/* Lock a portal by id (or by hub id when id is 0). 1 found, 0 not. */
int db_portal_lock(struct db *db, long long org, long long id, long long hub_id,
		   struct portal_lock *out);
/* Insert a new connected portal; 1 with *id, 0 when the hub exists. */
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

int db_activity_add(struct db *db, long long org, long long portal, long long user,
		    const char *kind, const char *message, const char *correlation_id);
/* Activity of a portal, newest first, at most ACTIVITY_FETCH entries with ids below before (0: from
 * the newest), as a cJSON array. */
int db_activity_list(struct db *db, long long org, long long portal, long long before,
		     cJSON **rows);

int db_state_create(struct db *db, const char *state_hash, const char *session_hash, long long user,
		    long long org, long long portal, const char *conn_type, int ttl_seconds);
/* Consume a state: 1 consumed (out filled, check out->expired), 0 unknown,
 * 2 already used. */
int db_state_consume(struct db *db, const char *state_hash, struct oauth_state *out);

/* Replace the tokens of a portal (insert or overwrite, version + 1). */
int db_tokens_put(struct db *db, long long portal, int key_id, const unsigned char *access,
		  size_t alen, const unsigned char *refresh, size_t rlen, long expires_in);
/* 1 with the row, 0 when the portal has no tokens. */
int db_tokens_get(struct db *db, long long portal, struct token_row *out);
/* Compare-and-swap on version: 1 swapped, 0 the version moved on. */
int db_tokens_cas(struct db *db, long long portal, long long version, int key_id,
		  const unsigned char *access, size_t alen, const unsigned char *refresh,
		  size_t rlen, long expires_in);
int db_tokens_delete(struct db *db, long long portal);
/* Forget a portal's queued refresh and health jobs (after a reconnect). */
int db_jobs_clear_portal(struct db *db, long long portal);

#endif
