/*
 * Unit tests for src/base/crypt.c: base64 codecs (RFC 4648 vectors and strict
 * rejects), SHA-256 and HMAC-SHA-256 vectors (FIPS 180-2, RFC 4231),
 * constant-time comparison, AES-256-GCM round trips and tamper detection,
 * yescrypt passwords and configuration keys.
 */
#include <check.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "crypt.h"

/* ---- base64 ---------------------------------------------------------- */

struct b64_vec {
	const char *in;
	const char *std;
	const char *url;
};

/* RFC 4648 section 10. */
static const struct b64_vec b64_vecs[] = {
    {"", "", ""},
    {"f", "Zg==", "Zg"},
    {"fo", "Zm8=", "Zm8"},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg==", "Zm9vYg"},
    {"fooba", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
};

START_TEST(test_b64_vectors)
{
	const struct b64_vec *v = &b64_vecs[_i];
	size_t n = strlen(v->in);
	char enc[32];
	unsigned char dec[32];

	ck_assert_int_eq(crypt_b64_encode(v->in, n, enc, sizeof(enc)), (long)strlen(v->std));
	ck_assert_str_eq(enc, v->std);
	ck_assert_int_eq(crypt_b64url_encode(v->in, n, enc, sizeof(enc)), (long)strlen(v->url));
	ck_assert_str_eq(enc, v->url);
	ck_assert_int_eq(crypt_b64_decode(v->std, dec, sizeof(dec)), (long)n);
	ck_assert_mem_eq(dec, v->in, n);
	ck_assert_int_eq(crypt_b64url_decode(v->url, dec, sizeof(dec)), (long)n);
	ck_assert_mem_eq(dec, v->in, n);
}
END_TEST

START_TEST(test_b64_alphabet_62_63)
{
	const unsigned char in[] = {0xfb, 0xff, 0xbf};
	unsigned char dec[8];
	char enc[8];

	ck_assert_int_eq(crypt_b64_encode(in, 3, enc, sizeof(enc)), 4);
	ck_assert_str_eq(enc, "+/+/");
	ck_assert_int_eq(crypt_b64url_encode(in, 3, enc, sizeof(enc)), 4);
	ck_assert_str_eq(enc, "-_-_");
	ck_assert_int_eq(crypt_b64_decode("+/+/", dec, sizeof(dec)), 3);
	ck_assert_mem_eq(dec, in, 3);
	ck_assert_int_eq(crypt_b64url_decode("-_-_", dec, sizeof(dec)), 3);
	ck_assert_mem_eq(dec, in, 3);
	/* Each alphabet refuses the other's characters. */
	ck_assert_int_eq(crypt_b64_decode("-_-_", dec, sizeof(dec)), -1);
	ck_assert_int_eq(crypt_b64url_decode("+/+/", dec, sizeof(dec)), -1);
}
END_TEST

START_TEST(test_b64_rejects)
{
	static const char *bad_std[] = {
	    "Zg=",	 /* length not a multiple of 4 */
	    "Zg===",	 /* length */
	    "Z===",	 /* too much padding */
	    "====",	 /* padding only */
	    "=Zm9",	 /* padding first */
	    "Zm=v",	 /* padding inside */
	    "Zg==Zg==",	 /* padding mid-string */
	    "Zh==",	 /* non-zero pad bits */
	    "Zm9=",	 /* non-zero pad bits */
	    "Zm9v\n",	 /* whitespace */
	    "Zm 9",	 /* whitespace */
	    " Zm9",	 /* whitespace */
	    "Zm9v YmFy", /* whitespace */
	    "Zm9*",	 /* bad char */
	    "Zm9\x80",	 /* high byte */
	    "Zg",	 /* missing padding */
	};
	static const char *bad_url[] = {
	    "Zg==",		      /* padding not allowed */
	    "Zg=",   "Z",    "Zm9vY", /* length 1 mod 4 */
	    "Zh",		      /* non-zero pad bits */
	    "Zm9",		      /* non-zero pad bits */
	    "Zm9\n", "Zm+v", "Zm/v",  "Zm.v", "Zm v",
	};
	unsigned char dec[32];
	size_t i;

	for (i = 0; i < sizeof(bad_std) / sizeof(bad_std[0]); i++)
		ck_assert_msg(crypt_b64_decode(bad_std[i], dec, sizeof(dec)) == -1, "accepted '%s'",
			      bad_std[i]);
	for (i = 0; i < sizeof(bad_url) / sizeof(bad_url[0]); i++)
		ck_assert_msg(crypt_b64url_decode(bad_url[i], dec, sizeof(dec)) == -1,
			      "url accepted '%s'", bad_url[i]);
	ck_assert_int_eq(crypt_b64_decode(NULL, dec, sizeof(dec)), -1);
	ck_assert_int_eq(crypt_b64url_decode(NULL, dec, sizeof(dec)), -1);
}
END_TEST

START_TEST(test_b64_capacity)
{
	unsigned char dec[6];
	char enc[9];

	/* Decoding needs room for every byte. */
	ck_assert_int_eq(crypt_b64_decode("Zm9vYmFy", dec, 5), -1);
	ck_assert_int_eq(crypt_b64_decode("Zm9vYmFy", dec, 6), 6);
	ck_assert_int_eq(crypt_b64url_decode("Zm9vYmFy", dec, 5), -1);
	ck_assert_int_eq(crypt_b64_decode("", dec, 0), 0);
	/* Encoding needs room for the NUL too. */
	ck_assert_int_eq(crypt_b64_encode("foobar", 6, enc, 8), -1);
	ck_assert_int_eq(crypt_b64_encode("foobar", 6, enc, 9), 8);
	ck_assert_int_eq(crypt_b64url_encode("fooba", 5, enc, 7), -1);
	ck_assert_int_eq(crypt_b64url_encode("fooba", 5, enc, 8), 7);
	ck_assert_int_eq(crypt_b64_encode("x", 1, NULL, 8), -1);
}
END_TEST

START_TEST(test_b64_round_trip)
{
	unsigned char in[100], dec[100];
	char enc[CRYPT_B64_LEN(100) + 1];
	size_t n;

	for (n = 0; n <= sizeof(in); n++) {
		ck_assert_int_eq(crypt_random(in, n), 0);
		ck_assert_int_eq(crypt_b64_encode(in, n, enc, sizeof(enc)), (long)CRYPT_B64_LEN(n));
		ck_assert_int_eq(crypt_b64_decode(enc, dec, sizeof(dec)), (long)n);
		ck_assert(memcmp(in, dec, n) == 0);
		ck_assert_int_eq(crypt_b64url_encode(in, n, enc, sizeof(enc)),
				 (long)CRYPT_B64URL_LEN(n));
		ck_assert_int_eq(crypt_b64url_decode(enc, dec, sizeof(dec)), (long)n);
		ck_assert(memcmp(in, dec, n) == 0);
	}
}
END_TEST

/* ---- digests, comparison, random -------------------------------------- */

START_TEST(test_sha256_vectors)
{
	char hex[65];

	ck_assert_int_eq(crypt_sha256_hex("abc", 3, hex), 0);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ck_assert_int_eq(crypt_sha256_hex("", 0, hex), 0);
	ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	ck_assert_int_eq(crypt_sha256_hex(NULL, 1, hex), -1);
	ck_assert_str_eq(hex, "");
}
END_TEST

static void hex_of(const uint8_t *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = '\0';
}

START_TEST(test_hmac_vectors)
{
	uint8_t key[20], mac[32];
	char hex[65];

	/* RFC 4231 test case 1. */
	memset(key, 0x0b, sizeof(key));
	ck_assert_int_eq(crypt_hmac_sha256(key, sizeof(key), "Hi There", 8, mac), 0);
	hex_of(mac, 32, hex);
	ck_assert_str_eq(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	/* RFC 4231 test case 2. */
	ck_assert_int_eq(crypt_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac), 0);
	hex_of(mac, 32, hex);
	ck_assert_str_eq(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	/* RFC 4231 test case 6: a key longer than the block (hashed first). */
	{
		uint8_t big[131];

		memset(big, 0xaa, sizeof(big));
		ck_assert_int_eq(
		    crypt_hmac_sha256(big, sizeof(big),
				      "Test Using Larger Than Block-Size Key - Hash Key First", 54,
				      mac),
		    0);
		ck_assert(memcmp(mac,
				 "\x60\xe4\x31\x59\x1e\xe0\xb6\x7f\x0d\x8a\x26\xaa\xcb\xf5\xb7\x7f"
				 "\x8e\x0b\xc6\x21\x37\x28\xc5\x14\x05\x46\x04\x0f\x0e\xe3\x7f\x54",
				 32) == 0);
		/* a 64-byte key is used as it is (the block size exactly) */
		uint8_t k64[64], a[32], b[32];
		unsigned int n = 0;

		memset(k64, 0x0b, sizeof(k64));
		ck_assert_int_eq(crypt_hmac_sha256(k64, sizeof(k64), "msg", 3, a), 0);
		ck_assert_ptr_nonnull(
		    HMAC(EVP_sha256(), k64, 64, (const unsigned char *)"msg", 3, b, &n));
		ck_assert(memcmp(a, b, 32) == 0);
		/* an empty key and an empty message */
		ck_assert_int_eq(crypt_hmac_sha256(NULL, 0, NULL, 0, a), 0);
		ck_assert_ptr_nonnull(
		    HMAC(EVP_sha256(), "", 0, (const unsigned char *)"", 0, b, &n));
		ck_assert(memcmp(a, b, 32) == 0);
	}
	ck_assert_int_eq(crypt_hmac_sha256(NULL, 5, "x", 1, mac), -1);
}
END_TEST

START_TEST(test_ct_equal)
{
	ck_assert_int_eq(crypt_ct_equal("abcdef", "abcdef", 6), 1);
	ck_assert_int_eq(crypt_ct_equal("abcdef", "abcdeg", 6), 0);
	ck_assert_int_eq(crypt_ct_equal("xbcdef", "abcdef", 6), 0);
	ck_assert_int_eq(crypt_ct_equal("abc", "xyz", 0), 1);

	ck_assert_int_eq(crypt_ct_streq("token", "token"), 1);
	ck_assert_int_eq(crypt_ct_streq("", ""), 1);
	ck_assert_int_eq(crypt_ct_streq("token", "tokem"), 0);
	ck_assert_int_eq(crypt_ct_streq("token", "token2"), 0);
	ck_assert_int_eq(crypt_ct_streq("token2", "token"), 0);
	ck_assert_int_eq(crypt_ct_streq("", "x"), 0);
	ck_assert_int_eq(crypt_ct_streq(NULL, "x"), 0);
	ck_assert_int_eq(crypt_ct_streq("x", NULL), 0);
	ck_assert_int_eq(crypt_ct_streq(NULL, NULL), 0);
}
END_TEST

START_TEST(test_random)
{
	uint8_t a[32], b[32];

	ck_assert_int_eq(crypt_random(a, sizeof(a)), 0);
	ck_assert_int_eq(crypt_random(b, sizeof(b)), 0);
	ck_assert(memcmp(a, b, sizeof(a)) != 0);
	ck_assert_int_eq(crypt_random(a, 0), 0);
	ck_assert_int_eq(crypt_random(NULL, 4), -1);
}
END_TEST

/* ---- AES-256-GCM ----------------------------------------------------- */

static const uint8_t gcm_key[32] = {1,	2,  3,	4,  5,	6,  7,	8,  9,	10, 11, 12, 13, 14, 15, 16,
				    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const char gcm_aad[] = "portal:12345|kind:refresh";
static const char gcm_pt[] = "hubspot-refresh-token-0123456789";

/* 1 when needle occurs in hay (memmem is not C11). */
static int contains(const void *hay, size_t hlen, const void *needle, size_t nlen)
{
	const unsigned char *h = hay;
	size_t i;

	for (i = 0; nlen <= hlen && i <= hlen - nlen; i++) {
		if (memcmp(h + i, needle, nlen) == 0)
			return 1;
	}
	return 0;
}

/* Seal gcm_pt under gcm_key and gcm_aad into a fresh buffer. */
static void gcm_seal(struct buf *box)
{
	buf_init(box, 4096);
	ck_assert_int_eq(crypt_seal(gcm_key, gcm_pt, strlen(gcm_pt), gcm_aad, strlen(gcm_aad), box),
			 0);
	ck_assert_uint_eq(box->len, strlen(gcm_pt) + CRYPT_SEAL_OVERHEAD);
}

START_TEST(test_gcm_round_trip)
{
	struct buf box, box2, pt;

	gcm_seal(&box);
	gcm_seal(&box2);
	/* Fresh random nonce each time. */
	ck_assert(memcmp(box.data, box2.data, box.len) != 0);
	ck_assert(!contains(box.data, box.len, gcm_pt, strlen(gcm_pt)));

	buf_init(&pt, 4096);
	ck_assert_int_eq(crypt_open(gcm_key, box.data, box.len, gcm_aad, strlen(gcm_aad), &pt), 0);
	ck_assert_uint_eq(pt.len, strlen(gcm_pt));
	ck_assert_str_eq(pt.data, gcm_pt);
	buf_free(&pt);

	buf_init(&pt, 4096);
	ck_assert_int_eq(crypt_open(gcm_key, box2.data, box2.len, gcm_aad, strlen(gcm_aad), &pt),
			 0);
	ck_assert_str_eq(buf_str(&pt), gcm_pt);
	buf_free(&pt);
	buf_free(&box);
	buf_free(&box2);
}
END_TEST

START_TEST(test_gcm_empty_and_no_aad)
{
	struct buf box, pt;

	buf_init(&box, 4096);
	buf_init(&pt, 4096);
	ck_assert_int_eq(crypt_seal(gcm_key, NULL, 0, NULL, 0, &box), 0);
	ck_assert_uint_eq(box.len, CRYPT_SEAL_OVERHEAD);
	ck_assert_int_eq(crypt_open(gcm_key, box.data, box.len, NULL, 0, &pt), 0);
	ck_assert_uint_eq(pt.len, 0);
	/* A box sealed without aad does not open with one. */
	ck_assert_int_eq(crypt_open(gcm_key, box.data, box.len, "x", 1, &pt), -1);
	buf_free(&box);
	buf_free(&pt);
}
END_TEST

START_TEST(test_gcm_tamper_each_byte)
{
	struct buf box, pt;
	unsigned char *copy;
	size_t i;
	int bit;

	gcm_seal(&box);
	copy = malloc(box.len);
	ck_assert_ptr_nonnull(copy);
	buf_init(&pt, 4096);
	/* Nonce, ciphertext and tag: every byte, a few bits each. */
	for (i = 0; i < box.len; i++) {
		for (bit = 0; bit < 8; bit += 3) {
			memcpy(copy, box.data, box.len);
			copy[i] ^= (unsigned char)(1u << bit);
			ck_assert_msg(
			    crypt_open(gcm_key, copy, box.len, gcm_aad, strlen(gcm_aad), &pt) == -1,
			    "flip at byte %zu bit %d accepted", i, bit);
			ck_assert_uint_eq(pt.len, 0);
		}
	}
	free(copy);
	buf_free(&pt);
	buf_free(&box);
}
END_TEST

START_TEST(test_gcm_wrong_aad_key_truncated)
{
	static const char other_aad[] = "portal:12346|kind:refresh";
	static const char kind_aad[] = "portal:12345|kind:access";
	struct buf box, pt;
	uint8_t key2[32];
	size_t n;

	gcm_seal(&box);
	buf_init(&pt, 4096);
	ck_assert_int_eq(crypt_open(gcm_key, box.data, box.len, other_aad, strlen(other_aad), &pt),
			 -1);
	ck_assert_int_eq(crypt_open(gcm_key, box.data, box.len, kind_aad, strlen(kind_aad), &pt),
			 -1);
	ck_assert_int_eq(crypt_open(gcm_key, box.data, box.len, NULL, 0, &pt), -1);
	ck_assert_int_eq(crypt_open(gcm_key, box.data, box.len, gcm_aad, strlen(gcm_aad) - 1, &pt),
			 -1);

	memcpy(key2, gcm_key, sizeof(key2));
	key2[31] ^= 0x80;
	ck_assert_int_eq(crypt_open(key2, box.data, box.len, gcm_aad, strlen(gcm_aad), &pt), -1);

	for (n = 0; n < box.len; n++)
		ck_assert_msg(crypt_open(gcm_key, box.data, n, gcm_aad, strlen(gcm_aad), &pt) == -1,
			      "truncated to %zu accepted", n);
	/* Extra bytes appended are tampering too. */
	ck_assert_int_eq(buf_putc(&box, 'x'), 0);
	ck_assert_int_eq(crypt_open(gcm_key, box.data, box.len, gcm_aad, strlen(gcm_aad), &pt), -1);
	ck_assert_uint_eq(pt.len, 0);
	ck_assert_int_eq(crypt_open(gcm_key, NULL, 40, gcm_aad, strlen(gcm_aad), &pt), -1);
	buf_free(&pt);
	buf_free(&box);
}
END_TEST

START_TEST(test_gcm_buf_cap)
{
	struct buf small;

	/* The output buffer's maximum is respected and left unchanged. */
	buf_init(&small, 16);
	ck_assert_int_eq(crypt_seal(gcm_key, gcm_pt, strlen(gcm_pt), NULL, 0, &small), -1);
	ck_assert_uint_eq(small.len, 0);
	buf_free(&small);
}
END_TEST

/* ---- passwords ------------------------------------------------------- */

static double now_sec(void)
{
	struct timespec ts;

	timespec_get(&ts, TIME_UTC);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

START_TEST(test_password)
{
	char *hash = NULL, *longpw;
	double t0, t_verify, t_dummy;

	ck_assert_int_eq(crypt_password_hash("correct horse battery staple", &hash), 0);
	ck_assert_ptr_nonnull(hash);
	/* yescrypt at libcrypt's default cost. */
	ck_assert_msg(strncmp(hash, "$y$j9T$", 7) == 0, "unexpected hash %s", hash);

	t0 = now_sec();
	ck_assert_int_eq(crypt_password_verify("correct horse battery staple", hash), 1);
	t_verify = now_sec() - t0;
	ck_assert_int_eq(crypt_password_verify("correct horse battery stapl", hash), 0);

	/* The dummy must cost about the same as a real verify (a broken dummy
	 * hash would make crypt_ra fail in microseconds). */
	t0 = now_sec();
	crypt_password_dummy_verify("correct horse battery staple");
	t_dummy = now_sec() - t0;
	ck_assert_msg(t_dummy > t_verify / 4 && t_dummy < t_verify * 4,
		      "dummy %.4fs vs verify %.4fs", t_dummy, t_verify);

	/* Over-long passwords are refused up front; 1024 bytes is still fine. */
	longpw = malloc(CRYPT_PASSWORD_MAX + 2);
	ck_assert_ptr_nonnull(longpw);
	memset(longpw, 'a', CRYPT_PASSWORD_MAX + 1);
	longpw[CRYPT_PASSWORD_MAX + 1] = '\0';
	ck_assert_int_eq(crypt_password_verify(longpw, hash), -1);
	crypt_password_dummy_verify(longpw);
	{
		char *h2 = (char *)1;

		ck_assert_int_eq(crypt_password_hash(longpw, &h2), -1);
		ck_assert_ptr_null(h2);
	}
	longpw[CRYPT_PASSWORD_MAX] = '\0';
	ck_assert_int_eq(crypt_password_verify(longpw, hash), 0);
	free(longpw);

	/* Only yescrypt hashes are accepted. */
	ck_assert_int_eq(crypt_password_verify("x", ""), -1);
	ck_assert_int_eq(crypt_password_verify("x", "*0"), -1);
	ck_assert_int_eq(crypt_password_verify("x", "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/"), -1);
	ck_assert_int_eq(crypt_password_verify("x", "ab01FAX.bQRSU"), -1);
	ck_assert_int_eq(crypt_password_verify("x", "$y$"), -1);
	ck_assert_int_eq(crypt_password_verify(NULL, hash), -1);
	ck_assert_int_eq(crypt_password_verify("x", NULL), -1);
	free(hash);
	ck_assert_int_eq(crypt_password_hash(NULL, &hash), -1);
	ck_assert_ptr_null(hash);
	ck_assert_int_eq(crypt_password_hash("x", NULL), -1);
}
END_TEST

START_TEST(test_password_long)
{
	char pw[CRYPT_PASSWORD_MAX + 1];
	char *hash = NULL;

	/* 1024 bytes: beyond libxcrypt's own 511-byte limit, still accepted. */
	memset(pw, 'p', CRYPT_PASSWORD_MAX);
	pw[CRYPT_PASSWORD_MAX] = '\0';
	ck_assert_int_eq(crypt_password_hash(pw, &hash), 0);
	ck_assert_int_eq(crypt_password_verify(pw, hash), 1);
	pw[CRYPT_PASSWORD_MAX - 1] = 'q';
	ck_assert_int_eq(crypt_password_verify(pw, hash), 0);
	free(hash);
	hash = NULL;

	/* 511 bytes: the longest password hashed as it is. */
	memset(pw, 'p', 511);
	pw[511] = '\0';
	ck_assert_int_eq(crypt_password_hash(pw, &hash), 0);
	ck_assert_int_eq(crypt_password_verify(pw, hash), 1);
	free(hash);
}
END_TEST

/* ---- keys ------------------------------------------------------------ */

START_TEST(test_key_from_b64)
{
	uint8_t raw[33], key[32];
	char b64[CRYPT_B64_LEN(33) + 2];
	size_t n;

	ck_assert_int_eq(crypt_random(raw, sizeof(raw)), 0);
	ck_assert_int_eq(crypt_b64_encode(raw, 32, b64, sizeof(b64)), 44);
	ck_assert_int_eq(crypt_key_from_b64(b64, key), 0);
	ck_assert_mem_eq(key, raw, 32);
	ck_assert_int_eq(crypt_key_from_b64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", key),
			 0);
	for (n = 0; n < 32; n++)
		ck_assert_uint_eq(key[n], n);

	/* 31 and 33 bytes, both 44 chars long. */
	ck_assert_int_eq(crypt_b64_encode(raw, 31, b64, sizeof(b64)), 44);
	ck_assert_int_eq(crypt_key_from_b64(b64, key), -1);
	for (n = 0; n < 32; n++)
		ck_assert_uint_eq(key[n], 0);
	ck_assert_int_eq(crypt_b64_encode(raw, 33, b64, sizeof(b64)), 44);
	ck_assert_int_eq(crypt_key_from_b64(b64, key), -1);
	/* Garbage, whitespace, url alphabet, empty, NULL. */
	ck_assert_int_eq(crypt_key_from_b64("not base64 at all", key), -1);
	ck_assert_int_eq(crypt_key_from_b64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", key),
			 -1);
	ck_assert_int_eq(crypt_key_from_b64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", key),
			 -1);
	ck_assert_int_eq(crypt_key_from_b64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh!=", key),
			 -1);
	ck_assert_int_eq(crypt_key_from_b64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh-=", key),
			 -1);
	/* Non-canonical last char (pad bits set). */
	ck_assert_int_eq(crypt_key_from_b64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=", key),
			 -1);
	ck_assert_int_eq(crypt_key_from_b64("", key), -1);
	ck_assert_int_eq(crypt_key_from_b64(NULL, key), -1);
}
END_TEST

static Suite *crypt_suite(void)
{
	Suite *s = suite_create("crypt");
	TCase *tc;

	tc = tcase_create("base64");
	tcase_add_loop_test(tc, test_b64_vectors, 0, (int)(sizeof(b64_vecs) / sizeof(b64_vecs[0])));
	tcase_add_test(tc, test_b64_alphabet_62_63);
	tcase_add_test(tc, test_b64_rejects);
	tcase_add_test(tc, test_b64_capacity);
	tcase_add_test(tc, test_b64_round_trip);
	suite_add_tcase(s, tc);

	tc = tcase_create("digest");
	tcase_add_test(tc, test_sha256_vectors);
	tcase_add_test(tc, test_hmac_vectors);
	tcase_add_test(tc, test_ct_equal);
	tcase_add_test(tc, test_random);
	suite_add_tcase(s, tc);

	tc = tcase_create("aes-gcm");
	tcase_add_test(tc, test_gcm_round_trip);
	tcase_add_test(tc, test_gcm_empty_and_no_aad);
	tcase_add_test(tc, test_gcm_tamper_each_byte);
	tcase_add_test(tc, test_gcm_wrong_aad_key_truncated);
	tcase_add_test(tc, test_gcm_buf_cap);
	suite_add_tcase(s, tc);

	tc = tcase_create("password");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_password);
	tcase_add_test(tc, test_password_long);
	suite_add_tcase(s, tc);

	tc = tcase_create("key");
	tcase_add_test(tc, test_key_from_b64);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(crypt_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
