/*
 * db_int: the database layer's own tools: libpq, the statement table and
 * running statements.  Included only by src/db*.c (make test checks it).
 */
#ifndef JS_DB_INT_H
#define JS_DB_INT_H

#include <cJSON.h>
#include <libpq-fe.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "decimal.h"
#include "db_portal.h"
#include "db_stmt.h"

_Static_assert(ST__MAX <= DB_STMT_SLOTS, "DB_STMT_SLOTS holds every statement");

/* A number as statement parameter text (buf an array of at least
 * DECIMAL_LL_CHARS + 1 bytes). */
#define LL(buf, v)                                                                                 \
	do {                                                                                       \
		_Static_assert(sizeof(buf) > DECIMAL_LL_CHARS, "room for a long long");            \
		db_ll_text(buf, (long long)(v));                                                   \
	} while (0)

static inline void db_ll_text(char *buf, long long v)
{
	char b[DECIMAL_LL_CHARS], *p = decimal_ll(v, b + sizeof(b));
	size_t n = (size_t)(b + sizeof(b) - p);

	memcpy(buf, p, n);
	buf[n] = '\0';
}

/* The IANA zone a statement shows times in (local_iso(), sql/0018):
 * tz, or UTC for NULL or "" (a caller with no viewer, such as the worker). */
static inline const char *db_tz(const char *tz)
{
	return tz != NULL && tz[0] ? tz : "UTC";
}

/* Copy a column value into a fixed buffer (cut to fit). */
static inline void db_copy(char *dst, size_t n, const char *src)
{
	buf_strcpy(dst, n, src);
}

