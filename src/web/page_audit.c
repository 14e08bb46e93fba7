/*
 * page_audit: audits -- starting one (POST /portals/{id}/audits, refused
 * with a 409 page that says why while the portal is not Connected or its
 * type does not allow audits), the report (/audits/{id}: counts by
 * severity, findings grouped by severity then rule, new and resolved since
 * the previous audit; it follows the audit while it runs), its CSV
 * (/audits/{id}/findings.csv), the organisation's audits (/audits) and its
 * Super Admin limit (POST /audits/limit, owners and admins).
 */
#include "audit.h"
#include "conf.h"
#include "csv.h"
#include "db_activity.h"
#include "db_audit.h"
#include "db_job.h"
#include "db_portal.h"
#include "db_runs.h"
#include "log.h"
#include "pages.h"
#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AUDIT_LIST_FETCH 51
#define AUDIT_LIST_ROWS	 (AUDIT_LIST_FETCH - 1)

int page_audit_allowed(const char *conn_type)
{
	int t = conf_conn_parse(conn_type);

	return t >= 0 && conf_conn_allows((enum conn_type)t, CONN_WORK_AUDIT);
}

int page_audit_post(struct ctx *c)
{
	struct portal_ref p;
	struct job_portal jp;
	char msg[1600], loc[64], entry[400];
	long long run;
	int rc, t;

	rc = db_portal_find(c->db, c->sess->org_id, c->req->path_id, 0, &p);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return page_error(c, 404, "Portal not found",
				  "There is no such portal in your organisation. Nothing was started.");
	t = conf_conn_parse(p.conn_type);
	if (!page_audit_allowed(p.conn_type)) {
		snprintf(msg, sizeof(msg),
			 "%s is connected as %s, which allows %s. Audits need a Config + Audit or "
			 "Audit Only connection. Nothing was started.",
			 p.name, conf_conn_label((enum conn_type)t),
			 conf_conn_allows_text((enum conn_type)t));
		return page_error(c, 409, "Audits are not allowed for this portal", msg);
	}
	if (strcmp(p.status, status_key(STATUS_CONNECTED)) != 0) {
		if (db_job_portal(c->db, p.id, &jp) <= 0)
			return -1;
		status_work_refusal(p.name, jp.status, jp.reason_code, jp.reason, "audit", msg,
				    sizeof(msg));
		snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
			 " Audits cannot be started while the portal is not Connected: nothing was "
			 "started.");
		log_event(LOG_INFO, c->req->id, "audit_refused_not_connected", NULL);
		return page_error(c, 409, "The audit cannot be started", msg);
	}
	if (db_begin(c->db) < 0)
		return -1;
	if (db_audit_create(c->db, c->sess->org_id, p.id, p.hub_id, c->sess->user_id, &run) < 0)
		goto fail;
	snprintf(entry, sizeof(entry), "Audit %lld started by %s.", run, c->sess->email);
	if (db_activity_add(c->db, c->sess->org_id, p.id, c->sess->user_id, "audit_started", entry,
			    NULL) < 0 ||
	    db_commit(c->db) < 0)
		goto fail;
	log_event(LOG_INFO, c->req->id, "audit_queued", NULL);
	snprintf(loc, sizeof(loc), "/audits/%lld", run);
	return http_redirect(c->resp, 303, loc);
fail:
	db_rollback(c->db);
	return -1;
}

/* The run of an audit of org, or a 404 page (*answered).  1 found. */
static int load(struct ctx *c, struct run_row *r, struct audit_row *a, int *answered)
{
	int rc = db_runs_get(c->db, c->sess->org_id, c->req->path_id, c->sess->tz, r);

	*answered = 0;
	if (rc > 0 && strcmp(r->kind, "audit") == 0)
		rc = db_audit_get(c->db, c->sess->org_id, r->id, a);
	else if (rc > 0)
		rc = 0;
	if (rc < 0)
		return -1;
	if (rc == 0) {
		*answered = 1;
		return page_error(c, 404, "Audit not found",
				  "There is no such audit in your organisation.");
	}
	return 1;
}

static cJSON *finding_view(const struct audit_finding_row *f)
{
	cJSON *o = cJSON_CreateObject();
	int rule = audit_rule_parse(f->rule);

	cJSON_AddStringToObject(o, "object_type", f->object_type);
	cJSON_AddStringToObject(o, "key", f->key);
	cJSON_AddStringToObject(o, "label", f->label);
	cJSON_AddStringToObject(o, "detail", f->detail);
	cJSON_AddBoolToObject(o, "is_new", f->is_new);
	cJSON_AddBoolToObject(o, "is_user", strcmp(f->object_type, "user") == 0);
	cJSON_AddBoolToObject(o, "is_portal", strcmp(f->object_type, "portal") == 0);
	cJSON_AddStringToObject(o, "rule_title", rule >= 0 ? audit_rules[rule].title : f->rule);
	cJSON_AddStringToObject(o, "severity", f->severity);
	{
		int sv = audit_severity_parse(f->severity);

		cJSON_AddStringToObject(o, "severity_label",
					sv >= 0 ? audit_severity_label((enum audit_severity)sv)
						: f->severity);
	}
	return o;
}

