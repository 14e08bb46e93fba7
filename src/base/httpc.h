/*
 * httpc: one hardened libcurl easy handle, reused for every request a
 * process (or thread) makes, so connections, TLS sessions and DNS answers are
 * kept between requests.  One struct httpc per thread; never share one.
 *
 * Hardening, applied to every request:
 *   - the URL is checked by httpc_url_allowed() before anything is sent:
 *     https to any host, plain http only to a loopback host (tests and the
 *     bundled simulator); libcurl is restricted to that one protocol;
 *   - redirects are never followed; TLS peer and host verification are on;
 *   - connect and total timeouts; CURLOPT_NOSIGNAL (safe in threads);
 *   - the response body is capped while it streams in: the transfer is
 *     aborted as soon as the cap is passed and HTTPC_ERR_TOO_LARGE reported;
 *   - every curl_easy_setopt() result is checked;
 *   - nothing is logged, and error texts never contain a request body, a
 *     header value or a URL (they are fixed strings);
 *   - buffers that held a secret (form bodies, the Authorization header,
 *     response bodies) are wiped with OPENSSL_cleanse() before they are freed.
 *
 * The program must call curl_global_init(CURL_GLOBAL_DEFAULT) once at start-up,
 * before any thread starts, and curl_global_cleanup() once at exit.
 */
#ifndef JS_HTTPC_H
#define JS_HTTPC_H

#include <stddef.h>

#include <curl/curl.h>

#include "buf.h"

#define HTTPC_DEFAULT_CONNECT_TIMEOUT_MS 5000L
#define HTTPC_DEFAULT_TIMEOUT_MS	 15000L
#define HTTPC_DEFAULT_MAX_BODY		 ((size_t)1024 * 1024)
#define HTTPC_URL_MAX			 2048
#define HTTPC_USER_AGENT_MAX		 256
#define HTTPC_CONTENT_TYPE_MAX		 128
#define HTTPC_RETRY_AFTER_MAX		 86400L
#define HTTPC_RATELIMIT_DIGITS		 9  /* a rate-limit header's value: 1..9 digits */
#define HTTPC_CORRELATION_ID_MAX	 79 /* X-HubSpot-Correlation-Id kept: bytes */

enum httpc_err {
	HTTPC_OK,
	HTTPC_ERR_URL,	     /* URL refused by httpc_url_allowed() or by libcurl */
	HTTPC_ERR_ARG,	     /* bad argument (NULL, header-unsafe token, ...) */
	HTTPC_ERR_SETUP,     /* a curl_easy_setopt()/init failed */
	HTTPC_ERR_NOMEM,     /* out of memory */
	HTTPC_ERR_TIMEOUT,   /* connect or total timeout */
	HTTPC_ERR_NETWORK,   /* resolve/connect/send/receive failure */
	HTTPC_ERR_TLS,	     /* certificate or TLS verification failure */
	HTTPC_ERR_TOO_LARGE, /* body larger than max_body (transfer aborted) */
	HTTPC_ERR_TRANSFER,  /* any other libcurl failure */
	HTTPC_ERR__MAX
};

struct httpc_opts {
	long connect_timeout_ms; /* 0 = HTTPC_DEFAULT_CONNECT_TIMEOUT_MS */
	long timeout_ms;	 /* whole request; 0 = HTTPC_DEFAULT_TIMEOUT_MS */
	size_t max_body;	 /* response body cap; 0 = HTTPC_DEFAULT_MAX_BODY */
	const char *user_agent;	 /* copied; NULL = "jetstack-client-accounts" */
};

struct httpc {
	CURL *curl; /* the one reused easy handle; NULL until httpc_init() */
	long connect_timeout_ms;
	long timeout_ms;
	size_t max_body;
	char *user_agent;
};

struct httpc_resp {
	long status;	    /* HTTP status; 0 when none was received (it is kept
			     * with HTTPC_ERR_TOO_LARGE) */
	struct buf body;    /* response body, at most max_body bytes */
	char *content_type; /* Content-Type header (control chars removed), or NULL */
	long retry_after;   /* Retry-After in seconds (0..86400); 0 when absent */
	/*
	 * HubSpot's rate-limit headers (see hs.h): X-HubSpot-RateLimit-Max,
	 * -Remaining and -Interval-Milliseconds, each 0..999999999 when the
	 * answer had it once with 1..HTTPC_RATELIMIT_DIGITS digits (spaces and
	 * tabs around them allowed); -1 when absent, repeated or anything else,
	 * and when no answer arrived.  Read whenever a status was received,
	 * also with HTTPC_ERR_TOO_LARGE.
	 */
	long rl_max;
	long rl_remaining;
	long rl_interval_ms;
	/*
	 * X-HubSpot-Correlation-Id, HubSpot's id of the request for its
	 * support (also in most error bodies as "correlationId"): kept when the
	 * answer had it once with 1..HTTPC_CORRELATION_ID_MAX visible ASCII
	 * characters (spaces and tabs around them allowed); "" otherwise.  Read
	 * whenever a status was received, as the rate-limit headers.
	 */
	char correlation_id[HTTPC_CORRELATION_ID_MAX + 1];
	enum httpc_err err; /* HTTPC_OK when a response was received */
	int curl_code;	    /* the CURLcode behind err, for diagnostics */
};

