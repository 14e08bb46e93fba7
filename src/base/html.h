/*
 * html: escaping of untrusted text for HTML output and percent-encoding for
 * URLs built in C.
 *
 * html_escape() output is safe in element text and in single- or
 * double-quoted attribute values.  It is not safe in unquoted attributes,
 * in <script> or <style> bodies, or as a whole URL (use html_url_encode()
 * for query components and validate schemes separately).
 */
#ifndef JS_HTML_H
#define JS_HTML_H

#include <stddef.h>

#include "buf.h"

/*
 * Append s to out with & < > " ' replaced by &amp; &lt; &gt; &quot; &#39;.
 * Bytes that are not well-formed UTF-8 (stray continuation bytes, overlong
 * forms, surrogates, code points above U+10FFFF, truncated sequences) are
 * replaced by U+FFFD, one replacement per maximal ill-formed subpart.
 * Input stops at the first NUL.  A NULL s appends nothing.
 * Returns 0, or -1 when out refused an append (overflow or OOM); out may
 * then hold a partial result.  Nothing is allocated except inside out.
 */
int html_escape(struct buf *out, const char *s);

/*
 * As html_escape(), reading at most n bytes of s (still stopping at a NUL).
 */
int html_escape_n(struct buf *out, const char *s, size_t n);

/*
 * Append s to out percent-encoded for a URL query component or path
 * segment: RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~) are kept,
 * every other byte becomes %XX (upper-case hex); a space becomes %20.
 * A NULL s appends nothing.  Returns 0, or -1 when out refused an append
 * (out may then hold a partial result).
 */
int html_url_encode(struct buf *out, const char *s);

#endif
