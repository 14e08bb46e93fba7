/*
 * page_runs: starting an import (POST /portals/{id}/imports) and a run's
 * page (/runs/{id}), which follows the run while it is active.
 */
#include "asset.h"
#include "conf.h"
#include "db_activity.h"
#include "db_job.h"
#include "db_portal.h"
#include "db_runs.h"
#include "log.h"
#include "pages.h"
#include "status.h"

#include <stdio.h>
#include <string.h>

const char *page_run_state_label(const char *state)
{
	static const struct {
		const char *key, *label, *cls;
	} states[] = {{"queued", "Queued", "grey"},
		      {"running", "Running", "blue"},
		      {"succeeded", "Succeeded", "green"},
		      {"partly_failed", "Partly failed", "yellow"},
		      {"failed", "Failed", "red"}};

	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(state, states[i].key) == 0)
			return states[i].label;
	return state;
}

static int run_active(const struct run_row *r)
{
	return strcmp(r->state, "queued") == 0 || strcmp(r->state, "running") == 0;
}

/* "4 min 12 s" */
static void elapsed(long long secs, char *out, size_t n)
{
	if (secs < 0)
		secs = 0;
	if (secs < 60)
		snprintf(out, n, "%lld s", secs);
	else if (secs < 3600)
		snprintf(out, n, "%lld min %lld s", secs / 60, secs % 60);
	else
		snprintf(out, n, "%lld h %lld min", secs / 3600, secs % 3600 / 60);
}

cJSON *page_run_view(const struct run_row *r)
{
	cJSON *o = cJSON_CreateObject();
	char buf[160];
	long long end = r->finished_at ? r->finished_at : r->now;

	if (o == NULL)
		return NULL;
	snprintf(buf, sizeof(buf), "%lld", r->id);
	cJSON_AddStringToObject(o, "id", buf);
	cJSON_AddStringToObject(o, "kind", r->kind);
	cJSON_AddStringToObject(o, "state", r->state);
	cJSON_AddStringToObject(o, "state_label", page_run_state_label(r->state));
	cJSON_AddBoolToObject(o, "active", run_active(r));
	cJSON_AddBoolToObject(o, "failed", strcmp(r->state, "failed") == 0);
	snprintf(buf, sizeof(buf), "%d of %d object types", r->steps_done, r->steps_total);
	cJSON_AddStringToObject(o, "steps_text", buf);
	snprintf(buf, sizeof(buf), "%ld", r->items_seen);
	cJSON_AddStringToObject(o, "items_seen", buf);
	cJSON_AddNumberToObject(o, "items_new", (double)r->items_new);
	cJSON_AddNumberToObject(o, "items_changed", (double)r->items_changed);
	cJSON_AddNumberToObject(o, "items_unchanged", (double)r->items_unchanged);
	cJSON_AddNumberToObject(o, "items_gone", (double)r->items_gone);
	cJSON_AddNumberToObject(o, "items_failed", (double)r->items_failed);
	cJSON_AddNumberToObject(o, "hs_calls", (double)r->hs_calls);
	elapsed(r->started_at ? end - r->started_at : 0, buf, sizeof(buf));
	cJSON_AddStringToObject(o, "elapsed", buf);
	page_when(o, "created_when", r->created, r->now);
	page_when(o, "finished_when", r->finished, r->now);
	cJSON_AddStringToObject(o, "failure_message", r->failure_message);
	cJSON_AddBoolToObject(o, "auth_failure", strcmp(r->failure_code, "auth") == 0);
	cJSON_AddStringToObject(o, "failure_category", r->failure_category);
	cJSON_AddStringToObject(o, "failure_correlation_id", r->failure_correlation_id);
	if (run_active(r) && r->last_error[0])
		cJSON_AddStringToObject(o, "retrying", r->last_error);
	cJSON_AddStringToObject(o, "portal_name", r->portal_name);
	snprintf(buf, sizeof(buf), "%lld", r->portal_id);
	cJSON_AddStringToObject(o, "portal_id", buf);
	snprintf(buf, sizeof(buf), "%lld", r->hub_id);
	cJSON_AddStringToObject(o, "portal_hub", buf);
	cJSON_AddStringToObject(o, "started_by", r->started_by_email);
	return o;
}

