/*
 * page_portals: Client Accounts (the table), a portal's page, connecting
 * a new portal, Reconnect, Disconnect and Remove.
 */
#include "buf.h"
#include "db_portal.h"
#include "flow.h"
#include "hs.h"
#include "html.h"
#include "log.h"
#include "pages.h"
#include "status.h"
#include "tok.h"
#include "valid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE_ROWS     PORTAL_PAGE_ROWS
#define ACTIVITY_ROWS ACTIVITY_PAGE_ROWS

/* Add the text forms of a portal's times and labels (the portal page). */
static void decorate(cJSON *o)
{
	static const char *times[] = {"last_connected", "last_refreshed", "next_check",
				      "status_changed", "first_connected"};
	static const char *texts[] = {"last_connected_text", "last_refreshed_text",
				      "next_check_text", "status_changed_text",
				      "first_connected_text"};
	const cJSON *ct = cJSON_GetObjectItemCaseSensitive(o, "connection_type");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "status");
	char buf[64];

	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, times[i]);

		if (t == NULL)
			continue;
		page_time(cJSON_IsString(t) ? strtoll(t->valuestring, NULL, 10) : 0, buf,
			  sizeof(buf));
		if (buf[0])
			cJSON_AddItemToObjectCS(o, texts[i], cJSON_CreateString(buf));
	}
	cJSON_AddItemToObjectCS(o, "conn_label",
				cJSON_CreateStringReference(conf_conn_label(
				    conf_conn_parse(cJSON_IsString(ct) ? ct->valuestring : ""))));
	page_status_fields(o, cJSON_IsString(st) ? st->valuestring : "");
}

/* href for /portals with the given sort and status, after the portal with
 * id after (0: the first page). */
static char *list_href(int sort, const char *status, long long after)
{
	struct buf b;

	buf_init(&b, 256);
	buf_printf(&b, "/portals?sort=%s", valid_sort_keys[sort]);
	if (status)
		buf_printf(&b, "&status=%s", status);
	if (after > 0)
		buf_printf(&b, "&after=%lld", after);
	if (b.overflow || b.oom) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b);
}

static void add_link(cJSON *parent, const char *name, char *href)
{
	if (href != NULL)
		cJSON_AddStringToObject(parent, name, href);
	free(href);
}

/* Column types of a list result, checked once per page. */
static const unsigned list_types[PORTAL_COL__COUNT] = {
    [PORTAL_COL_ID] = 20,
    [PORTAL_COL_HUB_ID] = 20,
    [PORTAL_COL_NAME] = 25,
    [PORTAL_COL_HUB_DOMAIN] = 25,
    [PORTAL_COL_CONN_TYPE] = 25,
    [PORTAL_COL_STATUS] = 25,
    [PORTAL_COL_REASON] = 25,
    [PORTAL_COL_LAST_CONNECTED] = 1184,
    [PORTAL_COL_CONNECTED_BY] = 25,
    [PORTAL_COL_HS_USER_EMAIL] = 25,
    [PORTAL_COL_LAST_REFRESHED] = 1184,
    [PORTAL_COL_NEXT_CHECK] = 1184,
};

/*
 * The table's rows, laid out in one allocation instead of built with ~900
 * cJSON_Create calls and freed node by node.  The template engine only
 * reads cJSON structs; the view holds the rows through a reference
 * (cJSON_AddItemReferenceToObject), which cJSON_Delete does not descend
 * into, and the block is freed after the render.  Every row has the same
 * members in the same order (empty strings for what a row does not show),
 * so the template's lookups find them where they found them in the
 * previous row.  Text values point into the result, which must outlive the
 * render, or into the row's own buffers.
 */
enum {
	RV_ID,
	RV_STATUS,
	RV_NAME,
	RV_HUB_DOMAIN,
	RV_HUB_ID,
	RV_CONN_LABEL,
	RV_STATUS_CLASS,
	RV_STATUS_LABEL,
	RV_STATUS_REASON,
	RV_LAST_CONNECTED,
	RV_CONNECTED_BY,
	RV_HS_USER_EMAIL,
	RV_LAST_REFRESHED,
	RV_NEXT_CHECK,
	RV_CAN_MANAGE,
	RV_CAN_RECONNECT,
	RV_IS_CONNECTED,
	RV__COUNT
};

