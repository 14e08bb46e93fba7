/*
 * db_asset: the asset library.  See db_asset.h.
 */
#include "db_asset.h"
#include "db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The items as the statement's JSON array of string arrays.  The caller
 * frees the text with cJSON_free; NULL when out of memory. */
static char *put_items(const struct asset_in *a, int n)
{
	cJSON *arr = cJSON_CreateArray();
	char *s = NULL;

	for (int i = 0; arr != NULL && i < n; i++) {
		const char *f[] = {a[i].kind, a[i].name, a[i].label, a[i].group_name, a[i].type,
				   a[i].field_type, a[i].options, a[i].definition, a[i].fingerprint};
		cJSON *row = cJSON_CreateStringArray(f, (int)(sizeof(f) / sizeof(f[0])));

		if (row == NULL || !cJSON_AddItemToArray(arr, row)) {
			cJSON_Delete(row);
			goto out;
		}
	}
	if (arr != NULL)
		s = cJSON_PrintUnformatted(arr);
out:
	cJSON_Delete(arr);
	return s;
}

int db_asset_put_many(struct db *db, const struct asset_batch *b, const struct asset_in *a, int n,
		      struct asset_counts *counts)
{
	char o[24], h[24], sp[24] = "", run[24] = "";
	char *items = put_items(a, n);
	PGresult *r = NULL;
	int result = -1;

	memset(counts, 0, sizeof(*counts));
	if (items == NULL)
		goto out;
	LL(o, b->org_id);
	LL(h, b->source_hub_id);
	if (b->source_portal_id > 0)
		LL(sp, b->source_portal_id);
	if (b->run_id > 0)
		LL(run, b->run_id);
	const char *p[] = {o, h, b->object_type, sp, run, items};
	r = db_run(db, ST_ASSET_PUT_SET, 6, p);
	if (r == NULL || PQntuples(r) != 1)
		goto out;
	counts->n_new = (long)db_get_ll(r, 0, "new");
	counts->changed = (long)db_get_ll(r, 0, "changed");
	counts->unchanged = (long)db_get_ll(r, 0, "unchanged");
	counts->gone = (long)db_get_ll(r, 0, "gone");
	result = 1;
out:
	PQclear(r);
	cJSON_free(items);
	return result;
}

static void asset_take(const PGresult *r, int i, struct asset_row *o)
{
	memset(o, 0, sizeof(*o));
	o->id = db_get_ll(r, i, "id");
	o->source_hub_id = db_get_ll(r, i, "source_hub_id");
	o->source_portal_id = db_get_ll(r, i, "source_portal_id");
	db_copy(o->object_type, sizeof(o->object_type), db_get(r, i, "object_type"));
	db_copy(o->kind, sizeof(o->kind), db_get(r, i, "kind"));
	db_copy(o->name, sizeof(o->name), db_get(r, i, "name"));
	db_copy(o->label, sizeof(o->label), db_get(r, i, "label"));
	db_copy(o->group_name, sizeof(o->group_name), db_get(r, i, "group_name"));
	db_copy(o->type, sizeof(o->type), db_get(r, i, "type"));
	db_copy(o->field_type, sizeof(o->field_type), db_get(r, i, "field_type"));
	o->version = (int)db_get_ll(r, i, "version");
	o->gone = strcmp(db_get(r, i, "gone"), "t") == 0;
	o->source_removed = strcmp(db_get(r, i, "source_removed"), "t") == 0;
	db_copy(o->source_name, sizeof(o->source_name), db_get(r, i, "source_name"));
	db_copy(o->last_imported, sizeof(o->last_imported), db_get(r, i, "last_imported"));
}

int db_asset_list(struct db *db, long long org, const struct asset_query *q,
		  struct asset_row *out, int *n)
{
	char o[24], h[24], after[24];
	PGresult *r;

	*n = 0;
	LL(o, org);
	LL(h, q->source_hub);
	LL(after, q->after);
	const char *p[] = {
	    o, q->object_type ? q->object_type : "", h, q->q ? q->q : "", after, db_tz(q->tz)};
	r = db_run(db, ST_ASSET_LIST, 6, p);
	if (r == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r) && i < ASSET_FETCH; i++)
		asset_take(r, i, &out[(*n)++]);
	PQclear(r);
	return 1;
}

int db_asset_get(struct db *db, long long org, long long id, const char *tz,
		 struct asset_row *out)
{
	char o[24], i[24];
	PGresult *r;
	int result;

	LL(o, org);
	LL(i, id);
	const char *p[] = {o, i, db_tz(tz)};
	r = db_run(db, ST_ASSET_GET, 3, p);
	if (r == NULL)
		return -1;
	result = PQntuples(r) == 1;
	if (result)
		asset_take(r, 0, out);
	PQclear(r);
	return result;
}

void db_asset_versions_free(struct asset_version *v, int n)
{
	for (int i = 0; v != NULL && i < n; i++) {
		free(v[i].options);
		free(v[i].definition);
	}
	free(v);
}

int db_asset_versions(struct db *db, long long org, long long id, const char *tz,
		      struct asset_version **out, int *n)
{
	char o[24], i[24];
	PGresult *r;
	int rows;

	*out = NULL;
	*n = 0;
	LL(o, org);
	LL(i, id);
	const char *p[] = {o, i, db_tz(tz)};
	r = db_run(db, ST_ASSET_VERSIONS, 3, p);
	if (r == NULL)
		return -1;
	rows = PQntuples(r);
	if (rows > 0 && (*out = calloc((size_t)rows, sizeof(**out))) == NULL) {
		PQclear(r);
		return -1;
	}
	for (int k = 0; k < rows; k++) {
		struct asset_version *v = &(*out)[k];

		v->version = (int)db_get_ll(r, k, "version");
		db_copy(v->label, sizeof(v->label), db_get(r, k, "label"));
		db_copy(v->group_name, sizeof(v->group_name), db_get(r, k, "group_name"));
		db_copy(v->type, sizeof(v->type), db_get(r, k, "type"));
		db_copy(v->field_type, sizeof(v->field_type), db_get(r, k, "field_type"));
		v->options = strdup(db_get(r, k, "options"));
		v->definition = strdup(db_get(r, k, "definition"));
		db_copy(v->created, sizeof(v->created), db_get(r, k, "created"));
		v->run_id = db_get_ll(r, k, "run_id");
		*n = k + 1;
		if (v->options == NULL || v->definition == NULL) {
			PQclear(r);
			db_asset_versions_free(*out, *n);
			*out = NULL;
			*n = 0;
			return -1;
		}
	}
	PQclear(r);
	return 1;
}

int db_asset_sources(struct db *db, long long org, struct asset_source *out, int max, int *n)
{
	char o[24];
	PGresult *r;

	*n = 0;
	LL(o, org);
	const char *p[] = {o};
	r = db_run(db, ST_ASSET_SOURCES, 1, p);
	if (r == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r) && i < max; i++) {
		out[*n].hub_id = db_get_ll(r, i, "source_hub_id");
		db_copy(out[*n].name, sizeof(out[*n].name), db_get(r, i, "name"));
		(*n)++;
	}
	PQclear(r);
	return 1;
}
