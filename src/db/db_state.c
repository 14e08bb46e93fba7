/*
 * db_state: OAuth states (stored hashed, single use).  See db_state.h.
 */
#include "db_state.h"
#include "db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int db_state_create(struct db *db, const char *state_hash, const char *session_hash, long long user,
		    long long org, long long portal, const char *conn_type, int ttl_seconds,
		    long long link)
{
	char u[24], o[24], pt[24] = "", ttl[16], lk[24] = "";

	LL(u, user);
	LL(o, org);
	if (portal)
		LL(pt, portal);
	snprintf(ttl, sizeof(ttl), "%d", ttl_seconds);
	if (link)
		LL(lk, link);
	const char *p[] = {state_hash, session_hash, u, o, pt, conn_type, ttl, lk};
	return db_cmd(db, ST_STATE_CREATE, 8, p) == 1 ? 1 : -1;
}

int db_state_link(struct db *db, const char *state_hash, long long *link)
{
	PGresult *r;
	const char *p[] = {state_hash};

	*link = 0;
	r = db_run(db, ST_STATE_LINK, 1, p);
	if (r == NULL)
		return -1;
	if (PQntuples(r) == 1)
		*link = db_get_ll(r, 0, "link_id");
	PQclear(r);
	return 1;
}

int db_state_consume(struct db *db, const char *state_hash, struct oauth_state *out)
{
	PGresult *r;
	int result;

	memset(out, 0, sizeof(*out));
	const char *p[] = {state_hash};
	r = db_run(db, ST_STATE_CONSUME, 1, p);
	if (r == NULL)
		return -1;
	if (PQntuples(r) == 1) {
		db_copy(out->session_hash, sizeof(out->session_hash), db_get(r, 0, "session_hash"));
		out->user_id = db_get_ll(r, 0, "user_id");
		out->org_id = db_get_ll(r, 0, "org_id");
		out->portal_id = db_get_ll(r, 0, "portal_id");
		db_copy(out->conn_type, sizeof(out->conn_type), db_get(r, 0, "connection_type"));
		out->expired = strcmp(db_get(r, 0, "expired"), "t") == 0;
		out->link_id = db_get_ll(r, 0, "link_id");
		PQclear(r);
		return 1;
	}
	PQclear(r);
	r = db_run(db, ST_STATE_LOOKUP, 1, p);
	if (r == NULL)
		return -1;
	result = PQntuples(r) == 1 ? 2 : 0;
	PQclear(r);
	return result;
}


int db_states_cleanup(struct db *db)
{
	return db_cmd(db, ST_STATES_CLEANUP, 0, NULL) < 0 ? -1 : 1;
}
