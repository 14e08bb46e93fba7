/*
 * db_portal: portals (Client Accounts rows), their status and scopes.  See
 * db_portal.h.
 */
#include "db_portal.h"
#include "db_int.h"
#include "log.h"
#include "pcache.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


void db_portal_list_call(struct db_call *call, const struct portal_query *q)
{
	/* [sort][status filter][later page]; with one status, the status
	 * order is the name order */
	static const enum stmt st[3][2][2] = {
	    [SORT_NAME] = {{ST_PORTAL_FIRST_NAME, ST_PORTAL_LIST_NAME},
			   {ST_PORTAL_FIRST_NAME_S, ST_PORTAL_LIST_NAME_S}},
	    [SORT_STATUS] = {{ST_PORTAL_FIRST_STATUS, ST_PORTAL_LIST_STATUS},
			     {ST_PORTAL_FIRST_NAME_S, ST_PORTAL_LIST_NAME_S}},
	    [SORT_LAST] = {{ST_PORTAL_FIRST_LAST, ST_PORTAL_LIST_LAST},
			   {ST_PORTAL_FIRST_LAST_S, ST_PORTAL_LIST_LAST_S}},
	};
	static const enum stmt back[3][2][2] = {
	    [SORT_NAME] = {{ST_PORTAL_END_NAME, ST_PORTAL_BEFORE_NAME},
			   {ST_PORTAL_END_NAME_S, ST_PORTAL_BEFORE_NAME_S}},
	    [SORT_STATUS] = {{ST_PORTAL_END_STATUS, ST_PORTAL_BEFORE_STATUS},
			     {ST_PORTAL_END_NAME_S, ST_PORTAL_BEFORE_NAME_S}},
	    [SORT_LAST] = {{ST_PORTAL_END_LAST, ST_PORTAL_BEFORE_LAST},
			   {ST_PORTAL_END_LAST_S, ST_PORTAL_BEFORE_LAST_S}},
	};
	enum portal_sort sort = (unsigned)q->sort <= SORT_LAST ? q->sort : SORT_NAME;
	int n = 1;

	memset(call, 0, sizeof(*call));
	if ((q->q != NULL && q->q[0]) || (q->label != NULL && q->label[0])) {
		/* a search or a label: its own statement, in name order */
		call->st = q->backward ? (q->after > 0 ? ST_PORTAL_FIND_BEFORE : ST_PORTAL_FIND_END)
			   : q->after > 0 ? ST_PORTAL_FIND_LIST
					  : ST_PORTAL_FIND_FIRST;
		if (q->after > 0) {
			LL(call->text[0], q->after);
			call->params[n++] = call->text[0];
		}
		call->params[n++] = q->status ? q->status : "";
		call->params[n++] = q->label ? q->label : "";
		call->params[n++] = q->q ? q->q : "";
		call->params[n++] = q->viewer ? q->viewer : "";
		call->n = n;
		call->binary = 1;
		return;
	}
	call->st = (q->backward ? back : st)[sort][q->status != NULL][q->after > 0];
	if (q->after > 0) {
		LL(call->text[0], q->after);
		call->params[n++] = call->text[0];
	}
	if (q->status != NULL)
		call->params[n++] = q->status;
	call->params[n++] = q->viewer ? q->viewer : "";
	call->n = n;
	call->binary = 1;
}

/* The list's columns (db_stmt.c's LIST_COLS), in binary format. */
enum {
	COL_ID,		    /* int8 */
	COL_HUB_ID,	    /* int8 */
	COL_NAME,	    /* text */
	COL_HUB_DOMAIN,	    /* text */
	COL_CONN_TYPE,	    /* text */
	COL_STATUS,	    /* text */
	COL_REASON,	    /* text */
	COL_LAST_CONNECTED, /* timestamptz */
	COL_CONNECTED_BY,   /* text */
	COL_HS_USER_EMAIL,  /* text */
	COL_LAST_REFRESHED, /* timestamptz, may be NULL */
	COL_NEXT_CHECK,	    /* timestamptz, may be NULL */
	COL_LAST_DEPLOY,    /* int8, 0 none */
	COL_LAST_DEPLOY_STATE, /* text */
	COL_REASON_CODE,       /* text */
	COL_LABELS,	       /* text */
	COL_LC_OFF,	       /* int4 */
	COL_LR_OFF,	       /* int4 */
	COL_NC_OFF,	       /* int4 */
	COL_PAGE_V,	       /* int8: the organisation's change counter */
	COL_PAGE_TZ,	       /* text: the zone of the offsets */
	COL_FOUND,	       /* int8: a search's count, -1 not counted */
	COL__COUNT
};

