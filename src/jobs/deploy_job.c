/*
 * deploy_job: the deployment job.  See deploy_job.h.
 */
#include "deploy_job.h"
#include "db_activity.h"
#include "db_deploy.h"
#include "db_runs.h"
#include "deploy.h"
#include "hs.h"
#include "log.h"
#include "status.h"
#include "tok.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A batch stops growing past this much definition text: HubSpot documents
 * no body limit for batch create, the simulator (like most HTTP servers)
 * refuses bodies over 1 MiB. */
#define BATCH_BODY_SOFT_MAX (256 * 1024)

/* One step being worked. */
struct dwork {
	struct db *db;
	const struct conf *conf;
	const struct job_row *j;
	struct run_row run;
	struct job_portal portal;
	struct runcall rc;
	char ot[16];
	char *why;
	size_t whylen;
};

/* An item being worked: its definition parsed, its plan. */
struct item {
	const struct deploy_work_item *w;
	int is_group;
	struct hs_property prop;
	struct hs_group group;
	struct deploy_plan plan;
};

static enum run_outcome db_failed(struct dwork *w)
{
	db_rollback(w->db);
	snprintf(w->why, w->whylen, "database error");
	return RUN_RETRY;
}

static const char *plural(long n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/*
 * Finish the run with its activity entry, in the caller's transaction:
 * state NULL derives it from the items (succeeded, partly failed, failed).
 * 0, or -1 (database).
 */
static int finish_tx(struct dwork *w, const char *state, const char *code, const char *message,
		     const struct hs_error *err)
{
	struct deploy_row d;
	char entry[1400], id[24];
	int rc;

	if (db_deploy_get(w->db, w->run.org_id, w->run.id, &d) <= 0)
		return -1;
	if (state == NULL)
		state = d.failed == 0 ? "succeeded" : d.failed >= d.items_total ? "failed"
									: "partly_failed";
	char summary[300];

	snprintf(summary, sizeof(summary),
		 "%ld created, %ld updated, %ld unchanged, %ld failed, %ld not attempted", d.created,
		 d.updated, d.unchanged, d.failed, d.pending);
	if (message == NULL || message[0] == '\0') {
		if (strcmp(state, "succeeded") == 0)
			message = "";
		else {
			snprintf(entry, sizeof(entry), "%ld of %ld %s failed: see the items below.",
				 d.failed, d.items_total, plural(d.items_total, "item", "items"));
			message = entry;
		}
	}
	rc = db_runs_finish(w->db, w->run.id, state, code ? code : (strcmp(state, "succeeded") ? "items" : ""),
			    message, err ? err->category : "", err ? err->correlation_id : "");
	if (rc < 0)
		return -1;
	if (rc == 1) {
		char text[1800];

		if (strcmp(state, "succeeded") == 0)
			snprintf(text, sizeof(text), "Deployment %lld to %s finished: %s.", w->run.id,
				 w->portal.name, summary);
		else
			snprintf(text, sizeof(text), "Deployment %lld to %.200s %s: %s. %.1000s", w->run.id,
				 w->portal.name,
				 strcmp(state, "failed") == 0 ? "failed" : "partly failed", summary,
				 message);
		if (db_activity_add(w->db, w->run.org_id, w->run.portal_id, 0,
				    strcmp(state, "succeeded") == 0 ? "deploy_finished"
								    : "deploy_failed",
				    text, err && err->correlation_id[0] ? err->correlation_id : NULL) < 0)
			return -1;
		snprintf(id, sizeof(id), "%lld", w->run.id);
		log_event(strcmp(state, "succeeded") == 0 ? LOG_INFO : LOG_WARN, NULL,
			  "deploy_finished", "run", id, "state", state, NULL);
	}
	return 0;
}

/* Record results (a transaction of its own).  0, or -1. */
static int record(struct dwork *w, const struct deploy_result *r, int n)
{
	return n == 0 ? 0 : db_deploy_record(w->db, w->run.id, r, n) < 0 ? -1 : 0;
}

/*
 * Stop the deployment: item seq (0: the first pending one) fails with
 * message and HubSpot's answer err (NULL: none), then the run fails, in one
 * transaction.  RUN_DONE, or RUN_RETRY (database).
 */
static enum run_outcome stop(struct dwork *w, int seq, const char *code, const char *message,
			     const struct hs_error *err)
{
	int rc;

	if (db_begin(w->db) < 0)
		return db_failed(w);
	if (seq == 0) {
		rc = db_deploy_first_pending(w->db, w->run.id, 0, &seq);
		if (rc < 0)
			return db_failed(w);
	}
	if (seq > 0) {
		struct deploy_result r = {.seq = seq,
					  .result = "failed",
					  .message = message,
					  .hs_status = err ? (int)err->http_status : 0,
					  .hs_category = err ? err->category : "",
					  .hs_message = err ? err->message : "",
					  .hs_correlation_id = err ? err->correlation_id : ""};

		if (record(w, &r, 1) < 0)
			return db_failed(w);
	}
	if (finish_tx(w, "failed", code, message, err) < 0 || db_commit(w->db) < 0)
		return db_failed(w);
	return RUN_DONE;
}

/* The arguments of one call. */
struct call_arg {
	const char *ot;
	const struct hs_group *group;		 /* create or update this group */
	const char *name;			 /* update this property */
	const struct hs_property_update *update; /* with this */
	const char *const *defs;		 /* create these properties */
	size_t ndefs;
	struct hs_batch_result *batch;
};

static enum hs_err c_create_group(struct runcall *rc, void *arg, struct hs_error *err)
{
	struct call_arg *a = arg;

	return hs_create_group(rc->http, &rc->cfg, rc->tok.access, a->ot, a->group->name,
			       a->group->label, a->group->display_order, err);
}

static enum hs_err c_update_group(struct runcall *rc, void *arg, struct hs_error *err)
{
	struct call_arg *a = arg;

	return hs_update_group(rc->http, &rc->cfg, rc->tok.access, a->ot, a->group->name,
			       a->group->label, err);
}

static enum hs_err c_create_properties(struct runcall *rc, void *arg, struct hs_error *err)
{
	struct call_arg *a = arg;

	hs_batch_result_free(a->batch);
	return hs_create_properties(rc->http, &rc->cfg, rc->tok.access, a->ot, a->defs, a->ndefs,
				    a->batch, err);
}

static enum hs_err c_update_property(struct runcall *rc, void *arg, struct hs_error *err)
{
	struct call_arg *a = arg;

	return hs_update_property(rc->http, &rc->cfg, rc->tok.access, a->ot, a->name, a->update,
				  err);
}

/*
 * The first call of a deployment whose portal is not Connected: with
 * tokens, one read whose answer is recorded; without, no call.  Then the
 * deployment stops.
 */
static enum run_outcome stop_at_first_call(struct dwork *w, int have_tokens)
{
	char msg[1800], refusal[1000], ans[700];
	struct hs_groups g = {0};
	struct runcall_read a = {.ot = w->ot, .g = &g};
	struct hs_error err;
	enum runcall_result r;
	long before = w->rc.calls;
	int rc = db_deploy_claim_stop(w->db, w->run.id, w->j->step);

	if (rc < 0)
		return db_failed(w);
	if (rc == 0)
		return RUN_DONE; /* another step's job stops it */
	status_write_refusal(w->portal.name, w->portal.removed ? "removed" : w->portal.status,
			     w->portal.reason_code, w->portal.reason, "deploy", refusal,
			     sizeof(refusal));
	if (!have_tokens || w->portal.removed)
		return stop(w, 0, "auth", refusal, NULL);
	memset(&err, 0, sizeof(err));
	w->rc.refreshed = 1; /* a refused refresh token is not tried again here */
	r = runcall(&w->rc, "read the property groups", runcall_read_groups, &a, &err);
	hs_groups_free(&g);
	if (r == RUNCALL_POSTPONE)
		return RUN_POSTPONE;
	if (w->rc.calls == before) { /* no call was made: the database failed */
		snprintf(w->why, w->whylen, "%s", w->rc.why);
		return RUN_RETRY;
	}
	if (r == RUNCALL_OK)
		snprintf(ans, sizeof(ans), "HubSpot answered the first call (read the %s property "
					   "groups) with HTTP %ld; no change was sent.",
			 w->ot, err.http_status ? err.http_status : 200);
	else {
		char t[600];

		runcall_answer_text(&err, t, sizeof(t));
		snprintf(ans, sizeof(ans), "First call (read the %s property groups): %s", w->ot, t);
	}
	snprintf(msg, sizeof(msg), "%s %s", refusal, ans);
	return stop(w, 0, "auth", msg, &err);
}

/*
 * Before a write: the portal must still be Connected and the run still
 * going.  1 go; 0 the job is over (*out: stopped here, or by another job);
 * with seq the item about to be written.
 */
static int may_write(struct dwork *w, int seq, enum run_outcome *out)
{
	struct job_portal now;
	struct run_row run;
	int rc = db_job_portal(w->db, w->j->portal, &now);

	if (rc < 0 || db_runs_get(w->db, 0, w->run.id, NULL, &run) < 0) {
		*out = db_failed(w);
		return 0;
	}
	if (run.finished_at) {
		*out = RUN_DONE;
		return 0;
	}
	if (rc == 1 && now.connected)
		return 1;
	rc = db_deploy_claim_stop(w->db, w->run.id, w->j->step);
	if (rc <= 0) {
		*out = rc < 0 ? db_failed(w) : RUN_DONE;
		return 0;
	}
	char refusal[1000], msg[1400];

	status_write_refusal(now.name[0] ? now.name : w->portal.name,
			     now.removed ? "removed" : now.status, now.reason_code, now.reason,
			     "deploy", refusal, sizeof(refusal));
	snprintf(msg, sizeof(msg), "Stopped before this item: %s", refusal);
	*out = stop(w, seq, "auth", msg, NULL);
	return 0;
}

/*
 * A write call's outcome that is not HubSpot's answer to judge: 1 when the
 * caller goes on (RUNCALL_OK or RUNCALL_ANSWER), else 0 with *out.
 */
static int write_went(struct dwork *w, enum runcall_result r, int seq, enum run_outcome *out)
{
	if (runcall_gave_back(&w->rc, r, w->why, w->whylen, out))
		return 0;
	if (r == RUNCALL_FAILED) {
		*out = stop(w, seq, w->rc.fail_code, w->rc.fail_message, &w->rc.fail_err);
		return 0;
	}
	return 1; /* RUNCALL_OK, RUNCALL_ANSWER */
}

/* HubSpot refused a write for want of a permission: no later write will
 * fare better, so the deployment stops. */
static enum run_outcome refused_permission(struct dwork *w, int seq, const struct hs_error *err)
{
	char msg[900], t[600];

	runcall_answer_text(err, t, sizeof(t));
	snprintf(msg, sizeof(msg),
		 "HubSpot refused to write to %s: the connection lacks a permission deployments "
		 "need (%s). Reconnect the portal so that HubSpot asks for the current scopes, "
		 "then deploy again. %.400s",
		 w->portal.name, err->category[0] ? err->category : "permission", t);
	return stop(w, seq, "hubspot", msg, err);
}

/* A failed item's result from HubSpot's answer. */
static struct deploy_result item_failed(int seq, const char *what, const struct hs_error *err,
					char *msg, size_t n)
{
	char t[600];

	runcall_answer_text(err, t, sizeof(t));
	snprintf(msg, n, "HubSpot refused to %s it. %s", what, t);
	return (struct deploy_result){.seq = seq,
				      .result = "failed",
				      .message = msg,
				      .hs_status = (int)err->http_status,
				      .hs_category = err->category,
				      .hs_message = err->message,
				      .hs_correlation_id = err->correlation_id};
}

static const struct hs_group *find_group(const struct hs_groups *g, const char *name)
{
	for (size_t i = 0; i < g->n; i++)
		if (strcmp(g->items[i].name, name) == 0)
			return &g->items[i];
	return NULL;
}

static const struct hs_property *find_property(const struct hs_properties *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->items[i].name, name) == 0)
			return &p->items[i];
	return NULL;
}

