/*
 * page_deploy: deployments -- choosing what to deploy and where (/deploy:
 * the library's ticked assets, or everything its filter matches, and the
 * target portals), queueing one deployment per target (POST /deploy), the
 * organisation's deployments (/deployments, also per portal), and a
 * deployment's items on its run page (/runs/{id}).
 */
#include "asset.h"
#include "conf.h"
#include "db_activity.h"
#include "db_deploy.h"
#include "db_portal.h"
#include "db_runs.h"
#include "html.h"
#include "log.h"
#include "pages.h"
#include "status.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEPLOY_LIST_FETCH 51
#define DEPLOY_LIST_ROWS  (DEPLOY_LIST_FETCH - 1)
#define TARGETS_SHOWN	  1000

/* The selection a request carries (its query on GET, its form on POST). */
struct chosen {
	long long ids[DEPLOY_IDS_MAX];
	struct deploy_selection sel;
	int all; /* "all=yes": everything the filter matches */
	char words[300];
};

/* Read the selection.  1, 0 nothing chosen, -1 too many ticked. */
static int read_selection(struct ctx *c, int form, struct chosen *ch)
{
	const char *vals[DEPLOY_IDS_MAX + 1];
	size_t n = form ? req_form_list(c->req, "asset[]", vals, DEPLOY_IDS_MAX + 1)
			: req_query_list(c->req, "asset[]", vals, DEPLOY_IDS_MAX + 1);
	const char *all = form ? req_form(c->req, "all") : req_query(c->req, "all");
	const char *q = form ? req_form(c->req, "q") : req_query(c->req, "q");

	memset(ch, 0, sizeof(*ch));
	if (n > DEPLOY_IDS_MAX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		long long id = strtoll(vals[i], NULL, 10); /* valid_id */
		int dup = 0;

		for (int k = 0; k < ch->sel.n_ids; k++)
			dup |= ch->ids[k] == id;
		if (!dup)
			ch->ids[ch->sel.n_ids++] = id;
	}
	ch->sel.asset_ids = ch->ids;
	ch->sel.q = q ? q : "";
	ch->sel.object_type = c->args.object_type ? c->args.object_type : "";
	ch->sel.source_hub = c->args.source;
	ch->all = all != NULL && strcmp(all, "yes") == 0;
	if (ch->sel.n_ids > 0) {
		ch->sel.q = "";
		ch->sel.object_type = "";
		ch->sel.source_hub = 0;
		snprintf(ch->words, sizeof(ch->words), "%d %s ticked in the library", ch->sel.n_ids,
			 ch->sel.n_ids == 1 ? "asset" : "assets");
		return 1;
	}
	if (!ch->all)
		return 0;
	snprintf(ch->words, sizeof(ch->words), "Everything in the library%s%s%s%s%s%s",
		 ch->sel.object_type[0] ? " of " : "", ch->sel.object_type,
		 ch->sel.q[0] ? " matching \"" : "", ch->sel.q, ch->sel.q[0] ? "\"" : "",
		 ch->sel.source_hub ? " from one source portal" : "");
	return 1;
}

/* The selection as hidden fields' data for the form. */
static void selection_view(cJSON *v, const struct chosen *ch)
{
	cJSON *ids = cJSON_AddArrayToObject(v, "asset_ids");
	char b[24];

	for (int i = 0; i < ch->sel.n_ids; i++) {
		snprintf(b, sizeof(b), "%lld", ch->ids[i]);
		cJSON_AddItemToArray(ids, cJSON_CreateString(b));
	}
	cJSON_AddBoolToObject(v, "all", ch->sel.n_ids == 0);
	cJSON_AddStringToObject(v, "q", ch->sel.q);
	cJSON_AddStringToObject(v, "object_type", ch->sel.object_type);
	if (ch->sel.source_hub > 0) {
		snprintf(b, sizeof(b), "%lld", ch->sel.source_hub);
		cJSON_AddStringToObject(v, "source", b);
	}
	cJSON_AddStringToObject(v, "selection_words", ch->words);
}

