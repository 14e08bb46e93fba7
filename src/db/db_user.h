/*
 * db_user: organisations, users and their roles.  Return contract as in
 * db.h.
 */
#ifndef JS_DB_USER_H
#define JS_DB_USER_H

#include "db.h"

/* What sign-in needs of a user, found by email (any case). */
struct login_row {
	long long id;
	long long org_id; /* the organisation signed in to last, else the first
			   * joined; 0 for none */
	char password_hash[256];
	int disabled;
	long n_orgs; /* organisations the user belongs to */
};

/* 1 with *out, 0 no such email. */
int db_user_login(struct db *db, const char *email, struct login_row *out);
/* The role (owner, admin, member, viewer) of an enabled user in org into
 * role (16 bytes).  1 found, 0 not a member or disabled. */
int db_user_role(struct db *db, long long user, long long org, char role[16]);

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

#endif
