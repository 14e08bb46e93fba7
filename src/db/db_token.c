/*
 * db_token: the encrypted token rows of portals.  See db_token.h.
 */
#include "db_token.h"
#include "db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