/* The findings grouped: severities in order, each with its rules in order,
 * each with its findings. */
static void group_findings(cJSON *v, const struct audit_finding_row *f, int n)
{
	cJSON *sevs = cJSON_AddArrayToObject(v, "severities");

	for (int s = 0; s < AUDIT_SEVERITY__MAX; s++) {
		const char *key = audit_severity_key((enum audit_severity)s);
		cJSON *so = NULL, *rules = NULL, *ro = NULL, *list = NULL;
		const char *cur = "";
		int count = 0;

		for (int i = 0; i < n; i++) {
			int rule;

			if (strcmp(f[i].severity, key) != 0)
				continue;
			if (so == NULL) {
				so = cJSON_CreateObject();
				cJSON_AddStringToObject(so, "key", key);
				cJSON_AddStringToObject(so, "label", audit_severity_label(
									 (enum audit_severity)s));
				rules = cJSON_AddArrayToObject(so, "rules");
				cJSON_AddItemToArray(sevs, so);
			}
			if (strcmp(cur, f[i].rule) != 0) {
				rule = audit_rule_parse(f[i].rule);
				ro = cJSON_CreateObject();
				cJSON_AddStringToObject(ro, "id", f[i].rule);
				cJSON_AddStringToObject(ro, "title",
							rule >= 0 ? audit_rules[rule].title : f[i].rule);
				cJSON_AddStringToObject(ro, "explanation",
							rule >= 0 ? audit_rules[rule].explanation : "");
				cJSON_AddStringToObject(ro, "fix", rule >= 0 ? audit_rules[rule].fix : "");
				list = cJSON_AddArrayToObject(ro, "findings");
				cJSON_AddItemToArray(rules, ro);
				cur = f[i].rule;
			}
			cJSON_AddItemToArray(list, finding_view(&f[i]));
			count++;
		}
		if (so != NULL) {
			cJSON_AddNumberToObject(so, "count", count);
			cJSON_AddStringToObject(so, "count_word", count == 1 ? "finding" : "findings");
		}
	}
}

int page_audit_get(struct ctx *c)
{
	struct run_row r;
	struct audit_row a;
	struct audit_finding_row *f = NULL, *gone = NULL;
	cJSON *v = NULL, *o;
	int nf = 0, ng = 0, answered, rc, limit = 3, out = -1;
	char title[320], b[64];

	rc = load(c, &r, &a, &answered);
	if (rc <= 0 || answered)
		return rc < 0 ? -1 : 0;
	if (a.completed &&
	    (db_audit_findings(c->db, c->sess->org_id, r.id, 0, &f, &nf) < 0 ||
	     (a.previous_run_id &&
	      db_audit_findings(c->db, c->sess->org_id, r.id, 1, &gone, &ng) < 0)))
		goto done;
	if (db_audit_limit(c->db, c->sess->org_id, &limit) < 0)
		goto done;
	v = cJSON_CreateObject();
	o = page_run_view(&r);
	if (v == NULL || o == NULL) {
		cJSON_Delete(o);
		goto done;
	}
	cJSON_AddItemToObject(v, "run", o);
	cJSON_AddBoolToObject(v, "can_manage", c->sess->can_manage);
	o = cJSON_AddObjectToObject(v, "audit");
	cJSON_AddBoolToObject(o, "completed", a.completed);
	cJSON_AddStringToObject(o, "read_types", a.read_object_types[0] ? a.read_object_types
									  : "nothing");
	cJSON_AddNumberToObject(o, "users_read", a.users_read);
	cJSON_AddBoolToObject(o, "users_were_read", a.users_read >= 0);
	cJSON_AddNumberToObject(o, "limit", a.super_admin_limit);
	cJSON_AddNumberToObject(o, "org_limit", limit);
	cJSON_AddNumberToObject(o, "n_high", a.n_high);
	cJSON_AddNumberToObject(o, "n_medium", a.n_medium);
	cJSON_AddNumberToObject(o, "n_low", a.n_low);
	cJSON_AddNumberToObject(o, "n_info", a.n_info);
	cJSON_AddNumberToObject(o, "n_total", a.n_high + a.n_medium + a.n_low + a.n_info);
	cJSON_AddNumberToObject(o, "n_new", a.n_new);
	cJSON_AddNumberToObject(o, "n_resolved", a.n_resolved);
	cJSON_AddBoolToObject(o, "has_findings", nf > 0);
	if (a.previous_run_id) {
		snprintf(b, sizeof(b), "%lld", a.previous_run_id);
		cJSON_AddStringToObject(o, "previous_id", b);
	}
	group_findings(o, f, nf);
	{
		cJSON *rl = cJSON_AddArrayToObject(o, "resolved");

		for (int i = 0; i < ng; i++)
			cJSON_AddItemToArray(rl, finding_view(&gone[i]));
		cJSON_AddBoolToObject(o, "has_resolved", ng > 0);
	}
	snprintf(title, sizeof(title), "Audit of %s", r.portal_name);
	out = page_render(c, 200, "audit", title, v);
	v = NULL;
done:
	cJSON_Delete(v);
	free(f);
	free(gone);
	return out;
}

