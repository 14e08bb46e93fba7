/*
 * apitoken: making, checking the shape of, and revoking API tokens.  See
 * apitoken.h.
 */
#include "apitoken.h"
#include "crypt.h"
#include "db_activity.h"
#include "db_apitoken.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

int apitoken_shape_ok(const char *s)
{
	if (s == NULL || strlen(s) != APITOKEN_LEN || strncmp(s, APITOKEN_PREFIX, 4) != 0)
		return 0;
	for (const char *p = s + 4; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return 0;
	return 1;
}

int apitoken_hash(const char *token, char out[65])
{
	return crypt_sha256_hex(token, strlen(token), out);
}

int apitoken_create(struct db *db, long long org, long long user, const char *by, const char *name,
		    char token[APITOKEN_LEN + 1], long long *id, int *cap)
{
	unsigned char raw[32];
	char hash[65], prefix[APITOKEN_SHOWN + 1], entry[400];
	int rc;

	token[0] = '\0';
	*id = 0;
	*cap = 0;
	memcpy(token, APITOKEN_PREFIX, 4);
	if (crypt_random(raw, sizeof(raw)) < 0 ||
	    crypt_b64url_encode(raw, sizeof(raw), token + 4, APITOKEN_LEN + 1 - 4) != 43 ||
	    apitoken_hash(token, hash) < 0) {
		OPENSSL_cleanse(raw, sizeof(raw));
		OPENSSL_cleanse(token, APITOKEN_LEN + 1);
		return -1;
	}
	OPENSSL_cleanse(raw, sizeof(raw));
	snprintf(prefix, sizeof(prefix), "%.*s", APITOKEN_SHOWN, token);
	if (db_begin(db) < 0)
		goto fail;
	rc = db_apitoken_create(db, org, user, name, hash, prefix, id, cap);
	if (rc < 0)
		goto fail;
	if (rc == 0) {
		db_rollback(db);
		OPENSSL_cleanse(token, APITOKEN_LEN + 1);
		return 0;
	}
	snprintf(entry, sizeof(entry), "API token \"%s\" (%s…) created by %s.", name, prefix, by);
	if (db_activity_add(db, org, 0, user, "api_token_created", entry, NULL) < 0 ||
	    db_commit(db) < 0)
		goto fail;
	return 1;
fail:
	db_rollback(db);
	OPENSSL_cleanse(token, APITOKEN_LEN + 1);
	*id = 0;
	return -1;
}

int apitoken_revoke(struct db *db, long long org, long long id, long long user, const char *by)
{
	char name[101], prefix[16], entry[400];
	int rc;

	if (db_begin(db) < 0)
		return -1;
	rc = db_apitoken_revoke(db, org, id, user, name, prefix);
	if (rc <= 0) {
		db_rollback(db);
		return rc;
	}
	snprintf(entry, sizeof(entry), "API token \"%s\" (%s…) revoked by %s.", name, prefix, by);
	if (db_activity_add(db, org, 0, user, "api_token_revoked", entry, NULL) < 0 ||
	    db_commit(db) < 0) {
		db_rollback(db);
		return -1;
	}
	return 1;
}
