/*
 * httpc: the one hardened libcurl wrapper.  See httpc.h for the rules it
 * enforces.  Each request resets the reused easy handle (which keeps its
 * connection, TLS-session and DNS caches) and sets every option again, so no
 * option of one request leaks into the next.
 */
#include "httpc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#define HTTPC_BEARER_MAX 4096
#define HTTPC_DEFAULT_UA "jetstack-client-accounts"

/* Set one option; on failure record HTTPC_ERR_SETUP and jump to out. */
#define HTTPC_SETOPT(H, OPT, VAL)                                                                  \
	do {                                                                                       \
		CURLcode setopt_rc_ = curl_easy_setopt((H)->curl, OPT, VAL);                       \
		if (setopt_rc_ != CURLE_OK) {                                                      \
			result = HTTPC_ERR_SETUP;                                                  \
			out->curl_code = (int)setopt_rc_;                                          \
			goto out;                                                                  \
		}                                                                                  \
	} while (0)

static const char *const httpc_errstr[HTTPC_ERR__MAX] = {
    [HTTPC_OK] = "ok",
    [HTTPC_ERR_URL] = "url not allowed",
    [HTTPC_ERR_ARG] = "invalid argument",
    [HTTPC_ERR_SETUP] = "http client setup failed",
    [HTTPC_ERR_NOMEM] = "out of memory",
    [HTTPC_ERR_TIMEOUT] = "request timed out",
    [HTTPC_ERR_NETWORK] = "network error",
    [HTTPC_ERR_TLS] = "tls verification failed",
    [HTTPC_ERR_TOO_LARGE] = "response body too large",
    [HTTPC_ERR_TRANSFER] = "transfer failed",
};

const char *httpc_strerror(enum httpc_err e)
{
	if ((int)e < 0 || e >= HTTPC_ERR__MAX || httpc_errstr[e] == NULL)
		return "unknown error";
	return httpc_errstr[e];
}

int httpc_visible_ascii(const char *s, size_t max)
{
	size_t n = 0;

	if (s == NULL)
		return 0;
	for (; s[n] != '\0'; n++) {
		unsigned char c = (unsigned char)s[n];

		if (n >= max || c <= 0x20 || c >= 0x7f)
			return 0;
	}
	return n > 0;
}

enum httpc_err httpc_init(struct httpc *h, const struct httpc_opts *opts)
{
	enum httpc_err result = HTTPC_OK;
	const char *ua = HTTPC_DEFAULT_UA;
	size_t i;

	memset(h, 0, sizeof(*h));
	h->connect_timeout_ms = HTTPC_DEFAULT_CONNECT_TIMEOUT_MS;
	h->timeout_ms = HTTPC_DEFAULT_TIMEOUT_MS;
	h->max_body = HTTPC_DEFAULT_MAX_BODY;
	if (opts != NULL) {
		if (opts->connect_timeout_ms > 0)
			h->connect_timeout_ms = opts->connect_timeout_ms;
		if (opts->timeout_ms > 0)
			h->timeout_ms = opts->timeout_ms;
		if (opts->max_body > 0)
			h->max_body = opts->max_body;
		if (opts->user_agent != NULL)
			ua = opts->user_agent;
	}
	/* A user agent is sent as a header: printable ASCII only. */
	if (ua[0] == '\0' || strlen(ua) > HTTPC_USER_AGENT_MAX) {
		result = HTTPC_ERR_ARG;
		goto out;
	}
	for (i = 0; ua[i] != '\0'; i++) {
		if ((unsigned char)ua[i] < 0x20 || (unsigned char)ua[i] >= 0x7f) {
			result = HTTPC_ERR_ARG;
			goto out;
		}
	}
	h->user_agent = malloc(i + 1);
	if (h->user_agent == NULL) {
		result = HTTPC_ERR_NOMEM;
		goto out;
	}
	memcpy(h->user_agent, ua, i + 1);
	h->curl = curl_easy_init();
	if (h->curl == NULL) {
		result = HTTPC_ERR_SETUP;
		goto out;
	}
out:
	return result;
}

