/*
 * buf: a growable byte buffer with a hard maximum size.
 *
 * Every buffer that holds data from the network or that is sent back is a
 * struct buf.  Appends past the maximum fail (and set the sticky overflow
 * flag) instead of growing without bound.  The data is always NUL-terminated
 * so it can be used as a C string.
 */
#ifndef JS_BUF_H
#define JS_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

struct buf {
	char *data;   /* NUL-terminated; NULL until the first append */
	size_t len;   /* bytes used, without the NUL */
	size_t cap;   /* bytes allocated */
	size_t max;   /* hard limit on len; 0 means 16 MiB */
	int overflow; /* set when an append was refused for size */
	int oom;      /* set when an allocation failed */
};

/* Initialise an empty buffer limited to max bytes (0 = 16 MiB). */
void buf_init(struct buf *b, size_t max);
/* Append n bytes; returns 0, or -1 (nothing appended) past max or on OOM.
 * Inline: pages are built from thousands of small appends, and an append
 * that fits the allocation (and max) is a bounds check and a copy. */
int buf_append_slow(struct buf *b, const void *p, size_t n);
/* Make room for extra more bytes (and the NUL) in one allocation, so the
 * appends that follow do not grow the buffer step by step.  0, or -1 past
 * max (overflow set) or on OOM. */
int buf_reserve(struct buf *b, size_t extra);
static inline int buf_append(struct buf *b, const void *p, size_t n)
{
	if (b->max != 0 && n < b->cap - b->len && b->len + n <= b->max) {
		if (n != 0)
			memcpy(b->data + b->len, p, n);
		b->len += n;
		b->data[b->len] = '\0';
		return 0;
	}
	return buf_append_slow(b, p, n);
}
/* Append a C string. */
int buf_puts(struct buf *b, const char *s);
/* Append one byte. */
int buf_putc(struct buf *b, char c);
/* Append formatted text (vsnprintf rules). */
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Forget the contents, keep the allocation. */
void buf_reset(struct buf *b);
/* Take the data (caller frees with free()); the buffer becomes empty.
 * Returns an empty allocated string rather than NULL when nothing was
 * appended, or NULL on OOM. */
char *buf_take(struct buf *b);
/* Free the data; safe on a zeroed or already-freed buffer. */
void buf_free(struct buf *b);
/* The contents as a C string ("" when empty). Owned by the buffer. */
const char *buf_str(const struct buf *b);

/* The string src into dst of n bytes, cut to fit and always ended when
 * n > 0: snprintf(dst, n, "%s", src) without printf's cost. */
static inline void buf_strcpy(char *dst, size_t n, const char *src)
{
	size_t len;

	if (n == 0)
		return;
	len = strnlen(src, n - 1);
	memcpy(dst, src, len);
	dst[len] = '\0';
}

#endif
