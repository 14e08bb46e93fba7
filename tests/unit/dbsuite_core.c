/*
 * dbsuite_core: unit suites of the modules that cannot be tested without
 * PostgreSQL and HubSpot -- the job queue's claiming (db_job), a refresh
 * (refresh.c), the OAuth flow's first step (oauth.c) and the pool of
 * connections the worker's threads share (db.c) -- called directly,
 * not through the web or the worker.  Built by `make unit` as
 * build/tests/dbsuite_core; tests/integration/test_core_suites.py runs it
 * under valgrind against the test stack, with JETSTACK_ENV_FILE naming the
 * stack's configuration and, in the environment, ids the test prepared:
 *   SUITE_PORTAL   a Connected portal (config_only) of the simulator
 *   SUITE_HUB      its hub id
 *   SUITE_ORG      its organisation
 *   SUITE_USER     an owner of that organisation
 *   SUITE_SIM      the simulator's base URL (to invalidate the refresh tokens)
 */
#include <check.h>
#include <curl/curl.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "db_activity.h"
#include "db_int.h"
#include "db_job.h"
#include "db_portal.h"
#include "db_runs.h"
#include "db_session.h"
#include "db_state.h"
#include "httpc.h"
#include "oauth.h"
#include "refresh.h"
#include "sess.h"
#include "status.h"
#include "tok.h"

static struct conf conf;
static long long portal, hub, org, user;

static long long env_ll(const char *name)
{
	const char *v = getenv(name);

	ck_assert_msg(v != NULL, "%s is not set", name);
	return strtoll(v, NULL, 10);
}

static void setup(void)
{
	char err[512];

	ck_assert_msg(conf_load(&conf, CONF_NEED_DB | CONF_NEED_HUBSPOT, err, sizeof(err)) == 0,
		      "%s", err);
	portal = env_ll("SUITE_PORTAL");
	hub = env_ll("SUITE_HUB");
	org = env_ll("SUITE_ORG");
	user = env_ll("SUITE_USER");
}

static void teardown(void)
{
	conf_free(&conf);
}

/* Claiming (the test empties the queue first): one claimer per job (SKIP
 * LOCKED), a lease that runs out hands the job to another worker with the
 * attempt counted, a postponed job is not due. */
START_TEST(test_claim_lease_and_postpone)
{
	struct db a, b;
	struct job_row ja, jb, jc, jd, none;
	long long run;

	db_init(&a, conf.db_conninfo);
	db_init(&b, conf.db_conninfo);
	/* a run of 2 steps: two jobs of this portal, due now */
	ck_assert_int_eq(db_runs_create(&a, org, portal, "import", user, 2, NULL, NULL, &run), 1);
	ck_assert_int_eq(db_job_claim(&a, "suite-a", 1, &ja), 1);
	ck_assert_int_eq(db_job_claim(&b, "suite-b", 1, &jb), 1);
	ck_assert_int_ne(ja.id, jb.id); /* two claimers, two jobs */
	ck_assert_int_eq(ja.run_id, run);
	ck_assert_int_eq(jb.run_id, run);
	ck_assert_int_eq(ja.step + jb.step, 3); /* steps 1 and 2 */
	ck_assert_int_eq(ja.attempts, 1);
	ck_assert_int_eq(db_job_claim(&a, "suite-a", 1, &none), 0); /* nothing else due */
	/* both workers "die": after the one-second lease, others take the jobs */
	sleep(2);
	ck_assert_int_eq(db_job_claim(&a, "suite-c", 60, &jc), 1);
	ck_assert_int_eq(db_job_claim(&b, "suite-d", 60, &jd), 1);
	ck_assert_int_ne(jc.id, jd.id);
	ck_assert_int_eq(jc.attempts, 2);
	ck_assert_int_eq(jd.attempts, 2);
	ck_assert_int_eq(db_job_claim(&a, "suite-e", 60, &none), 0);
	/* postponed: back in the queue, not due for a minute */
	ck_assert_int_eq(db_job_postpone(&a, jc.id, "suite-c", 60000), 1);
	ck_assert_int_eq(db_job_claim(&a, "suite-e", 60, &none), 0);
	/* finishing a run happens once */
	ck_assert_int_eq(db_runs_finish(&a, run, "failed", "internal", "suite", "", ""), 1);
	ck_assert_int_eq(db_runs_finish(&a, run, "failed", "internal", "again", "", ""), 0);
	ck_assert_int_eq(db_job_done(&b, jd.id, "suite-d"), 1);
	db_close(&a);
	db_close(&b);
}
END_TEST

/* A refresh stores new tokens by compare-and-swap and keeps the grant; a
 * stale copy loses; a refused refresh token (access token still working)
 * moves the portal to Needs Reconnection once. */
