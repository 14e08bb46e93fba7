/*
 * apitoken: an organisation's API tokens -- what one looks like
 * ("jsk_" and 32 random bytes in base64url, 47 characters), the hash that
 * is stored instead of it, and making one (the cap, the row, the
 * organisation's activity entry, in one transaction), shared by the
 * token page and jetstack-admin.
 */
#ifndef JS_APITOKEN_H
#define JS_APITOKEN_H

#include "db.h"

#include <stddef.h>

#define APITOKEN_PREFIX	  "jsk_"
#define APITOKEN_LEN	  47 /* "jsk_" + 43 base64url characters */
#define APITOKEN_SHOWN	  8  /* the characters kept to tell tokens apart ("jsk_AbCd") */
#define APITOKEN_NAME_MAX 100

/* 1 when s has the exact shape of a token, else 0. */
int apitoken_shape_ok(const char *s);
/* The stored form of token: SHA-256, 64 lowercase hex digits.  0 or -1. */
int apitoken_hash(const char *token, char out[65]);

/*
 * Make a token named name for org, by user (0 and by "jetstack-admin":
 * the admin tool; by is the email the activity entry names).  In one
 * transaction: the cap (organisations.api_tokens_max) of tokens not
 * revoked, the row (its hash only), the activity entry
 * "api_token_created".  Returns 1 with the token in token (APITOKEN_LEN +
 * 1 bytes; shown once, never stored or logged) and *id; 0 when org has
 * its cap of tokens (*cap set; nothing changed); -1 on error (nothing
 * changed).
 */
int apitoken_create(struct db *db, long long org, long long user, const char *by, const char *name,
		    char token[APITOKEN_LEN + 1], long long *id, int *cap);
/* Revoke token id of org by user (email by), with its activity entry
 * "api_token_revoked", in one transaction.  1 revoked, 0 not found (not
 * org's, or revoked already), -1. */
int apitoken_revoke(struct db *db, long long org, long long id, long long user, const char *by);

#endif
