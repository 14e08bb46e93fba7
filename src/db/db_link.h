/*
 * db_link: reconnect links (a client's HubSpot admin reconnects one portal
 * without a JetStack account).  Return contract as in db.h.
 */
#ifndef JS_DB_LINK_H
#define JS_DB_LINK_H

#include "db.h"

#define LINK_STARTS_PER_HOUR 10

/* A new link for portal of org by user, valid ttl_s, its hash stored.
 * 1 with *id, or -1. */
int db_link_create(struct db *db, long long org, long long portal, long long user,
		   const char *token_hash, long ttl_s, const char *sent_to, long long *id);

/* A link as its pages and the callback check it. */
struct link_row {
	long long id, org_id, portal_id, created_by, hub_id;
	char org_name[256], portal_name[256], conn_type[16];
	char creator_email[256];
	char creator_role[16]; /* the creator's role now; "" not a member (or disabled) */
	char sent_to[256];
	int portal_removed, expired, revoked, used;
	long starts_last_hour;
	char expires[32]; /* local_iso(): in the organisation's zone, db_link_open's in tz */
};
/* The link of a token's hash, or of id (org 0: any).  1, 0 not found, -1. */
int db_link_by_hash(struct db *db, const char *token_hash, struct link_row *out);
int db_link_get(struct db *db, long long org, long long id, struct link_row *out);
/* The portal's open links (not used, revoked or expired), newest first,
 * at most max, times in the IANA zone tz.  1 or -1. */
int db_link_open(struct db *db, long long org, long long portal, const char *tz,
		 struct link_row *out, int max, int *n);
/* Revoke; note a start; use up (a successful reconnect).  1, 0 not
 * applied, -1. */
int db_link_revoke(struct db *db, long long org, long long id);
int db_link_start(struct db *db, long long id);
int db_link_use(struct db *db, long long id);

#endif