int page_import_post(struct ctx *c)
{
	struct portal_ref p;
	struct job_portal jp;
	char msg[1400], loc[64], entry[600];
	long long run = 0;
	int rc, type;

	rc = db_portal_find(c->db, c->sess->org_id, c->req->path_id, 0, &p);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return page_error(c, 404, "Portal not found",
				  "There is no such portal in your organisation. Nothing was changed.");
	type = conf_conn_parse(p.conn_type);
	if (type < 0 || !conf_conn_allows((enum conn_type)type, CONN_WORK_IMPORT)) {
		snprintf(msg, sizeof(msg),
			 "%s is connected as %s, which allows %s. Imports read configuration, so "
			 "they need a Config Only or Config + Audit connection. Nothing was queued.",
			 p.name, conf_conn_label((enum conn_type)type),
			 conf_conn_allows_text((enum conn_type)type));
		return page_error(c, 409, "Imports are not allowed for this portal", msg);
	}
	if (strcmp(p.status, status_key(STATUS_CONNECTED)) != 0) {
		/* the status rule: failed at once, no HubSpot call, nothing queued */
		if (db_job_portal(c->db, p.id, &jp) <= 0)
			return -1;
		status_work_refusal(p.name, jp.status, jp.reason_code, jp.reason, "import", msg,
				    sizeof(msg));
		if (db_begin(c->db) < 0)
			return -1;
		snprintf(entry, sizeof(entry), "Import by %s failed at once: the portal is %s.",
			 c->sess->email,
			 status_label((enum portal_status)(status_parse(p.status) < 0
								? STATUS_DISCONNECTED
								: status_parse(p.status))));
		if (db_runs_create(c->db, c->sess->org_id, p.id, "import", c->sess->user_id,
				   ASSET_OBJECT_TYPES, "auth", msg, &run) < 0 ||
		    db_activity_add(c->db, c->sess->org_id, p.id, c->sess->user_id, "import_failed",
				    entry, NULL) < 0 ||
		    db_commit(c->db) < 0) {
			db_rollback(c->db);
			return -1;
		}
		log_event(LOG_INFO, c->req->id, "import_refused_not_connected", NULL);
	} else {
		if (db_begin(c->db) < 0)
			return -1;
		snprintf(entry, sizeof(entry), "Import started by %s.", c->sess->email);
		if (db_runs_create(c->db, c->sess->org_id, p.id, "import", c->sess->user_id,
				   ASSET_OBJECT_TYPES, NULL, NULL, &run) < 0 ||
		    db_activity_add(c->db, c->sess->org_id, p.id, c->sess->user_id,
				    "import_started", entry, NULL) < 0 ||
		    db_commit(c->db) < 0) {
			db_rollback(c->db);
			return -1;
		}
		log_event(LOG_INFO, c->req->id, "import_queued", NULL);
	}
	snprintf(loc, sizeof(loc), "/runs/%lld", run);
	return http_redirect(c->resp, 303, loc);
}

int page_run_get(struct ctx *c)
{
	struct run_row r;
	cJSON *v, *o;
	char title[320];
	int rc = db_runs_get(c->db, c->sess->org_id, c->req->path_id, c->sess->tz, &r);

	if (rc < 0)
		return -1;
	if (rc == 0)
		return page_error(c, 404, "Run not found",
				  "There is no such run in your organisation.");
	v = cJSON_CreateObject();
	o = page_run_view(&r);
	if (v == NULL || o == NULL) {
		cJSON_Delete(v);
		cJSON_Delete(o);
		return -1;
	}
	cJSON_AddItemToObject(v, "run", o);
	cJSON_AddBoolToObject(v, "can_manage", c->sess->can_manage);
	if (strcmp(r.kind, "audit") == 0) {
		char loc[64];

		cJSON_Delete(v);
		snprintf(loc, sizeof(loc), "/audits/%lld", r.id);
		return http_redirect(c->resp, 303, loc);
	}
	if (strcmp(r.kind, "deploy") == 0) {
		if (page_deploy_items_view(c, &r, v) < 0) {
			cJSON_Delete(v);
			return -1;
		}
		snprintf(title, sizeof(title), "Deployment to %s", r.portal_name);
		return page_render(c, 200, "deployment", title, v);
	}
	snprintf(title, sizeof(title), "Import of %s", r.portal_name);
	return page_render(c, 200, "run", title, v);
}
