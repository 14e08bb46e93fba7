/*
 * fcgi: FastCGI records written straight to the web server's connection,
 * beside server.c's accept loop.  libfcgi's stream would cut a page into
 * 8 KB records, each its own write() and its own wake-up of nginx, and end
 * the request with one more write; here a page and the records that end
 * the request (FastCGI 1.0, sections 5.3 and 5.5) go in one writev().
 * And a request's params looked at before libfcgi reads it (server.c
 * chooses the thread by them).  The only file that touches libfcgi's
 * request internals or the records' bytes.
 */
#ifndef JS_FCGI_H
#define JS_FCGI_H

#include <fcgiapp.h>
#include <stddef.h>

/* Write a then b (either may be empty) to fd as FastCGI FCGI_STDOUT
 * records of request_id, each at most 65528 content bytes and padded to a
 * multiple of 8; with end, followed by the empty FCGI_STDOUT record and
 * FCGI_END_REQUEST (status 0, complete) in the same write.  0 ok, -1
 * write error. */
int fcgi_stdout(int fd, int request_id, const char *a, size_t an, const char *b, size_t bn,
		int end);
/*
 * The values of n params of the request waiting on fd, looked at without
 * taking anything off the socket (recv with MSG_PEEK, at most size bytes
 * into buf): its FCGI_BEGIN_REQUEST record, then FCGI_PARAMS records whose
 * contents joined are name-value pairs, up to the empty one that ends them
 * (FastCGI 1.0, sections 3.3, 3.4, 5.1 and 5.2).  values[i] is a copy in
 * vbuf (vsize bytes), NUL-terminated, or NULL when the request has no such
 * param.  1 when the params were all there, 0 when not (not all arrived,
 * longer than size, any other record, a value too long), -1 on a read
 * error.  libfcgi still reads the request: this only tells which requests
 * a thread may serve together (server.c).
 */
int fcgi_peek_params(int fd, char *buf, size_t size, const char *const *names,
		     const char **values, int n, char *vbuf, size_t vsize);
/* Send head then body as request r's whole answer and end the request
 * (FCGX_Finish_r then writes nothing more).  1 sent, 0 r cannot be written
 * this way (the caller writes through r's streams), -1 write error. */
int fcgi_send_whole(FCGX_Request *r, const char *head, size_t hn, const char *body, size_t bn);

/* A piece of a streamed answer of request r (http_stream_*): p[0..n) as
 * FCGI_STDOUT records; with end, the request's end records too.  1 sent,
 * 0 r cannot be written this way (the caller writes through r's streams),
 * -1 write error. */
int fcgi_stream(FCGX_Request *r, const char *p, size_t n, int end);
/* End a streamed answer of r without its end records: FCGX_Finish_r()
 * closes the connection, and the web server sees the answer cut short. */
void fcgi_abort(FCGX_Request *r);

#endif
