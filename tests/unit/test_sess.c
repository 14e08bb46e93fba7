/*
 * Unit tests for src/base/sess.c: session JWTs (including the libjwt 1.10
 * pitfalls: expired tokens, HS512 with the same secret, alg "none"),
 * session ids, CSRF tokens and OAuth state values.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jwt.h>

#include "buf.h"
#include "crypt.h"
#include "sess.h"

static const uint8_t key[32] = {0,  1,	2,  3,	4,  5,	6,  7,	8,  9,	10, 11, 12, 13, 14, 15,
				16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
static const uint8_t key2[32] = {31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16,
				 15, 14, 13, 12, 11, 10, 9,  8,	 7,  6,	 5,  4,	 3,  2,	 1,  0};

#define SID "abcDEF_123-xyz"

/* Append base64url(s) to b. */
static void put_b64url(struct buf *b, const void *p, size_t n)
{
	char *enc = malloc(CRYPT_B64URL_LEN(n) + 1);

	ck_assert_ptr_nonnull(enc);
	ck_assert_int_ge(crypt_b64url_encode(p, n, enc, CRYPT_B64URL_LEN(n) + 1), 0);
	ck_assert_int_eq(buf_puts(b, enc), 0);
	free(enc);
}

/*
 * Hand-craft b64url(header).b64url(payload).sig where sig is the HS256
 * MAC under k (when k is not NULL) or empty.  Caller frees.
 */
static char *craft(const char *header, const char *payload, const uint8_t *k, size_t klen)
{
	struct buf b;
	uint8_t mac[32];

	buf_init(&b, 0);
	put_b64url(&b, header, strlen(header));
	ck_assert_int_eq(buf_putc(&b, '.'), 0);
	put_b64url(&b, payload, strlen(payload));
	if (k != NULL)
		ck_assert_int_eq(crypt_hmac_sha256(k, klen, b.data, b.len, mac), 0);
	ck_assert_int_eq(buf_putc(&b, '.'), 0);
	if (k != NULL)
		put_b64url(&b, mac, sizeof(mac));
	return buf_take(&b);
}

#define HS256_HDR "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

/* 0 when token verifies at now=1500 (sid copied to out). */
static int verify(const char *token, char *out, size_t outlen)
{
	return sess_jwt_verify(token, key, sizeof(key), 1500, out, outlen);
}

/* ---- JWT ------------------------------------------------------------- */

START_TEST(test_jwt_round_trip)
{
	char sid[SESS_SID_MAX + 1];
	char *tok;

	tok = sess_jwt_sign(key, sizeof(key), SID, 1000, 2000);
	ck_assert_ptr_nonnull(tok);
	ck_assert_int_eq(verify(tok, sid, sizeof(sid)), 0);
	ck_assert_str_eq(sid, SID);
	/* Valid right up to exp. */
	ck_assert_int_eq(sess_jwt_verify(tok, key, sizeof(key), 1999, sid, sizeof(sid)), 0);
	/* The sid buffer must fit the sid and its NUL. */
	ck_assert_int_eq(verify(tok, sid, strlen(SID)), -1);
	ck_assert_str_eq(sid, "");
	ck_assert_int_eq(verify(tok, sid, strlen(SID) + 1), 0);
	ck_assert_int_eq(verify(tok, NULL, 10), -1);
	free(tok);

	/* A hand-crafted token in the same form verifies (the helper works). */
	tok = craft(HS256_HDR, "{\"exp\":2000,\"iat\":1000,\"sid\":\"" SID "\"}", key, sizeof(key));
	ck_assert_int_eq(verify(tok, sid, sizeof(sid)), 0);
	ck_assert_str_eq(sid, SID);
	free(tok);
}
END_TEST