static const char *const rv_keys[RV__COUNT] = {
    [RV_ID] = "id",
    [RV_STATUS] = "status",
    [RV_NAME] = "name",
    [RV_HUB_DOMAIN] = "hub_domain",
    [RV_HUB_ID] = "hub_id",
    [RV_CONN_LABEL] = "conn_label",
    [RV_STATUS_CLASS] = "status_class",
    [RV_STATUS_LABEL] = "status_label",
    [RV_STATUS_REASON] = "status_reason",
    [RV_LAST_CONNECTED] = "last_connected_text",
    [RV_CONNECTED_BY] = "connected_by_email",
    [RV_HS_USER_EMAIL] = "hs_user_email",
    [RV_LAST_REFRESHED] = "last_refreshed_text",
    [RV_NEXT_CHECK] = "next_check_text",
    [RV_CAN_MANAGE] = "can_manage",
    [RV_CAN_RECONNECT] = "can_reconnect",
    [RV_IS_CONNECTED] = "is_connected",
};

struct row_cells {
	cJSON obj;
	cJSON cell[RV__COUNT];
	char id[24], hub_id[24];
	char last_connected[32], last_refreshed[32], next_check[32];
};

struct rows_block {
	cJSON array;
	struct row_cells row[];
};

static void cell_text(struct row_cells *rc, int k, const char *s)
{
	rc->cell[k] = (cJSON){.type = cJSON_String | cJSON_IsReference | cJSON_StringIsConst,
			      .valuestring = (char *)s,
			      .string = (char *)rv_keys[k]};
}

static void cell_bool(struct row_cells *rc, int k, int b)
{
	rc->cell[k] = (cJSON){.type = (b ? cJSON_True : cJSON_False) | cJSON_StringIsConst,
			      .string = (char *)rv_keys[k]};
}

/* Link n structs of stride bytes from first as the children of parent. */
static void link_children(cJSON *parent, cJSON *first, size_t n, size_t stride)
{
	cJSON *prev = NULL, *c = first;

	parent->child = n ? first : NULL;
	for (size_t i = 0; i < n; i++) {
		c = (cJSON *)((char *)first + i * stride);
		c->prev = prev;
		if (prev != NULL)
			prev->next = c;
		prev = c;
	}
	if (n) {
		c->next = NULL;
		first->prev = c; /* cJSON keeps the last child in the first's prev */
	}
}

/* Row i of a list result into rc, by column position, in one pass. */
static void row_fill(struct row_cells *rc, const PGresult *r, int i, int can_manage)
{
	const char *name = PQgetvalue(r, i, PORTAL_COL_NAME);
	const char *domain = PQgetvalue(r, i, PORTAL_COL_HUB_DOMAIN);
	const char *status = PQgetvalue(r, i, PORTAL_COL_STATUS), *label, *cls;
	int connected = page_status_text(status, &label, &cls);

	page_int(db_bin_int8(r, i, PORTAL_COL_ID), rc->id, sizeof(rc->id));
	page_int(db_bin_int8(r, i, PORTAL_COL_HUB_ID), rc->hub_id, sizeof(rc->hub_id));
	page_time(db_bin_time(r, i, PORTAL_COL_LAST_CONNECTED), rc->last_connected,
		  sizeof(rc->last_connected));
	page_time(db_bin_time(r, i, PORTAL_COL_LAST_REFRESHED), rc->last_refreshed,
		  sizeof(rc->last_refreshed));
	page_time(connected ? db_bin_time(r, i, PORTAL_COL_NEXT_CHECK) : 0, rc->next_check,
		  sizeof(rc->next_check));
	rc->obj = (cJSON){.type = cJSON_Object};
	cell_text(rc, RV_ID, rc->id);
	cell_text(rc, RV_STATUS, status);
	cell_text(rc, RV_NAME, name);
	cell_text(rc, RV_HUB_DOMAIN, strcmp(domain, name) != 0 ? domain : "");
	cell_text(rc, RV_HUB_ID, rc->hub_id);
	cell_text(rc, RV_CONN_LABEL,
		  conf_conn_label(conf_conn_parse(PQgetvalue(r, i, PORTAL_COL_CONN_TYPE))));
	cell_text(rc, RV_STATUS_CLASS, cls);
	cell_text(rc, RV_STATUS_LABEL, label);
	cell_text(rc, RV_STATUS_REASON, connected ? "" : PQgetvalue(r, i, PORTAL_COL_REASON));
	cell_text(rc, RV_LAST_CONNECTED, rc->last_connected);
	cell_text(rc, RV_CONNECTED_BY, PQgetvalue(r, i, PORTAL_COL_CONNECTED_BY));
	cell_text(rc, RV_HS_USER_EMAIL, PQgetvalue(r, i, PORTAL_COL_HS_USER_EMAIL));
	cell_text(rc, RV_LAST_REFRESHED, rc->last_refreshed);
	cell_text(rc, RV_NEXT_CHECK, rc->next_check);
	cell_bool(rc, RV_CAN_MANAGE, can_manage);
	cell_bool(rc, RV_CAN_RECONNECT, !connected);
	cell_bool(rc, RV_IS_CONNECTED, connected);
	link_children(&rc->obj, rc->cell, RV__COUNT, sizeof(rc->cell[0]));
}

