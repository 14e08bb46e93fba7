/*
 * Unit tests for the request layer and its neighbours: req.c (strict
 * percent-decoding, urlencoded forms, cookies, UTF-8, req_parse in CGI
 * mode), valid.c (every field validator), conf.c (scope table, connection
 * types, conf_load from the environment and an env file) and http.c
 * (cookie and redirect header safety, the headers http_send writes).
 */
#define _POSIX_C_SOURCE 200809L

#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "fcgi.h"
#include "http.h"
#include "req.h"
#include "sess.h"
#include "valid.h"

/* ------------------------------------------------------------------ */
/* fcgi_stdout: FastCGI records written straight to the socket     */

/* Read every FastCGI record from fd (until EOF): check each header and its
 * padding, and return the concatenated FCGI_STDOUT content (caller frees).
 * *ended: 1 when the stream ended with an empty FCGI_STDOUT record and a
 * complete FCGI_END_REQUEST as the last two records. */
static char *fcgi_read_records(int fd, int request_id, size_t *len, int *records, int *ended)
{
	size_t cap = 1 << 20, n = 0;
	char *all = malloc(cap), *out = malloc(cap);
	int eof_at = -1, end_at = -1;
	ssize_t r;

	ck_assert_ptr_nonnull(all);
	ck_assert_ptr_nonnull(out);
	while ((r = read(fd, all + n, cap - n)) > 0)
		n += (size_t)r;
	*len = 0;
	*records = 0;
	for (size_t at = 0; at < n;) {
		const unsigned char *h = (const unsigned char *)all + at;
		size_t clen, plen;

		ck_assert_uint_ge(n - at, 8);
		ck_assert_int_eq(h[0], 1); /* version */
		ck_assert_int_eq(h[2] << 8 | h[3], request_id);
		clen = (size_t)(h[4] << 8 | h[5]);
		plen = h[6];
		ck_assert_uint_eq((clen + plen) % 8, 0);
		ck_assert_uint_lt(plen, 8);
		ck_assert_uint_ge(n - at - 8, clen + plen);
		ck_assert_int_eq(eof_at < 0 || h[1] == 3, 1); /* only END_REQUEST after EOF */
		ck_assert_int_lt(end_at, 0);		      /* nothing after END_REQUEST */
		if (h[1] == 6 && clen == 0) {
			eof_at = *records;
		} else if (h[1] == 3) {
			ck_assert_uint_eq(clen, 8);
			ck_assert(memcmp(all + at + 8, "\0\0\0\0\0\0\0\0", 8) == 0);
			end_at = *records;
		} else {
			ck_assert_int_eq(h[1], 6); /* FCGI_STDOUT */
			memcpy(out + *len, all + at + 8, clen);
			*len += clen;
		}
		for (size_t i = 0; i < plen; i++)
			ck_assert_int_eq(all[at + 8 + clen + i], 0);
		at += 8 + clen + plen;
		(*records)++;
	}
	*ended = eof_at >= 0 && end_at == eof_at + 1 && end_at == *records - 1;
	free(all);
	return out;
}

struct fcgi_writer {
	int fd, id, rc, end;
	const char *a, *b;
	size_t an, bn;
};

static void *fcgi_writer_run(void *p)
{
	struct fcgi_writer *w = p;

	w->rc = fcgi_stdout(w->fd, w->id, w->a, w->an, w->b, w->bn, w->end);
	close(w->fd);
	return NULL;
}

START_TEST(test_fcgi_stdout)
{
	/* sizes around the record limit, header-only, and a 300 KB page */
	static const size_t sizes[][2] = {{0, 0},	{57, 0},      {0, 9},
					  {100, 31000}, {300, 65228}, {300, 65229},
					  {65528, 0},	{65529, 1},   {700, 300000}};
	for (size_t t = 0; t < sizeof(sizes) / sizeof(sizes[0]); t++) {
		size_t an = sizes[t][0], bn = sizes[t][1], got;
		char *a = malloc(an + 1), *b = malloc(bn + 1), *content;
		int sv[2], records;

		ck_assert_ptr_nonnull(a);
		ck_assert_ptr_nonnull(b);
		for (size_t i = 0; i < an; i++)
			a[i] = (char)('A' + i % 26);
		for (size_t i = 0; i < bn; i++)
			b[i] = (char)('a' + i % 23);
		for (int end = 0; end <= 1; end++) {
			ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
			/* written from a thread: 300 KB does not fit a socket buffer */
			struct fcgi_writer w = {sv[0], 258 + (int)t, -2, end, a, b, an, bn};
			pthread_t th;
			int ended;

			ck_assert_int_eq(pthread_create(&th, NULL, fcgi_writer_run, &w), 0);
			content = fcgi_read_records(sv[1], 258 + (int)t, &got, &records, &ended);
			pthread_join(th, NULL);
			close(sv[1]);
			ck_assert_int_eq(w.rc, 0);
			ck_assert_uint_eq(got, an + bn);
			ck_assert_int_eq(records, (int)((an + bn + 65527) / 65528) + 2 * end);
			ck_assert_int_eq(ended, end);
			ck_assert(memcmp(content, a, an) == 0);
			ck_assert(memcmp(content + an, b, bn) == 0);
			free(content);
		}
		free(a);
		free(b);
	}
	/* a closed peer is an error, not a crash (SIGPIPE ignored by the server) */
	{
		int sv[2];

		signal(SIGPIPE, SIG_IGN);
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		close(sv[1]);
		ck_assert_int_eq(fcgi_stdout(sv[0], 1, "x", 1, NULL, 0, 1), -1);
		close(sv[0]);
	}
}
END_TEST

/* fcgi_peek_params: a request's params looked at, left on the socket  */

/* A FastCGI record of type with content c (n bytes) and pad bytes of
 * padding, appended to out at *at. */
static void rec(unsigned char *out, size_t *at, int type, const void *c, size_t n, size_t pad)
{
	unsigned char h[8] = {1, (unsigned char)type, 0, 1, (unsigned char)(n >> 8),
			      (unsigned char)n, (unsigned char)pad, 0};

	memcpy(out + *at, h, 8);
	memcpy(out + *at + 8, c, n);
	memset(out + *at + 8 + n, 0, pad);
	*at += 8 + n + pad;
}

/* A name-value pair (a long value's length in four bytes) into p. */
static size_t pair(unsigned char *p, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value), at = 0;

	p[at++] = (unsigned char)nl;
	if (vl < 128) {
		p[at++] = (unsigned char)vl;
	} else {
		p[at++] = (unsigned char)(0x80 | (vl >> 24));
		p[at++] = (unsigned char)(vl >> 16);
		p[at++] = (unsigned char)(vl >> 8);
		p[at++] = (unsigned char)vl;
	}
	memcpy(p + at, name, nl);
	memcpy(p + at + nl, value, vl);
	return at + nl + vl;
}

