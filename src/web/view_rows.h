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

#include "tmpl.h"

#define VIEW_ROWS_SCRATCH 320 /* bytes of scratch per row */

struct view_row {
	cJSON obj;
	char scratch[VIEW_ROWS_SCRATCH];
};

/* The block (one allocation).  Its fields are view_rows.c's; they are in
 * the header only so that filling a cell is an inline store. */
struct view_rows {
	int nrows, ncols;
	cJSON array;
	struct view_row *row; /* nrows, inside the allocation */
	cJSON *cell;	      /* nrows * ncols, inside the allocation */
};

/* A block of nrows rows of ncols cells named keys[0..ncols-1] (static
 * strings), every cell empty text.  NULL on OOM or bad sizes.  Free with
 * view_rows_free(). */
struct view_rows *view_rows_new(int nrows, int ncols, const char *const *keys);
void view_rows_free(struct view_rows *v);

/* Set a cell: text s (not copied; NULL is "") or a boolean. */
static inline void view_rows_text(struct view_rows *v, int row, int col, const char *s)
{
	cJSON *c = &v->cell[row * v->ncols + col];

	c->type = cJSON_String | cJSON_IsReference | cJSON_StringIsConst;
	c->valuestring = (char *)(s ? s : "");
}

static inline void view_rows_bool(struct view_rows *v, int row, int col, int b)
{
	cJSON *c = &v->cell[row * v->ncols + col];

	c->type = (b ? cJSON_True : cJSON_False) | cJSON_StringIsConst;
	c->valuestring = NULL;
}

/* Make a cell the template hook h (tmpl.h), kept alive by the caller. */
static inline void view_rows_hook(struct view_rows *v, int row, int col, const struct tmpl_hook *h)
{
	tmpl_hook_set(&v->cell[row * v->ncols + col], h);
}

/* Row row's scratch buffer (VIEW_ROWS_SCRATCH bytes) for the texts it
 * formats itself. */
static inline char *view_rows_scratch(struct view_rows *v, int row)
{
	return v->row[row].scratch;
}

/* The rows as a cJSON array (owned by the block). */
static inline cJSON *view_rows_array(struct view_rows *v)
{
	return &v->array;
}

#endif