int page_audit_csv(struct ctx *c)
{
	struct run_row r;
	struct audit_row a;
	struct audit_finding_row *f = NULL;
	int nf = 0, answered, rc;
	char disp[96];

	rc = load(c, &r, &a, &answered);
	if (rc <= 0 || answered)
		return rc < 0 ? -1 : 0;
	if (!a.completed)
		return page_error(c, 409, "The audit has no findings yet",
				  "The audit is not complete: its findings can be downloaded once "
				  "it has finished.");
	if (db_audit_findings(c->db, c->sess->org_id, r.id, 0, &f, &nf) < 0)
		return -1;
	buf_reset(&c->resp->body);
	{
		const char *head[] = {"severity", "rule", "title", "object_type", "internal_name_or_user_id",
				      "label_or_email", "detail", "new_since_previous_audit"};

		for (int i = 0; i < 8; i++)
			csv_field(&c->resp->body, head[i], i == 7);
	}
	for (int i = 0; i < nf; i++) {
		int rule = audit_rule_parse(f[i].rule);

		csv_field(&c->resp->body, f[i].severity, 0);
		csv_field(&c->resp->body, f[i].rule, 0);
		csv_field(&c->resp->body, rule >= 0 ? audit_rules[rule].title : "", 0);
		csv_field(&c->resp->body, f[i].object_type, 0);
		csv_field(&c->resp->body, f[i].key, 0);
		csv_field(&c->resp->body, f[i].label, 0);
		csv_field(&c->resp->body, f[i].detail, 0);
		csv_field(&c->resp->body, a.previous_run_id ? (f[i].is_new ? "yes" : "no") : "", 1);
	}
	free(f);
	if (c->resp->body.overflow || c->resp->body.oom)
		return -1;
	c->resp->status = 200;
	c->resp->content_type = "text/csv; charset=utf-8";
	snprintf(disp, sizeof(disp), "attachment; filename=\"audit-%lld-findings.csv\"", r.id);
	return http_add_header(c->resp, "Content-Disposition", disp);
}

int page_audits_get(struct ctx *c)
{
	struct run_row *rows = malloc(AUDIT_LIST_FETCH * sizeof(*rows));
	cJSON *v = NULL, *list;
	int n = 0, limit = 3, out = -1;

	if (rows == NULL)
		return -1;
	if (db_runs_list(c->db, c->sess->org_id, c->args.portal, "audit", c->args.before,
			 c->sess->tz, rows, AUDIT_LIST_FETCH, &n) < 0 ||
	    db_audit_limit(c->db, c->sess->org_id, &limit) < 0)
		goto done;
	v = cJSON_CreateObject();
	if (v == NULL)
		goto done;
	list = cJSON_AddArrayToObject(v, "audits");
	for (int i = 0; i < n && i < AUDIT_LIST_ROWS; i++)
		cJSON_AddItemToArray(list, page_run_view(&rows[i]));
	cJSON_AddNumberToObject(v, "limit", limit);
	if (n > AUDIT_LIST_ROWS) {
		char href[96];

		snprintf(href, sizeof(href), "/audits?before=%lld", rows[AUDIT_LIST_ROWS - 1].id);
		cJSON_AddStringToObject(v, "next_href", href);
	}
	out = page_render(c, 200, "audits", "Audits", v);
	v = NULL;
done:
	cJSON_Delete(v);
	free(rows);
	return out;
}

int page_audit_limit_post(struct ctx *c)
{
	const char *s = req_form(c->req, "super_admin_limit");
	long limit = s ? strtol(s, NULL, 10) : 0; /* valid_small_count */
	char msg[160];

	if (limit < 1 || limit > 100)
		return page_error(c, 400, "Not a valid limit",
				  "The Super Admin limit is a number from 1 to 100. Nothing was "
				  "changed.");
	snprintf(msg, sizeof(msg),
		 "Audits now report more than %ld Super Admins on a portal (from the next audit).",
		 limit);
	{
		/* an organisation setting: its entry in the activity log, in the
		 * same transaction */
		char entry[400];

		snprintf(entry, sizeof(entry), "Super Admin limit of audits set to %ld by %s.",
			 limit, c->sess->email);
		if (db_begin(c->db) < 0 ||
		    db_audit_set_limit(c->db, c->sess->org_id, (int)limit) < 0 ||
		    db_activity_add(c->db, c->sess->org_id, 0, c->sess->user_id,
				    "audit_limit_changed", entry, NULL) < 0 ||
		    db_commit(c->db) < 0) {
			db_rollback(c->db);
			return -1;
		}
	}
	page_flash(c, msg);
	return http_redirect(c->resp, 303, "/audits");
}