void httpc_cleanup(struct httpc *h)
{
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	free(h->user_agent);
	memset(h, 0, sizeof(*h));
}

void httpc_resp_free(struct httpc_resp *r)
{
	/* A body may hold tokens. */
	if (r->body.data != NULL)
		OPENSSL_cleanse(r->body.data, r->body.cap);
	buf_free(&r->body);
	free(r->content_type);
	memset(r, 0, sizeof(*r));
}

/*
 * URL policy.
 */

static int httpc_port_ok(const char *p, size_t n)
{
	long v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		v = v * 10 + (p[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

static int httpc_dns_host_ok(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || n > 253 || p[0] == '.' || p[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		char c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

static int httpc_ipv6_host_ok(const char *p, size_t n)
{
	size_t i;

	/* "[" hex digits, ':' and '.' "]"; no zone id. */
	if (n < 4 || p[0] != '[' || p[n - 1] != ']')
		return 0;
	for (i = 1; i + 1 < n; i++) {
		char c = p[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
		      c == ':' || c == '.'))
			return 0;
	}
	return 1;
}

static int httpc_host_eq(const char *host, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(host, lit, n) == 0;
}

/* Ask libcurl's parser for the host and user info and compare with ours. */
static int httpc_curl_agrees(const char *url, const char *host, size_t hostlen)
{
	CURLU *u = NULL;
	char *chost = NULL;
	char *cuser = NULL;
	int result = 0;

	u = curl_url();
	if (u == NULL)
		goto out;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_USER, &cuser, 0) != CURLUE_NO_USER)
		goto out;
	if (curl_url_get(u, CURLUPART_HOST, &chost, 0) != CURLUE_OK)
		goto out;
	if (strlen(chost) != hostlen || strncmp(chost, host, hostlen) != 0)
		goto out;
	result = 1;
out:
	curl_free(chost);
	curl_free(cuser);
	curl_url_cleanup(u);
	return result;
}

int httpc_url_allowed(const char *url)
{
	const char *auth, *end, *host, *colon;
	size_t len, i, hostlen;
	int is_https;

	if (url == NULL)
		return 0;
	len = strlen(url);
	if (len == 0 || len > HTTPC_URL_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)url[i];

		if (c <= 0x20 || c >= 0x7f || c == '\\' || c == '#')
			return 0;
	}
	if (strncmp(url, "https://", 8) == 0) {
		is_https = 1;
		auth = url + 8;
	} else if (strncmp(url, "http://", 7) == 0) {
		is_https = 0;
		auth = url + 7;
	} else {
		return 0;
	}

	/* The authority runs to the first '/' or '?'. */
	end = auth + strcspn(auth, "/?");
	if (end == auth || memchr(auth, '@', (size_t)(end - auth)) != NULL)
		return 0;
	host = auth;
	if (host[0] == '[') {
		const char *rb = memchr(host, ']', (size_t)(end - host));

		if (rb == NULL)
			return 0;
		hostlen = (size_t)(rb - host) + 1;
	} else {
		colon = memchr(host, ':', (size_t)(end - host));
		hostlen = colon ? (size_t)(colon - host) : (size_t)(end - host);
	}
	if (host + hostlen < end) {
		if (host[hostlen] != ':' ||
		    !httpc_port_ok(host + hostlen + 1, (size_t)(end - host - hostlen - 1)))
			return 0;
	}

	if (is_https) {
		if (!(httpc_dns_host_ok(host, hostlen) || httpc_ipv6_host_ok(host, hostlen)))
			return 0;
	} else {
		if (!(httpc_host_eq(host, hostlen, "127.0.0.1") ||
		      httpc_host_eq(host, hostlen, "[::1]") ||
		      httpc_host_eq(host, hostlen, "localhost")))
			return 0;
	}
	return httpc_curl_agrees(url, host, hostlen);
}

/*
 * Transfers.
 */

struct httpc_sink {
	struct buf *body;
	int too_large;
	int nomem;
};

/* libcurl write callback: append to the capped buffer or abort. */
static size_t httpc_write(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct httpc_sink *sink = userdata;
	size_t n;

	if (nmemb != 0 && size > SIZE_MAX / nmemb) {
		sink->too_large = 1;
		return 0;
	}
	n = size * nmemb;
	if (buf_append(sink->body, data, n) < 0) {
		if (sink->body->overflow)
			sink->too_large = 1;
		else
			sink->nomem = 1;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	return n;
}

static enum httpc_err httpc_map_curl(CURLcode rc, const struct httpc_sink *sink)
{
	switch (rc) {
	case CURLE_OK:
		return HTTPC_OK;
	case CURLE_WRITE_ERROR:
		if (sink->too_large)
			return HTTPC_ERR_TOO_LARGE;
		if (sink->nomem)
			return HTTPC_ERR_NOMEM;
		return HTTPC_ERR_TRANSFER;
	case CURLE_FILESIZE_EXCEEDED:
		return HTTPC_ERR_TOO_LARGE;
	case CURLE_OUT_OF_MEMORY:
		return HTTPC_ERR_NOMEM;
	case CURLE_OPERATION_TIMEDOUT:
		return HTTPC_ERR_TIMEOUT;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return HTTPC_ERR_URL;
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return HTTPC_ERR_NETWORK;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_ISSUER_ERROR:
		return HTTPC_ERR_TLS;
	default:
		return HTTPC_ERR_TRANSFER;
	}
}

/* Copy the Content-Type header, bounded, without control characters. */
static char *httpc_copy_header(const char *v)
{
	size_t i, n = 0, len;
	char *s;

	len = strlen(v);
	if (len > HTTPC_CONTENT_TYPE_MAX)
		len = HTTPC_CONTENT_TYPE_MAX;
	s = malloc(len + 1);
	if (s == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c >= 0x20 && c != 0x7f)
			s[n++] = (char)c;
	}
	s[n] = '\0';
	return s;
}

/*
 * The value of response header name as a count: 1..HTTPC_RATELIMIT_DIGITS
 * digits, spaces and tabs around them allowed; -1 when the header is absent,
 * repeated, or anything else.
 */
static long httpc_header_count(CURL *curl, const char *name)
{
	struct curl_header *hd = NULL;
	const char *v;
	long val = 0;
	size_t n;

	if (curl_easy_header(curl, name, 0, CURLH_HEADER, -1, &hd) != CURLHE_OK || hd == NULL ||
	    hd->amount != 1 || hd->value == NULL)
		return -1;
	v = hd->value;
	while (*v == ' ' || *v == '\t')
		v++;
	for (n = 0; v[n] >= '0' && v[n] <= '9'; n++) {
		if (n >= HTTPC_RATELIMIT_DIGITS)
			return -1;
		val = val * 10 + (v[n] - '0');
	}
	if (n == 0)
		return -1;
	for (v += n; *v == ' ' || *v == '\t'; v++)
		;
	return *v == '\0' ? val : -1;
}

/*
 * Copy the value of response header name into dst (dstsz bytes) when the
 * header came once with 1..dstsz-1 visible ASCII characters, spaces and
 * tabs around them allowed; else leave dst "".
 */
static void httpc_header_token(CURL *curl, const char *name, char *dst, size_t dstsz)
{
	struct curl_header *hd = NULL;
	const char *v;
	size_t n, i;

	dst[0] = '\0';
	if (curl_easy_header(curl, name, 0, CURLH_HEADER, -1, &hd) != CURLHE_OK || hd == NULL ||
	    hd->amount != 1 || hd->value == NULL)
		return;
	v = hd->value;
	while (*v == ' ' || *v == '\t')
		v++;
	n = strlen(v);
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n == 0 || n >= dstsz)
		return;
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] <= 0x20 || (unsigned char)v[i] >= 0x7f)
			return;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

