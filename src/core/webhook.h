/*
 * webhook: what an agency's own systems receive.  Bodies follow the
 * Standard Webhooks payload structure ({"type", "timestamp", "data"}) and
 * are signed the Standard Webhooks way: the content signed is
 * "{webhook-id}.{webhook-timestamp}.{body}", HMAC-SHA256 keyed with the
 * base64-decoded part of a "whsec_" secret, sent as "v1,<base64>"; during a
 * rotation's grace period both secrets sign, space-separated
 * (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md).
 * Pure, but for the random secret.
 */
#ifndef JS_WEBHOOK_H
#define JS_WEBHOOK_H

#include "buf.h"
#include "db_webhook.h"

#include <stddef.h>

#define WEBHOOK_SECRET_BYTES 32
#define WEBHOOK_SECRET_LEN   (6 + 44) /* "whsec_" + base64 of 32 bytes */
#define WEBHOOK_KINDS	     2

/* The event kinds an endpoint may ask for, as sent ("portal.status_changed",
 * "run.finished"), indexed like webhook_kind_keys' events.kind values. */
extern const char *const webhook_types[WEBHOOK_KINDS];
/* The type sent for an events.kind ("status_changed" -> "portal.status_changed"),
 * or NULL. */
const char *webhook_type(const char *event_kind);
/* 1 when s is one of webhook_types. */
int webhook_type_ok(const char *s);

/* A new secret, "whsec_" + base64 of 32 random bytes, into out (at least
 * WEBHOOK_SECRET_LEN + 1 bytes).  0, or -1. */
int webhook_secret_new(char *out, size_t n);

/* The body of event ev: links are base_url + /portals/{id}, /runs/{id}.
 * 0, or -1 (out full or out of memory). */
int webhook_payload(const struct webhook_event *ev, const char *base_url, struct buf *out);

/* The webhook-signature header's value for body under each of the n
 * secrets ("v1,<sig> v1,<sig2>").  0, or -1 (a secret that is not
 * whsec_ + base64, out too small). */
int webhook_sign(const char *const *secrets, int n, const char *msg_id, long long timestamp,
		 const char *body, size_t len, char *out, size_t cap);

#endif
