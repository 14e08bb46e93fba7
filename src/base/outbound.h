/*
 * outbound: HTTP POSTs of JSON to an agency's own webhook endpoints, the
 * URLs an owner typed, so every request is guarded against being turned on
 * our own network (server-side request forgery).
 *
 * The hardening of httpc (httpc.h), on a fresh easy handle per request:
 * libcurl restricted to the URL's one protocol (https, or http when the
 * operator allows it); redirects never followed; TLS peer and host
 * verification on (TLS 1.2 at least); no signals, no .netrc, no proxy from the
 * environment, verbose off; connect and total timeouts; the answer's body
 * capped while it streams in; every curl_easy_setopt() checked.
 *
 * And, for a URL typed by someone outside:
 *   - the URL is checked first (outbound_url_ok());
 *   - the host is resolved once (getaddrinfo) and every address it has must
 *     be a public unicast address (outbound_addr_public()) unless the
 *     operator allows private ones;
 *   - libcurl is pinned to the addresses checked (CURLOPT_RESOLVE), so a
 *     second DNS answer cannot swap them (DNS rebinding), and each socket it
 *     opens is checked again against that list (CURLOPT_OPENSOCKETFUNCTION);
 *   - the extra headers are checked (no CR, LF or other control character,
 *     a token for a name, none of the headers that frame the request).
 *
 * Nothing is logged.  resp->error is one line of printable ASCII: a fixed
 * text, the address refused, or libcurl's error text; never a header value
 * or the body.
 *
 * The program must call curl_global_init(CURL_GLOBAL_DEFAULT) once at start-up,
 * before any thread starts (httpc.h).  outbound_post() keeps no state
 * between calls and is thread-safe.  Name resolution is getaddrinfo(), which
 * timeout_ms does not bound.
 */
#ifndef JS_OUTBOUND_H
#define JS_OUTBOUND_H

#include <stddef.h>

#include <sys/socket.h>

#define OUTBOUND_URL_MAX		    2048
#define OUTBOUND_BODY_SHOWN		    1024 /* bytes of the answer's body kept */
#define OUTBOUND_BODY_MAX		    ((size_t)1024 * 1024) /* request body, bytes */
#define OUTBOUND_HEADERS_MAX		    32			  /* extra headers per request */
#define OUTBOUND_HEADER_MAX		    8192		  /* one extra header line, bytes */
#define OUTBOUND_ADDRS_MAX		    16			  /* addresses of a host pinned */
#define OUTBOUND_DEFAULT_CONNECT_TIMEOUT_MS 5000L
#define OUTBOUND_DEFAULT_TIMEOUT_MS	    15000L

struct outbound_opts {
	int allow_http;		 /* plain http:// allowed (operator setting; tests and make run) */
	int allow_private;	 /* private, loopback, link-local, unique-local, CGNAT,
				  * multicast, unspecified addresses allowed (same) */
	long connect_timeout_ms; /* <= 0: OUTBOUND_DEFAULT_CONNECT_TIMEOUT_MS */
	long timeout_ms;	 /* the whole request; <= 0: OUTBOUND_DEFAULT_TIMEOUT_MS */
};

struct outbound_resp {
	long status;	 /* the answer's HTTP status; 0: no answer */
	long latency_ms; /* the call's duration, name resolution included */
	/*
	 * The answer's body, cut at OUTBOUND_BODY_SHOWN bytes (the transfer
	 * is stopped there), NUL-terminated, printable for a log page: control
	 * characters other than \n and \t, DEL and bytes that are not valid
	 * UTF-8 (a sequence cut at the end included) become spaces.
	 */
	char body[OUTBOUND_BODY_SHOWN + 1];
	/*
	 * What failed, one line of printable ASCII: set when status is 0 (a
	 * refusal, no answer); also when an answer arrived but its transfer
	 * then failed (status kept).  "" otherwise.
	 */
	char error[256];
	/*
	 * 1: not sent because the URL, one of its addresses, a header or the
	 * body is not allowed (the reason in error); sending again will not
	 * help.  0 otherwise.
	 */
	int refused;
};

/*
 * Check a URL an owner typed for an endpoint: "https://" (or "http://" when
 * o->allow_http) in lower case, then a host: a DNS name (letters, digits,
 * '-' and '.'; labels of 1..63 characters; no trailing dot), a dotted IPv4
 * address or a bracketed IPv6 address (no zone); an optional port 1..65535;
 * then a path and query.  No user info ("user@"), no fragment ('#'), no
 * spaces, backslashes, control or non-ASCII characters; at most
 * OUTBOUND_URL_MAX bytes; libcurl's own URL parser must find the same host.
 * 1 when it is ok; 0 with the reason (one line, lower case) in why (whylen
 * bytes; why may be NULL).  o may be NULL (nothing allowed).  Pure: no DNS,
 * no allocation kept.
 */
int outbound_url_ok(const char *url, const struct outbound_opts *o, char *why, size_t whylen);

/*
 * POST body (len bytes of JSON; NULL when len is 0) to url with
 * "Content-Type: application/json" and the nheaders extra headers (each a
 * "Name: value" line without CR/LF: a token for a name, 1..
 * OUTBOUND_HEADER_MAX bytes of visible ASCII, spaces and tabs; not Host,
 * Content-Type, Content-Length, Transfer-Encoding, Connection, Expect, TE,
 * Upgrade, Trailer, Keep-Alive or Proxy-*; at most OUTBOUND_HEADERS_MAX).
 * The host is resolved first; every address must be allowed (see
 * o->allow_private), and libcurl is pinned to them.  o may be NULL (https to
 * public addresses, default timeouts).
 * Returns 0 with *out filled whatever happened (2xx is the caller's test of
 * success; out->refused and out->error say why nothing was sent), -1 only
 * when memory ran out (*out then says so in error).
 * Ownership: *out is the caller's, overwritten here; nothing to free.
 */
int outbound_post(const char *url, const char *const *headers, size_t nheaders, const char *body,
		  size_t len, const struct outbound_opts *o, struct outbound_resp *out);

/*
 * 1 when sa (an AF_INET or AF_INET6 sockaddr, as from getaddrinfo) is a
 * public unicast address: none of the special-purpose blocks listed in
 * outbound.c (RFC 6890 and its updates); an IPv6 address that embeds an
 * IPv4 one (mapped, NAT64, 6to4) is judged by that address.  0 otherwise,
 * also for NULL or another family.  Pure.
 */
int outbound_addr_public(const struct sockaddr *sa);

#endif
