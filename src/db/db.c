/*
 * db: the PostgreSQL connection, prepared statements, transactions and row
 * helpers.  See db.h.  Entity functions live in db_*.c files.
 */
#include "db_int.h"
#include "db_session.h"
#include "log.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void db_fault_clear(struct db *db)
{
	memset(&db->fault, 0, sizeof(db->fault));
}

/*
 * Remember and log a failure of what: the server's SQLSTATE and message
 * when r carries them, else the connection's own error text (a lost or
 * refused connection has no SQLSTATE).
 */
static void db_fail(struct db *db, const char *event, const char *what, const PGresult *r)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	size_t n;

	if (msg == NULL)
		msg = db->conn ? PQerrorMessage(db->conn) : "no connection";
	if (msg == NULL || msg[0] == '\0')
		msg = r ? PQresStatus(PQresultStatus(r)) : "no result from the server";
	snprintf(db->fault.what, sizeof(db->fault.what), "%s", what);
	snprintf(db->fault.sqlstate, sizeof(db->fault.sqlstate), "%s", state ? state : "");
	snprintf(db->fault.message, sizeof(db->fault.message), "%s", msg);
	n = strlen(db->fault.message); /* libpq ends its own messages with a newline */
	while (n > 0 && (db->fault.message[n - 1] == '\n' || db->fault.message[n - 1] == ' '))
		db->fault.message[--n] = '\0';
	log_event(LOG_ERROR, db->req_id, event, "statement", what, "sqlstate",
		  state ? state : "none (connection)", "error", db->fault.message, NULL);
}

void db_init(struct db *db, const char *conninfo)
{
	memset(db, 0, sizeof(*db));
	db->conninfo = conninfo;
}

/* ---- a pool of connections shared by threads ---- */

/* One connection of a pool, with what it has prepared. */
struct db_link {
	PGconn *conn;
	unsigned char prepared[DB_STMT_SLOTS];
};

struct db_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const char *conninfo;
	int size, nfree;
	struct db_link *links;
	struct db_link **free; /* the links not lent, nfree of them */
};

struct db_pool *db_pool_new(const char *conninfo, int size)
{
	struct db_pool *p = calloc(1, sizeof(*p));

	if (p == NULL || size < 1)
		goto fail;
	p->links = calloc((size_t)size, sizeof(*p->links));
	p->free = calloc((size_t)size, sizeof(*p->free));
	if (p->links == NULL || p->free == NULL)
		goto fail;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->conninfo = conninfo;
	p->size = p->nfree = size;
	for (int i = 0; i < size; i++)
		p->free[i] = &p->links[size - 1 - i];
	return p;
fail:
	if (p != NULL) {
		free(p->links);
		free(p->free);
	}
	free(p);
	return NULL;
}

void db_pool_free(struct db_pool *p)
{
	if (p == NULL)
		return;
	for (int i = 0; i < p->size; i++)
		if (p->links[i].conn != NULL)
			PQfinish(p->links[i].conn);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p->links);
	free(p->free);
	free(p);
}

void db_init_pooled(struct db *db, struct db_pool *pool)
{
	db_init(db, pool->conninfo);
	db->pool = pool;
}

void db_init_like(struct db *db, const struct db *like)
{
	if (like->pool != NULL)
		db_init_pooled(db, like->pool);
	else
		db_init(db, like->conninfo);
}

/* A pooled db takes a connection (waiting for one) into db->conn. */
static void db_borrow(struct db *db)
{
	struct db_pool *p = db->pool;
	struct db_link *l;

	pthread_mutex_lock(&p->mu);
	while (p->nfree == 0)
		pthread_cond_wait(&p->cv, &p->mu);
	l = p->free[--p->nfree];
	pthread_mutex_unlock(&p->mu);
	db->link = l;
	db->conn = l->conn;
	memcpy(db->prepared, l->prepared, sizeof(db->prepared));
}

