/*
 * pcache: the process's page cache (issue 19; DESIGN.md §1).  A bounded,
 * thread-safe LRU table of byte values, each stored under a view (bytes
 * naming what was read: organisation, statement, filters), a tag (a short
 * string the value depends on, such as the viewer's time zone) and the
 * version the database gave with the value.  It holds no meaning of its
 * own: the caller only ever uses a value whose version the database has
 * just confirmed in the same round trip as the session check.
 */
#ifndef JS_PCACHE_H
#define JS_PCACHE_H

#include <stddef.h>

struct pcache_stats {
	unsigned long hits, misses, evictions;
	size_t bytes, entries, max_bytes;
};

/* Size the cache (0 turns it off; the default is off).  Call once before
 * the threads start.  0, or -1 when out of memory. */
int pcache_init(size_t max_bytes);
/* Free every entry (at exit; tests). */
void pcache_reset(void);
/* 1 when some value of view is held (whatever its tag and version): the
 * caller may expect a hit and not read the value with the check.  0 is
 * counted as a miss. */
int pcache_probe(const void *view, size_t vlen);
/* A copy of the value of (view, tag) when it is held under version:
 * *out (caller free()s) of *len bytes, 1.  0 when not held or held under
 * another version (a miss; a value under another version is dropped).
 * -1 out of memory (counted as a miss). */
int pcache_get(const void *view, size_t vlen, const char *tag, long long version, void **out,
	       size_t *len);
/* The same for a part of a page held beside it (a search's count): not
 * counted in the hits and misses, which count pages. */
int pcache_get_part(const void *view, size_t vlen, const char *tag, long long version, void **out,
		    size_t *len);
/* Hold a copy of val under (view, tag, version), replacing what was held
 * for (view, tag), evicting the least recently used values to stay within
 * the size.  A value larger than a quarter of the cache is not held. */
void pcache_put(const void *view, size_t vlen, const char *tag, long long version, const void *val,
		size_t len);
/* The value of (view, tag) when it is held under version, without a
 * copy: *out (*len bytes, aligned as malloc() aligns) stays valid and
 * unchanged until pcache_return(), even if the value is dropped or
 * evicted meanwhile (its bytes then no longer count in the bound, and the
 * return frees them).  NULL when not held under version (a value under
 * another version is dropped).  Not counted in the hits and misses, which
 * count pages: for a part of a page held beside it (its rows, rendered). */
struct pcache_loan;
const struct pcache_loan *pcache_borrow(const void *view, size_t vlen, const char *tag,
					long long version, const void **out, size_t *len);
/* The same for a page: counted in the hits and misses as pcache_get(). */
const struct pcache_loan *pcache_borrow_page(const void *view, size_t vlen, const char *tag,
					     long long version, const void **out, size_t *len);
/* Give back what pcache_borrow() lent (NULL is ignored). */
void pcache_return(const struct pcache_loan *loan);
void pcache_stats_read(struct pcache_stats *out);

#endif