static const unsigned list_types[COL__COUNT] = {
    [COL_ID] = 20,	       [COL_HUB_ID] = 20,	   [COL_NAME] = 25,
    [COL_HUB_DOMAIN] = 25,     [COL_CONN_TYPE] = 25,	   [COL_STATUS] = 25,
    [COL_REASON] = 25,	       [COL_LAST_CONNECTED] = 1184, [COL_CONNECTED_BY] = 25,
    [COL_HS_USER_EMAIL] = 25, [COL_LAST_REFRESHED] = 1184, [COL_NEXT_CHECK] = 1184,
    [COL_LAST_DEPLOY] = 20,    [COL_LAST_DEPLOY_STATE] = 25, [COL_REASON_CODE] = 25, [COL_LABELS] = 25,
    [COL_LC_OFF] = 23,	       [COL_LR_OFF] = 23,	   [COL_NC_OFF] = 23,
    [COL_PAGE_V] = 20,	       [COL_PAGE_TZ] = 25,	   [COL_FOUND] = 20,
};

int db_portal_page_take(struct portal_page *out, PGresult *r)
{
	int n = PQntuples(r);

	memset(out, 0, sizeof(*out));
	out->found = -1;
	if (!db_bin_types_ok(r, list_types, COL__COUNT) || n > PORTAL_FETCH) {
		log_event(LOG_ERROR, NULL, "portal_list_columns", NULL);
		PQclear(r);
		return -1;
	}
	out->res = r;
	out->n = n;
	for (int i = 0; i < n; i++) {
		struct portal_list_row *w = &out->row[i];

		w->id = db_bin_int8(r, i, COL_ID);
		w->hub_id = db_bin_int8(r, i, COL_HUB_ID);
		w->name = PQgetvalue(r, i, COL_NAME);
		w->hub_domain = PQgetvalue(r, i, COL_HUB_DOMAIN);
		w->conn_type = PQgetvalue(r, i, COL_CONN_TYPE);
		w->status = PQgetvalue(r, i, COL_STATUS);
		w->reason = PQgetvalue(r, i, COL_REASON);
		w->last_connected = db_bin_time(r, i, COL_LAST_CONNECTED);
		w->connected_by = PQgetvalue(r, i, COL_CONNECTED_BY);
		w->hs_user_email = PQgetvalue(r, i, COL_HS_USER_EMAIL);
		w->last_refreshed = db_bin_time(r, i, COL_LAST_REFRESHED);
		w->next_check = db_bin_time(r, i, COL_NEXT_CHECK);
		w->last_deploy = db_bin_int8(r, i, COL_LAST_DEPLOY);
		w->last_deploy_state = PQgetvalue(r, i, COL_LAST_DEPLOY_STATE);
		w->reason_code = PQgetvalue(r, i, COL_REASON_CODE);
		w->labels = PQgetvalue(r, i, COL_LABELS);
		w->lc_off = db_bin_int4(r, i, COL_LC_OFF);
		w->lr_off = db_bin_int4(r, i, COL_LR_OFF);
		w->nc_off = db_bin_int4(r, i, COL_NC_OFF);
	}
	if (n > 0) {
		out->version = db_bin_int8(r, 0, COL_PAGE_V);
		out->found = db_bin_int8(r, 0, COL_FOUND);
		snprintf(out->tz, sizeof(out->tz), "%s", PQgetvalue(r, 0, COL_PAGE_TZ));
	}
	return 1;
}

void db_portal_page_clear(struct portal_page *p)
{
	p->n = 0;
	p->res = NULL;
	p->blob = NULL;
	p->blob_len = 0;
	p->loan = NULL;
	p->packed = 0;
	p->labels_read = 0;
}

int db_portal_page_held(const struct portal_page *p)
{
	return p->res != NULL || p->blob != NULL;
}

