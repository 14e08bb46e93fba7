/*
 * html: HTML escaping with UTF-8 repair, and URL percent-encoding.
 * See html.h.  Runs of bytes that need no change are appended in one call,
 * so escaping ordinary text costs little more than copying it.
 */
#include "html.h"

#include <string.h>

/* U+FFFD REPLACEMENT CHARACTER in UTF-8. */
static const char html_fffd[] = "\xEF\xBF\xBD";

/* 1 for the bytes html_escape_n() must stop at: NUL, & < > " ' and every
 * non-ASCII byte (checked as UTF-8); one table lookup per plain byte. */
#define HTML_HI16 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
static const unsigned char html_stop[256] = {
    [0] = 1,
    ['&'] = 1,
    ['<'] = 1,
    ['>'] = 1,
    ['"'] = 1,
    ['\''] = 1,
    [0x80] = HTML_HI16,
    [0x90] = HTML_HI16,
    [0xA0] = HTML_HI16,
    [0xB0] = HTML_HI16,
    [0xC0] = HTML_HI16,
    [0xD0] = HTML_HI16,
    [0xE0] = HTML_HI16,
    [0xF0] = HTML_HI16,
};

/*
 * Length of the well-formed UTF-8 sequence at p (at most avail bytes,
 * avail >= 1, p[0] >= 0x80), or 0 when ill-formed; in that case *skip is
 * set to the length of the maximal ill-formed subpart (at least 1).
 * Follows Unicode Table 3-7.
 */
static size_t html_utf8_len(const unsigned char *p, size_t avail, size_t *skip)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xBF;
	size_t need, i;

	if (c >= 0xC2 && c <= 0xDF) {
		need = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		*skip = 1;
		return 0;
	}
	for (i = 1; i < need; i++) {
		if (i >= avail || p[i] < lo || p[i] > hi) {
			*skip = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xBF;
	}
	return need;
}

/* The end of the run of plain bytes from i (i <= n).  Four at a time;
 * each byte is read only after the one before it was found plain (not
 * the NUL), so a C string is never read past its end. */
static size_t html_plain_run(const unsigned char *p, size_t i, size_t n)
{
	while (n - i >= 4) {
		if (html_stop[p[i]])
			return i;
		if (html_stop[p[i + 1]])
			return i + 1;
		if (html_stop[p[i + 2]])
			return i + 2;
		if (html_stop[p[i + 3]])
			return i + 3;
		i += 4;
	}
	while (i < n && !html_stop[p[i]])
		i++;
	return i;
}

int html_escape_n(struct buf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	const char *rep;
	size_t i = 0, run = 0, len, skip;
	int result = -1;

	if (s == NULL)
		return 0;
	for (;;) {
		/* Skip plain ASCII; stop at the end, a NUL, a special or non-ASCII. */
		i = html_plain_run(p, i, n);
		if (i >= n || p[i] == '\0')
			break;
		rep = NULL;
		len = 1;
		switch (p[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			if (p[i] >= 0x80) {
				len = html_utf8_len(p + i, n - i, &skip);
				if (len == 0) {
					rep = html_fffd;
					len = skip;
				}
			}
			break;
		}
		if (rep == NULL) {
			i += len;
			continue;
		}
		if (i > run && buf_append(out, p + run, i - run) < 0)
			goto out;
		if (buf_puts(out, rep) < 0)
			goto out;
		i += len;
		run = i;
	}
	if (i > run && buf_append(out, p + run, i - run) < 0)
		goto out;
	result = 0;
out:
	return result;
}

int html_escape(struct buf *out, const char *s)
{
	return html_escape_n(out, s, (size_t)-1);
}

/* 1 for RFC 3986 unreserved characters. */
static int html_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

int html_url_encode(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	size_t i, run = 0;
	char enc[3];
	int result = -1;

	if (s == NULL)
		return 0;
	for (i = 0; p[i] != '\0'; i++) {
		if (html_unreserved(p[i]))
			continue;
		if (i > run && buf_append(out, p + run, i - run) < 0)
			goto out;
		enc[0] = '%';
		enc[1] = hex[p[i] >> 4];
		enc[2] = hex[p[i] & 0x0F];
		if (buf_append(out, enc, sizeof(enc)) < 0)
			goto out;
		run = i + 1;
	}
	if (i > run && buf_append(out, p + run, i - run) < 0)
		goto out;
	result = 0;
out:
	return result;
}
