/*
 * db_deploy: deployments and their items.  See db_deploy.h.
 */
#include "db_deploy.h"
#include "db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The ticked ids as an array literal ("{1,2}"), or "" for the filter.  0,
 * or -1 when they do not fit. */
static int ids_literal(const struct deploy_selection *sel, char *out, size_t cap)
{
	size_t len = 0;

	out[0] = '\0';
	if (sel->n_ids <= 0)
		return 0;
	for (int i = 0; i < sel->n_ids; i++) {
		int k = snprintf(out + len, cap - len, "%s%lld", i ? "," : "{", sel->asset_ids[i]);

		if (k < 0 || (size_t)k >= cap - len)
			return -1;
		len += (size_t)k;
	}
	if (len + 2 > cap)
		return -1;
	out[len++] = '}';
	out[len] = '\0';
	return 0;
}

/* Room for DEPLOY_IDS_MAX ids of 19 digits and commas. */
#define IDS_CAP (DEPLOY_IDS_MAX * 21 + 4)

int db_deploy_preview(struct db *db, long long org, const struct deploy_selection *sel,
		      struct deploy_preview *out)
{
	static const char *const cols[4] = {"contacts", "companies", "deals", "tickets"};
	char o[24], h[24], *ids = malloc(IDS_CAP);
	PGresult *r;

	memset(out, 0, sizeof(*out));
	if (ids == NULL || ids_literal(sel, ids, IDS_CAP) < 0) {
		free(ids);
		return -1;
	}
	LL(o, org);
	LL(h, sel->source_hub);
	const char *p[] = {o, sel->object_type ? sel->object_type : "", h, sel->q ? sel->q : "",
			   ids};
	r = db_run(db, ST_DEPLOY_PREVIEW, 5, p);
	free(ids);
	if (r == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		if (i == 0) {
			out->items = (long)db_get_ll(r, 0, "items");
			out->chosen = (long)db_get_ll(r, 0, "chosen");
			out->groups = (long)db_get_ll(r, 0, "groups");
			out->properties = out->items - out->groups;
			for (int t = 0; t < 4; t++)
				out->per_type[t] = (long)db_get_ll(r, 0, cols[t]);
		}
		if (out->nsample < 10)
			db_copy(out->sample[out->nsample++], sizeof(out->sample[0]),
				db_get(r, i, "label"));
	}
	PQclear(r);
	return 1;
}

int db_deploy_targets(struct db *db, long long org, struct deploy_target *out, int max, int *n)
{
	char o[24], m[24];
	PGresult *r;

	*n = 0;
	LL(o, org);
	LL(m, max);
	const char *p[] = {o, m};
	r = db_run(db, ST_DEPLOY_TARGETS, 2, p);
	if (r == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r) && i < max; i++) {
		struct deploy_target *t = &out[(*n)++];

		memset(t, 0, sizeof(*t));
		t->id = db_get_ll(r, i, "id");
		t->hub_id = db_get_ll(r, i, "hub_id");
		db_copy(t->name, sizeof(t->name), db_get(r, i, "name"));
		db_copy(t->status, sizeof(t->status), db_get(r, i, "status"));
		db_copy(t->reason_code, sizeof(t->reason_code), db_get(r, i, "status_reason_code"));
		db_copy(t->conn_type, sizeof(t->conn_type), db_get(r, i, "connection_type"));
	}
	PQclear(r);
	return 1;
}

int db_deploy_targets_max(struct db *db, long long org, int *cap)
{
	char o[24];
	long long v;

	LL(o, org);
	const char *p[] = {o};
	if (db_one_ll(db, ST_DEPLOY_TARGETS_MAX, 1, p, "deploy_targets_max", &v) != 1)
		return -1;
	*cap = (int)v;
	return 1;
}

int db_deploy_set_targets_max(struct db *db, long long org, int cap)
{
	char o[24], c[24];
	long n;

	LL(o, org);
	LL(c, cap);
	const char *p[] = {o, c};
	n = db_cmd(db, ST_DEPLOY_SET_TARGETS_MAX, 2, p);
	return n < 0 ? -1 : n > 0;
}

int db_deploy_create(struct db *db, long long org, long long portal, long long hub,
		     long long user, const struct deploy_selection *sel,
		     const char *selection_words, long long *run, long *items)
{
	char o[24], pt[24], h[24], u[24] = "", rid[24], sh[24], *ids = malloc(IDS_CAP);
	PGresult *r = NULL;
	int result = -1;

	*run = 0;
	*items = 0;
	if (ids == NULL || ids_literal(sel, ids, IDS_CAP) < 0)
		goto out;
	LL(o, org);
	LL(pt, portal);
	LL(h, hub);
	if (user > 0)
		LL(u, user);
	{
		const char *p[] = {o, pt, h, u, selection_words ? selection_words : ""};

		r = db_run(db, ST_DEPLOY_CREATE, 5, p);
		if (r == NULL || PQntuples(r) != 1)
			goto out;
		*run = db_get_ll(r, 0, "run_id");
		PQclear(r);
		r = NULL;
	}
	LL(rid, *run);
	LL(sh, sel->source_hub);
	{
		const char *p[] = {o,		 sel->object_type ? sel->object_type : "",
				   sh,		 sel->q ? sel->q : "",
				   ids,		 rid};

		if (db_cmd(db, ST_DEPLOY_ITEMS_CREATE, 6, p) < 0)
			goto out;
	}
	{
		const char *p[] = {rid, pt};

		r = db_run(db, ST_DEPLOY_SEAL, 2, p);
		if (r == NULL || PQntuples(r) != 1)
			goto out;
		*items = (long)db_get_ll(r, 0, "n");
	}
	if (*items == 0) {
		result = 0;
		goto out;
	}
	if (db_cmd(db, ST_JOBS_NOTIFY, 0, NULL) < 0)
		goto out;
	result = 1;
out:
	PQclear(r);
	free(ids);
	return result;
}