/* The first count rows of r as a rows block (free() it), NULL on OOM. */
static struct rows_block *rows_block(const PGresult *r, int count, int can_manage)
{
	struct rows_block *b = malloc(sizeof(*b) + (size_t)count * sizeof(b->row[0]));

	if (b == NULL)
		return NULL;
	b->array = (cJSON){.type = cJSON_Array};
	for (int i = 0; i < count; i++)
		row_fill(&b->row[i], r, i, can_manage);
	link_children(&b->array, count ? &b->row[0].obj : NULL, (size_t)count, sizeof(b->row[0]));
	return b;
}

_Static_assert(SORT_NAME == 0 && SORT_STATUS == 1 && SORT_LAST == 2 && VALID_SORTS == 3,
	       "enum portal_sort follows valid_sort_keys");

/* The list the query asks for (fields checked by the gate). */
struct list_args {
	int sort;
	const char *status;
	long long after;
};

static void list_args(const struct ctx *c, struct list_args *a)
{
	const char *after = req_query(c->req, "after");
	int sort = valid_sort_index(req_query(c->req, "sort"));

	a->sort = sort < 0 ? SORT_NAME : sort;
	a->status = req_query(c->req, "status");
	a->after = after ? strtoll(after, NULL, 10) : 0; /* valid_id */
}

int page_portals_prefetch(struct ctx *c, struct db_call *call)
{
	struct list_args a;

	list_args(c, &a);
	db_portal_list_call(call, (enum portal_sort)a.sort, a.status, a.after);
	return 1;
}

