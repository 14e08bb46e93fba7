/*
 * apicursor: the read API's portal-list cursor.  See apicursor.h.
 */
#include "apicursor.h"
#include "crypt.h"
#include "req.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The plain form's longest: "1|s|16 hex|18 digits|r|26|255 bytes" */
#define PLAIN_MAX 340

uint64_t apicursor_fingerprint(int sort, const char *status, const char *label, const char *q)
{
	const char *parts[3] = {status ? status : "", label ? label : "", q ? q : ""};
	uint64_t h = 14695981039346656037ULL; /* FNV-1a */

	h = (h ^ (uint64_t)(unsigned)sort) * 1099511628211ULL;
	for (int i = 0; i < 3; i++) {
		for (const unsigned char *p = (const unsigned char *)parts[i]; *p; p++)
			h = (h ^ *p) * 1099511628211ULL;
		h = (h ^ 0xffu) * 1099511628211ULL; /* a separator no UTF-8 text holds */
	}
	return h;
}

/* 1 when s is "YYYY-MM-DDTHH:MM:SS.UUUUUU" (digits where digits go). */
static int last_ok(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddddd";

	if (strlen(s) != sizeof(shape) - 1)
		return 0;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return 0;
	return 1;
}

long apicursor_encode(const struct apicursor *c, char *out, size_t outsz)
{
	char plain[PLAIN_MAX + 1];
	int n;
	long k;

	if (c->sort < 0 || c->sort > 9 || c->id <= 0 || c->rank < 0 || c->rank > 2 ||
	    (c->last[0] && !last_ok(c->last)) || strlen(c->name) > 255 ||
	    !req_utf8_valid(c->name, strlen(c->name)))
		return -1;
	n = snprintf(plain, sizeof(plain), "1|%d|%016llx|%lld|%d|%s|%s", c->sort,
		     (unsigned long long)c->fingerprint, c->id, c->rank, c->last, c->name);
	if (n < 0 || (size_t)n >= sizeof(plain) || CRYPT_B64URL_LEN((size_t)n) > APICURSOR_MAX)
		return -1;
	k = crypt_b64url_encode(plain, (size_t)n, out, outsz);
	return k;
}

/* The next '|'-terminated field of *p (at most max bytes) into dst; 0 or
 * -1. */
static int field(const char **p, char *dst, size_t max)
{
	const char *bar = strchr(*p, '|');
	size_t n;

	if (bar == NULL || (n = (size_t)(bar - *p)) == 0 || n > max)
		return -1;
	memcpy(dst, *p, n);
	dst[n] = '\0';
	*p = bar + 1;
	return 0;
}

static int digits(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int apicursor_decode(const char *s, int nsorts, struct apicursor *c)
{
	char plain[PLAIN_MAX + 1], f[32];
	const char *p = plain, *bar;
	long n;

	memset(c, 0, sizeof(*c));
	if (s == NULL || strlen(s) > APICURSOR_MAX || CRYPT_B64URL_LEN(PLAIN_MAX) < strlen(s))
		return -1;
	n = crypt_b64url_decode(s, plain, PLAIN_MAX);
	if (n < 0)
		return -1;
	plain[n] = '\0';
	if ((size_t)n != strlen(plain)) /* a NUL inside */
		goto bad;
	if (field(&p, f, 1) < 0 || strcmp(f, "1") != 0)
		goto bad;
	if (field(&p, f, 1) < 0 || !digits(f, 1) || f[0] - '0' >= nsorts)
		goto bad;
	c->sort = f[0] - '0';
	if (field(&p, f, 16) < 0 || strlen(f) != 16 || strspn(f, "0123456789abcdef") != 16)
		goto bad;
	c->fingerprint = strtoull(f, NULL, 16);
	if (field(&p, f, 18) < 0 || !digits(f, 18) || f[0] == '0')
		goto bad;
	c->id = strtoll(f, NULL, 10);
	if (field(&p, f, 1) < 0 || f[0] < '0' || f[0] > '2')
		goto bad;
	c->rank = f[0] - '0';
	/* the time may be empty: its own field, then the name is the rest */
	bar = strchr(p, '|');
	if (bar == NULL || (size_t)(bar - p) >= sizeof(c->last))
		goto bad;
	memcpy(c->last, p, (size_t)(bar - p));
	c->last[bar - p] = '\0';
	if (c->last[0] && !last_ok(c->last))
		goto bad;
	p = bar + 1;
	if (strlen(p) > 255 || !req_utf8_valid(p, strlen(p)))
		goto bad;
	memcpy(c->name, p, strlen(p) + 1);
	return 0;
bad:
	memset(c, 0, sizeof(*c));
	return -1;
}