/*
 * Settle the items that need no write (unchanged, type conflicts,
 * unreadable definitions, and those a resumed job finds written), and plan
 * the rest.  0, or -1 (database or memory).
 */
static int settle(struct dwork *w, struct item *items, int n, const struct hs_groups *g,
		  const struct hs_properties *p)
{
	struct deploy_result *res = calloc((size_t)(n ? n : 1), sizeof(*res));
	int nres = 0, result = -1;

	if (res == NULL)
		return -1;
	for (int i = 0; i < n; i++) {
		struct item *it = &items[i];
		const struct deploy_work_item *x = it->w;
		struct hs_error perr;
		enum hs_err e;

		memset(&perr, 0, sizeof(perr));
		it->is_group = strcmp(x->kind, "group") == 0;
		e = it->is_group ? hs_parse_group_json(x->definition, strlen(x->definition),
						       &it->group, &perr)
				 : hs_parse_property_json(x->definition, strlen(x->definition),
							  &it->prop, &perr);
		if (e != HS_OK) {
			it->plan.action = DEPLOY_CONFLICT;
			res[nres++] = (struct deploy_result){
			    .seq = x->seq,
			    .result = "failed",
			    .message = "The asset's stored definition could not be read; import "
				       "its source portal again, then deploy it."};
			continue;
		}
		if ((it->is_group ? deploy_group(&it->group, find_group(g, x->name), &it->plan)
				  : deploy_property(&it->prop, find_property(p, x->name),
						    &it->plan)) < 0)
			goto out;
		switch (it->plan.action) {
		case DEPLOY_CONFLICT:
			res[nres++] = (struct deploy_result){.seq = x->seq,
							     .result = "failed",
							     .message = it->plan.message};
			break;
		case DEPLOY_UNCHANGED:
			/* a resumed job: what it sent before is there */
			res[nres++] = (struct deploy_result){
			    .seq = x->seq,
			    .result = strcmp(x->sent, "create") == 0   ? "created"
				      : strcmp(x->sent, "update") == 0 ? "updated"
								       : "unchanged"};
			break;
		case DEPLOY_CREATE:
		case DEPLOY_UPDATE:
			break;
		}
	}
	result = record(w, res, nres);
out:
	free(res);
	return result;
}

