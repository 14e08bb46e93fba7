/*
 * hooks: webhook fan-out and delivery.  See hooks.h.
 */
#include "hooks.h"
#include "db_activity.h"
#include "db_webhook.h"
#include "log.h"
#include "mail.h"
#include "outbound.h"
#include "tok.h"
#include "webhook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DELIVERIES_PER_PASS 20
#define DELIVERY_LEASE_S    120

/* Does the endpoint ask for this type?  kinds is "a,b". */
static int wants(const char *kinds, const char *type)
{
	size_t n = strlen(type);

	for (const char *s = kinds; *s;) {
		size_t l = strcspn(s, ",");

		if (l == n && strncmp(s, type, n) == 0)
			return 1;
		s += l;
		if (*s == ',')
			s++;
	}
	return 0;
}

/* One endpoint's new events.  Queued, or -1. */
static int fanout_one(struct db *db, const struct conf *conf, const struct webhook_endpoint *e)
{
	struct webhook_event *ev = NULL;
	struct webhook_delivery_in *d = NULL;
	char (*ids)[64] = NULL;
	struct buf *bodies = NULL;
	int n = 0, k = 0, result = -1;
	long long cursor = e->event_cursor;

	if (db_webhook_events(db, e, &ev, &n) < 0)
		return -1;
	d = calloc((size_t)(n ? n : 1), sizeof(*d));
	ids = calloc((size_t)(n ? n : 1), sizeof(*ids));
	bodies = calloc((size_t)(n ? n : 1), sizeof(*bodies));
	if (d == NULL || ids == NULL || bodies == NULL)
		goto out;
	for (int i = 0; i < n; i++) {
		const char *type = webhook_type(ev[i].kind);

		cursor = ev[i].id;
		if (type == NULL || !wants(e->kinds, type))
			continue;
		buf_init(&bodies[k], 64 * 1024);
		if (webhook_payload(&ev[i], conf->base_url, &bodies[k]) < 0) {
			buf_free(&bodies[k]);
			goto out;
		}
		/* stable for every attempt and resend of this delivery */
		snprintf(ids[k], sizeof(ids[k]), "msg_%lld_%lld", e->id, ev[i].id);
		d[k] = (struct webhook_delivery_in){ev[i].id, ids[k], type, buf_str(&bodies[k])};
		k++;
	}
	if (db_begin(db) < 0)
		goto out;
	if (db_webhook_enqueue(db, e->id, cursor, d, k) < 0 || db_commit(db) < 0) {
		db_rollback(db);
		goto out;
	}
	result = k;
out:
	for (int i = 0; bodies != NULL && i < k; i++)
		buf_free(&bodies[i]);
	free(bodies);
	free(ids);
	free(d);
	free(ev);
	return result;
}

int hooks_fanout(struct db *db, const struct conf *conf)
{
	struct webhook_endpoint *e = NULL;
	int n = 0, total = 0;

	if (db_webhook_behind(db, &e, &n) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		int k = fanout_one(db, conf, &e[i]);

		if (k < 0) {
			total = -1;
			break;
		}
		total += k;
	}
	db_webhook_endpoint_free(e, n);
	free(e);
	return total;
}

/* The endpoint's secrets (the current one, and the previous one during a
 * rotation's grace period), opened.  Count, or -1. */
static int secrets(const struct conf *conf, const struct webhook_endpoint *e, char *s[2])
{
	int n = 0;

	s[0] = s[1] = NULL;
	if (e->secret_key_id != conf->token_key_id)
		return -1;
	s[n] = tok_open(conf, e->id, "webhook", e->secret_key_id, e->secret_enc, e->secret_len);
	if (s[n] == NULL)
		return -1;
	n++;
	if (e->old_enc != NULL && e->old_key_id == conf->token_key_id) {
		s[n] = tok_open(conf, e->id, "webhook", e->old_key_id, e->old_enc, e->old_len);
		if (s[n] != NULL)
			n++;
	}
	return n;
}

