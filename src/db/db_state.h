/*
 * db_state: OAuth states, stored as their SHA-256 only, single use.
 * Return contract as in db.h.
 */
#ifndef JS_DB_STATE_H
#define JS_DB_STATE_H

#include "db.h"

struct oauth_state {
	char session_hash[65];
	long long user_id;
	long long org_id;
	long long portal_id; /* 0: a new connection */
	char conn_type[16];
	int expired;
	long long link_id; /* a reconnect link started it (no session); 0 none */
};

int db_state_create(struct db *db, const char *state_hash, const char *session_hash, long long user,
		    long long org, long long portal, const char *conn_type, int ttl_seconds,
		    long long link);
/* The reconnect link a state was started from (0: a session's own flow,
 * or no such state), without consuming it.  1 or -1. */
int db_state_link(struct db *db, const char *state_hash, long long *link);
/* Consume a state: 1 consumed (out filled, check out->expired), 0 unknown,
 * 2 already used. */
int db_state_consume(struct db *db, const char *state_hash, struct oauth_state *out);
/* Forget states that expired a while ago. */
int db_states_cleanup(struct db *db);

#endif
