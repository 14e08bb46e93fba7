/*
 * db_webhook: endpoints, deliveries, attempts.  See db_webhook.h.
 */
#include "db_webhook.h"
#include "db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void endpoint_take(const PGresult *r, int i, void *element)
{
	struct webhook_endpoint *e = element;

	memset(e, 0, sizeof(*e));
	e->id = db_get_ll(r, i, "id");
	e->org_id = db_get_ll(r, i, "org_id");
	e->created_by = db_get_ll(r, i, "created_by");
	db_copy(e->url, sizeof(e->url), db_get(r, i, "url"));
	db_copy(e->kinds, sizeof(e->kinds), db_get(r, i, "kinds"));
	e->secret_key_id = (int)db_get_ll(r, i, "secret_key_id");
	e->secret_enc = PQunescapeBytea((const unsigned char *)db_get(r, i, "secret_enc"),
					&e->secret_len);
	e->old_key_id = (int)db_get_ll(r, i, "old_key_id");
	if (!db_isnull(r, i, "old_enc"))
		e->old_enc = PQunescapeBytea((const unsigned char *)db_get(r, i, "old_enc"),
					     &e->old_len);
	db_copy(e->old_until, sizeof(e->old_until), db_get(r, i, "old_until"));
	e->event_cursor = db_get_ll(r, i, "event_cursor");
	db_copy(e->created, sizeof(e->created), db_get(r, i, "created"));
	e->disabled_at = db_get_ll(r, i, "disabled_at");
	db_copy(e->last_success, sizeof(e->last_success), db_get(r, i, "last_success"));
	db_copy(e->disabled_reason, sizeof(e->disabled_reason), db_get(r, i, "disabled_reason"));
	db_copy(e->created_by_email, sizeof(e->created_by_email), db_get(r, i, "created_by_email"));
	e->pending = (long)db_get_ll(r, i, "pending");
	e->failed = (long)db_get_ll(r, i, "failed");
	e->delivered = (long)db_get_ll(r, i, "delivered");
}

void db_webhook_endpoint_free(struct webhook_endpoint *e, int n)
{
	for (int i = 0; e != NULL && i < n; i++) {
		PQfreemem(e[i].secret_enc);
		PQfreemem(e[i].old_enc);
		e[i].secret_enc = e[i].old_enc = NULL;
	}
}

/* Rows of st (params p) as endpoints.  1 or -1. */
static int endpoints(struct db *db, enum stmt st, int np, const char *const *p,
		     struct webhook_endpoint **out, int *n)
{
	*out = db_rows(db, st, np, p, sizeof(**out), endpoint_take, n);
	return *out != NULL ? 1 : -1;
}

int db_webhook_count(struct db *db, long long org, int *n, int *cap)
{
	return db_count_cap(db, ST_WEBHOOK_COUNT, org, n, cap);
}

int db_webhook_create(struct db *db, long long org, long long user, const char *url,
		      const char *kinds, long long *id)
{
	char o[24], u[24] = "";

	LL(o, org);
	if (user > 0)
		LL(u, user);
	const char *p[] = {o, u, url, kinds};
	return db_one_ll(db, ST_WEBHOOK_CREATE, 4, p, "id", id) == 1 ? 1 : -1;
}

int db_webhook_set_secret(struct db *db, long long org, long long id, int key_id,
			  const unsigned char *enc, size_t len, long grace_s)
{
	char o[24], i[24], k[24], g[24], *hex = db_hex_bytea(enc, len);
	int rc;

	if (hex == NULL)
		return -1;
	LL(o, org);
	LL(i, id);
	LL(k, key_id);
	LL(g, grace_s);
	const char *p[] = {o, i, k, hex, g};
	rc = db_changed(db, ST_WEBHOOK_SET_SECRET, 5, p);
	free(hex);
	return rc;
}

int db_webhook_list(struct db *db, long long org, const char *tz, struct webhook_endpoint **out,
		    int *n)
{
	char o[24];

	LL(o, org);
	const char *p[] = {o, db_tz(tz)};
	return endpoints(db, ST_WEBHOOK_LIST, 2, p, out, n);
}

int db_webhook_get(struct db *db, long long org, long long id, const char *tz,
		   struct webhook_endpoint *out)
{
	struct webhook_endpoint *v;
	char o[24], i[24];
	int n;

