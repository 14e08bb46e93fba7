/*
 * crypt: random bytes, strict base64, SHA-256/HMAC, constant-time
 * comparison, AES-256-GCM boxes and yescrypt passwords.  See crypt.h.
 *
 * The base64 codecs avoid table look-ups and data-dependent branches on
 * valid input, since they also decode keys.  Every temporary that held a
 * secret is cleansed with OPENSSL_cleanse before it is released.
 */
#include "crypt.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/*
 * libcrypt (libxcrypt).  Built without -Isrc (as the Makefile builds src/)
 * this is the real header.  With -Isrc, <crypt.h> finds our own header
 * again (its guard makes that a no-op), so fall back to declaring the two
 * entry points we use exactly as libxcrypt does.
 */
#include <crypt.h>
#ifndef CRYPT_OUTPUT_SIZE
#define CRYPT_OUTPUT_SIZE 384
extern char *crypt_ra(const char *phrase, const char *setting, void **data, int *size);
extern char *crypt_gensalt_ra(const char *prefix, unsigned long count, const char *rbytes,
			      int nrbytes);
#endif

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "buf.h"

/* The only hash prefix we create or accept. */
#define CRYPT_YESCRYPT_PREFIX "$y$"

/*
 * A yescrypt hash at libcrypt's default cost ("j9T", the cost that
 * crypt_gensalt_ra("$y$", 0, ...) picks), of a throw-away password.
 * tests/unit/test_crypt.c checks a dummy verify costs about as much as a
 * real one.
 */
static const char crypt_dummy_hash[] =
    "$y$j9T$x6TOoqosp1rMUZCb7GNrs/$1OEjZ00S6H8MzzL6Ao92PAySi1Om7eHxkGVw8tGKJ7A";

int crypt_random(void *p, size_t n)
{
	int result = -1;

	if (n == 0) {
		result = 0;
		goto out;
	}
	if (p == NULL || n > INT_MAX)
		goto out;
	if (RAND_bytes(p, (int)n) != 1) {
		OPENSSL_cleanse(p, n);
		goto out;
	}
	result = 0;
out:
	return result;
}

/* ---- base64 ---------------------------------------------------------- */

/*
 * Branch-free helpers on values 0..255 (after libsodium's codecs):
 * each returns 0xFF when the relation holds and 0 otherwise.
 */
static unsigned int crypt_eq(unsigned int x, unsigned int y)
{
	return ((((0U - (x ^ y)) >> 8) & 0xFF) ^ 0xFF);
}

static unsigned int crypt_gt(unsigned int x, unsigned int y)
{
	return (((y - x) >> 8) & 0xFF);
}

static unsigned int crypt_ge(unsigned int x, unsigned int y)
{
	return crypt_gt(y, x) ^ 0xFF;
}

static unsigned int crypt_lt(unsigned int x, unsigned int y)
{
	return crypt_gt(y, x);
}

static unsigned int crypt_le(unsigned int x, unsigned int y)
{
	return crypt_ge(y, x);
}

/* A 6-bit value to its character; url selects '-' and '_' for 62, 63. */
static char crypt_b64_char(unsigned int x, int url)
{
	unsigned int c62 = url ? '-' : '+';
	unsigned int c63 = url ? '_' : '/';
	unsigned int c;

	c = (crypt_lt(x, 26) & (x + 'A')) | (crypt_ge(x, 26) & crypt_lt(x, 52) & (x + ('a' - 26))) |
	    (crypt_ge(x, 52) & crypt_lt(x, 62) & (x - (52 - '0'))) | (crypt_eq(x, 62) & c62) |
	    (crypt_eq(x, 63) & c63);
	return (char)c;
}

/* A character to its 6-bit value, or 0xFF when it is not in the alphabet. */
static unsigned int crypt_b64_val(unsigned char ch, int url)
{
	unsigned int c = ch;
	unsigned int c62 = url ? '-' : '+';
	unsigned int c63 = url ? '_' : '/';
	unsigned int x;

	x = (crypt_ge(c, 'A') & crypt_le(c, 'Z') & (c - 'A')) |
	    (crypt_ge(c, 'a') & crypt_le(c, 'z') & (c - ('a' - 26))) |
	    (crypt_ge(c, '0') & crypt_le(c, '9') & (c + (52 - '0'))) | (crypt_eq(c, c62) & 62) |
	    (crypt_eq(c, c63) & 63);
	return x | (crypt_eq(x, 0) & (crypt_eq(c, 'A') ^ 0xFF));
}

