/*
 * http: response headers and writing.  See http.h.
 */
#include "http.h"
#include "decimal.h"
#include "fcgi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The Content-Security-Policy, fixed at start-up (read-only afterwards). */
static char csp[1024] = "default-src 'self'; script-src 'self'; style-src 'self'; "
			"img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; "
			"base-uri 'none'; object-src 'none'";

int http_init(const char *authorize_url)
{
	const char *p = strstr(authorize_url, "://");
	size_t n;
	int k;

	if (p == NULL)
		return -1;
	n = (size_t)(p + 3 - authorize_url) + strcspn(p + 3, "/?#");
	k = snprintf(
	    csp, sizeof(csp),
	    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
	    "form-action 'self' %.*s; frame-ancestors 'none'; base-uri 'none'; "
	    "object-src 'none'",
	    (int)n, authorize_url);
	return k > 0 && (size_t)k < sizeof(csp) ? 0 : -1;
}

void http_resp_init(struct resp *rs)
{
	memset(rs, 0, sizeof(*rs));
	rs->status = 200;
	rs->content_type = "text/html; charset=utf-8";
	buf_init(&rs->body, RESP_MAX_BODY);
	buf_init(&rs->headers, 16384);
}

void http_resp_free(struct resp *rs)
{
	buf_free(&rs->body);
	buf_free(&rs->headers);
}

static int has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

int http_redirect(struct resp *rs, int status, const char *location)
{
	size_t n = strlen(location);

	if (n >= sizeof(rs->location) || has_ctl(location))
		return -1;
	memcpy(rs->location, location, n + 1);
	rs->status = status ? status : 303;
	return 0;
}

int http_add_header(struct resp *rs, const char *name, const char *value)
{
	if (has_ctl(name) || has_ctl(value))
		return -1;
	return buf_printf(&rs->headers, "%s: %s\r\n", name, value);
}

int http_set_cookie(struct resp *rs, const char *name, const char *value, long max_age, int secure)
{
	if (has_ctl(name) || has_ctl(value) || strpbrk(value, ";, ") != NULL)
		return -1;
	if (buf_printf(&rs->headers, "Set-Cookie: %s=%s; Path=/; HttpOnly; SameSite=Lax%s", name,
		       value, secure ? "; Secure" : "") < 0)
		return -1;
	if (max_age >= 0 && buf_printf(&rs->headers, "; Max-Age=%ld", max_age) < 0)
		return -1;
	return buf_puts(&rs->headers, "\r\n");
}

const char *http_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 204:
		return "No Content";
	case 302:
		return "Found";
	case 303:
		return "See Other";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 413:
		return "Content Too Large";
	case 415:
		return "Unsupported Media Type";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	}
	return "Unknown";
}

/* ---- the read API's JSON answers (issue 17 item 2) ---- */
int http_json(struct resp *rs, int status, const cJSON *o)
{
	char *text = cJSON_PrintUnformatted(o);
	int rc;

	if (text == NULL)
		return -1;
	buf_reset(&rs->body);
	rc = buf_puts(&rs->body, text);
	cJSON_free(text);
	if (rc < 0 || buf_puts(&rs->body, "\n") < 0)
		return -1;
	rs->status = status;
	rs->content_type = "application/json";
	return 0;
}

int http_json_error(struct resp *rs, int status, const char *code, const char *message)
{
	cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o, "error");
	int rc = -1;

	if (e != NULL && cJSON_AddStringToObject(e, "code", code) != NULL &&
	    cJSON_AddStringToObject(e, "message", message) != NULL)
		rc = http_json(rs, status, o);
	cJSON_Delete(o);
	return rc;
}
/* ---- end of the read API's answers ---- */

static int out_write(struct io *io, const char *p, size_t n)
{
	if (n == 0)
		return 0;
	if (io->out != NULL)
		return FCGX_PutStr(p, (int)n, io->out) == (int)n ? 0 : -1;
	return fwrite(p, 1, n, stdout) == n ? 0 : -1;
}

/* The status line and headers of rs, with Content-Length when length >= 0
 * (a streamed answer has none: the web server ends it).  0, or -1. */