START_TEST(test_jwt_org_grant)
{
	char sid[65];
	long long org = -7;
	char *tok;

	/* signed with the organisation: it comes back */
	tok = sess_jwt_sign_org(key, sizeof(key), SID, 4242, 1000, 2000);
	ck_assert_ptr_nonnull(tok);
	ck_assert_int_eq(sess_jwt_verify_org(tok, key, sizeof(key), 1500, sid, sizeof(sid), &org),
			 0);
	ck_assert_str_eq(sid, SID);
	ck_assert_int_eq(org, 4242);
	/* and the plain verify still accepts it */
	ck_assert_int_eq(verify(tok, sid, sizeof(sid)), 0);
	/* expired: refused, org reset */
	org = 9;
	ck_assert_int_eq(sess_jwt_verify_org(tok, key, sizeof(key), 2000, sid, sizeof(sid), &org),
			 -1);
	ck_assert_int_eq(org, 0);
	free(tok);

	/* no grant (a token from before it existed): 0 */
	tok = sess_jwt_sign(key, sizeof(key), SID, 1000, 2000);
	ck_assert_ptr_nonnull(tok);
	org = 9;
	ck_assert_int_eq(sess_jwt_verify_org(tok, key, sizeof(key), 1500, sid, sizeof(sid), &org),
			 0);
	ck_assert_int_eq(org, 0);
	free(tok);
	ck_assert_ptr_null(sess_jwt_sign_org(key, sizeof(key), SID, -1, 1000, 2000));

	/* a grant that is not a positive integer counts as absent */
	static const char *odd[] = {"\"12\"", "-3", "0", "1.5", "null"};
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		char payload[200];

		snprintf(payload, sizeof(payload),
			 "{\"exp\":2000,\"iat\":1000,\"org\":%s,\"sid\":\"" SID "\"}", odd[i]);
		tok = craft(HS256_HDR, payload, key, sizeof(key));
		org = 9;
		ck_assert_int_eq(
		    sess_jwt_verify_org(tok, key, sizeof(key), 1500, sid, sizeof(sid), &org), 0);
		ck_assert_msg(org == 0, "org %lld from %s", org, odd[i]);
		free(tok);
	}

	/* another organisation under another key: refused as a whole */
	{
		uint8_t other[sizeof(key)];

		memset(other, 0x5a, sizeof(other));
		tok = sess_jwt_sign_org(other, sizeof(other), SID, 1, 1000, 2000);
		ck_assert_ptr_nonnull(tok);
		org = 9;
		ck_assert_int_eq(
		    sess_jwt_verify_org(tok, key, sizeof(key), 1500, sid, sizeof(sid), &org), -1);
		ck_assert_int_eq(org, 0);
		free(tok);
	}
}
END_TEST

START_TEST(test_jwt_expired)
{
	char sid[65];
	char *tok = sess_jwt_sign(key, sizeof(key), SID, 1000, 2000);

	ck_assert_ptr_nonnull(tok);
	ck_assert_int_eq(sess_jwt_verify(tok, key, sizeof(key), 2000, sid, sizeof(sid)), -1);
	ck_assert_str_eq(sid, "");
	ck_assert_int_eq(sess_jwt_verify(tok, key, sizeof(key), 2001, sid, sizeof(sid)), -1);
	ck_assert_int_eq(sess_jwt_verify(tok, key, sizeof(key), 999999, sid, sizeof(sid)), -1);
	free(tok);
}
END_TEST

START_TEST(test_jwt_bad_exp)
{
	static const char *payloads[] = {
	    "{\"iat\":1000,\"sid\":\"" SID "\"}",			 /* missing */
	    "{\"exp\":\"9999999999\",\"iat\":1000,\"sid\":\"" SID "\"}", /* string */
	    "{\"exp\":9.9e12,\"iat\":1000,\"sid\":\"" SID "\"}",	 /* real */
	    "{\"exp\":null,\"iat\":1000,\"sid\":\"" SID "\"}",		 /* null */
	    "{\"exp\":true,\"iat\":1000,\"sid\":\"" SID "\"}",		 /* bool */
	    "{\"exp\":-1,\"iat\":1000,\"sid\":\"" SID "\"}",		 /* past */
	};
	char sid[65];
	char *tok;
	jwt_t *j = NULL;
	size_t i;

	for (i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		tok = craft(HS256_HDR, payloads[i], key, sizeof(key));
		ck_assert_msg(verify(tok, sid, sizeof(sid)) == -1, "accepted %s", payloads[i]);
		free(tok);
	}

	/* Missing exp, built with libjwt itself. */
	ck_assert_int_eq(jwt_new(&j), 0);
	ck_assert_int_eq(jwt_add_grant(j, "sid", SID), 0);
	ck_assert_int_eq(jwt_add_grant_int(j, "iat", 1000), 0);
	ck_assert_int_eq(jwt_set_alg(j, JWT_ALG_HS256, key, sizeof(key)), 0);
	tok = jwt_encode_str(j);
	ck_assert_ptr_nonnull(tok);
	ck_assert_int_eq(verify(tok, sid, sizeof(sid)), -1);
	free(tok);
	jwt_free(j);
}
END_TEST

