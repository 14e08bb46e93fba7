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

static int jwt_verify(const char *token, const uint8_t *key, size_t keylen, long now, char *sid,
		      size_t sidlen, long long *org, long *exp_out);

int sess_jwt_verify(const char *token, const uint8_t *key, size_t keylen, long now, char *sid,
		    size_t sidlen)
{
	return sess_jwt_verify_org(token, key, keylen, now, sid, sidlen, NULL);
}

int sess_jwt_verify_org(const char *token, const uint8_t *key, size_t keylen, long now, char *sid,
			size_t sidlen, long long *org)
{
	long exp;

	return jwt_verify(token, key, keylen, now, sid, sidlen, org, &exp);
}

/* sess_jwt_verify_org, also giving the token's exp in *exp_out. */
static int jwt_verify(const char *token, const uint8_t *key, size_t keylen, long now, char *sid,
		      size_t sidlen, long long *org, long *exp_out)
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
	*exp_out = exp;
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

/* ---- sess_open's memo (issue 19 item 3) ----
 * Verifying a token (its MAC, then libjwt's JSON parse), hashing its sid
 * and the CSRF token's MAC were a fifth of a Client Accounts page's
 * instructions, for the same cookie on every request.  They are a pure
 * function of the token's bytes and the key, but for exp > now.  So each
 * thread keeps what the last few tokens that passed gave, under the key
 * they passed with (another key empties the memo), with their exp, checked
 * against now on every use.  A slot is found by the token's length and all
 * of its bytes, compared without stopping at the first difference: the
 * slots hold other sessions' tokens, which a caller's timing must not tell
 * byte by byte.  Tokens longer than MEMO_TOKEN_MAX and keys longer than
 * MEMO_KEY_MAX are verified every time. */
#define MEMO_TOKEN_MAX 512
#define MEMO_KEY_MAX   64

struct memo_slot {
	size_t len; /* 0: empty */
	long exp;
	unsigned long used; /* the memo's clock at the last use: the least is replaced */
	struct sess_token_info info;
	char token[MEMO_TOKEN_MAX];
};

struct memo {
	size_t keylen;
	uint8_t key[MEMO_KEY_MAX];
	unsigned long clock;
	struct memo_slot slot[SESS_MEMO_SLOTS];
};

static __thread struct memo memo;

/* 1 when the n bytes at a and b are equal, in time that depends on n only. */
static int same_bytes(const char *a, const char *b, size_t n)
{
	uint64_t d = 0, x, y;
	size_t i = 0;

	for (; i + sizeof(x) <= n; i += sizeof(x)) {
		memcpy(&x, a + i, sizeof(x));
		memcpy(&y, b + i, sizeof(y));
		d |= x ^ y;
	}
	for (; i < n; i++)
		d |= (uint64_t)((unsigned char)a[i] ^ (unsigned char)b[i]);
	return d == 0;
}

/* The memo's slot of the len bytes of token (under key), or NULL.  A
 * different key forgets every slot first. */
static struct memo_slot *memo_find(const char *token, size_t len, const uint8_t *key, size_t keylen)
{
	struct memo_slot *hit = NULL;

	if (memo.keylen != keylen || memcmp(memo.key, key, keylen) != 0) {
		OPENSSL_cleanse(&memo, sizeof(memo));
		memcpy(memo.key, key, keylen);
		memo.keylen = keylen;
		return NULL;
	}
	for (size_t i = 0; i < SESS_MEMO_SLOTS; i++) {
		struct memo_slot *s = &memo.slot[i];

		if (s->len == len && same_bytes(s->token, token, len))
			hit = s;
	}
	return hit;
}

/* Remember what token (len bytes, which passed under the memo's key)
 * gave, in place of the least recently used slot. */
static void memo_keep(const char *token, size_t len, long exp, const struct sess_token_info *info)
{
	struct memo_slot *s = &memo.slot[0];

	for (size_t i = 1; i < SESS_MEMO_SLOTS && s->len != 0; i++)
		if (memo.slot[i].len == 0 || memo.slot[i].used < s->used)
			s = &memo.slot[i];
	OPENSSL_cleanse(s, sizeof(*s));
	memcpy(s->token, token, len);
	s->len = len;
	s->exp = exp;
	s->info = *info;
	s->used = ++memo.clock;
}

int sess_open(const char *token, const uint8_t *key, size_t keylen, long now,
	      struct sess_token_info *out)
{
	char sid[SESS_SID_MAX + 1];
	const char *end;
	struct memo_slot *s = NULL;
	size_t len;
	long exp;
	int result = -1, memoable;

	memset(out, 0, sizeof(*out));
	sid[0] = '\0';
	if (token == NULL || !sess_key_ok(key, keylen))
		goto out;
	if ((end = memchr(token, '\0', SESS_JWT_MAX + 1)) == NULL)
		goto out;
	len = (size_t)(end - token);
	memoable = len > 0 && len <= MEMO_TOKEN_MAX && keylen <= MEMO_KEY_MAX;
	if (memoable && (s = memo_find(token, len, key, keylen)) != NULL) {
		if (s->exp <= now)
			goto out; /* as jwt_verify: expired */
		*out = s->info;
		s->used = ++memo.clock;
		result = 0;
		goto out;
	}
	if (jwt_verify(token, key, keylen, now, sid, sizeof(sid), &out->org, &exp) < 0)
		goto out;
	if (sess_id_hash(sid, out->sid_hash) < 0)
		goto out;
	if (sess_csrf_token(key, keylen, out->sid_hash, out->csrf) < 0)
		memoable = 0; /* out->csrf "": asked again next time */
	if (memoable)
		memo_keep(token, len, exp, out);
	result = 0;
out:
	OPENSSL_cleanse(sid, sizeof(sid));
	if (result < 0)
		memset(out, 0, sizeof(*out));
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