/* A pooled db gives its connection back once no transaction holds it (the
 * end of every public call; a no-op for a db with its own connection). */
static void db_release(struct db *db)
{
	struct db_pool *p = db->pool;
	struct db_link *l = db->link;

	if (p == NULL || l == NULL || db->in_tx)
		return;
	if (db->conn != NULL && PQtransactionStatus(db->conn) != PQTRANS_IDLE) {
		/* left inside a transaction (a failed BEGIN's caller, a broken
		 * pipeline): the next borrower must not inherit it */
		PQclear(PQexec(db->conn, "ROLLBACK"));
	}
	if (db->conn != NULL && (PQtransactionStatus(db->conn) != PQTRANS_IDLE ||
				 PQpipelineStatus(db->conn) != PQ_PIPELINE_OFF)) {
		/* still busy or in a state we cannot undo: the next borrower
		 * connects afresh rather than inherit it */
		PQfinish(db->conn);
		db->conn = NULL;
	}
	l->conn = db->conn;
	memcpy(l->prepared, db->prepared, sizeof(l->prepared));
	db->conn = NULL;
	db->link = NULL;
	pthread_mutex_lock(&p->mu);
	p->free[p->nfree++] = l;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

void db_close(struct db *db)
{
	db_session_prefetch_drop(db);
	if (db->pool != NULL) {
		db_rollback(db);
		db_release(db);
		return;
	}
	if (db->conn != NULL)
		PQfinish(db->conn);
	db->conn = NULL;
	memset(db->prepared, 0, sizeof(db->prepared));
	db->in_tx = 0;
}

int db_ensure(struct db *db)
{
	if (db->pool != NULL && db->link == NULL)
		db_borrow(db);
	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK)
		return 0;
	if (db->conn != NULL) {
		PQreset(db->conn);
	} else {
		db->conn = PQconnectdb(db->conninfo);
	}
	memset(db->prepared, 0, sizeof(db->prepared));
	db->in_tx = 0;
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		db_fail(db, "db_connect_failed", "connect", NULL);
		if (db->conn != NULL) {
			PQfinish(db->conn);
			db->conn = NULL;
		}
		db_release(db);
		return -1;
	}
	/* Every statement is prepared once per connection; plan each once too
	 * (PostgreSQL would otherwise re-plan the keyset pages on every call,
	 * about 200 us each, for the same index scan).  No JIT compilation:
	 * our statements read a page of rows, and a generic plan's cost
	 * estimate can pass jit_above_cost (the organisation's labels were
	 * compiled on every call: 17 ms of code emission for a 0.1 ms read).
	 * No parallel workers either: a page is one backend's work, and a
	 * search's two branches must come back in their own order. */
	PGresult *r = PQexec(db->conn, "SET plan_cache_mode = force_generic_plan; SET jit = off; "
				       "SET max_parallel_workers_per_gather = 0");
	PQclear(r);
	return 0;
}

static int db_prepare(struct db *db, enum stmt st)
{
	PGresult *r;
	int ok;

	if (db->prepared[st])
		return 0;
	r = PQprepare(db->conn, stmt_name(st), stmt_sql(st), 0, NULL);
	ok = r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		db_fail(db, "db_prepare_failed", stmt_name(st), r);
	PQclear(r);
	if (ok)
		db->prepared[st] = 1;
	return ok ? 0 : -1;
}

/* 1 when a call failed because the server closed the connection and no
 * transaction was open: the one case retried on a new connection. */
static int went_away(const struct db *db)
{
	return !db->in_tx && db->conn != NULL && PQstatus(db->conn) == CONNECTION_BAD;
}