START_TEST(test_refresh)
{
	struct db db;
	struct httpc http;
	struct httpc_opts ho = {.connect_timeout_ms = 5000, .timeout_ms = 10000,
				.max_body = 1 << 20, .user_agent = "suite"};
	struct tokens t, stale;
	struct hs_error err;
	long long v, g;
	char cmd[512];

	db_init(&db, conf.db_conninfo);
	ck_assert_int_eq(httpc_init(&http, &ho), HTTPC_OK);
	ck_assert_int_eq(tok_get(&db, &conf, portal, &t), 1);
	ck_assert_int_eq(tok_get(&db, &conf, portal, &stale), 1);
	v = t.version;
	g = t.grant;
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(refresh_portal(&db, &http, &conf, portal, &t, &err), REFRESH_OK);
	ck_assert_int_eq(t.version, v + 1);
	ck_assert_int_eq(t.grant, g); /* a refresh keeps the grant */
	/* the stale copy's compare-and-swap loses */
	ck_assert_int_eq(refresh_portal(&db, &http, &conf, portal, &stale, &err),
			 REFRESH_SUPERSEDED);
	/* HubSpot stops accepting the refresh token; the access token works */
	snprintf(cmd, sizeof(cmd),
		 "curl -fsS -X POST -H 'Content-Type: application/json' -d '{}' "
		 "%s/_sim/portals/%lld/invalidate_refresh_tokens >/dev/null",
		 getenv("SUITE_SIM"), hub);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(refresh_portal(&db, &http, &conf, portal, &t, &err), REFRESH_REJECTED);
	ck_assert_str_eq(err.status, "BAD_REFRESH_TOKEN");
	/* once: the portal has moved already */
	ck_assert_int_eq(refresh_portal(&db, &http, &conf, portal, &t, &err), REFRESH_SUPERSEDED);
	tok_free(&t);
	tok_free(&stale);
	httpc_cleanup(&http);
	db_close(&db);
}
END_TEST

/* The flow's first step: a state works once, for its own session, user and
 * organisation, and names its portal. */
START_TEST(test_oauth_take_state)
{
	struct db db;
	struct buf url;
	struct oauth_flow f;
	char sid[65], state[44];
	const char *s;

	db_init(&db, conf.db_conninfo);
	buf_init(&url, 8192);
	memset(sid, 'a', 64);
	sid[64] = '\0';
	ck_assert_int_eq(oauth_start(&db, &conf, sid, user, org, portal, CONN_CONFIG_ONLY, &url), 0);
	s = strstr(buf_str(&url), "&state=");
	ck_assert_ptr_nonnull(s);
	snprintf(state, sizeof(state), "%s", s + 7);
	ck_assert_int_eq(strlen(state), 43);
	ck_assert_ptr_nonnull(strstr(buf_str(&url), "scope=oauth"));
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(oauth_take_state(&db, NULL, sid, user, org, &f), OAUTH_NO_STATE);
	ck_assert_int_eq(oauth_take_state(&db, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", sid, user,
					  org, &f),
			 OAUTH_STATE_UNKNOWN);
	/* another session: refused, and the state is spent */
	ck_assert_int_eq(oauth_take_state(&db, state, "b", user, org, &f), OAUTH_STATE_ELSEWHERE);
	ck_assert_int_eq(oauth_take_state(&db, state, sid, user, org, &f), OAUTH_STATE_USED);
	/* a fresh one, taken by its own session */
	buf_reset(&url);
	ck_assert_int_eq(oauth_start(&db, &conf, sid, user, org, portal, CONN_CONFIG_ONLY, &url), 0);
	snprintf(state, sizeof(state), "%s", strstr(buf_str(&url), "&state=") + 7);
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(oauth_take_state(&db, state, sid, user, org, &f), OAUTH_OK);
	ck_assert_int_eq(f.st.portal_id, portal);
	ck_assert_int_eq(f.target_hub, hub);
	ck_assert_int_eq(f.type, CONN_CONFIG_ONLY);
	oauth_flow_free(&f);
	buf_free(&url);
	db_close(&db);
}
END_TEST

/* A pool's db (the worker's threads): it borrows a connection for each
 * call, or from db_begin() to db_commit(), so a pool of one connection
 * serves two dbs one after the other, a transaction keeps its connection
 * until it ends (the other db waits), what a connection prepared stays
 * prepared for the next borrower, and LISTEN is refused. */
struct pooled_ping {
	struct db *db;
	atomic_int done;
	int ok;
};

static void *ping_main(void *arg)
{
	struct pooled_ping *p = arg;

	p->ok = db_ping(p->db);
	atomic_store(&p->done, 1);
	return NULL;
}

