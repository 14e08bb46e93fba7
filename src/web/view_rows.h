/*
 * view_rows: a table's rows for a template, laid out in one allocation
 * instead of built with one cJSON_Create call per cell and freed node by
 * node (Client Accounts: 50 rows x 17 cells).
 *
 * The template engine only reads cJSON structs, so the block holds cJSON
 * structs linked the way cJSON links its own: children by next/prev, with
 * the first child's prev pointing at the last (cJSON's invariant, which
 * cJSON_GetArraySize, cJSON_GetArrayItem and cJSON_AddItemToArray rely
 * on; tests/unit/test_view_rows.c checks the block through that public
 * API).  Every row has the same keys in the same order, so the template's
 * lookups find them where they found them in the previous row.  Text cells
 * point at strings the caller keeps alive until the render is done, or at
 * the row's own scratch buffer.  Attach the array to a view with
 * cJSON_AddItemReferenceToObject (cJSON_Delete does not descend into a
 * reference) and free the block after the render.
 */
#ifndef JS_VIEW_ROWS_H
#define JS_VIEW_ROWS_H

#include <cJSON.h>
#include <stddef.h>

#define VIEW_ROWS_SCRATCH 160 /* bytes of scratch per row */

struct view_rows;

/* A block of nrows rows of ncols cells named keys[0..ncols-1] (static
 * strings), every cell empty text.  NULL on OOM or bad sizes.  Free with
 * view_rows_free(). */
struct view_rows *view_rows_new(int nrows, int ncols, const char *const *keys);
void view_rows_free(struct view_rows *v);
/* Set a cell: text s (not copied) or a boolean. */
void view_rows_text(struct view_rows *v, int row, int col, const char *s);
void view_rows_bool(struct view_rows *v, int row, int col, int b);
/* Row row's scratch buffer (VIEW_ROWS_SCRATCH bytes) for the texts it
 * formats itself. */
char *view_rows_scratch(struct view_rows *v, int row);
/* The rows as a cJSON array (owned by the block). */
cJSON *view_rows_array(struct view_rows *v);

#endif
