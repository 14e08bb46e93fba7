/*
 * libFuzzer target for the session token check of sess.c
 * (sess_jwt_verify, sess_jwt_verify_org), with a fixed key and clock.
 *
 * Input: a mode digit, then the mode's text (cut at a NUL where noted).
 *   '0' a token as the cookie would carry it, verified as it is;
 *   '1' header JSON \0 payload JSON: base64url-encoded, joined and signed
 *       with the key here, so that libjwt's parsing and the checks after
 *       the MAC (alg pinned to HS256, exp, sid) are what is fuzzed;
 *   '2' "header.payload" text signed as it is (bad base64url included);
 *   '3' a sid: sess_jwt_sign_org then verify, which must round-trip when
 *       the sid is well formed and must refuse to sign otherwise.
 * (Any other byte: its value modulo 4.)  The seed tokens in
 * tests/fuzz/corpus/fuzz_sess/ are signed with fuzz_key.
 *
 * Then sess.h's contract is checked: 0 or -1; on -1 sid is "" and org 0;
 * on 0 sid is 1..SESS_SID_MAX chars of [A-Za-z0-9_-] that fit, org >= 0;
 * both verify functions agree, and sess_open with them (twice: the second
 * answer may come from its memo); a token never verifies under another key
 * or after its expiry.
 */
#include <string.h>

#include "crypt.h"
#include "fuzz.h"
#include "sess.h"

#define FUZZ_NOW 1767225600L /* 2026-01-01T00:00:00Z */

static const uint8_t fuzz_key[32] = "fuzz-session-key-0123456789abcde";
static const uint8_t other_key[32] = "fuzz-session-key-0123456789abcdf";

/* 1 when s is 1..SESS_SID_MAX chars of [A-Za-z0-9_-]. */
static int sid_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > SESS_SID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/*
 * Verify token with key at now through both functions and check what they
 * say.  Returns the result (0 or -1); on 0 the sid is in sid and the org
 * grant in *org.
 */
static int verify(const char *token, const uint8_t *key, long now, char sid[SESS_SID_MAX + 1],
		  long long *org)
{
	char sid2[SESS_SID_MAX + 1], small[8];
	int rc, rc2, rc3;

	memset(sid, 'x', SESS_SID_MAX + 1);
	*org = -7;
	rc = sess_jwt_verify_org(token, key, 32, now, sid, SESS_SID_MAX + 1, org);
	FUZZ_CHECK(rc == 0 || rc == -1);
	FUZZ_CHECK(memchr(sid, '\0', SESS_SID_MAX + 1) != NULL);
	if (rc == 0)
		FUZZ_CHECK(sid_ok(sid) && *org >= 0);
	else
		FUZZ_CHECK(sid[0] == '\0' && *org == 0);

	rc2 = sess_jwt_verify(token, key, 32, now, sid2, sizeof(sid2));
	FUZZ_CHECK(rc2 == rc && strcmp(sid2, sid) == 0);

	/* sess_open agrees, the first time and from its memo */
	for (int k = 0; k < 2; k++) {
		struct sess_token_info info;
		char hash[65], csrf[44];

		FUZZ_CHECK(sess_open(token, key, 32, now, &info) == rc);
		if (rc == 0)
			FUZZ_CHECK(sess_id_hash(sid, hash) == 0 &&
				   strcmp(info.sid_hash, hash) == 0 && info.org == *org &&
				   sess_csrf_token(key, 32, hash, csrf) == 0 &&
				   strcmp(info.csrf, csrf) == 0);
		else
			FUZZ_CHECK(info.sid_hash[0] == '\0' && info.org == 0 &&
				   info.csrf[0] == '\0');
	}

	/* a sid that does not fit is refused, not cut */
	rc3 = sess_jwt_verify(token, key, 32, now, small, sizeof(small));
	FUZZ_CHECK(memchr(small, '\0', sizeof(small)) != NULL);
	if (rc3 == 0)
		FUZZ_CHECK(rc == 0 && strcmp(small, sid) == 0);
	else
		FUZZ_CHECK(small[0] == '\0' && (rc != 0 || strlen(sid) >= sizeof(small)));
	return rc;
}