static int head_build(struct buf *h, const struct resp *rs, long long length)
{
	char n[DECIMAL_LL_CHARS + 1], *p;

	/* without printf: every answer has them */
	n[DECIMAL_LL_CHARS] = '\0';
	buf_puts(h, "Status: ");
	buf_puts(h, decimal_ll(rs->status, n + DECIMAL_LL_CHARS));
	buf_putc(h, ' ');
	buf_puts(h, http_reason(rs->status));
	buf_puts(h, "\r\nContent-Type: ");
	buf_puts(h, rs->content_type);
	if (length >= 0) {
		p = decimal_ll(length, n + DECIMAL_LL_CHARS);
		buf_puts(h, "\r\nContent-Length: ");
		buf_puts(h, p);
	}
	buf_puts(h, "\r\nContent-Security-Policy: ");
	buf_puts(h, csp);
	buf_puts(h, "\r\nX-Content-Type-Options: nosniff\r\n"
		    "Referrer-Policy: no-referrer\r\n"
		    "X-Frame-Options: DENY\r\n");
	if (!rs->cacheable)
		buf_puts(h, "Cache-Control: no-store\r\n");
	if (rs->location[0])
		buf_printf(h, "Location: %s\r\n", rs->location);
	buf_append(h, buf_str(&rs->headers), rs->headers.len);
	buf_puts(h, "\r\n");
	return h->overflow || h->oom ? -1 : 0;
}

int http_send(struct io *io, const struct resp *rs, int head_only)
{
	struct buf h;
	int rc;

	if (rs->stream != HTTP_STREAM_NONE)
		return 0; /* written already (http_stream_*) */
	buf_init(&h, 32768);
	if (head_build(&h, rs, (long long)rs->body.len) < 0) {
		buf_free(&h);
		return -1;
	}
	if (io->fcgi != NULL) {
		rc = fcgi_send_whole(io->fcgi, h.data, h.len, buf_str(&rs->body),
				     head_only ? 0 : rs->body.len);
		if (rc != 0) {
			buf_free(&h);
			return rc < 0 ? -1 : 0;
		}
	}
	rc = out_write(io, h.data, h.len);
	if (rc == 0 && !head_only)
		rc = out_write(io, buf_str(&rs->body), rs->body.len);
	if (io->out == NULL)
		fflush(stdout);
	buf_free(&h);
	return rc;
}

/* ---- streamed answers (the activity export, issue 17) ---- */

/* Write p[0..n) of a streamed answer, ending the request when end.  0, or
 * -1 (the client or the web server went away). */
static int stream_out(struct io *io, const char *p, size_t n, int end)
{
	int rc;

	if (io->fcgi != NULL) {
		rc = fcgi_stream(io->fcgi, p, n, end);
		if (rc != 0)
			return rc < 0 ? -1 : 0;
	}
	rc = out_write(io, p, n);
	if (io->out == NULL && fflush(stdout) != 0)
		rc = -1;
	return rc;
}

int http_stream_start(struct io *io, struct resp *rs, int head_only)
{
	struct buf h;
	int rc;

	if (rs->stream != HTTP_STREAM_NONE)
		return -1;
	buf_init(&h, 32768);
	rc = head_build(&h, rs, -1);
	if (rc == 0) {
		rs->stream = HTTP_STREAM_STARTED;
		rs->stream_head = head_only;
		rc = stream_out(io, h.data, h.len, 0);
	}
	buf_free(&h);
	return rc;
}

int http_stream_write(struct io *io, struct resp *rs, const char *p, size_t n)
{
	if (rs->stream != HTTP_STREAM_STARTED)
		return -1;
	if (rs->stream_head || n == 0)
		return 0;
	return stream_out(io, p, n, 0);
}

int http_stream_end(struct io *io, struct resp *rs)
{
	if (rs->stream != HTTP_STREAM_STARTED)
		return -1;
	rs->stream = HTTP_STREAM_ENDED;
	return stream_out(io, NULL, 0, 1);
}

void http_stream_abort(struct io *io, struct resp *rs)
{
	if (rs->stream != HTTP_STREAM_STARTED)
		return;
	rs->stream = HTTP_STREAM_ABORTED;
	if (io->fcgi != NULL)
		fcgi_abort(io->fcgi);
	else if (io->out == NULL)
		fflush(stdout);
}
