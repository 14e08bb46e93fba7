/*
 * db_webhook: webhook endpoints, their deliveries and every attempt.
 * Return contract as in db.h.
 */
#ifndef JS_DB_WEBHOOK_H
#define JS_DB_WEBHOOK_H

#include "db.h"

#include <stddef.h>

struct webhook_endpoint {
	long long id, org_id, created_by;
	char url[2049];
	char kinds[96]; /* "portal.status_changed,run.finished" */
	int secret_key_id;
	unsigned char *secret_enc; /* malloc'd (free with db_webhook_endpoint_free) */
	size_t secret_len;
	int old_key_id;
	unsigned char *old_enc; /* NULL: no rotation in its grace period */
	size_t old_len;
	long long event_cursor, disabled_at;
	/* local_iso() in the zone the call named ("" none): when it was added,
	 * last reached, and until when the old secret still signs */
	char created[32], last_success[32], old_until[32];
	char disabled_reason[300];
	char created_by_email[256];
	long pending, failed, delivered; /* deliveries */
};
void db_webhook_endpoint_free(struct webhook_endpoint *e, int n);

/* org's endpoints and its cap.  1 or -1. */
int db_webhook_count(struct db *db, long long org, int *n, int *cap);
/* A new endpoint (no secret yet: seal it with its id, then
 * db_webhook_set_secret, in the same transaction).  1 with *id, or -1. */
int db_webhook_create(struct db *db, long long org, long long user, const char *url,
		      const char *kinds, long long *id);
/* Set the secret; with grace_s > 0 the current one keeps signing for that
 * long (a rotation).  1, 0 not found, -1. */
int db_webhook_set_secret(struct db *db, long long org, long long id, int key_id,
			  const unsigned char *enc, size_t len, long grace_s);
/* org's endpoints (*out, *n), or one (org 0: any organisation), their
 * times in the IANA zone tz (NULL: UTC).  1 / 0 not found / -1. */
int db_webhook_list(struct db *db, long long org, const char *tz, struct webhook_endpoint **out,
		    int *n);
int db_webhook_get(struct db *db, long long org, long long id, const char *tz,
		   struct webhook_endpoint *out);
int db_webhook_delete(struct db *db, long long org, long long id);
/* Disable (reason) or enable ("" ) an endpoint.  1, 0 not found, -1. */
int db_webhook_set_disabled(struct db *db, long long org, long long id, const char *reason);

/* An event to fan out. */
struct webhook_event {
	long long id, portal_id, hub_id, seq, run_id;
	char kind[24]; /* status_changed, run_finished */
	char portal_name[256];
	char status_from[24], status_to[24], reason_code[24];
	char reason[1024];
	char run_kind[16], run_state[16];
	char at[40]; /* ISO 8601 with offset */
};
/* Enabled endpoints with events after their cursor (times in UTC): *out,
 * *n.  1 or -1. */
int db_webhook_behind(struct db *db, struct webhook_endpoint **out, int *n);
/* The endpoint's organisation's events after its cursor (and after it was
 * made), at most 500, in order: *out (free()), *n.  1 or -1. */
int db_webhook_events(struct db *db, const struct webhook_endpoint *e, struct webhook_event **out,
		      int *n);
struct webhook_delivery_in {
	long long event_id;
	const char *msg_id, *kind, *payload;
};
/* Queue deliveries and move the endpoint's cursor to cursor, in the
 * caller's transaction.  1 or -1. */
int db_webhook_enqueue(struct db *db, long long endpoint, long long cursor,
		       const struct webhook_delivery_in *d, int n);

struct webhook_delivery {
	long long id, endpoint_id, org_id;
	char msg_id[64], kind[32];
	char *payload; /* malloc'd */
	int attempts;  /* this one included */
	long long created_at, now;
};
/* Take up to max due deliveries of enabled endpoints for lease_s: *out
 * (free with db_webhook_delivery_free), *n.  1 or -1. */
int db_webhook_take_due(struct db *db, long lease_s, int max, struct webhook_delivery **out,
			int *n);
void db_webhook_delivery_free(struct webhook_delivery *d, int n);
enum webhook_outcome { WEBHOOK_DELIVERED, WEBHOOK_RETRY, WEBHOOK_GAVE_UP };
/* Log an attempt and its outcome (retry after retry_s).  1 or -1. */
int db_webhook_attempt(struct db *db, const struct webhook_delivery *d, int status,
		       long latency_ms, const char *response, const char *error,
		       enum webhook_outcome outcome, long retry_s);
/* Disable endpoint when nothing reached it for horizon_s (since it was
 * made or last succeeded) and a delivery gave up.  1 disabled now, 0
 * not, -1. */
int db_webhook_disable_failing(struct db *db, long long endpoint, long horizon_s,
			       const char *reason);

/* The delivery log: the newest attempts of an endpoint of org before
 * attempt before (0: newest), at most max, times in zone tz. */
struct webhook_attempt_row {
	long long id, delivery_id;
	char at[32]; /* local_iso() in the zone the call named */
	char kind[32], delivery_state[16], msg_id[64];
	int status;
	long latency_ms;
	char response[1100], error[300];
};
int db_webhook_attempts(struct db *db, long long org, long long endpoint, long long before,
			const char *tz, struct webhook_attempt_row *out, int max, int *n);
/* Send delivery of endpoint *endpoint again (now, a new horizon, the same
 * webhook-id).  1, 0 not found (not that endpoint's, not org's), -1. */
int db_webhook_resend(struct db *db, long long org, long long delivery, long long *endpoint);

#endif
