/*
 * db_stmt: the SQL text of every statement, by name.  Placeholders only;
 * no statement is ever assembled from input.
 */
#include "db_int.h"

#define PORTAL_COLS                                                                                \
	"p.id, p.hub_id, p.hub_domain, p.name, p.connection_type, p.status, "                      \
	"p.status_reason, "                                                                        \
	"extract(epoch FROM p.last_connected_at)::bigint AS last_connected, "                      \
	"extract(epoch FROM p.last_refreshed_at)::bigint AS last_refreshed, "                      \
	"extract(epoch FROM p.next_check_at)::bigint AS next_check, "                              \
	"p.hs_user_email, p.connected_by_email"

/* The Client Accounts table: only what a row shows, in this order. */
#define LIST_COLS LIST_COLS_F("-1::int8")
/* found: how many portals a search finds, to 1,001 (-1 when the
 * statement does not count them) */
#define LIST_COLS_F(found)                                                                         \
	"p.id, p.hub_id, p.name, p.hub_domain, p.connection_type, p.status, p.status_reason, "     \
	"p.last_connected_at, p.connected_by_email, p.hs_user_email, p.last_refreshed_at, "        \
	"p.next_check_at, coalesce(d.id, 0) AS last_deploy, coalesce(d.state, '') AS "            \
	"last_deploy_state, p.status_reason_code, coalesce((SELECT string_agg(l.label, ', ' "      \
	"ORDER BY l.label) FROM portal_labels l WHERE l.portal_id = p.id), '') AS labels, "         \
	"coalesce(tz_offset(p.last_connected_at, z.tz), 0) AS lc_off, "                           \
	"coalesce(tz_offset(p.last_refreshed_at, z.tz), 0) AS lr_off, "                           \
	"coalesce(tz_offset(p.next_check_at, z.tz), 0) AS nc_off, z.v AS page_v, z.tz AS page_tz, " \
	found " AS found"

/* The organisation's portals ($1; for the Client Accounts page it comes
 * from the session token's signed grant, see auth_load_with). */
/* A run with its portal and who started it (struct run_row); its times
 * for people in the IANA zone tz (a parameter, sql/0018). */
#define RUN_COLS(tz)                                                                                \
	"r.id, r.org_id, r.portal_id, coalesce(r.started_by, 0) AS started_by, r.kind, r.state, "  \
	"r.steps_total, r.steps_done, r.items_seen, r.items_new, r.items_changed, "               \
	"r.items_unchanged, r.items_gone, r.items_failed, r.hs_calls, r.failure_code, "           \
	"r.failure_message, r.failure_category, r.failure_correlation_id, "                       \
	"coalesce(local_iso(r.created_at, " tz "), '') AS created, "                               \
	"coalesce(local_iso(r.finished_at, " tz "), '') AS finished, "                             \
	"coalesce(extract(epoch FROM r.started_at), 0)::bigint AS started_at, "                     \
	"coalesce(extract(epoch FROM r.finished_at), 0)::bigint AS finished_at, "                   \
	"extract(epoch FROM now())::bigint AS now, p.name AS portal_name, p.hub_id, "               \
	"coalesce(u.email, '') AS started_by_email, coalesce((SELECT j.last_error FROM jobs j "    \
	"WHERE j.run_id = r.id ORDER BY j.id DESC LIMIT 1), '') AS last_error"

/* An asset with where it came from (struct asset_row), its last import in
 * the IANA zone tz (a parameter). */
#define ASSET_COLS(tz)                                                                              \
	"a.id, a.source_hub_id, coalesce(a.source_portal_id, 0) AS source_portal_id, "            \
	"a.object_type, a.kind, a.name, a.label, a.group_name, a.type, a.field_type, a.version, "  \
	"a.gone_at IS NOT NULL AS gone, coalesce(p.removed_at IS NOT NULL, false) AS "             \
	"source_removed, coalesce(p.name, '') AS source_name, "                                    \
	"local_iso(a.last_imported_at, " tz ") AS last_imported"

/* ---- the organisation's activity log (issue 17 item 1) ----
 * Newest first by (created_at, id).  The inner query reads the page's ids
 * in order from the index that starts with the filter given (sql/0019;
 * index-only where the pages are all-visible), a date range being a range
 * of it; a filter not given is a constant test of its parameter, so the
 * plan of each statement knows exactly which filters it has
 * (test_activity_log.py checks the plans).
 * $1 org, $2 the IANA zone, $3 portal (0), $4 user (0), $5 kind (''),
 * $6 from, $7 to ('YYYY-MM-DD' in the zone, '' open; to is included),
 * $8 before: an entry id (0 none); the page goes on after it in the order. */
#define ACT_BEFORE_AT                                                                              \
	"coalesce((SELECT c.created_at FROM activity c WHERE c.id = $8::bigint AND c.org_id = $1), " \
	"'infinity')"
#define ACT_TO_AT                                                                                  \
	"coalesce((NULLIF($7::text, '')::date + 1)::timestamp AT TIME ZONE $2::text, 'infinity')"
/* (created_at, id) below the before entry and below the end of the to
 * day: one row comparison, so that the index scan starts at the right
 * place whichever bound is lower */
#define ACT_BOUND                                                                                  \
	"(x.created_at, x.id) < (least(" ACT_BEFORE_AT ", " ACT_TO_AT "), CASE WHEN " ACT_BEFORE_AT \
	" < " ACT_TO_AT " THEN (CASE WHEN $8::bigint > 0 THEN $8::bigint ELSE "                  \
	"9223372036854775807 END) ELSE 0 END)"
#define ACT_SQL(portal, user, kind, limit)                                                         \
	"SELECT a.id, local_iso(a.created_at, $2::text) AS at, coalesce(a.portal_id, 0) AS "       \
	"portal_id, coalesce(p.name, '') AS portal_name, coalesce(p.hub_id, 0) AS hub_id, "        \
	"coalesce(p.removed_at IS NOT NULL, false) AS portal_removed, coalesce(u.email, '') AS "  \
	"user_email, a.kind, a.message, coalesce(a.correlation_id, '') AS correlation_id FROM "   \
	"(SELECT x.id FROM activity x WHERE x.org_id = $1 AND " portal " AND " user " AND " kind  \
	" AND x.created_at >= coalesce(NULLIF($6::text, '')::date::timestamp AT TIME ZONE "       \
	"$2::text, '-infinity') AND " ACT_BOUND " ORDER BY x.created_at DESC, x.id DESC" limit    \
	") k JOIN activity a ON a.id = k.id LEFT JOIN portals p ON p.id = a.portal_id LEFT JOIN " \
	"users u ON u.id = a.user_id ORDER BY a.created_at DESC, a.id DESC"
#define ACT_P0 "$3::bigint = 0"
#define ACT_P1 "x.portal_id = $3::bigint"
#define ACT_U0 "$4::bigint = 0"
#define ACT_U1 "x.user_id = $4::bigint"
#define ACT_K0 "$5::text = ''"
#define ACT_K1 "x.kind = $5::text"
#define ACT_PAGE " LIMIT " ACTIVITY_LOG_FETCH_SQL
#define ACT_ALL ""

#define LIST_ORG "$1"

/* The Client Accounts rows: PORTAL_FROM with z.tz, the time zone of the
 * viewer (the session whose id hash is parameter v: its user's, else the
 * organisation's; the organisation's for ""), read once per statement; the
 * rows' times carry its offsets (tz_offset(), sql/0018).  z.v is the
 * organisation's change counter (sql/0023) read in the rows' snapshot: the
 * page cache holds the rows under it (db_session.c). */
#define PORTAL_FROM_V(v)                                                                           \
	" FROM (SELECT coalesce((SELECT u.time_zone FROM sessions s JOIN users u ON u.id = "      \
	"s.user_id WHERE s.id_hash = " v "), (SELECT o.time_zone FROM organisations o WHERE o.id " \
	"= " LIST_ORG "), 'UTC') AS tz, coalesce((SELECT ov.v FROM org_versions ov WHERE ov.org_id " \
	"= " LIST_ORG "), 0) AS v OFFSET 0) z, portals p LEFT JOIN LATERAL (SELECT r.id, r.state "     \
	"FROM runs r WHERE r.portal_id = p.id AND r.kind = 'deploy' ORDER BY r.id DESC LIMIT 1) d " \
	"ON true WHERE p.org_id = " LIST_ORG " AND p.removed_at IS NULL "

#define PORTAL_FROM                                                                                \
	" FROM portals p LEFT JOIN LATERAL (SELECT r.id, r.state FROM runs r WHERE r.portal_id "   \
	"= p.id AND r.kind = 'deploy' ORDER BY r.id DESC LIMIT 1) d ON true "                     \
	"WHERE p.org_id = " LIST_ORG " AND p.removed_at IS NULL "

/* The sort key of the portal with id $2 (the last row shown), read inside
 * the organisation: an unknown or foreign id starts from the top. */
#define AFTER(col, none)                                                                           \
	"coalesce((SELECT a." col " FROM portals a WHERE a.id = $2 AND a.org_id = " LIST_ORG       \
	"), " none ")"
#define AFTER_NAME AFTER("sort_name", "''")
#define AFTER_RANK AFTER("status_rank", "(-1)::smallint")
#define AFTER_LAST AFTER("last_connected_at", "'infinity'")

#define ORDER_NAME   "ORDER BY p.sort_name, p.id "
#define ORDER_STATUS "ORDER BY p.status_rank, p.sort_name, p.id "
#define ORDER_LAST   "ORDER BY p.last_connected_at DESC, p.id DESC "
/* the same orders reversed: a page before a row, and the last page, are
 * read backwards from it (the page shows them the right way round) */
#define ORDER_NAME_R   "ORDER BY p.sort_name DESC, p.id DESC "
#define ORDER_STATUS_R "ORDER BY p.status_rank DESC, p.sort_name DESC, p.id DESC "
#define ORDER_LAST_R   "ORDER BY p.last_connected_at, p.id "

