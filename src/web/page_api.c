/*
 * page_api: the read API for agencies' own tools (/api/v1/portals,
 * /api/v1/portals/{id}, /api/v1/events; JSON, behind the gate's token
 * check: route.c's AUTH_TOKEN) and the page where owners and admins make
 * and revoke the organisation's API tokens (/settings/api).  A token is
 * shown once, on the page that answers its creation, never again.  The
 * API's times are ISO 8601 with the offset of the organisation's time zone
 * (organisations.time_zone; local_iso(), sql/0018).
 */
#include "apicursor.h"
#include "apitoken.h"
#include "db_apitoken.h"
#include "log.h"
#include "pages.h"
#include "status.h"
#include "valid.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define API_LIMIT_DEFAULT 50

/* ---- the token page ---- */

static int tokens_page(struct ctx *c, int status, const char *error, const char *name_value)
{
	struct apitoken_row *t = NULL;
	cJSON *v, *active, *revoked;
	int n = 0, count = 0, cap = 0, nrev = 0;
	long long now = (long long)time(NULL);

	if (db_apitoken_list(c->db, c->sess->org_id, c->sess->tz, &t, &n) < 0 ||
	    db_apitoken_count(c->db, c->sess->org_id, &count, &cap) < 0) {
		free(t);
		return -1;
	}
	v = cJSON_CreateObject();
	active = cJSON_AddArrayToObject(v, "tokens");
	revoked = cJSON_AddArrayToObject(v, "revoked");
	for (int i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		char id[24];

		snprintf(id, sizeof(id), "%lld", t[i].id);
		cJSON_AddStringToObject(o, "id", id);
		cJSON_AddStringToObject(o, "name", t[i].name);
		cJSON_AddStringToObject(o, "prefix", t[i].prefix);
		cJSON_AddStringToObject(o, "created_by",
					t[i].created_by[0] ? t[i].created_by : "jetstack-admin");
		page_when(o, "created", t[i].created_at, now);
		page_when(o, "last_used", t[i].last_used_at, now);
		page_when(o, "revoked_when", t[i].revoked_at, now);
		cJSON_AddStringToObject(o, "revoked_by", t[i].revoked_by);
		if (t[i].revoked_at[0]) {
			nrev++;
			cJSON_AddItemToArray(revoked, o);
		} else
			cJSON_AddItemToArray(active, o);
	}
	free(t);
	cJSON_AddBoolToObject(v, "has_revoked", nrev > 0);
	cJSON_AddNumberToObject(v, "cap", cap);
	cJSON_AddNumberToObject(v, "count", count);
	cJSON_AddBoolToObject(v, "full", count >= cap);
	cJSON_AddNumberToObject(v, "rate_limit", (double)c->app->conf.api_rate_limit);
	cJSON_AddNumberToObject(v, "rate_window", (double)c->app->conf.api_rate_window);
	cJSON_AddStringToObject(v, "base_url", c->app->conf.base_url);
	if (error)
		cJSON_AddStringToObject(v, "error", error);
	cJSON_AddStringToObject(v, "name_value", name_value ? name_value : "");
	return page_render(c, status, "api_tokens", "API tokens", v);
}

int page_api_tokens_get(struct ctx *c)
{
	return tokens_page(c, 200, NULL, NULL);
}

int page_api_tokens_post(struct ctx *c)
{
	const char *name = req_form(c->req, "name"); /* valid_api_token_name */
	char token[APITOKEN_LEN + 1], why[200], id_text[24];
	long long id;
	int cap, rc, out;
	cJSON *v;

	rc = apitoken_create(c->db, c->sess->org_id, c->sess->user_id, c->sess->email, name, token,
			     &id, &cap);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		snprintf(
		    why, sizeof(why),
		    "Your organisation has %d API tokens, its limit. Revoke one first. Nothing "
		    "was created.",
		    cap);
		return tokens_page(c, 409, why, name);
	}
	/* the token's id and prefix only: the token itself is never logged */
	snprintf(id_text, sizeof(id_text), "%lld", id);
	log_event(LOG_INFO, c->req->id, "api_token_created", "token_id", id_text, NULL);
	v = cJSON_CreateObject();
	cJSON_AddStringToObject(v, "name", name);
	cJSON_AddStringToObject(v, "token", token);
	cJSON_AddStringToObject(v, "base_url", c->app->conf.base_url);
	OPENSSL_cleanse(token, sizeof(token));
	out = page_render(c, 200, "api_token_created", "API token created", v);
	return out;
}

