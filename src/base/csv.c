/*
 * csv: RFC 4180 fields.  See csv.h.
 */
#include "csv.h"

#include <string.h>

void csv_field(struct buf *out, const char *s, int last)
{
	s = s ? s : "";
	buf_putc(out, '"');
	if (strchr("=+-@\t\r", s[0]) != NULL && s[0] != '\0')
		buf_putc(out, '\'');
	for (; *s; s++) {
		if (*s == '"')
			buf_putc(out, '"');
		buf_putc(out, *s);
	}
	buf_putc(out, '"');
	buf_puts(out, last ? "\r\n" : ",");
}
