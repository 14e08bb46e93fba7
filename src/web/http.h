/*
 * http: the response.  Handlers fill a struct resp (status, body, redirect,
 * cookies); http_send() is the one place that writes headers, and it always
 * adds the security headers and, on private pages, no-store caching.
 */
#ifndef JS_HTTP_H
#define JS_HTTP_H

#include <cJSON.h>

#include "buf.h"
#include "req.h"

#define RESP_MAX_BODY (4 * 1024 * 1024)

struct resp {
	int status;
	const char *content_type; /* static string; default text/html */
	struct buf body;
	struct buf headers; /* extra header lines, each ending in \r\n */
	char location[2048];
	int cacheable; /* 0 (default): Cache-Control: no-store */
	/* a streamed answer (http_stream_*): HTTP_STREAM_NONE for a whole one */
	int stream;
	int stream_head; /* HEAD: the headers only */
};

enum { HTTP_STREAM_NONE, HTTP_STREAM_STARTED, HTTP_STREAM_ENDED, HTTP_STREAM_ABORTED };

/* Allow forms to be redirected to the HubSpot authorize URL's origin in the
 * Content-Security-Policy.  Call once at start-up.  0 ok, -1 bad URL. */
int http_init(const char *authorize_url);
void http_resp_init(struct resp *rs);
void http_resp_free(struct resp *rs);
/* Redirect (303 unless status given) to a path or absolute URL. Returns 0
 * or -1 when the location is too long or has a control character. */
int http_redirect(struct resp *rs, int status, const char *location);
/* Add a Set-Cookie.  max_age < 0: session cookie; 0: delete.  secure adds
 * Secure.  Cookie values are never logged. */
int http_set_cookie(struct resp *rs, const char *name, const char *value, long max_age, int secure);
/* Add a response header line (name and value without CR/LF). */
int http_add_header(struct resp *rs, const char *name, const char *value);
/* Write status line, headers and (unless HEAD) the body to io; nothing for
 * a streamed answer (http_stream_*: written already). */
int http_send(struct io *io, const struct resp *rs, int head_only);
/*
 * Streamed answers, for a body too large to hold (the activity CSV): the
 * status and headers of rs (its body unused) go out at once, without
 * Content-Length, then the body in pieces as the handler makes them.  In
 * FastCGI each piece goes straight to the web server as FCGI_STDOUT records;
 * in CGI to stdout.  Each returns 0, or -1 when the answer cannot be
 * written (the client went away).
 *
 * start: send the headers (head_only: HEAD, the pieces are dropped).
 * write: one piece of the body.
 * end: the answer is complete (FastCGI: the request's end records).
 * abort: the answer is broken: in FastCGI the connection closes without
 * the end records, so the web server cuts the client's answer short rather
 * than passing on a truncated file as whole (a CGI answer cannot say so).
 */
int http_stream_start(struct io *io, struct resp *rs, int head_only);
int http_stream_write(struct io *io, struct resp *rs, const char *p, size_t n);
int http_stream_end(struct io *io, struct resp *rs);
void http_stream_abort(struct io *io, struct resp *rs);
/* The read API's answers (issue 17 item 2): set rs to status with the
 * JSON body {"error":{"code":code,"message":message}}.  0 or -1. */
int http_json_error(struct resp *rs, int status, const char *code, const char *message);
/* Set rs to 200 with the JSON text of o (not consumed).  0 or -1. */
int http_json(struct resp *rs, int status, const cJSON *o);
/* Reason phrase for a status. */
const char *http_reason(int status);

#endif