int page_api_token_revoke_post(struct ctx *c)
{
	char id_text[24];
	int rc = apitoken_revoke(c->db, c->sess->org_id, c->req->path_id, c->sess->user_id,
				 c->sess->email);

	if (rc < 0)
		return -1;
	if (rc == 0)
		return page_error(c, 404, "Token not found",
				  "There is no such API token in your organisation, or it was "
				  "revoked already. Nothing was changed.");
	snprintf(id_text, sizeof(id_text), "%lld", c->req->path_id);
	log_event(LOG_INFO, c->req->id, "api_token_revoked", "token_id", id_text, NULL);
	page_flash(c, "The token is revoked: requests with it are refused from now on.");
	return http_redirect(c->resp, 303, "/settings/api");
}

/* ---- the API ---- */

/* Add key: the local_iso() time iso, or null when "". */
static void add_time(cJSON *o, const char *key, const char *iso)
{
	if (iso[0])
		cJSON_AddStringToObject(o, key, iso);
	else
		cJSON_AddNullToObject(o, key);
}

/* Add reason_code and reason ({code, short, long, hubspot_code}) from the
 * reason table (status.c) and the stored text (the table's long text with
 * its detail); null for none. */
static void add_reason(cJSON *o, const char *code, const char *stored)
{
	int rc = status_reason_parse(code);
	const struct status_reason_info *ri =
	    rc > 0 ? status_reason_info((enum status_reason)rc) : NULL;
	cJSON *r;

	if (ri != NULL)
		cJSON_AddStringToObject(o, "reason_code", ri->code);
	else
		cJSON_AddNullToObject(o, "reason_code");
	if (ri == NULL && stored[0] == '\0') {
		cJSON_AddNullToObject(o, "reason");
		return;
	}
	r = cJSON_AddObjectToObject(o, "reason");
	cJSON_AddStringToObject(r, "short", ri ? ri->short_text : stored);
	cJSON_AddStringToObject(r, "long", stored[0] ? stored : ri->long_text);
	if (ri && ri->hubspot_code[0])
		cJSON_AddStringToObject(r, "hubspot_code", ri->hubspot_code);
	else
		cJSON_AddNullToObject(r, "hubspot_code");
}

static cJSON *portal_json(const struct api_portal *p)
{
	cJSON *o = cJSON_CreateObject(), *labels = p->labels ? cJSON_Parse(p->labels) : NULL;
	int s = status_parse(p->status);

	cJSON_AddNumberToObject(o, "id", (double)p->id);
	cJSON_AddNumberToObject(o, "hub_id", (double)p->hub_id);
	cJSON_AddStringToObject(o, "name", p->name);
	cJSON_AddStringToObject(o, "domain", p->hub_domain);
	cJSON_AddStringToObject(o, "connection_type", p->conn_type);
	cJSON_AddStringToObject(o, "status", p->status);
	cJSON_AddStringToObject(o, "status_label",
				s >= 0 ? status_label((enum portal_status)s) : p->status);
	add_reason(o, p->reason_code, s == STATUS_CONNECTED ? "" : p->reason);
	if (!cJSON_IsArray(labels)) {
		cJSON_Delete(labels);
		labels = cJSON_CreateArray();
	}
	cJSON_AddItemToObject(o, "labels", labels);
	add_time(o, "last_connected_at", p->last_connected_at);
	add_time(o, "last_refreshed_at", p->last_refreshed_at);
	return o;
}

/* A 400 naming the parameter. */
static int bad_param(struct ctx *c, const char *name, const char *why)
{
	char msg[300];

	snprintf(msg, sizeof(msg), "The parameter \"%s\" is not valid: %s", name, why);
	return http_json_error(c->resp, 400, "invalid_parameter", msg);
}

