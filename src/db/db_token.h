/*
 * db_token: a portal's encrypted token row (sealed and opened by tok.c).
 * Return contract as in db.h.
 */
#ifndef JS_DB_TOKEN_H
#define JS_DB_TOKEN_H

#include <stddef.h>

#include "db.h"

/* Encrypted token row. Blobs are raw bytes (freed by db_token_row_free). */
struct token_row {
	int key_id;
	unsigned char *access;
	size_t access_len;
	unsigned char *refresh;
	size_t refresh_len;
	long long expires;
	long long version;
	long long grant; /* grant_seq: changes on connect/reconnect only */
};
void db_token_row_free(struct token_row *t);

/* Replace the tokens of a portal (insert or overwrite: version + 1, a new
 * grant). */
int db_tokens_put(struct db *db, long long portal, int key_id, const unsigned char *access,
		  size_t alen, const unsigned char *refresh, size_t rlen, long expires_in);
/* 1 with the row, 0 when the portal has no tokens. */
int db_tokens_get(struct db *db, long long portal, struct token_row *out);
/* Compare-and-swap on version (the grant stays): 1 swapped, 0 the version
 * moved on. */
int db_tokens_cas(struct db *db, long long portal, long long version, int key_id,
		  const unsigned char *access, size_t alen, const unsigned char *refresh,
		  size_t rlen, long expires_in);
int db_tokens_delete(struct db *db, long long portal);

/* A refresh token to revoke at HubSpot (sealed like the stored ones). */
struct revocation_row {
	long long id, portal_id;
	int key_id;
	unsigned char *token; /* ciphertext (freed by db_revocation_row_free) */
	size_t len;
	int done;
};
void db_revocation_row_free(struct revocation_row *r);
/* Keep a sealed token to revoke and queue its job (notifying the
 * workers), inside the caller's transaction when one is open.  1 with *id,
 * or -1. */
int db_revocation_add(struct db *db, long long portal, int key_id, const unsigned char *enc,
		      size_t len, long long *id);
/* 1 with *out, 0 unknown. */
int db_revocation_get(struct db *db, long long id, struct revocation_row *out);
/* HubSpot confirmed (or said the token was already invalid). */
int db_revocation_done(struct db *db, long long id);
/* The tokens still to revoke for portal: *out (free each with
 * db_revocation_row_free, then free()), *n.  1 or -1. */
int db_revocations_pending(struct db *db, long long portal, struct revocation_row **out, int *n);

/*
 * The intent of a refresh (issue 18 item 3), recorded before the call with
 * the tokens of version.  1 recorded, with *unfinished set when the attempt
 * before it with the same version never recorded its answer (the worker
 * stopped mid-call, or the call timed out) and *age_s how long ago that one
 * started; 0 the version moved on (new tokens were stored meanwhile); -1.
 */
int db_tokens_intent_begin(struct db *db, long long portal, long long version, int *unfinished,
			   long *age_s);
/* HubSpot answered the attempt made with version, without new tokens (a
 * refusal, an error answer): its intent is done.  1 or -1. */
int db_tokens_intent_end(struct db *db, long long portal, long long version);
/* Whether an attempt with the tokens of version (still stored) never
 * recorded its answer: 1 with *age_s since it started, 0 not, -1. */
int db_tokens_intent_open(struct db *db, long long portal, long long version, long *age_s);

#endif