static PGresult *db_try(struct db *db, enum stmt st, int n, const char *const *params, int binary)
{
	PGresult *r;
	ExecStatusType s;

	if (db_ensure(db) < 0 || db_prepare(db, st) < 0)
		return NULL;
	if (stmt_per_call(st)) {
		/* planned for these values: the connection plans generically
		 * (db_ensure), so switch to custom plans around this one call;
		 * a rolled-back transaction takes the switch back with it */
		PQclear(PQexec(db->conn, "SET plan_cache_mode = force_custom_plan"));
		r = PQexecPrepared(db->conn, stmt_name(st), n, params, NULL, NULL, binary);
		PQclear(PQexec(db->conn, "SET plan_cache_mode = force_generic_plan"));
	} else {
		r = PQexecPrepared(db->conn, stmt_name(st), n, params, NULL, NULL, binary);
	}
	s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
		return r;
	db_fail(db, "db_query_failed", stmt_name(st), r);
	PQclear(r);
	return NULL;
}

PGresult *db_run_format(struct db *db, enum stmt st, int n, const char *const *params, int binary)
{
	PGresult *r = db_try(db, st, n, params, binary);

	if (r == NULL && went_away(db)) {
		/* the server went away (restart): one retry on a new connection */
		r = db_try(db, st, n, params, binary);
	}
	db_release(db);
	return r;
}

PGresult *db_run(struct db *db, enum stmt st, int n, const char *const *params)
{
	return db_run_format(db, st, n, params, 0);
}

/* One attempt at a pipelined pair; see db_run_pair. */
static int db_try_pair(struct db *db, const struct db_call *a, const struct db_call *b,
		       PGresult **ra, PGresult **rb)
{
	const struct db_call *call[2] = {a, b};
	PGresult **out[2] = {ra, rb}, *r;
	int io_ok = 1, failed[2] = {0, 0};

	if (db_ensure(db) < 0 || db_prepare(db, a->st) < 0 || db_prepare(db, b->st) < 0)
		return -1;
	if (PQenterPipelineMode(db->conn) != 1)
		return -1;
	for (int i = 0; i < 2; i++)
		if (PQsendQueryPrepared(db->conn, stmt_name(call[i]->st), call[i]->n,
					call[i]->params, NULL, NULL, call[i]->binary) != 1)
			io_ok = 0;
	if (PQpipelineSync(db->conn) != 1)
		io_ok = 0;
	/* each statement's result, then NULL; then the sync point */
	for (int i = 0; io_ok && i < 2; i++) {
		ExecStatusType st;

		r = PQgetResult(db->conn);
		st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
		if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
			*out[i] = r;
		} else {
			if (st != PGRES_PIPELINE_ABORTED)
				db_fail(db, "db_query_failed", stmt_name(call[i]->st), r);
			failed[i] = 1;
			if (r == NULL) {
				io_ok = 0;
				break;
			}
			PQclear(r);
		}
		while ((r = PQgetResult(db->conn)) != NULL) /* the NULL after each result */
			PQclear(r);
	}
	/* read up to the sync point (past an aborted statement's result and
	 * the NULLs between results) so that the connection is idle again */
	for (int guard = 0; guard < 8 && PQstatus(db->conn) == CONNECTION_OK; guard++) {
		ExecStatusType st;

		r = PQgetResult(db->conn);
		if (r == NULL)
			continue;
		st = PQresultStatus(r);
		PQclear(r);
		if (st == PGRES_PIPELINE_SYNC)
			break;
	}
	if (PQexitPipelineMode(db->conn) != 1)
		io_ok = 0;
	if (!io_ok || failed[0]) {
		PQclear(*ra);
		PQclear(*rb);
		*ra = *rb = NULL;
		return -1;
	}
	return 0; /* *rb is NULL when b alone failed */
}