int page_api_portals_get(struct ctx *c)
{
	const char *sort_s = req_query(c->req, "sort"), *limit_s = req_query(c->req, "limit");
	const char *cursor_s = req_query(c->req, "cursor");
	struct api_portal_query q = {0};
	struct api_portal *rows = NULL;
	struct apicursor cur;
	cJSON *v = NULL, *data;
	uint64_t fp;
	int n = 0, shown, rc = -1;

	_Static_assert(API_SORT_ID == 0 && API_SORT_NAME == 1 && API_SORT_STATUS == 2 &&
			   API_SORT_LAST == 3 && VALID_API_SORTS == API_SORT__MAX,
		       "enum api_sort follows valid_api_sort_keys");
	q.sort = sort_s ? (enum api_sort)valid_api_sort_index(sort_s) : API_SORT_ID;
	q.limit =
	    limit_s ? (int)strtol(limit_s, NULL, 10) : API_LIMIT_DEFAULT; /* valid_api_limit */
	q.status = c->args.status;
	q.q = req_query(c->req, "q");
	q.label = req_query(c->req, "label");
	fp = apicursor_fingerprint(q.sort, q.status, q.label, q.q);
	if (cursor_s != NULL) {
		if (apicursor_decode(cursor_s, API_SORT__MAX, &cur) < 0)
			return bad_param(c, "cursor", "it is not a cursor this API made.");
		if (cur.sort != (int)q.sort || cur.fingerprint != fp)
			return bad_param(c, "cursor",
					 "it was made for another sort or other filters; send the "
					 "same sort, status, label and q as the first request.");
		q.after_id = cur.id;
		q.after_name = cur.name;
		q.after_rank = cur.rank;
		q.after_last = cur.last[0] ? cur.last : NULL;
		if (q.sort == API_SORT_LAST && q.after_last == NULL)
			return bad_param(c, "cursor", "it is not a cursor this API made.");
	}
	q.limit += 1; /* one more, to know whether a next page exists */
	if (db_api_portals(c->db, c->api->org_id, c->api->tz, &q, &rows, &n) < 0)
		return -1;
	shown = n < q.limit ? n : q.limit - 1;
	v = cJSON_CreateObject();
	data = cJSON_AddArrayToObject(v, "data");
	for (int i = 0; i < shown; i++)
		cJSON_AddItemToArray(data, portal_json(&rows[i]));
	if (n > shown && shown > 0) {
		const struct api_portal *last = &rows[shown - 1];
		struct apicursor next = {.sort = (int)q.sort,
					 .fingerprint = fp,
					 .id = last->id,
					 .rank = last->status_rank};
		char text[APICURSOR_MAX + 1];

		snprintf(next.last, sizeof(next.last), "%.26s", last->last_key);
		snprintf(next.name, sizeof(next.name), "%.255s", last->sort_name);
		if (apicursor_encode(&next, text, sizeof(text)) < 0)
			goto done;
		cJSON_AddStringToObject(v, "next", text);
	} else
		cJSON_AddNullToObject(v, "next");
	rc = http_json(c->resp, 200, v);
done:
	cJSON_Delete(v);
	db_api_portals_free(rows, n);
	free(rows);
	return rc;
}

int page_api_portal_get(struct ctx *c)
{
	struct api_portal p;
	cJSON *v;
	int rc = db_api_portal(c->db, c->api->org_id, c->api->tz, c->req->path_id, &p);

	if (rc < 0)
		return -1;
	if (rc == 0)
		return http_json_error(c->resp, 404, "not_found",
				       "There is no portal with this id in your organisation.");
	v = cJSON_CreateObject();
	cJSON_AddItemToObject(v, "data", portal_json(&p));
	db_api_portals_free(&p, 1);
	rc = http_json(c->resp, 200, v);
	cJSON_Delete(v);
	return rc;
}

int page_api_events_get(struct ctx *c)
{
	const char *after_s = req_query(c->req, "after"), *limit_s = req_query(c->req, "limit");
	long long after = after_s ? strtoll(after_s, NULL, 10) : 0; /* valid_api_after */
	int limit = limit_s ? (int)strtol(limit_s, NULL, 10) : API_LIMIT_DEFAULT;
	struct webhook_event *e = NULL;
	cJSON *v, *data;
	int n = 0, shown, rc;

	if (db_api_events(c->db, c->api->org_id, c->api->tz, after, limit + 1, &e, &n) < 0)
		return -1;
	shown = n <= limit ? n : limit;
	v = cJSON_CreateObject();
	data = cJSON_AddArrayToObject(v, "data");
	for (int i = 0; i < shown; i++) {
		cJSON *o = cJSON_CreateObject(), *p;

		cJSON_AddNumberToObject(o, "id", (double)e[i].id);
		cJSON_AddStringToObject(o, "kind", e[i].kind);
		cJSON_AddStringToObject(o, "at", e[i].at);
		p = cJSON_AddObjectToObject(o, "portal");
		cJSON_AddNumberToObject(p, "id", (double)e[i].portal_id);
		cJSON_AddNumberToObject(p, "hub_id", (double)e[i].hub_id);
		cJSON_AddStringToObject(p, "name", e[i].portal_name);
		cJSON_AddNumberToObject(o, "seq", (double)e[i].seq);
		if (strcmp(e[i].kind, "status_changed") == 0) {
			cJSON_AddStringToObject(o, "status_from", e[i].status_from);
			cJSON_AddStringToObject(o, "status_to", e[i].status_to);
			add_reason(o, e[i].reason_code, e[i].reason);
		} else {
			cJSON *r = cJSON_AddObjectToObject(o, "run");

			cJSON_AddNumberToObject(r, "id", (double)e[i].run_id);
			cJSON_AddStringToObject(r, "kind", e[i].run_kind);
			cJSON_AddStringToObject(r, "state", e[i].run_state);
		}
		cJSON_AddItemToArray(data, o);
	}
	/* the value of "after" for the next request: the last event given */
	cJSON_AddNumberToObject(v, "next_after", (double)(shown > 0 ? e[shown - 1].id : after));
	cJSON_AddBoolToObject(v, "has_more", n > shown);
	free(e);
	rc = http_json(c->resp, 200, v);
	cJSON_Delete(v);
	return rc;
}
