/*
 * apicursor: the read API's opaque portal-list cursor ("next").  It carries
 * the last row's sort keys by value (not only its id, as the Client
 * Accounts page's ?after= does), so that renaming, re-sorting or adding
 * rows between two requests never moves a row across the page boundary
 * (no duplicate, no gap), and a fingerprint of the sort and filters it was
 * made for, so that it is refused with other ones.  Pure: no I/O.
 *
 * Encoding: base64url (no padding) of
 * "1|<sort>|<fingerprint: 16 hex>|<id>|<rank>|<last key>|<sort name>".
 */
#ifndef JS_APICURSOR_H
#define JS_APICURSOR_H

#include <stddef.h>
#include <stdint.h>

#define APICURSOR_MAX 600 /* longest encoded cursor accepted, without the NUL */

struct apicursor {
	int sort;	      /* enum api_sort */
	uint64_t fingerprint; /* apicursor_fingerprint() of the request it was made for */
	long long id;	      /* the last row's id, > 0 */
	int rank;	      /* its status rank (0..2) */
	char last[27];	      /* its last connection, "YYYY-MM-DDTHH:MM:SS.UUUUUU" (UTC) */
	char name[256];	      /* its sort name (UTF-8, no NUL, at most 255 bytes) */
};

/* The fingerprint of a list request: sort and the filters (NULL is ""). */
uint64_t apicursor_fingerprint(int sort, const char *status, const char *label, const char *q);
/* Encode c into out (room for APICURSOR_MAX + 1).  Returns the length, or
 * -1 when c is not encodable (bad fields) or out is too small. */
long apicursor_encode(const struct apicursor *c, char *out, size_t outsz);
/* Decode s into *c, checking every field's shape (sort 0..nsorts-1, id
 * 1..18 digits, rank 0..2, the time's shape, the name's UTF-8).  0, or -1
 * (*c zeroed) for anything else. */
int apicursor_decode(const char *s, int nsorts, struct apicursor *c);

#endif
