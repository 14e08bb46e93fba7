/*
 * db: the only place with SQL.  One struct db per thread or process holds
 * a PGconn and remembers which statements it has prepared; a broken
 * connection (PostgreSQL restarted) is re-established on the next call.
 * Every statement is prepared once per connection with $n placeholders.
 *
 * Return contract of the db_<entity>_<verb>() functions unless stated:
 * <0 error (logged), 0 not found / nothing changed, >0 found / done.
 */
#ifndef JS_DB_H
#define JS_DB_H

#include <cJSON.h>
#include <libpq-fe.h>
#include <stddef.h>

#include "stmt.h"

/* The last thing that failed on a connection, for the request's log line
 * (a 500 names its cause).  what: the statement's name, "connect" or a
 * command; sqlstate "" when the server sent none. */
struct db_fault {
	char what[48];
	char sqlstate[8];
	char message[256];
};

struct db {
	PGconn *conn;
	const char *conninfo;
	unsigned char prepared[ST__MAX];
	int in_tx;
	const char *req_id;    /* the request being served (not owned), for log lines */
	struct db_fault fault; /* cleared by db_fault_clear() */
};

/* Forget the last failure (the gate calls it at the start of a request). */
void db_fault_clear(struct db *db);

/* Remember conninfo (not copied; must outlive db) and connect lazily. */
void db_init(struct db *db, const char *conninfo);
void db_close(struct db *db);
/* Connect or reconnect when needed.  0 ok, -1 database unreachable. */
int db_ensure(struct db *db);
/* 1 when the database answers a trivial query, else 0. */
int db_ping(struct db *db);

/* Run a prepared statement; the result (caller PQclear()s) is NULL on
 * error.  Retries once on a fresh connection when the connection was
 * broken and no transaction is open. */
PGresult *db_run(struct db *db, enum stmt st, int n, const char *const *params);
/* The same with every column in binary format when binary is 1. */
PGresult *db_run_format(struct db *db, enum stmt st, int n, const char *const *params, int binary);
/* A statement call for db_run_pair. */
struct db_call {
	enum stmt st;
	int n;
	const char *params[8];
	int binary;	  /* 1: all columns in binary format */
	char text[4][24]; /* room for numeric parameters' text */
};
/* Run a and b in one round trip (a libpq pipeline with one sync, so one
 * implicit transaction unless one is open).  0 with a's result and b's
 * (NULL when b alone failed; caller PQclear()s them), or -1 with both NULL
 * when a failed or the connection did (b does not run when a fails).
 * Retried once on a fresh connection, as db_run. */
int db_run_pair(struct db *db, const struct db_call *a, const struct db_call *b, PGresult **ra,
		PGresult **rb);
/* Run a statement that returns no rows (or rows to ignore).  Returns the
 * number of rows affected, or -1. */
long db_cmd(struct db *db, enum stmt st, int n, const char *const *params);
/* Transactions: 0 ok, -1 error. db_rollback is safe to call anytime. */
int db_begin(struct db *db);
int db_commit(struct db *db);
void db_rollback(struct db *db);
/* Plain SQL text with no parameters (migrations only). */
int db_exec_script(struct db *db, const char *sql, char *err, size_t errlen);

/* Row helpers over a result: field by name; "" for NULL. */
const char *db_get(const PGresult *r, int row, const char *field);
long long db_get_ll(const PGresult *r, int row, const char *field);
int db_isnull(const PGresult *r, int row, const char *field);
/* Rows of r as a cJSON array of objects of strings (NULL -> JSON null),
 * boolean columns ("t"/"f") as JSON booleans.  Caller cJSON_Delete()s. */
cJSON *db_rows_json(const PGresult *r);
/* The same without copies: strings and keys point into r, which must
 * outlive the JSON (delete the JSON first, then PQclear r). */
cJSON *db_rows_json_ref(const PGresult *r);

/* Binary results: 1 when r has exactly n columns, all binary, of the given
 * type OIDs (20 int8, 25 text, 1184 timestamptz, 16 bool). */
int db_bin_types_ok(const PGresult *r, const unsigned *types, int n);
/* An int8 value; 0 for NULL. */
long long db_bin_int8(const PGresult *r, int row, int col);
/* A timestamptz value as Unix seconds (rounded down); 0 for NULL and for
 * +-infinity. */
long long db_bin_time(const PGresult *r, int row, int col);

#endif