int page_portals_get(struct ctx *c)
{
	struct list_args a;
	cJSON *v = NULL, *filters, *f;
	struct rows_block *rows = NULL;
	PGresult *res = c->prefetched;
	int result, count;
	long total, attention;
	const long n_conn = c->sess->n_connected, n_needs = c->sess->n_needs,
		   n_disc = c->sess->n_disconnected;

	list_args(c, &a);
	const int sort = a.sort;
	const char *status = a.status;
	const long long after = a.after;

	c->prefetched = NULL; /* ours now */
	if (res == NULL &&
	    db_portal_list(c->db, c->sess->org_id, (enum portal_sort)sort, status, after, &res) < 0)
		return -1;
	if (!db_bin_types_ok(res, list_types, PORTAL_COL__COUNT)) {
		log_event(LOG_ERROR, c->req->id, "portal_list_columns", NULL);
		goto fail;
	}
	v = cJSON_CreateObject();
	if (v == NULL)
		goto fail;
	total = n_conn + n_needs + n_disc;
	attention = n_needs + n_disc;
	cJSON_AddBoolToObject(v, "has_portals", total > 0);
	if (attention > 0) {
		cJSON_AddNumberToObject(v, "attention", (double)attention);
		cJSON_AddStringToObject(v, "attention_noun", attention == 1 ? "portal" : "portals");
		cJSON_AddStringToObject(v, "attention_verb_s", attention == 1 ? "s" : "");
		cJSON_AddStringToObject(v, "attention_pronoun", attention == 1 ? "it" : "them");
	}
	/* status filters, keeping the sort */
	filters = cJSON_AddArrayToObject(v, "filters");
	const struct {
		const char *key, *label;
		long count;
	} fl[] = {{NULL, "All", total},
		  {"connected", "Connected", n_conn},
		  {"needs_reconnection", "Needs Reconnection", n_needs},
		  {"disconnected", "Disconnected", n_disc}};
	for (size_t i = 0; i < sizeof(fl) / sizeof(fl[0]); i++) {
		f = cJSON_CreateObject();
		if (f == NULL || !cJSON_AddItemToArray(filters, f)) {
			cJSON_Delete(f);
			goto fail;
		}
		cJSON_AddStringToObject(f, "key", fl[i].key ? fl[i].key : "all");
		cJSON_AddStringToObject(f, "label", fl[i].label);
		cJSON_AddNumberToObject(f, "count", (double)fl[i].count);
		cJSON_AddBoolToObject(f, "active",
				      (fl[i].key == NULL && status == NULL) ||
					  (fl[i].key && status && strcmp(fl[i].key, status) == 0));
		add_link(f, "href", list_href(sort, fl[i].key, 0));
	}
	const char *sort_names[] = {"sort_name", "sort_status", "sort_last"};
	for (int i = 0; i < 3; i++) {
		f = cJSON_AddObjectToObject(v, sort_names[i]);
		if (f == NULL)
			goto fail;
		cJSON_AddBoolToObject(f, "active", sort == i);
		add_link(f, "href", list_href(i, status, 0));
	}
	/* rows: one more than a page was read to know whether there is a next */
	count = PQntuples(res);
	if (count > PAGE_ROWS) {
		count = PAGE_ROWS;
		add_link(v, "next_href",
			 list_href(sort, status, db_bin_int8(res, PAGE_ROWS - 1, PORTAL_COL_ID)));
	}
	if (after > 0)
		add_link(v, "first_href", list_href(sort, status, 0));
	rows = rows_block(res, count, c->sess->can_manage);
	if (rows == NULL || !cJSON_AddItemReferenceToObject(v, "portals", &rows->array))
		goto fail;
	result = page_render(c, 200, "portals", "Client Accounts", v);
	free(rows);   /* after the view that refers to it */
	PQclear(res); /* after the rows that point into it */
	return result;
fail:
	cJSON_Delete(v);
	free(rows);
	PQclear(res);
	return -1;
}

/* Load the portal named in the path, or answer 404.  1 found, 0 answered,
 * -1 error. */
static int load_portal(struct ctx *c, cJSON **portal)
{
	int rc = db_portal_get(c->db, c->sess->org_id, c->req->path_id, portal);

	if (rc == 0)
		return page_error(c, 404, "Portal not found",
				  "There is no such portal in your organisation. Nothing was "
				  "changed.") < 0
			   ? -1
			   : 0;
	return rc;
}

static const char *jstr(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : "";
}

int page_portal_get(struct ctx *c)
{
	const char *before = req_query(c->req, "before");
	cJSON *portal = NULL, *acts = NULL, *v = NULL, *scopes, *a;
	int rc = load_portal(c, &portal);

	if (rc <= 0)
		return rc;
	decorate(portal);
	scopes = cJSON_AddArrayToObject(portal, "scopes");
	const char *g = jstr(portal, "granted_scopes");
	while (*g) {
		size_t l;

		while (*g == ' ')
			g++;
		l = strcspn(g, " ");
		if (l) {
			char *one = strndup(g, l);
			if (one)
				cJSON_AddItemToArray(scopes, cJSON_CreateString(one));
			free(one);
		}
		g += l;
	}
	if (db_activity_list(c->db, c->sess->org_id, c->req->path_id,
			     before ? strtoll(before, NULL, 10) : 0, &acts) < 0)
		goto fail;
	v = cJSON_CreateObject();
	if (v == NULL)
		goto fail;
	if (cJSON_GetArraySize(acts) > ACTIVITY_ROWS) {
		char href[64];

		cJSON_DeleteItemFromArray(acts, ACTIVITY_ROWS);
		snprintf(href, sizeof(href), "/portals/%lld?before=%s", c->req->path_id,
			 jstr(cJSON_GetArrayItem(acts, ACTIVITY_ROWS - 1), "id"));
		cJSON_AddStringToObject(v, "older_href", href);
	}
	cJSON_ArrayForEach(a, acts)
	{
		const cJSON *at = cJSON_GetObjectItemCaseSensitive(a, "at");
		char t[64];

		page_time(cJSON_IsString(at) ? strtoll(at->valuestring, NULL, 10) : 0, t,
			  sizeof(t));
		cJSON_AddStringToObject(a, "at_text", t);
	}
	cJSON_AddItemToObject(v, "portal", portal);
	cJSON_AddItemToObject(v, "activity", acts);
	char title[300];
	snprintf(title, sizeof(title), "%s", jstr(portal, "name"));
	return page_render(c, 200, "portal", title, v);
fail:
	cJSON_Delete(portal);
	cJSON_Delete(acts);
	cJSON_Delete(v);
	return -1;
}