/* Refusals of a selection: 1 when one was answered. */
static int selection_refused(struct ctx *c, int rc, const struct deploy_preview *pv, int *out)
{
	char msg[300];

	if (rc < 0) {
		snprintf(msg, sizeof(msg),
			 "A deployment takes at most %d ticked assets. Use the library's filter "
			 "and \"Deploy all matching\" for larger choices. Nothing was queued.",
			 DEPLOY_IDS_MAX);
		*out = page_error(c, 400, "Too many assets ticked", msg);
		return 1;
	}
	if (rc == 0) {
		*out = page_error(c, 400, "Nothing chosen",
				  "Tick assets in the library, or use \"Deploy all matching\" "
				  "there. Nothing was queued.");
		return 1;
	}
	if (pv == NULL)
		return 0;
	if (pv->items == 0) {
		*out = page_error(c, 400, "Nothing to deploy",
				  "No asset in your library matches this choice. Nothing was "
				  "queued.");
		return 1;
	}
	if (pv->items > DEPLOY_ITEMS_MAX) {
		snprintf(msg, sizeof(msg),
			 "This choice holds %ld groups and properties; one deployment takes at "
			 "most %d. Narrow the library's filter (object type, source portal or "
			 "search) and deploy in parts. Nothing was queued.",
			 pv->items, DEPLOY_ITEMS_MAX);
		*out = page_error(c, 400, "Too many assets for one deployment", msg);
		return 1;
	}
	return 0;
}

/* A portal status's label and the reason's short text, for a target. */
static void target_status(cJSON *o, const char *status, const char *reason_code)
{
	int rc = status_reason_parse(reason_code);

	page_status_fields(o, status);
	if (strcmp(status, status_key(STATUS_CONNECTED)) != 0 && rc > 0)
		cJSON_AddStringToObject(o, "reason_short",
					status_reason_info((enum status_reason)rc)->short_text);
}

int page_deploy_get(struct ctx *c)
{
	struct chosen *ch = malloc(sizeof(*ch));
	struct deploy_target *t = malloc(TARGETS_SHOWN * sizeof(*t));
	struct deploy_preview pv;
	cJSON *v = NULL, *list, *types;
	int rc, n = 0, cap = 0, out = -1;

	if (ch == NULL || t == NULL)
		goto done;
	rc = read_selection(c, 0, ch);
	if (selection_refused(c, rc, NULL, &out))
		goto done;
	if (db_deploy_preview(c->db, c->sess->org_id, &ch->sel, &pv) < 0)
		goto done;
	if (selection_refused(c, 1, &pv, &out))
		goto done;
	if (db_deploy_targets(c->db, c->sess->org_id, t, TARGETS_SHOWN, &n) < 0 ||
	    db_deploy_targets_max(c->db, c->sess->org_id, &cap) < 0)
		goto done;
	v = cJSON_CreateObject();
	if (v == NULL)
		goto done;
	selection_view(v, ch);
	cJSON_AddNumberToObject(v, "items", (double)pv.items);
	cJSON_AddNumberToObject(v, "groups", (double)pv.groups);
	cJSON_AddNumberToObject(v, "properties", (double)pv.properties);
	types = cJSON_AddArrayToObject(v, "types");
	for (int k = 0; k < ASSET_OBJECT_TYPES; k++)
		if (pv.per_type[k] > 0) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "name", asset_object_types[k]);
			cJSON_AddNumberToObject(o, "count", (double)pv.per_type[k]);
			cJSON_AddItemToArray(types, o);
		}
	{
		struct buf b;

		buf_init(&b, 8192);
		for (int k = 0; k < pv.nsample; k++)
			buf_printf(&b, "%s%s", k ? "; " : "", pv.sample[k]);
		buf_puts(&b, pv.items > pv.nsample ? " and more." : ".");
		if (!b.overflow && !b.oom)
			cJSON_AddStringToObject(v, "sample_text", buf_str(&b));
		buf_free(&b);
	}
	cJSON_AddStringToObject(v, "groups_word", pv.groups == 1 ? "property group" : "property groups");
	cJSON_AddStringToObject(v, "properties_word", pv.properties == 1 ? "property" : "properties");
	cJSON_AddStringToObject(v, "items_word",
				pv.items == 1 ? "group or property" : "groups and properties");
	list = cJSON_AddArrayToObject(v, "targets");
	for (int k = 0; k < n; k++) {
		cJSON *o = cJSON_CreateObject();
		char b[24];
		int ct = conf_conn_parse(t[k].conn_type);

		snprintf(b, sizeof(b), "%lld", t[k].id);
		cJSON_AddStringToObject(o, "id", b);
		snprintf(b, sizeof(b), "%lld", t[k].hub_id);
		cJSON_AddStringToObject(o, "hub_id", b);
		cJSON_AddStringToObject(o, "name", t[k].name);
		cJSON_AddStringToObject(o, "conn_label",
					ct >= 0 ? conf_conn_label((enum conn_type)ct) : "");
		target_status(o, t[k].status, t[k].reason_code);
		cJSON_AddItemToArray(list, o);
	}
	cJSON_AddBoolToObject(v, "has_targets", n > 0);
	cJSON_AddNumberToObject(v, "cap", cap);
	cJSON_AddNumberToObject(v, "items_max", DEPLOY_ITEMS_MAX);
	out = page_render(c, 200, "deploy", "Deploy assets", v);
	v = NULL;
