/*
 * sess: session JWTs, session ids, CSRF tokens and OAuth state.  See sess.h.
 *
 * libjwt 1.10's jwt_decode checks only the signature (with whatever
 * algorithm the token names, and with strcmp), never exp.  So
 * sess_jwt_verify checks the HS256 signature itself, in constant time,
 * before anything else; only a token that passed is handed to libjwt, which
 * then only parses it (no key: its own HMAC would compute the same MAC a
 * second time, through a by-name digest lookup that cost more than the
 * rest of the check).  The header's algorithm is then pinned to HS256 and
 * exp is checked here.
 */
#include "sess.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include <jwt.h>
#include <openssl/crypto.h>

#include "crypt.h"

/* Bytes of randomness behind a session id or state value. */
#define SESS_RANDOM_BYTES 32

#define SESS_CSRF_PREFIX "csrf:"

/* 1 when c may appear in a sid grant: [A-Za-z0-9_-]. */
static int sess_sid_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* 1 when s is 1..max chars, all of [A-Za-z0-9_-]. */
static int sess_charset_ok(const char *s, size_t min, size_t max)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= max || !sess_sid_char(s[i]))
			return 0;
	}
	return i >= min;
}

static int sess_key_ok(const uint8_t *key, size_t keylen)
{
	return key != NULL && keylen >= SESS_KEY_MIN && keylen <= INT_MAX;
}

char *sess_jwt_sign(const uint8_t *key, size_t keylen, const char *sid, long iat, long exp)
{
	return sess_jwt_sign_org(key, keylen, sid, 0, iat, exp);
}

char *sess_jwt_sign_org(const uint8_t *key, size_t keylen, const char *sid, long long org, long iat,
			long exp)
{
	jwt_t *j = NULL;
	char *result = NULL;

	if (!sess_key_ok(key, keylen) || !sess_charset_ok(sid, 1, SESS_SID_MAX) || org < 0)
		goto out;
	if (jwt_new(&j) != 0 || j == NULL)
		goto out;
	if (jwt_add_grant(j, "sid", sid) != 0 || jwt_add_grant_int(j, "iat", iat) != 0 ||
	    jwt_add_grant_int(j, "exp", exp) != 0)
		goto out;
	if (org > 0 && jwt_add_grant_int(j, "org", (long)org) != 0)
		goto out;
	/* libjwt copies the key and scrubs its copy in jwt_free. */
	if (jwt_set_alg(j, JWT_ALG_HS256, key, (int)keylen) != 0)
		goto out;
	result = jwt_encode_str(j);
out:
	if (j != NULL)
		jwt_free(j);
	return result;
}

/*
 * 1 when token has the form header.payload.signature and the signature
 * is the HS256 MAC of "header.payload" under key, compared in constant time.
 */
static int sess_jwt_mac_ok(const char *token, const uint8_t *key, size_t keylen)
{
	const char *dot1, *dot2;
	uint8_t mac[32];
	char expect[SESS_RANDOM_LEN + 1];
	int result = 0;

	if ((dot1 = strchr(token, '.')) == NULL || (dot2 = strchr(dot1 + 1, '.')) == NULL)
		goto out;
	if (strchr(dot2 + 1, '.') != NULL)
		goto out;
	if (crypt_hmac_sha256(key, keylen, token, (size_t)(dot2 - token), mac) != 0)
		goto out;
	if (crypt_b64url_encode(mac, sizeof(mac), expect, sizeof(expect)) != SESS_RANDOM_LEN)
		goto out;
	result = crypt_ct_streq(expect, dot2 + 1);
out:
	/* The expected MAC is a valid signature: do not leave it behind. */
	OPENSSL_cleanse(mac, sizeof(mac));
	OPENSSL_cleanse(expect, sizeof(expect));
	return result;
}

int sess_jwt_verify(const char *token, const uint8_t *key, size_t keylen, long now, char *sid,
		    size_t sidlen)
{
	return sess_jwt_verify_org(token, key, keylen, now, sid, sidlen, NULL);
}

