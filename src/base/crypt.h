/*
 * crypt: the one place that touches cryptographic primitives.
 *
 * Random bytes, strict base64 / base64url, SHA-256, HMAC-SHA-256,
 * constant-time comparison, AES-256-GCM sealing of stored secrets and
 * yescrypt password hashing.  Everything here is a pure function of its
 * arguments (plus the system RNG); nothing is kept between calls.
 *
 * Named JS_CRYPT_H and never including libcrypt's <crypt.h>, whose names
 * (crypt, crypt_r, crypt_ra, crypt_gensalt*, ...) share our prefix.
 */
#ifndef JS_CRYPT_H
#define JS_CRYPT_H

#include <stddef.h>
#include <stdint.h>

struct buf;

/* Sizes of encodings, without the NUL. */
#define CRYPT_B64_LEN(n)    ((((n) + 2) / 3) * 4)
#define CRYPT_B64URL_LEN(n) (((n)*4 + 2) / 3)

#define CRYPT_KEY_LEN	     32 /* AES-256 / HMAC key bytes */
#define CRYPT_NONCE_LEN	     12 /* AES-GCM nonce, first bytes of a sealed box */
#define CRYPT_TAG_LEN	     16 /* AES-GCM tag, last bytes of a sealed box */
#define CRYPT_SEAL_OVERHEAD  (CRYPT_NONCE_LEN + CRYPT_TAG_LEN)
#define CRYPT_HEX_SHA256_LEN 64	  /* lowercase hex digest, without the NUL */
#define CRYPT_PASSWORD_MAX   1024 /* longest password accepted, in bytes */

/*
 * Fill p with n bytes from the OpenSSL CSPRNG.
 * Returns 0, or -1 when the RNG fails (p is then zeroed).
 */
int crypt_random(void *p, size_t n);

/*
 * Standard base64 (RFC 4648 section 4, with '=' padding) of n bytes into
 * out, which has room for outsz bytes including the NUL
 * (CRYPT_B64_LEN(n) + 1).  Returns the length written (without the NUL),
 * or -1 when out is too small.  The caller owns both buffers.
 */
long crypt_b64_encode(const void *in, size_t n, char *out, size_t outsz);

/*
 * Strict standard base64 decode of the NUL-terminated string in into out
 * (capacity outsz bytes).  Rejects characters outside the alphabet
 * (whitespace included), a length that is not a multiple of 4, misplaced
 * padding and non-zero pad bits.  Returns the number of bytes decoded, or
 * -1 (out may then hold partial data; it is cleansed).
 */
long crypt_b64_decode(const char *in, void *out, size_t outsz);

/*
 * base64url (RFC 4648 section 5) without padding; same contract as
 * crypt_b64_encode, out needs CRYPT_B64URL_LEN(n) + 1 bytes.
 */
long crypt_b64url_encode(const void *in, size_t n, char *out, size_t outsz);

/*
 * Strict base64url decode without padding: rejects '=', '+', '/', other
 * characters outside the alphabet, a length of 1 mod 4 and non-zero pad
 * bits.  Same return contract as crypt_b64_decode.
 */
long crypt_b64url_decode(const char *in, void *out, size_t outsz);

/*
 * SHA-256 of n bytes as 64 lowercase hex digits plus NUL in out.
 * Returns 0, or -1 on failure (out is then "").
 */
int crypt_sha256_hex(const void *p, size_t n, char out[65]);

/*
 * HMAC-SHA-256 of msg under key into out.  Returns 0, or -1 on failure
 * (out is then zeroed).
 */
int crypt_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
		      uint8_t out[32]);

/* 1 when the n bytes at a and b are equal, else 0; time depends on n only. */
int crypt_ct_equal(const void *a, const void *b, size_t n);

/*
 * 1 when the strings are equal, else 0 (also when either is NULL).  Runs
 * over the longer of the two lengths, so only the lengths leak.
 */
int crypt_ct_streq(const char *a, const char *b);

/*
 * AES-256-GCM encrypt ptlen bytes under key, authenticating aad (may be
 * NULL when aadlen is 0), and APPEND nonce(12) || ciphertext || tag(16)
 * to out.  Use the aad to bind the box to its context (e.g. portal id and
 * token kind) so it cannot be moved elsewhere.  The nonce is random: keep
 * well below 2^32 seals per key.  Returns 0, or -1 with out unchanged.
 * The caller owns out (buf_free).
 */
int crypt_seal(const uint8_t key[32], const void *pt, size_t ptlen, const void *aad, size_t aadlen,
	       struct buf *out);

/*
 * Reverse crypt_seal: verify and decrypt the box in/inlen under key and
 * aad, APPENDING the plaintext to out.  Returns 0, or -1 with out
 * unchanged on a short input, a wrong key or aad, or any altered byte.
 * The plaintext is secret: the caller should cleanse out->data before
 * buf_free.
 */
int crypt_open(const uint8_t key[32], const void *in, size_t inlen, const void *aad, size_t aadlen,
	       struct buf *out);

/*
 * Hash a password with yescrypt ("$y$", libcrypt's default cost and a
 * fresh random salt).  On success *out is a malloc'd hash string the
 * caller frees with free(), and 0 is returned.  Returns -1 (with *out
 * NULL) when pw is NULL, longer than CRYPT_PASSWORD_MAX, or hashing fails.
 * libxcrypt takes at most 511 bytes, so a password of 512 bytes or more
 * is first reduced to a labelled SHA-256 (see crypt.c); shorter ones are
 * hashed as they are, so those hashes match any yescrypt implementation.
 */
int crypt_password_hash(const char *pw, char **out);

/*
 * Check pw against a stored "$y$" hash, comparing in constant time.
 * Returns 1 on match, 0 on mismatch, -1 on error (NULL arguments, an
 * over-long password, or a hash that is not a valid yescrypt string).
 */
int crypt_password_verify(const char *pw, const char *hash);

/*
 * Run one full yescrypt of pw against a fixed dummy hash of the same cost
 * and discard the result, so that a sign-in for an unknown email takes as
 * long as one with a wrong password.  Never "matches"; no return value.
 */
void crypt_password_dummy_verify(const char *pw);

/*
 * Decode a configuration key: key receives the bytes when b64 is valid
 * standard base64 of exactly 32 bytes, and 0 is returned.  Returns -1
 * otherwise (key is then zeroed).
 */
int crypt_key_from_b64(const char *b64, uint8_t key[32]);

#endif
