/*
 * tok: encrypted token storage.  See tok.h.
 */
#include "tok.h"
#include "buf.h"
#include "crypt.h"
#include "db_token.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int aad(char *out, size_t n, long long portal, const char *kind, int key_id)
{
	int k = snprintf(out, n, "jetstack:portal:%lld:%s:k%d", portal, kind, key_id);
	return k > 0 && (size_t)k < n ? k : -1;
}

int tok_seal(const struct conf *conf, long long portal, const char *kind, const char *tok,
	     struct buf *out)
{
	char ad[96];
	int n = aad(ad, sizeof(ad), portal, kind, conf->token_key_id);

	if (n < 0)
		return -1;
	return crypt_seal(conf->token_key, tok, strlen(tok), ad, (size_t)n, out);
}

char *tok_open(const struct conf *conf, long long portal, const char *kind, int key_id,
	       const unsigned char *in, size_t len)
{
	char ad[96];
	struct buf pt;
	char *s = NULL;
	int n = aad(ad, sizeof(ad), portal, kind, key_id);

	if (n < 0 || key_id != conf->token_key_id)
		return NULL;
	buf_init(&pt, 8192);
	if (crypt_open(conf->token_key, in, len, ad, (size_t)n, &pt) == 0)
		s = strndup(buf_str(&pt), pt.len);
	if (pt.data)
		OPENSSL_cleanse(pt.data, pt.cap);
	buf_free(&pt);
	return s;
}

void tok_wipe_free(char *s)
{
	if (s != NULL) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

void tok_free(struct tokens *t)
{
	tok_wipe_free(t->access);
	tok_wipe_free(t->refresh);
	memset(t, 0, sizeof(*t));
}

static int write_tokens(struct db *db, const struct conf *conf, long long portal, long long version,
			const char *access, const char *refresh, long expires_in)
{
	struct buf a, r;
	int result = -1;

	buf_init(&a, 8192);
	buf_init(&r, 8192);
	if (tok_seal(conf, portal, "access", access, &a) < 0 ||
	    tok_seal(conf, portal, "refresh", refresh, &r) < 0)
		goto out;
	if (version < 0)
		result = db_tokens_put(db, portal, conf->token_key_id, (unsigned char *)a.data,
				       a.len, (unsigned char *)r.data, r.len, expires_in);
	else
		result =
		    db_tokens_cas(db, portal, version, conf->token_key_id, (unsigned char *)a.data,
				  a.len, (unsigned char *)r.data, r.len, expires_in);
out:
	buf_free(&a);
	buf_free(&r);
	return result;
}

int tok_put(struct db *db, const struct conf *conf, long long portal, const char *access,
	    const char *refresh, long expires_in)
{
	return write_tokens(db, conf, portal, -1, access, refresh, expires_in);
}

int tok_cas(struct db *db, const struct conf *conf, long long portal, struct tokens *t,
	    const char *access, const char *refresh, long expires_in)
{
	/* copied first, so nothing can fail once the tokens are written */
	char *a = access != NULL ? strdup(access) : NULL;
	char *r = refresh != NULL ? strdup(refresh) : NULL;
	int rc = -1;

	if (a == NULL || r == NULL)
		goto out;
	rc = write_tokens(db, conf, portal, t->version, access, refresh, expires_in);
	if (rc == 1) {
		tok_wipe_free(t->access);
		tok_wipe_free(t->refresh);
		t->access = a;
		t->refresh = r;
		a = r = NULL;
		t->expires = (long long)time(NULL) + expires_in;
		t->version++; /* the statement's version + 1 */
	}
out:
	tok_wipe_free(a);
	tok_wipe_free(r);
	return rc;
}

int tok_get(struct db *db, const struct conf *conf, long long portal, struct tokens *out)
{
	struct token_row row;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = db_tokens_get(db, portal, &row);
	if (rc <= 0)
		return rc;
	out->access = tok_open(conf, portal, "access", row.key_id, row.access, row.access_len);
	out->refresh = tok_open(conf, portal, "refresh", row.key_id, row.refresh, row.refresh_len);
	out->expires = row.expires;
	out->version = row.version;
	out->grant = row.grant;
	db_token_row_free(&row);
	if (out->access == NULL || out->refresh == NULL) {
		tok_free(out);
		return -1;
	}
	return 1;
}

int tok_revoke_later(struct db *db, const struct conf *conf, long long portal,
		     const char *refresh)
{
	struct buf b;
	long long id;
	int rc = -1;

	buf_init(&b, 8192);
	if (tok_seal(conf, portal, "revoke", refresh, &b) == 0)
		rc = db_revocation_add(db, portal, conf->token_key_id, (unsigned char *)b.data, b.len,
				       &id);
	buf_free(&b);
	return rc;
}

char *tok_revocation_open(const struct conf *conf, const struct revocation_row *r)
{
	return tok_open(conf, r->portal_id, "revoke", r->key_id, r->token, r->len);
}
