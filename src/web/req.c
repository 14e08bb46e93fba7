/*
 * req: request parsing.  See req.h.
 */
#include "req.h"

#include <errno.h>
#include <stdint.h>
#include <sys/random.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *req_env(const struct req *r, const char *name)
{
	return FCGX_GetParam(name, r->io->envp);
}

static const char *kv_get(const struct kvlist *list, const char *name);

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int req_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;

	while (p < e) {
		unsigned c = *p;
		size_t k;
		unsigned cp;

		if (c == 0)
			return 0;
		if (c < 0x80) {
			p++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			k = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			k = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if ((size_t)(e - p) <= k)
			return 0;
		for (size_t i = 1; i <= k; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		p += k + 1;
	}
	return 1;
}

int req_urldecode(const char *s, size_t n, int plus, char **out)
{
	char *d = malloc(n + 1);
	size_t j = 0;

	*out = NULL;
	if (d == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi, lo;

			if (i + 2 >= n)
				goto bad;
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				goto bad;
			d[j++] = (char)(hi * 16 + lo);
			i += 2;
		} else if (s[i] == '+' && plus) {
			d[j++] = ' ';
		} else {
			d[j++] = s[i];
		}
	}
	d[j] = '\0';
	if (!req_utf8_valid(d, j))
		goto bad;
	*out = d;
	return 0;
bad:
	free(d);
	return -1;
}

int req_list_name(const char *name)
{
	size_t n = strlen(name);

	return n > 2 && name[n - 2] == '[' && name[n - 1] == ']';
}

static enum req_err kv_add_max(struct kvlist *list, char *name, char *value, size_t max)
{
	struct kv *nv;

	if (list->n >= max)
		return REQ_E_FIELDS;
	nv = realloc(list->v, (list->n + 1) * sizeof(*nv));
	if (nv == NULL)
		return REQ_E_NOMEM;
	list->v = nv;
	list->v[list->n].name = name;
	list->v[list->n].value = value;
	list->n++;
	return REQ_OK;
}

static enum req_err kv_add(struct kvlist *list, char *name, char *value)
{
	return kv_add_max(list, name, value, REQ_MAX_FIELDS);
}

enum req_err req_parse_urlencoded(const char *s, size_t n, struct kvlist *list)
{
	size_t i = 0;

	while (i < n) {
		size_t end = i, eq;
		char *name = NULL, *value = NULL;
		enum req_err e;

		while (end < n && s[end] != '&')
			end++;
		if (end == i) {
			i = end + 1;
			continue;
		}
		for (eq = i; eq < end && s[eq] != '='; eq++)
			;
		if (req_urldecode(s + i, eq - i, 1, &name) < 0)
			return REQ_E_ENCODING;
		if (req_urldecode(s + (eq < end ? eq + 1 : end), eq < end ? end - eq - 1 : 0, 1,
				  &value) < 0) {
			free(name);
			return REQ_E_ENCODING;
		}
		for (size_t k = 0; !req_list_name(name) && k < list->n; k++)
			if (strcmp(list->v[k].name, name) == 0) {
				free(name);
				free(value);
				return REQ_E_FIELDS;
			}
		if ((e = kv_add(list, name, value)) != REQ_OK) {
			free(name);
			free(value);
			return e;
		}
		i = end + 1;
	}
	return REQ_OK;
}

enum req_err req_parse_cookies(const char *s, struct kvlist *list)
{
	while (s && *s) {
		const char *end, *eq;
		char *name, *value;
		while (*s == ' ' || *s == ';')
			s++;
		end = strchr(s, ';');
		if (end == NULL)
			end = s + strlen(s);
		eq = memchr(s, '=', (size_t)(end - s));
		if (eq != NULL && eq > s) {
			const char *ve = end;

			while (ve > eq + 1 && ve[-1] == ' ')
				ve--;
			name = strndup(s, (size_t)(eq - s));
			value = strndup(eq + 1, (size_t)(ve - eq - 1));
			if (name == NULL || value == NULL) {
				free(name);
				free(value);
				return REQ_E_NOMEM;
			}
			/* the first cookie of a name wins (most specific path) */
			if (kv_get(list, name) != NULL ||
			    kv_add_max(list, name, value, REQ_MAX_COOKIES) != REQ_OK) {
				free(name);
				free(value);
			}
		}
		s = end;
	}
	return REQ_OK;
}