/* Create the missing groups, then update the changed ones. */
static int write_groups(struct dwork *w, struct item *items, int n, enum run_outcome *out)
{
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < n; i++) {
			struct item *it = &items[i];
			enum deploy_action want = pass == 0 ? DEPLOY_CREATE : DEPLOY_UPDATE;
			struct call_arg a = {.ot = w->ot, .group = &it->group};
			struct deploy_result r;
			struct hs_error err;
			char msg[900];
			enum runcall_result rr;

			if (!it->is_group || it->plan.action != want)
				continue;
			if (!may_write(w, it->w->seq, out))
				return 0;
			if (db_deploy_mark_sent(w->db, w->run.id, &it->w->seq, 1,
						want == DEPLOY_CREATE ? "create" : "update") < 0) {
				*out = db_failed(w);
				return 0;
			}
			rr = runcall(&w->rc, want == DEPLOY_CREATE ? "create a property group"
								   : "update a property group",
				     want == DEPLOY_CREATE ? c_create_group : c_update_group, &a,
				     &err);
			if (!write_went(w, rr, it->w->seq, out))
				return 0;
			if (rr == RUNCALL_OK)
				r = (struct deploy_result){
				    .seq = it->w->seq,
				    .result = want == DEPLOY_CREATE ? "created" : "updated",
				    .changed = it->plan.changed_text};
			else if (err.kind == HS_ERR_PERMISSION) {
				*out = refused_permission(w, it->w->seq, &err);
				return 0;
			} else if (want == DEPLOY_CREATE && err.http_status == 409)
				/* made meanwhile (another deployment to this portal) */
				r = (struct deploy_result){
				    .seq = it->w->seq,
				    .result = "unchanged",
				    .message = "The group was created in this portal meanwhile.",
				    .hs_status = 409,
				    .hs_category = err.category,
				    .hs_message = err.message,
				    .hs_correlation_id = err.correlation_id};
			else
				r = item_failed(it->w->seq,
						want == DEPLOY_CREATE ? "create" : "update", &err,
						msg, sizeof(msg));
			if (record(w, &r, 1) < 0) {
				*out = db_failed(w);
				return 0;
			}
		}
	return 1;
}