static int db_try_many(struct db *db, enum stmt st, int n, int nparams,
		       const char *const *params, PGresult **results)
{
	int sent = 0, io_ok = 1, failed = 0;

	for (int i = 0; i < n; i++)
		results[i] = NULL;
	if (n <= 0)
		return 0;
	if (db_ensure(db) < 0 || db_prepare(db, st) < 0)
		return -1;
	if (PQenterPipelineMode(db->conn) != 1)
		return -1;
	for (int i = 0; i < n && io_ok; i++) {
		if (PQsendQueryPrepared(db->conn, stmt_name(st), nparams, params + (size_t)i * nparams,
					NULL, NULL, 0) != 1)
			io_ok = 0;
		else
			sent++;
	}
	if (PQpipelineSync(db->conn) != 1)
		io_ok = 0;
	/* each statement's result and the NULL after it, then the sync point */
	for (int i = 0; io_ok && i < sent; i++) {
		PGresult *r = PQgetResult(db->conn);
		ExecStatusType rs = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;

		if (r == NULL) {
			io_ok = 0;
			break;
		}
		if (rs == PGRES_TUPLES_OK || rs == PGRES_COMMAND_OK) {
			results[i] = r;
		} else {
			if (rs != PGRES_PIPELINE_ABORTED && !failed)
				db_fail(db, "db_query_failed", stmt_name(st), r);
			failed = 1;
			PQclear(r);
		}
		while ((r = PQgetResult(db->conn)) != NULL)
			PQclear(r);
	}
	for (int guard = 0; guard < 8 && PQstatus(db->conn) == CONNECTION_OK; guard++) {
		PGresult *r = PQgetResult(db->conn);
		ExecStatusType rs;

		if (r == NULL)
			continue;
		rs = PQresultStatus(r);
		PQclear(r);
		if (rs == PGRES_PIPELINE_SYNC)
			break;
	}
	if (PQexitPipelineMode(db->conn) != 1)
		io_ok = 0;
	if (!io_ok || failed) {
		for (int i = 0; i < n; i++) {
			PQclear(results[i]);
			results[i] = NULL;
		}
		return -1;
	}
	return 0;
}

int db_run_many(struct db *db, enum stmt st, int n, int nparams, const char *const *params,
		PGresult **results)
{
	int rc = db_try_many(db, st, n, nparams, params, results);

	db_release(db);
	return rc;
}

static int db_pair(struct db *db, const struct db_call *a, const struct db_call *b, PGresult **ra,
		   PGresult **rb)
{
	*ra = *rb = NULL;
	if (stmt_per_call(a->st) || stmt_per_call(b->st)) {
		/* planned for its values: the plan mode is switched around the
		 * statement (db_try), so it is sent on its own */
		*ra = db_run_format(db, a->st, a->n, a->params, a->binary);
		if (*ra == NULL)
			return -1;
		*rb = db_run_format(db, b->st, b->n, b->params, b->binary);
		return 0;
	}
	if (db_try_pair(db, a, b, ra, rb) == 0)
		return 0;
	if (went_away(db))
		return db_try_pair(db, a, b, ra, rb); /* the server went away: once more */
	return -1;
}

int db_run_pair(struct db *db, const struct db_call *a, const struct db_call *b, PGresult **ra,
		PGresult **rb)
{
	int rc = db_pair(db, a, b, ra, rb);

	db_release(db);
	return rc;
}

long db_cmd(struct db *db, enum stmt st, int n, const char *const *params)
{
	PGresult *r = db_run(db, st, n, params);
	long rows;

	if (r == NULL)
		return -1;
	rows = PQresultStatus(r) == PGRES_TUPLES_OK ? PQntuples(r) : atol(PQcmdTuples(r));
	PQclear(r);
	return rows;
}

int db_changed(struct db *db, enum stmt st, int n, const char *const *params)
{
	long rows = db_cmd(db, st, n, params);

	return rows < 0 ? -1 : rows > 0;
}

int db_one_ll(struct db *db, enum stmt st, int n, const char *const *params, const char *field,
	      long long *out)
{
	PGresult *r = db_run(db, st, n, params);
	int result;

	*out = 0;
	if (r == NULL)
		return -1;
	result = PQntuples(r) == 1;
	if (result)
		*out = db_get_ll(r, 0, field);
	PQclear(r);
	return result;
}