START_TEST(test_pool)
{
	struct db_pool *pool = db_pool_new(conf.db_conninfo, 1);
	struct db a, b;
	struct pooled_ping pp;
	pthread_t th;
	struct job_row none;

	ck_assert_ptr_nonnull(pool);
	db_init_pooled(&a, pool);
	db_init_pooled(&b, pool);
	/* one after the other on the one connection; the second call finds
	 * the statement the first prepared (a second PREPARE would fail) */
	ck_assert_int_eq(db_ping(&a), 1);
	ck_assert_int_eq(db_ping(&b), 1);
	ck_assert_int_eq(db_ping(&a), 1);
	/* a transaction holds the connection: b waits until a commits */
	ck_assert_int_eq(db_begin(&a), 0);
	ck_assert_int_ge(db_job_claim(&a, "suite-pool", 1, &none), 0);
	pp.db = &b;
	pp.ok = 0;
	atomic_store(&pp.done, 0);
	ck_assert_int_eq(pthread_create(&th, NULL, ping_main, &pp), 0);
	usleep(300 * 1000);
	ck_assert_int_eq(atomic_load(&pp.done), 0);
	ck_assert_int_eq(db_commit(&a), 0);
	pthread_join(th, NULL);
	ck_assert_int_eq(pp.ok, 1);
	/* a rolled-back transaction gives it back too */
	ck_assert_int_eq(db_begin(&b), 0);
	db_rollback(&b);
	ck_assert_int_eq(db_ping(&a), 1);
	/* a pooled connection goes back after each call: no LISTEN on it */
	ck_assert_int_eq(db_listen(&a, "LISTEN suite_pool"), -1);
	db_close(&a);
	db_close(&b);
	db_pool_free(pool);
}
END_TEST

/* The server ends a pooled connection while it waits in the pool (what a
 * PostgreSQL restart does to every one of them): whichever call borrows it
 * next connects again, a transaction's BEGIN as well as a statement (a
 * BEGIN that failed there put the thread's job back to wait its backoff). */
