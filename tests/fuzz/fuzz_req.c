/*
 * libFuzzer target for req.c: req_parse() of one FastCGI request.
 *
 * Input: NUL-separated fields, then the body (which may hold NUL bytes):
 *   REQUEST_METHOD \0 DOCUMENT_URI \0 QUERY_STRING \0 HTTP_COOKIE \0
 *   CONTENT_TYPE \0 CONTENT_LENGTH \0 body
 * A field the input stops before is left out of the parameters; an empty
 * CONTENT_LENGTH becomes the body's length.  The body is read through an
 * in-memory FCGX_Stream that hands it out a few bytes per refill, so the
 * body reader's loop and a body shorter than CONTENT_LENGTH are reached.
 *
 * Then req.h's contract is checked: a usable path, at most REQ_MAX_FIELDS
 * fields per list, every query and form name and value valid UTF-8 without
 * NUL and never repeated, no form on a request that is not a POST, the
 * lookups finding the first value of each name.
 */
#include <string.h>

#include <fcgiapp.h>

#include "fuzz.h"
#include "req.h"

enum { F_METHOD, F_URI, F_QUERY, F_COOKIE, F_CTYPE, F_CLEN, F_BODY, F__MAX };

static const char *const fuzz_param[F_BODY] = {
    [F_METHOD] = "REQUEST_METHOD", [F_URI] = "DOCUMENT_URI",   [F_QUERY] = "QUERY_STRING",
    [F_COOKIE] = "HTTP_COOKIE",	   [F_CTYPE] = "CONTENT_TYPE", [F_CLEN] = "CONTENT_LENGTH",
};

/* The body as an FCGX_Stream: [stop, end) is what the next refills give. */
struct mem_in {
	FCGX_Stream s;
	unsigned char *end;
	size_t chunk;
};

static void mem_fill(FCGX_Stream *s)
{
	struct mem_in *m = s->data;
	size_t left = (size_t)(m->end - s->stop);

	if (left == 0) {
		s->isClosed = 1;
		return;
	}
	s->rdNext = s->stop;
	s->stop += left < m->chunk ? left : m->chunk;
	s->wrNext = s->stop;
}

/* 1 when path is "" or what set_path() lets through. */
static int path_ok(const char *p)
{
	if (p[0] == '\0')
		return 1;
	if (p[0] != '/')
		return 0;
	for (size_t i = 0; p[i] != '\0'; i++) {
		char c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '/' || c == '_' || c == '-' || c == '.'))
			return 0;
		if (c == '.' && p[i + 1] == '.')
			return 0;
	}
	return 1;
}

/* Check a parsed list; decoded lists hold UTF-8 and no repeated name. */
static void list_check(const struct kvlist *l, int decoded,
		       const char *(*get)(const struct req *, const char *), const struct req *r)
{
	FUZZ_CHECK(l->n <= REQ_MAX_FIELDS);
	FUZZ_CHECK(l->n == 0 || l->v != NULL);
	for (size_t i = 0; i < l->n; i++) {
		const char *name = l->v[i].name, *value = l->v[i].value;

		FUZZ_CHECK(name != NULL && value != NULL);
		if (decoded) {
			FUZZ_CHECK(req_utf8_valid(name, strlen(name)));
			FUZZ_CHECK(req_utf8_valid(value, strlen(value)));
		} else {
			/* cookies: a non-empty name, nothing that splits pairs */
			FUZZ_CHECK(name[0] != '\0' && name[0] != ' ' && strchr(name, '=') == NULL);
			FUZZ_CHECK(strchr(name, ';') == NULL && strchr(value, ';') == NULL);
		}
		for (size_t k = 0; k < i; k++)
			FUZZ_CHECK(strcmp(l->v[k].name, name) != 0);
		FUZZ_CHECK(get(r, name) == value);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *field[F__MAX] = {0}, *env[F_BODY + 2] = {0}, clen[24];
	size_t nfield = 0, at = 0, bodylen = 0, nenv = 0;
	unsigned char *body = NULL;
	struct mem_in in;
	struct io io;
	struct req r;
	enum req_err e;
	int st;

	/* Split the input: F_BODY NUL-terminated fields, then the body. */
	while (nfield < F_BODY && at < size) {
		const uint8_t *nul = memchr(data + at, '\0', size - at);
		size_t n = nul != NULL ? (size_t)(nul - (data + at)) : size - at;

		if ((field[nfield] = strndup((const char *)data + at, n)) == NULL)
			goto out;
		nfield++;
		at += n + 1;
	}
	if (nfield == F_BODY && at <= size) {
		bodylen = size - at;
		/* exactly sized, so that reading past it is caught */
		if ((body = malloc(bodylen + 1)) == NULL)
			goto out;
		memcpy(body, data + at, bodylen);
	}
	if (nfield > F_CLEN && field[F_CLEN][0] == '\0') {
		snprintf(clen, sizeof(clen), "%zu", bodylen);
		free(field[F_CLEN]);
		if ((field[F_CLEN] = strdup(clen)) == NULL)
			goto out;
	}
	for (size_t i = 0; i < nfield; i++) {
		size_t n = strlen(fuzz_param[i]) + 1 + strlen(field[i]) + 1;

		if ((env[nenv] = malloc(n)) == NULL)
			goto out;
		snprintf(env[nenv++], n, "%s=%s", fuzz_param[i], field[i]);
	}
	if ((env[nenv++] = strdup("REMOTE_ADDR=192.0.2.7")) == NULL)
		goto out;

	memset(&in, 0, sizeof(in));
	in.s.rdNext = in.s.wrNext = in.s.stop = in.s.stopUnget = body;
	in.s.isReader = 1;
	in.s.fillBuffProc = mem_fill;
	in.s.data = &in;
	in.end = body != NULL ? body + bodylen : NULL;
	in.chunk = 1 + size % 13;
	in.s.isClosed = body == NULL;
	io = (struct io){.envp = env, .in = &in.s, .out = NULL, .fcgi = NULL};

	e = req_parse(&r, &io);
	FUZZ_CHECK(e >= REQ_OK && e <= REQ_E_NOMEM);
	st = req_err_status(e);
	FUZZ_CHECK(st == 200 || st == 400 || st == 413 || st == 415 || st == 500);
	FUZZ_CHECK((st == 200) == (e == REQ_OK));
	FUZZ_CHECK(req_strerror(e) != NULL);
	FUZZ_CHECK(r.io == &io);
	FUZZ_CHECK(memchr(r.path, '\0', sizeof(r.path)) != NULL && path_ok(r.path));
	FUZZ_CHECK(r.method_name != NULL);
	FUZZ_CHECK((r.method == METHOD_POST) == (strcmp(r.method_name, "POST") == 0));
	FUZZ_CHECK(r.method == METHOD_POST || r.form.n == 0);
	list_check(&r.query, 1, req_query, &r);
	list_check(&r.form, 1, req_form, &r);
	list_check(&r.cookies, 0, req_cookie, &r);
	req_free(&r);
	FUZZ_CHECK(r.query.n == 0 && r.form.n == 0 && r.cookies.n == 0);
out:
	for (size_t i = 0; i < nenv; i++)
		free(env[i]);
	for (size_t i = 0; i < nfield; i++)
		free(field[i]);
	free(body);
	return 0;
}