static long crypt_b64_enc(const void *in, size_t n, char *out, size_t outsz, int url)
{
	const unsigned char *p = in;
	long result = -1;
	size_t need, i, o = 0;
	unsigned int v;

	if (out == NULL || (in == NULL && n != 0))
		goto out;
	if (n > (size_t)LONG_MAX / 4 - 1)
		goto out;
	need = url ? CRYPT_B64URL_LEN(n) : CRYPT_B64_LEN(n);
	if (outsz < need + 1)
		goto out;
	for (i = 0; i + 3 <= n; i += 3) {
		v = ((unsigned int)p[i] << 16) | ((unsigned int)p[i + 1] << 8) | p[i + 2];
		out[o++] = crypt_b64_char((v >> 18) & 0x3F, url);
		out[o++] = crypt_b64_char((v >> 12) & 0x3F, url);
		out[o++] = crypt_b64_char((v >> 6) & 0x3F, url);
		out[o++] = crypt_b64_char(v & 0x3F, url);
	}
	if (n - i == 1) {
		v = (unsigned int)p[i] << 16;
		out[o++] = crypt_b64_char((v >> 18) & 0x3F, url);
		out[o++] = crypt_b64_char((v >> 12) & 0x3F, url);
		if (!url) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (n - i == 2) {
		v = ((unsigned int)p[i] << 16) | ((unsigned int)p[i + 1] << 8);
		out[o++] = crypt_b64_char((v >> 18) & 0x3F, url);
		out[o++] = crypt_b64_char((v >> 12) & 0x3F, url);
		out[o++] = crypt_b64_char((v >> 6) & 0x3F, url);
		if (!url)
			out[o++] = '=';
	}
	out[o] = '\0';
	result = (long)o;
out:
	return result;
}

static long crypt_b64_dec(const char *in, void *out, size_t outsz, int url)
{
	unsigned char *d = out;
	long result = -1;
	size_t len, pad = 0, nchars, nbytes, i, o = 0;
	unsigned int acc = 0, v, bits = 0;

	if (in == NULL || (out == NULL && outsz != 0))
		goto out;
	len = strlen(in);
	if (len > (size_t)LONG_MAX / 2)
		goto out;
	if (url) {
		if (len % 4 == 1)
			goto out;
		nchars = len;
	} else {
		if (len % 4 != 0)
			goto out;
		if (len >= 1 && in[len - 1] == '=')
			pad++;
		if (len >= 2 && in[len - 2] == '=')
			pad++;
		nchars = len - pad;
	}
	nbytes = nchars * 3 / 4;
	if (nbytes > outsz)
		goto out;
	for (i = 0; i < nchars; i++) {
		v = crypt_b64_val((unsigned char)in[i], url);
		if (v == 0xFF)
			goto fail;
		acc = (acc << 6) | v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			d[o++] = (unsigned char)((acc >> bits) & 0xFF);
		}
	}
	/* Leftover bits must be zero (a canonical encoding). */
	if (bits > 0 && (acc & ((1U << bits) - 1)) != 0)
		goto fail;
	result = (long)o;
	goto out;
fail:
	if (o > 0)
		OPENSSL_cleanse(d, o);
out:
	return result;
}

long crypt_b64_encode(const void *in, size_t n, char *out, size_t outsz)
{
	return crypt_b64_enc(in, n, out, outsz, 0);
}

long crypt_b64_decode(const char *in, void *out, size_t outsz)
{
	return crypt_b64_dec(in, out, outsz, 0);
}

long crypt_b64url_encode(const void *in, size_t n, char *out, size_t outsz)
{
	return crypt_b64_enc(in, n, out, outsz, 1);
}

long crypt_b64url_decode(const char *in, void *out, size_t outsz)
{
	return crypt_b64_dec(in, out, outsz, 1);
}

/* ---- digests and comparison ------------------------------------------ */

int crypt_sha256_hex(const void *p, size_t n, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	int result = -1;

	out[0] = '\0';
	if (p == NULL && n != 0)
		goto out;
	if (p == NULL)
		p = "";
	if (EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		goto out;
	for (i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0x0F];
	}
	out[64] = '\0';
	result = 0;
out:
	OPENSSL_cleanse(md, sizeof(md));
	return result;
}