int page_portal_new_get(struct ctx *c)
{
	static const char *desc[CONN__MAX] = {
	    [CONN_CONFIG_ONLY] = "imports and deployments",
	    [CONN_CONFIG_AUDIT] = "imports, deployments and audits",
	    [CONN_AUDIT_ONLY] = "audits only",
	};
	cJSON *v = cJSON_CreateObject(), *types;

	if (v == NULL)
		return -1;
	types = cJSON_AddArrayToObject(v, "types");
	for (int t = 0; t < CONN__MAX; t++) {
		cJSON *o = cJSON_CreateObject();

		if (o == NULL || !cJSON_AddItemToArray(types, o)) {
			cJSON_Delete(o);
			cJSON_Delete(v);
			return -1;
		}
		cJSON_AddStringToObject(o, "key", conf_conn_key((enum conn_type)t));
		cJSON_AddStringToObject(o, "label", conf_conn_label((enum conn_type)t));
		cJSON_AddStringToObject(o, "description", desc[t]);
		cJSON_AddBoolToObject(o, "checked", t == CONN_CONFIG_AUDIT);
	}
	return page_render(c, 200, "portal_new", "Connect a portal", v);
}

int page_portal_new_post(struct ctx *c)
{
	int t = conf_conn_parse(req_form(c->req, "connection_type"));

	if (t < 0)
		return page_error(c, 400, "Bad request", "Choose a connection type.");
	return flow_start(c, 0, (enum conn_type)t);
}

int page_portal_reconnect_post(struct ctx *c)
{
	cJSON *portal = NULL;
	int rc = load_portal(c, &portal), t;

	if (rc <= 0)
		return rc;
	/* the portal's own connection type, never one from the form */
	t = conf_conn_parse(jstr(portal, "connection_type"));
	cJSON_Delete(portal);
	if (t < 0)
		return -1;
	return flow_start(c, c->req->path_id, (enum conn_type)t);
}

static int confirm_page(struct ctx *c, const char *what)
{
	cJSON *portal = NULL, *v;
	char title[320], msg[700], action[64];
	int rc = load_portal(c, &portal), remove = strcmp(what, "remove") == 0;

	if (rc <= 0)
		return rc;
	const char *name = jstr(portal, "name");
	if (remove) {
		snprintf(title, sizeof(title), "Remove %s?", name);
		snprintf(
		    msg, sizeof(msg),
		    "JetStack AI will revoke its access at HubSpot and delete this portal's "
		    "connection and tokens. The portal leaves the Client Accounts table. Assets "
		    "imported from it and its deployment and activity history stay in your "
		    "library, marked as from a removed portal.");
	} else {
		snprintf(title, sizeof(title), "Disconnect %s?", name);
		snprintf(msg, sizeof(msg),
			 "JetStack AI will revoke its access at HubSpot. The portal turns red "
			 "(Disconnected) and stays in the table with all its data; imports, "
			 "deployments and audits stop until you reconnect it.");
	}
	snprintf(action, sizeof(action), "/portals/%lld/%s", c->req->path_id, what);
	v = cJSON_CreateObject();
	if (v == NULL) {
		cJSON_Delete(portal);
		return -1;
	}
	cJSON_AddItemToObject(v, "portal", portal);
	cJSON_AddStringToObject(v, "message", msg);
	cJSON_AddStringToObject(v, "action", action);
	cJSON_AddStringToObject(v, "button", remove ? "Remove portal" : "Disconnect portal");
	cJSON_AddStringToObject(v, "button_class", "danger");
	return page_render(c, 200, "confirm", title, v);
}