	memset(out, 0, sizeof(*out));
	LL(o, org);
	LL(i, id);
	const char *p[] = {o, i, db_tz(tz)};
	if (endpoints(db, ST_WEBHOOK_GET, 3, p, &v, &n) < 0)
		return -1;
	if (n == 1)
		*out = v[0]; /* the secrets move with it */
	free(v);
	return n == 1;
}

/* Statement st with (org, id[, text]).  1 changed, 0 not, -1. */
static int org_id_cmd(struct db *db, enum stmt st, long long org, long long id, const char *text)
{
	char o[24], i[24];

	LL(o, org);
	LL(i, id);
	const char *p[] = {o, i, text};
	return db_changed(db, st, text ? 3 : 2, p);
}

int db_webhook_delete(struct db *db, long long org, long long id)
{
	return org_id_cmd(db, ST_WEBHOOK_DELETE, org, id, NULL);
}

int db_webhook_set_disabled(struct db *db, long long org, long long id, const char *reason)
{
	return org_id_cmd(db, ST_WEBHOOK_SET_DISABLED, org, id, reason ? reason : "");
}

int db_webhook_behind(struct db *db, struct webhook_endpoint **out, int *n)
{
	return endpoints(db, ST_WEBHOOK_BEHIND, 0, NULL, out, n);
}

void db_event_take(const PGresult *r, int i, void *element)
{
	struct webhook_event *x = element;

	x->id = db_get_ll(r, i, "id");
	x->portal_id = db_get_ll(r, i, "portal_id");
	x->hub_id = db_get_ll(r, i, "hub_id");
	x->seq = db_get_ll(r, i, "seq");
	x->run_id = db_get_ll(r, i, "run_id");
	db_copy(x->kind, sizeof(x->kind), db_get(r, i, "kind"));
	db_copy(x->portal_name, sizeof(x->portal_name), db_get(r, i, "name"));
	db_copy(x->status_from, sizeof(x->status_from), db_get(r, i, "status_from"));
	db_copy(x->status_to, sizeof(x->status_to), db_get(r, i, "status_to"));
	db_copy(x->reason_code, sizeof(x->reason_code), db_get(r, i, "reason_code"));
	db_copy(x->reason, sizeof(x->reason), db_get(r, i, "reason"));
	db_copy(x->run_kind, sizeof(x->run_kind), db_get(r, i, "run_kind"));
	db_copy(x->run_state, sizeof(x->run_state), db_get(r, i, "run_state"));
	db_copy(x->at, sizeof(x->at), db_get(r, i, "at"));
}

int db_webhook_events(struct db *db, const struct webhook_endpoint *e, struct webhook_event **out,
		      int *n)
{
	char o[24], c[24];

	LL(o, e->org_id);
	LL(c, e->event_cursor);
	const char *p[] = {o, c};
	*out = db_rows(db, ST_WEBHOOK_EVENTS, 2, p, sizeof(**out), db_event_take, n);
	return *out != NULL ? 1 : -1;
}

int db_webhook_enqueue(struct db *db, long long endpoint, long long cursor,
		       const struct webhook_delivery_in *d, int n)
{
	char e[24], c[24];

	LL(e, endpoint);
	LL(c, cursor);
	for (int i = 0; i < n; i++) {
		char ev[24];

		LL(ev, d[i].event_id);
		const char *p[] = {e, ev, d[i].msg_id, d[i].kind, d[i].payload};
		if (db_cmd(db, ST_WEBHOOK_ENQUEUE, 5, p) < 0)
			return -1;
	}
	const char *p[] = {e, c};
	return db_cmd(db, ST_WEBHOOK_CURSOR, 2, p) < 0 ? -1 : 1;
}

static void delivery_take(const PGresult *r, int i, void *element)
{
	struct webhook_delivery *x = element;

	x->id = db_get_ll(r, i, "id");
	x->endpoint_id = db_get_ll(r, i, "endpoint_id");
	x->org_id = db_get_ll(r, i, "org_id");
	db_copy(x->msg_id, sizeof(x->msg_id), db_get(r, i, "msg_id"));
	db_copy(x->kind, sizeof(x->kind), db_get(r, i, "kind"));
	x->payload = strdup(db_get(r, i, "payload"));
	x->attempts = (int)db_get_ll(r, i, "attempts");
	x->created_at = db_get_ll(r, i, "created_at");
	x->now = db_get_ll(r, i, "now");
}