done:
	cJSON_Delete(v);
	free(ch);
	free(t);
	return out;
}

int page_deploy_post(struct ctx *c)
{
	struct chosen *ch = malloc(sizeof(*ch));
	struct portal_ref *targets = NULL;
	struct deploy_preview pv;
	const char *vals[1001];
	size_t nt;
	int rc, cap = 0, out = -1;
	long long first = 0;
	char msg[600], loc[64];

	if (ch == NULL)
		return -1;
	rc = read_selection(c, 1, ch);
	if (selection_refused(c, rc, NULL, &out))
		goto done;
	nt = req_form_list(c->req, "portal[]", vals, 1001);
	if (db_deploy_targets_max(c->db, c->sess->org_id, &cap) < 0)
		goto done;
	if (nt == 0) {
		out = page_error(c, 400, "No portal chosen",
				 "Tick at least one portal to deploy to. Nothing was queued.");
		goto done;
	}
	if (nt > (size_t)cap) {
		snprintf(msg, sizeof(msg),
			 "Your organisation deploys to at most %d portals at once; %zu were ticked. "
			 "Nothing was queued.",
			 cap, nt);
		out = page_error(c, 400, "Too many portals", msg);
		goto done;
	}
	targets = calloc(nt, sizeof(*targets));
	if (targets == NULL)
		goto done;
	/* every target first: one refused, none queued */
	for (size_t i = 0; i < nt; i++) {
		long long id = strtoll(vals[i], NULL, 10); /* valid_id */
		int t;

		for (size_t k = 0; k < i; k++)
			if (targets[k].id == id) {
				out = page_error(c, 400, "A portal ticked twice",
						 "Each portal may be chosen once. Nothing was queued.");
				goto done;
			}
		rc = db_portal_find(c->db, c->sess->org_id, id, 0, &targets[i]);
		if (rc < 0)
			goto done;
		if (rc == 0) {
			out = page_error(c, 404, "Portal not found",
					 "A chosen portal is not in your organisation. Nothing was "
					 "queued.");
			goto done;
		}
		t = conf_conn_parse(targets[i].conn_type);
		if (t < 0 || !conf_conn_allows((enum conn_type)t, CONN_WORK_DEPLOY)) {
			snprintf(msg, sizeof(msg),
				 "%s is connected as %s, which allows %s. Deployments write "
				 "configuration, so they need a Config Only or Config + Audit "
				 "connection. Nothing was queued.",
				 targets[i].name, conf_conn_label((enum conn_type)t),
				 conf_conn_allows_text((enum conn_type)t));
			out = page_error(c, 409, "Deployments are not allowed for this portal",
					 msg);
			goto done;
		}
	}
	if (db_deploy_preview(c->db, c->sess->org_id, &ch->sel, &pv) < 0)
		goto done;
	if (ch->sel.n_ids > 0 && pv.chosen != ch->sel.n_ids) {
		out = page_error(c, 404, "Asset not found",
				 "A chosen asset is not in your organisation's library. Nothing was "
				 "queued.");
		goto done;
	}
	if (selection_refused(c, 1, &pv, &out))
		goto done;
	if (db_begin(c->db) < 0)
		goto done;
	for (size_t i = 0; i < nt; i++) {
		long long run;
		long items;
		char entry[700];

		if (db_deploy_create(c->db, c->sess->org_id, targets[i].id, targets[i].hub_id,
				     c->sess->user_id, &ch->sel, ch->words, &run, &items) <= 0)
			goto rollback;
		snprintf(entry, sizeof(entry),
			 "Deployment %lld started by %s: %ld %s (%s).%s", run, c->sess->email,
			 items, items == 1 ? "group or property" : "groups and properties", ch->words,
			 strcmp(targets[i].status, status_key(STATUS_CONNECTED)) == 0
			     ? ""
			     : " The portal is not Connected: the deployment will stop at its "
			       "first HubSpot call.");
		if (db_activity_add(c->db, c->sess->org_id, targets[i].id, c->sess->user_id,
				    "deploy_started", entry, NULL) < 0)
			goto rollback;
		if (first == 0)
			first = run;
	}
	if (db_commit(c->db) < 0)
		goto rollback;
	log_event(LOG_INFO, c->req->id, "deploy_queued", NULL);
	if (nt == 1) {
		snprintf(loc, sizeof(loc), "/runs/%lld", first);
	} else {
		snprintf(msg, sizeof(msg), "%zu deployments queued, one per portal.", nt);
		page_flash(c, msg);
		snprintf(loc, sizeof(loc), "/deployments");
	}
	out = http_redirect(c->resp, 303, loc);
	goto done;
rollback:
	db_rollback(c->db);
	out = -1;
done:
	free(ch);
	free(targets);
	return out;
}

