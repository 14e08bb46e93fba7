/*
 * page_integrations: webhook endpoints, for owners and admins -- the list
 * and the form to add one (/integrations), an endpoint's page with its
 * delivery log and Resend (/integrations/{id}), rotating its secret,
 * disabling, enabling and deleting it.  A secret is shown once: on the page
 * that answers its creation or rotation, never again.
 */
#include "conf.h"
#include "db_activity.h"
#include "db_webhook.h"
#include "log.h"
#include "outbound.h"
#include "pages.h"
#include "tok.h"
#include "webhook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ATTEMPTS_FETCH 51
#define ATTEMPTS_ROWS  (ATTEMPTS_FETCH - 1)

static struct outbound_opts opts(const struct ctx *c)
{
	return (struct outbound_opts){.allow_http = c->app->conf.webhook_allow_http,
				      .allow_private = c->app->conf.webhook_allow_private};
}

static cJSON *endpoint_view(const struct webhook_endpoint *e, long long now)
{
	cJSON *o = cJSON_CreateObject(), *k;
	char b[64];

	snprintf(b, sizeof(b), "%lld", e->id);
	cJSON_AddStringToObject(o, "id", b);
	cJSON_AddStringToObject(o, "url", e->url);
	k = cJSON_AddArrayToObject(o, "kinds");
	for (int i = 0; i < WEBHOOK_KINDS; i++)
		if (strstr(e->kinds, webhook_types[i]) != NULL)
			cJSON_AddItemToArray(k, cJSON_CreateString(webhook_types[i]));
	cJSON_AddBoolToObject(o, "disabled", e->disabled_at != 0);
	cJSON_AddStringToObject(o, "disabled_reason", e->disabled_reason);
	cJSON_AddNumberToObject(o, "pending", (double)e->pending);
	cJSON_AddNumberToObject(o, "failed", (double)e->failed);
	cJSON_AddNumberToObject(o, "delivered", (double)e->delivered);
	cJSON_AddStringToObject(o, "created_by", e->created_by_email);
	page_when(o, "created_when", e->created, now);
	page_when(o, "last_success_when", e->last_success, now);
	cJSON_AddBoolToObject(o, "rotating", e->old_enc != NULL);
	page_when(o, "old_until_when", e->old_until, now);
	return o;
}

static int list_page(struct ctx *c, int status, const char *error, const char *url_value)
{
	struct webhook_endpoint *e = NULL;
	cJSON *v, *list, *kinds;
	int n = 0, count = 0, cap = 0, out;
	const long long now = (long long)time(NULL);

	if (db_webhook_list(c->db, c->sess->org_id, c->sess->tz, &e, &n) < 0 ||
	    db_webhook_count(c->db, c->sess->org_id, &count, &cap) < 0) {
		db_webhook_endpoint_free(e, n);
		free(e);
		return -1;
	}
	v = cJSON_CreateObject();
	list = cJSON_AddArrayToObject(v, "endpoints");
	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(list, endpoint_view(&e[i], now));
	db_webhook_endpoint_free(e, n);
	free(e);
	kinds = cJSON_AddArrayToObject(v, "types");
	for (int i = 0; i < WEBHOOK_KINDS; i++)
		cJSON_AddItemToArray(kinds, cJSON_CreateString(webhook_types[i]));
	cJSON_AddBoolToObject(v, "has_endpoints", n > 0);
	cJSON_AddNumberToObject(v, "cap", cap);
	cJSON_AddBoolToObject(v, "full", count >= cap);
	cJSON_AddBoolToObject(v, "allow_http", c->app->conf.webhook_allow_http);
	if (error)
		cJSON_AddStringToObject(v, "error", error);
	cJSON_AddStringToObject(v, "url_value", url_value ? url_value : "");
	out = page_render(c, status, "integrations", "Integrations", v);
	return out;
}

int page_integrations_get(struct ctx *c)
{
	return list_page(c, 200, NULL, NULL);
}

/* Seal secret for endpoint id and store it (grace_s: a rotation).  1, 0
 * not found, -1. */
static int store_secret(struct ctx *c, long long id, const char *secret, long grace_s)
{
	struct buf enc;
	int rc = -1;

	buf_init(&enc, 4096);
	if (tok_seal(&c->app->conf, id, "webhook", secret, &enc) == 0)
		rc = db_webhook_set_secret(c->db, c->sess->org_id, id, c->app->conf.token_key_id,
					   (const unsigned char *)enc.data, enc.len, grace_s);
	buf_free(&enc);
	return rc;
}

/* The page that shows a secret, once. */
static int secret_page(struct ctx *c, long long id, const char *url, const char *secret,
		       int rotated)
{
	cJSON *v = cJSON_CreateObject();
	char b[24];

	snprintf(b, sizeof(b), "%lld", id);
	cJSON_AddStringToObject(v, "id", b);
	cJSON_AddStringToObject(v, "url", url);
	cJSON_AddStringToObject(v, "secret", secret);
	cJSON_AddBoolToObject(v, "rotated", rotated);
	cJSON_AddNumberToObject(v, "grace_hours", (double)(c->app->conf.webhook_grace / 3600));
	return page_render(c, 200, "integration_secret", "Signing secret", v);
}

