/*
 * pcache: the process's page cache.  See pcache.h.
 *
 * One mutex around a chained hash table (by view only, so that a probe
 * finds a view whatever its tag) and a doubly linked LRU list.  Values
 * are copied in and out under the mutex: no caller ever holds a pointer
 * into the table.
 */
#include "pcache.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TAG_MAX 64

struct entry {
	struct entry *next;		   /* the hash chain */
	struct entry *lru_prev, *lru_next; /* lru_prev: more recent */
	uint64_t hash;
	long long version;
	char tag[TAG_MAX];
	size_t vlen, len;
	unsigned char *view; /* vlen bytes, then the value's len bytes at VAL_AT(vlen) */
	/* borrowers (pcache_borrow); an entry dropped while borrowed is
	 * freed by its last pcache_return */
	int borrowed, dropped;
};

/* where a value starts after its view: aligned as malloc() aligns */
#define VAL_AT(vlen) (((vlen) + 15) & ~(size_t)15)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry **table;
static size_t nbuckets, max_bytes, bytes, entries;
static struct entry *lru_head, *lru_tail; /* most, least recently used */
static unsigned long hits, misses, evictions;

static uint64_t hash_of(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static size_t cost(const struct entry *e)
{
	return sizeof(*e) + VAL_AT(e->vlen) + e->len;
}

static void lru_unlink(struct entry *e)
{
	if (e->lru_prev)
		e->lru_prev->lru_next = e->lru_next;
	else
		lru_head = e->lru_next;
	if (e->lru_next)
		e->lru_next->lru_prev = e->lru_prev;
	else
		lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
}

static void lru_front(struct entry *e)
{
	e->lru_prev = NULL;
	e->lru_next = lru_head;
	if (lru_head)
		lru_head->lru_prev = e;
	lru_head = e;
	if (lru_tail == NULL)
		lru_tail = e;
}

/* Unlink e from its chain and the list and free it (lock held). */
static void drop(struct entry *e)
{
	struct entry **pp = &table[e->hash % nbuckets];

	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
	lru_unlink(e);
	bytes -= cost(e);
	entries--;
	if (e->borrowed > 0) {
		e->dropped = 1;
		return;
	}
	free(e->view);
	free(e);
}

static int tag_ok(const char *tag)
{
	return strlen(tag) < TAG_MAX;
}

/* The entry of (view, tag) (lock held), or NULL. */
static struct entry *find(uint64_t h, const void *view, size_t vlen, const char *tag)
{
	for (struct entry *e = table[h % nbuckets]; e != NULL; e = e->next)
		if (e->hash == h && e->vlen == vlen && memcmp(e->view, view, vlen) == 0 &&
		    (tag == NULL || strcmp(e->tag, tag) == 0))
			return e;
	return NULL;
}

int pcache_init(size_t max)
{
	size_t n = 64;

	pcache_reset();
	if (max == 0)
		return 0;
	/* about one bucket per 8 KB, at least 64 */
	while (n < max / 8192 && n < ((size_t)1 << 20))
		n *= 2;
	pthread_mutex_lock(&lock);
	table = calloc(n, sizeof(*table));
	if (table != NULL) {
		nbuckets = n;
		max_bytes = max;
	}
	pthread_mutex_unlock(&lock);
	return table != NULL ? 0 : -1;
}

void pcache_reset(void)
{
	pthread_mutex_lock(&lock);
	while (table != NULL && lru_tail != NULL)
		drop(lru_tail);
	free(table);
	table = NULL;
	nbuckets = max_bytes = bytes = entries = 0;
	hits = misses = evictions = 0;
	pthread_mutex_unlock(&lock);
}

int pcache_probe(const void *view, size_t vlen)
{
	uint64_t h = hash_of(view, vlen);
	int found;

	pthread_mutex_lock(&lock);
	found = table != NULL && find(h, view, vlen, NULL) != NULL;
	if (table != NULL && !found)
		misses++;
	pthread_mutex_unlock(&lock);
	return found;
}

/* pcache_get(), counted in the hits and misses when counted is 1. */
static int get(const void *view, size_t vlen, const char *tag, long long version, void **out,
	       size_t *len, int counted)
{
	uint64_t h = hash_of(view, vlen);
	struct entry *e;
	int result = 0;

	*out = NULL;
	*len = 0;
	pthread_mutex_lock(&lock);
	if (table == NULL || !tag_ok(tag))
		goto out;
	e = find(h, view, vlen, tag);
	if (e == NULL)
		goto out;
	if (e->version != version) {
		drop(e); /* the organisation changed since: never of use again */
		goto out;
	}
	*out = malloc(e->len ? e->len : 1);
	if (*out == NULL) {
		result = -1;
		goto out;
	}
	memcpy(*out, e->view + VAL_AT(e->vlen), e->len);
	*len = e->len;
	lru_unlink(e);
	lru_front(e);
	result = 1;
out:
	if (table != NULL && counted) {
		if (result == 1)
			hits++;
		else
			misses++;
	}
	pthread_mutex_unlock(&lock);
	return result;
}

int pcache_get(const void *view, size_t vlen, const char *tag, long long version, void **out,
	       size_t *len)
{
	return get(view, vlen, tag, version, out, len, 1);
}

int pcache_get_part(const void *view, size_t vlen, const char *tag, long long version, void **out,
		    size_t *len)
{
	return get(view, vlen, tag, version, out, len, 0);
}

void pcache_put(const void *view, size_t vlen, const char *tag, long long version, const void *val,
		size_t len)
{
	uint64_t h = hash_of(view, vlen);
	struct entry *e, *old;

	if (!tag_ok(tag))
		return;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return;
	e->view = malloc(VAL_AT(vlen) + len);
	if (e->view == NULL) {
		free(e);
		return;
	}
	memcpy(e->view, view, vlen);
	memcpy(e->view + VAL_AT(vlen), val, len);
	e->vlen = vlen;
	e->len = len;
	e->hash = h;
	e->version = version;
	memcpy(e->tag, tag, strlen(tag) + 1);
	pthread_mutex_lock(&lock);
	if (table == NULL || cost(e) > max_bytes / 4) {
		pthread_mutex_unlock(&lock);
		free(e->view);
		free(e);
		return;
	}
	old = find(h, view, vlen, tag);
	if (old != NULL)
		drop(old);
	while (lru_tail != NULL && bytes + cost(e) > max_bytes) {
		drop(lru_tail);
		evictions++;
	}
	e->next = table[h % nbuckets];
	table[h % nbuckets] = e;
	lru_front(e);
	bytes += cost(e);
	entries++;
	pthread_mutex_unlock(&lock);
}

/* pcache_borrow(), counted in the hits and misses when counted is 1. */
static const struct pcache_loan *borrow(const void *view, size_t vlen, const char *tag,
					long long version, const void **out, size_t *len,
					int counted)
{
	uint64_t h = hash_of(view, vlen);
	struct entry *e = NULL;

	*out = NULL;
	*len = 0;
	pthread_mutex_lock(&lock);
	if (table != NULL && tag_ok(tag))
		e = find(h, view, vlen, tag);
	if (e != NULL && e->version != version) {
		drop(e); /* the organisation changed since: never of use again */
		e = NULL;
	}
	if (e != NULL) {
		e->borrowed++;
		lru_unlink(e);
		lru_front(e);
		*out = e->view + VAL_AT(e->vlen);
		*len = e->len;
	}
	if (table != NULL && counted) {
		if (e != NULL)
			hits++;
		else
			misses++;
	}
	pthread_mutex_unlock(&lock);
	return (const struct pcache_loan *)e;
}

const struct pcache_loan *pcache_borrow(const void *view, size_t vlen, const char *tag,
					long long version, const void **out, size_t *len)
{
	return borrow(view, vlen, tag, version, out, len, 0);
}

const struct pcache_loan *pcache_borrow_page(const void *view, size_t vlen, const char *tag,
					     long long version, const void **out, size_t *len)
{
	return borrow(view, vlen, tag, version, out, len, 1);
}

void pcache_return(const struct pcache_loan *loan)
{
	struct entry *e = (struct entry *)loan;

	if (e == NULL)
		return;
	pthread_mutex_lock(&lock);
	if (--e->borrowed == 0 && e->dropped) {
		free(e->view);
		free(e);
	}
	pthread_mutex_unlock(&lock);
}

void pcache_stats_read(struct pcache_stats *out)
{
	pthread_mutex_lock(&lock);
	out->hits = hits;
	out->misses = misses;
	out->evictions = evictions;
	out->bytes = bytes;
	out->entries = entries;
	out->max_bytes = max_bytes;
	pthread_mutex_unlock(&lock);
}
