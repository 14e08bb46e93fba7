/*
 * db_activity: activity entries (a portal's history; user 0 is the
 * worker).  Return contract as in db.h.
 */
#ifndef JS_DB_ACTIVITY_H
#define JS_DB_ACTIVITY_H

#include <cJSON.h>

#include "db.h"

/* Entries a portal's page shows, and one more to know about older ones
 * (also the SQL's LIMIT, in db_stmt.c). */
#define ACTIVITY_FETCH	   26
#define ACTIVITY_PAGE_ROWS (ACTIVITY_FETCH - 1)

int db_activity_add(struct db *db, long long org, long long portal, long long user,
		    const char *kind, const char *message, const char *correlation_id);
/* Activity of a portal, newest first, at most ACTIVITY_FETCH entries with
 * ids below before (0: from the newest), as a cJSON array of objects (id,
 * kind, message, correlation_id, at: Unix seconds, user_email). */
int db_activity_list(struct db *db, long long org, long long portal, long long before,
		     cJSON **rows);

#endif