int page_deployments_get(struct ctx *c)
{
	struct run_row *rows = malloc(DEPLOY_LIST_FETCH * sizeof(*rows));
	struct portal_ref p;
	cJSON *v = NULL, *list;
	int n = 0, out = -1;

	if (rows == NULL)
		return -1;
	if (c->args.portal > 0) {
		int rc = db_portal_find(c->db, c->sess->org_id, c->args.portal, 0, &p);

		if (rc < 0)
			goto done;
		if (rc == 0) {
			/* a removed portal's history stays readable: look for its runs */
			memset(&p, 0, sizeof(p));
			p.id = c->args.portal;
		}
	}
	if (db_runs_list(c->db, c->sess->org_id, c->args.portal, "deploy", c->args.before,
			 c->sess->tz, rows, DEPLOY_LIST_FETCH, &n) < 0)
		goto done;
	v = cJSON_CreateObject();
	if (v == NULL)
		goto done;
	list = cJSON_AddArrayToObject(v, "deployments");
	for (int i = 0; i < n && i < DEPLOY_LIST_ROWS; i++)
		cJSON_AddItemToArray(list, page_run_view(&rows[i]));
	if (c->args.portal > 0) {
		char b[24];

		snprintf(b, sizeof(b), "%lld", c->args.portal);
		cJSON_AddStringToObject(v, "portal_id", b);
		if (p.name[0])
			cJSON_AddStringToObject(v, "portal_name", p.name);
		else if (n > 0)
			cJSON_AddStringToObject(v, "portal_name", rows[0].portal_name);
	}
	if (n > DEPLOY_LIST_ROWS) {
		char href[96];

		if (c->args.portal > 0)
			snprintf(href, sizeof(href), "/deployments?portal=%lld&before=%lld",
				 c->args.portal, rows[DEPLOY_LIST_ROWS - 1].id);
		else
			snprintf(href, sizeof(href), "/deployments?before=%lld",
				 rows[DEPLOY_LIST_ROWS - 1].id);
		cJSON_AddStringToObject(v, "next_href", href);
	}
	if (c->args.before > 0) {
		char href[64];

		if (c->args.portal > 0)
			snprintf(href, sizeof(href), "/deployments?portal=%lld", c->args.portal);
		else
			snprintf(href, sizeof(href), "/deployments");
		cJSON_AddStringToObject(v, "first_href", href);
	}
	out = page_render(c, 200, "deployments", "Deployments", v);
	v = NULL;
done:
	cJSON_Delete(v);
	free(rows);
	return out;
}

static const char *result_label(const char *r)
{
	static const struct {
		const char *key, *label;
	} labels[] = {{"created", "Created"},
		      {"updated", "Updated"},
		      {"unchanged", "Unchanged"},
		      {"failed", "Failed"},
		      {"pending", "Not yet"}};

	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (strcmp(r, labels[i].key) == 0)
			return labels[i].label;
	return r;
}