/* Zero *out, with an empty body capped at max_body and no rate-limit headers. */
static void httpc_resp_init(struct httpc_resp *out, size_t max_body)
{
	memset(out, 0, sizeof(*out));
	buf_init(&out->body, max_body);
	out->rl_max = -1;
	out->rl_remaining = -1;
	out->rl_interval_ms = -1;
}

/* Wipe and free a header list that may hold a secret. */
static void httpc_slist_free_wiped(struct curl_slist *l)
{
	struct curl_slist *p;

	for (p = l; p != NULL; p = p->next)
		if (p->data != NULL)
			OPENSSL_cleanse(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

/*
 * Reset the handle and set the options every request shares, the body cap
 * being max_body.  The caller adds method, body and headers, then calls
 * httpc_perform().
 */
static enum httpc_err httpc_prepare(struct httpc *h, const char *url, size_t max_body,
				    struct httpc_sink *sink, struct httpc_resp *out)
{
	enum httpc_err result = HTTPC_OK;
	const char *proto;

	if (h->curl == NULL) {
		result = HTTPC_ERR_SETUP;
		goto out;
	}
	if (!httpc_url_allowed(url)) {
		result = HTTPC_ERR_URL;
		goto out;
	}
	proto = strncmp(url, "https://", 8) == 0 ? "https" : "http";

	curl_easy_reset(h->curl);
	HTTPC_SETOPT(h, CURLOPT_URL, url);
	HTTPC_SETOPT(h, CURLOPT_PROTOCOLS_STR, proto);
	HTTPC_SETOPT(h, CURLOPT_REDIR_PROTOCOLS_STR, proto);
	HTTPC_SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
	HTTPC_SETOPT(h, CURLOPT_MAXREDIRS, 0L);
	HTTPC_SETOPT(h, CURLOPT_NOSIGNAL, 1L);
	HTTPC_SETOPT(h, CURLOPT_NOPROGRESS, 1L);
	HTTPC_SETOPT(h, CURLOPT_VERBOSE, 0L);
	HTTPC_SETOPT(h, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	HTTPC_SETOPT(h, CURLOPT_SSL_VERIFYPEER, 1L);
	HTTPC_SETOPT(h, CURLOPT_SSL_VERIFYHOST, 2L);
	HTTPC_SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, h->connect_timeout_ms);
	HTTPC_SETOPT(h, CURLOPT_TIMEOUT_MS, h->timeout_ms);
	HTTPC_SETOPT(h, CURLOPT_USERAGENT, h->user_agent);
	HTTPC_SETOPT(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max_body);
	HTTPC_SETOPT(h, CURLOPT_WRITEFUNCTION, httpc_write);
	HTTPC_SETOPT(h, CURLOPT_WRITEDATA, sink);
out:
	return result;
}

static enum httpc_err httpc_perform(struct httpc *h, struct httpc_sink *sink,
				    struct httpc_resp *out)
{
	enum httpc_err result = HTTPC_OK;
	CURLcode rc;
	char *ct = NULL;
	curl_off_t ra = 0;

	rc = curl_easy_perform(h->curl);
	out->curl_code = (int)rc;
	result = httpc_map_curl(rc, sink);
	/* The status is kept even when the body was cut off for size. */
	if (curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &out->status) != CURLE_OK ||
	    out->status <= 0)
		out->status = 0;
	if (out->status != 0) {
		out->rl_max = httpc_header_count(h->curl, "X-HubSpot-RateLimit-Max");
		out->rl_remaining = httpc_header_count(h->curl, "X-HubSpot-RateLimit-Remaining");
		out->rl_interval_ms =
		    httpc_header_count(h->curl, "X-HubSpot-RateLimit-Interval-Milliseconds");
		httpc_header_token(h->curl, "X-HubSpot-Correlation-Id", out->correlation_id,
				   sizeof(out->correlation_id));
	}
	if (result != HTTPC_OK)
		goto out;
	if (out->status == 0) {
		result = HTTPC_ERR_TRANSFER;
		goto out;
	}
	if (curl_easy_getinfo(h->curl, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != NULL) {
		out->content_type = httpc_copy_header(ct);
		if (out->content_type == NULL) {
			result = HTTPC_ERR_NOMEM;
			goto out;
		}
	}
	if (curl_easy_getinfo(h->curl, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
		out->retry_after = ra > HTTPC_RETRY_AFTER_MAX ? HTTPC_RETRY_AFTER_MAX : (long)ra;
out:
	return result;
}

/* Append the form encoding of s (curl_easy_escape; '+' is never needed). */
static int httpc_append_escaped(struct httpc *h, struct buf *b, const char *s)
{
	char *esc;
	int rc;

	esc = curl_easy_escape(h->curl, s, 0);
	if (esc == NULL)
		return -1;
	rc = buf_puts(b, esc);
	OPENSSL_cleanse(esc, strlen(esc));
	curl_free(esc);
	return rc;
}

enum httpc_err httpc_post_form(struct httpc *h, const char *url, const char *const *fields,
			       struct httpc_resp *out)
{
	enum httpc_err result = HTTPC_OK;
	struct httpc_sink sink;
	struct curl_slist *headers = NULL, *tmp;
	struct buf form;
	size_t i;

	httpc_resp_init(out, h->max_body);
	buf_init(&form, 0);
	memset(&sink, 0, sizeof(sink));
	sink.body = &out->body;

	if (url == NULL || fields == NULL || h->curl == NULL) {
		result = h->curl == NULL ? HTTPC_ERR_SETUP : HTTPC_ERR_ARG;
		goto out;
	}
	for (i = 0; fields[i] != NULL; i += 2) {
		if (fields[i + 1] == NULL || fields[i][0] == '\0') {
			result = HTTPC_ERR_ARG;
			goto out;
		}
		if ((i > 0 && buf_putc(&form, '&') < 0) ||
		    httpc_append_escaped(h, &form, fields[i]) < 0 || buf_putc(&form, '=') < 0 ||
		    httpc_append_escaped(h, &form, fields[i + 1]) < 0) {
			result = HTTPC_ERR_NOMEM;
			goto out;
		}
	}

	result = httpc_prepare(h, url, h->max_body, &sink, out);
	if (result != HTTPC_OK)
		goto out;

	tmp = curl_slist_append(headers, "Content-Type: application/x-www-form-urlencoded");
	if (tmp == NULL) {
		result = HTTPC_ERR_NOMEM;
		goto out;
	}
	headers = tmp;
	tmp = curl_slist_append(headers, "Accept: application/json");
	if (tmp == NULL) {
		result = HTTPC_ERR_NOMEM;
		goto out;
	}
	headers = tmp;
	tmp = curl_slist_append(headers, "Expect:");
	if (tmp == NULL) {
		result = HTTPC_ERR_NOMEM;
		goto out;
	}
	headers = tmp;

	HTTPC_SETOPT(h, CURLOPT_POST, 1L);
	HTTPC_SETOPT(h, CURLOPT_HTTPHEADER, headers);
	HTTPC_SETOPT(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)form.len);
	HTTPC_SETOPT(h, CURLOPT_POSTFIELDS, buf_str(&form));

	result = httpc_perform(h, &sink, out);
out:
	/* Drop curl's pointers to memory freed below before it goes away. */
	if (h->curl != NULL)
		curl_easy_reset(h->curl);
	curl_slist_free_all(headers);
	if (form.data != NULL)
		OPENSSL_cleanse(form.data, form.cap);
	buf_free(&form);
	out->err = result;
	return result;
}

/*
 * One request with Bearer authentication: a GET when method is NULL, else
 * method ("POST" or "PATCH") with the JSON body of len bytes.  The response
 * body is capped at max_body (0: the client's).
 */
static enum httpc_err httpc_bearer_request(struct httpc *h, const char *method, const char *url,
					   const char *bearer, const char *body, size_t len,
					   size_t max_body, struct httpc_resp *out)
{
	static const char *const json_headers[] = {"Content-Type: application/json",
						   "Expect:", NULL};
	enum httpc_err result = HTTPC_OK;
	struct httpc_sink sink;
	struct curl_slist *headers = NULL, *tmp;
	struct buf auth;
	size_t i;

	if (max_body == 0)
		max_body = h->max_body;
	httpc_resp_init(out, max_body);
	buf_init(&auth, 0);
	memset(&sink, 0, sizeof(sink));
	sink.body = &out->body;

	if (h->curl == NULL) {
		result = HTTPC_ERR_SETUP;
		goto out;
	}
	if (url == NULL || bearer == NULL || !httpc_visible_ascii(bearer, HTTPC_BEARER_MAX) ||
	    (method != NULL && body == NULL)) {
		result = HTTPC_ERR_ARG;
		goto out;
	}
	result = httpc_prepare(h, url, max_body, &sink, out);
	if (result != HTTPC_OK)
		goto out;

	if (buf_puts(&auth, "Authorization: Bearer ") < 0 || buf_puts(&auth, bearer) < 0) {
		result = HTTPC_ERR_NOMEM;
		goto out;
	}
	tmp = curl_slist_append(headers, buf_str(&auth));
	if (tmp == NULL) {
		result = HTTPC_ERR_NOMEM;
		goto out;
	}
	headers = tmp;
	tmp = curl_slist_append(headers, "Accept: application/json");
	if (tmp == NULL) {
		result = HTTPC_ERR_NOMEM;
		goto out;
	}
	headers = tmp;
	for (i = 0; method != NULL && json_headers[i] != NULL; i++) {
		tmp = curl_slist_append(headers, json_headers[i]);
		if (tmp == NULL) {
			result = HTTPC_ERR_NOMEM;
			goto out;
		}
		headers = tmp;
	}

	if (method == NULL) {
		HTTPC_SETOPT(h, CURLOPT_HTTPGET, 1L);
	} else {
		HTTPC_SETOPT(h, CURLOPT_POST, 1L);
		HTTPC_SETOPT(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		HTTPC_SETOPT(h, CURLOPT_POSTFIELDS, body);
		if (strcmp(method, "POST") != 0)
			HTTPC_SETOPT(h, CURLOPT_CUSTOMREQUEST, method);
	}
	HTTPC_SETOPT(h, CURLOPT_HTTPHEADER, headers);

	result = httpc_perform(h, &sink, out);
out:
	if (h->curl != NULL)
		curl_easy_reset(h->curl);
	httpc_slist_free_wiped(headers);
	if (auth.data != NULL)
		OPENSSL_cleanse(auth.data, auth.cap);
	buf_free(&auth);
	out->err = result;
	return result;
}

enum httpc_err httpc_get_bearer(struct httpc *h, const char *url, const char *bearer,
				struct httpc_resp *out)
{
	return httpc_bearer_request(h, NULL, url, bearer, NULL, 0, 0, out);
}

enum httpc_err httpc_get_bearer_max(struct httpc *h, const char *url, const char *bearer,
				    size_t max_body, struct httpc_resp *out)
{
	return httpc_bearer_request(h, NULL, url, bearer, NULL, 0, max_body, out);
}

enum httpc_err httpc_send_json_bearer(struct httpc *h, enum httpc_method method, const char *url,
				      const char *bearer, const char *body, size_t len,
				      size_t max_body, struct httpc_resp *out)
{
	const char *m;

	switch (method) {
	case HTTPC_POST:
		m = "POST";
		break;
	case HTTPC_PATCH:
		m = "PATCH";
		break;
	default:
		httpc_resp_init(out, h->max_body);
		out->err = HTTPC_ERR_ARG;
		return HTTPC_ERR_ARG;
	}
	return httpc_bearer_request(h, m, url, bearer, body, len, max_body, out);
}