static const struct {
	const char *name;
	const char *sql;
	/* planned for each call's values (db_try): statements whose best
	 * plan depends on which optional filters are set */
	int per_call;
} stmts[ST__MAX] = {
    [ST_PING] = {"ping", "SELECT 1"},
    [ST_ORG_CREATE] = {"org_create", "INSERT INTO organisations (name) VALUES ($1) RETURNING id"},
    [ST_ORG_BY_NAME] = {"org_by_name",
			"SELECT id FROM organisations WHERE lower(name) = lower($1)"},
    [ST_USER_CREATE] = {"user_create", "INSERT INTO users (email, password_hash) "
				       "VALUES ($1, $2) RETURNING id"},
    [ST_USER_ID_BY_EMAIL] = {"user_id_by_email",
			     "SELECT id FROM users WHERE lower(email) = lower($1)"},
    /* the organisation signed in to last (team: then the first joined),
     * and how many the user belongs to */
    [ST_USER_LOGIN] = {"user_login",
		       "SELECT u.id, u.password_hash, u.disabled_at IS NOT NULL AS disabled, "
		       "m.org_id, (SELECT count(*) FROM memberships c WHERE c.user_id = u.id) AS "
		       "n_orgs FROM users u LEFT JOIN LATERAL (SELECT org_id FROM memberships WHERE "
		       "user_id = u.id ORDER BY last_sign_in_at DESC NULLS LAST, created_at, org_id "
		       "LIMIT 1) m ON true WHERE lower(u.email) = lower($1)"},
    [ST_USER_DISABLE] = {"user_disable", "UPDATE users SET disabled_at = now() "
					 "WHERE id = $1 AND disabled_at IS NULL"},
    [ST_USER_SESSIONS_END] = {"user_sessions_end", "UPDATE sessions SET ended_at = now() "
						   "WHERE user_id = $1 AND ended_at IS NULL"},
    [ST_MEMBERSHIP_UPSERT] = {"membership_upsert",
			      "INSERT INTO memberships (user_id, org_id, role) VALUES ($1, $2, $3) "
			      "ON CONFLICT (user_id, org_id) DO UPDATE SET role = EXCLUDED.role"},
    [ST_ROLE_OF] = {"role_of", "SELECT m.role FROM memberships m JOIN users u ON u.id = "
			       "m.user_id WHERE m.user_id = $1 AND m.org_id = $2 AND "
			       "u.disabled_at IS NULL"},
    [ST_LOGIN_FAILURES] = {"login_failures",
			   "SELECT count(*) AS n FROM login_failures WHERE email = lower($1) "
			   "AND at > now() - make_interval(secs => $2::int)"},
    [ST_LOGIN_FAILED] = {"login_failed", "INSERT INTO login_failures (email) VALUES (lower($1))"},
    [ST_LOGIN_CLEAR] = {"login_clear", "DELETE FROM login_failures WHERE email = lower($1)"},
    [ST_LOGIN_FAILURES_CLEANUP] =
	{"login_failures_cleanup",
	 "DELETE FROM login_failures WHERE at < now() - interval '1 day'"},
    [ST_SESSION_CREATE] = {"session_create",
			   "INSERT INTO sessions (id_hash, user_id, org_id, expires_at) "
			   "VALUES ($1, $2, $3, now() + make_interval(secs => $4::int))"},
    [ST_SESSION_LOAD] =
	{"session_load",
	 "SELECT s.user_id, s.org_id, m.role, u.email, o.name AS org_name, s.flash, "
	 "s.last_seen_at < now() - interval '60 seconds' AS stale, "
	 "coalesce(pc.connected, 0) AS n_connected, "
	 "coalesce(pc.needs_reconnection, 0) AS n_needs, "
	 "coalesce(pc.disconnected, 0) AS n_disconnected, "
	 "coalesce(u.time_zone, o.time_zone) AS tz, "
	 "(SELECT count(*) FROM memberships mo WHERE mo.user_id = s.user_id) AS n_orgs, "
	 "coalesce((SELECT ov.v FROM org_versions ov WHERE ov.org_id = s.org_id), 0) AS page_v "
	 "FROM sessions s JOIN users u ON u.id = s.user_id "
	 "JOIN memberships m ON m.user_id = s.user_id AND m.org_id = s.org_id "
	 "JOIN organisations o ON o.id = s.org_id "
	 "LEFT JOIN portal_counts pc ON pc.org_id = s.org_id "
	 "WHERE s.id_hash = $1 AND s.ended_at IS NULL AND s.expires_at > now() "
	 "AND s.last_seen_at > now() - make_interval(secs => $2::int) "
	 "AND u.disabled_at IS NULL"},
    [ST_SESSION_TOUCH] = {"session_touch",
			  "UPDATE sessions SET last_seen_at = now() WHERE id_hash = $1"},
    [ST_SESSION_END] = {"session_end", "UPDATE sessions SET ended_at = now() "
				       "WHERE id_hash = $1 AND ended_at IS NULL"},
    [ST_SESSION_FLASH_SET] = {"session_flash_set",
			      "UPDATE sessions SET flash = $2 WHERE id_hash = $1"},
    [ST_SESSION_FLASH_CLEAR] = {"session_flash_clear",
				"UPDATE sessions SET flash = NULL WHERE id_hash = $1"},

    /* Client Accounts pages, $1 the organisation.  First pages: $2
     * the limit, $3 the status.  Later pages: $2 the id of the last row
     * shown (its sort key is read here, so a cursor is only ever an id), $3
     * the limit, $4 the status.  Columns by position, read in binary
     * (page_portals.c). */
    [ST_PORTAL_FIRST_NAME] = {"portal_first_name",
			      "SELECT " LIST_COLS PORTAL_FROM_V("$2") ORDER_NAME "LIMIT " PORTAL_FETCH_SQL},
    [ST_PORTAL_FIRST_NAME_S] = {"portal_first_name_s",
				"SELECT " LIST_COLS PORTAL_FROM_V("$3") "AND p.status = $2 " ORDER_NAME
				"LIMIT " PORTAL_FETCH_SQL},
    [ST_PORTAL_FIRST_STATUS] = {"portal_first_status", "SELECT " LIST_COLS PORTAL_FROM_V("$2") ORDER_STATUS
						       "LIMIT " PORTAL_FETCH_SQL},
    [ST_PORTAL_FIRST_LAST] = {"portal_first_last",
			      "SELECT " LIST_COLS PORTAL_FROM_V("$2") ORDER_LAST "LIMIT " PORTAL_FETCH_SQL},
    [ST_PORTAL_FIRST_LAST_S] = {"portal_first_last_s",
				"SELECT " LIST_COLS PORTAL_FROM_V("$3") "AND p.status = $2 " ORDER_LAST
				"LIMIT " PORTAL_FETCH_SQL},
    [ST_PORTAL_LIST_NAME] = {"portal_list_name", "SELECT " LIST_COLS PORTAL_FROM_V("$3")
						 "AND (p.sort_name, p.id) > (" AFTER_NAME
						 ", $2) " ORDER_NAME "LIMIT " PORTAL_FETCH_SQL},
    [ST_PORTAL_LIST_NAME_S] = {"portal_list_name_s",
			       "SELECT " LIST_COLS PORTAL_FROM_V("$4")
			       "AND p.status = $3 AND (p.sort_name, p.id) > (" AFTER_NAME
			       ", $2) " ORDER_NAME "LIMIT " PORTAL_FETCH_SQL},
    [ST_PORTAL_LIST_STATUS] = {"portal_list_status",
			       "SELECT " LIST_COLS PORTAL_FROM_V("$3")
			       "AND (p.status_rank, p.sort_name, p.id) > (" AFTER_RANK
			       ", " AFTER_NAME ", $2) " ORDER_STATUS "LIMIT " PORTAL_FETCH_SQL},
    [ST_PORTAL_LIST_LAST] = {"portal_list_last", "SELECT " LIST_COLS PORTAL_FROM_V("$3")
						 "AND (p.last_connected_at, p.id) < (" AFTER_LAST
						 ", $2) " ORDER_LAST "LIMIT " PORTAL_FETCH_SQL},
    [ST_PORTAL_LIST_LAST_S] = {"portal_list_last_s",
			       "SELECT " LIST_COLS PORTAL_FROM_V("$4")
			       "AND p.status = $3 AND (p.last_connected_at, p.id) < (" AFTER_LAST
			       ", $2) " ORDER_LAST "LIMIT " PORTAL_FETCH_SQL},
    /* Earlier pages: $2 the id of the first row shown; the last page:
     * no cursor.  Both read in reverse order. */
    [ST_PORTAL_BEFORE_NAME] = {"portal_before_name",
			       "SELECT " LIST_COLS PORTAL_FROM_V("$3") "AND (p.sort_name, p.id) < ("
			       AFTER_NAME ", $2) " ORDER_NAME_R "LIMIT " PORTAL_FETCH_SQL},
    [ST_PORTAL_BEFORE_NAME_S] = {"portal_before_name_s",
				 "SELECT " LIST_COLS PORTAL_FROM_V("$4")
				 "AND p.status = $3 AND (p.sort_name, p.id) < (" AFTER_NAME
				 ", $2) " ORDER_NAME_R "LIMIT " PORTAL_FETCH_SQL},
    [ST_PORTAL_BEFORE_STATUS] = {"portal_before_status",
				 "SELECT " LIST_COLS PORTAL_FROM_V("$3")
				 "AND (p.status_rank, p.sort_name, p.id) < (" AFTER_RANK
				 ", " AFTER_NAME ", $2) " ORDER_STATUS_R "LIMIT " PORTAL_FETCH_SQL},
    [ST_PORTAL_BEFORE_LAST] = {"portal_before_last",
			       "SELECT " LIST_COLS PORTAL_FROM_V("$3")
			       "AND (p.last_connected_at, p.id) > (" AFTER_LAST ", $2) "
			       ORDER_LAST_R "LIMIT " PORTAL_FETCH_SQL},
    [ST_PORTAL_BEFORE_LAST_S] = {"portal_before_last_s",
				 "SELECT " LIST_COLS PORTAL_FROM_V("$4")
				 "AND p.status = $3 AND (p.last_connected_at, p.id) > (" AFTER_LAST
				 ", $2) " ORDER_LAST_R "LIMIT " PORTAL_FETCH_SQL},
    [ST_PORTAL_END_NAME] = {"portal_end_name", "SELECT " LIST_COLS PORTAL_FROM_V("$2")
						   ORDER_NAME_R "LIMIT " PORTAL_FETCH_SQL},
    [ST_PORTAL_END_NAME_S] = {"portal_end_name_s",
			      "SELECT " LIST_COLS PORTAL_FROM_V("$3") "AND p.status = $2 "
			      ORDER_NAME_R "LIMIT " PORTAL_FETCH_SQL},
    [ST_PORTAL_END_STATUS] = {"portal_end_status", "SELECT " LIST_COLS PORTAL_FROM_V("$2")
						       ORDER_STATUS_R "LIMIT " PORTAL_FETCH_SQL},
    [ST_PORTAL_END_LAST] = {"portal_end_last", "SELECT " LIST_COLS PORTAL_FROM_V("$2")
						   ORDER_LAST_R "LIMIT " PORTAL_FETCH_SQL},
    [ST_PORTAL_END_LAST_S] = {"portal_end_last_s",
			      "SELECT " LIST_COLS PORTAL_FROM_V("$3") "AND p.status = $2 "
			      ORDER_LAST_R "LIMIT " PORTAL_FETCH_SQL},
    [ST_PORTAL_GET] = {"portal_get",
		       "SELECT " PORTAL_COLS ", p.granted_scopes, "
		       "extract(epoch FROM p.status_changed_at)::bigint AS status_changed, "
		       "extract(epoch FROM p.first_connected_at)::bigint AS first_connected, "
		       "p.hs_user_id, local_iso(p.last_connected_at, $3) AS last_connected_at, "
		       "local_iso(p.last_refreshed_at, $3) AS last_refreshed_at, "
		       "local_iso(p.next_check_at, $3) AS next_check_at, "
		       "local_iso(p.status_changed_at, $3) AS status_changed_at, "
		       "local_iso(p.first_connected_at, $3) AS first_connected_at" PORTAL_FROM
		       "AND p.id = $2"},
    [ST_PORTAL_FIND] = {"portal_find",
			"SELECT id, hub_id, status, connection_type, name FROM portals "
			"WHERE id = $1 AND org_id = $2 AND removed_at IS NULL"},
    [ST_PORTAL_FIND_HUB] = {"portal_find_hub",
			    "SELECT id, hub_id, status, connection_type, name FROM portals "
			    "WHERE org_id = $1 AND hub_id = $2 AND removed_at IS NULL"},
    [ST_PORTAL_LOCK] = {"portal_lock",
			"SELECT id, hub_id, status, connection_type, name FROM portals "
			"WHERE id = $1 AND org_id = $2 AND removed_at IS NULL FOR UPDATE"},
    [ST_PORTAL_LOCK_HUB] = {"portal_lock_hub",
			    "SELECT id, hub_id, status, connection_type, name FROM portals "
			    "WHERE org_id = $1 AND hub_id = $2 AND removed_at IS NULL FOR UPDATE"},
    [ST_PORTAL_INSERT] = {"portal_insert",
			  "INSERT INTO portals (org_id, hub_id, hub_domain, name, connection_type, "
			  "status, connected_by) VALUES ($1, $2, $3, $4, $5, 'connected', $6) "
			  "ON CONFLICT DO NOTHING RETURNING id"},
    [ST_PORTAL_SET_CONNECTED] =
	{"portal_set_connected",
	 "UPDATE portals SET status = 'connected', status_reason = '', status_reason_code = '', "
	 "status_changed_at = CASE WHEN status <> 'connected' THEN now() "
	 "ELSE status_changed_at END, granted_scopes = $3, hs_user_id = $4, "
	 "hs_user_email = $5, connected_by = $6, last_connected_at = now(), "
	 "last_refreshed_at = now(), hub_domain = CASE WHEN $7 <> '' THEN $7 "
	 "ELSE hub_domain END, "
	 "next_health_at = now() + make_interval(secs => $8::int), "
	 "next_check_at = now() + make_interval(secs => $9::int) "
	 "WHERE id = $1 AND org_id = $2"},
    /* the display name: the domain at first, then whatever owners and admins
     * set; a reconnect never touches it */
    [ST_PORTAL_RENAME] = {"portal_rename",
			  "UPDATE portals SET name = $3 WHERE id = $2 AND org_id = $1 AND "
			  "removed_at IS NULL"},
    [ST_PORTAL_SET_STATUS] = {"portal_set_status",
			      "UPDATE portals SET status = $3, status_reason = $4, "
			      "status_reason_code = $5, status_changed_at = now() "
			      "WHERE id = $1 AND org_id = $2 AND removed_at IS NULL "
			      "AND (status <> $3 OR status_reason <> $4)"},
    [ST_PORTAL_REMOVE] = {"portal_remove",
			  "UPDATE portals SET removed_at = now(), status = 'disconnected', "
			  "status_reason = $3, status_reason_code = 'removed' "
			  "WHERE id = $1 AND org_id = $2 AND removed_at IS NULL"},
    [ST_PORTAL_ADMIN_LIST] = {"portal_admin_list",
			      "SELECT p.id, p.hub_id, p.name, p.connection_type, p.status, "
			      "p.status_reason" PORTAL_FROM "ORDER BY p.sort_name, p.id"},
    [ST_TOKENS_UPSERT] = {"tokens_upsert",
			  "INSERT INTO portal_tokens (portal_id, key_id, access_token_enc, "
			  "refresh_token_enc, access_expires_at) VALUES ($1, $2, $3::bytea, "
			  "$4::bytea, now() + make_interval(secs => $5::int)) "
			  "ON CONFLICT (portal_id) DO UPDATE SET key_id = EXCLUDED.key_id, "
			  "access_token_enc = EXCLUDED.access_token_enc, "
			  "refresh_token_enc = EXCLUDED.refresh_token_enc, "
			  "access_expires_at = EXCLUDED.access_expires_at, "
			  "version = portal_tokens.version + 1, "
			  "grant_seq = nextval('portal_grant_seq'), updated_at = now() "
			  "RETURNING version"},
    [ST_TOKENS_GET] = {"tokens_get",
		       "SELECT key_id, access_token_enc, refresh_token_enc, "
		       "extract(epoch FROM access_expires_at)::bigint AS expires, version, "
		       "grant_seq "
		       "FROM portal_tokens WHERE portal_id = $1"},
    [ST_TOKENS_CAS] = {"tokens_cas",
		       "UPDATE portal_tokens SET key_id = $3, access_token_enc = $4::bytea, "
		       "refresh_token_enc = $5::bytea, "
		       "access_expires_at = now() + make_interval(secs => $6::int), "
		       "version = version + 1, updated_at = now() "
		       "WHERE portal_id = $1 AND version = $2 RETURNING version"},
    [ST_TOKENS_DELETE] = {"tokens_delete", "DELETE FROM portal_tokens WHERE portal_id = $1"},
    [ST_ACTIVITY_ADD] = {"activity_add",
			 "INSERT INTO activity (org_id, portal_id, user_id, kind, message, "
			 "correlation_id) VALUES ($1, NULLIF($2, '')::bigint, "
			 "NULLIF($3, '')::bigint, $4, $5, NULLIF($6, ''))"},
    [ST_ACTIVITY_LIST] = {"activity_list",
			  "SELECT a.id, a.kind, a.message, coalesce(a.correlation_id, '') AS "
			  "correlation_id, extract(epoch FROM a.created_at)::bigint AS at, "
			  "coalesce(u.email, '') AS user_email, local_iso(a.created_at, $4) AS "
			  "at_iso FROM activity a LEFT JOIN users u ON u.id = a.user_id "
			  "WHERE a.portal_id = $1 AND a.org_id = $2 AND a.id < $3::bigint "
			  "ORDER BY a.id DESC LIMIT " ACTIVITY_FETCH_SQL},
    [ST_STATE_CREATE] = {"state_create",
			 "INSERT INTO oauth_states (state_hash, session_hash, user_id, org_id, "
			 "portal_id, connection_type, expires_at, link_id) VALUES ($1, $2, $3, $4, "
			 "NULLIF($5, '')::bigint, $6, now() + make_interval(secs => $7::int), "
			 "NULLIF($8, '')::bigint)"},
    [ST_STATE_LINK] = {"state_link",
		       "SELECT coalesce(link_id, 0) AS link_id FROM oauth_states WHERE state_hash = "
		       "$1"},
    [ST_STATE_CONSUME] = {"state_consume",
			  "UPDATE oauth_states SET used_at = now() WHERE state_hash = $1 "
			  "AND used_at IS NULL RETURNING session_hash, user_id, org_id, "
			  "coalesce(portal_id::text, '') AS portal_id, connection_type, "
			  "expires_at < now() AS expired, coalesce(link_id, 0) AS link_id"},
    [ST_STATE_LOOKUP] = {"state_lookup", "SELECT used_at IS NOT NULL AS used FROM oauth_states "
					 "WHERE state_hash = $1"},
    [ST_MIGRATION_APPLIED] = {"migration_applied",
			      "SELECT 1 FROM schema_migrations WHERE version = $1"},
    [ST_MIGRATION_RECORD] = {"migration_record",
			     "INSERT INTO schema_migrations (version) VALUES ($1)"},
    [ST_METRICS_PORTALS] = {"metrics_portals",
			    "SELECT coalesce(sum(connected), 0) AS connected, "
			    "coalesce(sum(needs_reconnection), 0) AS needs_reconnection, "
			    "coalesce(sum(disconnected), 0) AS disconnected FROM portal_counts"},

    /* worker: refresh jobs follow the access token's expiry (minus a
     * margin); health jobs follow next_health_at */
    [ST_JOBS_SCHEDULE_REFRESH] =
	{"jobs_schedule_refresh",
	 "INSERT INTO jobs (kind, portal_id, run_after) "
	 "SELECT 'refresh', p.id, greatest(now(), t.access_expires_at - "
	 "make_interval(secs => $1::int)) FROM portals p "
	 "JOIN portal_tokens t ON t.portal_id = p.id "
	 "WHERE p.status = 'connected' AND p.removed_at IS NULL "
	 "ON CONFLICT (kind, portal_id) WHERE state IN ('queued', 'running') "
	 "AND kind IN ('refresh', 'health') "
	 "DO UPDATE SET run_after = EXCLUDED.run_after WHERE jobs.state = "
	 "'queued' AND jobs.attempts = 0 AND EXCLUDED.run_after < "
	 "jobs.run_after"},
    [ST_JOBS_SCHEDULE_HEALTH] =
	{"jobs_schedule_health",
	 "INSERT INTO jobs (kind, portal_id, run_after) "
	 "SELECT 'health', p.id, coalesce(p.next_health_at, now()) "
	 "FROM portals p JOIN portal_tokens t ON t.portal_id = p.id "
	 "WHERE p.status = 'connected' AND p.removed_at IS NULL "
	 "ON CONFLICT (kind, portal_id) WHERE state IN ('queued', 'running') "
	 "AND kind IN ('refresh', 'health') "
	 "DO UPDATE SET run_after = EXCLUDED.run_after WHERE jobs.state = "
	 "'queued' AND jobs.attempts = 0 AND EXCLUDED.run_after < "
	 "jobs.run_after"},
    [ST_JOB_CLAIM] = {"job_claim",
		      "UPDATE jobs SET state = 'running', locked_by = $1, "
		      "locked_until = now() + make_interval(secs => $2::int), "
		      "attempts = attempts + 1, updated_at = now() WHERE id = ("
		      "SELECT id FROM jobs WHERE state = 'queued' AND run_after <= now() "
		      "ORDER BY run_after, id LIMIT 1 FOR UPDATE SKIP LOCKED) "
		      "RETURNING id, kind, portal_id, attempts, coalesce(run_id, 0) AS run_id, step, coalesce(revocation_id, 0) AS revocation_id"},
    /* a job whose worker died: its lease ran out */
    [ST_JOB_CLAIM_STALE] = {"job_claim_stale",
			    "UPDATE jobs SET locked_by = $1, "
			    "locked_until = now() + make_interval(secs => $2::int), "
			    "attempts = attempts + 1, updated_at = now() WHERE id = ("
			    "SELECT id FROM jobs WHERE state = 'running' AND locked_until < now() "
			    "ORDER BY locked_until, id LIMIT 1 FOR UPDATE SKIP LOCKED) "
			    "RETURNING id, kind, portal_id, attempts, coalesce(run_id, 0) AS run_id, step, coalesce(revocation_id, 0) AS revocation_id"},
    [ST_JOBS_CLEAR_PORTAL] = {"jobs_clear_portal",
			      "DELETE FROM jobs WHERE portal_id = $1 AND state = 'queued' "
			      "AND kind IN ('refresh', 'health')"},
    [ST_JOB_DONE] = {"job_done", "DELETE FROM jobs WHERE id = $1 AND locked_by = $2"},
    /* $5: the failure was outage-kind (the breaker's; the streak's start is
     * kept in failing_since) */
    [ST_JOB_RETRY] = {"job_retry",
		      "UPDATE jobs SET state = 'queued', locked_by = NULL, locked_until = NULL, "
		      "run_after = now() + make_interval(secs => $3::int), last_error = $4, "
		      "failing_since = coalesce(failing_since, now()), outage = $5::boolean, "
		      "updated_at = now() WHERE id = $1 AND locked_by = $2"},
    [ST_WORKER_PORTAL] = {"worker_portal",
			  "SELECT id, org_id, hub_id, status, status_reason, status_reason_code, "
			  "name, connection_type, "
			  "coalesce(hs_user_id::text, '') AS hs_user_id, hs_user_email, "
			  "granted_scopes, removed_at IS NOT NULL AS removed FROM portals WHERE id = "
			  "$1"},
    /* Connected -> $2 with reason $3 (code $5), only while the tokens
     * are still of grant $4 (a reconnect in between wins) */
    [ST_PORTAL_DEGRADE] = {"portal_degrade",
			   "UPDATE portals SET status = $2, status_reason = $3, "
			   "status_reason_code = $5, status_changed_at = now() "
			   "WHERE id = $1 AND removed_at IS NULL "
			   "AND status = 'connected' AND EXISTS (SELECT 1 FROM portal_tokens t "
			   "WHERE t.portal_id = $1 AND t.grant_seq = $4::bigint) RETURNING org_id"},
    [ST_PORTAL_REFRESHED] = {"portal_refreshed",
			     "UPDATE portals SET last_refreshed_at = now(), next_check_at = "
			     "least(now() + make_interval(secs => $2::int), next_health_at) "
			     "WHERE id = $1"},
    [ST_PORTAL_HEALTH_DONE] =
	{"portal_health_done",
	 "UPDATE portals SET next_health_at = now() + make_interval(secs => "
	 "$2::int), next_check_at = least(now() + make_interval(secs => "
	 "$2::int), (SELECT t.access_expires_at - make_interval(secs => $3::int) "
	 "FROM portal_tokens t WHERE t.portal_id = $1)) WHERE id = $1"},
    /* Connected portals of type $1 whose granted scopes lack one of the
     * required $2, with the missing ones and their tokens' version */
    [ST_SCOPE_MISSING] = {"scope_missing",
			  "SELECT p.id, t.grant_seq, array_to_string(ARRAY(SELECT s FROM "
			  "unnest(string_to_array($2, ' ')) s WHERE s <> '' AND s <> ALL "
			  "(string_to_array(p.granted_scopes, ' '))), ', ') AS missing "
			  "FROM portals p JOIN portal_tokens t ON t.portal_id = p.id "
			  "WHERE p.removed_at IS NULL AND p.status = 'connected' "
			  "AND p.connection_type = $1 AND NOT (string_to_array($2, ' ') "
			  "<@ string_to_array(p.granted_scopes, ' ')) ORDER BY p.id"},
    [ST_COUNTER_BUMP] = {"counter_bump",
			 "INSERT INTO worker_counters (name, value) VALUES ($1, 1) "
			 "ON CONFLICT (name) DO UPDATE SET value = worker_counters.value + 1"},
    [ST_METRICS_JOBS] = {"metrics_jobs",
			 "SELECT count(*) FILTER (WHERE state = 'queued' AND run_after <= now()) "
			 "AS due, count(*) FILTER (WHERE state = 'queued') AS queued, "
			 "count(*) FILTER (WHERE state = 'running') AS running, "
			 "coalesce(extract(epoch FROM now() - min(run_after) FILTER (WHERE "
			 "state = 'queued' AND run_after <= now())), 0)::bigint AS oldest_due "
			 "FROM jobs"},
    [ST_METRICS_COUNTERS] = {"metrics_counters",
			     "SELECT name, value FROM worker_counters ORDER BY name"},
    [ST_STATES_CLEANUP] = {"states_cleanup",
			   "DELETE FROM oauth_states WHERE expires_at < now() - interval '1 day'"},

    /* runs: a queued one has a job; one failed at once has none */
    [ST_RUN_CREATE] = {"run_create",
		       "INSERT INTO runs (org_id, portal_id, kind, started_by, steps_total, state, "
		       "failure_code, failure_message, finished_at) VALUES ($1, $2, $3, "
		       "NULLIF($4, '')::bigint, $5::int, CASE WHEN $6 = '' THEN 'queued' ELSE "
		       "'failed' END, $6, $7, CASE WHEN $6 = '' THEN NULL ELSE now() END) "
		       "RETURNING id"},
    [ST_RUN_JOB_CREATE] = {"run_job_create",
			   "INSERT INTO jobs (kind, portal_id, run_id, step) SELECT $1, $2, $3, s "
			   "FROM generate_series(1, $4::int) s"},
    [ST_RUN_GET] = {"run_get",
		    "SELECT " RUN_COLS("$3") " FROM runs r JOIN portals p ON p.id = r.portal_id "
		    "LEFT JOIN users u ON u.id = r.started_by "
		    "WHERE r.id = $1 AND ($2::bigint = 0 OR r.org_id = $2::bigint)"},
    [ST_RUN_START] = {"run_start",
		      "UPDATE runs SET state = 'running', started_at = coalesce(started_at, "
		      "now()) WHERE id = $1 AND finished_at IS NULL RETURNING id"},
    [ST_RUN_STEP] = {"run_step",
		     "UPDATE runs SET steps_mask = steps_mask | (1 << ($2::int - 1)), steps_done = "
		     "steps_done + 1, items_seen = items_seen + $3::int, "
		     "items_new = items_new + $4::int, items_changed = items_changed + $5::int, "
		     "items_unchanged = items_unchanged + $6::int, items_gone = items_gone + "
		     "$7::int, hs_calls = hs_calls + $8::int WHERE id = $1 AND steps_mask & (1 << "
		     "($2::int - 1)) = 0 AND finished_at IS NULL RETURNING steps_done >= steps_total "
		     "AS last"},
    [ST_RUN_ADD_CALLS] = {"run_add_calls",
			  "UPDATE runs SET hs_calls = hs_calls + $2::int WHERE id = $1"},
    [ST_RUN_FINISH] = {"run_finish",
		       "UPDATE runs SET state = $2, failure_code = $3, failure_message = $4, "
		       "failure_category = $5, failure_correlation_id = $6, finished_at = now(), "
		       "started_at = coalesce(started_at, now()) "
		       "WHERE id = $1 AND finished_at IS NULL"},
    /* back to the queue without counting an attempt (pacing) */
    [ST_JOB_POSTPONE] = {"job_postpone",
			 "UPDATE jobs SET state = 'queued', locked_by = NULL, locked_until = NULL, "
			 "attempts = greatest(attempts - 1, 0), run_after = now() + "
			 "make_interval(secs => $3::int / 1000.0), updated_at = now() "
			 "WHERE id = $1 AND locked_by = $2"},
    /* one call of a hub's window: granted while calls <= the limit and no
     * 429 asked to wait */
    [ST_PACE_TAKE] = {"pace_take",
		      "INSERT INTO hs_pacing AS h (hub_id, window_start, calls) VALUES ($1, now(), "
		      "1) ON CONFLICT (hub_id) DO UPDATE SET window_start = CASE WHEN "
		      "h.window_start + make_interval(secs => $3::int / 1000.0) <= now() THEN "
		      "now() ELSE h.window_start END, calls = CASE WHEN h.window_start + "
		      "make_interval(secs => $3::int / 1000.0) <= now() THEN 1 ELSE h.calls + 1 "
		      "END RETURNING calls <= $2::int AND (blocked_until IS NULL OR blocked_until "
		      "<= now()) AS granted, greatest(ceil(extract(epoch FROM window_start + "
		      "make_interval(secs => $3::int / 1000.0) - now()) * 1000), ceil(coalesce("
		      "extract(epoch FROM blocked_until - now()), 0) * 1000), 1)::bigint AS wait_ms"},
    [ST_PACE_BLOCK] = {"pace_block",
		       "INSERT INTO hs_pacing AS h (hub_id, blocked_until) VALUES ($1, now() + "
		       "make_interval(secs => $2::int / 1000.0)) ON CONFLICT (hub_id) DO UPDATE "
		       "SET blocked_until = greatest(coalesce(h.blocked_until, now()), "
		       "EXCLUDED.blocked_until)"},
    /* One object type's assets of one import: $6 is a JSON array of
     * [kind, name, label, group, type, field type, options, definition,
     * fingerprint] string arrays (the last of a repeated kind and name
     * wins).  Each is new (version 1), changed (a new version) or seen;
     * the assets of (org, hub, object type) it does not hold are marked
     * gone.  Those rows are locked first, in the unique key's order, which
     * makes the plan read them through that key, statistics or not (a
     * lookup per asset, planned generically on a table without statistics,
     * read the organisation's whole object type each time).  Counts of
     * new, changed, unchanged and gone. */
    [ST_ASSET_PUT_SET] =
	{"asset_put_set",
	 "WITH i AS (SELECT DISTINCT ON (e->>0, e->>1) e->>0 AS kind, e->>1 AS name, e->>2 AS label, "
	 "e->>3 AS group_name, e->>4 AS type, e->>5 AS field_type, (e->>6)::jsonb AS options, "
	 "(e->>7)::jsonb AS definition, e->>8 AS fingerprint FROM jsonb_array_elements($6::jsonb) "
	 "WITH ORDINALITY AS t(e, n) ORDER BY e->>0, e->>1, n DESC), "
	 "cur AS (SELECT id, kind, name, fingerprint, gone_at FROM assets WHERE org_id = $1 AND "
	 "source_hub_id = $2 AND object_type = $3 ORDER BY org_id, source_hub_id, object_type, "
	 "kind, name FOR UPDATE), "
	 "ins AS (INSERT INTO assets (org_id, source_hub_id, source_portal_id, object_type, kind, "
	 "name, label, group_name, type, field_type, options, definition, fingerprint, last_run_id) "
	 "SELECT $1, $2, NULLIF($4, '')::bigint, $3, i.kind, i.name, i.label, i.group_name, i.type, "
	 "i.field_type, i.options, i.definition, i.fingerprint, NULLIF($5, '')::bigint FROM i "
	 "WHERE NOT EXISTS (SELECT 1 FROM cur WHERE cur.kind = i.kind AND cur.name = i.name) "
	 "RETURNING id, version, label, group_name, type, field_type, options, definition), "
	 "upd AS (UPDATE assets a SET source_portal_id = NULLIF($4, '')::bigint, label = i.label, "
	 "group_name = i.group_name, type = i.type, field_type = i.field_type, options = i.options, "
	 "definition = i.definition, fingerprint = i.fingerprint, version = a.version + CASE WHEN "
	 "cur.fingerprint <> i.fingerprint THEN 1 ELSE 0 END, gone_at = NULL, last_imported_at = "
	 "now(), last_run_id = NULLIF($5, '')::bigint FROM cur JOIN i ON i.kind = cur.kind AND "
	 "i.name = cur.name WHERE a.id = cur.id RETURNING a.id, a.version, cur.fingerprint <> "
	 "i.fingerprint AS changed, a.label, a.group_name, a.type, a.field_type, a.options, "
	 "a.definition), "
	 "ver AS (INSERT INTO asset_versions (asset_id, version, label, group_name, type, "
	 "field_type, options, definition, run_id) SELECT id, version, label, group_name, type, "
	 "field_type, options, definition, NULLIF($5, '')::bigint FROM (SELECT id, version, label, "
	 "group_name, type, field_type, options, definition FROM ins UNION ALL SELECT id, version, "
	 "label, group_name, type, field_type, options, definition FROM upd WHERE changed) v "
	 "RETURNING 1), "
	 "gone AS (UPDATE assets a SET gone_at = now() FROM cur WHERE a.id = cur.id AND "
	 "cur.gone_at IS NULL AND (cur.kind, cur.name) NOT IN (SELECT kind, name FROM i) "
	 "RETURNING 1) "
	 "SELECT (SELECT count(*) FROM ins) AS new, (SELECT count(*) FROM upd WHERE changed) AS "
	 "changed, (SELECT count(*) FROM upd WHERE NOT changed) AS unchanged, (SELECT count(*) "
	 "FROM ver) AS versions, (SELECT count(*) FROM gone) AS gone"},
    [ST_ASSET_LIST] =
	{"asset_list",
	 "SELECT " ASSET_COLS("$6") " FROM assets a LEFT JOIN portals p ON p.id = "
	 "a.source_portal_id "
	 "WHERE a.org_id = $1 AND ($2 = '' OR a.object_type = $2) AND ($3::bigint = 0 OR "
	 "a.source_hub_id = $3::bigint) AND ($4 = '' OR strpos(a.sort_name, lower($4)) > 0 OR "
	 "strpos(lower(a.name), lower($4)) > 0) AND ($5::bigint = 0 OR (a.sort_name, a.id) > "
	 "(SELECT b.sort_name, b.id FROM assets b WHERE b.id = $5::bigint AND b.org_id = $1)) "
	 "ORDER BY a.sort_name, a.id LIMIT " ASSET_FETCH_SQL},
    [ST_ASSET_GET] = {"asset_get",
		      "SELECT " ASSET_COLS("$3") " FROM assets a LEFT JOIN portals p ON p.id = "
		      "a.source_portal_id WHERE a.id = $2 AND a.org_id = $1"},
    [ST_ASSET_VERSIONS] = {"asset_versions",
			   "SELECT v.version, v.label, v.group_name, v.type, v.field_type, "
			   "v.options::text AS options, jsonb_pretty(v.definition) AS definition, "
			   "local_iso(v.created_at, $3) AS created, "
			   "coalesce(v.run_id, 0) AS run_id FROM asset_versions v JOIN assets a "
			   "ON a.id = v.asset_id WHERE v.asset_id = $2 AND a.org_id = $1 "
			   "ORDER BY v.version DESC"},
    /* the library's source portals by skipping along assets_by_source (one
     * probe per source, not a pass over every asset: 20,000 assets were
     * read for the filter's choices on every library page) */
    [ST_ASSET_SOURCES] = {"asset_sources",
			  "WITH RECURSIVE s(h) AS (SELECT min(source_hub_id) FROM assets WHERE "
			  "org_id = $1 UNION ALL SELECT (SELECT min(a.source_hub_id) FROM assets a "
			  "WHERE a.org_id = $1 AND a.source_hub_id > s.h) FROM s WHERE s.h IS NOT "
			  "NULL) SELECT s.h AS source_hub_id, coalesce((SELECT p.name FROM portals p "
			  "WHERE p.org_id = $1 AND p.hub_id = s.h ORDER BY p.removed_at NULLS FIRST, "
			  "p.id DESC LIMIT 1), '') AS name FROM s WHERE s.h IS NOT NULL ORDER BY 2, 1 "
			  "LIMIT 200"},
    [ST_JOBS_NOTIFY] = {"jobs_notify", "SELECT pg_notify('jetstack_jobs', '')"},
    [ST_REVOCATION_ADD] = {"revocation_add",
			   "INSERT INTO revocations (portal_id, key_id, token_enc) VALUES ($1, "
			   "$2::int, $3::bytea) RETURNING id"},
    [ST_REVOCATION_JOB] = {"revocation_job",
			   "INSERT INTO jobs (kind, portal_id, revocation_id) VALUES ('revoke', $1, $2)"},
    [ST_REVOCATION_GET] = {"revocation_get",
			   "SELECT id, portal_id, key_id, token_enc, done_at IS NOT NULL AS done "
			   "FROM revocations WHERE id = $1"},
    [ST_REVOCATION_DONE] = {"revocation_done",
			    "UPDATE revocations SET done_at = now() WHERE id = $1 AND done_at IS NULL"},
    [ST_REVOCATIONS_PENDING] = {"revocations_pending",
				"SELECT id, portal_id, key_id, token_enc, false AS done FROM "
				"revocations WHERE portal_id = $1 AND done_at IS NULL ORDER BY id"},
    [ST_METRICS_JOBS_KIND] = {"metrics_jobs_kind",
			      "SELECT k.kind, count(j.id) AS queued FROM unnest(ARRAY['refresh', "
			      "'health', 'import', 'deploy', 'audit', 'revoke']) AS k(kind) LEFT JOIN jobs j "
			      "ON j.kind = k.kind AND j.state = 'queued' GROUP BY k.kind "
			      "ORDER BY k.kind"},

    /* runs of org (of a portal; of a kind), newest first, before a run */
    [ST_RUNS_LIST] = {"runs_list",
		      "SELECT " RUN_COLS("$6") " FROM runs r JOIN portals p ON p.id = r.portal_id "
		      "LEFT JOIN users u ON u.id = r.started_by WHERE r.org_id = $1 AND "
		      "($2::bigint = 0 OR r.portal_id = $2::bigint) AND ($3 = '' OR r.kind = $3) "
		      "AND ($4::bigint = 0 OR r.id < $4::bigint) ORDER BY r.id DESC LIMIT $5::int"},
    /* deployments: what a selection holds -- the chosen assets ($5: the
     * ticked ids, else the filter $2 $3 $4), the groups their properties
     * live in, one per (object type, kind, name) */
#define DEPLOY_PICK                                                                                \
	"WITH chosen AS (SELECT a.id, a.source_hub_id, a.object_type, a.kind, a.group_name "      \
	"FROM assets a WHERE a.org_id = $1 AND CASE WHEN $5 <> '' THEN a.id = ANY($5::bigint[]) " \
	"ELSE ($2 = '' OR a.object_type = $2) AND ($3::bigint = 0 OR a.source_hub_id = "           \
	"$3::bigint) AND ($4 = '' OR strpos(a.sort_name, lower($4)) > 0 OR strpos(lower(a.name), " \
	"lower($4)) > 0) END), ids AS (SELECT id FROM chosen UNION SELECT g.id FROM assets g "     \
	"JOIN chosen c ON c.kind = 'property' AND g.org_id = $1 AND g.source_hub_id = "            \
	"c.source_hub_id AND g.object_type = c.object_type AND g.kind = 'group' AND g.name = "     \
	"c.group_name), pick AS (SELECT DISTINCT ON (a.object_type, a.kind, a.name) a.id, "       \
	"a.version, a.object_type, a.kind, a.name, a.label FROM assets a JOIN ids USING (id) "     \
	"ORDER BY a.object_type, a.kind, a.name, a.last_imported_at DESC, a.id DESC), "           \
	"steps AS (SELECT t, row_number() OVER (ORDER BY ord) AS step FROM unnest(ARRAY["          \
	"'contacts', 'companies', 'deals', 'tickets']) WITH ORDINALITY AS u(t, ord) WHERE t IN "   \
	"(SELECT object_type FROM pick)), work AS (SELECT p.*, s.step, row_number() OVER "         \
	"(ORDER BY s.step, p.kind, p.name) AS seq FROM pick p JOIN steps s ON s.t = "              \
	"p.object_type) "
    [ST_DEPLOY_PREVIEW] = {"deploy_preview",
			   DEPLOY_PICK "SELECT count(*) OVER () AS items, count(*) FILTER (WHERE "
				       "kind = 'group') OVER () AS groups, count(*) FILTER (WHERE "
				       "object_type = 'contacts') OVER () AS contacts, count(*) FILTER "
				       "(WHERE object_type = 'companies') OVER () AS companies, "
				       "count(*) FILTER (WHERE object_type = 'deals') OVER () AS deals, "
				       "count(*) FILTER (WHERE object_type = 'tickets') OVER () AS "
				       "tickets, (SELECT count(*) FROM chosen) AS chosen, label FROM "
				       "work ORDER BY seq LIMIT 10"},
    [ST_DEPLOY_TARGETS] = {"deploy_targets",
			   "SELECT id, hub_id, name, status, status_reason_code, connection_type "
			   "FROM portals WHERE org_id = $1 AND removed_at IS NULL AND "
			   "connection_type IN ('config_only', 'config_audit') ORDER BY lower(name), "
			   "id LIMIT $2::int"},
    [ST_DEPLOY_TARGETS_MAX] = {"deploy_targets_max",
			       "SELECT deploy_targets_max FROM organisations WHERE id = $1"},
    [ST_DEPLOY_SET_TARGETS_MAX] = {"deploy_set_targets_max",
				   "UPDATE organisations SET deploy_targets_max = $2::int WHERE id = $1"},
    [ST_DEPLOY_CREATE] = {"deploy_create",
			  "WITH r AS (INSERT INTO runs (org_id, portal_id, kind, started_by) VALUES "
			  "($1, $2, 'deploy', NULLIF($4, '')::bigint) RETURNING id) INSERT INTO "
			  "deployments (run_id, org_id, portal_id, target_hub_id, selection, "
			  "object_types, items_total) SELECT r.id, $1, $2, $3, $5, '{}', 0 FROM r "
			  "RETURNING run_id"},
    [ST_DEPLOY_ITEMS_CREATE] = {"deploy_items_create",
				DEPLOY_PICK "INSERT INTO deployment_items (run_id, seq, step, asset_id, "
					    "asset_version, object_type, kind, name, label) SELECT $6, "
					    "seq, step, id, version, object_type, kind, name, label FROM "
					    "work"},
    /* the run's steps and jobs from its items */
    [ST_DEPLOY_SEAL] = {"deploy_seal",
			"WITH s AS (SELECT count(*) AS n, coalesce(max(step), 0) AS steps, ARRAY("
			"SELECT object_type FROM deployment_items WHERE run_id = $1 GROUP BY step, "
			"object_type ORDER BY step) AS types FROM deployment_items WHERE run_id = $1), "
			"d AS (UPDATE deployments SET object_types = s.types, items_total = s.n FROM s "
			"WHERE run_id = $1), r AS (UPDATE runs SET steps_total = s.steps FROM s WHERE "
			"id = $1), j AS (INSERT INTO jobs (kind, portal_id, run_id, step) SELECT "
			"'deploy', $2, $1, g FROM s, generate_series(1, s.steps::int) g) SELECT n, "
			"steps FROM s"},
    [ST_DEPLOY_GET] = {"deploy_get",
		       "SELECT d.run_id, d.target_hub_id, d.selection, d.items_total, count(i.seq) "
		       "FILTER (WHERE i.result = 'pending') AS pending, count(i.seq) FILTER (WHERE "
		       "i.result = 'created') AS created, count(i.seq) FILTER (WHERE i.result = "
		       "'updated') AS updated, count(i.seq) FILTER (WHERE i.result = 'unchanged') "
		       "AS unchanged, count(i.seq) FILTER (WHERE i.result = 'failed') AS failed "
		       "FROM deployments d LEFT JOIN deployment_items i ON i.run_id = d.run_id "
		       "WHERE d.run_id = $2 AND d.org_id = $1 GROUP BY d.run_id"},
    [ST_DEPLOY_ITEMS] = {"deploy_items",
			 "SELECT i.seq, i.asset_id, i.asset_version, i.object_type, i.kind, i.name, "
			 "i.label, i.result, i.changed, i.message, i.hs_status, i.hs_category, "
			 "i.hs_message, i.hs_correlation_id, coalesce(extract(epoch FROM "
			 "i.done_at), 0)::bigint AS done_at FROM deployment_items i JOIN "
			 "deployments d ON d.run_id = i.run_id WHERE i.run_id = $2 AND d.org_id = "
			 "$1 AND ($3 = '' OR i.result = $3) AND i.seq > $4::int ORDER BY i.seq "
			 "LIMIT " DEPLOY_ITEM_FETCH_SQL},
    [ST_DEPLOY_STEP_INFO] = {"deploy_step_info",
			     "SELECT object_types[$2::int] AS object_type, coalesce(stop_step, 0) "
			     "AS stop_step FROM deployments WHERE run_id = $1 AND $2::int BETWEEN "
			     "1 AND cardinality(object_types)"},
    [ST_DEPLOY_WORK_ITEMS] = {"deploy_work_items",
			      "SELECT i.seq, i.kind, i.name, i.label, i.sent, v.definition::text "
			      "AS definition FROM deployment_items i JOIN asset_versions v ON "
			      "v.asset_id = i.asset_id AND v.version = i.asset_version WHERE "
			      "i.run_id = $1 AND i.step = $2::int AND i.result = 'pending' ORDER BY "
			      "i.seq"},
    [ST_DEPLOY_MARK_SENT] = {"deploy_mark_sent",
			     "UPDATE deployment_items SET sent = $3 WHERE run_id = $1 AND seq = "
			     "ANY($2::int[]) AND result = 'pending'"},
    /* an item's first result, counted on its run */
    [ST_DEPLOY_RECORD] = {"deploy_record",
			  "UPDATE deployment_items SET result = $3, changed = $4, message = $5, "
			  "hs_status = $6::int, hs_category = $7, hs_message = $8, "
			  "hs_correlation_id = $9, done_at = now() WHERE run_id = $1 AND seq = "
			  "$2::int AND result = 'pending' RETURNING result"},
    /* the results just recorded, counted on the run once per round */
    [ST_DEPLOY_COUNT] = {"deploy_count",
			 "UPDATE runs SET items_seen = items_seen + $2::int, items_new = items_new + "
			 "$3::int, items_changed = items_changed + $4::int, items_unchanged = "
			 "items_unchanged + $5::int, items_failed = items_failed + $6::int WHERE id = "
			 "$1"},
    [ST_DEPLOY_CLAIM_STOP] = {"deploy_claim_stop",
			      "UPDATE deployments SET stop_step = $2::int WHERE run_id = $1 AND "
			      "(stop_step IS NULL OR stop_step = $2::int) RETURNING run_id"},
    [ST_DEPLOY_FIRST_PENDING] = {"deploy_first_pending",
				 "SELECT seq FROM deployment_items WHERE run_id = $1 AND result = "
				 "'pending' AND ($2::int = 0 OR step = $2::int) ORDER BY seq LIMIT 1"},

    /* audits: the run with its one job, and the audit's row */
    [ST_AUDIT_CREATE] = {"audit_create",
			 "WITH r AS (INSERT INTO runs (org_id, portal_id, kind, started_by, "
			 "steps_total) VALUES ($1, $2, 'audit', NULLIF($4, '')::bigint, 1) RETURNING "
			 "id), a AS (INSERT INTO audits (run_id, org_id, portal_id, hub_id, "
			 "super_admin_limit) SELECT r.id, $1, $2, $3, o.super_admin_limit FROM r, "
			 "organisations o WHERE o.id = $1), j AS (INSERT INTO jobs (kind, portal_id, "
			 "run_id, step) SELECT 'audit', $2, r.id, 1 FROM r) SELECT id FROM r"},
    [ST_AUDIT_LIMIT] = {"audit_limit", "SELECT super_admin_limit FROM organisations WHERE id = $1"},
    [ST_AUDIT_SET_LIMIT] = {"audit_set_limit",
			    "UPDATE organisations SET super_admin_limit = $2::int WHERE id = $1"},
    [ST_AUDIT_RUN_LIMIT] = {"audit_run_limit",
			    "SELECT super_admin_limit FROM audits WHERE run_id = $1"},
    [ST_AUDIT_MARK_READ] = {"audit_mark_read",
			    "UPDATE audits SET read_object_types = read_object_types || $2::text "
			    "WHERE run_id = $1 AND NOT ($2 = ANY(read_object_types))"},
    [ST_AUDIT_MARK_USERS] = {"audit_mark_users",
			     "UPDATE audits SET users_read = $2::int WHERE run_id = $1"},
    [ST_AUDIT_FINDING_ADD] = {"audit_finding_add",
			      "INSERT INTO audit_findings (run_id, seq, rule, severity, "
			      "severity_rank, object_type, object_key, object_label, detail) VALUES "
			      "($1, $2::int, $3, $4, $5::int, $6, $7, $8, $9) ON CONFLICT DO NOTHING"},
    /* new and resolved against the portal's previous completed audit */
    [ST_AUDIT_COMPLETE] =
	{"audit_complete",
	 "WITH prev AS (SELECT max(p.run_id) AS id FROM audits p, audits a WHERE a.run_id = $1 "
	 "AND p.portal_id = a.portal_id AND p.completed AND p.run_id < $1), "
	 "flag AS (UPDATE audit_findings f SET is_new = NOT EXISTS (SELECT 1 FROM "
	 "audit_findings o WHERE o.run_id = prev.id AND o.rule = f.rule AND o.object_type = "
	 "f.object_type AND o.object_key = f.object_key) FROM prev WHERE f.run_id = $1 AND "
	 "prev.id IS NOT NULL RETURNING f.is_new) "
	 "UPDATE audits a SET completed = true, previous_run_id = prev.id, "
	 "n_high = (SELECT count(*) FROM audit_findings WHERE run_id = $1 AND severity = 'high'), "
	 "n_medium = (SELECT count(*) FROM audit_findings WHERE run_id = $1 AND severity = "
	 "'medium'), n_low = (SELECT count(*) FROM audit_findings WHERE run_id = $1 AND "
	 "severity = 'low'), n_info = (SELECT count(*) FROM audit_findings WHERE run_id = $1 AND "
	 "severity = 'info'), n_new = (SELECT count(*) FROM flag WHERE is_new), n_resolved = "
	 "coalesce((SELECT count(*) FROM audit_findings o WHERE o.run_id = prev.id AND NOT "
	 "EXISTS (SELECT 1 FROM audit_findings f WHERE f.run_id = $1 AND f.rule = o.rule AND "
	 "f.object_type = o.object_type AND f.object_key = o.object_key)), 0) FROM prev "
	 "WHERE a.run_id = $1 AND NOT a.completed"},
    [ST_AUDIT_GET] = {"audit_get",
		      "SELECT run_id, hub_id, coalesce(previous_run_id, 0) AS previous_run_id, "
		      "super_admin_limit, users_read, completed, array_to_string("
		      "read_object_types, ', ') AS read_types, n_high, n_medium, n_low, n_info, "
		      "n_new, n_resolved FROM audits WHERE run_id = $2 AND org_id = $1"},
    [ST_AUDIT_GET_STATE] = {"audit_get_state",
			    "SELECT completed FROM audits WHERE run_id = $1 FOR UPDATE"},
#define AUDIT_FINDING_COLS                                                                         \
	"f.seq, f.rule, f.severity, f.object_type, f.object_key, f.object_label, f.detail, "       \
	"f.is_new "
    [ST_AUDIT_FINDINGS] = {"audit_findings",
			   "SELECT " AUDIT_FINDING_COLS "FROM audit_findings f JOIN audits a ON "
			   "a.run_id = f.run_id WHERE f.run_id = $2 AND a.org_id = $1 ORDER BY "
			   "f.severity_rank, f.rule, f.object_type, f.object_key LIMIT 5000"},
    [ST_AUDIT_RESOLVED] = {"audit_resolved",
			   "SELECT " AUDIT_FINDING_COLS "FROM audits a JOIN audit_findings f ON "
			   "f.run_id = a.previous_run_id WHERE a.run_id = $2 AND a.org_id = $1 AND "
			   "NOT EXISTS (SELECT 1 FROM audit_findings c WHERE c.run_id = a.run_id AND "
			   "c.rule = f.rule AND c.object_type = f.object_type AND c.object_key = "
			   "f.object_key) ORDER BY f.severity_rank, f.rule, f.object_type, "
			   "f.object_key LIMIT 5000"},

    /* mail: members whose choice (or role) is the digest, with a status
     * change waiting $1 s or a reminder due ($2 s) */
#define MAIL_DIGEST                                                                                \
	"coalesce(m.notify, CASE WHEN m.role IN ('owner', 'admin') THEN 'digest' ELSE 'off' END) "
#define MAIL_TIME(col, tz)                                                                         \
	"to_char(" col " AT TIME ZONE " tz ", 'YYYY-MM-DD HH24:MI') || ' (' || " tz " || ')'"
    [ST_MAIL_DUE] = {"mail_due",
		     "SELECT m.org_id, m.user_id, u.email, o.name AS org_name, coalesce(u.time_zone, "
		     "o.time_zone) AS tz FROM memberships m JOIN users u ON u.id = m.user_id JOIN "
		     "organisations o ON o.id = m.org_id WHERE u.disabled_at IS NULL AND " MAIL_DIGEST
		     "= 'digest' AND (EXISTS (SELECT 1 FROM events e WHERE e.org_id = m.org_id AND "
		     "e.kind = 'status_changed' AND e.id > m.mail_cursor AND e.created_at >= "
		     "m.created_at AND e.created_at <= now() - make_interval(secs => $1::int)) OR "
		     "EXISTS (SELECT 1 FROM portals p WHERE p.org_id = m.org_id AND p.removed_at IS "
		     "NULL AND p.status <> 'connected' AND p.status_changed_at <= now() - "
		     "make_interval(secs => $2::int) AND NOT EXISTS (SELECT 1 FROM mail_mentions mm "
		     "WHERE mm.user_id = m.user_id AND mm.portal_id = p.id AND mm.mentioned_at > "
		     "now() - make_interval(secs => $2::int)))) ORDER BY m.org_id, m.user_id "
		     "LIMIT $3::int"},
    [ST_MAIL_TAKE] = {"mail_take",
		      "SELECT mail_cursor FROM memberships WHERE org_id = $1 AND user_id = $2 FOR "
		      "UPDATE SKIP LOCKED"},
    [ST_MAIL_EVENTS] = {"mail_events",
			"SELECT e.id AS event_id, e.portal_id, p.hub_id, p.name, e.status_to AS "
			"status, coalesce(e.reason_code, '') AS reason_code, coalesce(e.reason, '') "
			"AS reason, " MAIL_TIME("e.created_at", "$4::text") " AS at, false AS reminder "
			"FROM events e JOIN portals p ON p.id = e.portal_id JOIN memberships m ON "
			"m.org_id = e.org_id AND m.user_id = $2 WHERE e.org_id = $1 AND e.kind = "
			"'status_changed' AND e.id > $3::bigint AND e.created_at >= m.created_at "
			"ORDER BY e.id LIMIT 200"},
    [ST_MAIL_REMINDERS] = {"mail_reminders",
			   "SELECT 0::bigint AS event_id, p.id AS portal_id, p.hub_id, p.name, "
			   "p.status, coalesce(p.status_reason_code, '') AS reason_code, "
			   "coalesce(p.status_reason, '') AS reason, " MAIL_TIME("p.status_changed_at",
										 "$3::text") " AS at, "
			   "true AS reminder FROM portals p WHERE p.org_id = $1 AND p.removed_at IS "
			   "NULL AND p.status <> 'connected' AND p.status_changed_at <= now() - "
			   "make_interval(secs => $4::int) AND NOT EXISTS (SELECT 1 FROM mail_mentions "
			   "mm WHERE mm.user_id = $2 AND mm.portal_id = p.id AND mm.mentioned_at > "
			   "now() - make_interval(secs => $4::int)) ORDER BY p.status_changed_at, p.id "
			   "LIMIT 200"},
    [ST_MAIL_QUEUE] = {"mail_queue",
		       "INSERT INTO mail_outbox (org_id, user_id, rcpt, message, message_id) VALUES "
		       "($1, $2, $3, $4, $5)"},
    [ST_MAIL_ADMINS] = {"mail_admins",
			"SELECT m.user_id, u.email, o.name AS org_name, coalesce(u.time_zone, "
			"o.time_zone) AS tz FROM memberships m JOIN users u ON u.id = m.user_id JOIN "
			"organisations o ON o.id = m.org_id WHERE m.org_id = $1 AND m.role IN "
			"('owner', 'admin') AND u.disabled_at IS NULL ORDER BY m.user_id LIMIT 100"},
    [ST_MAIL_CURSOR] = {"mail_cursor",
			"UPDATE memberships SET mail_cursor = greatest(mail_cursor, $3::bigint) "
			"WHERE org_id = $1 AND user_id = $2"},
    [ST_MAIL_MENTION] = {"mail_mention",
			 "INSERT INTO mail_mentions (user_id, portal_id, status) VALUES ($1, $2, $3) "
			 "ON CONFLICT (user_id, portal_id) DO UPDATE SET status = EXCLUDED.status, "
			 "mentioned_at = now()"},
    [ST_MAIL_TAKE_DUE] = {"mail_take_due",
			  "UPDATE mail_outbox o SET next_attempt_at = now() + make_interval(secs => "
			  "$1::int), attempts = attempts + 1 WHERE o.id IN (SELECT id FROM "
			  "mail_outbox WHERE state = 'queued' AND next_attempt_at <= now() ORDER BY "
			  "next_attempt_at, id LIMIT $2::int FOR UPDATE SKIP LOCKED) RETURNING o.id, "
			  "o.org_id, o.user_id, o.rcpt, o.message, o.attempts"},
    [ST_MAIL_SENT] = {"mail_sent",
		      "UPDATE mail_outbox SET state = 'sent', sent_at = now(), last_error = '' "
		      "WHERE id = $1"},
    [ST_MAIL_RETRY] = {"mail_retry",
		       "UPDATE mail_outbox SET next_attempt_at = now() + make_interval(secs => "
		       "$2::int), last_error = $3 WHERE id = $1 AND state = 'queued'"},
    [ST_MAIL_FAILED] = {"mail_failed",
			"UPDATE mail_outbox SET state = 'failed', last_error = $2 WHERE id = $1"},
    [ST_MAIL_PROBLEM] = {"mail_problem",
			 "UPDATE memberships SET mail_problem = $3, mail_problem_at = CASE WHEN $3 "
			 "= '' THEN NULL ELSE now() END WHERE org_id = $1 AND user_id = $2"},
    [ST_NOTIFY_GET] = {"notify_get",
		       "SELECT " MAIL_DIGEST "AS notify, m.notify IS NULL AS by_role, "
		       "coalesce(u.time_zone, '') AS user_tz, o.time_zone AS org_tz, "
		       "m.mail_problem, coalesce(local_iso(m.mail_problem_at, coalesce(u.time_zone, "
		       "o.time_zone)), '') AS problem_at, (SELECT count(*) FROM mail_outbox x WHERE "
		       "x.user_id = m.user_id AND x.org_id = m.org_id AND x.state = 'queued') AS queued FROM "
		       "memberships m JOIN users u ON u.id = m.user_id JOIN organisations o ON o.id "
		       "= m.org_id WHERE m.org_id = $1 AND m.user_id = $2"},
    [ST_NOTIFY_SET] = {"notify_set",
		       "UPDATE memberships m SET notify = $3, mail_cursor = CASE WHEN $3 = 'digest' "
		       "AND " MAIL_DIGEST "= 'off' THEN (SELECT coalesce(max(id), 0) FROM events "
		       "WHERE org_id = $1) ELSE mail_cursor END WHERE org_id = $1 AND user_id = $2"},
    [ST_USER_SET_TZ] = {"user_set_tz",
			"UPDATE users SET time_zone = NULLIF($2, '') WHERE id = $1 AND ($2 = '' OR "
			"EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $2))"},
    [ST_ORG_SET_TZ] = {"org_set_tz",
		       "UPDATE organisations SET time_zone = $2 WHERE id = $1 AND EXISTS (SELECT 1 "
		       "FROM pg_timezone_names WHERE name = $2)"},
    [ST_EVENTS_CLEANUP] = {"events_cleanup",
			   "DELETE FROM events WHERE created_at < now() - make_interval(days => "
			   "$1::int)"},
    [ST_MAIL_CLEANUP] = {"mail_cleanup",
			 "DELETE FROM mail_outbox WHERE state <> 'queued' AND created_at < now() - "
			 "make_interval(days => $1::int)"},
    /* Needs attention: the organisation's portals that are not Connected,
     * oldest problem first, with the runs refused since; $2 the viewer's zone */
    [ST_PORTAL_ATTENTION] = {"portal_attention",
			     "SELECT p.id, p.hub_id, p.name, p.status, coalesce(p.status_reason, '') "
			     "AS status_reason, coalesce(p.status_reason_code, '') AS reason_code, "
			     "coalesce(local_iso(p.status_changed_at, $2), '') AS since, "
			     "extract(epoch FROM now())::bigint AS now, (SELECT count(*) FROM runs r "
			     "WHERE r.portal_id = p.id AND r.state = 'failed' AND r.failure_code = "
			     "'auth' AND r.created_at >= p.status_changed_at) AS blocked FROM portals p "
			     "WHERE p.org_id = $1 AND p.removed_at IS NULL AND p.status <> 'connected' "
			     "ORDER BY p.status_changed_at, p.id LIMIT 501"},

    /* webhooks: an endpoint, its times for people in the IANA zone tz */
#define WEBHOOK_COLS(tz)                                                                           \
	"w.id, w.org_id, coalesce(w.created_by, 0) AS created_by, w.url, "                        \
	"array_to_string(w.kinds, ',') AS kinds, w.secret_key_id, w.secret_enc, "                 \
	"coalesce(w.old_secret_key_id, 0) AS old_key_id, CASE WHEN w.old_secret_until > now() "  \
	"THEN w.old_secret_enc END AS old_enc, coalesce(local_iso(w.old_secret_until, " tz        \
	"), '') AS old_until, w.event_cursor, local_iso(w.created_at, " tz ") AS created, "         \
	"coalesce(extract(epoch FROM w.disabled_at), 0)::bigint AS disabled_at, "                 \
	"coalesce(local_iso(w.last_success_at, " tz "), '') AS last_success, "                     \
	"w.disabled_reason, coalesce(u.email, '') AS created_by_email, (SELECT count(*) FROM "    \
	"webhook_deliveries d WHERE d.endpoint_id = w.id AND d.state = 'pending') AS pending, "   \
	"(SELECT count(*) FROM webhook_deliveries d WHERE d.endpoint_id = w.id AND d.state = "    \
	"'failed') AS failed, (SELECT count(*) FROM webhook_deliveries d WHERE d.endpoint_id = "   \
	"w.id AND d.state = 'delivered') AS delivered "
    [ST_WEBHOOK_COUNT] = {"webhook_count",
			  "SELECT (SELECT count(*) FROM webhook_endpoints WHERE org_id = $1) AS n, "
			  "webhook_endpoints_max AS cap FROM organisations WHERE id = $1"},
    [ST_WEBHOOK_CREATE] = {"webhook_create",
			   "INSERT INTO webhook_endpoints (org_id, created_by, url, kinds, "
			   "secret_key_id, secret_enc, event_cursor) VALUES ($1, NULLIF($2, "
			   "'')::bigint, $3, string_to_array($4, ','), 0, '\\x', (SELECT "
			   "coalesce(max(id), 0) FROM events WHERE org_id = $1)) RETURNING id"},
    [ST_WEBHOOK_SET_SECRET] = {"webhook_set_secret",
			       "UPDATE webhook_endpoints SET old_secret_key_id = CASE WHEN $5::int > 0 "
			       "THEN secret_key_id END, old_secret_enc = CASE WHEN $5::int > 0 THEN "
			       "secret_enc END, old_secret_until = CASE WHEN $5::int > 0 THEN now() + "
			       "make_interval(secs => $5::int) END, secret_key_id = $3::int, "
			       "secret_enc = $4::bytea WHERE id = $2 AND org_id = $1"},
    [ST_WEBHOOK_LIST] = {"webhook_list",
			 "SELECT " WEBHOOK_COLS("$2") "FROM webhook_endpoints w LEFT JOIN users u ON "
			 "u.id = w.created_by WHERE w.org_id = $1 ORDER BY w.id"},
    [ST_WEBHOOK_GET] = {"webhook_get",
			"SELECT " WEBHOOK_COLS("$3") "FROM webhook_endpoints w LEFT JOIN users u ON "
			"u.id = w.created_by WHERE w.id = $2 AND ($1::bigint = 0 OR w.org_id = "
			"$1::bigint)"},
    [ST_WEBHOOK_DELETE] = {"webhook_delete",
			   "DELETE FROM webhook_endpoints WHERE id = $2 AND org_id = $1"},
    [ST_WEBHOOK_SET_DISABLED] = {"webhook_set_disabled",
				 "UPDATE webhook_endpoints SET disabled_at = CASE WHEN $3 = '' THEN "
				 "NULL ELSE now() END, disabled_reason = $3, last_success_at = CASE "
				 "WHEN $3 = '' THEN NULL ELSE last_success_at END, event_cursor = CASE "
				 "WHEN $3 = '' THEN (SELECT coalesce(max(id), 0) FROM events WHERE "
				 "org_id = $1) ELSE event_cursor END WHERE id = $2 AND org_id = $1"},
    [ST_WEBHOOK_BEHIND] = {"webhook_behind",
			   "SELECT " WEBHOOK_COLS("'UTC'") "FROM webhook_endpoints w LEFT JOIN users u "
			   "ON u.id "
			   "= w.created_by WHERE w.disabled_at IS NULL AND EXISTS (SELECT 1 FROM "
			   "events e WHERE e.org_id = w.org_id AND e.id > w.event_cursor) ORDER BY "
			   "w.id LIMIT 100"},
    [ST_WEBHOOK_EVENTS] = {"webhook_events",
			   "SELECT e.id, e.portal_id, p.hub_id, e.seq, coalesce(e.run_id, 0) AS "
			   "run_id, e.kind, p.name, coalesce(e.status_from, '') AS status_from, "
			   "coalesce(e.status_to, '') AS status_to, coalesce(e.reason_code, '') AS "
			   "reason_code, coalesce(e.reason, '') AS reason, coalesce(e.run_kind, '') AS "
			   "run_kind, coalesce(e.run_state, '') AS run_state, to_char(e.created_at AT "
			   "TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"+00:00\"') AS at FROM events e "
			   "JOIN portals p ON p.id = e.portal_id WHERE e.org_id = $1 AND e.id > "
			   "$2::bigint ORDER BY e.id LIMIT 500"},
    [ST_WEBHOOK_ENQUEUE] = {"webhook_enqueue",
			    "INSERT INTO webhook_deliveries (endpoint_id, event_id, msg_id, kind, "
			    "payload) VALUES ($1, $2, $3, $4, $5)"},
    [ST_WEBHOOK_CURSOR] = {"webhook_cursor",
			   "UPDATE webhook_endpoints SET event_cursor = greatest(event_cursor, "
			   "$2::bigint) WHERE id = $1"},
    [ST_WEBHOOK_TAKE_DUE] = {"webhook_take_due",
			     "UPDATE webhook_deliveries d SET next_attempt_at = now() + "
			     "make_interval(secs => $1::int), attempts = attempts + 1 FROM "
			     "webhook_endpoints w WHERE w.id = d.endpoint_id AND d.id IN (SELECT x.id "
			     "FROM webhook_deliveries x JOIN webhook_endpoints y ON y.id = "
			     "x.endpoint_id WHERE x.state = 'pending' AND x.next_attempt_at <= now() "
			     "AND y.disabled_at IS NULL ORDER BY x.next_attempt_at, x.id LIMIT $2::int "
			     "FOR UPDATE OF x SKIP LOCKED) RETURNING d.id, d.endpoint_id, w.org_id, "
			     "d.msg_id, d.kind, d.payload, d.attempts, extract(epoch FROM "
			     "d.created_at)::bigint AS created_at, extract(epoch FROM now())::bigint "
			     "AS now"},
    [ST_WEBHOOK_ATTEMPT_LOG] = {"webhook_attempt_log",
				"INSERT INTO webhook_attempts (delivery_id, endpoint_id, status, "
				"latency_ms, response, error) VALUES ($1, $2, $3::int, $4::int, $5, $6)"},
    [ST_WEBHOOK_DELIVERED] = {"webhook_delivered",
			      "WITH d AS (UPDATE webhook_deliveries SET state = 'delivered', "
			      "delivered_at = now(), last_status = $2::int, last_error = '' WHERE id "
			      "= $1 RETURNING endpoint_id) UPDATE webhook_endpoints SET "
			      "last_success_at = now() WHERE id = (SELECT endpoint_id FROM d)"},
    [ST_WEBHOOK_RETRY] = {"webhook_retry",
			  "UPDATE webhook_deliveries SET next_attempt_at = now() + make_interval(secs "
			  "=> $2::int), last_status = $3::int, last_error = $4 WHERE id = $1 AND "
			  "state = 'pending'"},
    [ST_WEBHOOK_GAVE_UP] = {"webhook_gave_up",
			    "UPDATE webhook_deliveries SET state = 'failed', last_status = $2::int, "
			    "last_error = $3 WHERE id = $1"},
    [ST_WEBHOOK_DISABLE_FAILING] = {"webhook_disable_failing",
				    "UPDATE webhook_endpoints SET disabled_at = now(), "
				    "disabled_reason = $3 WHERE id = $1 AND disabled_at IS NULL AND "
				    "coalesce(last_success_at, created_at) < now() - make_interval(secs "
				    "=> $2::int) AND EXISTS (SELECT 1 FROM webhook_deliveries d WHERE "
				    "d.endpoint_id = $1 AND d.state = 'failed') RETURNING id"},
    [ST_WEBHOOK_ATTEMPTS] = {"webhook_attempts",
			     "SELECT a.id, a.delivery_id, local_iso(a.at, $5) AS at, "
			     "d.kind, d.state, d.msg_id, a.status, a.latency_ms, a.response, a.error "
			     "FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = "
			     "a.delivery_id JOIN webhook_endpoints w ON w.id = a.endpoint_id WHERE "
			     "a.endpoint_id = $2 AND w.org_id = $1 AND ($3::bigint = 0 OR a.id < "
			     "$3::bigint) ORDER BY a.id DESC LIMIT $4::int"},
    [ST_WEBHOOK_RESEND] = {"webhook_resend",
			   "UPDATE webhook_deliveries d SET state = 'pending', next_attempt_at = "
			   "now(), created_at = now(), delivered_at = NULL FROM webhook_endpoints w "
			   "WHERE w.id = d.endpoint_id AND d.id = $2 AND w.org_id = $1 AND "
			   "d.endpoint_id = $3 RETURNING d.endpoint_id"},

    /* reconnect links; when one expires, for people in the IANA zone tz */
#define LINK_COLS(tz)                                                                              \
	"l.id, l.org_id, l.portal_id, l.created_by, p.hub_id, o.name AS org_name, p.name AS "     \
	"portal_name, p.connection_type, u.email AS creator_email, coalesce((SELECT m.role FROM " \
	"memberships m WHERE m.user_id = l.created_by AND m.org_id = l.org_id AND "                \
	"u.disabled_at IS NULL), '') AS creator_role, l.sent_to, p.removed_at IS NOT NULL AS "     \
	"portal_removed, l.expires_at <= now() AS expired, l.revoked_at IS NOT NULL AS revoked, "   \
	"l.used_at IS NOT NULL AS used, (SELECT count(*) FROM reconnect_link_starts s WHERE "      \
	"s.link_id = l.id AND s.at > now() - interval '1 hour') AS starts, "                       \
	"local_iso(l.expires_at, " tz ") AS expires FROM reconnect_links l JOIN portals p ON "     \
	"p.id = l.portal_id JOIN "                                                                 \
	"organisations o ON o.id = l.org_id JOIN users u ON u.id = l.created_by "
    [ST_LINK_CREATE] = {"link_create",
			"INSERT INTO reconnect_links (org_id, portal_id, created_by, token_hash, "
			"expires_at, sent_to) VALUES ($1, $2, $3, $4, now() + make_interval(secs => "
			"$5::int), $6) RETURNING id"},
    /* opened without a session: the organisation's zone */
    [ST_LINK_BY_HASH] = {"link_by_hash",
			 "SELECT " LINK_COLS("o.time_zone") "WHERE l.token_hash = $1"},
    [ST_LINK_GET] = {"link_get",
		     "SELECT " LINK_COLS("o.time_zone") "WHERE l.id = $2 AND ($1::bigint = 0 OR "
		     "l.org_id = $1::bigint)"},
    [ST_LINK_OPEN] = {"link_open",
		      "SELECT " LINK_COLS("$3") "WHERE l.org_id = $1 AND l.portal_id = $2 AND "
		      "l.used_at IS "
		      "NULL AND l.revoked_at IS NULL AND l.expires_at > now() ORDER BY l.id DESC "
		      "LIMIT 20"},
    [ST_LINK_REVOKE] = {"link_revoke",
			"UPDATE reconnect_links SET revoked_at = now() WHERE org_id = $1 AND id = $2 "
			"AND revoked_at IS NULL AND used_at IS NULL"},
    [ST_LINK_START] = {"link_start", "INSERT INTO reconnect_link_starts (link_id) VALUES ($1)"},
    [ST_LINK_USE] = {"link_use",
		     "UPDATE reconnect_links SET used_at = now() WHERE id = $1 AND used_at IS NULL"},

    /* Client Accounts searched (name, domain, Hub ID, labels: a substring
     * of search_text from 3 characters, read from its trigram index,
     * sql/0026; a prefix of name, domain or Hub ID below) or filtered by a
     * label, in name order: $1 the organisation, [$2 the last row shown,]
     * then the status, the label and the search text ("" for none).
     * Generic plans, as every list: the text's portals (m in FIND_PAGE) are
     * read through the trigram index whatever the text, which is a
     * parameter of its index condition. */
/* The label conditions are uncorrelated IN lists of the organisation's
 * labels (portal_labels_org): each is read once per statement and hashed,
 * whatever the generic plan; a correlated EXISTS could be planned as a
 * scan of every organisation's labels per portal. */
/* A page of a search (viewer's session v; status s, label l, text q; the
 * keyset condition and the order).  The portals a text finds are first
 * read into m, up to 1,001 of them, through the trigram index of the
 * organisation's portals (portals_search, sql/0026); when there are at most
 * 1,000, the page's ids are sorted from them (and only those rows' columns
 * made: 833 rows' labels and times cost 80 ms), else by walking the name
 * order and testing each portal.  Which is decided by what m holds, not
 * by a guess of how many a text finds (a 5-digit number guessed at 700
 * portals walked half of 100,000 to find 100).  Without a text of 3
 * characters or more m is never read.  One of the two branches returns rows, in its order; each row
 * carries what m counted (the page's "N portals found"). */
#define FIND_PAGE(v, s, l, q, keyset, order)                                                        \
	"WITH m AS MATERIALIZED (SELECT p.id FROM portals p WHERE p.org_id = " LIST_ORG " AND "     \
	"p.removed_at IS NULL AND p.search_text LIKE " FIND_PATTERN(q) " " FIND_FILTERS(s, l)      \
	"LIMIT 1001) (SELECT " FIND_COLS(q)                                                        \
	PORTAL_FROM_V(v) "AND length(" q ") >= 3 AND (SELECT count(*) FROM m) <= 1000 AND p.id IN " \
	"(SELECT p.id FROM portals p WHERE p.id IN (SELECT m.id FROM m) " keyset order "LIMIT "    \
	PORTAL_FETCH_SQL ") " order "LIMIT " PORTAL_FETCH_SQL ") UNION ALL (SELECT "                \
	FIND_COLS(q) PORTAL_FROM_V(v) PORTAL_FIND(s, l, q) "AND (length(" q ") < 3 OR (SELECT "    \
	"count(*) FROM m) > 1000) " keyset order "LIMIT " PORTAL_FETCH_SQL ")"
/* the rows, with the count m gives when it was read */
#define FIND_COLS(q) LIST_COLS_F("CASE WHEN length(" q ") >= 3 THEN (SELECT count(*) FROM m) ELSE -1 END")
#define FIND_COUNT_V "coalesce((SELECT ov.v FROM org_versions ov WHERE ov.org_id = $1), 0) AS page_v"
/* the LIKE pattern of a search text: its own characters anywhere */
#define FIND_PATTERN(q)                                                                            \
	"('%' || replace(replace(replace(lower(" q "), '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%')"
#define FIND_FILTERS(s, l)                                                                         \
	"AND (" s " = '' OR p.status = " s ") AND (" l " = '' OR p.id IN (SELECT pl.portal_id "    \
	"FROM portal_labels pl WHERE pl.org_id = " LIST_ORG " AND pl.label = " l ")) "
#define PORTAL_FIND(s, l, q)                                                                       \
	FIND_FILTERS(s, l) "AND (" q " = '' OR CASE WHEN length(" q ") >= 3 THEN p.search_text "  \
	"LIKE " FIND_PATTERN(q) " "                                                                \
	"ELSE left(p.sort_name, length(" q ")) = "                                                  \
	"lower(" q ") OR left(lower(p.hub_domain), length(" q ")) = lower(" q ") OR "              \
	"left(p.hub_id::text, length(" q ")) = " q " END) "
    [ST_PORTAL_FIND_FIRST] = {"portal_find_first",
			      FIND_PAGE("$5", "$2", "$3", "$4", "", ORDER_NAME)},
    [ST_PORTAL_FIND_LIST] = {"portal_find_list",
			     FIND_PAGE("$6", "$3", "$4", "$5",
				       "AND (p.sort_name, p.id) > (" AFTER_NAME ", $2) ", ORDER_NAME)},
    [ST_PORTAL_FIND_BEFORE] = {"portal_find_before",
			       FIND_PAGE("$6", "$3", "$4", "$5",
					 "AND (p.sort_name, p.id) < (" AFTER_NAME ", $2) ",
					 ORDER_NAME_R)},
    [ST_PORTAL_FIND_END] = {"portal_find_end",
			    FIND_PAGE("$5", "$2", "$3", "$4", "", ORDER_NAME_R)},
    /* counts come with the organisation's change counter read in their own
     * snapshot: the page cache holds a count under it (db_portal.c) */
    [ST_PORTAL_FIND_COUNT] = {"portal_find_count",
			      "SELECT count(*) AS n, " FIND_COUNT_V " FROM (SELECT 1 FROM portals p "
			      "WHERE p.org_id = $1 AND p.removed_at IS NULL "
			      PORTAL_FIND("$2", "$3", "$4") "LIMIT 1001) x", 1},
    /* with a label: counted from the label's portals (portal_labels_org),
     * not by testing every portal of the organisation */
    [ST_PORTAL_FIND_COUNT_L] = {"portal_find_count_l",
				"SELECT count(*) AS n, " FIND_COUNT_V " FROM (SELECT 1 FROM portal_labels "
				"c JOIN portals p "
				"ON p.id = c.portal_id WHERE c.org_id = $1 AND c.label = $3 AND p.org_id "
				"= $1 AND p.removed_at IS NULL " PORTAL_FIND("$2", "''", "$4")
				"LIMIT 1001) x", 1},
    /* a label alone (or with a status): every one of its portals counted
     * from its own rows (portal_labels_count, sql/0028), exactly */
    [ST_PORTAL_LABEL_COUNT] = {"portal_label_count",
			       "SELECT count(*) AS n, " FIND_COUNT_V " FROM portal_labels l WHERE "
			       "l.org_id = $1 AND l.label = $3 AND l.live AND ($2 = '' OR l.status = "
			       "$2)"},
    [ST_LABEL_ADD] = {"label_add",
		      "INSERT INTO portal_labels (portal_id, org_id, label) SELECT id, org_id, $3 "
		      "FROM portals WHERE id = $2 AND org_id = $1 AND removed_at IS NULL ON "
		      "CONFLICT DO NOTHING"},
    [ST_LABEL_REMOVE] = {"label_remove",
			 "DELETE FROM portal_labels WHERE org_id = $1 AND portal_id = $2 AND label = "
			 "$3"},
    [ST_LABELS_OF_PORTAL] = {"labels_of_portal",
			     "SELECT label FROM portal_labels WHERE org_id = $1 AND portal_id = $2 "
			     "ORDER BY label"},
    /* the organisation's distinct labels by skipping along portal_labels_org
     * (one probe per label, not one per labelled portal), each kept when a
     * portal that is not removed has it, its portals looked up one by one (a
     * join was planned as a merge along portals_pkey from the first portal
     * of every organisation: 12 ms at 100,000 portals, 0.06 ms at 1,000) */
    [ST_LABELS_OF_ORG] = {"labels_of_org",
			  "WITH RECURSIVE t(label) AS (SELECT min(label) FROM portal_labels WHERE "
			  "org_id = $1 UNION ALL SELECT (SELECT min(n.label) FROM portal_labels n "
			  "WHERE n.org_id = $1 AND n.label > t.label) FROM t WHERE t.label IS NOT "
			  "NULL) SELECT t.label FROM t WHERE t.label IS NOT NULL AND (SELECT l.portal_id "
			  "FROM portal_labels l WHERE l.org_id = $1 AND l.label = t.label AND (SELECT "
			  "p.removed_at FROM portals p WHERE p.id = l.portal_id) IS NULL LIMIT 1) IS NOT "
			  "NULL LIMIT 200"},
    /* ---- the organisation's activity log (issue 17 item 1) ---- */
    [ST_ACTIVITY_LOG_0] = {"activity_log_0", ACT_SQL(ACT_P0, ACT_U0, ACT_K0, ACT_PAGE)},
    [ST_ACTIVITY_LOG_1] = {"activity_log_1", ACT_SQL(ACT_P1, ACT_U0, ACT_K0, ACT_PAGE)},
    [ST_ACTIVITY_LOG_2] = {"activity_log_2", ACT_SQL(ACT_P0, ACT_U1, ACT_K0, ACT_PAGE)},
    [ST_ACTIVITY_LOG_3] = {"activity_log_3", ACT_SQL(ACT_P1, ACT_U1, ACT_K0, ACT_PAGE)},
    [ST_ACTIVITY_LOG_4] = {"activity_log_4", ACT_SQL(ACT_P0, ACT_U0, ACT_K1, ACT_PAGE)},
    [ST_ACTIVITY_LOG_5] = {"activity_log_5", ACT_SQL(ACT_P1, ACT_U0, ACT_K1, ACT_PAGE)},
    [ST_ACTIVITY_LOG_6] = {"activity_log_6", ACT_SQL(ACT_P0, ACT_U1, ACT_K1, ACT_PAGE)},
    [ST_ACTIVITY_LOG_7] = {"activity_log_7", ACT_SQL(ACT_P1, ACT_U1, ACT_K1, ACT_PAGE)},
    [ST_ACTIVITY_CSV_0] = {"activity_csv_0", ACT_SQL(ACT_P0, ACT_U0, ACT_K0, ACT_ALL)},
    [ST_ACTIVITY_CSV_1] = {"activity_csv_1", ACT_SQL(ACT_P1, ACT_U0, ACT_K0, ACT_ALL)},
    [ST_ACTIVITY_CSV_2] = {"activity_csv_2", ACT_SQL(ACT_P0, ACT_U1, ACT_K0, ACT_ALL)},
    [ST_ACTIVITY_CSV_3] = {"activity_csv_3", ACT_SQL(ACT_P1, ACT_U1, ACT_K0, ACT_ALL)},
    [ST_ACTIVITY_CSV_4] = {"activity_csv_4", ACT_SQL(ACT_P0, ACT_U0, ACT_K1, ACT_ALL)},
    [ST_ACTIVITY_CSV_5] = {"activity_csv_5", ACT_SQL(ACT_P1, ACT_U0, ACT_K1, ACT_ALL)},
    [ST_ACTIVITY_CSV_6] = {"activity_csv_6", ACT_SQL(ACT_P0, ACT_U1, ACT_K1, ACT_ALL)},
    [ST_ACTIVITY_CSV_7] = {"activity_csv_7", ACT_SQL(ACT_P1, ACT_U1, ACT_K1, ACT_ALL)},
    /* today in the zone (the CSV's name); whether the portal and user
     * filters name this organisation's (a removed portal counts; a user
     * counts while a member or when the log names them) */
    [ST_ACTIVITY_CHECK] = {"activity_check",
			   "SELECT to_char(now() AT TIME ZONE $2::text, 'YYYY-MM-DD') AS today, "
			   "($3::bigint = 0 OR EXISTS (SELECT 1 FROM portals p WHERE p.id = "
			   "$3::bigint AND p.org_id = $1)) AS portal_ok, ($4::bigint = 0 OR EXISTS "
			   "(SELECT 1 FROM memberships m WHERE m.user_id = $4::bigint AND m.org_id = "
			   "$1) OR EXISTS (SELECT 1 FROM activity a WHERE a.org_id = $1 AND a.user_id "
			   "= $4::bigint)) AS user_ok"},
    /* the kinds in the log: one index probe per kind (a loose index scan
     * of activity_org_kind_time), not a pass over every entry */
    [ST_ACTIVITY_KINDS] = {"activity_kinds",
			   "WITH RECURSIVE k(kind) AS ((SELECT a.kind FROM activity a WHERE "
			   "a.org_id = $1 ORDER BY a.kind LIMIT 1) UNION ALL SELECT (SELECT a.kind "
			   "FROM activity a WHERE a.org_id = $1 AND a.kind > k.kind ORDER BY a.kind "
			   "LIMIT 1) FROM k WHERE k.kind IS NOT NULL) SELECT 0 AS id, kind AS name "
			   "FROM k WHERE kind IS NOT NULL LIMIT 200"},
    /* the members, and whoever else the log names (the same loose scan of
     * activity_org_user_time) */
    [ST_ACTIVITY_USERS] = {"activity_users",
			   "WITH RECURSIVE x(user_id) AS ((SELECT a.user_id FROM activity a WHERE "
			   "a.org_id = $1 AND a.user_id IS NOT NULL ORDER BY a.user_id LIMIT 1) UNION "
			   "ALL SELECT (SELECT a.user_id FROM activity a WHERE a.org_id = $1 AND "
			   "a.user_id > x.user_id ORDER BY a.user_id LIMIT 1) FROM x WHERE x.user_id "
			   "IS NOT NULL) SELECT u.id, u.email AS name FROM users u WHERE u.id IN "
			   "(SELECT user_id FROM x WHERE user_id IS NOT NULL UNION SELECT m.user_id "
			   "FROM memberships m WHERE m.org_id = $1) ORDER BY lower(u.email), u.id "
			   "LIMIT 500"},
    /* the organisation's portals by name, the removed ones after them
     * (read only when fewer than 501 are not removed): the first part reads
     * portals_by_name in order, never sorting every portal */
    [ST_ACTIVITY_PORTALS] = {"activity_portals",
			     "(SELECT p.id, p.name, p.hub_id, false AS removed FROM portals p WHERE "
			     "p.org_id = $1 AND p.removed_at IS NULL ORDER BY p.sort_name, p.id LIMIT "
			     "501) UNION ALL (SELECT p.id, p.name, p.hub_id, true FROM portals p WHERE "
			     "p.org_id = $1 AND p.removed_at IS NOT NULL ORDER BY p.sort_name, p.id "
			     "LIMIT 501) LIMIT 501"},
    /* ---- end of the activity log ---- */

    /* ---- API tokens and the read API (issue 17 item 2; db_apitoken.c) ---- */
    [ST_APITOKEN_COUNT] = {"apitoken_count",
			   "SELECT (SELECT count(*) FROM api_tokens WHERE org_id = $1 AND revoked_at "
			   "IS NULL) AS n, api_tokens_max AS cap FROM organisations WHERE id = $1"},
    /* the cap is checked inside a transaction that holds the organisation
     * row, so two creations at once cannot both take the last place (NO
     * KEY: rows that merely reference the organisation are not blocked) */
    [ST_APITOKEN_LOCK_ORG] = {"apitoken_lock_org",
			      "SELECT api_tokens_max AS cap FROM organisations WHERE id = $1 FOR NO "
			      "KEY UPDATE"},
    [ST_APITOKEN_CREATE] = {"apitoken_create",
			    "INSERT INTO api_tokens (org_id, name, token_hash, prefix, created_by) "
			    "SELECT $1, $2, $3, $4, NULLIF($5, '')::bigint WHERE (SELECT count(*) "
			    "FROM api_tokens WHERE org_id = $1 AND revoked_at IS NULL) < $6::int "
			    "RETURNING id"},
    /* the page: tokens not revoked first, then the 50 last revoked */
    [ST_APITOKEN_LIST] = {"apitoken_list",
			  "SELECT t.id, t.name, t.prefix, coalesce(cu.email, '') AS created_by, "
			  "local_iso(t.created_at, $2) AS created_at, coalesce(local_iso("
			  "t.last_used_at, $2), '') AS last_used_at, coalesce(local_iso("
			  "t.revoked_at, $2), '') AS revoked_at, coalesce(ru.email, '') AS "
			  "revoked_by FROM api_tokens t LEFT JOIN users cu ON cu.id = t.created_by "
			  "LEFT JOIN users ru ON ru.id = t.revoked_by WHERE t.org_id = $1 AND "
			  "(t.revoked_at IS NULL OR t.id IN (SELECT id FROM api_tokens WHERE org_id "
			  "= $1 AND revoked_at IS NOT NULL ORDER BY revoked_at DESC LIMIT 50)) "
			  "ORDER BY t.revoked_at IS NOT NULL, t.id DESC"},
    [ST_APITOKEN_REVOKE] = {"apitoken_revoke",
			    "UPDATE api_tokens SET revoked_at = now(), revoked_by = NULLIF($3, "
			    "'')::bigint WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL "
			    "RETURNING name, prefix"},
    /* the token check, the rate limit's fixed window ($2 seconds) and the
     * last-used time (moved at most once a minute) in one statement */
    [ST_APITOKEN_AUTH] =
	{"apitoken_auth",
	 "UPDATE api_tokens t SET rate_count = CASE WHEN t.rate_window_at > now() - "
	 "make_interval(secs => $2::int) THEN least(t.rate_count + 1, 1000000000) ELSE 1 END, "
	 "rate_window_at = CASE WHEN t.rate_window_at > now() - make_interval(secs => $2::int) "
	 "THEN t.rate_window_at ELSE now() END, last_used_at = CASE WHEN t.last_used_at > now() - "
	 "interval '60 seconds' THEN t.last_used_at ELSE now() END FROM organisations o WHERE "
	 "t.token_hash = $1 AND t.revoked_at IS NULL AND o.id = t.org_id RETURNING t.id, "
	 "t.org_id, t.prefix, o.time_zone AS tz, t.rate_count AS n, greatest(1, ceil(extract("
	 "epoch FROM t.rate_window_at + make_interval(secs => $2::int) - now())))::int AS "
	 "reset_in"},
    [ST_APITOKEN_SET_MAX] = {"apitoken_set_max",
			     "UPDATE organisations SET api_tokens_max = $2 WHERE id = $1"},
    /* The read API's portals: $1 the organisation, $2 its time zone, $3 the
     * status, $4 the label, $5 the search ("" none: PORTAL_FIND's rules,
     * the page's), $6 the rows to read; then the keyset of the cursor, by
     * value (never re-read from the row, so a renamed or re-sorted row of
     * an earlier page moves no other row across the boundary): $7 the
     * id, $8 the sort name, $9 the status rank; or $8 the last connection
     * (UTC, microseconds).  The first page passes a key below every row.
     * Generic plans, as the page's search statements. */
#define API_PORTAL_COLS                                                                             \
	"p.id, p.hub_id, p.name, p.hub_domain, p.connection_type, p.status, "                      \
	"p.status_reason_code, p.status_reason, coalesce((SELECT json_agg(l.label ORDER BY "        \
	"l.label) FROM portal_labels l WHERE l.portal_id = p.id), '[]')::text AS labels, "           \
	"local_iso(p.last_connected_at, $2) AS last_connected_at, coalesce(local_iso("              \
	"p.last_refreshed_at, $2), '') AS last_refreshed_at, p.sort_name, p.status_rank, "          \
	"to_char(p.last_connected_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US') AS "       \
	"last_key "
#define API_PORTAL_FROM                                                                             \
	"FROM portals p WHERE p.org_id = $1 AND p.removed_at IS NULL " PORTAL_FIND("$3", "$4", "$5")
    [ST_API_PORTALS_ID] = {"api_portals_id", "SELECT " API_PORTAL_COLS API_PORTAL_FROM
					     "AND p.id > $7::bigint ORDER BY p.id LIMIT $6::int"},
    [ST_API_PORTALS_NAME] = {"api_portals_name",
			     "SELECT " API_PORTAL_COLS API_PORTAL_FROM
			     "AND (p.sort_name, p.id) > ($8::text, $7::bigint) ORDER BY p.sort_name, "
			     "p.id LIMIT $6::int"},
    [ST_API_PORTALS_STATUS] = {"api_portals_status",
			       "SELECT " API_PORTAL_COLS API_PORTAL_FROM
			       "AND (p.status_rank, p.sort_name, p.id) > ($9::smallint, $8::text, "
			       "$7::bigint) ORDER BY p.status_rank, p.sort_name, p.id LIMIT $6::int"},
    [ST_API_PORTALS_LAST] = {"api_portals_last",
			     "SELECT " API_PORTAL_COLS API_PORTAL_FROM
			     "AND (p.last_connected_at, p.id) < ($8::timestamp AT TIME ZONE 'UTC', "
			     "$7::bigint) ORDER BY p.last_connected_at DESC, p.id DESC LIMIT $6::int"},
    [ST_API_PORTAL_GET] = {"api_portal_get", "SELECT " API_PORTAL_COLS
					     "FROM portals p WHERE p.org_id = $1 AND p.id = $3::bigint "
					     "AND p.removed_at IS NULL"},
    /* the organisation's events after id $3, oldest first ($4 rows), with
     * the portal as it is now */
    [ST_API_EVENTS] = {"api_events",
		       "SELECT e.id, e.portal_id, p.hub_id, p.name, e.seq, e.kind, coalesce("
		       "e.status_from, '') AS status_from, coalesce(e.status_to, '') AS status_to, "
		       "coalesce(e.reason_code, '') AS reason_code, coalesce(e.reason, '') AS "
		       "reason, coalesce(e.run_id, 0) AS run_id, coalesce(e.run_kind, '') AS "
		       "run_kind, coalesce(e.run_state, '') AS run_state, local_iso(e.created_at, "
		       "$2) AS at FROM events e JOIN portals p ON p.id = e.portal_id WHERE e.org_id "
		       "= $1 AND e.id > $3::bigint ORDER BY e.id LIMIT $4::int"},
    /* ---- end of API tokens and the read API ---- */
    /* --- team (issue 17): members and their last sign-in, the
     * organisations of a user, invitations, password resets.  The last
     * owner is kept by the statements that change a role or remove a
     * member, after ST_TEAM_LOCK_ORG has locked the organisation's row in
     * the same transaction (a statement that waited for the lock would
     * count with its old snapshot: the count is a statement of its own). */
#define OWNERS_LEFT "(SELECT count(*) FROM memberships w WHERE w.org_id = $1 AND w.role = 'owner')"
    [ST_TEAM_SIGNED_IN] = {"team_signed_in",
			   "UPDATE memberships SET last_sign_in_at = now() WHERE user_id = $1 AND "
			   "org_id = $2"},
    [ST_TEAM_MEMBERS] = {"team_members",
			 "SELECT m.user_id, u.email, m.role, u.disabled_at IS NOT NULL AS disabled, "
			 "coalesce(local_iso(m.last_sign_in_at, $2), '') AS last_sign_in FROM "
			 "memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 ORDER BY "
			 "CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 WHEN 'member' THEN 2 "
			 "ELSE 3 END, lower(u.email), u.id LIMIT 500"},
    [ST_TEAM_ORGS] = {"team_orgs",
		      "SELECT m.org_id, o.name, m.role, coalesce(local_iso(m.last_sign_in_at, $2), "
		      "'') AS last_sign_in FROM memberships m JOIN organisations o ON o.id = "
		      "m.org_id WHERE m.user_id = $1 ORDER BY lower(o.name), o.id LIMIT 100"},
    [ST_TEAM_IS_MEMBER] = {"team_is_member",
			   "SELECT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id "
			   "WHERE m.org_id = $1 AND lower(u.email) = lower($2)"},
    [ST_TEAM_LOCK_ORG] = {"team_lock_org", "SELECT id FROM organisations WHERE id = $1 FOR UPDATE"},
    [ST_TEAM_PAIR] = {"team_pair",
		      "SELECT coalesce((SELECT role FROM memberships WHERE org_id = $1 AND user_id = "
		      "$2), '') AS actor_role, coalesce((SELECT role FROM memberships WHERE org_id = "
		      "$1 AND user_id = $3), '') AS target_role, coalesce((SELECT email FROM users "
		      "WHERE id = $3), '') AS target_email"},
    [ST_TEAM_SET_ROLE] = {"team_set_role",
			  "UPDATE memberships SET role = $3 WHERE org_id = $1 AND user_id = $2 AND "
			  "($3 = 'owner' OR role <> 'owner' OR " OWNERS_LEFT " > 1)"},
    [ST_TEAM_REMOVE] = {"team_remove",
			"DELETE FROM memberships WHERE org_id = $1 AND user_id = $2 AND (role <> "
			"'owner' OR " OWNERS_LEFT " > 1)"},
    [ST_TEAM_SESSIONS_END] = {"team_sessions_end",
			      "UPDATE sessions SET ended_at = now() WHERE org_id = $1 AND user_id = "
			      "$2 AND ended_at IS NULL"},
    [ST_TEAM_USER_CREATE] = {"team_user_create",
			     "INSERT INTO users (email, password_hash) VALUES ($1, $2) ON CONFLICT "
			     "((lower(email))) DO NOTHING RETURNING id"},
    [ST_TEAM_JOIN] = {"team_join",
		      "INSERT INTO memberships (user_id, org_id, role) VALUES ($1, $2, $3) ON "
		      "CONFLICT (user_id, org_id) DO NOTHING"},
    [ST_INVITE_SUPERSEDE] = {"invite_supersede",
			     "UPDATE invitations SET revoked_at = now() WHERE org_id = $1 AND "
			     "lower(email) = lower($2) AND accepted_at IS NULL AND revoked_at IS NULL"},
    [ST_INVITE_CREATE] = {"invite_create",
			  "INSERT INTO invitations (org_id, email, role, token_hash, invited_by, "
			  "expires_at) VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => "
			  "$6::int)) RETURNING id"},
    [ST_INVITE_LIST] = {"invite_list",
			"SELECT i.id, i.email, i.role, coalesce(b.email, '') AS inviter, "
			"local_iso(i.created_at, $2) AS created, local_iso(i.expires_at, $2) AS "
			"expires FROM invitations i LEFT JOIN users b ON b.id = i.invited_by WHERE "
			"i.org_id = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND "
			"i.expires_at > now() ORDER BY i.id DESC LIMIT 200"},
    [ST_INVITE_BY_HASH] = {"invite_by_hash",
			   "SELECT i.id, i.org_id, i.email, i.role, o.name AS org_name, "
			   "coalesce(b.email, '') AS inviter, i.expires_at <= now() AS expired, "
			   "i.revoked_at IS NOT NULL AS revoked, i.accepted_at IS NOT NULL AS "
			   "accepted, coalesce(u.id, 0) AS user_id, coalesce(u.disabled_at IS NOT "
			   "NULL, false) AS user_disabled FROM invitations i JOIN organisations o ON "
			   "o.id = i.org_id LEFT JOIN users b ON b.id = i.invited_by LEFT JOIN users "
			   "u ON lower(u.email) = lower(i.email) WHERE i.token_hash = $1"},
    [ST_INVITE_REVOKE] = {"invite_revoke",
			  "UPDATE invitations SET revoked_at = now() WHERE org_id = $1 AND id = $2 "
			  "AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now() "
			  "RETURNING email"},
    [ST_INVITE_TAKE] = {"invite_take",
			"UPDATE invitations SET accepted_at = now(), accepted_by = $2 WHERE id = $1 "
			"AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now() "
			"RETURNING org_id, role"},
    [ST_RESET_REQUESTS] = {"reset_requests",
			   "SELECT count(*) AS n FROM password_reset_requests WHERE email = "
			   "lower($1) AND at > now() - make_interval(secs => $2::int)"},
    [ST_RESET_REQUEST_NOTE] = {"reset_request_note",
			       "WITH old AS (DELETE FROM password_reset_requests WHERE email = "
			       "lower($1) AND at < now() - interval '1 day') INSERT INTO "
			       "password_reset_requests (email) VALUES (lower($1))"},
    [ST_RESET_CREATE] = {"reset_create",
			 "INSERT INTO password_resets (user_id, token_hash, expires_at) VALUES ($1, "
			 "$2, now() + make_interval(secs => $3::int)) RETURNING id"},
    [ST_RESET_BY_HASH] = {"reset_by_hash",
			  "SELECT r.id, r.user_id, u.email, r.expires_at <= now() AS expired, "
			  "r.used_at IS NOT NULL AS used, u.disabled_at IS NOT NULL AS disabled FROM "
			  "password_resets r JOIN users u ON u.id = r.user_id WHERE r.token_hash = "
			  "$1"},
    [ST_RESET_TAKE] = {"reset_take",
		       "UPDATE password_resets SET used_at = now() WHERE id = $1 AND used_at IS "
		       "NULL AND expires_at > now() RETURNING user_id"},
    [ST_RESET_SET_PASSWORD] = {"reset_set_password",
			       "UPDATE users SET password_hash = $2 WHERE id = $1 AND disabled_at IS "
			       "NULL"},
    [ST_RESET_USE_ALL] = {"reset_use_all",
			  "UPDATE password_resets SET used_at = now() WHERE user_id = $1 AND "
			  "used_at IS NULL"},
    /* --- end team --- */

    /* ---- issue 18 items 2 and 3 (sql/0022_create_hubspot_breaker.sql) ----
     * The HubSpot circuit breaker: one row (id 1) every worker thread on
     * every host reads before claiming a job. */
    /* $1: this pass's start (Unix time; 0 in forever mode) */
    [ST_BREAKER_STATE] = {"breaker_state",
			  "SELECT state, coalesce(probe_until >= now(), false) AS probing, "
			  "coalesce(last_probe_at >= to_timestamp($1::double precision), false) "
			  "AS probed_since, greatest(0, ceil(extract(epoch FROM coalesce("
			  "next_probe_at, now()) - now()) * 1000))::bigint AS next_probe_ms "
			  "FROM hs_breaker WHERE id = 1"},
    /* an outage-kind failure of portal $1 ($2: the window in seconds, $3:
     * what failed, for the logs) */
    [ST_BREAKER_FAILED] = {"breaker_failed",
			   "WITH f AS (INSERT INTO hs_breaker_failures (portal_id, failed_at) "
			   "SELECT id, now() FROM portals WHERE id = $1::bigint ON CONFLICT "
			   "(portal_id) DO UPDATE SET failed_at = now()) UPDATE hs_breaker SET "
			   "window_start = CASE WHEN window_start <= now() - make_interval(secs => "
			   "$2::int) THEN now() ELSE window_start END, window_failures = CASE WHEN "
			   "window_start <= now() - make_interval(secs => $2::int) THEN 1 ELSE "
			   "window_failures + 1 END, window_answers = CASE WHEN window_start <= "
			   "now() - make_interval(secs => $2::int) THEN 0 ELSE window_answers END, "
			   "last_error = $3 WHERE id = 1"},
    /* open when $1 failures of $2 portals within $3 seconds outnumber the
     * answers; the first probe after $4 seconds */
    [ST_BREAKER_TRIP] = {"breaker_trip",
			 "WITH n AS (SELECT count(*) AS portals FROM hs_breaker_failures WHERE "
			 "failed_at > now() - make_interval(secs => $3::int)) UPDATE hs_breaker SET "
			 "state = 'open', opened_at = now(), closed_at = NULL, next_probe_at = now() + "
			 "make_interval(secs => $4::int), probe_by = NULL, probe_until = NULL, opens = "
			 "opens + 1 FROM n WHERE id = 1 AND state = 'closed' AND window_failures >= "
			 "$1::int AND window_failures > window_answers AND window_start > now() - "
			 "make_interval(secs => $3::int) AND n.portals >= $2::int RETURNING "
			 "window_failures, window_answers, n.portals, last_error"},
    /* HubSpot answered: counted only while failures are being counted */
    [ST_BREAKER_ANSWERED] = {"breaker_answered",
			     "UPDATE hs_breaker SET window_answers = window_answers + 1 WHERE id = 1 "
			     "AND window_failures > 0 AND window_start > now() - make_interval(secs "
			     "=> $1::int)"},
    /* the probe lease for thread $1 ($2 seconds): when the next probe is due,
     * or (a --once pass started at $3) none was made since the pass began */
    [ST_BREAKER_PROBE_TAKE] = {"breaker_probe_take",
			       "UPDATE hs_breaker SET state = 'half_open', probe_by = $1, "
			       "probe_until = now() + make_interval(secs => $2::int), last_probe_at "
			       "= now() WHERE id = 1 AND (state = 'open' OR (state = 'half_open' AND "
			       "probe_until < now())) AND (next_probe_at <= now() OR "
			       "($3::double precision > 0 AND coalesce(last_probe_at, '-infinity') < "
			       "to_timestamp($3::double precision))) RETURNING last_error"},
    [ST_BREAKER_PROBE_FAILED] = {"breaker_probe_failed",
				 "UPDATE hs_breaker SET state = 'open', probe_by = NULL, probe_until "
				 "= NULL, next_probe_at = now() + make_interval(secs => $2::int), "
				 "probes_failed = probes_failed + 1, last_error = $3 WHERE id = 1 AND "
				 "state = 'half_open' AND probe_by = $1"},
    [ST_BREAKER_CLOSE] = {"breaker_close",
			  "UPDATE hs_breaker SET state = 'closed', closed_at = now(), probe_by = "
			  "NULL, probe_until = NULL, next_probe_at = NULL, probes_ok = probes_ok + 1, "
			  "window_start = now(), window_failures = 0, window_answers = 0 WHERE id = 1 "
			  "AND state = 'half_open' AND probe_by = $1 RETURNING "
			  "extract(epoch FROM now() - opened_at)::bigint AS open_s, last_error"},
    /* after the outage: the jobs whose failure streak began with it ($1: the
     * window before it opened) lose their backoff, and every due refresh and
     * health check is due now in the order of its access token's expiry
     * ($2: the refresh margin); claiming follows run_after */
    [ST_BREAKER_PULL_FORWARD] =
	{"breaker_pull_forward",
	 "UPDATE jobs j SET run_after = least(now(), coalesce((SELECT t.access_expires_at - "
	 "make_interval(secs => $2::int) FROM portal_tokens t WHERE t.portal_id = j.portal_id "
	 "AND j.kind <> 'revoke'), now())), attempts = 0, failing_since = NULL, outage = false, "
	 "updated_at = now() WHERE j.state = 'queued' AND j.kind IN ('refresh', 'health', "
	 "'revoke') AND ((j.outage AND j.failing_since >= (SELECT b.opened_at - "
	 "make_interval(secs => $1::int) FROM hs_breaker b WHERE b.id = 1)) OR (j.kind <> "
	 "'revoke' AND j.attempts = 0 AND j.run_after <= now()))"},
    [ST_BREAKER_FAILURES_CLEAR] = {"breaker_failures_clear", "DELETE FROM hs_breaker_failures"},
    /* the probe's token: the Connected portal whose access token expires first */
    [ST_BREAKER_PROBE_PORTAL] = {"breaker_probe_portal",
				 "SELECT t.portal_id FROM portal_tokens t JOIN portals p ON p.id = "
				 "t.portal_id WHERE p.status = 'connected' AND p.removed_at IS NULL "
				 "ORDER BY t.access_expires_at, t.portal_id LIMIT 1"},
    [ST_BREAKER_METRICS] = {"breaker_metrics",
			    "SELECT state, opens, probes_ok, probes_failed, CASE WHEN state = "
			    "'closed' THEN 0 ELSE coalesce(extract(epoch FROM now() - opened_at), "
			    "0) END::bigint AS open_s FROM hs_breaker WHERE id = 1"},
    /* A refresh's intent, before the call with the tokens of version $2:
     * whether the one before with that version never recorded its answer,
     * and how long ago it started */
    [ST_TOKENS_INTENT_BEGIN] = {"tokens_intent_begin",
				"WITH o AS (SELECT refresh_intent_version AS v, refresh_intent_at AS "
				"at FROM portal_tokens WHERE portal_id = $1 FOR UPDATE) UPDATE "
				"portal_tokens SET refresh_intent_version = $2::bigint, "
				"refresh_intent_at = now() FROM o WHERE portal_id = $1 AND version = "
				"$2::bigint RETURNING coalesce(o.v = $2::bigint, false) AS unfinished, "
				"coalesce(extract(epoch FROM now() - o.at), 0)::bigint AS age_s"},
    /* HubSpot answered the attempt with version $2 (without new tokens) */
    [ST_TOKENS_INTENT_END] = {"tokens_intent_end",
			      "UPDATE portal_tokens SET refresh_intent_version = NULL, "
			      "refresh_intent_at = NULL WHERE portal_id = $1 AND "
			      "refresh_intent_version = $2::bigint"},
    [ST_TOKENS_INTENT_OPEN] = {"tokens_intent_open",
			       "SELECT extract(epoch FROM now() - refresh_intent_at)::bigint AS "
			       "age_s FROM portal_tokens WHERE portal_id = $1 AND version = "
			       "$2::bigint AND refresh_intent_version = $2::bigint"},
};

const char *stmt_sql(enum stmt st)
{
	return stmts[st].sql;
}

const char *stmt_name(enum stmt st)
{
	return stmts[st].name;
}

int stmt_per_call(enum stmt st)
{
	return stmts[st].per_call;
}
