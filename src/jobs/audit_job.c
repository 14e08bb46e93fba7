/*
 * audit_job: the audit job.  See audit_job.h.
 */
#include "audit_job.h"
#include "asset.h"
#include "audit.h"
#include "db_activity.h"
#include "db_audit.h"
#include "db_runs.h"
#include "hs.h"
#include "log.h"
#include "status.h"
#include "tok.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct awork {
	struct db *db;
	const struct conf *conf;
	const struct job_row *j;
	struct run_row run;
	struct job_portal portal;
	struct runcall rc;
	char *why;
	size_t whylen;
	/* what was read */
	struct hs_groups groups[ASSET_OBJECT_TYPES];
	struct hs_properties props[ASSET_OBJECT_TYPES];
	struct hs_users *pages;
	size_t npages;
	struct hs_roles roles;
	long counted; /* calls already added to the run */
};

/* Add the calls made since the last time to the run, so that its page
 * shows them while the audit reads. */
static void count_calls(struct awork *w)
{
	if (w->rc.calls > w->counted && db_runs_add_calls(w->db, w->run.id, w->rc.calls - w->counted) > 0)
		w->counted = w->rc.calls;
}

static enum run_outcome db_failed(struct awork *w)
{
	db_rollback(w->db);
	snprintf(w->why, w->whylen, "database error");
	return RUN_RETRY;
}

/* Fail the audit (no findings) with its activity entry.  RUN_DONE, or
 * RUN_RETRY (database). */
static enum run_outcome fail(struct awork *w, const char *code, const char *message,
			     const struct hs_error *err)
{
	char entry[1800];
	int rc;

	if (db_begin(w->db) < 0)
		return db_failed(w);
	rc = db_runs_finish(w->db, w->run.id, "failed", code, message, err ? err->category : "",
			    err ? err->correlation_id : "");
	if (rc < 0)
		return db_failed(w);
	if (rc == 1) {
		snprintf(entry, sizeof(entry), "Audit %lld failed: %.1600s", w->run.id, message);
		if (db_activity_add(w->db, w->run.org_id, w->run.portal_id, 0, "audit_failed", entry,
				    err && err->correlation_id[0] ? err->correlation_id : NULL) < 0)
			return db_failed(w);
	}
	if (db_commit(w->db) < 0)
		return db_failed(w);
	return RUN_DONE;
}

/* Before each call: still Connected?  1 go, 0 stopped (*out). */
static int may_call(struct awork *w, enum run_outcome *out)
{
	struct job_portal now;
	char refusal[1100], msg[1400];
	int rc = db_job_portal(w->db, w->j->portal, &now);

	if (rc < 0) {
		*out = db_failed(w);
		return 0;
	}
	if (rc == 1 && now.connected)
		return 1;
	status_work_refusal(rc ? now.name : w->portal.name, rc && !now.removed ? now.status : "removed",
			    now.reason_code, now.reason, "audit", refusal, sizeof(refusal));
	snprintf(msg, sizeof(msg), "Stopped before its next HubSpot call, with no findings: %s",
		 refusal);
	*out = fail(w, "auth", msg, NULL);
	return 0;
}

/* One read; 1 read, 0 the job is over or goes back to the queue (*out). */
static int call(struct awork *w, const char *what, runcall_fn fn, void *arg,
		enum run_outcome *out)
{
	struct hs_error err;
	char msg[1200], t[600];

	if (!may_call(w, out))
		return 0;
	enum runcall_result r = runcall(&w->rc, what, fn, arg, &err);

	if (r == RUNCALL_OK)
		return 1;
	if (runcall_gave_back(&w->rc, r, w->why, w->whylen, out))
		return 0;
	if (r == RUNCALL_FAILED) {
		*out = fail(w, w->rc.fail_code, w->rc.fail_message, &w->rc.fail_err);
		return 0;
	}
	runcall_answer_text(&err, t, sizeof(t));
	snprintf(msg, sizeof(msg), "The audit could not %s. %s%s", what, t,
		 err.kind == HS_ERR_PERMISSION
		     ? " The connection lacks a permission audits need: reconnect the portal so "
		       "that HubSpot asks for the current scopes."
		     : "");
	*out = fail(w, "hubspot", msg, &err);
	return 0;
}

struct users_arg {
	const char *after;
	struct hs_users *page;
};

static enum hs_err c_list_users(struct runcall *rc, void *arg, struct hs_error *err)
{
	struct users_arg *a = arg;

	hs_users_free(a->page);
	return hs_list_users(rc->http, &rc->cfg, rc->tok.access, a->after, HS_USERS_PAGE_MAX,
			     a->page, err);
}