/*
 * HMAC-SHA-256 (RFC 2104) over SHA-256 fetched once.  OpenSSL 3's HMAC()
 * looks "HMAC" and "SHA256" up by name under a lock on every call; a page
 * computes several MACs, from several threads at once.
 */
static EVP_MD *hmac_md;
static pthread_once_t hmac_md_once = PTHREAD_ONCE_INIT;

static void hmac_md_fetch(void)
{
	hmac_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

int crypt_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
		      uint8_t out[32])
{
	unsigned char k[64] = {0}, pad[64], inner[32];
	unsigned int len = 0;
	EVP_MD_CTX *ctx = NULL;
	int result = -1;

	if ((key == NULL && keylen != 0) || (msg == NULL && msglen != 0))
		goto out;
	if (pthread_once(&hmac_md_once, hmac_md_fetch) != 0 || hmac_md == NULL)
		goto out;
	if (msg == NULL)
		msg = "";
	if (keylen > sizeof(k)) {
		/* a key longer than the block is hashed first */
		if (EVP_Digest(key, keylen, k, &len, hmac_md, NULL) != 1 || len != 32)
			goto out;
	} else if (keylen > 0) {
		memcpy(k, key, keylen);
	}
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		goto out;
	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] = k[i] ^ 0x36;
	if (EVP_DigestInit_ex(ctx, hmac_md, NULL) != 1 ||
	    EVP_DigestUpdate(ctx, pad, sizeof(pad)) != 1 ||
	    EVP_DigestUpdate(ctx, msg, msglen) != 1 || EVP_DigestFinal_ex(ctx, inner, &len) != 1 ||
	    len != 32)
		goto out;
	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] = k[i] ^ 0x5c;
	if (EVP_DigestInit_ex(ctx, hmac_md, NULL) != 1 ||
	    EVP_DigestUpdate(ctx, pad, sizeof(pad)) != 1 ||
	    EVP_DigestUpdate(ctx, inner, sizeof(inner)) != 1 ||
	    EVP_DigestFinal_ex(ctx, out, &len) != 1 || len != 32)
		goto out;
	result = 0;
out:
	EVP_MD_CTX_free(ctx);
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(pad, sizeof(pad));
	OPENSSL_cleanse(inner, sizeof(inner));
	if (result != 0)
		OPENSSL_cleanse(out, 32);
	return result;
}

int crypt_ct_equal(const void *a, const void *b, size_t n)
{
	if (n == 0)
		return 1;
	if (a == NULL || b == NULL)
		return 0;
	return CRYPTO_memcmp(a, b, n) == 0;
}

int crypt_ct_streq(const char *a, const char *b)
{
	size_t la, lb, n, i;
	unsigned int diff;
	unsigned char ca, cb;

	if (a == NULL || b == NULL)
		return 0;
	la = strlen(a);
	lb = strlen(b);
	n = la > lb ? la : lb;
	diff = la != lb;
	for (i = 0; i < n; i++) {
		/* Past its end a string reads as NUL, which always differs. */
		ca = i < la ? (unsigned char)a[i] : 0;
		cb = i < lb ? (unsigned char)b[i] : 0;
		diff |= (unsigned int)(ca ^ cb);
	}
	return diff == 0;
}

/* ---- AES-256-GCM ----------------------------------------------------- */

int crypt_seal(const uint8_t key[32], const void *pt, size_t ptlen, const void *aad, size_t aadlen,
	       struct buf *out)
{
	EVP_CIPHER_CTX *ctx = NULL;
	unsigned char *box = NULL;
	size_t boxlen = 0;
	int result = -1, len = 0, total = 0;

