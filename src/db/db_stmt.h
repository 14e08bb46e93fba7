/*
 * db_stmt: the names of every SQL statement, private to the database
 * layer.  The SQL text is db_stmt.c's table; each statement is prepared
 * once per connection.
 */
#ifndef JS_DB_STMT_H
#define JS_DB_STMT_H

#include "db_activity.h"
#include "db_asset.h"
#include "db_portal.h"

/*
 * Page sizes are part of the SQL text, not parameters: they are not inputs.
 * (Planning does not depend on it: db_ensure() sets plan_cache_mode =
 * force_generic_plan on every connection, so each statement is planned once
 * per connection either way; with a constant the generic plan is costed
 * for the 51 rows read rather than a tenth of the table.)  The sizes are
 * the entity headers' PORTAL_FETCH and ACTIVITY_FETCH.
 */
#define STMT_STR_(x)	   #x
#define STMT_STR(x)	   STMT_STR_(x)
#define PORTAL_FETCH_SQL   STMT_STR(PORTAL_FETCH)
#define ACTIVITY_FETCH_SQL STMT_STR(ACTIVITY_FETCH)
#define ASSET_FETCH_SQL	   STMT_STR(ASSET_FETCH)

enum stmt {
	ST_PING,
	/* users, organisations, sessions */
	ST_ORG_CREATE,
	ST_ORG_BY_NAME,
	ST_USER_CREATE,
	ST_USER_ID_BY_EMAIL,
	ST_USER_LOGIN,
	ST_USER_DISABLE,
	ST_USER_SESSIONS_END,
	ST_MEMBERSHIP_UPSERT,
	ST_ROLE_OF,
	ST_LOGIN_FAILURES,
	ST_LOGIN_FAILED,
	ST_LOGIN_CLEAR,
	ST_LOGIN_FAILURES_CLEANUP,
	ST_SESSION_CREATE,
	ST_SESSION_LOAD,
	ST_SESSION_TOUCH,
	ST_SESSION_END,
	ST_SESSION_FLASH_SET,
	ST_SESSION_FLASH_CLEAR,
	/* portals */
	ST_PORTAL_FIRST_NAME,
	ST_PORTAL_FIRST_NAME_S,
	ST_PORTAL_FIRST_STATUS,
	ST_PORTAL_FIRST_LAST,
	ST_PORTAL_FIRST_LAST_S,
	ST_PORTAL_LIST_NAME,
	ST_PORTAL_LIST_NAME_S,
	ST_PORTAL_LIST_STATUS,
	ST_PORTAL_LIST_LAST,
	ST_PORTAL_LIST_LAST_S,
	ST_PORTAL_GET,
	ST_PORTAL_FIND,
	ST_PORTAL_FIND_HUB,
	ST_PORTAL_LOCK,
	ST_PORTAL_LOCK_HUB,
	ST_PORTAL_INSERT,
	ST_PORTAL_SET_CONNECTED,
	ST_PORTAL_SET_STATUS,
	ST_PORTAL_REMOVE,
	ST_PORTAL_ADMIN_LIST,
	ST_TOKENS_UPSERT,
	ST_TOKENS_GET,
	ST_TOKENS_CAS,
	ST_TOKENS_DELETE,
	ST_ACTIVITY_ADD,
	ST_ACTIVITY_LIST,
	ST_STATE_CREATE,
	ST_STATE_CONSUME,
	ST_STATE_LOOKUP,
	ST_MIGRATION_APPLIED,
	ST_MIGRATION_RECORD,
	ST_METRICS_PORTALS,
	/* worker */
	ST_JOBS_SCHEDULE_REFRESH,
	ST_JOBS_SCHEDULE_HEALTH,
	ST_JOB_CLAIM,
	ST_JOB_CLAIM_STALE,
	ST_JOBS_CLEAR_PORTAL,
	ST_JOB_DONE,
	ST_JOB_RETRY,
	ST_WORKER_PORTAL,
	ST_PORTAL_DEGRADE,
	ST_PORTAL_REFRESHED,
	ST_PORTAL_HEALTH_DONE,
	ST_SCOPE_MISSING,
	ST_COUNTER_BUMP,
	ST_METRICS_JOBS,
	ST_METRICS_COUNTERS,
	ST_STATES_CLEANUP,
	/* runs, pacing, assets */
	ST_RUN_CREATE,
	ST_RUN_JOB_CREATE,
	ST_RUN_GET,
	ST_RUN_START,
	ST_RUN_STEP,
	ST_RUN_FINISH,
	ST_RUNS_OF_PORTAL,
	ST_JOB_POSTPONE,
	ST_PACE_TAKE,
	ST_PACE_BLOCK,
	ST_ASSET_PUT,
	ST_ASSET_MARK_GONE,
	ST_ASSET_LIST,
	ST_ASSET_GET,
	ST_ASSET_VERSIONS,
	ST_ASSET_SOURCES,
	ST_METRICS_JOBS_KIND,
	ST_JOBS_NOTIFY,
	ST_REVOCATION_ADD,
	ST_REVOCATION_JOB,
	ST_REVOCATION_GET,
	ST_REVOCATION_DONE,
	ST_REVOCATIONS_PENDING,
	ST__MAX
};

/* The SQL of a statement and its prepared name. */
const char *stmt_sql(enum stmt st);
const char *stmt_name(enum stmt st);

#endif