void db_portal_page_free(struct portal_page *p)
{
	PQclear(p->res);
	pcache_return(p->loan);
	db_portal_page_clear(p);
}

/* ---- the cached form of a page (issue 19) ----
 * The number of rows (a size_t), the search's count (a long long), the
 * rows as they are, each string an offset from the start of the blob, then
 * the strings: a copy of the blob is a page. */
#define PACK_HEAD (sizeof(size_t) + sizeof(long long))
static const size_t str_fields[] = {
    offsetof(struct portal_list_row, name),	    offsetof(struct portal_list_row, hub_domain),
    offsetof(struct portal_list_row, conn_type),    offsetof(struct portal_list_row, status),
    offsetof(struct portal_list_row, reason),	    offsetof(struct portal_list_row, connected_by),
    offsetof(struct portal_list_row, hs_user_email),
    offsetof(struct portal_list_row, last_deploy_state),
    offsetof(struct portal_list_row, reason_code), offsetof(struct portal_list_row, labels),
};
#define NSTR (sizeof(str_fields) / sizeof(str_fields[0]))

static const char **str_at(struct portal_list_row *w, size_t i)
{
	return (const char **)(void *)((char *)w + str_fields[i]);
}

int db_portal_page_pack(const struct portal_page *p, void **out, size_t *len)
{
	size_t head = PACK_HEAD + sizeof(struct portal_list_row) * (size_t)p->n, size = head, at;
	size_t n_rows = (size_t)p->n;
	struct portal_list_row *rows;
	char *blob;

	*out = NULL;
	*len = 0;
	for (int i = 0; i < p->n; i++)
		for (size_t k = 0; k < NSTR; k++)
			size += strlen(*str_at((struct portal_list_row *)&p->row[i], k)) + 1;
	blob = malloc(size ? size : 1);
	if (blob == NULL)
		return -1;
	memcpy(blob, &n_rows, sizeof(n_rows));
	memcpy(blob + sizeof(size_t), &p->found, sizeof(p->found));
	rows = (struct portal_list_row *)(void *)(blob + PACK_HEAD);
	memcpy(rows, p->row, head - PACK_HEAD);
	at = head;
	for (int i = 0; i < p->n; i++)
		for (size_t k = 0; k < NSTR; k++) {
			const char **s = str_at(&rows[i], k);
			size_t n = strlen(*s) + 1;

			memcpy(blob + at, *s, n);
			*s = (const char *)(uintptr_t)at;
			at += n;
		}
	*out = blob;
	*len = size;
	return 1;
}

/* Row i of a packed blob (checked to be there), its strings offsets. */
static void packed_row(const char *blob, size_t i, struct portal_list_row *w)
{
	memcpy(w, blob + PACK_HEAD + i * sizeof(*w), sizeof(*w));
}

int db_portal_page_lend(struct portal_page *p, const void *blob, size_t len,
			const struct pcache_loan *loan)
{
	const char *b = blob;
	size_t n = 0;

	db_portal_page_clear(p);
	if (len >= sizeof(n))
		memcpy(&n, b, sizeof(n));
	/* every string ends before the blob does: its last byte is a NUL */
	if (len < PACK_HEAD || n > PORTAL_FETCH || len < PACK_HEAD + n * sizeof(p->row[0]) ||
	    (n > 0 && b[len - 1] != '\0'))
		goto refuse;
	for (size_t i = 0; i < n; i++) {
		struct portal_list_row w;

		packed_row(b, i, &w);
		for (size_t k = 0; k < NSTR; k++)
			if ((uintptr_t)*str_at(&w, k) >= len)
				goto refuse;
	}
	memcpy(&p->found, b + sizeof(n), sizeof(p->found));
	p->n = (int)n;
	p->blob = b;
	p->blob_len = len;
	p->loan = loan;
	p->packed = 1;
	return 1;
refuse:
	pcache_return(loan);
	return -1;
}

long long db_portal_page_id(const struct portal_page *p, int i)
{
	long long id;

	if (!p->packed)
		return p->row[i].id;
	memcpy(&id,
	       p->blob + PACK_HEAD + (size_t)i * sizeof(p->row[0]) +
		   offsetof(struct portal_list_row, id),
	       sizeof(id));
	return id;
}

