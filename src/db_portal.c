/*
 * db_portal: portal, token, OAuth state and activity queries.  See
 * db_portal.h.
 */
#include "db_portal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LL(buf, v) snprintf(buf, sizeof(buf), "%lld", (long long)(v))

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src);
}

void db_portal_list_call(struct db_call *call, enum portal_sort sort, const char *status,
			 long long after)
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
	int n = 1;

	memset(call, 0, sizeof(*call));
	call->st = st[sort][status != NULL][after > 0];
	if (after > 0) {
		LL(call->text[0], after);
		call->params[n++] = call->text[0];
	}
	if (status != NULL)
		call->params[n++] = status;
	call->n = n;
	call->binary = 1;
}

int db_portal_list(struct db *db, long long org, enum portal_sort sort, const char *status,
		   long long after, PGresult **res)
{
	struct db_call call;
	char o[24];

	db_portal_list_call(&call, sort, status, after);
	LL(o, org);
	call.params[0] = o;
	*res = db_run_format(db, call.st, call.n, call.params, call.binary);
	return *res == NULL ? -1 : 1;
}

int db_portal_get(struct db *db, long long org, long long id, cJSON **out)
{
	char o[24], i[24];
	PGresult *r;
	cJSON *rows;
	int result;

	*out = NULL;
	LL(o, org);
	LL(i, id);
	const char *p[] = {o, i};
	r = db_run(db, ST_PORTAL_GET, 2, p);
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

int db_portal_lock(struct db *db, long long org, long long id, long long hub_id,
		   struct portal_lock *out)
{
	char o[24], i[24];
	PGresult *r;
	int result;

	memset(out, 0, sizeof(*out));
	LL(o, org);
	if (id) {
		LL(i, id);
		const char *p[] = {i, o};
		r = db_run(db, ST_PORTAL_LOCK, 2, p);
	} else {
		LL(i, hub_id);
		const char *p[] = {o, i};
		r = db_run(db, ST_PORTAL_LOCK_HUB, 2, p);
	}
	if (r == NULL)
		return -1;
	result = PQntuples(r) == 1;
	if (result) {
		out->id = db_get_ll(r, 0, "id");
		out->hub_id = db_get_ll(r, 0, "hub_id");
		copy(out->status, sizeof(out->status), db_get(r, 0, "status"));
		copy(out->conn_type, sizeof(out->conn_type), db_get(r, 0, "connection_type"));
		copy(out->name, sizeof(out->name), db_get(r, 0, "name"));
	}
	PQclear(r);
	return result;
}

int db_portal_insert(struct db *db, long long org, long long hub_id, const char *domain,
		     const char *name, const char *conn_type, long long user_id, long long *id)
{
	char o[24], h[24], u[24];
	PGresult *r;
	int result;

	LL(o, org);
	LL(h, hub_id);
	LL(u, user_id);
	const char *p[] = {o, h, domain, name, conn_type, u};
	r = db_run(db, ST_PORTAL_INSERT, 6, p);
	if (r == NULL)
		return -1;
	result = PQntuples(r) == 1;
	if (result)
		*id = db_get_ll(r, 0, "id");
	PQclear(r);
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
	long n = db_cmd(db, ST_PORTAL_SET_CONNECTED, 9, p);
	return n < 0 ? -1 : n > 0;
}

int db_portal_set_status(struct db *db, long long org, long long id, enum status_reason reason,
			 const char *text)
{
	char o[24], i[24];

	LL(o, org);
	LL(i, id);
	const struct status_reason_info *ri = status_reason_info(reason);
	const char *p[] = {i, o, status_key(ri->status), text, ri->code};
	long n = db_cmd(db, ST_PORTAL_SET_STATUS, 5, p);
	return n < 0 ? -1 : n > 0;
}

int db_portal_remove(struct db *db, long long org, long long id, const char *text)
{
	char o[24], i[24];

	LL(o, org);
	LL(i, id);
	const char *p[] = {i, o, text};
	long n = db_cmd(db, ST_PORTAL_REMOVE, 3, p);
	return n < 0 ? -1 : n > 0;
}

int db_portal_degrade(struct db *db, long long portal, long long grant,
		      enum status_reason reason, const char *text, long long *org)
{
	char p[24], v[24];
	PGresult *r;
	int changed;

	LL(p, portal);
	LL(v, grant);
	const struct status_reason_info *ri = status_reason_info(reason);
	const char *params[] = {p, status_key(ri->status), text, v, ri->code};
	r = db_run(db, ST_PORTAL_DEGRADE, 5, params);
	if (r == NULL)
		return -1;
	changed = PQntuples(r) == 1;
	*org = changed ? db_get_ll(r, 0, "org_id") : 0;
	PQclear(r);
	return changed;
}

int db_portal_scope_gaps(struct db *db, const char *conn_type, const char *required,
			 struct scope_gap **out, size_t *n)
{
	PGresult *r;
	int rows;

	*out = NULL;
	*n = 0;
	const char *p[] = {conn_type, required};
	r = db_run(db, ST_SCOPE_MISSING, 2, p);
	if (r == NULL)
		return -1;
	rows = PQntuples(r);
	if (rows > 0 && (*out = calloc((size_t)rows, sizeof(**out))) == NULL) {
		PQclear(r);
		return -1;
	}
	for (int i = 0; i < rows; i++) {
		(*out)[i].portal = db_get_ll(r, i, "id");
		(*out)[i].grant = db_get_ll(r, i, "grant_seq");
		snprintf((*out)[i].missing, sizeof((*out)[i].missing), "%s",
			 db_get(r, i, "missing"));
	}
	*n = (size_t)rows;
	PQclear(r);
	return rows > 0;
}

int db_activity_add(struct db *db, long long org, long long portal, long long user,
		    const char *kind, const char *message, const char *correlation_id)
{
	char o[24], pt[24] = "", u[24] = "";

	LL(o, org);
	if (portal)
		LL(pt, portal);
	if (user)
		LL(u, user);
	const char *p[] = {o, pt, u, kind, message, correlation_id ? correlation_id : ""};
	return db_cmd(db, ST_ACTIVITY_ADD, 6, p) == 1 ? 1 : -1;
}

int db_activity_list(struct db *db, long long org, long long portal, long long before, cJSON **rows)
{
	char o[24], pt[24], b[24];
	PGresult *r;

	*rows = NULL;
	LL(o, org);
	LL(pt, portal);
	LL(b, before > 0 ? before : 9223372036854775807LL);
	const char *p[] = {pt, o, b};
	r = db_run(db, ST_ACTIVITY_LIST, 3, p);
	if (r == NULL)
		return -1;
	*rows = db_rows_json(r);
	PQclear(r);
	return *rows ? 1 : -1;
}

int db_state_create(struct db *db, const char *state_hash, const char *session_hash, long long user,
		    long long org, long long portal, const char *conn_type, int ttl_seconds)
{
	char u[24], o[24], pt[24] = "", ttl[16];

	LL(u, user);
	LL(o, org);
	if (portal)
		LL(pt, portal);
	snprintf(ttl, sizeof(ttl), "%d", ttl_seconds);
	const char *p[] = {state_hash, session_hash, u, o, pt, conn_type, ttl};
	return db_cmd(db, ST_STATE_CREATE, 7, p) == 1 ? 1 : -1;
}

int db_state_consume(struct db *db, const char *state_hash, struct oauth_state *out)
{
	PGresult *r;
	int result;

	memset(out, 0, sizeof(*out));
	const char *p[] = {state_hash};
	r = db_run(db, ST_STATE_CONSUME, 1, p);
	if (r == NULL)
		return -1;
	if (PQntuples(r) == 1) {
		copy(out->session_hash, sizeof(out->session_hash), db_get(r, 0, "session_hash"));
		out->user_id = db_get_ll(r, 0, "user_id");
		out->org_id = db_get_ll(r, 0, "org_id");
		out->portal_id = db_get_ll(r, 0, "portal_id");
		copy(out->conn_type, sizeof(out->conn_type), db_get(r, 0, "connection_type"));
		out->expired = strcmp(db_get(r, 0, "expired"), "t") == 0;
		PQclear(r);
		return 1;
	}
	PQclear(r);
	r = db_run(db, ST_STATE_LOOKUP, 1, p);
	if (r == NULL)
		return -1;
	result = PQntuples(r) == 1 ? 2 : 0;
	PQclear(r);
	return result;
}

/* bytea in text form: "\x" and hex.  Caller frees. */
static char *hex_bytea(const unsigned char *p, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	char *s = malloc(2 * n + 3);

	if (s == NULL)
		return NULL;
	s[0] = '\\';
	s[1] = 'x';
	for (size_t i = 0; i < n; i++) {
		s[2 + 2 * i] = hx[p[i] >> 4];
		s[3 + 2 * i] = hx[p[i] & 15];
	}
	s[2 + 2 * n] = '\0';
	return s;
}

int db_tokens_put(struct db *db, long long portal, int key_id, const unsigned char *access,
		  size_t alen, const unsigned char *refresh, size_t rlen, long expires_in)
{
	char pt[24], k[16], e[24];
	char *a = hex_bytea(access, alen), *rf = hex_bytea(refresh, rlen);
	long n = -1;

	LL(pt, portal);
	snprintf(k, sizeof(k), "%d", key_id);
	snprintf(e, sizeof(e), "%ld", expires_in);
	if (a && rf) {
		const char *p[] = {pt, k, a, rf, e};
		n = db_cmd(db, ST_TOKENS_UPSERT, 5, p);
	}
	free(a);
	free(rf);
	return n == 1 ? 1 : -1;
}

void db_token_row_free(struct token_row *t)
{
	if (t->access)
		PQfreemem(t->access);
	if (t->refresh)
		PQfreemem(t->refresh);
	memset(t, 0, sizeof(*t));
}

int db_tokens_get(struct db *db, long long portal, struct token_row *out)
{
	char pt[24];
	PGresult *r;
	int result = 0;

	memset(out, 0, sizeof(*out));
	LL(pt, portal);
	const char *p[] = {pt};
	r = db_run(db, ST_TOKENS_GET, 1, p);
	if (r == NULL)
		return -1;
	if (PQntuples(r) == 1) {
		out->key_id = (int)db_get_ll(r, 0, "key_id");
		out->expires = db_get_ll(r, 0, "expires");
		out->version = db_get_ll(r, 0, "version");
		out->grant = db_get_ll(r, 0, "grant_seq");
		out->access = PQunescapeBytea(
		    (const unsigned char *)db_get(r, 0, "access_token_enc"), &out->access_len);
		out->refresh = PQunescapeBytea(
		    (const unsigned char *)db_get(r, 0, "refresh_token_enc"), &out->refresh_len);
		result = out->access && out->refresh ? 1 : -1;
		if (result < 0)
			db_token_row_free(out);
	}
	PQclear(r);
	return result;
}

int db_tokens_cas(struct db *db, long long portal, long long version, int key_id,
		  const unsigned char *access, size_t alen, const unsigned char *refresh,
		  size_t rlen, long expires_in)
{
	char pt[24], v[24], k[16], e[24];
	char *a = hex_bytea(access, alen), *rf = hex_bytea(refresh, rlen);
	long n = -1;

	LL(pt, portal);
	LL(v, version);
	snprintf(k, sizeof(k), "%d", key_id);
	snprintf(e, sizeof(e), "%ld", expires_in);
	if (a && rf) {
		const char *p[] = {pt, v, k, a, rf, e};
		n = db_cmd(db, ST_TOKENS_CAS, 6, p);
	}
	free(a);
	free(rf);
	return n < 0 ? -1 : n > 0;
}

int db_tokens_delete(struct db *db, long long portal)
{
	char pt[24];

	LL(pt, portal);
	const char *p[] = {pt};
	return db_cmd(db, ST_TOKENS_DELETE, 1, p) < 0 ? -1 : 1;
}

int db_jobs_clear_portal(struct db *db, long long portal)
{
	char pt[24];

	LL(pt, portal);
	const char *p[] = {pt};
	return db_cmd(db, ST_JOBS_CLEAR_PORTAL, 1, p) < 0 ? -1 : 1;
}
