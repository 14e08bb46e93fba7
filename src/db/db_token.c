/*
 * db_token: the encrypted token rows of portals.  See db_token.h.
 */
#include "db_token.h"
#include "db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int db_tokens_put(struct db *db, long long portal, int key_id, const unsigned char *access,
		  size_t alen, const unsigned char *refresh, size_t rlen, long expires_in)
{
	char pt[24], k[16], e[24];
	char *a = db_hex_bytea(access, alen), *rf = db_hex_bytea(refresh, rlen);
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
	char *a = db_hex_bytea(access, alen), *rf = db_hex_bytea(refresh, rlen);
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


void db_revocation_row_free(struct revocation_row *r)
{
	if (r->token)
		PQfreemem(r->token);
	memset(r, 0, sizeof(*r));
}

int db_revocation_add(struct db *db, long long portal, int key_id, const unsigned char *enc,
		      size_t len, long long *id)
{
	char pt[24], k[16], rid[24];
	char *hex = db_hex_bytea(enc, len);
	PGresult *r = NULL;
	int own_tx = !db->in_tx, result = -1;

	LL(pt, portal);
	snprintf(k, sizeof(k), "%d", key_id);
	if (hex == NULL || (own_tx && db_begin(db) < 0))
		goto out;
	const char *p[] = {pt, k, hex};
	r = db_run(db, ST_REVOCATION_ADD, 3, p);
	if (r == NULL || PQntuples(r) != 1)
		goto fail;
	*id = db_get_ll(r, 0, "id");
	LL(rid, *id);
	const char *jp[] = {pt, rid};
	if (db_cmd(db, ST_REVOCATION_JOB, 2, jp) != 1 || db_cmd(db, ST_JOBS_NOTIFY, 0, NULL) < 0)
		goto fail;
	if (own_tx && db_commit(db) < 0)
		goto fail;
	result = 1;
	goto out;
fail:
	if (own_tx)
		db_rollback(db);
out:
	PQclear(r);
	free(hex);
	return result;
}

static void revocation_take(const PGresult *r, int i, struct revocation_row *o)
{
	memset(o, 0, sizeof(*o));
	o->id = db_get_ll(r, i, "id");
	o->portal_id = db_get_ll(r, i, "portal_id");
	o->key_id = (int)db_get_ll(r, i, "key_id");
	o->done = strcmp(db_get(r, i, "done"), "t") == 0;
	o->token = PQunescapeBytea((const unsigned char *)db_get(r, i, "token_enc"), &o->len);
}

int db_revocation_get(struct db *db, long long id, struct revocation_row *out)
{
	char i[24];
	PGresult *r;
	int result;

	memset(out, 0, sizeof(*out));
	LL(i, id);
	const char *p[] = {i};
	r = db_run(db, ST_REVOCATION_GET, 1, p);
	if (r == NULL)
		return -1;
	result = PQntuples(r) == 1;
	if (result) {
		revocation_take(r, 0, out);
		if (out->token == NULL)
			result = -1;
	}
	PQclear(r);
	return result;
}

int db_revocation_done(struct db *db, long long id)
{
	char i[24];

	LL(i, id);
	const char *p[] = {i};
	return db_cmd(db, ST_REVOCATION_DONE, 1, p) < 0 ? -1 : 1;
}

int db_revocations_pending(struct db *db, long long portal, struct revocation_row **out, int *n)
{
	char pt[24];
	PGresult *r;
	int rows;

	*out = NULL;
	*n = 0;
	LL(pt, portal);
	const char *p[] = {pt};
	r = db_run(db, ST_REVOCATIONS_PENDING, 1, p);
	if (r == NULL)
		return -1;
	rows = PQntuples(r);
	if (rows > 0 && (*out = calloc((size_t)rows, sizeof(**out))) == NULL) {
		PQclear(r);
		return -1;
	}
	for (int i = 0; i < rows; i++)
		revocation_take(r, i, &(*out)[i]);
	*n = rows;
	PQclear(r);
	return 1;
}

/* ---- issue 18 item 3: the intent recorded before each refresh ---- */

int db_tokens_intent_begin(struct db *db, long long portal, long long version, int *unfinished,
			   long *age_s)
{
	char pt[24], v[24];
	PGresult *r;
	int result = 0;

	*unfinished = 0;
	*age_s = 0;
	LL(pt, portal);
	LL(v, version);
	const char *p[] = {pt, v};
	r = db_run(db, ST_TOKENS_INTENT_BEGIN, 2, p);
	if (r == NULL)
		return -1;
	if (PQntuples(r) == 1) {
		*unfinished = strcmp(db_get(r, 0, "unfinished"), "t") == 0;
		*age_s = (long)db_get_ll(r, 0, "age_s");
		result = 1;
	}
	PQclear(r);
	return result;
}

int db_tokens_intent_end(struct db *db, long long portal, long long version)
{
	char pt[24], v[24];

	LL(pt, portal);
	LL(v, version);
	const char *p[] = {pt, v};
	return db_cmd(db, ST_TOKENS_INTENT_END, 2, p) < 0 ? -1 : 1;
}

int db_tokens_intent_open(struct db *db, long long portal, long long version, long *age_s)
{
	char pt[24], v[24];
	long long age;
	int rc;

	LL(pt, portal);
	LL(v, version);
	const char *p[] = {pt, v};
	rc = db_one_ll(db, ST_TOKENS_INTENT_OPEN, 2, p, "age_s", &age);
	*age_s = (long)age;
	return rc;
}