/* Create the missing properties, HS_BATCH_MAX at a time. */
static int create_properties(struct dwork *w, struct item *items, int n, enum run_outcome *out)
{
	const char **defs = calloc(HS_BATCH_MAX, sizeof(*defs));
	int *seqs = calloc(HS_BATCH_MAX, sizeof(*seqs));
	struct deploy_result *res = calloc(HS_BATCH_MAX, sizeof(*res));
	char (*msgs)[900] = calloc(HS_BATCH_MAX, sizeof(*msgs));
	int result = 0;

	if (defs == NULL || seqs == NULL || res == NULL || msgs == NULL) {
		*out = db_failed(w);
		goto out;
	}
	for (int i = 0; i < n;) {
		struct hs_batch_result br = {0};
		struct call_arg a = {.ot = w->ot, .batch = &br};
		struct hs_error err;
		enum runcall_result rr;
		size_t k = 0;

		size_t bytes = 0;

		/* at most HS_BATCH_MAX inputs, and a body well under a megabyte
		 * (enumerations with long option lists are large) */
		for (; i < n && k < HS_BATCH_MAX && bytes < BATCH_BODY_SOFT_MAX; i++)
			if (!items[i].is_group && items[i].plan.action == DEPLOY_CREATE) {
				bytes += strlen(items[i].w->definition);
				defs[k] = items[i].w->definition;
				seqs[k] = items[i].w->seq;
				k++;
			}
		if (k == 0)
			break;
		if (!may_write(w, seqs[0], out))
			goto out;
		if (db_deploy_mark_sent(w->db, w->run.id, seqs, (int)k, "create") < 0) {
			*out = db_failed(w);
			goto out;
		}
		a.defs = defs;
		a.ndefs = k;
		rr = runcall(&w->rc, "create properties", c_create_properties, &a, &err);
		if (!write_went(w, rr, seqs[0], out)) {
			hs_batch_result_free(&br);
			goto out;
		}
		if (rr == RUNCALL_ANSWER && err.kind == HS_ERR_PERMISSION) {
			*out = refused_permission(w, seqs[0], &err);
			goto out;
		}
		for (size_t m = 0; m < k; m++) {
			if (rr == RUNCALL_OK && m < br.n && br.items[m].ok) {
				res[m] = (struct deploy_result){.seq = seqs[m], .result = "created"};
			} else if (rr == RUNCALL_OK && m < br.n) {
				/* a 207: this input's own error, whose texts live in br */
				snprintf(msgs[m], sizeof(msgs[m]),
					 "HubSpot refused to create it. HubSpot answered %.64s%s%.600s",
					 br.items[m].category[0] ? br.items[m].category : "an error",
					 br.items[m].message[0] ? ": " : ".", br.items[m].message);
				res[m] = (struct deploy_result){
				    .seq = seqs[m],
				    .result = "failed",
				    .message = msgs[m],
				    .hs_status = 207,
				    .hs_category = br.items[m].category,
				    .hs_message = br.items[m].message,
				    .hs_correlation_id = br.correlation_id};
			} else {
				res[m] = item_failed(seqs[m], "create", &err, msgs[m], sizeof(msgs[m]));
			}
		}
		if (record(w, res, (int)k) < 0) {
			hs_batch_result_free(&br);
			*out = db_failed(w);
			goto out;
		}
		hs_batch_result_free(&br);
	}
	result = 1;
out:
	free(defs);
	free(seqs);
	free(res);
	free(msgs);
	return result;
}

