/*
 * db_asset: the asset library.  See db_asset.h.
 */
#include "db_asset.h"
#include "db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int db_asset_put(struct db *db, const struct asset_in *a, enum asset_outcome *outcome)
{
	char o[24], h[24], sp[24] = "", run[24] = "";
	PGresult *r;
	const char *oc;

	LL(o, a->org_id);
	LL(h, a->source_hub_id);
	if (a->source_portal_id > 0)
		LL(sp, a->source_portal_id);
	if (a->run_id > 0)
		LL(run, a->run_id);
	const char *p[] = {o,	       h,	       a->object_type, a->kind,
			   a->name,    sp,	       a->label,       a->group_name,
			   a->type,    a->field_type, a->options,     a->definition,
			   a->fingerprint, run};
	r = db_run(db, ST_ASSET_PUT, 14, p);
	if (r == NULL || PQntuples(r) != 1) {
		PQclear(r);
		return -1;
	}
	oc = db_get(r, 0, "outcome");
	*outcome = strcmp(oc, "new") == 0	? ASSET_NEW
		   : strcmp(oc, "changed") == 0 ? ASSET_CHANGED
						 : ASSET_UNCHANGED;
	PQclear(r);
	return 1;
}

int db_asset_put_many(struct db *db, const struct asset_in *a, int n, enum asset_outcome *outcome)
{
	enum { NP = 14 };
	const char **p = calloc((size_t)(n > 0 ? n : 1) * NP, sizeof(*p));
	char (*num)[4][24] = malloc((size_t)(n > 0 ? n : 1) * sizeof(*num));
	PGresult **res = malloc((size_t)(n > 0 ? n : 1) * sizeof(*res));
	int result = -1;

	if (p == NULL || num == NULL || res == NULL)
		goto out;
	for (int i = 0; i < n; i++) {
		const struct asset_in *x = &a[i];
		const char **q = p + (size_t)i * NP;

		LL(num[i][0], x->org_id);
		LL(num[i][1], x->source_hub_id);
		num[i][2][0] = num[i][3][0] = '\0';
		if (x->source_portal_id > 0)
			LL(num[i][2], x->source_portal_id);
		if (x->run_id > 0)
			LL(num[i][3], x->run_id);
		q[0] = num[i][0];
		q[1] = num[i][1];
		q[2] = x->object_type;
		q[3] = x->kind;
		q[4] = x->name;
		q[5] = num[i][2];
		q[6] = x->label;
		q[7] = x->group_name;
		q[8] = x->type;
		q[9] = x->field_type;
		q[10] = x->options;
		q[11] = x->definition;
		q[12] = x->fingerprint;
		q[13] = num[i][3];
	}
	if (db_run_many(db, ST_ASSET_PUT, n, NP, p, res) < 0)
		goto out;
	result = 1;
	for (int i = 0; i < n; i++) {
		const char *oc = PQntuples(res[i]) == 1 ? db_get(res[i], 0, "outcome") : "";

		if (oc[0] == '\0')
			result = -1;
		outcome[i] = strcmp(oc, "new") == 0	    ? ASSET_NEW
			     : strcmp(oc, "changed") == 0 ? ASSET_CHANGED
							   : ASSET_UNCHANGED;
		PQclear(res[i]);
	}
out:
	free(p);
	free(num);
	free(res);
	return result;
}

int db_asset_mark_gone(struct db *db, long long org, long long hub, const char *object_type,
		       long long run, long *gone)
{
	char o[24], h[24], rn[24];
	long n;

	LL(o, org);
	LL(h, hub);
	LL(rn, run);
	const char *p[] = {o, h, object_type, rn};
	n = db_cmd(db, ST_ASSET_MARK_GONE, 4, p);
	if (n < 0)
		return -1;
	*gone = n;
	return 1;
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