static void backend_end(int pid)
{
	PGconn *c = PQconnectdb(conf.db_conninfo);
	char p[16];
	const char *pp[] = {p};
	PGresult *r;
	int gone = 0;

	ck_assert_int_eq(PQstatus(c), CONNECTION_OK);
	snprintf(p, sizeof(p), "%d", pid);
	r = PQexecParams(c, "SELECT pg_terminate_backend($1::int)", 1, NULL, pp, NULL, NULL, 0);
	ck_assert_int_eq(PQresultStatus(r), PGRES_TUPLES_OK);
	ck_assert_str_eq(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	for (int i = 0; i < 100 && !gone; i++) {
		r = PQexecParams(c, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int", 1,
				 NULL, pp, NULL, NULL, 0);
		ck_assert_int_eq(PQresultStatus(r), PGRES_TUPLES_OK);
		gone = strcmp(PQgetvalue(r, 0, 0), "0") == 0;
		PQclear(r);
		if (!gone)
			usleep(20 * 1000);
	}
	ck_assert(gone);
	PQfinish(c);
}

static int count_entry(const struct activity_entry *e, void *arg)
{
	(void)e;
	(*(long *)arg)++;
	return 0;
}

/* The activity export reads its rows one by one (libpq's single-row mode);
 * a pipelined pair right after it on the same connection (the next
 * request's session load) must come back whole, not row by row. */
START_TEST(test_pair_after_rows_one_by_one)
{
	struct db db;
	struct activity_filter f = {.tz = "UTC"};
	struct db_call a = {.st = ST_PING}, b = {.st = ST_PING};
	PGresult *ra = NULL, *rb = NULL;
	long seen = 0;
	char oid[24];

	const char *op[] = {oid};
	PGconn *c = PQconnectdb(conf.db_conninfo);
	PGresult *r;

	snprintf(oid, sizeof(oid), "%lld", org);
	ck_assert_int_eq(PQstatus(c), CONNECTION_OK);
	r = PQexecParams(c, "INSERT INTO activity (org_id, kind, message) "
			    "SELECT $1::bigint, 'renamed', 'one by one ' || i "
			    "FROM generate_series(1, 300) i",
			 1, NULL, op, NULL, NULL, 0);
	ck_assert_int_eq(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	PQfinish(c);
	db_init(&db, conf.db_conninfo);
	for (int i = 0; i < 40; i++) { /* how the export's last messages arrive varies */
		ck_assert_int_ge(db_activity_export(&db, org, &f, count_entry, &seen), 300);
		ck_assert_int_eq(db_run_pair(&db, &a, &b, &ra, &rb), 0);
		ck_assert_ptr_nonnull(ra);
		ck_assert_ptr_nonnull(rb);
		ck_assert_int_eq(PQresultStatus(ra), PGRES_TUPLES_OK);
		ck_assert_int_eq(PQntuples(ra), 1);
		PQclear(ra);
		PQclear(rb);
	}
	db_close(&db);
}
END_TEST

/* Sessions read ahead for a batch of requests (db_session_prefetch): a
 * load of the same session and idle takes a row read ahead (one row, one
 * load) instead of reading its own, any other load reads its own, and
 * nothing read ahead outlives the drop. */
START_TEST(test_session_read_ahead)
{
	struct db db;
	struct session_row row;
	char a[65], b[65];
	const char *three[3] = {a, b, a};
	PGconn *c = PQconnectdb(conf.db_conninfo);
	PGresult *r;

	ck_assert_int_eq(PQstatus(c), CONNECTION_OK);
	snprintf(a, sizeof(a), "%064lld", (long long)time(NULL) * 10 + 1);
	snprintf(b, sizeof(b), "%064lld", (long long)time(NULL) * 10 + 2);
	db_init(&db, conf.db_conninfo);
	ck_assert_int_eq(db_session_create(&db, a, user, org, 3600), 1);
	ck_assert_int_eq(db_session_create(&db, b, user, org, 3600), 1);
	ck_assert_int_eq(db_session_prefetch(&db, 3, three, 600), 3);
	/* both end after their rows were read ahead */
	{
		const char *p[] = {a, b};

		r = PQexecParams(c, "UPDATE sessions SET ended_at = now() WHERE id_hash IN ($1, $2)",
				 2, NULL, p, NULL, NULL, 0);
		ck_assert_int_eq(PQresultStatus(r), PGRES_COMMAND_OK);
		ck_assert_str_eq(PQcmdTuples(r), "2");
		PQclear(r);
	}
	/* another idle is another statement: its own read sees the end */
	ck_assert_int_eq(db_session_load(&db, b, 599, org, NULL, &row, NULL), 0);
	/* the rows read ahead, one per load: a twice, b once */
	ck_assert_int_eq(db_session_load(&db, a, 600, org, NULL, &row, NULL), 1);
	ck_assert_int_eq(row.user_id, user);
	ck_assert_int_eq(row.org_id, org);
	ck_assert_int_eq(db_session_load(&db, b, 600, org, NULL, &row, NULL), 1);
	ck_assert_int_eq(db_session_load(&db, a, 600, org, NULL, &row, NULL), 1);
	/* none left: a third load of a reads its own */
	ck_assert_int_eq(db_session_load(&db, a, 600, org, NULL, &row, NULL), 0);
	/* dropped rows are never taken */
	{
		const char *p[] = {a};

		r = PQexecParams(c, "UPDATE sessions SET ended_at = NULL WHERE id_hash = $1", 1, NULL,
				 p, NULL, NULL, 0);
		PQclear(r);
	}
	ck_assert_int_eq(db_session_prefetch(&db, 1, three, 600), 1);
	db_session_prefetch_drop(&db);
	{
		const char *p[] = {a};

		r = PQexecParams(c, "UPDATE sessions SET ended_at = now() WHERE id_hash = $1", 1, NULL,
				 p, NULL, NULL, 0);
		PQclear(r);
	}
	ck_assert_int_eq(db_session_load(&db, a, 600, org, NULL, &row, NULL), 0);
	/* more than a batch holds: nothing read */
	ck_assert_int_eq(db_session_prefetch(&db, DB_PREFETCH_MAX + 1, three, 600), 0);
	db_close(&db);
	PQfinish(c);
}
END_TEST

START_TEST(test_pool_connection_ended_meanwhile)
{
	struct db_pool *pool = db_pool_new(conf.db_conninfo, 1);
	struct db a;
	int pid;

	ck_assert_ptr_nonnull(pool);
	db_init_pooled(&a, pool);
	ck_assert_int_eq(db_begin(&a), 0);
	pid = PQbackendPID((PGconn *)a.conn);
	ck_assert_int_eq(db_commit(&a), 0);
	backend_end(pid);
	ck_assert_int_eq(db_begin(&a), 0);
	ck_assert_int_ne(PQbackendPID((PGconn *)a.conn), pid);
	ck_assert_int_eq(db_commit(&a), 0);
	pid = 0;
	ck_assert_int_eq(db_begin(&a), 0);
	pid = PQbackendPID((PGconn *)a.conn);
	ck_assert_int_eq(db_commit(&a), 0);
	backend_end(pid);
	ck_assert_int_eq(db_ping(&a), 1);
	db_close(&a);
	db_pool_free(pool);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("core (database and HubSpot)");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_claim_lease_and_postpone);
	tcase_add_test(tc, test_oauth_take_state);
	tcase_add_test(tc, test_refresh);
	tcase_add_test(tc, test_pool);
	tcase_add_test(tc, test_pool_connection_ended_meanwhile);
	tcase_add_test(tc, test_pair_after_rows_one_by_one);
	tcase_add_test(tc, test_session_read_ahead);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
