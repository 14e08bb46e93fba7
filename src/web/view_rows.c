/*
 * view_rows: rows laid out in one block.  See view_rows.h.
 */
#include "view_rows.h"

#include <stdlib.h>
#include <string.h>

struct view_row {
	cJSON obj;
	char scratch[VIEW_ROWS_SCRATCH];
};

struct view_rows {
	int nrows, ncols;
	cJSON array;
	struct view_row *row; /* nrows */
	cJSON *cell;	      /* nrows * ncols */
};

/* Link n structs of stride bytes from first as the children of parent, as
 * cJSON links them (the first child's prev is the last). */
static void link_children(cJSON *parent, cJSON *first, size_t n, size_t stride)
{
	cJSON *prev = NULL, *c = first;

	parent->child = n ? first : NULL;
	for (size_t i = 0; i < n; i++) {
		c = (cJSON *)((char *)first + i * stride);
		c->prev = prev;
		c->next = NULL;
		if (prev != NULL)
			prev->next = c;
		prev = c;
	}
	if (n)
		first->prev = c;
}

struct view_rows *view_rows_new(int nrows, int ncols, const char *const *keys)
{
	struct view_rows *v;

	if (nrows < 0 || ncols <= 0 || nrows > 100000 || ncols > 256)
		return NULL;
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return NULL;
	v->nrows = nrows;
	v->ncols = ncols;
	v->row = calloc((size_t)nrows + 1, sizeof(*v->row));
	v->cell = calloc((size_t)nrows * (size_t)ncols + 1, sizeof(*v->cell));
	if (v->row == NULL || v->cell == NULL) {
		view_rows_free(v);
		return NULL;
	}
	v->array = (cJSON){.type = cJSON_Array};
	for (int i = 0; i < nrows; i++) {
		cJSON *cells = &v->cell[(size_t)i * (size_t)ncols];

		v->row[i].obj = (cJSON){.type = cJSON_Object};
		for (int k = 0; k < ncols; k++)
			cells[k] = (cJSON){.type = cJSON_String | cJSON_IsReference |
						   cJSON_StringIsConst,
					   .valuestring = (char *)"",
					   .string = (char *)keys[k]};
		link_children(&v->row[i].obj, cells, (size_t)ncols, sizeof(cells[0]));
	}
	link_children(&v->array, nrows ? &v->row[0].obj : NULL, (size_t)nrows,
		      sizeof(v->row[0]));
	return v;
}

void view_rows_free(struct view_rows *v)
{
	if (v == NULL)
		return;
	free(v->row);
	free(v->cell);
	free(v);
}

static cJSON *cell(struct view_rows *v, int row, int col)
{
	return &v->cell[(size_t)row * (size_t)v->ncols + (size_t)col];
}

void view_rows_text(struct view_rows *v, int row, int col, const char *s)
{
	cJSON *c = cell(v, row, col);

	c->type = cJSON_String | cJSON_IsReference | cJSON_StringIsConst;
	c->valuestring = (char *)(s ? s : "");
}

void view_rows_bool(struct view_rows *v, int row, int col, int b)
{
	cJSON *c = cell(v, row, col);

	c->type = (b ? cJSON_True : cJSON_False) | cJSON_StringIsConst;
	c->valuestring = NULL;
}

char *view_rows_scratch(struct view_rows *v, int row)
{
	return v->row[row].scratch;
}

cJSON *view_rows_array(struct view_rows *v)
{
	return &v->array;
}