int page_portal_disconnect_get(struct ctx *c)
{
	return confirm_page(c, "disconnect");
}

int page_portal_remove_get(struct ctx *c)
{
	return confirm_page(c, "remove");
}

/*
 * Revoke the portal's refresh token at HubSpot.  Returns 1 revoked (or
 * nothing to revoke, or HubSpot says the token is already invalid), 0 when
 * HubSpot could not be reached (the caller changes nothing), -1 error.
 * err receives HubSpot's answer.
 */
static int revoke_portal(struct ctx *c, long long portal, struct hs_error *err)
{
	struct tokens t;
	struct hs_config cfg;
	enum hs_err e;
	int rc = tok_get(c->db, &c->app->conf, portal, &t);

	memset(err, 0, sizeof(*err));
	if (rc < 0)
		return -1;
	if (rc == 0)
		return 1;
	flow_hs_config(&c->app->conf, &cfg);
	e = hs_revoke(c->http, &cfg, t.refresh, "refresh_token", err);
	tok_free(&t);
	if (e == HS_OK || e == HS_ERR_AUTH)
		return 1;
	log_event(LOG_WARN, c->req->id, "revoke_failed", "kind", hs_strerror(e), "correlation_id",
		  err->correlation_id, NULL);
	return 0;
}

static int end_connection(struct ctx *c, int remove)
{
	cJSON *portal = NULL;
	struct hs_error err;
	char msg[640], name[256], reason[900];
	int rc = load_portal(c, &portal);
	long long id = c->req->path_id;

	if (rc <= 0)
		return rc;
	snprintf(name, sizeof(name), "%s", jstr(portal, "name"));
	cJSON_Delete(portal);
	rc = revoke_portal(c, id, &err);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		c->resp->status = 503;
		snprintf(msg, sizeof(msg),
			 "HubSpot could not be reached to revoke access to %s, so nothing was "
			 "changed. Please try again in a few minutes.",
			 name);
		return page_error(c, 503, "HubSpot is unavailable", msg);
	}
	/* who and when, for the row's reason */
	{
		char when[40], who[400];
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
		snprintf(who, sizeof(who), "%s on %s", c->sess->email, when);
		status_reason_text(remove ? REASON_REMOVED : REASON_DISCONNECTED_HERE, who, reason,
				   sizeof(reason));
	}
	if (db_begin(c->db) < 0)
		return -1;
	if (db_tokens_delete(c->db, id) < 0)
		goto fail;
	if (remove) {
		if (db_portal_remove(c->db, c->sess->org_id, id, reason) < 0)
			goto fail;
		snprintf(msg, sizeof(msg),
			 "Portal removed by a JetStack admin; access revoked at HubSpot. Imported "
			 "assets and history are kept.");
	} else {
		if (db_portal_set_status(c->db, c->sess->org_id, id, REASON_DISCONNECTED_HERE,
					 reason) < 0)
			goto fail;
		snprintf(msg, sizeof(msg),
			 "Disconnected by a JetStack admin; access revoked at "
			 "HubSpot.");
	}
	if (db_activity_add(c->db, c->sess->org_id, id, c->sess->user_id,
			    remove ? "removed" : "disconnected", msg, err.correlation_id) < 0)
		goto fail;
	if (db_commit(c->db) < 0)
		goto fail;
	log_event(LOG_INFO, c->req->id, remove ? "portal_removed" : "portal_disconnected", NULL);
	snprintf(msg, sizeof(msg), "%s was %s.", name, remove ? "removed" : "disconnected");
	page_flash(c, msg);
	return http_redirect(c->resp, 303, "/portals");
fail:
	/* HubSpot has already revoked the grant: "nothing was changed" would
	 * be untrue.  The next check finds the tokens dead and marks the row. */
	db_rollback(c->db);
	snprintf(msg, sizeof(msg),
		 "JetStack AI's access to %s was revoked at HubSpot, but the change could not be "
		 "saved here. The portal will show as needing attention after its next check; "
		 "you can %s it again then.",
		 name, remove ? "remove" : "disconnect");
	return page_error(c, 500, "Only partly done", msg);
}

int page_portal_disconnect_post(struct ctx *c)
{
	return end_connection(c, 0);
}

int page_portal_remove_post(struct ctx *c)
{
	return end_connection(c, 1);
}