/* Update the changed properties, one PATCH each. */
static int update_properties(struct dwork *w, struct item *items, int n, enum run_outcome *out)
{
	for (int i = 0; i < n; i++) {
		struct item *it = &items[i];
		struct call_arg a = {.ot = w->ot, .name = it->w->name, .update = &it->plan.update};
		struct deploy_result r;
		struct hs_error err;
		char msg[900];
		enum runcall_result rr;

		if (it->is_group || it->plan.action != DEPLOY_UPDATE)
			continue;
		if (!may_write(w, it->w->seq, out))
			return 0;
		if (db_deploy_mark_sent(w->db, w->run.id, &it->w->seq, 1, "update") < 0) {
			*out = db_failed(w);
			return 0;
		}
		rr = runcall(&w->rc, "update a property", c_update_property, &a, &err);
		if (!write_went(w, rr, it->w->seq, out))
			return 0;
		if (rr == RUNCALL_ANSWER && err.kind == HS_ERR_PERMISSION) {
			*out = refused_permission(w, it->w->seq, &err);
			return 0;
		}
		if (rr == RUNCALL_OK)
			r = (struct deploy_result){.seq = it->w->seq,
						   .result = "updated",
						   .changed = it->plan.changed_text};
		else
			r = item_failed(it->w->seq, "update", &err, msg, sizeof(msg));
		if (record(w, &r, 1) < 0) {
			*out = db_failed(w);
			return 0;
		}
	}
	return 1;
}

