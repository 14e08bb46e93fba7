/*
 * db_session: sign-in sessions (stored as the SHA-256 of their id) and
 * the sign-in throttle.  Return contract as in db.h.
 */
#ifndef JS_DB_SESSION_H
#define JS_DB_SESSION_H

#include "db.h"
#include "db_portal.h"

/* A live session with what every signed-in page shows. */
struct session_row {
	long long user_id, org_id;
	char role[16];
	char email[256];
	char org_name[256];
	char flash[512];
	int stale; /* last seen over a minute ago: worth a touch */
	long n_connected, n_needs, n_disconnected; /* the organisation's portals */
	char tz[65]; /* the user's IANA time zone, else the organisation's */
	long n_orgs; /* organisations the user belongs to (team: the switch) */
	long long page_v; /* the organisation's change counter (sql/0023) */
};

/*
 * The session whose id hashes to sid_hash, alive (not ended, not expired,
 * seen within idle seconds, user not disabled).  With q (and org > 0) the
 * Client Accounts page q of organisation org is read in the same round
 * trip into *page (free with db_portal_page_free); *page stays zeroed when
 * the session's organisation is not org.  1 alive, 0 not, -1 error.
 *
 * The page cache (pcache.h, issue 19): when this process holds the page
 * for the view, the session statement is sent with the organisation's
 * labels (page->labels_read) instead of the list, and the rows are
 * served from the cache only if the organisation's change counter it
 * reads is the one they were read under (and in the viewer's zone);
 * otherwise the list is read at once (a second round trip) and held.
 * Rows read with the session are held under the counter their own
 * statement read.  Nothing of the session is ever cached.
 */
int db_session_load(struct db *db, const char *sid_hash, long idle, long long org,
		    const struct portal_query *q, struct session_row *out,
		    struct portal_page *page);
/*
 * A batch of requests that one thread took at once (src/web/server.c):
 * the session statements of n of them (n <= DB_PREFETCH_MAX, sid_hashes
 * and one idle) pipelined in one round trip, so that PostgreSQL wakes
 * once for the batch instead of once for each.  Each row read is held in
 * db until a db_session_load() of the same sid_hash and idle takes it in
 * place of its own statement (one row serves one load); the caller drops
 * what is left when the batch is done, before it reads any other request.
 * Read after every request of the batch arrived, a row is as fresh as
 * that request's own statement would have been.  A failed read holds
 * nothing: each load then reads its own.  The number of rows held.
 */
int db_session_prefetch(struct db *db, int n, const char *const *sid_hashes, long idle);
/* Forget every row db_session_prefetch() read that no load took. */
void db_session_prefetch_drop(struct db *db);
/* 1 created, -1 error. */
int db_session_create(struct db *db, const char *sid_hash, long long user, long long org,
		      long max_age);
int db_session_touch(struct db *db, const char *sid_hash);
int db_session_end(struct db *db, const char *sid_hash);
/* The one-time message the next page shows (NULL clears it). */
int db_session_flash(struct db *db, const char *sid_hash, const char *message);

/* Sign-in failures for email within window seconds: *n. 1, or -1. */
int db_login_failures(struct db *db, const char *email, long window, long *n);
int db_login_failed(struct db *db, const char *email);
int db_login_clear(struct db *db, const char *email);
/* Forget failures older than a day. */
int db_login_failures_cleanup(struct db *db);

#endif