void db_portal_page_rows(struct portal_page *p)
{
	if (!p->packed)
		return;
	for (int i = 0; i < p->n; i++) {
		struct portal_list_row *w = &p->row[i];

		packed_row(p->blob, (size_t)i, w);
		for (size_t k = 0; k < NSTR; k++) /* checked by db_portal_page_lend */
			*str_at(w, k) = p->blob + (uintptr_t)*str_at(w, k);
	}
	p->packed = 0;
}

int db_portal_list(struct db *db, long long org, const struct portal_query *q,
		   struct portal_page *out)
{
	struct db_call call;
	PGresult *r;
	char o[24];

	memset(out, 0, sizeof(*out));
	db_portal_list_call(&call, q);
	LL(o, org);
	call.params[0] = o;
	r = db_run_format(db, call.st, call.n, call.params, call.binary);
	if (r == NULL)
		return -1;
	return db_portal_page_take(out, r);
}

int db_portal_get(struct db *db, long long org, long long id, const char *tz, cJSON **out)
{
	char o[24], i[24];
	PGresult *r;
	cJSON *rows;
	int result;

	*out = NULL;
	LL(o, org);
	LL(i, id);
	const char *p[] = {o, i, db_tz(tz)};
	r = db_run(db, ST_PORTAL_GET, 3, p);
	if (r == NULL)
		return -1;
	result = PQntuples(r) == 1;
	if (result) {
		rows = db_rows_json(r);
		if (rows == NULL) {
			result = -1;
		} else {
			*out = cJSON_DetachItemFromArray(rows, 0);
			cJSON_Delete(rows);
		}
	}
	PQclear(r);
	return result;
}

static void ref_take(const PGresult *r, int i, void *element)
{
	struct portal_ref *x = element;

	x->id = db_get_ll(r, i, "id");
	x->hub_id = db_get_ll(r, i, "hub_id");
	db_copy(x->status, sizeof(x->status), db_get(r, i, "status"));
	db_copy(x->conn_type, sizeof(x->conn_type), db_get(r, i, "connection_type"));
	db_copy(x->name, sizeof(x->name), db_get(r, i, "name"));
}

static int portal_ref(struct db *db, enum stmt by_id, enum stmt by_hub, long long org,
		      long long id, long long hub_id, struct portal_ref *out)
{
	char o[24], i[24];

	memset(out, 0, sizeof(*out));
	LL(o, org);
	LL(i, id ? id : hub_id);
	const char *by_id_p[] = {i, o};
	const char *by_hub_p[] = {o, i};
	return id ? db_row(db, by_id, 2, by_id_p, ref_take, out)
		  : db_row(db, by_hub, 2, by_hub_p, ref_take, out);
}

int db_portal_find(struct db *db, long long org, long long id, long long hub_id,
		   struct portal_ref *out)
{
	return portal_ref(db, ST_PORTAL_FIND, ST_PORTAL_FIND_HUB, org, id, hub_id, out);
}

int db_portal_lock(struct db *db, long long org, long long id, long long hub_id,
		   struct portal_ref *out)
{
	return portal_ref(db, ST_PORTAL_LOCK, ST_PORTAL_LOCK_HUB, org, id, hub_id, out);
}

int db_portal_insert(struct db *db, long long org, long long hub_id, const char *domain,
		     const char *name, const char *conn_type, long long user_id, long long *id)
{
	char o[24], h[24], u[24];
	long long got;
	int result;

	LL(o, org);
	LL(h, hub_id);
	LL(u, user_id);
	const char *p[] = {o, h, domain, name, conn_type, u};
	result = db_one_ll(db, ST_PORTAL_INSERT, 6, p, "id", &got);
	if (result == 1)
		*id = got;
	return result;
}

int db_portal_set_connected(struct db *db, long long org, long long id, const char *scopes,
			    long long hs_user_id, const char *hs_user_email, long long user_id,
			    const char *domain, long health_in, long check_in)
{
	char o[24], i[24], hu[24], u[24], h[24], ck[24];

	LL(o, org);
	LL(i, id);
	LL(hu, hs_user_id);
	LL(u, user_id);
	LL(h, health_in);
	LL(ck, check_in);
	const char *p[] = {i, o, scopes, hu, hs_user_email, u, domain ? domain : "", h, ck};
	return db_changed(db, ST_PORTAL_SET_CONNECTED, 9, p);
}