START_TEST(test_jwt_wrong_key)
{
	char sid[65];
	char *tok = sess_jwt_sign(key, sizeof(key), SID, 1000, 2000);

	ck_assert_ptr_nonnull(tok);
	ck_assert_int_eq(sess_jwt_verify(tok, key2, sizeof(key2), 1500, sid, sizeof(sid)), -1);
	/* The key must be passed, and be at least 32 bytes. */
	ck_assert_int_eq(sess_jwt_verify(tok, NULL, 0, 1500, sid, sizeof(sid)), -1);
	ck_assert_int_eq(sess_jwt_verify(tok, key, 31, 1500, sid, sizeof(sid)), -1);
	free(tok);
	ck_assert_ptr_null(sess_jwt_sign(key, 31, SID, 1000, 2000));
	ck_assert_ptr_null(sess_jwt_sign(NULL, 32, SID, 1000, 2000));
}
END_TEST

START_TEST(test_jwt_alg_none)
{
	static const char payload[] = "{\"exp\":9999999999,\"iat\":1000,\"sid\":\"" SID "\"}";
	char sid[65];
	char *tok;

	/* Unsigned. */
	tok = craft("{\"alg\":\"none\",\"typ\":\"JWT\"}", payload, NULL, 0);
	ck_assert_int_eq(verify(tok, sid, sizeof(sid)), -1);
	free(tok);
	tok = craft("{\"alg\":\"none\"}", payload, NULL, 0);
	ck_assert_int_eq(verify(tok, sid, sizeof(sid)), -1);
	free(tok);
	/* "none" in the header even with a valid HS256 MAC. */
	tok = craft("{\"alg\":\"none\",\"typ\":\"JWT\"}", payload, key, sizeof(key));
	ck_assert_int_eq(verify(tok, sid, sizeof(sid)), -1);
	free(tok);
	/* No alg at all. */
	tok = craft("{\"typ\":\"JWT\"}", payload, key, sizeof(key));
	ck_assert_int_eq(verify(tok, sid, sizeof(sid)), -1);
	free(tok);
}
END_TEST

START_TEST(test_jwt_hs512_same_secret)
{
	char sid[65];
	char *tok;
	jwt_t *j = NULL;

	/* libjwt 1.10 alone would accept this token. */
	ck_assert_int_eq(jwt_new(&j), 0);
	ck_assert_int_eq(jwt_add_grant(j, "sid", SID), 0);
	ck_assert_int_eq(jwt_add_grant_int(j, "iat", 1000), 0);
	ck_assert_int_eq(jwt_add_grant_int(j, "exp", 2000), 0);
	ck_assert_int_eq(jwt_set_alg(j, JWT_ALG_HS512, key, sizeof(key)), 0);
	tok = jwt_encode_str(j);
	ck_assert_ptr_nonnull(tok);
	jwt_free(j);
	ck_assert_int_eq(verify(tok, sid, sizeof(sid)), -1);
	free(tok);

	/* Header says HS512 but the MAC is HS256: still refused. */
	tok = craft("{\"alg\":\"HS512\",\"typ\":\"JWT\"}",
		    "{\"exp\":2000,\"iat\":1000,\"sid\":\"" SID "\"}", key, sizeof(key));
	ck_assert_int_eq(verify(tok, sid, sizeof(sid)), -1);
	free(tok);
	tok = craft("{\"alg\":\"RS256\",\"typ\":\"JWT\"}",
		    "{\"exp\":2000,\"iat\":1000,\"sid\":\"" SID "\"}", key, sizeof(key));
	ck_assert_int_eq(verify(tok, sid, sizeof(sid)), -1);
	free(tok);
}
END_TEST