static enum hs_err c_get_roles(struct runcall *rc, void *arg, struct hs_error *err)
{
	struct hs_roles *r = arg;

	hs_roles_free(r);
	return hs_get_roles(rc->http, &rc->cfg, rc->tok.access, r, err);
}

/* Every user, page after page.  1 read, 0 over (*out). */
static int read_users(struct awork *w, enum run_outcome *out)
{
	size_t total = 0;

	for (;;) {
		struct hs_users *grown = realloc(w->pages, (w->npages + 1) * sizeof(*grown));
		struct users_arg a;

		if (grown == NULL) {
			*out = db_failed(w);
			return 0;
		}
		w->pages = grown;
		memset(&w->pages[w->npages], 0, sizeof(w->pages[0]));
		a.after = w->npages ? w->pages[w->npages - 1].next_after : NULL;
		a.page = &w->pages[w->npages];
		w->npages++;
		if (!call(w, "read the portal's users", c_list_users, &a, out))
			return 0;
		total += a.page->n;
		if (a.page->next_after == NULL)
			return 1;
		if (total >= AUDIT_USERS_MAX) {
			*out = fail(w, "hubspot", "The portal has more users than an audit reads "
						  "(20,000); nothing was stored.",
				    NULL);
			return 0;
		}
	}
}

/* The type's scopes, required and optional, space-separated. */
static void needed_scopes(const struct awork *w, char *out, size_t n)
{
	int t = conf_conn_parse(w->portal.conn_type);

	out[0] = '\0';
	if (t < 0)
		return;
	snprintf(out, n, "%s %s", w->conf->scopes[t] ? w->conf->scopes[t] : "",
		 w->conf->optional_scopes[t] ? w->conf->optional_scopes[t] : "");
}

/* Turn what was read into findings, store them, complete the audit. */
static enum run_outcome conclude(struct awork *w)
{
	struct audit_input in = {0};
	struct audit_findings f = {0};
	struct audit_finding_in *rows = NULL;
	struct hs_user *users = NULL;
	size_t nusers = 0;
	char needed[4096], entry[600];
	int limit = 3, rc;
	enum run_outcome out = RUN_DONE;

	for (size_t p = 0; p < w->npages; p++)
		nusers += w->pages[p].n;
	users = calloc(nusers ? nusers : 1, sizeof(*users));
	if (users == NULL || db_audit_run_limit(w->db, w->run.id, &limit) < 0) {
		out = db_failed(w);
		goto done;
	}
	nusers = 0;
	for (size_t p = 0; p < w->npages; p++)
		for (size_t k = 0; k < w->pages[p].n; k++)
			users[nusers++] = w->pages[p].users[k]; /* borrowed */
	for (int t = 0; t < ASSET_OBJECT_TYPES; t++)
		in.objects[t] = (struct audit_object){asset_object_types[t], &w->groups[t],
						      &w->props[t]};
	in.nobjects = ASSET_OBJECT_TYPES;
	in.users = users;
	in.nusers = nusers;
	in.roles = &w->roles;
	in.super_admin_limit = limit;
	in.granted_scopes = w->portal.granted_scopes;
	needed_scopes(w, needed, sizeof(needed));
	in.needed_scopes = needed;
	if (audit_check(&in, &f) < 0) {
		out = db_failed(w);
		goto done;
	}
	if (f.n > AUDIT_FINDINGS_MAX)
		f.n = AUDIT_FINDINGS_MAX;
	rows = calloc(f.n ? f.n : 1, sizeof(*rows));
	if (rows == NULL) {
		out = db_failed(w);
		goto done;
	}
	for (size_t i = 0; i < f.n; i++) {
		const struct audit_rule *r = &audit_rules[f.v[i].rule];

		rows[i] = (struct audit_finding_in){r->id,
						    audit_severity_key(r->severity),
						    (int)r->severity,
						    f.v[i].object_type,
						    f.v[i].key,
						    f.v[i].label,
						    f.v[i].detail};
	}
	if (db_begin(w->db) < 0 || db_audit_mark_users(w->db, w->run.id, (int)nusers) < 0)
		goto fail_db;
	rc = db_audit_complete(w->db, w->run.id, rows, (int)f.n);
	if (rc < 0)
		goto fail_db;
	if (rc == 1) {
		struct audit_row a;

		if (db_audit_get(w->db, w->run.org_id, w->run.id, &a) <= 0 ||
		    db_runs_finish(w->db, w->run.id, "succeeded", "", "", "", "") < 0)
			goto fail_db;
		snprintf(entry, sizeof(entry),
			 "Audit %lld finished: %zu findings (%d high, %d medium, %d low, %d "
			 "informational)%s%d new, %d resolved since the previous audit.",
			 w->run.id, f.n, a.n_high, a.n_medium, a.n_low, a.n_info,
			 a.previous_run_id ? "; " : "; first audit of the portal, ", a.n_new,
			 a.n_resolved);
		if (db_activity_add(w->db, w->run.org_id, w->run.portal_id, 0, "audit_finished",
				    entry, NULL) < 0)
			goto fail_db;
	}
	if (db_commit(w->db) < 0)
		goto fail_db;
	goto done;
fail_db:
	out = db_failed(w);
done:
	free(rows);
	free(users);
	audit_findings_free(&f);
	return out;
}

