/*
 * db_admin: migrations, organisations and users for the admin tool and
 * the gauges of /metrics.  Return contract as in db.h.
 */
#ifndef JS_DB_ADMIN_H
#define JS_DB_ADMIN_H

#include <stdio.h>

#include "buf.h"
#include "db.h"

/* Apply every sql/NNNN_verb_noun.sql in dir not yet recorded, in order,
 * each in one transaction, under an advisory lock.  Prints one line per
 * applied file to out.  Returns the number applied, or -1 (err set). */
int db_migrate(struct db *db, const char *dir, FILE *out, char *err, size_t errlen);
/* 1 with *id, 0 not found. */
int db_org_find(struct db *db, const char *name, long long *id);
int db_org_create(struct db *db, const char *name, long long *id);
int db_user_find(struct db *db, const char *email, long long *id);
/* Create a user with a membership; 1 ok, 0 the email exists. */
int db_user_create(struct db *db, long long org, const char *email, const char *hash,
		   const char *role, long long *id);
int db_user_set_role(struct db *db, long long user, long long org, const char *role);
/* Disable and end every session at once. */
int db_user_disable(struct db *db, long long user);
/* Append Prometheus gauges (portals by status, job queue). */
int db_metrics(struct db *db, struct buf *out);

#endif
