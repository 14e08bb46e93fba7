/*
 * page_assets: the asset library (/assets: search, filters, keyset pages)
 * and an asset's page with its versions side by side (/assets/{id}).
 */
#include "asset.h"
#include "db_asset.h"
#include "html.h"
#include "pages.h"
#include "valid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static cJSON *asset_view(const struct asset_row *a, long long now)
{
	cJSON *o = cJSON_CreateObject();
	char buf[64];

	if (o == NULL)
		return NULL;
	snprintf(buf, sizeof(buf), "%lld", a->id);
	cJSON_AddStringToObject(o, "id", buf);
	cJSON_AddStringToObject(o, "object_type", a->object_type);
	cJSON_AddStringToObject(o, "kind", a->kind);
	cJSON_AddBoolToObject(o, "is_group", strcmp(a->kind, "group") == 0);
	cJSON_AddStringToObject(o, "name", a->name);
	cJSON_AddStringToObject(o, "label", a->label);
	cJSON_AddStringToObject(o, "group_name", a->group_name);
	cJSON_AddStringToObject(o, "type", a->type);
	cJSON_AddStringToObject(o, "field_type", a->field_type);
	cJSON_AddNumberToObject(o, "version", a->version);
	cJSON_AddBoolToObject(o, "gone", a->gone);
	cJSON_AddBoolToObject(o, "source_removed", a->source_removed);
	snprintf(buf, sizeof(buf), "%lld", a->source_hub_id);
	cJSON_AddStringToObject(o, "source_hub_id", buf);
	cJSON_AddStringToObject(o, "source_name", a->source_name[0] ? a->source_name : buf);
	page_when(o, "last_imported_when", a->last_imported, now);
	return o;
}

/* /assets?q=&object_type=&source=&after= with those of the filters kept. */
static void add_href(cJSON *parent, const char *name, const struct asset_query *q,
		     long long after)
{
	struct buf b;

	buf_init(&b, 1024);
	buf_puts(&b, "/assets?q=");
	html_url_encode(&b, q->q ? q->q : "");
	buf_puts(&b, "&object_type=");
	html_url_encode(&b, q->object_type ? q->object_type : "");
	if (q->source_hub > 0)
		buf_printf(&b, "&source=%lld", q->source_hub);
	if (after > 0)
		buf_printf(&b, "&after=%lld", after);
	if (!b.overflow && !b.oom)
		cJSON_AddStringToObject(parent, name, buf_str(&b));
	buf_free(&b);
}

int page_assets_get(struct ctx *c)
{
	struct asset_query q = {.q = req_query(c->req, "q"),
				.object_type = c->args.object_type,
				.source_hub = c->args.source,
				.after = c->args.after,
				.tz = c->sess->tz};
	struct asset_row *rows = malloc(ASSET_FETCH * sizeof(*rows));
	struct asset_source src[200];
	cJSON *v = NULL, *list, *types, *sources;
	int n = 0, ns = 0;
	const long long now = (long long)time(NULL);

	if (q.q == NULL)
		q.q = "";
	if (rows == NULL)
		return -1;
	if (db_asset_list(c->db, c->sess->org_id, &q, rows, &n) < 0 ||
	    db_asset_sources(c->db, c->sess->org_id, src, 200, &ns) < 0)
		goto fail;
	v = cJSON_CreateObject();
	if (v == NULL)
		goto fail;
	cJSON_AddStringToObject(v, "q", q.q);
	list = cJSON_AddArrayToObject(v, "assets");
	for (int i = 0; i < n && i < ASSET_PAGE_ROWS; i++)
		cJSON_AddItemToArray(list, asset_view(&rows[i], now));
	cJSON_AddBoolToObject(v, "has_assets", n > 0);
	{
		struct buf b;

		buf_init(&b, 1024);
		buf_puts(&b, "/deploy?all=yes&q=");
		html_url_encode(&b, q.q);
		buf_puts(&b, "&object_type=");
		html_url_encode(&b, q.object_type ? q.object_type : "");
		if (q.source_hub > 0)
			buf_printf(&b, "&source=%lld", q.source_hub);
		if (!b.overflow && !b.oom)
			cJSON_AddStringToObject(v, "deploy_all_href", buf_str(&b));
		buf_free(&b);
	}
	if (n > ASSET_PAGE_ROWS)
		add_href(v, "next_href", &q, rows[ASSET_PAGE_ROWS - 1].id);
	if (q.after > 0)
		add_href(v, "first_href", &q, 0);
	types = cJSON_AddArrayToObject(v, "types");
	for (int t = 0; t < ASSET_OBJECT_TYPES; t++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "key", asset_object_types[t]);
		cJSON_AddBoolToObject(o, "selected", q.object_type &&
							 strcmp(q.object_type, asset_object_types[t]) == 0);
		cJSON_AddItemToArray(types, o);
	}
	sources = cJSON_AddArrayToObject(v, "sources");
	for (int i = 0; i < ns; i++) {
		cJSON *o = cJSON_CreateObject();
		char h[24];

		snprintf(h, sizeof(h), "%lld", src[i].hub_id);
		cJSON_AddStringToObject(o, "hub_id", h);
		cJSON_AddStringToObject(o, "name", src[i].name[0] ? src[i].name : h);
		cJSON_AddBoolToObject(o, "selected", q.source_hub == src[i].hub_id);
		cJSON_AddItemToArray(sources, o);
	}
	free(rows);
	return page_render(c, 200, "assets", "Asset library", v);
fail:
	free(rows);
	cJSON_Delete(v);
	return -1;
}

int page_asset_get(struct ctx *c)
{
	struct asset_row a;
	struct asset_version *vs = NULL;
	cJSON *v = NULL, *o, *list;
	int n = 0, rc = db_asset_get(c->db, c->sess->org_id, c->req->path_id, c->sess->tz, &a);
	char title[600];
	const long long now = (long long)time(NULL);

	if (rc < 0)
		return -1;
	if (rc == 0)
		return page_error(c, 404, "Asset not found",
				  "There is no such asset in your organisation's library.");
	if (db_asset_versions(c->db, c->sess->org_id, a.id, c->sess->tz, &vs, &n) < 0)
		return -1;
	v = cJSON_CreateObject();
	o = asset_view(&a, now);
	if (v == NULL || o == NULL) {
		cJSON_Delete(o);
		goto fail;
	}
	cJSON_AddItemToObject(v, "asset", o);
	list = cJSON_AddArrayToObject(v, "versions");
	for (int i = 0; i < n; i++) {
		cJSON *e = cJSON_CreateObject();
		char t[64];

		cJSON_AddNumberToObject(e, "version", vs[i].version);
		cJSON_AddStringToObject(e, "label", vs[i].label);
		cJSON_AddStringToObject(e, "group_name", vs[i].group_name);
		cJSON_AddStringToObject(e, "type", vs[i].type);
		cJSON_AddStringToObject(e, "field_type", vs[i].field_type);
		cJSON_AddStringToObject(e, "options", vs[i].options);
		cJSON_AddStringToObject(e, "definition", vs[i].definition);
		page_when(e, "created_when", vs[i].created, now);
		if (vs[i].run_id > 0) {
			snprintf(t, sizeof(t), "%lld", vs[i].run_id);
			cJSON_AddStringToObject(e, "run_id", t);
		}
		cJSON_AddItemToArray(list, e);
	}
	db_asset_versions_free(vs, n);
	snprintf(title, sizeof(title), "%s", a.label);
	return page_render(c, 200, "asset", title, v);
fail:
	db_asset_versions_free(vs, n);
	cJSON_Delete(v);
	return -1;
}