START_TEST(test_jwt_tampered)
{
	char sid[65];
	char *tok, *other, *forged;
	const char *sig, *osig;
	struct buf b;
	size_t i, n;

	tok = sess_jwt_sign(key, sizeof(key), SID, 1000, 2000);
	other = sess_jwt_sign(key, sizeof(key), "victim", 1000, 2000);
	ck_assert_ptr_nonnull(tok);
	ck_assert_ptr_nonnull(other);

	/* Other's payload with tok's signature. */
	sig = strrchr(tok, '.');
	osig = strrchr(other, '.');
	buf_init(&b, 0);
	ck_assert_int_eq(buf_append(&b, other, (size_t)(osig - other)), 0);
	ck_assert_int_eq(buf_puts(&b, sig), 0);
	forged = buf_take(&b);
	ck_assert_int_eq(verify(forged, sid, sizeof(sid)), -1);
	free(forged);

	/* Payload with a later exp, old signature. */
	forged =
	    craft(HS256_HDR, "{\"exp\":9000,\"iat\":1000,\"sid\":\"" SID "\"}", key2, sizeof(key2));
	ck_assert_int_eq(verify(forged, sid, sizeof(sid)), -1);
	free(forged);

	/* Every single-character change is refused. */
	n = strlen(tok);
	for (i = 0; i < n; i++) {
		char saved = tok[i];

		tok[i] = saved == 'A' ? 'B' : 'A';
		ck_assert_msg(verify(tok, sid, sizeof(sid)) == -1, "change at %zu accepted", i);
		tok[i] = saved;
	}
	/* Truncated, extended, extra segment. */
	tok[n - 1] = '\0';
	ck_assert_int_eq(verify(tok, sid, sizeof(sid)), -1);
	free(tok);
	tok = sess_jwt_sign(key, sizeof(key), SID, 1000, 2000);
	buf_init(&b, 0);
	ck_assert_int_eq(buf_puts(&b, tok), 0);
	ck_assert_int_eq(buf_puts(&b, "A"), 0);
	forged = buf_take(&b);
	ck_assert_int_eq(verify(forged, sid, sizeof(sid)), -1);
	free(forged);
	buf_init(&b, 0);
	ck_assert_int_eq(buf_puts(&b, tok), 0);
	ck_assert_int_eq(buf_puts(&b, ".x"), 0);
	forged = buf_take(&b);
	ck_assert_int_eq(verify(forged, sid, sizeof(sid)), -1);
	free(forged);
	ck_assert_int_eq(verify(tok, sid, sizeof(sid)), 0);

	/* Garbage. */
	ck_assert_int_eq(verify("", sid, sizeof(sid)), -1);
	ck_assert_int_eq(verify("a.b", sid, sizeof(sid)), -1);
	ck_assert_int_eq(verify("a.b.c", sid, sizeof(sid)), -1);
	ck_assert_int_eq(verify("..", sid, sizeof(sid)), -1);
	ck_assert_int_eq(verify(NULL, sid, sizeof(sid)), -1);
	free(tok);
	free(other);
}
END_TEST

/* A valid token whose payload carries a "pad" string of padlen bytes. */
static char *padded(size_t padlen)
{
	struct buf p;
	char *payload, *tok;
	size_t i;

	buf_init(&p, 0);
	ck_assert_int_eq(buf_puts(&p, "{\"exp\":2000,\"iat\":1000,\"pad\":\""), 0);
	for (i = 0; i < padlen; i++)
		ck_assert_int_eq(buf_putc(&p, 'x'), 0);
	ck_assert_int_eq(buf_puts(&p, "\",\"sid\":\"" SID "\"}"), 0);
	payload = buf_take(&p);
	tok = craft(HS256_HDR, payload, key, sizeof(key));
	free(payload);
	return tok;
}

START_TEST(test_jwt_oversized)
{
	char sid[65];
	char *tok, *big;
	size_t pad, len = 0;

	/* Grow the pad until the token passes SESS_JWT_MAX. */
	for (pad = 2900;; pad++) {
		tok = padded(pad);
		len = strlen(tok);
		if (len > SESS_JWT_MAX) {
			ck_assert_int_eq(verify(tok, sid, sizeof(sid)), -1);
			free(tok);
			break;
		}
		if (len > SESS_JWT_MAX - 3)
			ck_assert_msg(verify(tok, sid, sizeof(sid)) == 0, "len %zu refused", len);
		free(tok);
	}
	ck_assert_uint_le(len, SESS_JWT_MAX + 2);

	/* A long run of garbage is refused without being decoded. */
	big = malloc(100001);
	ck_assert_ptr_nonnull(big);
	memset(big, 'A', 100000);
	big[100000] = '\0';
	big[10] = '.';
	big[20] = '.';
	ck_assert_int_eq(verify(big, sid, sizeof(sid)), -1);
	free(big);
}
END_TEST

