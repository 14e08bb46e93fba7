/*
 * db_apitoken: an organisation's API tokens (stored as their SHA-256),
 * the token check with its rate-limit window, and what the read API
 * (/api/v1/...) reads: portals by keyset, one portal, events.
 * Return contract as in db.h: <0 error, 0 not found / nothing changed,
 * >0 done.
 */
#ifndef JS_DB_APITOKEN_H
#define JS_DB_APITOKEN_H

#include "db.h"
#include "db_webhook.h"

/* A token as the management page shows it; times are local_iso() strings
 * in the zone asked for ("" unset). */
struct apitoken_row {
	long long id;
	char name[101], prefix[16];
	char created_by[256]; /* "" made with jetstack-admin */
	char created_at[40], last_used_at[40], revoked_at[40];
	char revoked_by[256];
};

/* org's tokens not revoked (*n) and its cap (*cap).  1 or -1. */
int db_apitoken_count(struct db *db, long long org, int *n, int *cap);
/* Store a new token of org (its SHA-256 hash, hex, and display prefix),
 * made by user (0: the admin tool), unless org already has its cap of
 * tokens not revoked.  Call inside db_begin .. db_commit: the
 * organisation's row is held until then.  1 with *id, 0 at the cap (*cap
 * set), -1. */
int db_apitoken_create(struct db *db, long long org, long long user, const char *name,
		       const char *hash, const char *prefix, long long *id, int *cap);
/* org's tokens (not revoked first, newest first; then the 50 last
 * revoked), times in zone tz: *out (free()), *n.  1 or -1. */
int db_apitoken_list(struct db *db, long long org, const char *tz, struct apitoken_row **out,
		     int *n);
/* Revoke token id of org (by user).  1 with its name and prefix, 0 not
 * found, not org's or already revoked, -1. */
int db_apitoken_revoke(struct db *db, long long org, long long id, long long user, char name[101],
		       char prefix[16]);
/* The operator's cap on org's tokens (1..100).  1, 0 no such org, -1. */
int db_apitoken_set_max(struct db *db, long long org, int max);

/* Who a request's token is, and where its rate-limit window stands. */
struct apitoken_auth {
	long long id, org_id;
	char prefix[16];
	char tz[65];  /* the organisation's time zone */
	long count;   /* requests in the current window, this one included */
	int reset_in; /* seconds until the window ends (>= 1) */
};
/* Check the token whose SHA-256 is hash (not revoked) and count this
 * request in its window of window_s seconds, in one statement.  1 found
 * (*out), 0 no such live token, -1. */
int db_apitoken_auth(struct db *db, const char *hash, long window_s, struct apitoken_auth *out);

/* A portal as the API shows it. */
struct api_portal {
	long long id, hub_id;
	char name[256], hub_domain[256], conn_type[16], status[24];
	char reason_code[24], reason[1024];
	char *labels; /* a JSON array of strings (malloc'd; db_api_portals_free) */
	char last_connected_at[40], last_refreshed_at[40]; /* local_iso(); "" unset */
	/* the row's sort keys, for the next page's cursor */
	char sort_name[256];
	int status_rank;
	char last_key[32]; /* last_connected_at in UTC, "YYYY-MM-DDTHH:MM:SS.UUUUUU" */
};
void db_api_portals_free(struct api_portal *p, int n);

enum api_sort { API_SORT_ID, API_SORT_NAME, API_SORT_STATUS, API_SORT_LAST, API_SORT__MAX };

/* A page of the API's portal list: filters ("" none), the keyset after
 * which it starts (after_id 0: the first page; the other keys are those
 * of the row after_id was, as its cursor carried them) and the rows to
 * read. */
struct api_portal_query {
	enum api_sort sort;
	const char *status, *label, *q;
	long long after_id;
	const char *after_name; /* API_SORT_NAME, API_SORT_STATUS */
	int after_rank;		/* API_SORT_STATUS */
	const char *after_last; /* API_SORT_LAST: a last_key */
	int limit;		/* rows to read, 1..201 */
};
/* The page of org's portals q asks for, times in zone tz: *out (free with
 * db_api_portals_free, then free()), *n.  1 or -1. */
int db_api_portals(struct db *db, long long org, const char *tz, const struct api_portal_query *q,
		   struct api_portal **out, int *n);
/* Portal id of org (not removed).  1 found, 0 not, -1. */
int db_api_portal(struct db *db, long long org, const char *tz, long long id,
		  struct api_portal *out);

/* org's events after id after, oldest first, at most limit, times in zone
 * tz (struct webhook_event, db_webhook.h: the same events webhooks send):
 * *out (free()), *n.  1 or -1. */
int db_api_events(struct db *db, long long org, const char *tz, long long after, int limit,
		  struct webhook_event **out, int *n);

#endif