int page_integrations_post(struct ctx *c)
{
	const char *url = req_form(c->req, "url"); /* valid_text */
	const char *vals[WEBHOOK_KINDS + 1];
	size_t nk = req_form_list(c->req, "kinds[]", vals, WEBHOOK_KINDS + 1);
	struct outbound_opts o = opts(c);
	char why[200], kinds[96] = "", secret[WEBHOOK_SECRET_LEN + 8], entry[2700];
	long long id;
	int count, cap, rc;

	if (!outbound_url_ok(url, &o, why, sizeof(why)))
		return list_page(c, 400, why, url);
	if (nk == 0 || nk > WEBHOOK_KINDS)
		return list_page(c, 400, "Choose at least one kind of event to send.", url);
	for (size_t i = 0; i < nk; i++) {
		if (!webhook_type_ok(vals[i]))
			return list_page(c, 400, "Unknown kind of event.", url);
		if (strstr(kinds, vals[i]) == NULL)
			snprintf(kinds + strlen(kinds), sizeof(kinds) - strlen(kinds), "%s%s",
				 kinds[0] ? "," : "", vals[i]);
	}
	if (db_webhook_count(c->db, c->sess->org_id, &count, &cap) < 0)
		return -1;
	if (count >= cap) {
		snprintf(why, sizeof(why),
			 "Your organisation has %d endpoints, its limit. Delete one first. Nothing "
			 "was added.",
			 count);
		return list_page(c, 400, why, url);
	}
	if (webhook_secret_new(secret, sizeof(secret)) < 0 || db_begin(c->db) < 0)
		return -1;
	if (db_webhook_create(c->db, c->sess->org_id, c->sess->user_id, url, kinds, &id) < 0 ||
	    store_secret(c, id, secret, 0) <= 0)
		goto fail;
	snprintf(entry, sizeof(entry), "Webhook endpoint %.2048s added by %s (%s).", url,
		 c->sess->email, kinds);
	if (db_activity_add(c->db, c->sess->org_id, 0, c->sess->user_id, "webhook_added", entry,
			    NULL) < 0 ||
	    db_commit(c->db) < 0)
		goto fail;
	log_event(LOG_INFO, c->req->id, "webhook_added", NULL);
	rc = secret_page(c, id, url, secret, 0);
	memset(secret, 0, sizeof(secret));
	return rc;
fail:
	memset(secret, 0, sizeof(secret));
	db_rollback(c->db);
	return -1;
}

int page_integration_get(struct ctx *c)
{
	struct webhook_endpoint e;
	struct webhook_attempt_row *a = malloc(ATTEMPTS_FETCH * sizeof(*a));
	cJSON *v = NULL, *list;
	int n = 0, rc, out = -1;
	const long long now = (long long)time(NULL);

	if (a == NULL)
		return -1;
	rc = db_webhook_get(c->db, c->sess->org_id, c->req->path_id, c->sess->tz, &e);
	if (rc <= 0) {
		free(a);
		return rc < 0 ? -1
			      : page_error(c, 404, "Endpoint not found",
					   "There is no such webhook endpoint in your organisation.");
	}
	if (db_webhook_attempts(c->db, c->sess->org_id, e.id, c->args.before, c->sess->tz, a,
				ATTEMPTS_FETCH, &n) < 0)
		goto done;
	v = cJSON_CreateObject();
	cJSON_AddItemToObject(v, "endpoint", endpoint_view(&e, now));
	list = cJSON_AddArrayToObject(v, "attempts");
	for (int i = 0; i < n && i < ATTEMPTS_ROWS; i++) {
		cJSON *o = cJSON_CreateObject();
		char b[64];

		snprintf(b, sizeof(b), "%lld", a[i].delivery_id);
		cJSON_AddStringToObject(o, "delivery_id", b);
		snprintf(b, sizeof(b), "%lld", a[i].id);
		cJSON_AddStringToObject(o, "id", b);
		page_when(o, "at_when", a[i].at, now);
		cJSON_AddStringToObject(o, "kind", a[i].kind);
		cJSON_AddStringToObject(o, "msg_id", a[i].msg_id);
		cJSON_AddStringToObject(o, "state", a[i].delivery_state);
		cJSON_AddBoolToObject(o, "ok", a[i].status >= 200 && a[i].status < 300);
		snprintf(b, sizeof(b), "%d", a[i].status);
		cJSON_AddStringToObject(o, "status", a[i].status ? b : "no answer");
		cJSON_AddNumberToObject(o, "latency_ms", (double)a[i].latency_ms);
		cJSON_AddStringToObject(o, "response", a[i].response);
		cJSON_AddStringToObject(o, "error", a[i].error);
		cJSON_AddItemToArray(list, o);
	}
	cJSON_AddBoolToObject(v, "has_attempts", n > 0);
	if (n > ATTEMPTS_ROWS) {
		char href[96];

		snprintf(href, sizeof(href), "/integrations/%lld?before=%lld", e.id,
			 a[ATTEMPTS_ROWS - 1].id);
		cJSON_AddStringToObject(v, "next_href", href);
	}
	out = page_render(c, 200, "integration", "Webhook endpoint", v);
	v = NULL;
done:
	cJSON_Delete(v);
	db_webhook_endpoint_free(&e, 1);
	free(a);
	return out;
}