START_TEST(test_jwt_bad_sid)
{
	static const char *bad_sign[] = {"",
					 "a b",
					 "a.b",
					 "a/b",
					 "a+b",
					 "a=b",
					 "a\"b",
					 "ü",
					 "0123456789012345678901234567890123456789"
					 "012345678901234567890123456789"};
	static const char *bad_payload[] = {
	    "{\"exp\":2000,\"iat\":1000,\"sid\":\"a/b\"}",
	    "{\"exp\":2000,\"iat\":1000,\"sid\":\"a b\"}",
	    "{\"exp\":2000,\"iat\":1000,\"sid\":\"a\\u0000b\"}",
	    "{\"exp\":2000,\"iat\":1000,\"sid\":\"\"}",
	    "{\"exp\":2000,\"iat\":1000,\"sid\":12345}",
	    "{\"exp\":2000,\"iat\":1000,\"sid\":[\"a\"]}",
	    "{\"exp\":2000,\"iat\":1000}",
	    "{\"exp\":2000,\"iat\":1000,\"sid\":\"01234567890123456789012345678901234567890"
	    "1234567890123456789012345\"}",
	};
	char sid[128];
	char sid64[65];
	char *tok;
	size_t i;

	for (i = 0; i < sizeof(bad_sign) / sizeof(bad_sign[0]); i++)
		ck_assert_msg(sess_jwt_sign(key, sizeof(key), bad_sign[i], 1000, 2000) == NULL,
			      "signed sid '%s'", bad_sign[i]);
	ck_assert_ptr_null(sess_jwt_sign(key, sizeof(key), NULL, 1000, 2000));
	for (i = 0; i < sizeof(bad_payload) / sizeof(bad_payload[0]); i++) {
		tok = craft(HS256_HDR, bad_payload[i], key, sizeof(key));
		ck_assert_msg(verify(tok, sid, sizeof(sid)) == -1, "accepted %s", bad_payload[i]);
		free(tok);
	}

	/* 64 chars is the maximum. */
	memset(sid64, 'z', 64);
	sid64[64] = '\0';
	tok = sess_jwt_sign(key, sizeof(key), sid64, 1000, 2000);
	ck_assert_ptr_nonnull(tok);
	ck_assert_int_eq(verify(tok, sid, sizeof(sid)), 0);
	ck_assert_str_eq(sid, sid64);
	free(tok);
}
END_TEST

/* ---- session ids and state ------------------------------------------- */