int sess_jwt_verify_org(const char *token, const uint8_t *key, size_t keylen, long now, char *sid,
			size_t sidlen, long long *org)
{
	jwt_t *j = NULL;
	const char *s;
	size_t slen;
	long exp, o;
	int result = -1;

	if (org != NULL)
		*org = 0;
	if (sid == NULL || sidlen == 0)
		goto out;
	sid[0] = '\0';
	if (token == NULL || !sess_key_ok(key, keylen))
		goto out;
	/* Bound the input before anything walks it (libjwt uses alloca). */
	if (memchr(token, '\0', SESS_JWT_MAX + 1) == NULL)
		goto out;
	if (!sess_jwt_mac_ok(token, key, keylen))
		goto out;
	/* The MAC above is the check; without a key libjwt only parses (and
	 * would accept alg "none", hence the MAC first and the pin below). */
	if (jwt_decode(&j, token, NULL, 0) != 0 || j == NULL)
		goto out;
	s = jwt_get_header(j, "alg");
	if (s == NULL || strcmp(s, "HS256") != 0)
		goto out;
	errno = 0;
	exp = jwt_get_grant_int(j, "exp");
	if (errno != 0 || exp <= now)
		goto out;
	s = jwt_get_grant(j, "sid");
	if (!sess_charset_ok(s, 1, SESS_SID_MAX))
		goto out;
	slen = strlen(s);
	if (slen >= sidlen)
		goto out;
	memcpy(sid, s, slen + 1);
	if (org != NULL) {
		errno = 0;
		o = jwt_get_grant_int(j, "org");
		*org = errno == 0 && o > 0 ? o : 0;
	}
	result = 0;
out:
	if (j != NULL)
		jwt_free(j);
	return result;
}

/* 32 random bytes as base64url into out[44]. */
static int sess_random_token(char out[44])
{
	uint8_t raw[SESS_RANDOM_BYTES];
	int result = -1;

	out[0] = '\0';
	if (crypt_random(raw, sizeof(raw)) != 0)
		goto out;
	if (crypt_b64url_encode(raw, sizeof(raw), out, SESS_RANDOM_LEN + 1) != SESS_RANDOM_LEN) {
		out[0] = '\0';
		goto out;
	}
	result = 0;
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	return result;
}

static int sess_hash_str(const char *s, char out[65])
{
	out[0] = '\0';
	if (s == NULL)
		return -1;
	return crypt_sha256_hex(s, strlen(s), out);
}

int sess_new_id(char out[44])
{
	return sess_random_token(out);
}

int sess_id_hash(const char *sid, char out[65])
{
	return sess_hash_str(sid, out);
}

int sess_random_valid(const char *s)
{
	uint8_t raw[SESS_RANDOM_BYTES + 1];
	int result = 0;

	if (!sess_charset_ok(s, SESS_RANDOM_LEN, SESS_RANDOM_LEN))
		goto out;
	/* Canonical too: the last char carries 4 zero pad bits. */
	if (crypt_b64url_decode(s, raw, sizeof(raw)) != SESS_RANDOM_BYTES)
		goto out;
	result = 1;
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	return result;
}

int sess_csrf_token(const uint8_t *key, size_t keylen, const char *bound, char out[44])
{
	unsigned char msg[sizeof(SESS_CSRF_PREFIX) - 1 + SESS_BOUND_MAX];
	uint8_t mac[32];
	size_t plen = sizeof(SESS_CSRF_PREFIX) - 1, blen;
	int result = -1;

	out[0] = '\0';
	if (!sess_key_ok(key, keylen) || bound == NULL)
		goto out;
	if (memchr(bound, '\0', SESS_BOUND_MAX + 1) == NULL || (blen = strlen(bound)) == 0)
		goto out;
	memcpy(msg, SESS_CSRF_PREFIX, plen);
	memcpy(msg + plen, bound, blen);
	if (crypt_hmac_sha256(key, keylen, msg, plen + blen, mac) != 0)
		goto out;
	if (crypt_b64url_encode(mac, sizeof(mac), out, SESS_RANDOM_LEN + 1) != SESS_RANDOM_LEN) {
		out[0] = '\0';
		goto out;
	}
	result = 0;
out:
	OPENSSL_cleanse(msg, sizeof(msg));
	OPENSSL_cleanse(mac, sizeof(mac));
	return result;
}

int sess_csrf_check(const uint8_t *key, size_t keylen, const char *bound, const char *token)
{
	char expect[SESS_RANDOM_LEN + 1];
	int result = 0;

	if (token == NULL)
		goto out;
	if (sess_csrf_token(key, keylen, bound, expect) != 0)
		goto out;
	result = crypt_ct_streq(expect, token);
out:
	OPENSSL_cleanse(expect, sizeof(expect));
	return result;
}

int sess_state_new(char out[44])
{
	return sess_random_token(out);
}

int sess_state_hash(const char *state, char out[65])
{
	return sess_hash_str(state, out);
}