/*
 * Initialise h with one easy handle and the given options (opts may be NULL
 * for the defaults).  Returns HTTPC_OK, HTTPC_ERR_ARG (bad user agent) or
 * HTTPC_ERR_NOMEM/HTTPC_ERR_SETUP.
 * Ownership: h owns the handle and the user-agent copy; release them with
 * httpc_cleanup(), also after a failed init.
 */
enum httpc_err httpc_init(struct httpc *h, const struct httpc_opts *opts);

/*
 * Release the handle (closing its cached connections).  Safe on a zeroed or
 * already cleaned-up struct.
 */
void httpc_cleanup(struct httpc *h);

/*
 * POST an application/x-www-form-urlencoded body built from fields, a
 * NULL-terminated list of name, value pairs (each escaped with
 * curl_easy_escape()), to url, and store the answer in *out.
 * Returns out->err: HTTPC_OK when any HTTP response arrived (check
 * out->status), else the failure.  The encoded body is wiped from memory
 * after the request.
 * Ownership: *out is initialised here (its previous contents are not freed);
 * the caller frees it with httpc_resp_free(), whatever the result.
 */
enum httpc_err httpc_post_form(struct httpc *h, const char *url, const char *const *fields,
			       struct httpc_resp *out);

/*
 * GET url with "Authorization: Bearer <bearer>" and "Accept: application/json".
 * bearer must be 1..4096 visible ASCII characters (no spaces or control
 * characters: no header injection); else HTTPC_ERR_ARG and nothing is sent.
 * Returns and fills *out as httpc_post_form().
 * Ownership: as httpc_post_form(); bearer stays the caller's.
 */
enum httpc_err httpc_get_bearer(struct httpc *h, const char *url, const char *bearer,
				struct httpc_resp *out);

/*
 * As httpc_get_bearer(), with the response body capped at max_body bytes
 * for this request instead of the client's max_body (0: the client's).
 * For the few answers that are larger by nature (HubSpot's property lists).
 */
enum httpc_err httpc_get_bearer_max(struct httpc *h, const char *url, const char *bearer,
				    size_t max_body, struct httpc_resp *out);

/* The methods of httpc_send_json_bearer(). */
enum httpc_method { HTTPC_POST, HTTPC_PATCH };

/*
 * Send the JSON text body (len bytes; it is not checked) with method to url,
 * with "Authorization: Bearer <bearer>", "Content-Type: application/json"
 * and "Accept: application/json" (and no "Expect: 100-continue"); the
 * response body capped at max_body bytes (0: the client's max_body).
 * bearer as for httpc_get_bearer() (else HTTPC_ERR_ARG and nothing is
 * sent); body may not be NULL.  The same hardening as every request, and
 * *out filled as httpc_post_form() (status, body, rate-limit headers,
 * correlation id).
 * Ownership: as httpc_post_form(); bearer and body stay the caller's.
 */
enum httpc_err httpc_send_json_bearer(struct httpc *h, enum httpc_method method, const char *url,
				      const char *bearer, const char *body, size_t len,
				      size_t max_body, struct httpc_resp *out);

/* Free what *r holds and zero it.  Safe on a zeroed or already-freed struct. */
void httpc_resp_free(struct httpc_resp *r);

/*
 * Whether url may be requested: 1 when it is "https://" + host, or
 * "http://" + a loopback host written exactly 127.0.0.1, [::1] or localhost;
 * 0 otherwise.  Lower-case scheme only; no user info ("user:pw@"), no
 * fragment, no spaces, control or non-ASCII characters, no backslash; port
 * 1..65535 when given; at most HTTPC_URL_MAX bytes.  The host is
 * cross-checked against libcurl's own URL parser.  Pure; no allocation kept.
 */
int httpc_url_allowed(const char *url);

/*
 * Whether s is 1..max visible ASCII characters (0x21..0x7e): what may be
 * sent as a token, code or secret, or kept as one.  0 for NULL.  Pure.
 */
int httpc_visible_ascii(const char *s, size_t max);

/* A fixed, lower-case description of e (never NULL). */
const char *httpc_strerror(enum httpc_err e);

#endif
