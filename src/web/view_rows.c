/*
 * view_rows: rows laid out in one block.  See view_rows.h.
 */
#include "view_rows.h"

#include <stdlib.h>
#include <string.h>

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

_Static_assert(sizeof(struct view_rows) % _Alignof(cJSON) == 0 &&
		       sizeof(struct view_row) % _Alignof(cJSON) == 0,
	       "the parts of the block stay aligned");

struct view_rows *view_rows_new(int nrows, int ncols, const char *const *keys)
{
	struct view_rows *v;
	size_t rows, cells;

	if (nrows < 0 || ncols <= 0 || nrows > 100000 || ncols > 256)
		return NULL;
	rows = (size_t)nrows * sizeof(struct view_row);
	cells = (size_t)nrows * (size_t)ncols * sizeof(cJSON);
	/* one allocation: the header, the rows, the cells (each part a
	 * multiple of the pointer size, so each stays aligned) */
	v = malloc(sizeof(*v) + rows + cells);
	if (v == NULL)
		return NULL;
	v->nrows = nrows;
	v->ncols = ncols;
	v->row = (struct view_row *)(v + 1);
	v->cell = (cJSON *)((char *)v->row + rows);
	v->array = (cJSON){.type = cJSON_Array};
	for (int i = 0; i < nrows; i++) {
		cJSON *cells_i = &v->cell[(size_t)i * (size_t)ncols];

		v->row[i].obj = (cJSON){.type = cJSON_Object};
		for (int k = 0; k < ncols; k++)
			cells_i[k] = (cJSON){.type = cJSON_String | cJSON_IsReference |
						     cJSON_StringIsConst,
					     .valuestring = (char *)"",
					     .string = (char *)keys[k]};
		link_children(&v->row[i].obj, cells_i, (size_t)ncols, sizeof(cells_i[0]));
	}
	link_children(&v->array, nrows ? &v->row[0].obj : NULL, (size_t)nrows,
		      sizeof(v->row[0]));
	return v;
}

void view_rows_free(struct view_rows *v)
{
	free(v);
}