int db_portal_set_status(struct db *db, long long org, long long id, enum status_reason reason,
			 const char *text)
{
	char o[24], i[24];

	LL(o, org);
	LL(i, id);
	const struct status_reason_info *ri = status_reason_info(reason);
	const char *p[] = {i, o, status_key(ri->status), text, ri->code};
	return db_changed(db, ST_PORTAL_SET_STATUS, 5, p);
}

int db_portal_remove(struct db *db, long long org, long long id, const char *text)
{
	char o[24], i[24];

	LL(o, org);
	LL(i, id);
	const char *p[] = {i, o, text};
	return db_changed(db, ST_PORTAL_REMOVE, 3, p);
}

int db_portal_degrade(struct db *db, long long portal, long long grant,
		      enum status_reason reason, const char *text, long long *org)
{
	char p[24], v[24];

	LL(p, portal);
	LL(v, grant);
	const struct status_reason_info *ri = status_reason_info(reason);
	const char *params[] = {p, status_key(ri->status), text, v, ri->code};
	return db_one_ll(db, ST_PORTAL_DEGRADE, 5, params, "org_id", org);
}

static void gap_take(const PGresult *r, int i, void *element)
{
	struct scope_gap *x = element;

	x->portal = db_get_ll(r, i, "id");
	x->grant = db_get_ll(r, i, "grant_seq");
	db_copy(x->missing, sizeof(x->missing), db_get(r, i, "missing"));
}

int db_portal_scope_gaps(struct db *db, const char *conn_type, const char *required,
			 struct scope_gap **out, size_t *n)
{
	int rows;

	const char *p[] = {conn_type, required};
	*out = db_rows(db, ST_SCOPE_MISSING, 2, p, sizeof(**out), gap_take, &rows);
	*n = (size_t)rows;
	return *out == NULL ? -1 : rows > 0;
}


int db_portal_refreshed(struct db *db, long long portal, long next_check_in)
{
	char p[24], n[24];

	LL(p, portal);
	LL(n, next_check_in);
	const char *params[] = {p, n};
	return db_cmd(db, ST_PORTAL_REFRESHED, 2, params) < 0 ? -1 : 1;
}

int db_portal_health_done(struct db *db, long long portal, long interval, long margin)
{
	char p[24], iv[24], mg[24];

	LL(p, portal);
	LL(iv, interval);
	LL(mg, margin);
	const char *params[] = {p, iv, mg};
	return db_cmd(db, ST_PORTAL_HEALTH_DONE, 3, params) < 0 ? -1 : 1;
}

static void brief_take(const PGresult *r, int i, void *element)
{
	struct portal_brief *b = element;

	b->id = db_get_ll(r, i, "id");
	b->hub_id = db_get_ll(r, i, "hub_id");
	db_copy(b->conn_type, sizeof(b->conn_type), db_get(r, i, "connection_type"));
	db_copy(b->status, sizeof(b->status), db_get(r, i, "status"));
	db_copy(b->name, sizeof(b->name), db_get(r, i, "name"));
	db_copy(b->reason, sizeof(b->reason), db_get(r, i, "status_reason"));
}

int db_portal_admin_list(struct db *db, long long org, struct portal_brief **out, size_t *n)
{
	char o[24];
	int rows;

	LL(o, org);
	const char *p[] = {o};
	*out = db_rows(db, ST_PORTAL_ADMIN_LIST, 1, p, sizeof(**out), brief_take, &rows);
	*n = (size_t)rows;
	return *out != NULL ? 1 : -1;
}

static void attention_take(const PGresult *r, int i, void *element)
{
	struct attention_row *x = element;

	x->id = db_get_ll(r, i, "id");
	x->hub_id = db_get_ll(r, i, "hub_id");
	db_copy(x->name, sizeof(x->name), db_get(r, i, "name"));
	db_copy(x->status, sizeof(x->status), db_get(r, i, "status"));
	db_copy(x->reason, sizeof(x->reason), db_get(r, i, "status_reason"));
	db_copy(x->reason_code, sizeof(x->reason_code), db_get(r, i, "reason_code"));
	db_copy(x->since, sizeof(x->since), db_get(r, i, "since"));
	x->now = db_get_ll(r, i, "now");
	x->blocked = (long)db_get_ll(r, i, "blocked");
}