int db_deploy_get(struct db *db, long long org, long long run, struct deploy_row *out)
{
	char o[24], i[24];
	PGresult *r;
	int found;

	memset(out, 0, sizeof(*out));
	LL(o, org);
	LL(i, run);
	const char *p[] = {o, i};
	r = db_run(db, ST_DEPLOY_GET, 2, p);
	if (r == NULL)
		return -1;
	found = PQntuples(r) == 1;
	if (found) {
		out->run_id = db_get_ll(r, 0, "run_id");
		out->target_hub_id = db_get_ll(r, 0, "target_hub_id");
		db_copy(out->selection, sizeof(out->selection), db_get(r, 0, "selection"));
		out->items_total = (long)db_get_ll(r, 0, "items_total");
		out->pending = (long)db_get_ll(r, 0, "pending");
		out->created = (long)db_get_ll(r, 0, "created");
		out->updated = (long)db_get_ll(r, 0, "updated");
		out->unchanged = (long)db_get_ll(r, 0, "unchanged");
		out->failed = (long)db_get_ll(r, 0, "failed");
	}
	PQclear(r);
	return found;
}

int db_deploy_items(struct db *db, long long org, long long run, const char *result, int after,
		    struct deploy_item_row *out, int max, int *n)
{
	char o[24], i[24], a[24];
	PGresult *r;

	*n = 0;
	LL(o, org);
	LL(i, run);
	LL(a, after);
	const char *p[] = {o, i, result ? result : "", a};
	r = db_run(db, ST_DEPLOY_ITEMS, 4, p);
	if (r == NULL)
		return -1;
	for (int k = 0; k < PQntuples(r) && k < max; k++) {
		struct deploy_item_row *x = &out[(*n)++];

		memset(x, 0, sizeof(*x));
		x->seq = (int)db_get_ll(r, k, "seq");
		x->asset_id = db_get_ll(r, k, "asset_id");
		x->asset_version = (int)db_get_ll(r, k, "asset_version");
		db_copy(x->object_type, sizeof(x->object_type), db_get(r, k, "object_type"));
		db_copy(x->kind, sizeof(x->kind), db_get(r, k, "kind"));
		db_copy(x->name, sizeof(x->name), db_get(r, k, "name"));
		db_copy(x->label, sizeof(x->label), db_get(r, k, "label"));
		db_copy(x->result, sizeof(x->result), db_get(r, k, "result"));
		db_copy(x->changed, sizeof(x->changed), db_get(r, k, "changed"));
		db_copy(x->message, sizeof(x->message), db_get(r, k, "message"));
		x->hs_status = (int)db_get_ll(r, k, "hs_status");
		db_copy(x->hs_category, sizeof(x->hs_category), db_get(r, k, "hs_category"));
		db_copy(x->hs_message, sizeof(x->hs_message), db_get(r, k, "hs_message"));
		db_copy(x->hs_correlation_id, sizeof(x->hs_correlation_id),
			db_get(r, k, "hs_correlation_id"));
		x->done_at = db_get_ll(r, k, "done_at");
	}
	PQclear(r);
	return 1;
}

int db_deploy_step_info(struct db *db, long long run, int step, char *object_type, size_t n,
			int *stop_step)
{
	char i[24], s[24];
	PGresult *r;
	int found;

	LL(i, run);
	LL(s, step);
	const char *p[] = {i, s};
	r = db_run(db, ST_DEPLOY_STEP_INFO, 2, p);
	if (r == NULL)
		return -1;
	found = PQntuples(r) == 1;
	if (found) {
		db_copy(object_type, n, db_get(r, 0, "object_type"));
		*stop_step = (int)db_get_ll(r, 0, "stop_step");
	}
	PQclear(r);
	return found;
}

static void work_item_take(const PGresult *r, int k, void *element)
{
	struct deploy_work_item *w = element;

	w->seq = (int)db_get_ll(r, k, "seq");
	db_copy(w->kind, sizeof(w->kind), db_get(r, k, "kind"));
	db_copy(w->name, sizeof(w->name), db_get(r, k, "name"));
	db_copy(w->label, sizeof(w->label), db_get(r, k, "label"));
	db_copy(w->sent, sizeof(w->sent), db_get(r, k, "sent"));
	w->definition = strdup(db_get(r, k, "definition"));
}