START_TEST(test_fcgi_peek_params)
{
	static const char *const names[] = {"REQUEST_METHOD", "DOCUMENT_URI", "REQUEST_URI"};
	static const unsigned char begin[8] = {0, 1, 1, 0, 0, 0, 0, 0};
	unsigned char msg[4096], pairs[2048];
	char buf[4096], vbuf[512], longv[300], after[16];
	const char *v[3];
	size_t at = 0, pn = 0;
	int sv[2];

	memset(longv, 'c', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	pn += pair(pairs + pn, "HTTP_COOKIE", longv);
	pn += pair(pairs + pn, "REQUEST_METHOD", "GET");
	pn += pair(pairs + pn, "DOCUMENT_URI", "/portals");
	rec(msg, &at, 1, begin, sizeof(begin), 0);
	/* the pairs cut across two records, one of them padded */
	rec(msg, &at, 4, pairs, 200, 0);
	rec(msg, &at, 4, pairs + 200, pn - 200, 3);
	rec(msg, &at, 4, "", 0, 0);
	rec(msg, &at, 5, "", 0, 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	/* nothing yet, then only part of the request: not all there */
	ck_assert_int_eq(fcgi_peek_params(sv[1], buf, sizeof(buf), names, v, 3, vbuf, sizeof(vbuf)),
			 0);
	ck_assert_int_eq(write(sv[0], msg, 60), 60);
	ck_assert_int_eq(fcgi_peek_params(sv[1], buf, sizeof(buf), names, v, 3, vbuf, sizeof(vbuf)),
			 0);
	ck_assert_int_eq(write(sv[0], msg + 60, at - 60), (ssize_t)(at - 60));
	ck_assert_int_eq(fcgi_peek_params(sv[1], buf, sizeof(buf), names, v, 3, vbuf, sizeof(vbuf)),
			 1);
	ck_assert_str_eq(v[0], "GET");
	ck_assert_str_eq(v[1], "/portals");
	ck_assert_ptr_null(v[2]);
	/* too small a buffer for the params: not all there */
	ck_assert_int_eq(fcgi_peek_params(sv[1], buf, 100, names, v, 3, vbuf, sizeof(vbuf)), 0);
	/* a value longer than the room for values */
	ck_assert_int_eq(fcgi_peek_params(sv[1], buf, sizeof(buf), names, v, 3, vbuf, 8), 0);
	/* and the request is still there, every byte of it */
	ck_assert_int_eq(read(sv[1], buf, sizeof(buf)), (ssize_t)at);
	ck_assert_int_eq(memcmp(buf, msg, at), 0);
	/* a record other than the request's start first */
	at = 0;
	rec(msg, &at, 9, "", 0, 0); /* FCGI_GET_VALUES */
	ck_assert_int_eq(write(sv[0], msg, at), (ssize_t)at);
	ck_assert_int_eq(fcgi_peek_params(sv[1], buf, sizeof(buf), names, v, 3, vbuf, sizeof(vbuf)),
			 0);
	ck_assert_int_eq(read(sv[1], after, sizeof(after)), (ssize_t)at);
	/* a pair whose length runs past the params */
	at = 0;
	rec(msg, &at, 1, begin, sizeof(begin), 0);
	rec(msg, &at, 4, "\x0e\x7fREQUEST_METHODGET", 19, 0);
	rec(msg, &at, 4, "", 0, 0);
	ck_assert_int_eq(write(sv[0], msg, at), (ssize_t)at);
	ck_assert_int_eq(fcgi_peek_params(sv[1], buf, sizeof(buf), names, v, 3, vbuf, sizeof(vbuf)),
			 0);
	close(sv[0]);
	close(sv[1]);
	/* a closed socket */
	ck_assert_int_eq(fcgi_peek_params(sv[1], buf, sizeof(buf), names, v, 3, vbuf, sizeof(vbuf)),
			 -1);
}
END_TEST

/* ------------------------------------------------------------------ */
/* req_urldecode                                                        */

/* Decode s with plus handling p and expect want. */
#define dec_ok(s, p, want)                                                                         \
	do {                                                                                       \
		char *o_ = (char *)0x1;                                                            \
		ck_assert_msg(req_urldecode((s), strlen(s), (p), &o_) == 0, "refused: %s", (s));   \
		ck_assert_ptr_nonnull(o_);                                                         \
		ck_assert_str_eq(o_, (want));                                                      \
		free(o_);                                                                          \
	} while (0)

#define dec_bad(s)                                                                                 \
	do {                                                                                       \
		char *o_ = (char *)0x1;                                                            \
		ck_assert_msg(req_urldecode((s), strlen(s), 1, &o_) == -1, "accepted: %s", (s));   \
		ck_assert_ptr_null(o_);                                                            \
	} while (0)

START_TEST(test_urldecode_plain_and_plus)
{
	dec_ok("", 1, "");
	dec_ok("abc", 1, "abc");
	dec_ok("a+b", 1, "a b");
	dec_ok("a+b", 0, "a+b");
	dec_ok("+++", 1, "   ");
	dec_ok("%2B", 1, "+");
	dec_ok("%2b", 0, "+");
	dec_ok("a%20b", 0, "a b");
	dec_ok("%41%42%43", 1, "ABC");
	dec_ok("%3Cscript%3E", 1, "<script>");
	dec_ok("100%25", 1, "100%");
	dec_ok("%26%3D", 1, "&=");
	dec_ok("caf%C3%A9", 1, "caf\xc3\xa9");
	dec_ok("caf%c3%a9", 1, "caf\xc3\xa9");
	dec_ok("%F0%9F%98%80", 1, "\xf0\x9f\x98\x80"); /* U+1F600 */
	dec_ok("%F4%8F%BF%BF", 1, "\xf4\x8f\xbf\xbf"); /* U+10FFFF, the last */
	dec_ok("%EF%BF%BD", 1, "\xef\xbf\xbd");
	dec_ok("\xc3\xa9", 1, "\xc3\xa9"); /* raw UTF-8 passes through */
}
END_TEST

START_TEST(test_urldecode_length_respected)
{
	char *o = NULL;

	/* only n bytes are read: the trailing "%" is outside */
	ck_assert_int_eq(req_urldecode("abc%", 3, 1, &o), 0);
	ck_assert_str_eq(o, "abc");
	free(o);
	ck_assert_int_eq(req_urldecode("%41zz", 3, 1, &o), 0);
	ck_assert_str_eq(o, "A");
	free(o);
	/* "%4" when the '1' after it lies beyond n */
	o = (char *)0x1;
	ck_assert_int_eq(req_urldecode("%41", 2, 1, &o), -1);
	ck_assert_ptr_null(o);
	ck_assert_int_eq(req_urldecode("x", 0, 1, &o), 0);
	ck_assert_str_eq(o, "");
	free(o);
}
END_TEST

START_TEST(test_urldecode_bad_escapes)
{
	dec_bad("%");
	dec_bad("%4");
	dec_bad("a%");
	dec_bad("a%4");
	dec_bad("%zz");
	dec_bad("%4g");
	dec_bad("%g4");
	dec_bad("%%41");
	dec_bad("% 41");
	dec_bad("%-1");
	dec_bad("%+1");
	dec_bad("ok%2");
}
END_TEST

START_TEST(test_urldecode_nul_refused)
{
	dec_bad("%00");
	dec_bad("a%00b");
	dec_bad("abc%00");
	/* an embedded raw NUL inside n is refused too */
	{
		char *o = (char *)0x1;
		ck_assert_int_eq(req_urldecode("a\0b", 3, 1, &o), -1);
		ck_assert_ptr_null(o);
	}
}
END_TEST

START_TEST(test_urldecode_invalid_utf8)
{
	dec_bad("%C3%28");	    /* bad continuation */
	dec_bad("%C0%AF");	    /* overlong '/' */
	dec_bad("%C1%BF");	    /* overlong */
	dec_bad("%E0%80%AF");	    /* overlong 3-byte '/' */
	dec_bad("%F0%80%80%AF");    /* overlong 4-byte '/' */
	dec_bad("%ED%A0%80");	    /* surrogate U+D800 */
	dec_bad("%ED%BF%BF");	    /* surrogate U+DFFF */
	dec_bad("%F4%90%80%80");    /* above U+10FFFF */
	dec_bad("%F5%80%80%80");    /* lead byte beyond Unicode */
	dec_bad("%F8%88%80%80%80"); /* 5-byte form */
	dec_bad("%FF");		    /* never valid */
	dec_bad("%FE");		    /* never valid */
	dec_bad("%80");		    /* lone continuation */
	dec_bad("%C3");		    /* truncated 2-byte */
	dec_bad("%E2%82");	    /* truncated 3-byte */
	dec_bad("%F0%9F%98");	    /* truncated 4-byte */
	dec_bad("a%C3%A9%C3");	    /* good then truncated */
	dec_bad("\xc3(");	    /* raw invalid bytes too */
	dec_bad("\xc0\xaf");
	dec_bad("\xed\xa0\x80");
}
END_TEST

/* ------------------------------------------------------------------ */
/* req_utf8_valid                                                       */

START_TEST(test_utf8_valid)
{
	ck_assert_int_eq(req_utf8_valid("", 0), 1);
	ck_assert_int_eq(req_utf8_valid("plain ascii ~", 13), 1);
	ck_assert_int_eq(req_utf8_valid("\x7f", 1), 1);
	ck_assert_int_eq(req_utf8_valid("\xc2\x80", 2), 1);	    /* U+0080 */
	ck_assert_int_eq(req_utf8_valid("\xdf\xbf", 2), 1);	    /* U+07FF */
	ck_assert_int_eq(req_utf8_valid("\xe0\xa0\x80", 3), 1);	    /* U+0800 */
	ck_assert_int_eq(req_utf8_valid("\xed\x9f\xbf", 3), 1);	    /* U+D7FF */
	ck_assert_int_eq(req_utf8_valid("\xee\x80\x80", 3), 1);	    /* U+E000 */
	ck_assert_int_eq(req_utf8_valid("\xef\xbf\xbf", 3), 1);	    /* U+FFFF */
	ck_assert_int_eq(req_utf8_valid("\xf0\x90\x80\x80", 4), 1); /* U+10000 */
	ck_assert_int_eq(req_utf8_valid("\xf4\x8f\xbf\xbf", 4), 1); /* U+10FFFF */

	ck_assert_int_eq(req_utf8_valid("a\0b", 3), 0);
	ck_assert_int_eq(req_utf8_valid("\0", 1), 0);
	ck_assert_int_eq(req_utf8_valid("\x80", 1), 0);
	ck_assert_int_eq(req_utf8_valid("\xbf", 1), 0);
	ck_assert_int_eq(req_utf8_valid("\xc0\x80", 2), 0); /* overlong NUL */
	ck_assert_int_eq(req_utf8_valid("\xc1\xbf", 2), 0);
	ck_assert_int_eq(req_utf8_valid("\xe0\x9f\xbf", 3), 0);
	ck_assert_int_eq(req_utf8_valid("\xed\xa0\x80", 3), 0);
	ck_assert_int_eq(req_utf8_valid("\xed\xbf\xbf", 3), 0);
	ck_assert_int_eq(req_utf8_valid("\xf0\x8f\xbf\xbf", 4), 0);
	ck_assert_int_eq(req_utf8_valid("\xf4\x90\x80\x80", 4), 0);
	ck_assert_int_eq(req_utf8_valid("\xf8\x88\x80\x80\x80", 5), 0);
	ck_assert_int_eq(req_utf8_valid("\xfe", 1), 0);
	ck_assert_int_eq(req_utf8_valid("\xff", 1), 0);
	ck_assert_int_eq(req_utf8_valid("\xc3", 1), 0);
	ck_assert_int_eq(req_utf8_valid("\xe2\x82", 2), 0);
	ck_assert_int_eq(req_utf8_valid("\xc3\x28", 2), 0);
	ck_assert_int_eq(req_utf8_valid("\xe2\x28\xa1", 3), 0);
	/* n bounds the check: a valid prefix of an invalid buffer */
	ck_assert_int_eq(req_utf8_valid("ab\xff", 2), 1);
	ck_assert_int_eq(req_utf8_valid("\xc3\xa9", 1), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* req_parse_urlencoded                                                 */

static enum req_err parse_form(const char *s, struct kvlist *l)
{
	memset(l, 0, sizeof(*l));
	return req_parse_urlencoded(s, strlen(s), l);
}

START_TEST(test_form_basic)
{
	struct kvlist l;

	ck_assert_int_eq(parse_form("", &l), REQ_OK);
	ck_assert_uint_eq(l.n, 0);
	req_kvlist_free(&l);

	ck_assert_int_eq(parse_form("&&&", &l), REQ_OK);
	ck_assert_uint_eq(l.n, 0);
	req_kvlist_free(&l);

	ck_assert_int_eq(parse_form("a=1&b=two&c=x+y%21", &l), REQ_OK);
	ck_assert_uint_eq(l.n, 3);
	ck_assert_str_eq(l.v[0].name, "a");
	ck_assert_str_eq(l.v[0].value, "1");
	ck_assert_str_eq(l.v[1].name, "b");
	ck_assert_str_eq(l.v[1].value, "two");
	ck_assert_str_eq(l.v[2].name, "c");
	ck_assert_str_eq(l.v[2].value, "x y!");
	req_kvlist_free(&l);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_ptr_null(l.v);

	ck_assert_int_eq(parse_form("a=", &l), REQ_OK);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.v[0].name, "a");
	ck_assert_str_eq(l.v[0].value, "");
	req_kvlist_free(&l);

	ck_assert_int_eq(parse_form("flag", &l), REQ_OK);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.v[0].name, "flag");
	ck_assert_str_eq(l.v[0].value, "");
	req_kvlist_free(&l);

	ck_assert_int_eq(parse_form("k=a=b", &l), REQ_OK);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.v[0].value, "a=b");
	req_kvlist_free(&l);

	ck_assert_int_eq(parse_form("&a+b=c+d&&", &l), REQ_OK);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.v[0].name, "a b");
	ck_assert_str_eq(l.v[0].value, "c d");
	req_kvlist_free(&l);

	ck_assert_int_eq(parse_form("next=%2Fportals%3Fsort%3Dname%26status%3Dconnected", &l),
			 REQ_OK);
	ck_assert_str_eq(l.v[0].value, "/portals?sort=name&status=connected");
	req_kvlist_free(&l);
}
END_TEST

START_TEST(test_form_empty_name)
{
	struct kvlist l;

	/* "=b": a nameless value never becomes a field named "b" */
	ck_assert_int_eq(parse_form("=b", &l), REQ_OK);
	ck_assert_uint_le(l.n, 1);
	if (l.n == 1) {
		ck_assert_str_eq(l.v[0].name, "");
		ck_assert_str_eq(l.v[0].value, "b");
	}
	req_kvlist_free(&l);
}
END_TEST