int db_count_cap(struct db *db, enum stmt st, long long org, int *n, int *cap)
{
	PGresult *r;
	char o[24];

	LL(o, org);
	const char *p[] = {o};
	r = db_run(db, st, 1, p);
	if (r == NULL || PQntuples(r) != 1) {
		PQclear(r);
		return -1;
	}
	*n = (int)db_get_ll(r, 0, "n");
	*cap = (int)db_get_ll(r, 0, "cap");
	PQclear(r);
	return 1;
}

static int db_simple(struct db *db, const char *sql)
{
	PGresult *r;
	int ok;

	if (db_ensure(db) < 0)
		return -1;
	r = PQexec(db->conn, sql);
	ok = r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		db_fail(db, "db_command_failed", sql, r);
	PQclear(r);
	return ok ? 0 : -1;
}

int db_begin(struct db *db)
{
	int rc = db_simple(db, "BEGIN");

	if (rc < 0 && went_away(db)) {
		/* the server went away (restart; for a pooled db, while the
		 * connection waited in the pool): nothing was open, so once more
		 * on a new connection, as db_run does */
		rc = db_simple(db, "BEGIN");
	}
	if (rc < 0) {
		db_release(db);
		return -1;
	}
	db->in_tx = 1;
	return 0;
}

int db_commit(struct db *db)
{
	int rc = db_simple(db, "COMMIT");

	db->in_tx = 0;
	db_release(db);
	return rc;
}

void db_rollback(struct db *db)
{
	if (db->conn != NULL && PQtransactionStatus(db->conn) != PQTRANS_IDLE) {
		PGresult *r = PQexec(db->conn, "ROLLBACK");
		PQclear(r);
	}
	db->in_tx = 0;
	db_release(db);
}

int db_exec_script(struct db *db, const char *sql, char *err, size_t errlen)
{
	PGresult *r;
	int ok;

	if (db_ensure(db) < 0) {
		snprintf(err, errlen, "database unreachable");
		return -1; /* db_ensure gave a pool's slot back */
	}
	r = PQexec(db->conn, sql);
	ok = r != NULL &&
	     (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK);
	if (!ok)
		snprintf(err, errlen, "%s", PQerrorMessage(db->conn));
	PQclear(r);
	db_release(db);
	return ok ? 0 : -1;
}

const char *db_get(const PGresult *r, int row, const char *field)
{
	return db_val(r, row, PQfnumber(r, field));
}

void db_cols(const PGresult *r, const char *const *names, int n, int *cols)
{
	int nf = PQnfields(r);

	for (int i = 0; i < n; i++) {
		const char *f = i < nf ? PQfname(r, i) : NULL;

		cols[i] = f != NULL && strcmp(f, names[i]) == 0 ? i : PQfnumber(r, names[i]);
	}
}

const char *db_val(const PGresult *r, int row, int col)
{
	if (col < 0 || row >= PQntuples(r) || PQgetisnull(r, row, col))
		return "";
	return PQgetvalue(r, row, col);
}

long long db_val_ll(const PGresult *r, int row, int col)
{
	return strtoll(db_val(r, row, col), NULL, 10);
}

long long db_get_ll(const PGresult *r, int row, const char *field)
{
	return strtoll(db_get(r, row, field), NULL, 10);
}

int db_get_bool(const PGresult *r, int row, const char *field)
{
	return strcmp(db_get(r, row, field), "t") == 0;
}

int db_isnull(const PGresult *r, int row, const char *field)
{
	int c = PQfnumber(r, field);

	return c < 0 || row >= PQntuples(r) || PQgetisnull(r, row, c);
}

