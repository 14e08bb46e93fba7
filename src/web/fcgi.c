/*
 * fcgi: writing a response as whole FastCGI records, beside the accept
 * loop of server.c.  See fcgi.h.
 */
#include "fcgi.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

/* writev() all of iov[0..n), across partial writes and EINTR. */
static int writev_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/*
 * FastCGI: the whole response goes straight to the web server's connection
 * as FCGI_STDOUT records, one writev() per batch of records.  libfcgi's
 * stream would cut a page into 8 KB records, each its own write() and its
 * own wake-up of nginx, and end the request with one more write; here a
 * page and the records that end the request (FastCGI 1.0, sections 5.3
 * and 5.5) go in one write.
 */
#define FCGI_CHUNK 65528u /* the largest multiple of 8 a record can carry */
#define FCGI_BATCH 16	  /* records per writev() */

static void fcgi_header(unsigned char h[8], int type, int request_id, size_t len, size_t pad)
{
	h[0] = 1; /* FCGI_VERSION_1 */
	h[1] = (unsigned char)type;
	h[2] = (unsigned char)(request_id >> 8);
	h[3] = (unsigned char)request_id;
	h[4] = (unsigned char)(len >> 8);
	h[5] = (unsigned char)len;
	h[6] = (unsigned char)pad;
	h[7] = 0;
}

int fcgi_stdout(int fd, int request_id, const char *a, size_t an, const char *b, size_t bn,
		     int end)
{
	static const unsigned char zeros[8];
	unsigned char hdr[FCGI_BATCH][8], tail[24];
	struct iovec iov[FCGI_BATCH * 4 + 1];
	size_t total = an + bn, done = 0;

	/* an empty FCGI_STDOUT record, then FCGI_END_REQUEST: application
	 * status 0, FCGI_REQUEST_COMPLETE */
	fcgi_header(tail, 6, request_id, 0, 0);
	fcgi_header(tail + 8, 3, request_id, 8, 0);
	memset(tail + 16, 0, 8);
	do {
		int n = 0;

		for (int k = 0; k < FCGI_BATCH && done < total; k++) {
			size_t len = total - done < FCGI_CHUNK ? total - done : FCGI_CHUNK;
			size_t pad = (8 - len % 8) % 8, off = done, left = len;

			fcgi_header(hdr[k], 6 /* FCGI_STDOUT */, request_id, len, pad);
			iov[n++] = (struct iovec){hdr[k], 8};
			if (off < an) {
				size_t m = an - off < left ? an - off : left;

				iov[n++] = (struct iovec){(char *)a + off, m};
				off += m;
				left -= m;
			}
			if (left > 0)
				iov[n++] = (struct iovec){(char *)b + (off - an), left};
			if (pad)
				iov[n++] = (struct iovec){(void *)zeros, pad};
			done += len;
		}
		if (end && done == total)
			iov[n++] = (struct iovec){tail, sizeof(tail)};
		if (n > 0 && writev_all(fd, iov, n) < 0)
			return -1;
	} while (done < total);
	return 0;
}

/* libfcgi's streams of r must not write end records of their own: the
 * request was ended here, or must end without them (libfcgi 2.4's
 * fcgiapp.h fields; FCGX_Finish_r then only closes the connection). */
static void streams_done(FCGX_Request *r)
{
	r->out->isClosed = r->out->wasFCloseCalled = 1;
	r->err->isClosed = r->err->wasFCloseCalled = 1;
}

/*
 * Read what is left of r's request (normally just the empty FCGI_STDIN
 * record that ends it, a large unread body up to 256 KiB) before the
 * answer's end records go: nginx sends a kept connection's next request
 * as soon as it has them, and a read after that could take the next
 * request's first records into libfcgi's buffer along with this one's end,
 * a buffer that goes with this request (the next never answered).  A
 * request not read to its end must not leave its connection to be kept:
 * what is left would be read as the next request.
 */
static void input_done(FCGX_Request *r)
{
	char sink[4096];
	size_t left = 256 * 1024;
	int n = 0;

	if (r->in == NULL)
		return; /* no request stream: nothing to read (the unit tests' requests) */
	while (left > 0 && (n = FCGX_GetStr(sink, (int)sizeof(sink), r->in)) > 0)
		left -= (size_t)n < left ? (size_t)n : left;
	if (n != 0 || FCGX_GetError(r->in) != 0)
		r->keepConnection = 0;
}