/* The step is done: count it; the last one finishes the run. */
static enum run_outcome step_done(struct dwork *w)
{
	int rc;

	if (db_begin(w->db) < 0)
		return db_failed(w);
	rc = db_runs_step(w->db, w->run.id, w->j->step, 0, 0, 0, 0, 0, 0);
	if (rc < 0 || (rc == 2 && finish_tx(w, NULL, NULL, NULL, NULL) < 0) ||
	    db_commit(w->db) < 0)
		return db_failed(w);
	return RUN_DONE;
}

/* Read the target, settle, write.  The step's outcome. */
static enum run_outcome work_step(struct dwork *w)
{
	struct hs_groups g = {0};
	struct hs_properties p = {0};
	struct runcall_read a = {.ot = w->ot, .g = &g, .p = &p};
	struct deploy_work_item *wi = NULL;
	struct item *items = NULL;
	struct hs_error err;
	enum run_outcome out = RUN_DONE;
	int n = 0;
	char what[96];

	/* what the target holds: the reads come first, also for a resumed job */
	for (int k = 0; k < 2; k++) {
		enum runcall_result rr;

		snprintf(what, sizeof(what), "read the %s %s", w->ot,
			 k == 0 ? "property groups" : "properties");
		rr = runcall(&w->rc, what, k == 0 ? runcall_read_groups : runcall_read_properties, &a, &err);
		if (rr == RUNCALL_ANSWER) {
			char msg[900], t[600];

			runcall_answer_text(&err, t, sizeof(t));
			snprintf(msg, sizeof(msg), "JetStack could not %s of %.200s. %.400s%s", what,
				 w->portal.name, t,
				 err.kind == HS_ERR_PERMISSION
				     ? " The connection lacks a permission deployments need: "
				       "reconnect the portal so that HubSpot asks for the current "
				       "scopes."
				     : "");
			out = stop(w, 0, "hubspot", msg, &err);
			goto out;
		}
		if (!write_went(w, rr, 0, &out))
			goto out;
	}
	if (db_deploy_work_items(w->db, w->run.id, w->j->step, &wi, &n) < 0) {
		out = db_failed(w);
		goto out;
	}
	items = calloc((size_t)(n ? n : 1), sizeof(*items));
	if (items == NULL) {
		out = db_failed(w);
		goto out;
	}
	for (int i = 0; i < n; i++)
		items[i].w = &wi[i];
	if (settle(w, items, n, &g, &p) < 0) {
		out = db_failed(w);
		goto out;
	}
	if (write_groups(w, items, n, &out) && create_properties(w, items, n, &out) &&
	    update_properties(w, items, n, &out))
		out = step_done(w);
out:
	for (int i = 0; items != NULL && i < n; i++) {
		hs_property_free(&items[i].prop);
		hs_group_free(&items[i].group);
		deploy_plan_free(&items[i].plan);
	}
	free(items);
	db_deploy_work_items_free(wi, n);
	hs_groups_free(&g);
	hs_properties_free(&p);
	return out;
}