int db_webhook_take_due(struct db *db, long lease_s, int max, struct webhook_delivery **out,
			int *n)
{
	char l[24], m[24];

	LL(l, lease_s);
	LL(m, max);
	const char *p[] = {l, m};
	*out = db_rows(db, ST_WEBHOOK_TAKE_DUE, 2, p, sizeof(**out), delivery_take, n);
	for (int k = 0; *out != NULL && k < *n; k++)
		if ((*out)[k].payload == NULL) { /* out of memory */
			db_webhook_delivery_free(*out, *n);
			*out = NULL;
			*n = 0;
		}
	return *out != NULL ? 1 : -1;
}

void db_webhook_delivery_free(struct webhook_delivery *d, int n)
{
	for (int i = 0; d != NULL && i < n; i++)
		free(d[i].payload);
	free(d);
}

int db_webhook_attempt(struct db *db, const struct webhook_delivery *d, int status,
		       long latency_ms, const char *response, const char *error,
		       enum webhook_outcome outcome, long retry_s)
{
	char id[24], ep[24], st[24], lat[24], rs[24];
	int own_tx = !db->in_tx;

	LL(id, d->id);
	LL(ep, d->endpoint_id);
	LL(st, status);
	LL(lat, latency_ms);
	LL(rs, retry_s);
	if (own_tx && db_begin(db) < 0)
		return -1;
	{
		const char *p[] = {id, ep, st, lat, response ? response : "", error ? error : ""};

		if (db_cmd(db, ST_WEBHOOK_ATTEMPT_LOG, 6, p) < 0)
			goto fail;
	}
	if (outcome == WEBHOOK_DELIVERED) {
		const char *p[] = {id, st};

		if (db_cmd(db, ST_WEBHOOK_DELIVERED, 2, p) < 0)
			goto fail;
	} else if (outcome == WEBHOOK_RETRY) {
		const char *p[] = {id, rs, st, error ? error : ""};

		if (db_cmd(db, ST_WEBHOOK_RETRY, 4, p) < 0)
			goto fail;
	} else {
		const char *p[] = {id, st, error ? error : ""};

		if (db_cmd(db, ST_WEBHOOK_GAVE_UP, 3, p) < 0)
			goto fail;
	}
	if (own_tx && db_commit(db) < 0)
		goto fail;
	return 1;
fail:
	if (own_tx)
		db_rollback(db);
	return -1;
}

int db_webhook_disable_failing(struct db *db, long long endpoint, long horizon_s,
			       const char *reason)
{
	char e[24], h[24];

	LL(e, endpoint);
	LL(h, horizon_s);
	const char *p[] = {e, h, reason};
	return db_changed(db, ST_WEBHOOK_DISABLE_FAILING, 3, p);
}

int db_webhook_attempts(struct db *db, long long org, long long endpoint, long long before,
			const char *tz, struct webhook_attempt_row *out, int max, int *n)
{
	char o[24], e[24], b[24], m[24];
	PGresult *r;

	*n = 0;
	LL(o, org);
	LL(e, endpoint);
	LL(b, before);
	LL(m, max);
	const char *p[] = {o, e, b, m, db_tz(tz)};
	r = db_run(db, ST_WEBHOOK_ATTEMPTS, 5, p);
	if (r == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r) && i < max; i++) {
		struct webhook_attempt_row *x = &out[(*n)++];

		memset(x, 0, sizeof(*x));
		x->id = db_get_ll(r, i, "id");
		x->delivery_id = db_get_ll(r, i, "delivery_id");
		db_copy(x->at, sizeof(x->at), db_get(r, i, "at"));
		db_copy(x->kind, sizeof(x->kind), db_get(r, i, "kind"));
		db_copy(x->delivery_state, sizeof(x->delivery_state), db_get(r, i, "state"));
		db_copy(x->msg_id, sizeof(x->msg_id), db_get(r, i, "msg_id"));
		x->status = (int)db_get_ll(r, i, "status");
		x->latency_ms = (long)db_get_ll(r, i, "latency_ms");
		db_copy(x->response, sizeof(x->response), db_get(r, i, "response"));
		db_copy(x->error, sizeof(x->error), db_get(r, i, "error"));
	}
	PQclear(r);
	return 1;
}

int db_webhook_resend(struct db *db, long long org, long long delivery, long long *endpoint)
{
	char o[24], d[24], e[24];
	long long got;
	int found;

	LL(o, org);
	LL(d, delivery);
	LL(e, *endpoint);
	const char *p[] = {o, d, e};
	found = db_one_ll(db, ST_WEBHOOK_RESEND, 3, p, "endpoint_id", &got);
	if (found == 1)
		*endpoint = got;
	return found;
}
