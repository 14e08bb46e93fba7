/*
 * db: the database layer's public face.  Only src/db*.c know SQL, libpq and
 * the statement table (db_int.h, db_stmt.h); everyone else calls the
 * entity functions of db_portal.h, db_token.h, db_state.h, db_activity.h,
 * db_job.h, db_session.h, db_user.h and db_admin.h, which take and return
 * plain structs.
 *
 * One struct db per thread or process holds a connection and remembers
 * which statements it has prepared; a broken connection (PostgreSQL
 * restarted) is re-established on the next call.  A struct db may instead
 * borrow from a pool shared by threads (db_init_pooled): it holds one of
 * the pool's connections for each statement, or from db_begin() to
 * db_commit()/db_rollback(), and gives it back after.
 *
 * Return contract of the db_<entity>_<verb>() functions unless stated:
 * <0 error (logged), 0 not found / nothing changed, >0 found / done.
 */
#ifndef JS_DB_H
#define JS_DB_H

#include <stddef.h>

struct pg_conn;	  /* libpq's PGconn, private to the database layer */
struct pg_result; /* libpq's PGresult, likewise */

/* Room for the statement table's prepared flags (db_stmt.h checks that
 * every statement fits). */
#define DB_STMT_SLOTS 384

/* The last thing that failed on a connection, for the request's log line
 * (a 500 names its cause).  what: the statement's name, "connect" or a
 * command; sqlstate "" when the server sent none. */
struct db_fault {
	char what[48];
	char sqlstate[8];
	char message[256];
};

struct db_pool;
struct db_link;

/* Session rows read ahead for a batch of requests (db_session_prefetch) */
#define DB_PREFETCH_MAX 8
struct db_prefetched {
	char sid_hash[65];
	long idle;
	struct pg_result *r; /* NULL once taken */
};

struct db {
	struct pg_conn *conn; /* NULL while a pooled db holds none */
	const char *conninfo;
	unsigned char prepared[DB_STMT_SLOTS]; /* of conn */
	struct db_pool *pool;		       /* NULL: conn is this db's own */
	struct db_link *link;		       /* the pool's slot conn came from */
	int in_tx;
	const char *req_id;    /* the request being served (not owned), for log lines */
	struct db_fault fault; /* cleared by db_fault_clear() */
	struct db_prefetched pre[DB_PREFETCH_MAX];
	int n_pre;
};

/* Forget the last failure (the gate calls it at the start of a request). */
void db_fault_clear(struct db *db);
/* Remember conninfo (not copied; must outlive db) and connect lazily. */
void db_init(struct db *db, const char *conninfo);
void db_close(struct db *db);
/* A pool of up to size connections (connected lazily) for threads that
 * spend most of their time elsewhere (the worker's threads wait on
 * HubSpot): fewer PostgreSQL backends, each of which plans our statements
 * and loads its catalogue caches once.  NULL when out of memory.
 * conninfo is not copied.  Free it after every db using it is closed. */
struct db_pool *db_pool_new(const char *conninfo, int size);
void db_pool_free(struct db_pool *pool);
/* A db that borrows a connection of pool for each statement or
 * transaction (waiting while all are lent).  Not for LISTEN. */
void db_init_pooled(struct db *db, struct db_pool *pool);
/* A db for another thread on the same pool as like (or, for a db with its
 * own connection, a new connection to the same database).  Close it with
 * db_close(). */
void db_init_like(struct db *db, const struct db *like);
/* 1 when the database answers a trivial query, else 0. */
int db_ping(struct db *db);
/* Listen for notifications on this connection (channel_sql: a LISTEN
 * command, a fixed string).  0 ok, -1 error. */
int db_listen(struct db *db, const char *channel_sql);
/* Wait up to timeout_ms for a notification on a listening connection.  1
 * one or more arrived (all consumed), 0 none, -1 the connection failed. */
int db_wait_notify(struct db *db, long timeout_ms);
/* Transactions: 0 ok, -1 error. db_rollback is safe to call anytime.
 * db_begin retries once on a new connection when the server had closed
 * this one (a restart), as the statements do. */
int db_begin(struct db *db);
int db_commit(struct db *db);
void db_rollback(struct db *db);

#endif
