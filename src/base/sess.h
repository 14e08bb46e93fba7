/*
 * sess: session tokens, CSRF tokens and OAuth state values.
 *
 * Pure functions with no database access: the caller stores session rows
 * (keyed by sess_id_hash, never by the session id itself) and OAuth state
 * rows (keyed by sess_state_hash).  The session cookie carries an HS256
 * JWT (libjwt 1.10) whose only custom grant is the session id "sid".
 */
#ifndef JS_SESS_H
#define JS_SESS_H

#include <stddef.h>
#include <stdint.h>

#define SESS_RANDOM_LEN 43   /* sess_new_id / sess_state_new / CSRF token length */
#define SESS_SID_MAX	64   /* longest "sid" grant accepted */
#define SESS_JWT_MAX	4096 /* longest token sess_jwt_verify will decode */
#define SESS_KEY_MIN	32   /* shortest HMAC key accepted (RFC 7518 3.2) */
#define SESS_BOUND_MAX	256  /* longest CSRF "bound" value accepted */

/*
 * Sign an HS256 JWT with grants sid, iat and exp.  key must hold at least
 * SESS_KEY_MIN bytes; sid must be 1..SESS_SID_MAX chars of [A-Za-z0-9_-].
 * Returns a malloc'd NUL-terminated token the caller frees with free(),
 * or NULL on bad arguments or failure.
 */
char *sess_jwt_sign(const uint8_t *key, size_t keylen, const char *sid, long iat, long exp);
/* The same with an "org" grant when org > 0: the session's organisation,
 * so that a page can be read in the same round trip as the session check
 * (the check itself still decides; see auth_load_with). */
char *sess_jwt_sign_org(const uint8_t *key, size_t keylen, const char *sid, long long org, long iat,
			long exp);

/*
 * Verify a token from sess_jwt_sign at time now and copy its sid into
 * sid (capacity sidlen bytes including the NUL).  Returns 0 when the token
 * is at most SESS_JWT_MAX chars, its HS256 signature matches key (checked
 * in constant time before libjwt sees it), its header says HS256, it has
 * an integer exp > now and its sid is well formed and fits.  Returns -1
 * otherwise, with sid set to "" (when sidlen > 0).  iat is not checked.
 * Nothing is allocated for the caller.
 */
int sess_jwt_verify(const char *token, const uint8_t *key, size_t keylen, long now, char *sid,
		    size_t sidlen);
/* The same, also giving the "org" grant in *org (0 when absent or not a
 * positive integer; org may be NULL). */
int sess_jwt_verify_org(const char *token, const uint8_t *key, size_t keylen, long now, char *sid,
			size_t sidlen, long long *org);

/*
 * What a session cookie's token stands for, as sess_open() gives it.
 */
struct sess_token_info {
	char sid_hash[65]; /* sess_id_hash() of its sid grant: the session row's key */
	long long org;	   /* its org grant; 0 when absent */
	char csrf[44];	   /* sess_csrf_token() bound to sid_hash ("" if that failed) */
};

/*
 * sess_jwt_verify_org() of token at now followed by sess_id_hash() of its
 * sid and sess_csrf_token() of that hash, into *out: 0, or -1 (*out zeroed) exactly when
 * sess_jwt_verify_org() refuses the token.  Remembered per thread (issue 19 item 3): the answers
 * for the last SESS_MEMO_SLOTS tokens that passed, each found again only
 * by all of its bytes and under the same key, its exp still compared with
 * now on every use.  A token that failed is never remembered.  It decides
 * nothing about the session itself: the caller still checks the session's
 * row on every request.
 */
#define SESS_MEMO_SLOTS 8
int sess_open(const char *token, const uint8_t *key, size_t keylen, long now,
	      struct sess_token_info *out);

/*
 * A new session id: 32 random bytes as 43 base64url chars plus NUL.
 * Returns 0, or -1 when the RNG fails (out is then "").
 */
int sess_new_id(char out[44]);

/*
 * The value stored in the database for a session id: lowercase sha256
 * hex of the string sid.  Returns 0, or -1 (out is then "").
 */
int sess_id_hash(const char *sid, char out[65]);

/*
 * 1 when s has the exact form sess_new_id and sess_state_new produce
 * (43 base64url chars), else 0.  For checking cookie and query values
 * before they are hashed or looked up.
 */
int sess_random_valid(const char *s);

/*
 * CSRF token for a form: base64url(HMAC-SHA256(key, "csrf:" || bound)),
 * 43 chars plus NUL.  bound is the session id for signed-in forms, or a
 * random pre-session cookie value for the login form; it must be
 * 1..SESS_BOUND_MAX bytes.  key must hold at least SESS_KEY_MIN bytes.
 * Returns 0, or -1 (out is then "").
 */
int sess_csrf_token(const uint8_t *key, size_t keylen, const char *bound, char out[44]);

/*
 * 1 when token is the CSRF token for key and bound (compared in constant
 * time), 0 otherwise, including on any bad argument.
 */
int sess_csrf_check(const uint8_t *key, size_t keylen, const char *bound, const char *token);

/*
 * A new OAuth state value: 32 random bytes (256 bits) as 43 base64url
 * chars plus NUL.  Returns 0, or -1 (out is then "").
 */
int sess_state_new(char out[44]);

/*
 * The value stored in the database for a state: lowercase sha256 hex of
 * the string state.  Returns 0, or -1 (out is then "").
 */
int sess_state_hash(const char *state, char out[65]);

#endif