	if (key == NULL || out == NULL || (pt == NULL && ptlen != 0) ||
	    (aad == NULL && aadlen != 0))
		goto out;
	if (ptlen > (size_t)INT_MAX - CRYPT_SEAL_OVERHEAD || aadlen > INT_MAX)
		goto out;
	boxlen = CRYPT_NONCE_LEN + ptlen + CRYPT_TAG_LEN;
	if ((box = malloc(boxlen)) == NULL)
		goto out;
	if (crypt_random(box, CRYPT_NONCE_LEN) != 0)
		goto out;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		goto out;
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, CRYPT_NONCE_LEN, NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, key, box) != 1)
		goto out;
	if (aadlen > 0 && EVP_EncryptUpdate(ctx, NULL, &len, aad, (int)aadlen) != 1)
		goto out;
	if (ptlen > 0) {
		if (EVP_EncryptUpdate(ctx, box + CRYPT_NONCE_LEN, &len, pt, (int)ptlen) != 1)
			goto out;
		total = len;
	}
	if (EVP_EncryptFinal_ex(ctx, box + CRYPT_NONCE_LEN + total, &len) != 1)
		goto out;
	total += len;
	if ((size_t)total != ptlen)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, CRYPT_TAG_LEN,
				box + CRYPT_NONCE_LEN + ptlen) != 1)
		goto out;
	if (buf_append(out, box, boxlen) != 0)
		goto out;
	result = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	if (box != NULL) {
		OPENSSL_cleanse(box, boxlen);
		free(box);
	}
	return result;
}

int crypt_open(const uint8_t key[32], const void *in, size_t inlen, const void *aad, size_t aadlen,
	       struct buf *out)
{
	const unsigned char *p = in;
	EVP_CIPHER_CTX *ctx = NULL;
	unsigned char *pt = NULL;
	unsigned char tag[CRYPT_TAG_LEN];
	size_t ctlen = 0;
	int result = -1, len = 0, total = 0;

	if (key == NULL || in == NULL || out == NULL || (aad == NULL && aadlen != 0))
		goto out;
	if (inlen < CRYPT_SEAL_OVERHEAD || inlen > INT_MAX || aadlen > INT_MAX)
		goto out;
	ctlen = inlen - CRYPT_SEAL_OVERHEAD;
	if ((pt = malloc(ctlen + 1)) == NULL)
		goto out;
	memcpy(tag, p + inlen - CRYPT_TAG_LEN, CRYPT_TAG_LEN);
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		goto out;
	if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, CRYPT_NONCE_LEN, NULL) != 1 ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, key, p) != 1)
		goto out;
	if (aadlen > 0 && EVP_DecryptUpdate(ctx, NULL, &len, aad, (int)aadlen) != 1)
		goto out;
	if (ctlen > 0) {
		if (EVP_DecryptUpdate(ctx, pt, &len, p + CRYPT_NONCE_LEN, (int)ctlen) != 1)
			goto out;
		total = len;
	}
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, CRYPT_TAG_LEN, tag) != 1)
		goto out;
	/* The tag is checked here; nothing is released before it passes. */
	if (EVP_DecryptFinal_ex(ctx, pt + total, &len) != 1)
		goto out;
	total += len;
	if ((size_t)total != ctlen)
		goto out;
	if (buf_append(out, pt, ctlen) != 0)
		goto out;
	result = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	if (pt != NULL) {
		OPENSSL_cleanse(pt, ctlen + 1);
		free(pt);
	}
	return result;
}

/* ---- passwords ------------------------------------------------------- */

/*
 * libxcrypt refuses passphrases of CRYPT_MAX_PASSPHRASE_SIZE (512) bytes
 * or more, but we accept up to CRYPT_PASSWORD_MAX.  A password that long
 * is replaced by a fixed label and its SHA-256 in hex (79 bytes) before
 * it reaches yescrypt; shorter passwords go in unchanged, so ordinary
 * hashes stay plain yescrypt of the password.
 */
#ifndef CRYPT_MAX_PASSPHRASE_SIZE
#define CRYPT_MAX_PASSPHRASE_SIZE 512
#endif
#define CRYPT_PREHASH_LABEL "jetstack-prehash-sha256:"
#define CRYPT_PREHASH_SIZE  (sizeof(CRYPT_PREHASH_LABEL) - 1 + CRYPT_HEX_SHA256_LEN + 1)

/*
 * The phrase to hand to yescrypt for pw: pw itself, or its pre-hash built
 * in tmp (cleansed by the caller).  NULL when pw is NULL or over-long.
 */
static const char *crypt_phrase(const char *pw, char tmp[CRYPT_PREHASH_SIZE])
{
	size_t len, plen = sizeof(CRYPT_PREHASH_LABEL) - 1;

	if (pw == NULL || memchr(pw, '\0', CRYPT_PASSWORD_MAX + 1) == NULL)
		return NULL;
	len = strlen(pw);
	if (len < CRYPT_MAX_PASSPHRASE_SIZE)
		return pw;
	memcpy(tmp, CRYPT_PREHASH_LABEL, plen);
	if (crypt_sha256_hex(pw, len, tmp + plen) != 0)
		return NULL;
	return tmp;
}