cJSON *db_rows_json(const PGresult *r)
{
	cJSON *arr = cJSON_CreateArray();
	int rows = PQntuples(r), cols = PQnfields(r);

	if (arr == NULL)
		return NULL;
	for (int i = 0; i < rows; i++) {
		cJSON *o = cJSON_CreateObject();

		if (o == NULL || !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			goto fail;
		}
		for (int c = 0; c < cols; c++) {
			const char *name = PQfname(r, c);
			cJSON *v;

			if (PQgetisnull(r, i, c))
				v = cJSON_CreateNull();
			else if (PQftype(r, c) == 16 /* bool */)
				v = cJSON_CreateBool(PQgetvalue(r, i, c)[0] == 't');
			else
				v = cJSON_CreateString(PQgetvalue(r, i, c));
			if (v == NULL || !cJSON_AddItemToObject(o, name, v)) {
				cJSON_Delete(v);
				goto fail;
			}
		}
	}
	return arr;
fail:
	cJSON_Delete(arr);
	return NULL;
}



int db_ping(struct db *db)
{
	PGresult *r = db_run(db, ST_PING, 0, NULL);
	int ok = r != NULL;

	PQclear(r);
	return ok;
}

/* Binary-format values (results of db_run_format(..., 1)). */

int db_bin_types_ok(const PGresult *r, const unsigned *types, int n)
{
	if (PQnfields(r) != n)
		return 0;
	for (int c = 0; c < n; c++)
		if (PQfformat(r, c) != 1 || PQftype(r, c) != types[c])
			return 0;
	return 1;
}

static long long db_be64(const PGresult *r, int row, int col, int *ok)
{
	const unsigned char *b = (const unsigned char *)PQgetvalue(r, row, col);
	unsigned long long v = 0;

	*ok = !PQgetisnull(r, row, col) && PQgetlength(r, row, col) == 8;
	if (!*ok)
		return 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return (long long)v;
}

long long db_bin_int8(const PGresult *r, int row, int col)
{
	int ok;

	return db_be64(r, row, col, &ok);
}

int db_bin_int4(const PGresult *r, int row, int col)
{
	const unsigned char *b = (const unsigned char *)PQgetvalue(r, row, col);

	if (PQgetisnull(r, row, col) || PQgetlength(r, row, col) != 4)
		return 0;
	return (int)(int32_t)((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
			      (uint32_t)b[3]);
}

long long db_bin_time(const PGresult *r, int row, int col)
{
	/* microseconds since 2000-01-01 00:00 UTC; +-infinity are the extremes */
	int ok;
	long long us = db_be64(r, row, col, &ok);

	if (!ok || us == LLONG_MAX || us == LLONG_MIN)
		return 0;
	return (us >= 0 ? us / 1000000 : (us - 999999) / 1000000) + 946684800LL;
}

int db_listen(struct db *db, const char *channel_sql)
{
	if (db->pool != NULL)
		return -1; /* a pooled connection goes back after each call */
	return db_simple(db, channel_sql);
}

int db_wait_notify(struct db *db, long timeout_ms)
{
	PGnotify *n;
	struct pollfd pfd;
	int got = 0;

	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK)
		return -1;
	if (PQconsumeInput(db->conn) != 1)
		return -1;
	if ((n = PQnotifies(db->conn)) == NULL) {
		pfd.fd = PQsocket(db->conn);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (pfd.fd < 0)
			return -1;
		if (poll(&pfd, 1, (int)timeout_ms) < 0)
			return errno == EINTR ? 0 : -1;
		if (PQconsumeInput(db->conn) != 1)
			return -1;
		n = PQnotifies(db->conn);
	}
	while (n != NULL) {
		got = 1;
		PQfreemem(n);
		n = PQnotifies(db->conn);
	}
	return got;
}

