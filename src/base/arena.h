/*
 * arena: a bump allocator for the cJSON view models of one request.
 *
 * A page builds and frees a few thousand small cJSON nodes; with the
 * arena active on a thread those allocations come from a chunk that is
 * rewound when the request ends, and frees of them cost nothing.  Outside
 * a request (and on threads that never begin one) cJSON uses malloc/free
 * as usual.  Every cJSON value made during a request must be deleted (or
 * dropped) before arena_end(): nothing allocated there survives it.
 */
#ifndef JS_ARENA_H
#define JS_ARENA_H

/* Route cJSON's allocations through the arena hooks.  Call once at
 * start-up, before any thread starts and before any cJSON value exists. */
void arena_install(void);
/* Start serving this thread's cJSON allocations from its arena. */
void arena_begin(void);
/* Stop, and rewind this thread's arena for the next request. */
void arena_end(void);
/* Release this thread's arena memory (thread exit). */
void arena_release(void);

#endif