static void wipe_free(char *s)
{
	if (s != NULL) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

/* The endpoint that nothing reached for the horizon: disabled, its admins
 * told, in one transaction. */
static void maybe_disable(struct db *db, const struct conf *conf,
			  const struct webhook_endpoint *e)
{
	char reason[300], text[2600];
	int rc;

	snprintf(reason, sizeof(reason),
		 "Disabled: no delivery succeeded for %ld seconds (the retry horizon).",
		 conf->webhook_horizon);
	if (db_begin(db) < 0)
		return;
	rc = db_webhook_disable_failing(db, e->id, conf->webhook_horizon, reason);
	if (rc == 1) {
		snprintf(text, sizeof(text),
			 "The webhook endpoint %.2048s stopped answering: no delivery to it has "
			 "succeeded within the retry horizon, so JetStack AI disabled it. Check "
			 "the receiver, then enable it again on the Integrations page: %s/integrations/%lld\n",
			 e->url, conf->base_url, e->id);
		if (mail_notice(db, conf, e->org_id, "A webhook endpoint was disabled", text) < 0) {
			db_rollback(db);
			return;
		}
		/* the organisation's activity log says so too (by the worker) */
		snprintf(text, sizeof(text),
			 "Webhook endpoint %.2048s disabled by JetStack AI: no delivery succeeded "
			 "within the retry horizon (%ld seconds).",
			 e->url, conf->webhook_horizon);
		if (db_activity_add(db, e->org_id, 0, 0, "webhook_disabled", text, NULL) < 0) {
			db_rollback(db);
			return;
		}
		log_event(LOG_WARN, NULL, "webhook_disabled", NULL);
	}
	if (rc < 0 || db_commit(db) < 0)
		db_rollback(db);
}

static int deliver_one(struct db *db, const struct conf *conf, const struct webhook_delivery *d)
{
	struct webhook_endpoint e;
	struct outbound_opts o = {.allow_http = conf->webhook_allow_http,
				  .allow_private = conf->webhook_allow_private,
				  .connect_timeout_ms = conf->webhook_timeout_ms < 5000
							    ? conf->webhook_timeout_ms
							    : 5000,
				  .timeout_ms = conf->webhook_timeout_ms};
	struct outbound_resp resp;
	char *sec[2], sig[400], hid[96], hts[64], hsig[420];
	const char *headers[3] = {hid, hts, hsig};
	long long ts = (long long)time(NULL);
	int ns, rc;
	enum webhook_outcome outcome;
	long wait;

	rc = db_webhook_get(db, 0, d->endpoint_id, NULL, &e);
	if (rc <= 0)
		return rc;
	ns = secrets(conf, &e, sec);
	if (ns < 0 ||
	    webhook_sign((const char *const *)sec, ns, d->msg_id, ts, d->payload,
			 strlen(d->payload), sig, sizeof(sig)) < 0) {
		/* a secret this key cannot open: nothing can be signed */
		memset(&resp, 0, sizeof(resp));
		snprintf(resp.error, sizeof(resp.error),
			 "the endpoint's secret cannot be read with this server's key");
	} else {
		snprintf(hid, sizeof(hid), "webhook-id: %s", d->msg_id);
		snprintf(hts, sizeof(hts), "webhook-timestamp: %lld", ts);
		snprintf(hsig, sizeof(hsig), "webhook-signature: %s", sig);
		if (outbound_post(e.url, headers, 3, d->payload, strlen(d->payload), &o, &resp) < 0) {
			for (int i = 0; i < 2; i++)
				wipe_free(sec[i]);
			db_webhook_endpoint_free(&e, 1);
			return -1;
		}
	}
	for (int i = 0; i < 2; i++)
		wipe_free(sec[i]);
	if (resp.status >= 200 && resp.status < 300)
		outcome = WEBHOOK_DELIVERED;
	else if (d->now - d->created_at >= conf->webhook_horizon)
		outcome = WEBHOOK_GAVE_UP;
	else
		outcome = WEBHOOK_RETRY;
	wait = conf->webhook_retry;
	for (int k = 1; k < d->attempts && wait < conf->webhook_horizon; k++)
		wait *= 2;
	if (d->now + wait > d->created_at + conf->webhook_horizon)
		wait = d->created_at + conf->webhook_horizon - d->now; /* one last try at the horizon */
	if (wait < 1)
		wait = 1;
	rc = db_webhook_attempt(db, d, (int)resp.status, resp.latency_ms, resp.body,
				resp.status ? "" : resp.error, outcome, wait);
	if (rc > 0 && outcome == WEBHOOK_GAVE_UP)
		maybe_disable(db, conf, &e);
	db_webhook_endpoint_free(&e, 1);
	return rc < 0 ? -1 : 1;
}

int hooks_deliver(struct db *db, const struct conf *conf)
{
	struct webhook_delivery *d = NULL;
	int n = 0, done = 0;

	if (db_webhook_take_due(db, DELIVERY_LEASE_S, DELIVERIES_PER_PASS, &d, &n) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		if (deliver_one(db, conf, &d[i]) < 0) {
			done = -1;
			break;
		}
		done++;
	}
	db_webhook_delivery_free(d, n);
	return done;
}