int page_deploy_items_view(struct ctx *c, const struct run_row *run, cJSON *view)
{
	struct deploy_item_row *items = malloc(DEPLOY_ITEM_FETCH * sizeof(*items));
	struct deploy_row d;
	const char *filter = c->args.result ? c->args.result : "";
	cJSON *o, *list, *tabs;
	int n = 0, rc, active = strcmp(run->state, "queued") == 0 ||
				strcmp(run->state, "running") == 0;
	char b[160];

	if (items == NULL)
		return -1;
	/* ?after= is an item's place (valid_id, so up to 18 digits): past any
	 * place there is, it shows the end */
	int after = c->args.after > INT_MAX ? INT_MAX : (int)c->args.after;

	rc = db_deploy_get(c->db, c->sess->org_id, run->id, &d);
	if (rc <= 0 || db_deploy_items(c->db, c->sess->org_id, run->id, filter, after, items,
				       DEPLOY_ITEM_FETCH, &n) < 0) {
		free(items);
		return -1;
	}
	o = cJSON_AddObjectToObject(view, "deploy");
	cJSON_AddStringToObject(o, "selection", d.selection);
	snprintf(b, sizeof(b), "%ld of %ld items done", d.items_total - d.pending, d.items_total);
	cJSON_AddStringToObject(o, "progress", b);
	cJSON_AddNumberToObject(o, "created", (double)d.created);
	cJSON_AddNumberToObject(o, "updated", (double)d.updated);
	cJSON_AddNumberToObject(o, "unchanged", (double)d.unchanged);
	cJSON_AddNumberToObject(o, "failed", (double)d.failed);
	cJSON_AddNumberToObject(o, "pending", (double)d.pending);
	cJSON_AddStringToObject(o, "pending_label", active ? "Not yet" : "Not attempted");
	/* the filter: all, then each result that has items */
	tabs = cJSON_AddArrayToObject(o, "filters");
	{
		static const char *const keys[] = {"", "created", "updated", "unchanged", "failed",
						   "pending"};
		long counts[] = {d.items_total, d.created, d.updated, d.unchanged, d.failed,
				 d.pending};

		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			cJSON *t;

			if (k > 0 && counts[k] == 0 && strcmp(filter, keys[k]) != 0)
				continue;
			t = cJSON_CreateObject();
			snprintf(b, sizeof(b), "/runs/%lld%s%s", run->id, keys[k][0] ? "?result=" : "",
				 keys[k]);
			cJSON_AddStringToObject(t, "href", b);
			cJSON_AddStringToObject(t, "label",
						k == 0 ? "All"
						: k == 5 ? (active ? "Not yet" : "Not attempted")
							 : result_label(keys[k]));
			cJSON_AddNumberToObject(t, "count", (double)counts[k]);
			cJSON_AddBoolToObject(t, "current", strcmp(filter, keys[k]) == 0);
			cJSON_AddItemToArray(tabs, t);
		}
	}
	list = cJSON_AddArrayToObject(o, "items");
	for (int i = 0; i < n && i < DEPLOY_ITEM_PAGE; i++) {
		struct deploy_item_row *x = &items[i];
		cJSON *it = cJSON_CreateObject();

		snprintf(b, sizeof(b), "%d", x->seq);
		cJSON_AddStringToObject(it, "seq", b);
		snprintf(b, sizeof(b), "%lld", x->asset_id);
		cJSON_AddStringToObject(it, "asset_id", b);
		cJSON_AddStringToObject(it, "label", x->label);
		cJSON_AddStringToObject(it, "name", x->name);
		cJSON_AddStringToObject(it, "object_type", x->object_type);
		cJSON_AddStringToObject(it, "kind", x->kind);
		cJSON_AddStringToObject(it, "result", x->result);
		cJSON_AddStringToObject(it, "result_label",
					strcmp(x->result, "pending") == 0
					    ? (active ? "Not yet" : "Not attempted")
					    : result_label(x->result));
		cJSON_AddStringToObject(it, "changed", x->changed);
		cJSON_AddStringToObject(it, "message", x->message);
		cJSON_AddStringToObject(it, "hs_category", x->hs_category);
		cJSON_AddStringToObject(it, "hs_correlation_id", x->hs_correlation_id);
		cJSON_AddItemToArray(list, it);
	}
	if (n > DEPLOY_ITEM_PAGE) {
		snprintf(b, sizeof(b), "/runs/%lld?%s%s%safter=%d", run->id,
			 filter[0] ? "result=" : "", filter, filter[0] ? "&" : "",
			 items[DEPLOY_ITEM_PAGE - 1].seq);
		cJSON_AddStringToObject(o, "next_href", b);
	}
	if (c->args.after > 0) {
		snprintf(b, sizeof(b), "/runs/%lld%s%s", run->id, filter[0] ? "?result=" : "",
			 filter);
		cJSON_AddStringToObject(o, "first_href", b);
	}
	free(items);
	return 0;
}
