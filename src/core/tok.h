/*
 * tok: the token store.  Access and refresh tokens are sealed with
 * AES-256-GCM under the configured key, with the portal id, the token kind
 * and the key id as associated data, so a ciphertext copied to another row
 * or kind does not open.  Plaintext tokens live only in memory, are wiped
 * when freed, and are never logged.
 */
#ifndef JS_TOK_H
#define JS_TOK_H

#include "buf.h"
#include "conf.h"
#include "db.h"

struct tokens {
	char *access;
	char *refresh;
	long long expires; /* Unix time the access token expires */
	long long version;
	long long grant; /* the grant they belong to: a reconnect changes it, a refresh does not */
};

/* Seal token tok of portal's kind ("access", "refresh") under the
 * configured key, the portal id, kind and key id bound as associated data;
 * the ciphertext is appended to out.  0, or -1. */
int tok_seal(const struct conf *conf, long long portal, const char *kind, const char *tok,
	     struct buf *out);
/* Open what tok_seal made for the same portal, kind and key id (key_id must
 * be the configured one): a malloc'd string (tok_free()s it with the
 * struct, or wipe it yourself), or NULL when it does not open. */
char *tok_open(const struct conf *conf, long long portal, const char *kind, int key_id,
	       const unsigned char *in, size_t len);

/* Keep refresh token refresh, which portal no longer uses, to be revoked
 * at HubSpot by a job of its own (sealed like the stored tokens, with the
 * kind "revoke"), inside the caller's transaction when one is open.  1,
 * or -1. */
int tok_revoke_later(struct db *db, const struct conf *conf, long long portal,
		     const char *refresh);
struct revocation_row;
/* The token of a revocation, opened: malloc'd (free with tok_wipe_free), or
 * NULL when it does not open with this key. */
char *tok_revocation_open(const struct conf *conf, const struct revocation_row *r);
/* Wipe a token string and free it; NULL is ignored. */
void tok_wipe_free(char *s);

/* Wipe and free; safe on a zeroed struct. */
void tok_free(struct tokens *t);
/* Replace a portal's tokens unconditionally (connect/reconnect, inside the
 * caller's transaction).  1 ok, -1 error. */
int tok_put(struct db *db, const struct conf *conf, long long portal, const char *access,
	    const char *refresh, long expires_in);
/* Load and decrypt.  1 ok, 0 no tokens, -1 error (including a ciphertext
 * that does not open). */
int tok_get(struct db *db, const struct conf *conf, long long portal, struct tokens *out);
/* Write new tokens only if the stored version is still t->version (t as
 * loaded with tok_get).  1 swapped: *t now holds the new tokens (copies of
 * access and refresh, the next version, the expiry expires_in from now);
 * 0 somebody else wrote first; -1 error.  *t changes only on 1. */
int tok_cas(struct db *db, const struct conf *conf, long long portal, struct tokens *t,
	    const char *access, const char *refresh, long expires_in);

#endif