/* Connect or reconnect when needed.  0 ok, -1 database unreachable. */
int db_ensure(struct db *db);
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
 * Retried once on a fresh connection, as db_run.  A statement planned per
 * call (db_stmt.c's per_call) is not pipelined: a then b, two round trips. */
int db_run_pair(struct db *db, const struct db_call *a, const struct db_call *b, PGresult **ra,
		PGresult **rb);
/* Run statement st n times in one round trip (a libpq pipeline with one
 * sync; inside the caller's transaction when one is open), the i-th with
 * params[i*nparams .. i*nparams+nparams).  0 with results[0..n) (caller
 * PQclear()s each), or -1 with every result NULL (the first failure is
 * logged; in a transaction, the statements after it did not run). */
int db_run_many(struct db *db, enum stmt st, int n, int nparams, const char *const *params,
		PGresult **results);
/* Run a statement that returns no rows (or rows to ignore).  Returns the
 * number of rows affected, or -1. */
long db_cmd(struct db *db, enum stmt st, int n, const char *const *params);
/* The same as a yes or no: 1 when it affected (or returned) a row, 0 when
 * none, -1 on error. */
int db_changed(struct db *db, enum stmt st, int n, const char *const *params);
/* Plain SQL text with no parameters (migrations only). */
int db_exec_script(struct db *db, const char *sql, char *err, size_t errlen);

/* Run a statement that returns at most one row and read one of its
 * columns as a number: 1 with *out, 0 no row (*out 0), -1. */
int db_one_ll(struct db *db, enum stmt st, int n, const char *const *params, const char *field,
	      long long *out);
/* Run st with the organisation's id as its one parameter and read the
 * count "n" and the cap "cap" of its one row (a per-organisation cap: API
 * tokens, webhook endpoints).  1, or -1 (an error, or no row). */
int db_count_cap(struct db *db, enum stmt st, long long org, int *n, int *cap);
/* Row helpers over a result: field by name; "" for NULL. */
const char *db_get(const PGresult *r, int row, const char *field);
long long db_get_ll(const PGresult *r, int row, const char *field);
/* The columns of r named names[0..n-1] into cols (-1 missing), for a
 * result read many times or on every request: a name that stands at its
 * own index costs a comparison, not PQfnumber()'s folded copy.  Then
 * db_val() and db_val_ll() read them as db_get() and db_get_ll() do. */
void db_cols(const PGresult *r, const char *const *names, int n, int *cols);
const char *db_val(const PGresult *r, int row, int col);
long long db_val_ll(const PGresult *r, int row, int col);
/* 1 when the boolean column is true ("t"), else 0 (false, NULL, absent). */
int db_get_bool(const PGresult *r, int row, const char *field);
int db_isnull(const PGresult *r, int row, const char *field);
/* Run statement st and copy each row into a new array of size-byte
 * elements with take(r, row, element): the array (calloc'd, the caller
 * frees it) with *n rows, or NULL (*n 0) on failure. */
void *db_rows(struct db *db, enum stmt st, int np, const char *const *params, size_t size,
	      void (*take)(const PGresult *r, int row, void *element), int *n);
/* Run statement st and hand its rows to row() one at a time as they
 * arrive (libpq's single-row mode: one row in memory however many the
 * statement returns; r is freed after the call).  row() returning < 0
 * cancels the statement.  The number of rows, or -1 (a failure, logged,
 * or row() stopped it).  Never retried: rows may have been used. */
long db_each_row(struct db *db, enum stmt st, int n, const char *const *params,
		 int (*row)(const PGresult *r, void *arg), void *arg);
/* The same for a statement that finds at most one row: take(r, 0, out)
 * when it found one.  1 found, 0 not (out untouched), -1 error (and when
 * it found more than one). */
int db_row(struct db *db, enum stmt st, int np, const char *const *params,
	   void (*take)(const PGresult *r, int row, void *out), void *out);
/* A row of an events statement (ST_WEBHOOK_EVENTS, ST_API_EVENTS: the
 * same columns) into a struct webhook_event (db_webhook.c), for db_rows. */
void db_event_take(const PGresult *r, int row, void *element);
/* n bytes as a bytea parameter in text form ("\\x" and hex); caller frees. */
char *db_hex_bytea(const unsigned char *p, size_t n);
/* Rows of r as a cJSON array of objects of strings (NULL -> JSON null),
 * boolean columns ("t"/"f") as JSON booleans.  Caller cJSON_Delete()s. */
cJSON *db_rows_json(const PGresult *r);
/* Binary results: 1 when r has exactly n columns, all binary, of the given
 * type OIDs (20 int8, 23 int4, 25 text, 1184 timestamptz, 16 bool). */
int db_bin_types_ok(const PGresult *r, const unsigned *types, int n);
/* An int8 value; 0 for NULL. */
long long db_bin_int8(const PGresult *r, int row, int col);
/* An int4 value; 0 for NULL. */
int db_bin_int4(const PGresult *r, int row, int col);
/* A timestamptz value as Unix seconds (rounded down); 0 for NULL and for
 * +-infinity. */
long long db_bin_time(const PGresult *r, int row, int col);

/* Portal pages (db_portal.c), for db_session.c's one round trip: the list
 * statement of q as a call with params[0] (the organisation) left to
 * fill; and a list result taken into *out (r is owned by out from then,
 * or cleared on failure).  1 ok, -1 unusable result. */
void db_portal_list_call(struct db_call *call, const struct portal_query *q);
int db_portal_page_take(struct portal_page *out, PGresult *r);
/* The page cache's form of a page (db_portal.c): p's rows as one blob
 * (*out, caller free()s; *len bytes), 1 or -1; and back: a page of the
 * len bytes at blob, which stay valid until db_portal_page_free gives
 * loan back (pcache_return; also here on -1, when *p is emptied).  Its
 * rows are filled from blob only when asked (db_portal_page_rows), but
 * every string's place is checked here. */
int db_portal_page_pack(const struct portal_page *p, void **out, size_t *len);
int db_portal_page_lend(struct portal_page *p, const void *blob, size_t len,
			const struct pcache_loan *loan);
/* The organisation's labels (ST_LABELS_OF_ORG's result r, which it
 * PQclear()s) into p->labels. */
void db_portal_labels_take(struct portal_page *p, PGresult *r);

#endif
