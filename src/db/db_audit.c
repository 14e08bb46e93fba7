/*
 * db_audit: audits and their findings.  See db_audit.h.
 */
#include "db_audit.h"
#include "db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int db_audit_create(struct db *db, long long org, long long portal, long long hub,
		    long long user, long long *run)
{
	char o[24], p[24], h[24], u[24] = "";
	PGresult *r;
	int own_tx = !db->in_tx;

	LL(o, org);
	LL(p, portal);
	LL(h, hub);
	if (user > 0)
		LL(u, user);
	const char *params[] = {o, p, h, u};
	if (own_tx && db_begin(db) < 0)
		return -1;
	r = db_run(db, ST_AUDIT_CREATE, 4, params);
	if (r == NULL || PQntuples(r) != 1)
		goto fail;
	*run = db_get_ll(r, 0, "id");
	PQclear(r);
	r = NULL;
	if (db_cmd(db, ST_JOBS_NOTIFY, 0, NULL) < 0 || (own_tx && db_commit(db) < 0))
		goto fail;
	return 1;
fail:
	PQclear(r);
	if (own_tx)
		db_rollback(db);
	return -1;
}

/* One integer of one row (statement st with one id parameter). */
static int one_int(struct db *db, enum stmt st, long long id, const char *col, int *out)
{
	char i[24];
	PGresult *r;
	int found;

	LL(i, id);
	const char *p[] = {i};
	r = db_run(db, st, 1, p);
	if (r == NULL)
		return -1;
	found = PQntuples(r) == 1;
	if (found)
		*out = (int)db_get_ll(r, 0, col);
	PQclear(r);
	return found;
}

int db_audit_limit(struct db *db, long long org, int *limit)
{
	return one_int(db, ST_AUDIT_LIMIT, org, "super_admin_limit", limit) == 1 ? 1 : -1;
}

int db_audit_run_limit(struct db *db, long long run, int *limit)
{
	return one_int(db, ST_AUDIT_RUN_LIMIT, run, "super_admin_limit", limit);
}

/* Statement st with an id and a text parameter.  1, 0 no row changed, -1. */
static int id_text(struct db *db, enum stmt st, long long id, const char *v)
{
	char i[24];
	long n;

	LL(i, id);
	const char *p[] = {i, v};
	n = db_cmd(db, st, 2, p);
	return n < 0 ? -1 : n > 0;
}

int db_audit_set_limit(struct db *db, long long org, int limit)
{
	char l[24];

	LL(l, limit);
	return id_text(db, ST_AUDIT_SET_LIMIT, org, l);
}

int db_audit_mark_read(struct db *db, long long run, const char *ot)
{
	return id_text(db, ST_AUDIT_MARK_READ, run, ot) < 0 ? -1 : 1;
}

int db_audit_mark_users(struct db *db, long long run, int n)
{
	char v[24];

	LL(v, n);
	return id_text(db, ST_AUDIT_MARK_USERS, run, v) < 0 ? -1 : 1;
}

