/*
 * arena: per-thread bump allocation for cJSON during a request.  See
 * arena.h.
 */
#include "arena.h"

#include <cJSON.h>
#include <stdint.h>
#include <stdlib.h>

#define ARENA_CHUNK (256 * 1024)

struct chunk {
	struct chunk *next;
	size_t size; /* usable bytes after the header */
	size_t used;
};

struct arena {
	struct chunk *head; /* the chunk being filled; older ones follow */
	int active;
};

static __thread struct arena arena;

/* The usable bytes of a chunk start after its header, 16-aligned. */
#define CHUNK_DATA(c) ((unsigned char *)(c) + ((sizeof(struct chunk) + 15) & ~(size_t)15))

static struct chunk *chunk_new(size_t need)
{
	size_t size = need > ARENA_CHUNK ? need : ARENA_CHUNK;
	struct chunk *c = malloc(((sizeof(struct chunk) + 15) & ~(size_t)15) + size);

	if (c == NULL)
		return NULL;
	c->next = NULL;
	c->size = size;
	c->used = 0;
	return c;
}

static void *arena_malloc(size_t n)
{
	struct chunk *c;
	void *p;

	if (!arena.active)
		return malloc(n);
	n = (n + 15) & ~(size_t)15;
	c = arena.head;
	if (c == NULL || c->size - c->used < n) {
		struct chunk *nc = chunk_new(n);

		if (nc == NULL)
			return NULL;
		nc->next = c;
		arena.head = c = nc;
	}
	p = CHUNK_DATA(c) + c->used;
	c->used += n;
	return p;
}

/* 1 when p lies in one of this thread's chunks. */
static int owned(const void *p)
{
	for (const struct chunk *c = arena.head; c != NULL; c = c->next) {
		const unsigned char *d = CHUNK_DATA(c);

		if ((const unsigned char *)p >= d && (const unsigned char *)p < d + c->size)
			return 1;
	}
	return 0;
}

static void arena_free(void *p)
{
	if (p == NULL || owned(p))
		return;
	free(p);
}

void arena_install(void)
{
	cJSON_Hooks h = {arena_malloc, arena_free};

	cJSON_InitHooks(&h);
}

void arena_begin(void)
{
	arena.active = 1;
}

void arena_end(void)
{
	struct chunk *c = arena.head, *next;

	arena.active = 0;
	if (c == NULL)
		return;
	/* keep the newest chunk for the next request, release the others */
	next = c->next;
	c->next = NULL;
	c->used = 0;
	while (next != NULL) {
		struct chunk *n = next->next;
		free(next);
		next = n;
	}
}

void arena_release(void)
{
	arena_end();
	free(arena.head);
	arena.head = NULL;
}