enum run_outcome deploy_work(struct db *db, struct httpc *http, const struct conf *conf,
			     const struct job_row *j, char *why, size_t whylen, long *wait_ms)
{
	struct dwork w = {.db = db, .conf = conf, .j = j, .why = why, .whylen = whylen};
	enum run_outcome out;
	int rc, type, stop_step = 0, have_tokens;

	*wait_ms = 0;
	why[0] = '\0';
	rc = db_runs_get(db, 0, j->run_id, NULL, &w.run);
	if (rc <= 0 || w.run.finished_at) {
		if (rc < 0)
			snprintf(why, whylen, "database error");
		return rc < 0 ? RUN_RETRY : RUN_DONE; /* gone or finished: nothing to do */
	}
	rc = db_deploy_step_info(db, j->run_id, j->step, w.ot, sizeof(w.ot), &stop_step);
	if (rc < 0) {
		snprintf(why, whylen, "database error");
		return RUN_RETRY;
	}
	if (rc == 0)
		return stop(&w, 0, "internal", "This deployment job names no step.", NULL);
	if (stop_step != 0 && stop_step != j->step)
		return RUN_DONE; /* another step's job is stopping the deployment */
	rc = db_job_portal(db, j->portal, &w.portal);
	if (rc < 0) {
		snprintf(why, whylen, "database error");
		return RUN_RETRY;
	}
	if (rc == 0) {
		w.portal.removed = 1;
		snprintf(w.portal.name, sizeof(w.portal.name), "%s", w.run.portal_name);
	}
	type = conf_conn_parse(w.portal.conn_type);
	if (rc == 1 && (type < 0 || !conf_conn_allows((enum conn_type)type, CONN_WORK_DEPLOY))) {
		char msg[400];

		snprintf(msg, sizeof(msg), "%s is an %s connection, which allows %s, not deployments.",
			 w.portal.name, conf_conn_label((enum conn_type)type),
			 conf_conn_allows_text((enum conn_type)type));
		return stop(&w, 0, "type", msg, NULL);
	}
	if (db_runs_start(db, w.run.id) < 0) {
		snprintf(why, whylen, "database error");
		return RUN_RETRY;
	}
	w.rc = (struct runcall){.db = db, .http = http, .conf = conf, .j = j,
				.hub_id = w.portal.hub_id, .work = "deploy", .writes = 1};
	hs_config_from_conf(conf, &w.rc.cfg);
	have_tokens = 0;
	if (rc == 1 && !w.portal.removed) {
		int t = tok_get(db, conf, j->portal, &w.rc.tok);

		if (t < 0) {
			snprintf(why, whylen, "tokens unreadable with this key or database error");
			return RUN_RETRY;
		}
		have_tokens = t == 1;
	}
	if (!w.portal.connected || !have_tokens || stop_step == j->step)
		out = stop_at_first_call(&w, have_tokens);
	else
		out = work_step(&w);
	/* the calls of this job, whatever came of it (a stop, a retry) */
	if (db_runs_add_calls(db, w.run.id, w.rc.calls) < 0)
		log_event(LOG_WARN, NULL, "run_calls_lost", NULL);
	*wait_ms = w.rc.wait_ms;
	tok_free(&w.rc.tok);
	return out;
}