void req_kvlist_free(struct kvlist *list)
{
	for (size_t i = 0; i < list->n; i++) {
		free(list->v[i].name);
		free(list->v[i].value);
	}
	free(list->v);
	list->v = NULL;
	list->n = 0;
}

static const char *kv_get(const struct kvlist *list, const char *name)
{
	for (size_t i = 0; i < list->n; i++)
		if (strcmp(list->v[i].name, name) == 0)
			return list->v[i].value;
	return NULL;
}

const char *req_query(const struct req *r, const char *name)
{
	return kv_get(&r->query, name);
}

const char *req_form(const struct req *r, const char *name)
{
	return kv_get(&r->form, name);
}

static size_t kv_list(const struct kvlist *list, const char *name, const char **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < list->n; i++)
		if (strcmp(list->v[i].name, name) == 0) {
			if (n < max)
				out[n] = list->v[i].value;
			n++;
		}
	return n;
}

size_t req_query_list(const struct req *r, const char *name, const char **out, size_t max)
{
	return kv_list(&r->query, name, out, max);
}

size_t req_form_list(const struct req *r, const char *name, const char **out, size_t max)
{
	return kv_list(&r->form, name, out, max);
}

const char *req_cookie(const struct req *r, const char *name)
{
	return kv_get(&r->cookies, name);
}

/* Read exactly n bytes of body into p.  Returns 0 or -1. */
static int read_body(struct io *io, char *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		int k;

		if (io->in != NULL) {
			k = FCGX_GetStr(p + got, (int)(n - got), io->in);
		} else {
			size_t m = fread(p + got, 1, n - got, stdin);
			k = (int)m;
		}
		if (k <= 0)
			return -1;
		got += (size_t)k;
	}
	return 0;
}

void req_path_of(const char *document_uri, const char *request_uri, const char *path_info,
		 char *out, size_t size)
{
	const char *p = document_uri;
	size_t n;

	out[0] = '\0';
	if (p == NULL || *p == '\0') {
		p = request_uri;
		if (p == NULL || *p == '\0')
			p = path_info;
	}
	if (p == NULL || *p != '/')
		return;
	n = strcspn(p, "?");
	if (n >= size)
		return;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '/' || c == '_' || c == '-' || c == '.'))
			return;
		if (c == '.' && i > 0 && p[i - 1] == '.')
			return;
	}
	memcpy(out, p, n);
	out[n] = '\0';
}

/*
 * 8 random bytes for a request id into rnd: 0, or -1.  A log correlation
 * id, not a secret: the getrandom(2) syscall costs a tenth of OpenSSL's
 * DRBG here, and each thread takes the bytes of 32 requests in one call
 * (issue 19 item 3: one system call less per request).  The process never
 * forks, so no two processes share a pool.
 */
static int req_id_bytes(uint8_t rnd[8])
{
	static __thread uint8_t pool[256];
	static __thread size_t used = sizeof(pool);

	if (used == sizeof(pool)) {
		if (getrandom(pool, sizeof(pool), 0) != (ssize_t)sizeof(pool))
			return -1;
		used = 0;
	}
	memcpy(rnd, pool + used, 8);
	memset(pool + used, 0, 8);
	used += 8;
	return 0;
}

/* The method, the path and the cookies (req_parse and req_peek). */
static enum req_err req_head(struct req *r)
{
	const char *m, *ck;
	enum req_err e;