int db_audit_complete(struct db *db, long long run, const struct audit_finding_in *f, int n)
{
	enum { NP = 9 };
	const char **p = calloc((size_t)(n > 0 ? n : 1) * NP, sizeof(*p));
	char (*num)[3][24] = malloc((size_t)(n > 0 ? n : 1) * sizeof(*num));
	PGresult **res = malloc((size_t)(n > 0 ? n : 1) * sizeof(*res));
	char i[24];
	int result = -1;
	long done;

	if (p == NULL || num == NULL || res == NULL)
		goto out;
	LL(i, run);
	for (int k = 0; k < n; k++) {
		const char **q = p + (size_t)k * NP;

		LL(num[k][0], run);
		LL(num[k][1], k + 1);
		LL(num[k][2], f[k].severity_rank);
		q[0] = num[k][0];
		q[1] = num[k][1];
		q[2] = f[k].rule;
		q[3] = f[k].severity;
		q[4] = num[k][2];
		q[5] = f[k].object_type;
		q[6] = f[k].key;
		q[7] = f[k].label;
		q[8] = f[k].detail ? f[k].detail : "";
	}
	/* a job claimed again after its worker died completes once: the
	 * findings of a completed audit stay as they were */
	if (n > 0) {
		const char *gp[] = {i};
		PGresult *r = db_run(db, ST_AUDIT_GET_STATE, 1, gp);

		if (r == NULL)
			goto out;
		if (PQntuples(r) == 1 && strcmp(db_get(r, 0, "completed"), "t") == 0) {
			PQclear(r);
			result = 0;
			goto out;
		}
		PQclear(r);
		if (db_run_many(db, ST_AUDIT_FINDING_ADD, n, NP, p, res) < 0)
			goto out;
		for (int k = 0; k < n; k++)
			PQclear(res[k]);
	}
	{
		const char *cp[] = {i};

		done = db_cmd(db, ST_AUDIT_COMPLETE, 1, cp);
	}
	if (done < 0)
		goto out;
	result = done > 0;
out:
	free(p);
	free(num);
	free(res);
	return result;
}

int db_audit_get(struct db *db, long long org, long long run, struct audit_row *out)
{
	char o[24], i[24];
	PGresult *r;
	int found;

	memset(out, 0, sizeof(*out));
	LL(o, org);
	LL(i, run);
	const char *p[] = {o, i};
	r = db_run(db, ST_AUDIT_GET, 2, p);
	if (r == NULL)
		return -1;
	found = PQntuples(r) == 1;
	if (found) {
		out->run_id = db_get_ll(r, 0, "run_id");
		out->hub_id = db_get_ll(r, 0, "hub_id");
		out->previous_run_id = db_get_ll(r, 0, "previous_run_id");
		out->super_admin_limit = (int)db_get_ll(r, 0, "super_admin_limit");
		out->users_read = (int)db_get_ll(r, 0, "users_read");
		out->completed = strcmp(db_get(r, 0, "completed"), "t") == 0;
		db_copy(out->read_object_types, sizeof(out->read_object_types),
			db_get(r, 0, "read_types"));
		out->n_high = (int)db_get_ll(r, 0, "n_high");
		out->n_medium = (int)db_get_ll(r, 0, "n_medium");
		out->n_low = (int)db_get_ll(r, 0, "n_low");
		out->n_info = (int)db_get_ll(r, 0, "n_info");
		out->n_new = (int)db_get_ll(r, 0, "n_new");
		out->n_resolved = (int)db_get_ll(r, 0, "n_resolved");
	}
	PQclear(r);
	return found;
}

static void finding_take(const PGresult *r, int k, void *element)
{
	struct audit_finding_row *x = element;

	x->seq = (int)db_get_ll(r, k, "seq");
	db_copy(x->rule, sizeof(x->rule), db_get(r, k, "rule"));
	db_copy(x->severity, sizeof(x->severity), db_get(r, k, "severity"));
	db_copy(x->object_type, sizeof(x->object_type), db_get(r, k, "object_type"));
	db_copy(x->key, sizeof(x->key), db_get(r, k, "object_key"));
	db_copy(x->label, sizeof(x->label), db_get(r, k, "object_label"));
	db_copy(x->detail, sizeof(x->detail), db_get(r, k, "detail"));
	x->is_new = strcmp(db_get(r, k, "is_new"), "t") == 0;
}

int db_audit_findings(struct db *db, long long org, long long run, int resolved,
		      struct audit_finding_row **out, int *n)
{
	char o[24], i[24];

	LL(o, org);
	LL(i, run);
	const char *p[] = {o, i};
	*out = db_rows(db, resolved ? ST_AUDIT_RESOLVED : ST_AUDIT_FINDINGS, 2, p, sizeof(**out),
		       finding_take, n);
	return *out != NULL ? 1 : -1;
}