char *db_hex_bytea(const unsigned char *p, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	char *s = malloc(2 * n + 3);

	if (s == NULL)
		return NULL;
	s[0] = '\\';
	s[1] = 'x';
	for (size_t i = 0; i < n; i++) {
		s[2 + 2 * i] = hx[p[i] >> 4];
		s[3 + 2 * i] = hx[p[i] & 15];
	}
	s[2 + 2 * n] = '\0';
	return s;
}

void *db_rows(struct db *db, enum stmt st, int np, const char *const *params, size_t size,
	      void (*take)(const PGresult *r, int row, void *element), int *n)
{
	PGresult *r = db_run(db, st, np, params);
	int rows;
	char *v;

	*n = 0;
	if (r == NULL)
		return NULL;
	rows = PQntuples(r);
	v = calloc((size_t)(rows > 0 ? rows : 1), size);
	if (v != NULL) {
		for (int i = 0; i < rows; i++)
			take(r, i, v + (size_t)i * size);
		*n = rows;
	}
	PQclear(r);
	return v;
}

/* ---- streaming a statement's rows (the activity export, issue 17) ---- */

/* Cancel the statement running on db's connection (its remaining rows are
 * then drained by the caller). */
static void db_cancel(struct db *db)
{
	PGcancel *c = PQgetCancel(db->conn);
	char err[256];

	if (c != NULL) {
		PQcancel(c, err, sizeof(err));
		PQfreeCancel(c);
	}
}

static long db_try_each_row(struct db *db, enum stmt st, int n, const char *const *params,
			    int (*row)(const PGresult *r, void *arg), void *arg)
{
	PGresult *r;
	long count = 0;
	int failed = 0, stopped = 0;

	if (db_ensure(db) < 0 || db_prepare(db, st) < 0)
		return -1;
	if (!PQsendQueryPrepared(db->conn, stmt_name(st), n, params, NULL, NULL, 0)) {
		db_fail(db, "db_query_failed", stmt_name(st), NULL);
		return -1;
	}
	if (!PQsetSingleRowMode(db->conn)) {
		db_fail(db, "db_query_failed", stmt_name(st), NULL);
		failed = 1;
	}
	/* every result is read, whatever happens, so that the connection is
	 * ready for the next statement */
	while ((r = PQgetResult(db->conn)) != NULL) {
		ExecStatusType s = PQresultStatus(r);

		if (s == PGRES_SINGLE_TUPLE) {
			if (!failed && !stopped) {
				if (row(r, arg) < 0) {
					stopped = 1;
					db_cancel(db);
				} else
					count++;
			}
		} else if (s != PGRES_TUPLES_OK && !stopped && !failed) {
			db_fail(db, "db_query_failed", stmt_name(st), r);
			failed = 1;
		}
		PQclear(r);
	}
	/* A pipelined pair sent next on this connection (db_run_pair: the
	 * next request's session load) came back, now and then, as single
	 * rows (PGRES_SINGLE_TUPLE, libpq 15): the single-row state of this
	 * statement outlived it.  A statement sent outside any pipeline starts
	 * with that state reset (PQsendQueryStart) and reads up to its
	 * ReadyForQuery, so an empty query here leaves the connection as
	 * every other statement does (tests/unit/dbsuite_core.c). */
	if (PQstatus(db->conn) == CONNECTION_OK)
		PQclear(PQexec(db->conn, ""));
	return failed || stopped ? -1 : count;
}

long db_each_row(struct db *db, enum stmt st, int n, const char *const *params,
		 int (*row)(const PGresult *r, void *arg), void *arg)
{
	long rc = db_try_each_row(db, st, n, params, row, arg);

	db_release(db);
	return rc;
}

int db_row(struct db *db, enum stmt st, int np, const char *const *params,
	   void (*take)(const PGresult *r, int row, void *out), void *out)
{
	PGresult *r = db_run(db, st, np, params);
	int n;

	if (r == NULL)
		return -1;
	n = PQntuples(r);
	if (n == 1)
		take(r, 0, out);
	PQclear(r);
	return n <= 1 ? n : -1;
}
