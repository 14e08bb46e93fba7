/*
 * libFuzzer target for fcgi.c: fcgi_peek_params() of whatever the web
 * server's connection holds.
 *
 * Input: one byte choosing the peek buffer's size (64 bytes times 1 + its
 * value), one choosing the room for values (4 bytes times 1 + its value),
 * then the bytes on the connection (at most 16 KB), written to one end of
 * a socket pair and looked at from the other.
 *
 * Then fcgi.h's contract is checked: the answer is 1, 0 or -1; a value
 * found is NUL-terminated inside the room for values, never a value of a
 * name asked for twice; nothing is taken off the connection (every byte
 * is read back, in order).
 */
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fcgi.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"REQUEST_METHOD", "DOCUMENT_URI", "REQUEST_URI",
					    "HTTP_COOKIE"};
	char buf[64 * 256], vbuf[4 * 256], back[16384];
	const char *v[4];
	size_t bsize, vsize, n;
	int sv[2], rc;
	ssize_t got;

	if (size < 2)
		return 0;
	bsize = 64 * (1 + (size_t)data[0]);
	vsize = 4 * (1 + (size_t)data[1]);
	data += 2;
	n = size - 2 > sizeof(back) ? sizeof(back) : size - 2;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 0;
	FUZZ_CHECK(write(sv[0], data, n) == (ssize_t)n);
	rc = fcgi_peek_params(sv[1], buf, bsize, names, v, 4, vbuf, vsize);
	FUZZ_CHECK(rc == 1 || rc == 0 || rc == -1);
	for (int i = 0; i < 4; i++) {
		if (rc != 1)
			break;
		if (v[i] == NULL)
			continue;
		FUZZ_CHECK(v[i] >= vbuf && v[i] < vbuf + vsize);
		FUZZ_CHECK(memchr(v[i], '\0', (size_t)(vbuf + vsize - v[i])) != NULL);
	}
	got = n > 0 ? recv(sv[1], back, sizeof(back), MSG_DONTWAIT) : 0;
	FUZZ_CHECK(got == (ssize_t)n);
	FUZZ_CHECK(n == 0 || memcmp(back, data, n) == 0);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