START_TEST(test_session_id)
{
	char a[44], b[44], h[65], h2[65];

	ck_assert_int_eq(sess_new_id(a), 0);
	ck_assert_int_eq(sess_new_id(b), 0);
	ck_assert_uint_eq(strlen(a), SESS_RANDOM_LEN);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(sess_random_valid(a), 1);
	ck_assert_uint_eq(
	    strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
	    SESS_RANDOM_LEN);

	/* The stored value is the sha256 hex of the id, never the id. */
	ck_assert_int_eq(sess_id_hash(a, h), 0);
	ck_assert_int_eq(crypt_sha256_hex(a, strlen(a), h2), 0);
	ck_assert_str_eq(h, h2);
	ck_assert_uint_eq(strlen(h), 64);
	ck_assert_ptr_null(strstr(h, a));
	ck_assert_int_eq(sess_id_hash("abc", h), 0);
	ck_assert_str_eq(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ck_assert_int_eq(sess_id_hash(NULL, h), -1);
	ck_assert_str_eq(h, "");

	/* An id signs into a JWT. */
	{
		char sid[65];
		char *tok = sess_jwt_sign(key, sizeof(key), a, 1000, 2000);

		ck_assert_ptr_nonnull(tok);
		ck_assert_int_eq(verify(tok, sid, sizeof(sid)), 0);
		ck_assert_str_eq(sid, a);
		free(tok);
	}
}
END_TEST

START_TEST(test_random_valid)
{
	char a[44], s[64];

	ck_assert_int_eq(sess_state_new(a), 0);
	ck_assert_int_eq(sess_random_valid(a), 1);
	/* Wrong length. */
	memcpy(s, a, 42);
	s[42] = '\0';
	ck_assert_int_eq(sess_random_valid(s), 0);
	memcpy(s, a, 43);
	s[43] = 'A';
	s[44] = '\0';
	ck_assert_int_eq(sess_random_valid(s), 0);
	/* Bad character. */
	memcpy(s, a, 44);
	s[5] = '+';
	ck_assert_int_eq(sess_random_valid(s), 0);
	s[5] = '=';
	ck_assert_int_eq(sess_random_valid(s), 0);
	/* Non-canonical final char (32 bytes leave 2 zero bits in char 43). */
	memcpy(s, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 44);
	ck_assert_int_eq(sess_random_valid(s), 1);
	s[42] = 'B';
	ck_assert_int_eq(sess_random_valid(s), 0);
	s[42] = 'E';
	ck_assert_int_eq(sess_random_valid(s), 1);
	ck_assert_int_eq(sess_random_valid(""), 0);
	ck_assert_int_eq(sess_random_valid(NULL), 0);
}
END_TEST

#define NSTATES 64

START_TEST(test_state)
{
	char st[NSTATES][44], h[65], h2[65];
	int i, k;

	for (i = 0; i < NSTATES; i++) {
		ck_assert_int_eq(sess_state_new(st[i]), 0);
		ck_assert_uint_eq(strlen(st[i]), SESS_RANDOM_LEN);
		ck_assert_int_eq(sess_random_valid(st[i]), 1);
		for (k = 0; k < i; k++)
			ck_assert_str_ne(st[i], st[k]);
	}
	ck_assert_int_eq(sess_state_hash(st[0], h), 0);
	ck_assert_int_eq(crypt_sha256_hex(st[0], strlen(st[0]), h2), 0);
	ck_assert_str_eq(h, h2);
	ck_assert_int_eq(sess_state_hash(st[1], h2), 0);
	ck_assert_str_ne(h, h2);
	ck_assert_int_eq(sess_state_hash("", h), 0);
	ck_assert_str_eq(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	ck_assert_int_eq(sess_state_hash(NULL, h), -1);
}
END_TEST

/* ---- CSRF ------------------------------------------------------------ */

START_TEST(test_csrf)
{
	static const uint8_t vkey[32] = {0,  1,	 2,  3,	 4,  5,	 6,  7,	 8,  9,	 10,
					 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
					 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
	char sid[44], tok[44], tok2[44], bad[64];
	char longb[SESS_BOUND_MAX + 2];

	/* Known answer: base64url(HMAC-SHA256(key, "csrf:pre-session-value")). */
	ck_assert_int_eq(sess_csrf_token(vkey, sizeof(vkey), "pre-session-value", tok), 0);
	ck_assert_str_eq(tok, "3Zi3i1wsYkEv-8TwPFLj_WPgKxII7xiFUWijiUfRHvo");
	ck_assert_int_eq(sess_csrf_check(vkey, sizeof(vkey), "pre-session-value", tok), 1);

	ck_assert_int_eq(sess_new_id(sid), 0);
	ck_assert_int_eq(sess_csrf_token(key, sizeof(key), sid, tok), 0);
	ck_assert_uint_eq(strlen(tok), SESS_RANDOM_LEN);
	ck_assert_int_eq(sess_csrf_token(key, sizeof(key), sid, tok2), 0);
	ck_assert_str_eq(tok, tok2);
	ck_assert_int_eq(sess_csrf_check(key, sizeof(key), sid, tok), 1);

	/* Other bound, other key. */
	ck_assert_int_eq(sess_csrf_check(key, sizeof(key), "another-session", tok), 0);
	ck_assert_int_eq(sess_csrf_check(key2, sizeof(key2), sid, tok), 0);
	/* Altered, truncated, extended, empty, NULL. */
	memcpy(bad, tok, 44);
	bad[0] = bad[0] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(sess_csrf_check(key, sizeof(key), sid, bad), 0);
	memcpy(bad, tok, 44);
	bad[42] = '\0';
	ck_assert_int_eq(sess_csrf_check(key, sizeof(key), sid, bad), 0);
	memcpy(bad, tok, 43);
	bad[43] = 'A';
	bad[44] = '\0';
	ck_assert_int_eq(sess_csrf_check(key, sizeof(key), sid, bad), 0);
	ck_assert_int_eq(sess_csrf_check(key, sizeof(key), sid, ""), 0);
	ck_assert_int_eq(sess_csrf_check(key, sizeof(key), sid, NULL), 0);
	/* A token is not valid for an empty bound, nor is one issued. */
	ck_assert_int_eq(sess_csrf_token(key, sizeof(key), "", tok2), -1);
	ck_assert_str_eq(tok2, "");
	ck_assert_int_eq(sess_csrf_check(key, sizeof(key), "", tok), 0);
	ck_assert_int_eq(sess_csrf_check(key, sizeof(key), NULL, tok), 0);
	/* Short keys and over-long bounds are refused. */
	ck_assert_int_eq(sess_csrf_token(key, 16, sid, tok2), -1);
	ck_assert_int_eq(sess_csrf_check(key, 16, sid, tok), 0);
	memset(longb, 'b', SESS_BOUND_MAX);
	longb[SESS_BOUND_MAX] = '\0';
	ck_assert_int_eq(sess_csrf_token(key, sizeof(key), longb, tok2), 0);
	ck_assert_int_eq(sess_csrf_check(key, sizeof(key), longb, tok2), 1);
	longb[SESS_BOUND_MAX] = 'b';
	longb[SESS_BOUND_MAX + 1] = '\0';
	ck_assert_int_eq(sess_csrf_token(key, sizeof(key), longb, tok2), -1);
	ck_assert_int_eq(sess_csrf_check(key, sizeof(key), longb, tok), 0);
}
END_TEST

/* ---- sess_open: the per-thread memo ---------------------------------- */

/* sess_open(tok) under k at now agrees with sess_jwt_verify_org,
 * sess_id_hash and sess_csrf_token, whatever the memo holds; its result. */
static int open_check(const char *tok, const uint8_t *k, long now)
{
	struct sess_token_info got;
	char sid[SESS_SID_MAX + 1], hash[65], csrf[44];
	long long org = -1;
	int want = sess_jwt_verify_org(tok, k, 32, now, sid, sizeof(sid), &org);
	int rc = sess_open(tok, k, 32, now, &got);

	ck_assert_int_eq(rc, want);
	if (want == 0) {
		ck_assert_int_eq(sess_id_hash(sid, hash), 0);
		ck_assert_str_eq(got.sid_hash, hash);
		ck_assert_int_eq(got.org, org);
		ck_assert_int_eq(sess_csrf_token(k, 32, hash, csrf), 0);
		ck_assert_str_eq(got.csrf, csrf);
	} else {
		ck_assert_str_eq(got.sid_hash, "");
		ck_assert_int_eq(got.org, 0);
		ck_assert_str_eq(got.csrf, "");
	}
	return rc;
}

START_TEST(test_open_memo)
{
	char *tok = sess_jwt_sign_org(key, sizeof(key), SID, 77, 1000, 2000);
	static const long nows[] = {1500, 1500, 1999, 2000, 1500, 2001, 999999, 1000, 1999};
	size_t n;

	ck_assert_ptr_nonnull(tok);
	/* remembered or not, exp is compared with now on every use */
	for (size_t i = 0; i < sizeof(nows) / sizeof(nows[0]); i++)
		ck_assert_int_eq(open_check(tok, key, nows[i]), nows[i] < 2000 ? 0 : -1);
	/* any other bytes, of the same length or not, right after the
	 * remembered token: as verification says (refused) */
	n = strlen(tok);
	for (size_t i = 0; i < n; i++) {
		char saved = tok[i];

		tok[i] = saved == 'A' ? 'B' : 'A';
		ck_assert_int_eq(open_check(tok, key, 1500), -1);
		tok[i] = saved;
		ck_assert_int_eq(open_check(tok, key, 1500), 0);
	}
	{
		char *longer = malloc(n + 2);

		ck_assert_ptr_nonnull(longer);
		memcpy(longer, tok, n);
		memcpy(longer + n, "A", 2);
		ck_assert_int_eq(open_check(longer, key, 1500), -1);
		longer[n - 1] = '\0'; /* a prefix */
		ck_assert_int_eq(open_check(longer, key, 1500), -1);
		ck_assert_int_eq(open_check("", key, 1500), -1);
		free(longer);
	}
	/* another key: not what the memo holds for the first */
	ck_assert_int_eq(open_check(tok, key2, 1500), -1);
	ck_assert_int_eq(open_check(tok, key, 1500), 0);
	ck_assert_int_eq(open_check(tok, key2, 1500), -1);
	/* bad arguments */
	{
		struct sess_token_info got;

		ck_assert_int_eq(sess_open(NULL, key, sizeof(key), 1500, &got), -1);
		ck_assert_int_eq(sess_open(tok, key, SESS_KEY_MIN - 1, 1500, &got), -1);
		ck_assert_str_eq(got.sid_hash, "");
	}
	free(tok);
}
END_TEST

START_TEST(test_open_many)
{
	/* more tokens than slots, twice round: each answers for itself */
	enum { N = 3 * SESS_MEMO_SLOTS };
	char *tok[N];
	struct sess_token_info a, b;

	for (int i = 0; i < N; i++) {
		char sid[32];

		snprintf(sid, sizeof(sid), "sid_%d", i);
		tok[i] = sess_jwt_sign_org(key, sizeof(key), sid, i, 1000, 2000 + i);
		ck_assert_ptr_nonnull(tok[i]);
	}
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < N; i++) {
			ck_assert_int_eq(open_check(tok[i], key, 1500), 0);
			ck_assert_int_eq(open_check(tok[i], key, 2000 + i), -1);
		}
	ck_assert_int_eq(sess_open(tok[0], key, sizeof(key), 1500, &a), 0);
	ck_assert_int_eq(sess_open(tok[1], key, sizeof(key), 1500, &b), 0);
	ck_assert_str_ne(a.sid_hash, b.sid_hash);
	ck_assert_str_ne(a.csrf, b.csrf);
	for (int i = 0; i < N; i++)
		free(tok[i]);

	/* a token too long to remember (a large grant): verified each time */
	{
		char payload[900];

		snprintf(payload, sizeof(payload),
			 "{\"exp\":2000,\"iat\":1000,\"org\":5,\"pad\":\"%0600d\",\"sid\":\"" SID
			 "\"}",
			 0);
		tok[0] = craft(HS256_HDR, payload, key, sizeof(key));
		ck_assert_uint_gt(strlen(tok[0]), 512);
		ck_assert_int_eq(open_check(tok[0], key, 1500), 0);
		ck_assert_int_eq(open_check(tok[0], key, 1500), 0);
		ck_assert_int_eq(open_check(tok[0], key, 2000), -1);
		free(tok[0]);
	}
}
END_TEST

static Suite *sess_suite(void)
{
	Suite *s = suite_create("sess");
	TCase *tc;

	tc = tcase_create("jwt");
	tcase_add_test(tc, test_jwt_round_trip);
	tcase_add_test(tc, test_jwt_org_grant);
	tcase_add_test(tc, test_jwt_expired);
	tcase_add_test(tc, test_jwt_bad_exp);
	tcase_add_test(tc, test_jwt_wrong_key);
	tcase_add_test(tc, test_jwt_alg_none);
	tcase_add_test(tc, test_jwt_hs512_same_secret);
	tcase_add_test(tc, test_jwt_tampered);
	tcase_add_test(tc, test_jwt_oversized);
	tcase_add_test(tc, test_jwt_bad_sid);
	tcase_add_test(tc, test_open_memo);
	tcase_add_test(tc, test_open_many);
	suite_add_tcase(s, tc);

	tc = tcase_create("ids");
	tcase_add_test(tc, test_session_id);
	tcase_add_test(tc, test_random_valid);
	tcase_add_test(tc, test_state);
	suite_add_tcase(s, tc);

	tc = tcase_create("csrf");
	tcase_add_test(tc, test_csrf);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sess_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