int db_deploy_work_items(struct db *db, long long run, int step, struct deploy_work_item **out,
			 int *n)
{
	char i[24], s[24];

	LL(i, run);
	LL(s, step);
	const char *p[] = {i, s};
	*out = db_rows(db, ST_DEPLOY_WORK_ITEMS, 2, p, sizeof(**out), work_item_take, n);
	for (int k = 0; *out != NULL && k < *n; k++)
		if ((*out)[k].definition == NULL) { /* out of memory */
			db_deploy_work_items_free(*out, *n);
			*out = NULL;
			*n = 0;
		}
	return *out != NULL ? 1 : -1;
}

void db_deploy_work_items_free(struct deploy_work_item *v, int n)
{
	for (int i = 0; v != NULL && i < n; i++)
		free(v[i].definition);
	free(v);
}

int db_deploy_mark_sent(struct db *db, long long run, const int *seqs, int n, const char *sent)
{
	char i[24];
	size_t cap = (size_t)(n > 0 ? n : 1) * 12 + 4, len = 0;
	char *arr = malloc(cap);
	long rc;

	if (arr == NULL)
		return -1;
	arr[len++] = '{';
	for (int k = 0; k < n; k++)
		len += (size_t)snprintf(arr + len, cap - len, "%s%d", k ? "," : "", seqs[k]);
	arr[len++] = '}';
	arr[len] = '\0';
	LL(i, run);
	const char *p[] = {i, arr, sent};
	rc = db_cmd(db, ST_DEPLOY_MARK_SENT, 3, p);
	free(arr);
	return rc < 0 ? -1 : 1;
}

int db_deploy_record(struct db *db, long long run, const struct deploy_result *res, int n)
{
	enum { NP = 9 };
	const char **p = calloc((size_t)(n > 0 ? n : 1) * NP, sizeof(*p));
	char (*num)[3][24] = malloc((size_t)(n > 0 ? n : 1) * sizeof(*num));
	PGresult **out = malloc((size_t)(n > 0 ? n : 1) * sizeof(*out));
	long counts[5] = {0, 0, 0, 0, 0}; /* seen, created, updated, unchanged, failed */
	int result = -1, own_tx;

	if (n == 0) {
		result = 1;
		goto done;
	}
	if (p == NULL || num == NULL || out == NULL)
		goto done;
	for (int k = 0; k < n; k++) {
		const struct deploy_result *x = &res[k];
		const char **q = p + (size_t)k * NP;

		LL(num[k][0], run);
		LL(num[k][1], x->seq);
		LL(num[k][2], x->hs_status);
		q[0] = num[k][0];
		q[1] = num[k][1];
		q[2] = x->result;
		q[3] = x->changed ? x->changed : "";
		q[4] = x->message ? x->message : "";
		q[5] = num[k][2];
		q[6] = x->hs_category ? x->hs_category : "";
		q[7] = x->hs_message ? x->hs_message : "";
		q[8] = x->hs_correlation_id ? x->hs_correlation_id : "";
	}
	own_tx = !db->in_tx;
	if (own_tx && db_begin(db) < 0)
		goto done;
	if (db_run_many(db, ST_DEPLOY_RECORD, n, NP, p, out) < 0)
		goto rollback;
	for (int k = 0; k < n; k++) {
		if (PQntuples(out[k]) == 1) {
			const char *r = PQgetvalue(out[k], 0, 0);

			counts[0]++;
			counts[1] += strcmp(r, "created") == 0;
			counts[2] += strcmp(r, "updated") == 0;
			counts[3] += strcmp(r, "unchanged") == 0;
			counts[4] += strcmp(r, "failed") == 0;
		}
		PQclear(out[k]);
	}
	{
		char v[6][24];

		LL(v[0], run);
		for (int k = 0; k < 5; k++)
			LL(v[k + 1], counts[k]);
		const char *cp[] = {v[0], v[1], v[2], v[3], v[4], v[5]};
		if (db_cmd(db, ST_DEPLOY_COUNT, 6, cp) < 0)
			goto rollback;
	}
	if (own_tx && db_commit(db) < 0)
		goto rollback;
	result = 1;
	goto done;
rollback:
	if (own_tx)
		db_rollback(db);
done:
	free(p);
	free(num);
	free(out);
	return result;
}

int db_deploy_claim_stop(struct db *db, long long run, int step)
{
	char i[24], s[24];
	long n;

	LL(i, run);
	LL(s, step);
	const char *p[] = {i, s};
	n = db_cmd(db, ST_DEPLOY_CLAIM_STOP, 2, p);
	return n < 0 ? -1 : n > 0;
}

int db_deploy_first_pending(struct db *db, long long run, int step, int *seq)
{
	char i[24], s[24];
	PGresult *r;
	int found;

	LL(i, run);
	LL(s, step);
	const char *p[] = {i, s};
	r = db_run(db, ST_DEPLOY_FIRST_PENDING, 2, p);
	if (r == NULL)
		return -1;
	found = PQntuples(r) == 1;
	if (found)
		*seq = (int)db_get_ll(r, 0, "seq");
	PQclear(r);
	return found;
}
