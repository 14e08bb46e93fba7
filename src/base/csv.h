/*
 * csv: fields of a CSV download, quoted per RFC 4180 (every field in
 * double quotes, a quote doubled) and neutralised against formula
 * injection: a cell starting with =, +, -, @, a tab or a carriage return
 * gets a leading apostrophe, so that a spreadsheet shows it as text
 * (DESIGN §11).
 */
#ifndef JS_CSV_H
#define JS_CSV_H

#include "buf.h"

/* Append field s (NULL is empty) and then "," or, when last, CRLF. */
void csv_field(struct buf *out, const char *s, int last);

#endif