START_TEST(test_form_duplicates_refused)
{
	struct kvlist l;

	ck_assert_int_eq(parse_form("a=1&a=2", &l), REQ_E_FIELDS);
	req_kvlist_free(&l);
	ck_assert_int_eq(parse_form("a=1&a=1", &l), REQ_E_FIELDS);
	req_kvlist_free(&l);
	ck_assert_int_eq(parse_form("a=1&b=2&a", &l), REQ_E_FIELDS);
	req_kvlist_free(&l);
	/* the same name once decoded */
	ck_assert_int_eq(parse_form("csrf=x&%63srf=y", &l), REQ_E_FIELDS);
	req_kvlist_free(&l);
	ck_assert_int_eq(parse_form("a+b=1&a%20b=2", &l), REQ_E_FIELDS);
	req_kvlist_free(&l);
	/* names differ in case: two fields */
	ck_assert_int_eq(parse_form("a=1&A=2", &l), REQ_OK);
	ck_assert_uint_eq(l.n, 2);
	req_kvlist_free(&l);
	/* appending to a list that already has the name */
	ck_assert_int_eq(parse_form("a=1", &l), REQ_OK);
	ck_assert_int_eq(req_parse_urlencoded("a=2", 3, &l), REQ_E_FIELDS);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.v[0].value, "1");
	ck_assert_int_eq(req_parse_urlencoded("b=2", 3, &l), REQ_OK);
	ck_assert_uint_eq(l.n, 2);
	req_kvlist_free(&l);
	/* a list name ("asset[]", ticked boxes) may repeat; its values stay
	 * in order; the same name without [] still may not */
	ck_assert_int_eq(parse_form("asset%5B%5D=3&asset%5B%5D=1&x=2&asset%5B%5D=3", &l), REQ_OK);
	ck_assert_uint_eq(l.n, 4);
	ck_assert_str_eq(l.v[3].value, "3");
	req_kvlist_free(&l);
	ck_assert_int_eq(parse_form("asset%5B%5D=3&asset=1&asset=2", &l), REQ_E_FIELDS);
	req_kvlist_free(&l);
	ck_assert_int_eq(parse_form("%5B%5D=1&%5B%5D=2", &l), REQ_E_FIELDS);
	req_kvlist_free(&l);
	ck_assert(req_list_name("portal[]"));
	ck_assert(!req_list_name("[]"));
	ck_assert(!req_list_name("portal[ ]"));
}
END_TEST

START_TEST(test_form_field_limit)
{
	static char s[REQ_MAX_FIELDS * 16];
	size_t n = 0;
	struct kvlist l;

	for (int i = 0; i < REQ_MAX_FIELDS; i++)
		n += (size_t)snprintf(s + n, sizeof(s) - n, "%sf%d=%d", i ? "&" : "", i, i);
	ck_assert_int_eq(parse_form(s, &l), REQ_OK);
	ck_assert_uint_eq(l.n, REQ_MAX_FIELDS);
	ck_assert_str_eq(l.v[63].name, "f63");
	ck_assert_str_eq(l.v[63].value, "63");
	req_kvlist_free(&l);

	snprintf(s + n, sizeof(s) - n, "&f%d=x", REQ_MAX_FIELDS);
	ck_assert_int_eq(parse_form(s, &l), REQ_E_FIELDS);
	req_kvlist_free(&l);

	/* empty pieces do not count */
	n = 0;
	for (int i = 0; i < REQ_MAX_FIELDS; i++)
		n += (size_t)snprintf(s + n, sizeof(s) - n, "&&f%d=", i);
	ck_assert_int_eq(parse_form(s, &l), REQ_OK);
	ck_assert_uint_eq(l.n, REQ_MAX_FIELDS);
	req_kvlist_free(&l);
}
END_TEST

START_TEST(test_form_bad_encoding)
{
	struct kvlist l;

	ck_assert_int_eq(parse_form("a=%zz", &l), REQ_E_ENCODING);
	req_kvlist_free(&l);
	ck_assert_int_eq(parse_form("%zz=a", &l), REQ_E_ENCODING);
	req_kvlist_free(&l);
	ck_assert_int_eq(parse_form("a=1&b=%", &l), REQ_E_ENCODING);
	req_kvlist_free(&l);
	ck_assert_int_eq(parse_form("a=%4&b=1", &l), REQ_E_ENCODING);
	req_kvlist_free(&l);
	ck_assert_int_eq(parse_form("a=x%00y", &l), REQ_E_ENCODING);
	req_kvlist_free(&l);
	ck_assert_int_eq(parse_form("a=%C3%28", &l), REQ_E_ENCODING);
	req_kvlist_free(&l);
	ck_assert_int_eq(parse_form("a=%C0%AF", &l), REQ_E_ENCODING);
	req_kvlist_free(&l);
	ck_assert_int_eq(parse_form("a=%ED%A0%80", &l), REQ_E_ENCODING);
	req_kvlist_free(&l);
	ck_assert_int_eq(parse_form("%00=1", &l), REQ_E_ENCODING);
	req_kvlist_free(&l);
}
END_TEST

/* ------------------------------------------------------------------ */
/* req_parse_cookies                                                    */

static const char *kv(const struct kvlist *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return l->v[i].value;
	return NULL;
}

START_TEST(test_cookies)
{
	struct kvlist l = {0};

	ck_assert_int_eq(req_parse_cookies("a=1", &l), REQ_OK);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(kv(&l, "a"), "1");
	req_kvlist_free(&l);

	ck_assert_int_eq(req_parse_cookies("a=1; b=2;c=3", &l), REQ_OK);
	ck_assert_uint_eq(l.n, 3);
	ck_assert_str_eq(kv(&l, "a"), "1");
	ck_assert_str_eq(kv(&l, "b"), "2");
	ck_assert_str_eq(kv(&l, "c"), "3");
	req_kvlist_free(&l);

	/* spaces around pairs */
	ck_assert_int_eq(req_parse_cookies("   js_pre=abc  ;   js_session=x.y.z   ", &l), REQ_OK);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(kv(&l, "js_pre"), "abc");
	ck_assert_str_eq(kv(&l, "js_session"), "x.y.z");
	req_kvlist_free(&l);

	/* the first of a name wins */
	ck_assert_int_eq(req_parse_cookies("s=first; other=o; s=second", &l), REQ_OK);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(kv(&l, "s"), "first");
	ck_assert_str_eq(kv(&l, "other"), "o");
	req_kvlist_free(&l);

	/* values keep '=' and may be empty; not percent-decoded */
	ck_assert_int_eq(req_parse_cookies("t=a=b==; e=; p=%41", &l), REQ_OK);
	ck_assert_str_eq(kv(&l, "t"), "a=b==");
	ck_assert_str_eq(kv(&l, "e"), "");
	ck_assert_str_eq(kv(&l, "p"), "%41");
	req_kvlist_free(&l);
}
END_TEST

START_TEST(test_cookies_malformed_skipped)
{
	struct kvlist l = {0};

	ck_assert_int_eq(req_parse_cookies("novalue; =x; ok=1;;; ; junk ;z=2", &l), REQ_OK);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(kv(&l, "ok"), "1");
	ck_assert_str_eq(kv(&l, "z"), "2");
	ck_assert_ptr_null(kv(&l, "novalue"));
	ck_assert_ptr_null(kv(&l, ""));
	req_kvlist_free(&l);

	ck_assert_int_eq(req_parse_cookies("", &l), REQ_OK);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_int_eq(req_parse_cookies(";;; ;", &l), REQ_OK);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_int_eq(req_parse_cookies(NULL, &l), REQ_OK);
	ck_assert_uint_eq(l.n, 0);
	req_kvlist_free(&l);
}
END_TEST

START_TEST(test_cookies_many)
{
	char s[4096];
	size_t n = 0;
	struct kvlist l = {0};

	/* more cookies than the field limit: kept up to the limit, no error */
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(s + n, sizeof(s) - n, "c%d=%d; ", i, i);
	ck_assert_int_eq(req_parse_cookies(s, &l), REQ_OK);
	ck_assert_uint_eq(l.n, REQ_MAX_COOKIES);
	ck_assert_str_eq(kv(&l, "c0"), "0");
	req_kvlist_free(&l);
}
END_TEST

/* ------------------------------------------------------------------ */
/* req_parse in CGI mode (environment array, stdin body)                 */

static struct io cgi_io(char **envp)
{
	struct io io = {.envp = envp, .in = NULL, .out = NULL};
	return io;
}

START_TEST(test_req_parse_get)
{
	char *env[] = {"REQUEST_METHOD=GET",
		       "DOCUMENT_URI=/portals/12",
		       "QUERY_STRING=sort=name&status=connected",
		       "HTTP_COOKIE=js_session=a.b.c; js_pre=p",
		       "REMOTE_ADDR=127.0.0.1",
		       NULL};
	struct io io = cgi_io(env);
	struct req r;

	ck_assert_int_eq(req_parse(&r, &io), REQ_OK);
	ck_assert_int_eq(r.method, METHOD_GET);
	ck_assert_str_eq(r.method_name, "GET");
	ck_assert_str_eq(r.path, "/portals/12");
	ck_assert_str_eq(req_query(&r, "sort"), "name");
	ck_assert_str_eq(req_query(&r, "status"), "connected");
	ck_assert_ptr_null(req_query(&r, "missing"));
	ck_assert_ptr_null(req_form(&r, "sort"));
	ck_assert_str_eq(req_cookie(&r, "js_session"), "a.b.c");
	ck_assert_str_eq(req_cookie(&r, "js_pre"), "p");
	ck_assert_str_eq(req_env(&r, "REMOTE_ADDR"), "127.0.0.1");
	ck_assert_uint_eq(strlen(r.id), 16);
	req_free(&r);
}
END_TEST