int fcgi_send_whole(FCGX_Request *r, const char *head, size_t hn, const char *body, size_t bn)
{
	if (r == NULL || r->ipcFd < 0 || r->out == NULL || r->err == NULL)
		return 0;
	input_done(r);
	if (fcgi_stdout(r->ipcFd, r->requestId, head, hn, body, bn, 1) < 0) {
		r->keepConnection = 0; /* cut short: never reuse the connection */
		return -1;
	}
	/* the request is ended: FCGX_Finish_r() must not write its own end
	 * records through the (unused) streams, and FCGX_FClose() skips a
	 * stream already closed this way (libfcgi 2.4's fcgiapp.h fields) */
	streams_done(r);
	return 1;
}

/* ---- streamed answers (http_stream_*, issue 17) ---- */

int fcgi_stream(FCGX_Request *r, const char *p, size_t n, int end)
{
	if (r == NULL || r->ipcFd < 0 || r->out == NULL || r->err == NULL)
		return 0;
	if (end)
		input_done(r);
	if (fcgi_stdout(r->ipcFd, r->requestId, p, n, NULL, 0, end) < 0) {
		streams_done(r);
		r->keepConnection = 0;
		return -1;
	}
	if (end)
		streams_done(r);
	return 1;
}

void fcgi_abort(FCGX_Request *r)
{
	if (r != NULL && r->out != NULL && r->err != NULL) {
		streams_done(r);
		/* no FCGI_END_REQUEST: the web server learns the answer was cut
		 * short from the connection's close, so it must not be kept */
		r->keepConnection = 0;
	}
}

/* A name-value pair's length at p (one byte, or four with the top bit
 * set: FastCGI 1.0, section 3.4), moving p; -1 past end. */
static long pair_len(const unsigned char **p, const unsigned char *end)
{
	const unsigned char *q = *p;

	if (q >= end)
		return -1;
	if ((q[0] & 0x80) == 0) {
		*p = q + 1;
		return q[0];
	}
	if (end - q < 4)
		return -1;
	*p = q + 4;
	return (long)(((unsigned long)(q[0] & 0x7f) << 24) | ((unsigned long)q[1] << 16) |
		      ((unsigned long)q[2] << 8) | q[3]);
}

/* The pairs in p[0..len) into values (see fcgi_peek_params): 1, or 0. */
static int pairs_take(const unsigned char *p, size_t len, const char *const *names,
		      const char **values, int n, char *vbuf, size_t vsize)
{
	const unsigned char *end = p + len;
	size_t used = 0;

	while (p < end) {
		long nl = pair_len(&p, end), vl = nl < 0 ? -1 : pair_len(&p, end);

		if (vl < 0 || end - p < nl || end - p - nl < vl)
			return 0;
		for (int i = 0; i < n; i++) {
			if (values[i] != NULL || strlen(names[i]) != (size_t)nl ||
			    memcmp(names[i], p, (size_t)nl) != 0)
				continue;
			if ((size_t)vl >= vsize - used)
				return 0;
			memcpy(vbuf + used, p + nl, (size_t)vl);
			vbuf[used + (size_t)vl] = '\0';
			values[i] = vbuf + used;
			used += (size_t)vl + 1;
			break;
		}
		p += nl + vl;
	}
	return 1;
}

int fcgi_peek_params(int fd, char *buf, size_t size, const char *const *names,
		     const char **values, int n, char *vbuf, size_t vsize)
{
	unsigned char *b = (unsigned char *)buf;
	size_t at = 0, joined = 0;
	ssize_t got;
	int began = 0;

	for (int i = 0; i < n; i++)
		values[i] = NULL;
	do
		got = recv(fd, buf, size, MSG_PEEK | MSG_DONTWAIT);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
	/* the params' contents are moved, in place, to the front of buf:
	 * never past a record not yet looked at */
	while ((size_t)got - at >= 8) {
		size_t len = ((size_t)b[at + 4] << 8) | b[at + 5], pad = b[at + 6];
		int type = b[at + 1];

		if (b[at] != 1 || (size_t)got - at - 8 < len + pad)
			return 0;
		if (type == 1 && !began) { /* FCGI_BEGIN_REQUEST */
			began = 1;
		} else if (type == 4 && began) { /* FCGI_PARAMS */
			if (len == 0)
				return pairs_take(b, joined, names, values, n, vbuf, vsize);
			memmove(b + joined, b + at + 8, len);
			joined += len;
		} else {
			return 0;
		}
		at += 8 + len + pad;
	}
	return 0;
}
