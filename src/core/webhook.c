/*
 * webhook: bodies and signatures.  See webhook.h.
 */
#include "webhook.h"
#include "crypt.h"
#include "status.h"

#include <cJSON.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const webhook_types[WEBHOOK_KINDS] = {"portal.status_changed", "run.finished"};
static const char *const event_kinds[WEBHOOK_KINDS] = {"status_changed", "run_finished"};

const char *webhook_type(const char *event_kind)
{
	for (int i = 0; i < WEBHOOK_KINDS; i++)
		if (strcmp(event_kinds[i], event_kind) == 0)
			return webhook_types[i];
	return NULL;
}

int webhook_type_ok(const char *s)
{
	for (int i = 0; i < WEBHOOK_KINDS; i++)
		if (strcmp(webhook_types[i], s) == 0)
			return 1;
	return 0;
}

int webhook_secret_new(char *out, size_t n)
{
	unsigned char r[WEBHOOK_SECRET_BYTES];
	int rc = -1;

	if (n < WEBHOOK_SECRET_LEN + 1 || crypt_random(r, sizeof(r)) < 0)
		goto out;
	memcpy(out, "whsec_", 6);
	if (crypt_b64_encode(r, sizeof(r), out + 6, n - 6) < 0)
		goto out;
	rc = 0;
out:
	OPENSSL_cleanse(r, sizeof(r));
	return rc;
}

static const char *status_text(const char *key)
{
	int s = status_parse(key);

	return s >= 0 ? status_label((enum portal_status)s) : key;
}

int webhook_payload(const struct webhook_event *ev, const char *base_url, struct buf *out)
{
	cJSON *o = cJSON_CreateObject(), *d, *p;
	const char *type = webhook_type(ev->kind);
	char url[400], *s;
	int rc = -1;

	if (o == NULL || type == NULL)
		goto out;
	cJSON_AddStringToObject(o, "type", type);
	cJSON_AddStringToObject(o, "timestamp", ev->at);
	d = cJSON_AddObjectToObject(o, "data");
	cJSON_AddNumberToObject(d, "event_id", (double)ev->id);
	cJSON_AddNumberToObject(d, "sequence", (double)ev->seq);
	cJSON_AddStringToObject(d, "occurred_at", ev->at);
	p = cJSON_AddObjectToObject(d, "portal");
	cJSON_AddNumberToObject(p, "id", (double)ev->portal_id);
	cJSON_AddNumberToObject(p, "hub_id", (double)ev->hub_id);
	cJSON_AddStringToObject(p, "name", ev->portal_name);
	snprintf(url, sizeof(url), "%s/portals/%lld", base_url, ev->portal_id);
	cJSON_AddStringToObject(p, "url", url);
	if (strcmp(ev->kind, "status_changed") == 0) {
		int rcode = status_reason_parse(ev->reason_code);
		cJSON *r;

		cJSON_AddStringToObject(d, "status", ev->status_to);
		cJSON_AddStringToObject(d, "status_label", status_text(ev->status_to));
		cJSON_AddStringToObject(d, "previous_status", ev->status_from);
		if (ev->reason_code[0] && strcmp(ev->status_to, "connected") != 0) {
			char plain[1200];

			r = cJSON_AddObjectToObject(d, "reason");
			status_reason_plain(ev->reason_code, ev->reason, plain, sizeof(plain));
			cJSON_AddStringToObject(r, "code", ev->reason_code);
			cJSON_AddStringToObject(
			    r, "short",
			    rcode > 0 ? status_reason_info((enum status_reason)rcode)->short_text : "");
			cJSON_AddStringToObject(r, "text", plain);
		} else {
			cJSON_AddNullToObject(d, "reason");
		}
	} else {
		cJSON *r = cJSON_AddObjectToObject(d, "run");

		cJSON_AddNumberToObject(r, "id", (double)ev->run_id);
		cJSON_AddStringToObject(r, "kind", ev->run_kind);
		cJSON_AddStringToObject(r, "state", ev->run_state);
		snprintf(url, sizeof(url), "%s/runs/%lld", base_url, ev->run_id);
		cJSON_AddStringToObject(r, "url", url);
	}
	s = cJSON_PrintUnformatted(o);
	if (s == NULL)
		goto out;
	buf_puts(out, s);
	cJSON_free(s);
	rc = out->overflow || out->oom ? -1 : 0;
out:
	cJSON_Delete(o);
	return rc;
}

int webhook_sign(const char *const *secrets, int n, const char *msg_id, long long timestamp,
		 const char *body, size_t len, char *out, size_t cap)
{
	struct buf content;
	size_t used = 0;
	int rc = -1;

	if (cap == 0)
		return -1;
	out[0] = '\0';
	buf_init(&content, len + 256);
	buf_printf(&content, "%s.%lld.", msg_id, timestamp);
	buf_append(&content, body, len);
	if (content.overflow || content.oom)
		goto done;
	for (int i = 0; i < n; i++) {
		unsigned char key[128], mac[32];
		char b64[64];
		long klen;
		int k;

		if (strncmp(secrets[i], "whsec_", 6) != 0)
			goto done;
		klen = crypt_b64_decode(secrets[i] + 6, key, sizeof(key));
		if (klen <= 0 || crypt_hmac_sha256(key, (size_t)klen, content.data, content.len, mac) < 0) {
			OPENSSL_cleanse(key, sizeof(key));
			goto done;
		}
		OPENSSL_cleanse(key, sizeof(key));
		if (crypt_b64_encode(mac, sizeof(mac), b64, sizeof(b64)) < 0)
			goto done;
		k = snprintf(out + used, cap - used, "%sv1,%s", i ? " " : "", b64);
		if (k < 0 || (size_t)k >= cap - used)
			goto done;
		used += (size_t)k;
	}
	rc = 0;
done:
	if (rc < 0)
		out[0] = '\0';
	buf_free(&content);
	return rc;
}