	m = req_env(r, "REQUEST_METHOD");
	r->method_name = m ? m : "";
	if (m && strcmp(m, "GET") == 0)
		r->method = METHOD_GET;
	else if (m && strcmp(m, "HEAD") == 0)
		r->method = METHOD_HEAD;
	else if (m && strcmp(m, "POST") == 0)
		r->method = METHOD_POST;
	else
		r->method = METHOD_OTHER;
	r->remote_addr = req_env(r, "REMOTE_ADDR");
	req_path_of(req_env(r, "DOCUMENT_URI"), req_env(r, "REQUEST_URI"), req_env(r, "PATH_INFO"),
		    r->path, sizeof(r->path));

	ck = req_env(r, "HTTP_COOKIE");
	if (ck && strlen(ck) <= 8192 && (e = req_parse_cookies(ck, &r->cookies)) != REQ_OK)
		return e;
	return REQ_OK;
}

enum req_err req_peek(struct req *r, struct io *io)
{
	memset(r, 0, sizeof(*r));
	r->io = io;
	return req_head(r);
}

enum req_err req_parse(struct req *r, struct io *io)
{
	const char *q, *cl, *ct;
	uint8_t rnd[8];
	enum req_err e = REQ_OK;
	char *body = NULL;

	memset(r, 0, sizeof(*r));
	r->io = io;
	if (req_id_bytes(rnd) == 0) {
		static const char hx[] = "0123456789abcdef";

		for (size_t i = 0; i < sizeof(rnd); i++) {
			r->id[2 * i] = hx[rnd[i] >> 4];
			r->id[2 * i + 1] = hx[rnd[i] & 15];
		}
		r->id[16] = '\0';
	}
	if ((e = req_head(r)) != REQ_OK)
		return e;
	q = req_env(r, "QUERY_STRING");
	if (q && *q) {
		if (strlen(q) > REQ_MAX_QUERY)
			return REQ_E_TOO_LARGE;
		if ((e = req_parse_urlencoded(q, strlen(q), &r->query)) != REQ_OK)
			return e;
	}
	if (r->method != METHOD_POST)
		return REQ_OK;

	cl = req_env(r, "CONTENT_LENGTH");
	if (cl && *cl) {
		char *end;
		long long n;

		errno = 0;
		n = strtoll(cl, &end, 10);
		if (errno || *end || n < 0)
			return REQ_E_ENCODING;
		if (n > REQ_MAX_BODY)
			return REQ_E_TOO_LARGE;
		if (n == 0)
			return REQ_OK;
		ct = req_env(r, "CONTENT_TYPE");
		if (ct == NULL || strncmp(ct, "application/x-www-form-urlencoded", 33) != 0 ||
		    (ct[33] != '\0' && ct[33] != ';'))
			return REQ_E_MEDIA;
		body = malloc((size_t)n + 1);
		if (body == NULL)
			return REQ_E_NOMEM;
		if (read_body(io, body, (size_t)n) < 0) {
			e = REQ_E_IO;
			goto out;
		}
		body[n] = '\0';
		e = req_parse_urlencoded(body, (size_t)n, &r->form);
	}
out:
	free(body);
	return e;
}

void req_free(struct req *r)
{
	req_kvlist_free(&r->query);
	req_kvlist_free(&r->form);
	req_kvlist_free(&r->cookies);
}

int req_err_status(enum req_err e)
{
	switch (e) {
	case REQ_OK:
		return 200;
	case REQ_E_TOO_LARGE:
		return 413;
	case REQ_E_MEDIA:
		return 415;
	case REQ_E_NOMEM:
	case REQ_E_IO:
		return 500;
	default:
		return 400;
	}
}

const char *req_strerror(enum req_err e)
{
	switch (e) {
	case REQ_OK:
		return "ok";
	case REQ_E_TOO_LARGE:
		return "The request is too large. Nothing was changed.";
	case REQ_E_ENCODING:
		return "The request has a malformed encoding. Nothing was changed.";
	case REQ_E_MEDIA:
		return "Forms must be sent as application/x-www-form-urlencoded. Nothing was "
		       "changed.";
	case REQ_E_FIELDS:
		return "The request has too many or repeated fields. Nothing was changed.";
	case REQ_E_IO:
		return "The request body could not be read.";
	case REQ_E_NOMEM:
		return "The server is out of memory.";
	}
	return "bad request";
}