START_TEST(test_req_parse_paths)
{
	static const struct {
		const char *var, *uri, *want;
	} cases[] = {
	    {"DOCUMENT_URI", "/login", "/login"},
	    {"REQUEST_URI", "/portals?sort=name", "/portals"},
	    {"PATH_INFO", "/healthz", "/healthz"},
	    {"DOCUMENT_URI", "/help/oauth-connection-flow", "/help/oauth-connection-flow"},
	    {"DOCUMENT_URI", "/static/app.css", "/static/app.css"},
	    {"DOCUMENT_URI", "/a b", ""},
	    {"DOCUMENT_URI", "/portals/<script>", ""},
	    {"DOCUMENT_URI", "/portals/%41", ""},
	    {"DOCUMENT_URI", "/../etc/passwd", ""},
	    {"DOCUMENT_URI", "/a/..", ""},
	    {"DOCUMENT_URI", "/caf\xc3\xa9", ""},
	    {"DOCUMENT_URI", "portals", ""},
	    {"DOCUMENT_URI", "/x'\"", ""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char var[512];
		char *env[] = {"REQUEST_METHOD=GET", var, NULL};
		struct io io = cgi_io(env);
		struct req r;

		snprintf(var, sizeof(var), "%s=%s", cases[i].var, cases[i].uri);
		ck_assert_int_eq(req_parse(&r, &io), REQ_OK);
		ck_assert_msg(strcmp(r.path, cases[i].want) == 0, "%s: path '%s', want '%s'", var,
			      r.path, cases[i].want);
		req_free(&r);
	}
	{
		/* a path longer than the buffer is unusable */
		char var[400];
		char *env[] = {"REQUEST_METHOD=GET", var, NULL};
		struct io io = cgi_io(env);
		struct req r;

		memcpy(var, "DOCUMENT_URI=/", 14);
		memset(var + 14, 'a', 300);
		var[314] = '\0';
		ck_assert_int_eq(req_parse(&r, &io), REQ_OK);
		ck_assert_str_eq(r.path, "");
		req_free(&r);
	}
}
END_TEST

START_TEST(test_req_parse_methods)
{
	static const struct {
		const char *m;
		enum req_method want;
	} cases[] = {{"REQUEST_METHOD=HEAD", METHOD_HEAD},
		     {"REQUEST_METHOD=POST", METHOD_POST},
		     {"REQUEST_METHOD=PUT", METHOD_OTHER},
		     {"REQUEST_METHOD=get", METHOD_OTHER},
		     {"X=1", METHOD_OTHER}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *env[] = {(char *)cases[i].m, "DOCUMENT_URI=/", NULL};
		struct io io = cgi_io(env);
		struct req r;

		ck_assert_int_eq(req_parse(&r, &io), REQ_OK);
		ck_assert_int_eq(r.method, cases[i].want);
		req_free(&r);
	}
}
END_TEST

START_TEST(test_req_parse_query_errors)
{
	char big[REQ_MAX_QUERY + 64];
	char *env[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/portals", big, NULL};
	struct io io = cgi_io(env);
	struct req r;

	snprintf(big, sizeof(big), "QUERY_STRING=sort=%%zz");
	ck_assert_int_eq(req_parse(&r, &io), REQ_E_ENCODING);
	ck_assert_int_eq(req_err_status(REQ_E_ENCODING), 400);
	req_free(&r);

	snprintf(big, sizeof(big), "QUERY_STRING=sort=a&sort=b");
	ck_assert_int_eq(req_parse(&r, &io), REQ_E_FIELDS);
	ck_assert_int_eq(req_err_status(REQ_E_FIELDS), 400);
	req_free(&r);

	memcpy(big, "QUERY_STRING=a=", 15);
	memset(big + 15, 'x', REQ_MAX_QUERY);
	big[15 + REQ_MAX_QUERY] = '\0';
	ck_assert_int_eq(req_parse(&r, &io), REQ_E_TOO_LARGE);
	req_free(&r);

	/* exactly the limit is fine */
	big[13 + REQ_MAX_QUERY] = '\0';
	ck_assert_int_eq(req_parse(&r, &io), REQ_OK);
	ck_assert_uint_eq(strlen(req_query(&r, "a")), REQ_MAX_QUERY - 2);
	req_free(&r);
}
END_TEST

START_TEST(test_req_parse_post_refusals)
{
	/* refused before any body is read: stdin is never touched */
	static const struct {
		const char *len, *type;
		enum req_err want;
	} cases[] = {
	    {"CONTENT_LENGTH=65537", "CONTENT_TYPE=application/x-www-form-urlencoded",
	     REQ_E_TOO_LARGE},
	    {"CONTENT_LENGTH=71680", "CONTENT_TYPE=application/x-www-form-urlencoded",
	     REQ_E_TOO_LARGE},
	    {"CONTENT_LENGTH=99999999999999999999",
	     "CONTENT_TYPE=application/x-www-form-urlencoded", REQ_E_ENCODING},
	    {"CONTENT_LENGTH=12", "CONTENT_TYPE=application/json", REQ_E_MEDIA},
	    {"CONTENT_LENGTH=12", "CONTENT_TYPE=multipart/form-data; boundary=x", REQ_E_MEDIA},
	    {"CONTENT_LENGTH=12", "CONTENT_TYPE=application/x-www-form-urlencodedX", REQ_E_MEDIA},
	    {"CONTENT_LENGTH=12", "X=no-content-type", REQ_E_MEDIA},
	    {"CONTENT_LENGTH=-1", "CONTENT_TYPE=application/x-www-form-urlencoded", REQ_E_ENCODING},
	    {"CONTENT_LENGTH=12abc", "CONTENT_TYPE=application/x-www-form-urlencoded",
	     REQ_E_ENCODING},
	    {"CONTENT_LENGTH=0", "CONTENT_TYPE=application/json", REQ_OK},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *env[] = {"REQUEST_METHOD=POST", "DOCUMENT_URI=/login", (char *)cases[i].len,
			       (char *)cases[i].type, NULL};
		struct io io = cgi_io(env);
		struct req r;

		ck_assert_msg(req_parse(&r, &io) == cases[i].want, "%s %s", cases[i].len,
			      cases[i].type);
		ck_assert_uint_eq(r.form.n, 0);
		req_free(&r);
	}
	ck_assert_int_eq(req_err_status(REQ_E_TOO_LARGE), 413);
	ck_assert_int_eq(req_err_status(REQ_E_MEDIA), 415);
	ck_assert_int_eq(req_err_status(REQ_OK), 200);
	ck_assert_ptr_nonnull(strstr(req_strerror(REQ_E_TOO_LARGE), "too large"));
	ck_assert_ptr_nonnull(strstr(req_strerror(REQ_E_MEDIA), "urlencoded"));
}
END_TEST

/* Point stdin at a file holding body. */
static void stdin_from(const char *body)
{
	char path[] = "/tmp/test_req_body_XXXXXX";
	int fd = mkstemp(path);
	FILE *f;

	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fputs(body, f);
	fclose(f);
	ck_assert_ptr_nonnull(freopen(path, "r", stdin));
	unlink(path);
}

START_TEST(test_req_parse_post_body)
{
	char *env[] = {"REQUEST_METHOD=POST",
		       "DOCUMENT_URI=/login",
		       "CONTENT_LENGTH=33",
		       "CONTENT_TYPE=application/x-www-form-urlencoded; charset=UTF-8",
		       "QUERY_STRING=next=%2Fportals",
		       NULL};
	struct io io = cgi_io(env);
	struct req r;

	stdin_from("email=a%40b.test&password=p+w&x=1EXTRA");
	ck_assert_int_eq(req_parse(&r, &io), REQ_OK);
	ck_assert_uint_eq(r.form.n, 3);
	ck_assert_str_eq(req_form(&r, "email"), "a@b.test");
	ck_assert_str_eq(req_form(&r, "password"), "p w");
	ck_assert_str_eq(req_form(&r, "x"), "1");
	ck_assert_str_eq(req_query(&r, "next"), "/portals");
	ck_assert_ptr_null(req_form(&r, "next"));
	req_free(&r);
}
END_TEST

START_TEST(test_req_parse_post_short_body)
{
	char *env[] = {"REQUEST_METHOD=POST", "DOCUMENT_URI=/login", "CONTENT_LENGTH=100",
		       "CONTENT_TYPE=application/x-www-form-urlencoded", NULL};
	struct io io = cgi_io(env);
	struct req r;

	stdin_from("a=1");
	ck_assert_int_eq(req_parse(&r, &io), REQ_E_IO);
	ck_assert_int_eq(req_err_status(REQ_E_IO), 500);
	req_free(&r);
}
END_TEST

START_TEST(test_req_parse_post_bad_body)
{
	char *env[] = {"REQUEST_METHOD=POST", "DOCUMENT_URI=/login", "CONTENT_LENGTH=11",
		       "CONTENT_TYPE=application/x-www-form-urlencoded", NULL};
	struct io io = cgi_io(env);
	struct req r;

	stdin_from("email=%E0%8");
	ck_assert_int_eq(req_parse(&r, &io), REQ_E_ENCODING);
	req_free(&r);
	stdin_from("a=1&b=2&a=3");
	ck_assert_int_eq(req_parse(&r, &io), REQ_E_FIELDS);
	req_free(&r);
}
END_TEST

START_TEST(test_req_parse_body_at_limit)
{
	char cl[64];
	char *env[] = {"REQUEST_METHOD=POST", "DOCUMENT_URI=/login", cl,
		       "CONTENT_TYPE=application/x-www-form-urlencoded", NULL};
	struct io io = cgi_io(env);
	struct req r;
	char *body = malloc(REQ_MAX_BODY + 1);

	ck_assert_ptr_nonnull(body);
	memcpy(body, "pad=", 4);
	memset(body + 4, 'x', REQ_MAX_BODY - 4);
	body[REQ_MAX_BODY] = '\0';
	snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%d", REQ_MAX_BODY);
	stdin_from(body);
	free(body);
	ck_assert_int_eq(req_parse(&r, &io), REQ_OK);
	ck_assert_uint_eq(strlen(req_form(&r, "pad")), REQ_MAX_BODY - 4);
	req_free(&r);
}
END_TEST

START_TEST(test_req_parse_cookie_header)
{
	char big[9000];
	char *env[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/", big, NULL};
	struct io io = cgi_io(env);
	struct req r;

	snprintf(big, sizeof(big), "HTTP_COOKIE=js_session=one; js_session=two");
	ck_assert_int_eq(req_parse(&r, &io), REQ_OK);
	ck_assert_str_eq(req_cookie(&r, "js_session"), "one");
	req_free(&r);

	/* an oversized Cookie header is ignored, not fatal */
	memcpy(big, "HTTP_COOKIE=a=", 14);
	memset(big + 14, 'x', 8500);
	big[14 + 8500] = '\0';
	ck_assert_int_eq(req_parse(&r, &io), REQ_OK);
	ck_assert_ptr_null(req_cookie(&r, "a"));
	req_free(&r);
}
END_TEST

/* ------------------------------------------------------------------ */
/* valid.c                                                              */

#define good(fn, s) ck_assert_msg(fn(s) == 1, #fn " refused \"%s\"", (s))
#define bad(fn, s)  ck_assert_msg(fn(s) == 0, #fn " accepted \"%s\"", (s))

/* A string of n copies of c (static buffer, one at a time). */
static const char *rep(char c, size_t n)
{
	static char b[2100];
	ck_assert_uint_lt(n, sizeof(b));
	memset(b, c, n);
	b[n] = '\0';
	return b;
}

START_TEST(test_valid_email)
{
	good(valid_email, "a@b");
	good(valid_email, "ann@example.com");
	good(valid_email, "Ann.Lee+ops@agency.example.co.uk");
	good(valid_email, "x_y-z@sub.example.test");
	bad(valid_email, "");
	bad(valid_email, "a@");
	bad(valid_email, "@b");
	bad(valid_email, "ab");
	bad(valid_email, "a@b@c");
	bad(valid_email, "a b@c.d");
	bad(valid_email, "a<b@c.d");
	bad(valid_email, "a@c.d>");
	bad(valid_email, "a\"b@c.d");
	bad(valid_email, "a\\b@c.d");
	bad(valid_email, "a,b@c.d");
	bad(valid_email, "a;b@c.d");
	bad(valid_email, "a\n@c.d");
	bad(valid_email, "a\x01@c.d");
	bad(valid_email, "a\x7f@c.d");
	bad(valid_email, "a@\xc3\x28.d");
	{
		char e[300];
		/* 254 bytes total is the longest address */
		memset(e, 'a', 250);
		memcpy(e + 250, "@b.c", 5);
		ck_assert_uint_eq(strlen(e), 254);
		good(valid_email, e);
		memset(e, 'a', 251);
		memcpy(e + 251, "@b.c", 5);
		bad(valid_email, e);
	}
}
END_TEST

/* An apostrophe is an ordinary character of a mailbox's local part
 * (RFC 5322 atext): O'Brien must be able to have an account. */
START_TEST(test_valid_email_apostrophe)
{
	good(valid_email, "o'brien@example.com");
}
END_TEST

START_TEST(test_valid_password)
{
	good(valid_password, "x");
	good(valid_password, "correct horse battery staple");
	good(valid_password, "p\xc3\xa4ss");
	good(valid_password, rep('p', 1024));
	bad(valid_password, "");
	bad(valid_password, rep('p', 1025));
	bad(valid_password, "\xc3\x28");
}
END_TEST

/* The gate's check of CSRF and OAuth state values is sess_random_valid
 * (one validator for the 43-character token; canonical base64url). */
START_TEST(test_valid_token)
{
	good(sess_random_valid, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ");
	good(sess_random_valid, "0123456789-_0123456789-_0123456789-_0123454");
	bad(sess_random_valid, "0123456789-_0123456789-_0123456789-_0123456"); /* pad bits */
	good(sess_random_valid, rep('A', 43));
	bad(sess_random_valid, rep('A', 42));
	bad(sess_random_valid, rep('A', 44));
	bad(sess_random_valid, "");
	bad(sess_random_valid, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP=");
	bad(sess_random_valid, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP+");
	bad(sess_random_valid, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP/");
	bad(sess_random_valid, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP.");
	bad(sess_random_valid, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP ");
	bad(sess_random_valid, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNO\xc3\xa9");
}
END_TEST

START_TEST(test_valid_id)
{
	good(valid_id, "1");
	good(valid_id, "9");
	good(valid_id, "10");
	good(valid_id, "123456789012345678");
	good(valid_id, "999999999999999999");
	bad(valid_id, "");
	bad(valid_id, "0");
	bad(valid_id, "00");
	bad(valid_id, "01");
	bad(valid_id, "1234567890123456789");
	bad(valid_id, "-1");
	bad(valid_id, "+1");
	bad(valid_id, " 1");
	bad(valid_id, "1 ");
	bad(valid_id, "1a");
	bad(valid_id, "0x10");
	bad(valid_id, "1e3");
	bad(valid_id, "1.0");
}
END_TEST

START_TEST(test_valid_local_path)
{
	good(valid_local_path, "/");
	good(valid_local_path, "/portals");
	good(valid_local_path, "/portals/12");
	good(valid_local_path, "/portals?sort=name&status=connected");
	good(valid_local_path, "/help/oauth-connection-flow");
	bad(valid_local_path, "");
	bad(valid_local_path, "portals");
	bad(valid_local_path, "//evil.com");
	bad(valid_local_path, "//evil.com/portals");
	bad(valid_local_path, "/\\evil.com");
	bad(valid_local_path, "\\\\evil.com");
	bad(valid_local_path, "http://evil.com");
	bad(valid_local_path, "https://evil.com/portals");
	bad(valid_local_path, "javascript:alert(1)");
	bad(valid_local_path, "/portals\\..\\x");
	bad(valid_local_path, "/a b");
	bad(valid_local_path, "/<script>");
	bad(valid_local_path, "/x\"y");
	bad(valid_local_path, "/x'y");
	bad(valid_local_path, "/%2F%2Fevil.com");
	bad(valid_local_path, "/x\r\nSet-Cookie:a=b");
	bad(valid_local_path, "/x\t");
	bad(valid_local_path, "/p#frag");
	bad(valid_local_path, "/caf\xc3\xa9");
	{
		char p[300];
		p[0] = '/';
		memset(p + 1, 'a', 200);
		p[201] = '\0';
		good(valid_local_path, p);
		memset(p + 1, 'a', 201);
		p[202] = '\0';
		bad(valid_local_path, p);
	}
}
END_TEST

START_TEST(test_valid_text)
{
	good(valid_text, "The user cancelled.");
	good(valid_text, rep('t', 500));
	bad(valid_text, rep('t', 501));
	bad(valid_text, "line\r\nbreak");
	bad(valid_text, "\xff");
}
END_TEST

START_TEST(test_valid_oauth_code_and_error)
{
	good(valid_oauth_code, "na1-abcd-1234");
	good(valid_oauth_code, "AZaz09-_.~+/=:");
	good(valid_oauth_code, rep('c', 1024));
	bad(valid_oauth_code, rep('c', 1025));
	bad(valid_oauth_code, "");
	bad(valid_oauth_code, "a b");
	bad(valid_oauth_code, "a&b");
	bad(valid_oauth_code, "a%20b");
	bad(valid_oauth_code, "a\"b");
	bad(valid_oauth_code, "<x>");
	bad(valid_oauth_code, "a\nb");

	good(valid_oauth_error, "access_denied");
	good(valid_oauth_error, "invalid_scope");
	good(valid_oauth_error, "x");
	good(valid_oauth_error, rep('e', 64));
	bad(valid_oauth_error, rep('e', 65));
	bad(valid_oauth_error, "");
	bad(valid_oauth_error, "access-denied");
	bad(valid_oauth_error, "access denied");
	bad(valid_oauth_error, "<script>");
	bad(valid_oauth_error, "a.b");
}
END_TEST

START_TEST(test_valid_enums)
{
	good(valid_conn_type, "config_only");
	good(valid_conn_type, "config_audit");
	good(valid_conn_type, "audit_only");
	bad(valid_conn_type, "");
	bad(valid_conn_type, "Config_Only");
	bad(valid_conn_type, "config_only ");
	bad(valid_conn_type, "config");
	bad(valid_conn_type, "audit_only_x");

	good(valid_sort, "name");
	good(valid_sort, "status");
	good(valid_sort, "last");
	bad(valid_sort, "");
	bad(valid_sort, "evil");
	bad(valid_sort, "NAME");
	bad(valid_sort, "name;drop");
	bad(valid_sort, "id");

	good(valid_status, "connected");
	good(valid_status, "needs_reconnection");
	good(valid_status, "disconnected");
	bad(valid_status, "");
	bad(valid_status, "Connected");
	bad(valid_status, "connected ");
	bad(valid_status, "removed");
	bad(valid_status, "needs reconnection");

	good(valid_confirm, "yes");
	bad(valid_confirm, "");
	bad(valid_confirm, "YES");
	bad(valid_confirm, "y");
	bad(valid_confirm, "yes ");
	bad(valid_confirm, "no");
	bad(valid_confirm, "true");
}
END_TEST

/* ------------------------------------------------------------------ */
/* conf.c: the scope table and connection types                          */

START_TEST(test_conf_scopes_cover)
{
	ck_assert_int_eq(conf_scopes_cover("a b", "b a c"), 1);
	ck_assert_int_eq(conf_scopes_cover("a b", "a b"), 1);
	ck_assert_int_eq(conf_scopes_cover("", ""), 1);
	ck_assert_int_eq(conf_scopes_cover("", "a"), 1);
	ck_assert_int_eq(conf_scopes_cover("  a   b ", " b  a "), 1);
	ck_assert_int_eq(conf_scopes_cover("a b", "a"), 0);
	ck_assert_int_eq(conf_scopes_cover("a", ""), 0);
	ck_assert_int_eq(conf_scopes_cover("a", "ab"), 0);
	ck_assert_int_eq(conf_scopes_cover("ab", "a b"), 0);
	ck_assert_int_eq(
	    conf_scopes_cover("crm.objects.contacts.read", "crm.objects.contacts.read.extra"), 0);
	ck_assert_int_eq(conf_scopes_cover("crm.objects.contacts.read", "crm.objects.contacts"), 0);
	ck_assert_int_eq(conf_scopes_cover("Forms", "forms"), 0);
	ck_assert_int_eq(
	    conf_scopes_cover("oauth settings.users.read crm.schemas.contacts.read "
			      "crm.schemas.contacts.write automation forms",
			      "forms automation crm.schemas.contacts.write oauth content "
			      "crm.schemas.contacts.read settings.users.read"),
	    1);
	ck_assert_int_eq(
	    conf_scopes_cover(
		"oauth settings.users.read crm.schemas.contacts.read "
		"crm.schemas.contacts.write automation forms crm.objects.contacts.read",
		"forms automation crm.schemas.contacts.write oauth "
		"crm.schemas.contacts.read settings.users.read"),
	    0);
}
END_TEST

START_TEST(test_conf_scopes_first_missing)
{
	const char *req = "  oauth forms  automation ";
	size_t l = 99;

	ck_assert_ptr_null(conf_scopes_first_missing(req, "automation forms oauth", &l));
	ck_assert_uint_eq(l, 0);
	ck_assert_ptr_null(conf_scopes_first_missing("", "", &l));
	ck_assert_ptr_eq(conf_scopes_first_missing(req, "oauth automation", &l), req + 8);
	ck_assert_uint_eq(l, 5); /* "forms" */
	ck_assert_ptr_eq(conf_scopes_first_missing(req, "", &l), req + 2);
	ck_assert_uint_eq(l, 5); /* "oauth" */
	ck_assert_ptr_eq(conf_scopes_first_missing(req, "oauth forms automationx", &l), req + 15);
	ck_assert_uint_eq(l, 10); /* "automation", the last one */
}
END_TEST

START_TEST(test_conf_conn_types)
{
	ck_assert_int_eq(conf_conn_parse("config_only"), CONN_CONFIG_ONLY);
	ck_assert_int_eq(conf_conn_parse("config_audit"), CONN_CONFIG_AUDIT);
	ck_assert_int_eq(conf_conn_parse("audit_only"), CONN_AUDIT_ONLY);
	ck_assert_int_eq(conf_conn_parse(""), -1);
	ck_assert_int_eq(conf_conn_parse("Config Only"), -1);
	ck_assert_int_eq(conf_conn_parse("config_only "), -1);
	ck_assert_int_eq(conf_conn_parse(NULL), -1);

	ck_assert_str_eq(conf_conn_key(CONN_CONFIG_ONLY), "config_only");
	ck_assert_str_eq(conf_conn_key(CONN_CONFIG_AUDIT), "config_audit");
	ck_assert_str_eq(conf_conn_key(CONN_AUDIT_ONLY), "audit_only");
	ck_assert_str_eq(conf_conn_label(CONN_CONFIG_ONLY), "Config Only");
	ck_assert_str_eq(conf_conn_label(CONN_CONFIG_AUDIT), "Config + Audit");
	ck_assert_str_eq(conf_conn_label(CONN_AUDIT_ONLY), "Audit Only");
	ck_assert_str_eq(conf_conn_key(CONN__MAX), "");
	ck_assert_str_eq(conf_conn_label((enum conn_type) - 1), "");
	for (int t = 0; t < CONN__MAX; t++)
		ck_assert_int_eq(conf_conn_parse(conf_conn_key((enum conn_type)t)), t);
}
END_TEST

/* ------------------------------------------------------------------ */
/* conf_load                                                            */

/* base64 of 32 bytes: zeros, and 0x00..0x1f */
#define KEY_ZERO "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
#define KEY_SEQ	 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

static const char *conf_vars[] = {
    "JETSTACK_DATABASE",
    "JETSTACK_BASE_URL",
    "HUBSPOT_CLIENT_ID",
    "HUBSPOT_CLIENT_SECRET",
    "HUBSPOT_AUTHORIZE_URL",
    "HUBSPOT_API_BASE",
    "JETSTACK_TOKEN_KEY",
    "JETSTACK_TOKEN_KEY_ID",
    "JETSTACK_SESSION_KEY",
    "JETSTACK_HUBSPOT_ADMIN_ROLES",
    "JETSTACK_SESSION_IDLE_SECONDS",
    "JETSTACK_SESSION_MAX_SECONDS",
    "JETSTACK_TEMPLATE_DIR",
    "JETSTACK_SOCKET",
    "JETSTACK_THREADS",
    "JETSTACK_HUBSPOT_TIMEOUT_MS",
    "JETSTACK_WORKER_CONCURRENCY",
    "JETSTACK_WORKER_DB_CONNECTIONS",
    "JETSTACK_REFRESH_MARGIN_SECONDS",
    "JETSTACK_HEALTH_CHECK_SECONDS",
    "JETSTACK_WORKER_POLL_SECONDS",
    "JETSTACK_JOB_LEASE_SECONDS",
    "JETSTACK_SCOPES_CONFIG_ONLY",
    "JETSTACK_SCOPES_CONFIG_AUDIT",
    "JETSTACK_SCOPES_AUDIT_ONLY",
    "JETSTACK_ENV_FILE",
};

#define ALL_NEEDS (CONF_NEED_DB | CONF_NEED_WEB | CONF_NEED_HUBSPOT)

static void conf_env_clear(void)
{
	for (size_t i = 0; i < sizeof(conf_vars) / sizeof(conf_vars[0]); i++)
		unsetenv(conf_vars[i]);
	/* never the developer's ./var/jetstack.env */
	setenv("JETSTACK_ENV_FILE", "/nonexistent/jetstack.env", 1);
}

static void conf_env_full(void)
{
	conf_env_clear();
	setenv("JETSTACK_DATABASE", "host=/tmp dbname=jetstack", 1);
	setenv("JETSTACK_BASE_URL", "http://127.0.0.1:8080", 1);
	setenv("HUBSPOT_CLIENT_ID", "client-id", 1);
	setenv("HUBSPOT_CLIENT_SECRET", "client-secret", 1);
	setenv("JETSTACK_TOKEN_KEY", KEY_SEQ, 1);
	setenv("JETSTACK_SESSION_KEY", KEY_ZERO, 1);
}

static void conf_teardown(void)
{
	for (size_t i = 0; i < sizeof(conf_vars) / sizeof(conf_vars[0]); i++)
		unsetenv(conf_vars[i]);
}

/* conf_load must fail with an error naming var (and contain piece). */
#define conf_fails(need, var, piece)                                                               \
	do {                                                                                       \
		struct conf c_;                                                                    \
		char e_[512] = "";                                                                 \
		ck_assert_int_eq(conf_load(&c_, (need), e_, sizeof(e_)), -1);                      \
		ck_assert_msg(strstr(e_, (var)) != NULL, "'%s' not named in '%s'", (var), e_);     \
		ck_assert_msg(strstr(e_, (piece)) != NULL, "'%s' not in '%s'", (piece), e_);       \
		ck_assert_msg(strchr(e_, '\n') == NULL, "not one line: '%s'", e_);                 \
		ck_assert_ptr_null(c_.db_conninfo);                                                \
		ck_assert_ptr_null(c_.base_url);                                                   \
	} while (0)

START_TEST(test_conf_load_full)
{
	struct conf c;
	char err[512] = "";
	static const uint8_t zero[32] = {0};

	conf_env_full();
	ck_assert_msg(conf_load(&c, ALL_NEEDS, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(c.db_conninfo, "host=/tmp dbname=jetstack");
	ck_assert_str_eq(c.base_url, "http://127.0.0.1:8080");
	ck_assert_int_eq(c.base_https, 0);
	ck_assert_str_eq(c.redirect_uri, "http://127.0.0.1:8080/oauth/callback");
	ck_assert_str_eq(c.hs_client_id, "client-id");
	ck_assert_str_eq(c.hs_client_secret, "client-secret");
	ck_assert_str_eq(c.hs_authorize_url, "https://app.hubspot.com/oauth/authorize");
	ck_assert_str_eq(c.hs_api_base, "https://api.hubapi.com");
	for (int i = 0; i < 32; i++)
		ck_assert_uint_eq(c.token_key[i], (unsigned)i);
	ck_assert_int_eq(memcmp(c.session_key, zero, 32), 0);
	ck_assert_int_eq(c.token_key_id, 1);
	ck_assert_str_eq(c.admin_roles, "Admin");
	ck_assert_int_eq(c.session_idle, 1800);
	ck_assert_int_eq(c.session_max, 43200);
	ck_assert_int_eq(c.threads, 4);
	ck_assert_int_eq(c.refresh_margin, 300);
	ck_assert_int_eq(c.health_interval, 21600);
	ck_assert_int_eq(c.job_lease, 120);
	ck_assert_int_eq(c.worker_concurrency, 16);
	ck_assert_int_eq(c.worker_db_connections, 2);
	/* imports and deployments read and write the property schemas of all
	 * four object types (tickets: HubSpot's "tickets" scope) */
	ck_assert_str_eq(c.scopes[CONN_CONFIG_ONLY],
			 "oauth settings.users.read crm.schemas.contacts.read "
			 "crm.schemas.contacts.write crm.schemas.companies.read "
			 "crm.schemas.companies.write crm.schemas.deals.read "
			 "crm.schemas.deals.write tickets automation forms");
	ck_assert_int_eq(c.hs_burst_limit, 100);
	ck_assert_int_eq(c.hs_burst_window_ms, 10000);
	ck_assert_int_eq(conf_scopes_cover(c.scopes[CONN_CONFIG_ONLY], c.scopes[CONN_CONFIG_AUDIT]),
			 1);
	ck_assert_ptr_nonnull(strstr(c.scopes[CONN_AUDIT_ONLY], "crm.objects.contacts.read"));
	/* audits read the property schemas of the four object types */
	ck_assert_str_eq(c.scopes[CONN_AUDIT_ONLY],
			 "oauth settings.users.read crm.schemas.contacts.read "
			 "crm.schemas.companies.read crm.schemas.deals.read tickets automation "
			 "crm.objects.contacts.read");
	ck_assert_ptr_null(strstr(c.scopes[CONN_AUDIT_ONLY], "forms"));
	for (int t = 0; t < CONN__MAX; t++)
		ck_assert_ptr_nonnull(strstr(c.scopes[t], "settings.users.read"));
	ck_assert_str_eq(c.optional_scopes[CONN_CONFIG_ONLY], "content");
	conf_free(&c);
	ck_assert_ptr_null(c.db_conninfo);
	conf_free(&c); /* twice is safe */
}
END_TEST

START_TEST(test_conf_load_https_and_overrides)
{
	struct conf c;
	char err[512] = "";

	conf_env_full();
	setenv("JETSTACK_BASE_URL", "https://accounts.jetstack.example/", 1);
	setenv("HUBSPOT_AUTHORIZE_URL", "http://127.0.0.1:9999/oauth/authorize", 1);
	setenv("HUBSPOT_API_BASE", "http://127.0.0.1:9999/", 1);
	setenv("JETSTACK_SESSION_IDLE_SECONDS", "600", 1);
	setenv("JETSTACK_THREADS", "8", 1);
	setenv("JETSTACK_SCOPES_CONFIG_ONLY", "oauth forms", 1);
	setenv("JETSTACK_HUBSPOT_ADMIN_ROLES", "Admin,Owner", 1);
	ck_assert_msg(conf_load(&c, ALL_NEEDS, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(c.base_url, "https://accounts.jetstack.example");
	ck_assert_int_eq(c.base_https, 1);
	ck_assert_str_eq(c.redirect_uri, "https://accounts.jetstack.example/oauth/callback");
	ck_assert_str_eq(c.hs_authorize_url, "http://127.0.0.1:9999/oauth/authorize");
	ck_assert_str_eq(c.hs_api_base, "http://127.0.0.1:9999");
	ck_assert_int_eq(c.session_idle, 600);
	ck_assert_int_eq(c.threads, 8);
	ck_assert_str_eq(c.scopes[CONN_CONFIG_ONLY], "oauth forms");
	ck_assert_str_eq(c.admin_roles, "Admin,Owner");
	conf_free(&c);

	/* a base URL with a path prefix */
	setenv("JETSTACK_BASE_URL", "https://example.com/jetstack", 1);
	ck_assert_msg(conf_load(&c, ALL_NEEDS, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(c.redirect_uri, "https://example.com/jetstack/oauth/callback");
	conf_free(&c);

	/* unset: the local default */
	unsetenv("JETSTACK_BASE_URL");
	ck_assert_msg(conf_load(&c, ALL_NEEDS, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(c.base_url, "http://127.0.0.1:8080");
	ck_assert_str_eq(c.redirect_uri, "http://127.0.0.1:8080/oauth/callback");
	conf_free(&c);
}
END_TEST

START_TEST(test_conf_load_missing_database)
{
	conf_env_full();
	unsetenv("JETSTACK_DATABASE");
	conf_fails(ALL_NEEDS, "JETSTACK_DATABASE", "not set");
	conf_fails(CONF_NEED_DB, "JETSTACK_DATABASE", "not set");
	setenv("JETSTACK_DATABASE", "", 1);
	conf_fails(CONF_NEED_DB, "JETSTACK_DATABASE", "not set");
}
END_TEST

START_TEST(test_conf_load_bad_keys)
{
	static const char *bad_keys[] = {
	    "",
	    "not base64 at all!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",	    /* 31 bytes */
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",	    /* 33 bytes */
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* 39 bytes */
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",	    /* unpadded */
	    "c2hvcnQ=",
	};
	for (size_t i = 0; i < sizeof(bad_keys) / sizeof(bad_keys[0]); i++) {
		conf_env_full();
		setenv("JETSTACK_TOKEN_KEY", bad_keys[i], 1);
		conf_fails(ALL_NEEDS, "JETSTACK_TOKEN_KEY", "JETSTACK_TOKEN_KEY");
		conf_env_full();
		setenv("JETSTACK_SESSION_KEY", bad_keys[i], 1);
		conf_fails(CONF_NEED_DB | CONF_NEED_WEB, "JETSTACK_SESSION_KEY", "32");
	}
	conf_env_full();
	unsetenv("JETSTACK_TOKEN_KEY");
	conf_fails(ALL_NEEDS, "JETSTACK_TOKEN_KEY", "not set");
	{
		/* the admin tool needs only the database: no keys required */
		struct conf c;
		char err[512] = "";
		unsetenv("JETSTACK_SESSION_KEY");
		unsetenv("HUBSPOT_CLIENT_ID");
		ck_assert_msg(conf_load(&c, CONF_NEED_DB, err, sizeof(err)) == 0, "%s", err);
		conf_free(&c);
	}
}
END_TEST

START_TEST(test_conf_load_bad_urls)
{
	static const char *bad_urls[] = {
	    "ftp://example.com", "example.com",		"http://",
	    "https://",		 "http:///path",	"http://:8080",
	    "http://host?x=1",	 "http://host/#frag",	"http://user@host",
	    "http://ho st",	 "javascript:alert(1)",
	};
	for (size_t i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++) {
		conf_env_full();
		setenv("JETSTACK_BASE_URL", bad_urls[i], 1);
		conf_fails(ALL_NEEDS, "JETSTACK_BASE_URL", "URL");
		conf_env_full();
		setenv("HUBSPOT_API_BASE", bad_urls[i], 1);
		conf_fails(ALL_NEEDS, "HUBSPOT_API_BASE", "URL");
		conf_env_full();
		setenv("HUBSPOT_AUTHORIZE_URL", bad_urls[i], 1);
		conf_fails(ALL_NEEDS, "HUBSPOT_AUTHORIZE_URL", "URL");
	}
	conf_env_full();
	setenv("JETSTACK_BASE_URL", "http://a\r\nb", 1);
	conf_fails(ALL_NEEDS, "JETSTACK_BASE_URL", "JETSTACK_BASE_URL");
}
END_TEST

START_TEST(test_conf_load_hubspot_and_numbers)
{
	struct conf c;
	char err[512] = "";

	conf_env_full();
	unsetenv("HUBSPOT_CLIENT_SECRET");
	conf_fails(ALL_NEEDS, "HUBSPOT_CLIENT_SECRET", "not set");
	/* not needed by a program without HubSpot */
	ck_assert_msg(conf_load(&c, CONF_NEED_DB | CONF_NEED_WEB, err, sizeof(err)) == 0, "%s",
		      err);
	conf_free(&c);

	conf_env_full();
	unsetenv("HUBSPOT_CLIENT_ID");
	conf_fails(ALL_NEEDS, "HUBSPOT_CLIENT_ID", "not set");

	conf_env_full();
	setenv("HUBSPOT_CLIENT_SECRET", "abc\ndef", 1);
	conf_fails(ALL_NEEDS, "HUBSPOT_CLIENT_SECRET", "control character");

	static const struct {
		const char *var, *val;
	} nums[] = {
	    {"JETSTACK_SESSION_IDLE_SECONDS", "abc"},
	    {"JETSTACK_SESSION_IDLE_SECONDS", "59"},
	    {"JETSTACK_SESSION_IDLE_SECONDS", "1800s"},
	    {"JETSTACK_SESSION_MAX_SECONDS", "-1"},
	    {"JETSTACK_THREADS", "0"},
	    {"JETSTACK_THREADS", "257"},
	    {"JETSTACK_THREADS", "4.5"},
	    {"JETSTACK_TOKEN_KEY_ID", "0"},
	    {"JETSTACK_JOB_LEASE_SECONDS", "1"},
	    {"JETSTACK_WORKER_CONCURRENCY", "99999999999999999999999"},
	    {"JETSTACK_WORKER_DB_CONNECTIONS", "0"},
	    {"JETSTACK_HUBSPOT_TIMEOUT_MS", "99"},
	};
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		conf_env_full();
		setenv(nums[i].var, nums[i].val, 1);
		conf_fails(ALL_NEEDS, nums[i].var, "integer");
	}
}
END_TEST

START_TEST(test_conf_load_env_file)
{
	char path[] = "/tmp/test_req_env_XXXXXX";
	int fd = mkstemp(path);
	FILE *f;
	struct conf c;
	char err[512] = "";

	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fputs("# written by make run\n"
	      "\n"
	      "JETSTACK_DATABASE=host=/from/file dbname=x\n"
	      "JETSTACK_BASE_URL=https://file.example\r\n"
	      "JETSTACK_TOKEN_KEY=" KEY_SEQ "\n"
	      "JETSTACK_SESSION_KEY=" KEY_ZERO "\n"
	      "HUBSPOT_CLIENT_ID=file-id\n"
	      "HUBSPOT_CLIENT_SECRET=file-secret\n"
	      "not a setting line\n",
	      f);
	fclose(f);
	conf_env_clear();
	setenv("JETSTACK_ENV_FILE", path, 1);
	setenv("HUBSPOT_CLIENT_ID", "env-id", 1); /* the environment wins */
	ck_assert_msg(conf_load(&c, ALL_NEEDS, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(c.db_conninfo, "host=/from/file dbname=x");
	ck_assert_str_eq(c.base_url, "https://file.example");
	ck_assert_int_eq(c.base_https, 1);
	ck_assert_str_eq(c.redirect_uri, "https://file.example/oauth/callback");
	ck_assert_str_eq(c.hs_client_id, "env-id");
	ck_assert_str_eq(c.hs_client_secret, "file-secret");
	ck_assert_uint_eq(c.token_key[31], 31);
	conf_free(&c);

	/* a missing env file is not an error; the environment alone decides */
	setenv("JETSTACK_ENV_FILE", "/nonexistent/jetstack.env", 1);
	conf_fails(ALL_NEEDS, "JETSTACK_DATABASE", "not set");
	unlink(path);
}
END_TEST

/* ------------------------------------------------------------------ */
/* http.c                                                               */

START_TEST(test_http_set_cookie)
{
	struct resp rs;

	http_resp_init(&rs);
	ck_assert_int_eq(http_set_cookie(&rs, "js_session", "a.b-c_d", -1, 0), 0);
	ck_assert_str_eq(buf_str(&rs.headers),
			 "Set-Cookie: js_session=a.b-c_d; Path=/; HttpOnly; SameSite=Lax\r\n");
	http_resp_free(&rs);

	http_resp_init(&rs);
	ck_assert_int_eq(http_set_cookie(&rs, "__Host-js_session", "v", -1, 1), 0);
	ck_assert_ptr_nonnull(strstr(buf_str(&rs.headers), "; Secure"));
	ck_assert_ptr_nonnull(strstr(buf_str(&rs.headers), "HttpOnly"));
	ck_assert_ptr_null(strstr(buf_str(&rs.headers), "Max-Age"));
	http_resp_free(&rs);

	http_resp_init(&rs);
	ck_assert_int_eq(http_set_cookie(&rs, "js_session", "", 0, 0), 0);
	ck_assert_ptr_nonnull(strstr(buf_str(&rs.headers), "js_session=; "));
	ck_assert_ptr_nonnull(strstr(buf_str(&rs.headers), "; Max-Age=0\r\n"));
	http_resp_free(&rs);

	static const char *bad_values[] = {
	    "a;b",
	    "a; Domain=evil.com",
	    "a\r\nSet-Cookie: x=y",
	    "a\nb",
	    "a\rb",
	    "a\x01",
	    "\x7f",
	    "a b",
	    "a,b",
	    "\t",
	};
	http_resp_init(&rs);
	for (size_t i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++)
		ck_assert_msg(http_set_cookie(&rs, "c", bad_values[i], -1, 0) == -1,
			      "accepted cookie value %zu", i);
	ck_assert_int_eq(http_set_cookie(&rs, "c\r\nX-Evil", "v", -1, 0), -1);
	ck_assert_int_eq(http_set_cookie(&rs, "c\x01", "v", -1, 0), -1);
	ck_assert_uint_eq(rs.headers.len, 0);
	http_resp_free(&rs);
}
END_TEST

START_TEST(test_http_redirect)
{
	struct resp rs;
	char *longloc;

	http_resp_init(&rs);
	ck_assert_int_eq(http_redirect(&rs, 0, "/portals"), 0);
	ck_assert_int_eq(rs.status, 303);
	ck_assert_str_eq(rs.location, "/portals");
	ck_assert_int_eq(http_redirect(&rs, 302, "https://app.hubspot.com/oauth/authorize?a=b"), 0);
	ck_assert_int_eq(rs.status, 302);
	http_resp_free(&rs);

	http_resp_init(&rs);
	ck_assert_int_eq(http_redirect(&rs, 303, "/x\r\nSet-Cookie: a=b"), -1);
	ck_assert_int_eq(http_redirect(&rs, 303, "/x\nLocation: //evil"), -1);
	ck_assert_int_eq(http_redirect(&rs, 303, "/x\r"), -1);
	ck_assert_int_eq(http_redirect(&rs, 303, "/x\x01"), -1);
	ck_assert_str_eq(rs.location, "");
	ck_assert_int_eq(rs.status, 200);

	longloc = malloc(3000);
	ck_assert_ptr_nonnull(longloc);
	longloc[0] = '/';
	memset(longloc + 1, 'a', 2998);
	longloc[2999] = '\0';
	ck_assert_int_eq(http_redirect(&rs, 303, longloc), -1);
	ck_assert_str_eq(rs.location, "");
	free(longloc);

	ck_assert_int_eq(http_add_header(&rs, "Allow", "GET, HEAD"), 0);
	ck_assert_int_eq(http_add_header(&rs, "X", "a\r\nSet-Cookie: b=c"), -1);
	ck_assert_int_eq(http_add_header(&rs, "X\nY", "v"), -1);
	ck_assert_str_eq(buf_str(&rs.headers), "Allow: GET, HEAD\r\n");
	http_resp_free(&rs);
}
END_TEST

/* Run http_send in CGI mode and return what it wrote to stdout. */
static char *capture_send(const struct resp *rs, int head_only)
{
	char path[] = "/tmp/test_req_out_XXXXXX";
	int fd = mkstemp(path), saved;
	struct io io = {.envp = NULL, .in = NULL, .out = NULL};
	char *out;
	long n;
	FILE *f;

	ck_assert_int_ge(fd, 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_ge(dup2(fd, STDOUT_FILENO), 0);
	ck_assert_int_eq(http_send(&io, rs, head_only), 0);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(fd);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	out = calloc(1, (size_t)n + 1);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(fread(out, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	unlink(path);
	return out;
}

/* Streamed answers (the activity CSV, issue 17): headers without
 * Content-Length, then the pieces, then the request's end records; an
 * aborted one ends with no end records at all, and libfcgi's streams are
 * closed so that FCGX_Finish_r() adds none.  HEAD drops the pieces. */
static char *stream_run(int abort_it, int head_only, int *ended, size_t *len, FCGX_Stream *out,
			FCGX_Stream *err)
{
	int sv[2], records;
	FCGX_Request fr;
	struct io io = {.envp = NULL};
	struct resp rs;
	char *body;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	memset(&fr, 0, sizeof(fr));
	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	fr.ipcFd = sv[0];
	fr.requestId = 3;
	fr.out = out;
	fr.err = err;
	io.out = out;
	io.fcgi = &fr;
	http_resp_init(&rs);
	rs.content_type = "text/csv; charset=utf-8";
	ck_assert_int_eq(http_add_header(&rs, "Content-Disposition", "attachment"), 0);
	ck_assert_int_eq(http_stream_start(&io, &rs, head_only), 0);
	ck_assert_int_eq(rs.stream, HTTP_STREAM_STARTED);
	ck_assert_int_eq(http_stream_write(&io, &rs, "a,b\r\n", 5), 0);
	ck_assert_int_eq(http_stream_write(&io, &rs, "c,d\r\n", 5), 0);
	if (abort_it)
		http_stream_abort(&io, &rs);
	else
		ck_assert_int_eq(http_stream_end(&io, &rs), 0);
	ck_assert_int_eq(http_stream_write(&io, &rs, "late", 4), -1);
	ck_assert_int_eq(http_send(&io, &rs, 0), 0); /* nothing more */
	close(sv[0]);
	body = fcgi_read_records(sv[1], 3, len, &records, ended);
	body[*len] = '\0'; /* room: the reader's buffer is 1 MB */
	close(sv[1]);
	http_resp_free(&rs);
	return body;
}

START_TEST(test_http_stream)
{
	FCGX_Stream out, err;
	size_t len;
	int ended;
	char *body = stream_run(0, 0, &ended, &len, &out, &err);

	ck_assert_int_eq(ended, 1);
	ck_assert_msg(strncmp(body, "Status: 200 OK\r\nContent-Type: text/csv;", 39) == 0, "%s", body);
	ck_assert_ptr_null(strstr(body, "Content-Length"));
	ck_assert_ptr_nonnull(strstr(body, "\r\nContent-Disposition: attachment\r\n"));
	ck_assert_ptr_nonnull(strstr(body, "\r\nCache-Control: no-store\r\n"));
	ck_assert_ptr_nonnull(strstr(body, "\r\n\r\na,b\r\nc,d\r\n"));
	ck_assert_int_eq(out.isClosed && out.wasFCloseCalled && err.isClosed, 1);
	free(body);
	/* aborted: the same bytes, no end records */
	body = stream_run(1, 0, &ended, &len, &out, &err);
	ck_assert_int_eq(ended, 0);
	ck_assert_ptr_nonnull(strstr(body, "\r\n\r\na,b\r\nc,d\r\n"));
	ck_assert_int_eq(out.isClosed && out.wasFCloseCalled && err.isClosed, 1);
	free(body);
	/* HEAD: the headers only */
	body = stream_run(0, 1, &ended, &len, &out, &err);
	ck_assert_int_eq(ended, 1);
	ck_assert_uint_eq(len, strlen(body));
	ck_assert_int_eq(strcmp(body + len - 4, "\r\n\r\n"), 0);
	free(body);
}
END_TEST

START_TEST(test_http_send_headers)
{
	struct resp rs;
	char *out, *csp;

	ck_assert_int_eq(http_init("http://127.0.0.1:4567/oauth/authorize?x=1"), 0);
	http_resp_init(&rs);
	ck_assert_int_eq(http_redirect(&rs, 303, "/login?next=/portals"), 0);
	ck_assert_int_eq(http_set_cookie(&rs, "js_session", "", 0, 0), 0);
	out = capture_send(&rs, 0);
	ck_assert_msg(strncmp(out, "Status: 303 See Other\r\n", 23) == 0, "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "\r\nLocation: /login?next=/portals\r\n"));
	ck_assert_ptr_nonnull(strstr(out, "\r\nX-Content-Type-Options: nosniff\r\n"));
	ck_assert_ptr_nonnull(strstr(out, "\r\nReferrer-Policy: no-referrer\r\n"));
	ck_assert_ptr_nonnull(strstr(out, "\r\nCache-Control: no-store\r\n"));
	ck_assert_ptr_nonnull(strstr(out, "\r\nSet-Cookie: js_session=; "));
	csp = strstr(out, "\r\nContent-Security-Policy: ");
	ck_assert_ptr_nonnull(csp);
	ck_assert_ptr_nonnull(strstr(csp, "frame-ancestors 'none'"));
	ck_assert_ptr_nonnull(strstr(csp, "form-action 'self' http://127.0.0.1:4567;"));
	ck_assert_ptr_null(strstr(out, "unsafe-inline"));
	ck_assert_ptr_nonnull(strstr(out, "\r\n\r\n"));
	free(out);
	http_resp_free(&rs);

	http_resp_init(&rs);
	rs.cacheable = 1;
	rs.content_type = "text/plain; charset=utf-8";
	buf_puts(&rs.body, "ok\n");
	out = capture_send(&rs, 0);
	ck_assert_msg(strncmp(out, "Status: 200 OK\r\n", 16) == 0, "%s", out);
	ck_assert_ptr_null(strstr(out, "no-store"));
	ck_assert_ptr_nonnull(strstr(out, "\r\nContent-Length: 3\r\n"));
	ck_assert_ptr_nonnull(strstr(out, "\r\n\r\nok\n"));
	free(out);
	/* HEAD: headers only */
	out = capture_send(&rs, 1);
	ck_assert_ptr_nonnull(strstr(out, "\r\nContent-Length: 3\r\n"));
	ck_assert_ptr_null(strstr(out, "ok\n"));
	free(out);
	http_resp_free(&rs);

	ck_assert_str_eq(http_reason(413), "Content Too Large");
	ck_assert_str_eq(http_reason(415), "Unsupported Media Type");
	ck_assert_str_eq(http_reason(405), "Method Not Allowed");
	ck_assert_int_eq(http_init("no-scheme"), -1);
}
END_TEST

static Suite *req_suite(void)
{
	Suite *s = suite_create("req");
	TCase *tc = tcase_create("req");
	TCase *tv = tcase_create("valid");
	TCase *tcf = tcase_create("conf");
	TCase *th = tcase_create("http");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_urldecode_plain_and_plus);
	tcase_add_test(tc, test_urldecode_length_respected);
	tcase_add_test(tc, test_urldecode_bad_escapes);
	tcase_add_test(tc, test_urldecode_nul_refused);
	tcase_add_test(tc, test_urldecode_invalid_utf8);
	tcase_add_test(tc, test_utf8_valid);
	tcase_add_test(tc, test_form_basic);
	tcase_add_test(tc, test_form_empty_name);
	tcase_add_test(tc, test_form_duplicates_refused);
	tcase_add_test(tc, test_form_field_limit);
	tcase_add_test(tc, test_form_bad_encoding);
	tcase_add_test(tc, test_cookies);
	tcase_add_test(tc, test_cookies_malformed_skipped);
	tcase_add_test(tc, test_cookies_many);
	tcase_add_test(tc, test_req_parse_get);
	tcase_add_test(tc, test_req_parse_paths);
	tcase_add_test(tc, test_req_parse_methods);
	tcase_add_test(tc, test_req_parse_query_errors);
	tcase_add_test(tc, test_req_parse_post_refusals);
	tcase_add_test(tc, test_req_parse_post_body);
	tcase_add_test(tc, test_req_parse_post_short_body);
	tcase_add_test(tc, test_req_parse_post_bad_body);
	tcase_add_test(tc, test_req_parse_body_at_limit);
	tcase_add_test(tc, test_req_parse_cookie_header);
	suite_add_tcase(s, tc);

	tcase_add_test(tv, test_valid_email);
	tcase_add_test(tv, test_valid_email_apostrophe);
	tcase_add_test(tv, test_valid_password);
	tcase_add_test(tv, test_valid_token);
	tcase_add_test(tv, test_valid_id);
	tcase_add_test(tv, test_valid_local_path);
	tcase_add_test(tv, test_valid_text);
	tcase_add_test(tv, test_valid_oauth_code_and_error);
	tcase_add_test(tv, test_valid_enums);
	suite_add_tcase(s, tv);

	tcase_add_checked_fixture(tcf, conf_env_clear, conf_teardown);
	tcase_add_test(tcf, test_conf_scopes_cover);
	tcase_add_test(tcf, test_conf_scopes_first_missing);
	tcase_add_test(tcf, test_conf_conn_types);
	tcase_add_test(tcf, test_conf_load_full);
	tcase_add_test(tcf, test_conf_load_https_and_overrides);
	tcase_add_test(tcf, test_conf_load_missing_database);
	tcase_add_test(tcf, test_conf_load_bad_keys);
	tcase_add_test(tcf, test_conf_load_bad_urls);
	tcase_add_test(tcf, test_conf_load_hubspot_and_numbers);
	tcase_add_test(tcf, test_conf_load_env_file);
	suite_add_tcase(s, tcf);

	tcase_add_test(th, test_http_set_cookie);
	tcase_add_test(th, test_http_redirect);
	tcase_add_test(th, test_http_send_headers);
	tcase_add_test(th, test_http_stream);
	tcase_add_test(th, test_fcgi_stdout);
	tcase_add_test(th, test_fcgi_peek_params);
	suite_add_tcase(s, th);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(req_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
