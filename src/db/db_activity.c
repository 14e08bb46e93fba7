/*
 * db_activity: the activity entries of portals and organisations.  See
 * db_activity.h.
 */
#include "db_activity.h"
#include "db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int db_activity_add(struct db *db, long long org, long long portal, long long user,
		    const char *kind, const char *message, const char *correlation_id)
{
	char o[24], pt[24] = "", u[24] = "";

	LL(o, org);
	if (portal)
		LL(pt, portal);
	if (user)
		LL(u, user);
	const char *p[] = {o, pt, u, kind, message, correlation_id ? correlation_id : ""};
	return db_cmd(db, ST_ACTIVITY_ADD, 6, p) == 1 ? 1 : -1;
}

int db_activity_list(struct db *db, long long org, long long portal, long long before, cJSON **rows)
{
	char o[24], pt[24], b[24];
	PGresult *r;

	*rows = NULL;
	LL(o, org);
	LL(pt, portal);
	LL(b, before > 0 ? before : 9223372036854775807LL);
	const char *p[] = {pt, o, b};
	r = db_run(db, ST_ACTIVITY_LIST, 3, p);
	if (r == NULL)
		return -1;
	*rows = db_rows_json(r);
	PQclear(r);
	return *rows ? 1 : -1;
}