int db_portal_attention(struct db *db, long long org, const char *tz, struct attention_row **out,
			int *n)
{
	char o[24];

	LL(o, org);
	const char *p[] = {o, db_tz(tz)};
	*out = db_rows(db, ST_PORTAL_ATTENTION, 2, p, sizeof(**out), attention_take, n);
	return *out != NULL ? 1 : -1;
}

int db_portal_rename(struct db *db, long long org, long long id, const char *name)
{
	char o[24], i[24];

	LL(o, org);
	LL(i, id);
	const char *p[] = {o, i, name};
	return db_changed(db, ST_PORTAL_RENAME, 3, p);
}

int db_portal_find_count(struct db *db, long long org, const struct portal_query *q,
			 long long version, long *n)
{
	const int label = q->label && q->label[0], text = q->q && q->q[0];
	const enum stmt st = !label ? ST_PORTAL_FIND_COUNT
			     : text ? ST_PORTAL_FIND_COUNT_L
				    : ST_PORTAL_LABEL_COUNT;
	char o[24], key[512];
	PGresult *r;
	void *held;
	size_t len;
	int klen;

	LL(o, org);
	const char *p[] = {o, q->status ? q->status : "", q->label ? q->label : "",
			   q->q ? q->q : ""};
	/* the view: organisation, statement and filters, '\0' between */
	klen = snprintf(key, sizeof(key), "%s%c%d%c%s%c%s%c%s", o, 0, (int)st, 0, p[1], 0, p[2], 0,
			p[3]);
	if (klen < 0 || (size_t)klen >= sizeof(key))
		klen = 0;
	if (klen > 0 && version > 0 &&
	    pcache_get_part(key, (size_t)klen, "count", version, &held, &len) == 1) {
		int ok = len == sizeof(*n);

		if (ok)
			memcpy(n, held, sizeof(*n));
		free(held);
		if (ok)
			return 1;
	}
	r = db_run(db, st, st == ST_PORTAL_LABEL_COUNT ? 3 : 4, p); /* it takes no text */
	if (r == NULL || PQntuples(r) != 1) {
		PQclear(r);
		return -1;
	}
	*n = (long)db_get_ll(r, 0, "n");
	if (klen > 0)
		pcache_put(key, (size_t)klen, "count", db_get_ll(r, 0, "page_v"), n, sizeof(*n));
	PQclear(r);
	return 1;
}

static int label_cmd(struct db *db, enum stmt st, long long org, long long portal,
		     const char *label)
{
	char o[24], p[24];

	LL(o, org);
	LL(p, portal);
	const char *params[] = {o, p, label};
	return db_changed(db, st, 3, params);
}

int db_label_add(struct db *db, long long org, long long portal, const char *label)
{
	return label_cmd(db, ST_LABEL_ADD, org, portal, label);
}

int db_label_remove(struct db *db, long long org, long long portal, const char *label)
{
	return label_cmd(db, ST_LABEL_REMOVE, org, portal, label);
}

/* The labels of a labels statement's result r (at most max) into out. */
static void labels_copy(const PGresult *r, char (*out)[41], int max, int *n)
{
	*n = 0;
	for (int i = 0; i < PQntuples(r) && i < max; i++)
		db_copy(out[(*n)++], 41, db_get(r, i, "label"));
}

int db_labels(struct db *db, long long org, long long portal, char (*out)[41], int max, int *n)
{
	char o[24], p[24];
	PGresult *r;

	*n = 0;
	LL(o, org);
	LL(p, portal);
	const char *params[] = {o, p};
	r = portal ? db_run(db, ST_LABELS_OF_PORTAL, 2, params)
		   : db_run(db, ST_LABELS_OF_ORG, 1, params);
	if (r == NULL)
		return -1;
	labels_copy(r, out, max, n);
	PQclear(r);
	return 1;
}

void db_portal_labels_take(struct portal_page *p, PGresult *r)
{
	labels_copy(r, p->labels, PORTAL_LABELS_MAX, &p->n_labels);
	p->labels_read = 1;
	PQclear(r);
}
