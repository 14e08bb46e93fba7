/*
 * req: the parsed request.  Reads the CGI/FastCGI environment, the query
 * string, an urlencoded body (capped at REQ_MAX_BODY: a larger declared
 * body is refused before any of it is read) and cookies, percent-decoding
 * strictly (bad escapes, NUL bytes and invalid UTF-8 are refused).
 */
#ifndef JS_REQ_H
#define JS_REQ_H

#include <stddef.h>

#include <fcgiapp.h>

#define REQ_MAX_BODY   (64 * 1024)
/* Fields of one query or body: room for a deployment's ticked assets (a
 * library page of 50) and its target portals (the organisation's cap, at
 * most 1,000) */
#define REQ_MAX_FIELDS 1100
#define REQ_MAX_COOKIES 64
#define REQ_MAX_QUERY  4096

enum req_method { METHOD_GET, METHOD_HEAD, METHOD_POST, METHOD_OTHER };

enum req_err {
	REQ_OK,
	REQ_E_TOO_LARGE, /* 413 */
	REQ_E_ENCODING,	 /* 400: bad percent-encoding, NUL, invalid UTF-8 */
	REQ_E_MEDIA,	 /* 415: a POST body that is not urlencoded */
	REQ_E_FIELDS,	 /* 400: too many fields, duplicate fields */
	REQ_E_IO,	 /* reading the body failed */
	REQ_E_NOMEM,
};

struct kv {
	char *name;
	char *value;
};

struct kvlist {
	struct kv *v;
	size_t n;
};

/* Where a request comes from and where its answer goes. */
struct io {
	char **envp;	  /* CGI environment or FastCGI params */
	FCGX_Stream *in;  /* NULL in CGI mode: stdin */
	FCGX_Stream *out; /* NULL in CGI mode: stdout */
	/* FastCGI: the request, so that a response can be written as whole
	 * FCGI_STDOUT records (http_send); NULL to write through out. */
	FCGX_Request *fcgi;
};

struct req {
	struct io *io;
	enum req_method method;
	const char *method_name;
	char path[256]; /* "/portals/12"; "" when unusable */
	struct kvlist query;
	struct kvlist form;
	struct kvlist cookies;
	const char *remote_addr;
	char id[17];	   /* request id, hex */
	long long path_id; /* numeric path parameter, 0 if none */
};

/* Parse the environment and body of one request into r.  Returns REQ_OK
 * or an enum req_err; r is always safe to req_free(). */
enum req_err req_parse(struct req *r, struct io *io);
void req_free(struct req *r);
/* The HTTP status for a parse error. */
int req_err_status(enum req_err e);
const char *req_strerror(enum req_err e);

/* First value of a field, or NULL. Owned by r. */
const char *req_query(const struct req *r, const char *name);
const char *req_form(const struct req *r, const char *name);
/*
 * A field's name may repeat only when it ends in "[]" ("asset[]": a list of
 * ticked boxes); any other name given twice is refused (REQ_E_FIELDS).
 * req_list_name() says whether name is such a list name.  The list calls
 * put up to max values of name, in order, into out and return how many
 * there are (which may exceed max).
 */
int req_list_name(const char *name);
size_t req_query_list(const struct req *r, const char *name, const char **out, size_t max);
size_t req_form_list(const struct req *r, const char *name, const char **out, size_t max);
const char *req_cookie(const struct req *r, const char *name);
/* The method, path and cookies of the request in io, read as req_parse
 * reads them, and nothing else (no id, query or body): what a batch's
 * read-ahead looks at (route_prefetch).  Free with req_free. */
enum req_err req_peek(struct req *r, struct io *io);
/* The request path (no query) from DOCUMENT_URI, else REQUEST_URI, else
 * PATH_INFO (each may be NULL) into out (size bytes): only [A-Za-z0-9/_.-]
 * and no "..", else "". */
void req_path_of(const char *document_uri, const char *request_uri, const char *path_info,
		 char *out, size_t size);
/* An environment value (CGI meta-variable), or NULL. */
const char *req_env(const struct req *r, const char *name);

/*
 * Percent-decode n bytes of s ('+' becomes a space when plus is set) into
 * a new string (*out, caller frees).  Returns 0, or -1 on a bad escape, an
 * encoded NUL or invalid UTF-8.
 */
int req_urldecode(const char *s, size_t n, int plus, char **out);
/* Parse a=b&c=d into list (appended).  Returns enum req_err. */
enum req_err req_parse_urlencoded(const char *s, size_t n, struct kvlist *list);
/* Parse a Cookie header.  Malformed pairs are skipped. */
enum req_err req_parse_cookies(const char *s, struct kvlist *list);
void req_kvlist_free(struct kvlist *list);
/* 1 when s (n bytes) is valid UTF-8 without NUL, else 0. */
int req_utf8_valid(const char *s, size_t n);

#endif
