/*
 * smtp: one message to one recipient through libcurl's SMTP, with the same
 * hardening as httpc (httpc.h): a fresh easy handle per message; libcurl
 * restricted to the URL's one protocol (smtp or smtps); no redirects, no
 * signals, no .netrc, no proxy from the environment, verbose off; TLS peer
 * and host verification always on (TLS 1.2 at least); connect and total
 * timeouts; every curl_easy_setopt() checked.
 *
 * TLS: smtps:// is TLS from the first byte; smtp:// upgrades with STARTTLS
 * and, while cfg->starttls is set (the default), refuses to go on in clear
 * when the server does not offer it or refuses it (CURLUSESSL_ALL), so
 * neither the credentials nor the message are ever sent unencrypted then.
 *
 * Nothing is logged.  Error texts are one line of printable ASCII: libcurl's
 * error text and, when the server refused, its last reply line; never the
 * password, never the message.
 *
 * The program must call curl_global_init(CURL_GLOBAL_DEFAULT) once at start-up,
 * before any thread starts (httpc.h).  smtp_send() is thread-safe: it keeps no
 * state between calls.
 */
#ifndef JS_SMTP_H
#define JS_SMTP_H

#include <stddef.h>

#define SMTP_DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define SMTP_DEFAULT_TIMEOUT_MS		60000L
#define SMTP_URL_MAX			512
#define SMTP_ADDR_MAX			254 /* RFC 5321 4.5.3.1.3: a path is 256 with <> */
#define SMTP_LOCAL_MAX			64  /* RFC 5321 4.5.3.1.1 */
#define SMTP_CRED_MAX			256 /* user name or password, bytes */
#define SMTP_LINE_MAX			998 /* RFC 5322 2.1.1, without the CRLF */
#define SMTP_MESSAGE_MAX		((size_t)10 * 1024 * 1024)
#define SMTP_ERR_MIN			128 /* an err buffer this size holds a useful text */

struct smtp_config {
	const char *url;	     /* smtp://host[:port][/ehlo-name] or smtps://...
				      * (JETSTACK_SMTP_URL); see smtp_url_ok() */
	const char *user, *password; /* NULL or "" user: no AUTH */
	const char *from;	     /* envelope sender (MAIL FROM), smtp_addr_ok() */
	const char *ca_file;	     /* NULL or "": the system's CAs */
	int starttls;		     /* smtp:// only: 1 = STARTTLS required (the default);
				      * 0 = the operator turned it off: plain SMTP, no TLS */
	long connect_timeout_ms;     /* <= 0: SMTP_DEFAULT_CONNECT_TIMEOUT_MS */
	long timeout_ms;	     /* the whole exchange; <= 0: SMTP_DEFAULT_TIMEOUT_MS */
};

enum smtp_result {
	SMTP_SENT,	/* the server accepted the message (250 after DATA) */
	SMTP_TRANSIENT, /* try again later: 4xx, network, timeout, TLS, STARTTLS missing */
	SMTP_PERMANENT, /* the server refused this message or recipient with a 5xx */
	SMTP_CONFIG,	/* our configuration or arguments are wrong; see smtp_send() */
	SMTP__MAX
};

/*
 * Send message (len bytes: a complete RFC 5322 message with the caller's
 * headers, CRLF line endings) from cfg->from to rcpt, one transaction on a
 * new connection.
 *
 * Refused before anything is sent, with SMTP_CONFIG: a URL that
 * smtp_url_ok() refuses; rcpt or cfg->from that smtp_addr_ok() refuses; a
 * message that is empty, over SMTP_MESSAGE_MAX, holds a NUL, a CR or LF not
 * in a CRLF pair (no bare line ends: SMTP smuggling) or a line over
 * SMTP_LINE_MAX; a user name with control characters or a user name or
 * password over SMTP_CRED_MAX.  8-bit bytes are passed as they are.
 *
 * After a transfer (the libcurl code and the server's last reply code):
 *   SMTP_SENT       libcurl succeeded: the end of DATA was answered 250;
 *   SMTP_CONFIG     the CA file cannot be read; the server refused our AUTH
 *                   (535, 534, 538, no mechanism in common) or demands what
 *                   we are not configured for (530: AUTH or STARTTLS first);
 *   SMTP_TRANSIENT  STARTTLS not offered or refused while required (never
 *                   sent in clear), a TLS handshake or certificate failure,
 *                   resolve/connect failure, reset, timeout, any 4xx reply;
 *   SMTP_PERMANENT  any other 5xx reply (MAIL, RCPT, DATA or its end);
 *   SMTP_TRANSIENT  anything else (no reply code, out of memory, ...).
 * A timeout or reset after the end of DATA was sent may leave a message the
 * server did accept: SMTP cannot tell; a retry may then deliver it twice.
 *
 * err (errlen bytes, SMTP_ERR_MIN or more is useful; may be NULL/0) gets a
 * one-line text without control characters, "" on SMTP_SENT.
 * Ownership: nothing is kept; cfg, rcpt and message stay the caller's.
 */
enum smtp_result smtp_send(const struct smtp_config *cfg, const char *rcpt, const char *message,
			   size_t len, char *err, size_t errlen);

/*
 * The class of a finished transfer: curl_code is its CURLcode and
 * reply_code the server's last reply code (CURLINFO_RESPONSE_CODE; 0 when
 * none), per the table above smtp_send().  Pure.
 */
enum smtp_result smtp_classify(int curl_code, long reply_code);

/*
 * Whether addr is a plain addr-spec usable as an SMTP path: a dot-string
 * local part (RFC 5321 4.1.2: atext and single inner dots; no quoted
 * strings) of 1..SMTP_LOCAL_MAX bytes, one '@', and a domain of labels of
 * letters, digits and inner '-' (1..63 bytes each) joined by single dots;
 * SMTP_ADDR_MAX bytes at most.  So no
 * spaces, control characters, '<' or '>', and no non-ASCII (no SMTPUTF8).
 * 0 for NULL.  Pure.
 */
int smtp_addr_ok(const char *addr);

/*
 * Whether url is "smtp://" or "smtps://" (lower case) + host [":" port]
 * [ "/" ehlo-name ], host a DNS name, an IPv4 address or a bracketed IPv6
 * address, ehlo-name a domain as in smtp_addr_ok() (libcurl uses the path
 * as the EHLO name; without one it sends the machine's host name).  No user
 * info (credentials go in cfg->user and cfg->password), query or fragment;
 * printable ASCII only; at most SMTP_URL_MAX bytes.  Cross-checked with
 * libcurl's URL parser.  0 for NULL.  Pure.
 */
int smtp_url_ok(const char *url);

/* A fixed, lower-case name of r ("sent", "transient failure", ...; never NULL). */
const char *smtp_strresult(enum smtp_result r);

#endif