static enum run_outcome work(struct awork *w)
{
	enum run_outcome out = RUN_DONE;
	char what[96];

	for (int t = 0; t < ASSET_OBJECT_TYPES; t++) {
		struct runcall_read a = {asset_object_types[t], &w->groups[t], &w->props[t]};

		snprintf(what, sizeof(what), "read the %s property groups", asset_object_types[t]);
		if (!call(w, what, runcall_read_groups, &a, &out))
			return out;
		snprintf(what, sizeof(what), "read the %s properties", asset_object_types[t]);
		if (!call(w, what, runcall_read_properties, &a, &out))
			return out;
		if (db_audit_mark_read(w->db, w->run.id, asset_object_types[t]) < 0)
			return db_failed(w);
		count_calls(w);
	}
	if (!read_users(w, &out))
		return out;
	/* the portal's roles: a user's role ids are checked against them */
	if (!call(w, "read the portal's roles", c_get_roles, &w->roles, &out))
		return out;
	return conclude(w);
}

enum run_outcome audit_work(struct db *db, struct httpc *http, const struct conf *conf,
			    const struct job_row *j, char *why, size_t whylen, long *wait_ms)
{
	struct awork w = {.db = db, .conf = conf, .j = j, .why = why, .whylen = whylen};
	enum run_outcome out;
	int rc, type;

	*wait_ms = 0;
	why[0] = '\0';
	rc = db_runs_get(db, 0, j->run_id, NULL, &w.run);
	if (rc <= 0 || w.run.finished_at) {
		if (rc < 0)
			snprintf(why, whylen, "database error");
		return rc < 0 ? RUN_RETRY : RUN_DONE;
	}
	rc = db_job_portal(db, j->portal, &w.portal);
	if (rc < 0) {
		snprintf(why, whylen, "database error");
		return RUN_RETRY;
	}
	if (rc == 1) {
		type = conf_conn_parse(w.portal.conn_type);
		if (type < 0 || !conf_conn_allows((enum conn_type)type, CONN_WORK_AUDIT)) {
			char msg[400];

			snprintf(msg, sizeof(msg), "%s is a %s connection, which allows %s, not audits.",
				 w.portal.name, conf_conn_label((enum conn_type)type),
				 conf_conn_allows_text((enum conn_type)type));
			return fail(&w, "type", msg, NULL);
		}
	}
	if (db_runs_start(db, w.run.id) < 0) {
		snprintf(why, whylen, "database error");
		return RUN_RETRY;
	}
	w.rc = (struct runcall){.db = db, .http = http, .conf = conf, .j = j,
				.hub_id = w.portal.hub_id, .work = "audit"};
	hs_config_from_conf(conf, &w.rc.cfg);
	if (rc == 1 && w.portal.connected) {
		rc = tok_get(db, conf, j->portal, &w.rc.tok);
		if (rc < 0) {
			snprintf(why, whylen, "tokens unreadable with this key or database error");
			return RUN_RETRY;
		}
	} else {
		rc = 0;
	}
	if (rc == 0) { /* not Connected, or no tokens: no call */
		enum run_outcome o = RUN_DONE;

		if (may_call(&w, &o))
			o = fail(&w, "auth", "The portal holds no tokens: reconnect it, then audit "
					     "again. Nothing was read from HubSpot.",
				 NULL);
		return o;
	}
	out = work(&w);
	if (db_runs_add_calls(db, w.run.id, w.rc.calls - w.counted) < 0)
		log_event(LOG_WARN, NULL, "run_calls_lost", NULL);
	*wait_ms = w.rc.wait_ms;
	for (int t = 0; t < ASSET_OBJECT_TYPES; t++) {
		hs_groups_free(&w.groups[t]);
		hs_properties_free(&w.props[t]);
	}
	for (size_t p = 0; p < w.npages; p++)
		hs_users_free(&w.pages[p]);
	free(w.pages);
	hs_roles_free(&w.roles);
	tok_free(&w.rc.tok);
	return out;
}