/* An endpoint of the session's organisation, or a 404 page (*answered). */
static int find(struct ctx *c, struct webhook_endpoint *e, int *answered)
{
	int rc = db_webhook_get(c->db, c->sess->org_id, c->req->path_id, c->sess->tz, e);

	*answered = 0;
	if (rc == 0) {
		*answered = 1;
		return page_error(c, 404, "Endpoint not found",
				  "There is no such webhook endpoint in your organisation. Nothing "
				  "was changed.");
	}
	return rc;
}

int page_integration_action_post(struct ctx *c)
{
	struct webhook_endpoint e;
	const char *action = req_form(c->req, "action"); /* valid_webhook_action */
	char loc[64], entry[2700], secret[WEBHOOK_SECRET_LEN + 8];
	int answered, rc = find(c, &e, &answered);

	if (rc <= 0 || answered)
		return rc < 0 ? -1 : 0;
	snprintf(loc, sizeof(loc), "/integrations/%lld", e.id);
	if (db_begin(c->db) < 0)
		goto fail;
	if (strcmp(action, "rotate") == 0) {
		if (webhook_secret_new(secret, sizeof(secret)) < 0 ||
		    store_secret(c, e.id, secret, c->app->conf.webhook_grace) <= 0)
			goto fail;
		snprintf(entry, sizeof(entry), "Webhook endpoint %.2048s: secret rotated by %s.",
			 e.url, c->sess->email);
	} else if (strcmp(action, "disable") == 0 || strcmp(action, "enable") == 0) {
		if (db_webhook_set_disabled(c->db, c->sess->org_id, e.id,
					    strcmp(action, "disable") == 0 ? "Disabled by an admin."
									  : "") < 0)
			goto fail;
		snprintf(entry, sizeof(entry), "Webhook endpoint %.2048s %sd by %s.", e.url, action,
			 c->sess->email);
	} else { /* delete */
		if (db_webhook_delete(c->db, c->sess->org_id, e.id) < 0)
			goto fail;
		snprintf(entry, sizeof(entry), "Webhook endpoint %.2048s deleted by %s.", e.url,
			 c->sess->email);
		snprintf(loc, sizeof(loc), "/integrations");
	}
	/* one kind per change, so that the activity log can filter by it */
	if (db_activity_add(c->db, c->sess->org_id, 0, c->sess->user_id,
			    strcmp(action, "rotate") == 0    ? "webhook_secret_rotated"
			    : strcmp(action, "disable") == 0 ? "webhook_disabled"
			    : strcmp(action, "enable") == 0  ? "webhook_enabled"
							     : "webhook_deleted",
			    entry, NULL) < 0 ||
	    db_commit(c->db) < 0)
		goto fail;
	if (strcmp(action, "rotate") == 0) {
		rc = secret_page(c, e.id, e.url, secret, 1);
		memset(secret, 0, sizeof(secret));
		db_webhook_endpoint_free(&e, 1);
		return rc;
	}
	db_webhook_endpoint_free(&e, 1);
	page_flash(c, strcmp(action, "delete") == 0 ? "The endpoint was deleted."
			   : strcmp(action, "disable") == 0 ? "The endpoint is disabled: nothing is sent to it."
							     : "The endpoint is enabled again: events from now on are sent.");
	return http_redirect(c->resp, 303, loc);
fail:
	memset(secret, 0, sizeof(secret));
	db_rollback(c->db);
	db_webhook_endpoint_free(&e, 1);
	return -1;
}

int page_integration_resend_post(struct ctx *c)
{
	const char *d = req_form(c->req, "delivery"); /* valid_id */
	long long endpoint = c->req->path_id;
	char loc[64];
	int rc = db_webhook_resend(c->db, c->sess->org_id, strtoll(d, NULL, 10), &endpoint);

	if (rc < 0)
		return -1;
	if (rc == 0)
		return page_error(c, 404, "Delivery not found",
				  "There is no such delivery in your organisation. Nothing was sent.");
	page_flash(c, "The delivery is queued again (same webhook-id); the log shows its attempt.");
	snprintf(loc, sizeof(loc), "/integrations/%lld", endpoint);
	return http_redirect(c->resp, 303, loc);
}