/* 1 when hash looks like a yescrypt string we may hand to crypt_ra. */
static int crypt_hash_ok(const char *hash)
{
	return hash != NULL &&
	       strncmp(hash, CRYPT_YESCRYPT_PREFIX, strlen(CRYPT_YESCRYPT_PREFIX)) == 0 &&
	       memchr(hash, '\0', CRYPT_OUTPUT_SIZE) != NULL;
}

/*
 * yescrypt pw with setting (a salt or a full hash).  Returns the hash in
 * *data's allocation (freed by crypt_scratch_free), or NULL on failure.
 */
static const char *crypt_run(const char *pw, const char *setting, void **data, int *size)
{
	const char *h;

	h = crypt_ra(pw, setting, data, size);
	if (h == NULL || h[0] == '*')
		return NULL;
	return h;
}

static void crypt_scratch_free(void *data, int size)
{
	if (data != NULL) {
		if (size > 0)
			OPENSSL_cleanse(data, (size_t)size);
		free(data);
	}
}

int crypt_password_hash(const char *pw, char **out)
{
	char tmp[CRYPT_PREHASH_SIZE];
	char *setting = NULL;
	void *data = NULL;
	int size = 0, result = -1;
	const char *phrase, *h;
	size_t hlen;

	if (out == NULL)
		goto out;
	*out = NULL;
	if ((phrase = crypt_phrase(pw, tmp)) == NULL)
		goto out;
	if ((setting = crypt_gensalt_ra(CRYPT_YESCRYPT_PREFIX, 0, NULL, 0)) == NULL)
		goto out;
	if ((h = crypt_run(phrase, setting, &data, &size)) == NULL || !crypt_hash_ok(h))
		goto out;
	hlen = strlen(h);
	if ((*out = malloc(hlen + 1)) == NULL)
		goto out;
	memcpy(*out, h, hlen + 1);
	result = 0;
out:
	OPENSSL_cleanse(tmp, sizeof(tmp));
	crypt_scratch_free(data, size);
	free(setting);
	return result;
}

int crypt_password_verify(const char *pw, const char *hash)
{
	char tmp[CRYPT_PREHASH_SIZE];
	void *data = NULL;
	int size = 0, result = -1;
	const char *phrase, *h;

	if ((phrase = crypt_phrase(pw, tmp)) == NULL || !crypt_hash_ok(hash))
		goto out;
	if ((h = crypt_run(phrase, hash, &data, &size)) == NULL)
		goto out;
	result = crypt_ct_streq(h, hash);
out:
	OPENSSL_cleanse(tmp, sizeof(tmp));
	crypt_scratch_free(data, size);
	return result;
}

void crypt_password_dummy_verify(const char *pw)
{
	char tmp[CRYPT_PREHASH_SIZE];
	void *data = NULL;
	int size = 0;
	const char *phrase;

	if ((phrase = crypt_phrase(pw, tmp)) == NULL)
		goto out;
	(void)crypt_run(phrase, crypt_dummy_hash, &data, &size);
out:
	OPENSSL_cleanse(tmp, sizeof(tmp));
	crypt_scratch_free(data, size);
}

/* ---- keys ------------------------------------------------------------ */

int crypt_key_from_b64(const char *b64, uint8_t key[32])
{
	/* Room for more than 32 bytes, so that a longer key is seen as such. */
	unsigned char tmp[CRYPT_KEY_LEN + 3];
	int result = -1;

	if (key == NULL)
		goto out;
	if (b64 == NULL || strlen(b64) != CRYPT_B64_LEN(CRYPT_KEY_LEN))
		goto out;
	if (crypt_b64_decode(b64, tmp, sizeof(tmp)) != CRYPT_KEY_LEN)
		goto out;
	memcpy(key, tmp, CRYPT_KEY_LEN);
	result = 0;
out:
	OPENSSL_cleanse(tmp, sizeof(tmp));
	if (result != 0 && key != NULL)
		OPENSSL_cleanse(key, CRYPT_KEY_LEN);
	return result;
}