/* Append '.' and the HS256 MAC of msg (NUL-terminated) under fuzz_key to
 * msg, which has cap bytes; 0 or -1. */
static int sign(char *msg, size_t cap)
{
	uint8_t mac[32];
	size_t n = strlen(msg);

	if (cap - n < 1 + CRYPT_B64URL_LEN(32) + 1)
		return -1;
	if (crypt_hmac_sha256(fuzz_key, sizeof(fuzz_key), msg, n, mac) != 0)
		return -1;
	msg[n] = '.';
	return crypt_b64url_encode(mac, sizeof(mac), msg + n + 1, cap - n - 1) < 0 ? -1 : 0;
}

/* Append base64url(p, n) to s, which has cap bytes; 0 or -1. */
static int b64_append(char *s, size_t cap, const char *p, size_t n)
{
	size_t at = strlen(s);

	return crypt_b64url_encode(p, n, s + at, cap - at) < 0 ? -1 : 0;
}

/* A correctly signed token (modes 1 and 2): the MAC is the only check that
 * a key gives, so it never verifies under another key or after expiry. */
static void signed_check(const char *token)
{
	char sid[SESS_SID_MAX + 1];
	long long org;

	if (verify(token, fuzz_key, FUZZ_NOW, sid, &org) != 0)
		return;
	FUZZ_CHECK(verify(token, other_key, FUZZ_NOW, sid, &org) == -1);
	FUZZ_CHECK(verify(token, fuzz_key, (long)0x7fffffffffffffffLL, sid, &org) == -1);
}

/* Mode 3: sign text as a sid, with an org grant taken from its length. */
static void round_trip(const char *text)
{
	char sid[SESS_SID_MAX + 1], *token;
	size_t n = strlen(text);
	long long org, want_org = (long long)(n % 3) * (long long)n;

	token = sess_jwt_sign_org(fuzz_key, sizeof(fuzz_key), text, want_org, FUZZ_NOW,
				  FUZZ_NOW + 3600);
	FUZZ_CHECK((token != NULL) == sid_ok(text));
	if (token == NULL)
		return;
	FUZZ_CHECK(verify(token, fuzz_key, FUZZ_NOW, sid, &org) == 0);
	FUZZ_CHECK(strcmp(sid, text) == 0 && org == want_org);
	FUZZ_CHECK(verify(token, fuzz_key, FUZZ_NOW + 3600, sid, &org) == -1);
	FUZZ_CHECK(verify(token, other_key, FUZZ_NOW, sid, &org) == -1);
	free(token);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char sid[SESS_SID_MAX + 1], *text = NULL, *token = NULL;
	const char *payload;
	size_t cap, hl, pl;
	long long org;
	unsigned mode;

	if (size < 1)
		return 0;
	mode = (unsigned)(uint8_t)(data[0] - '0') % 4;
	/* the rest, with two NULs after it: text is its first string and
	 * payload (mode 1) the second one, possibly empty */
	text = calloc(size + 2, 1);
	if (text == NULL)
		goto out;
	memcpy(text, data + 1, size - 1);
	hl = strlen(text);
	payload = text + hl + 1;
	pl = strlen(payload);
	cap = CRYPT_B64URL_LEN(hl) + CRYPT_B64URL_LEN(pl) + hl + 3 + CRYPT_B64URL_LEN(32) + 1;
	token = calloc(cap, 1);
	if (token == NULL)
		goto out;

	switch (mode) {
	case 0:
		(void)verify(text, fuzz_key, FUZZ_NOW, sid, &org);
		break;
	case 1:
		if (b64_append(token, cap, text, hl) < 0)
			goto out;
		token[strlen(token)] = '.';
		if (b64_append(token, cap, payload, pl) < 0 || sign(token, cap) < 0)
			goto out;
		signed_check(token);
		break;
	case 2:
		memcpy(token, text, hl + 1);
		if (sign(token, cap) < 0)
			goto out;
		signed_check(token);
		break;
	default:
		round_trip(text);
		break;
	}
out:
	free(token);
	free(text);
	return 0;
}
