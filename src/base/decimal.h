/*
 * decimal: a long long in decimal without printf.  A page prints hundreds
 * of ids and counts; this is the one digit loop for them (the template
 * engine's numbers and the Client Accounts rows).
 */
#ifndef JS_DECIMAL_H
#define JS_DECIMAL_H

/* Characters of the longest value, "-9223372036854775808". */
#define DECIMAL_LL_CHARS 20

/* Write v in decimal so that it ends just before end (no NUL), and return
 * where it starts; end must have DECIMAL_LL_CHARS bytes before it. */
static inline char *decimal_ll(long long v, char *end)
{
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	char *p = end;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	return p;
}

#endif
