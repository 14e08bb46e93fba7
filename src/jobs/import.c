/*
 * import: the import job.  See import.h.
 */
#include "import.h"
#include "asset.h"
#include "db_activity.h"
#include "db_asset.h"
#include "db_runs.h"
#include "hs.h"
#include "log.h"
#include "refresh.h"
#include "status.h"
#include "runcall.h"
#include "tok.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


/* One run being worked: what every step needs. */
struct work {
	struct db *db;
	const struct job_row *j;
	struct run_row run;
	struct job_portal portal;
	struct runcall rc;
	long counted; /* HubSpot calls already counted on the run */
	char *why;
	size_t whylen;
};

/* Finish the run (state, why) with its activity entry, inside the
 * caller's transaction.  0, or -1 (database). */
static int finish_tx(struct work *w, const char *state, const char *code, const char *message,
		     const struct hs_error *err)
{
	char entry[1200];
	int rc;

	rc = db_runs_finish(w->db, w->run.id, state, code, message, err ? err->category : "",
			    err ? err->correlation_id : "");
	if (rc < 0)
		return -1;
	if (rc == 1) {
		struct run_row r;

		if (db_runs_get(w->db, 0, w->run.id, NULL, &r) < 0)
			return -1;
		if (strcmp(state, "succeeded") == 0)
			snprintf(entry, sizeof(entry),
				 "Import finished: %ld groups and properties read, %ld new, %ld "
				 "changed, %ld unchanged, %ld gone from HubSpot.",
				 r.items_seen, r.items_new, r.items_changed, r.items_unchanged,
				 r.items_gone);
		else
			snprintf(entry, sizeof(entry), "Import failed: %s", message);
		if (db_activity_add(w->db, w->run.org_id, w->run.portal_id, 0,
				    strcmp(state, "succeeded") == 0 ? "import_finished"
								    : "import_failed",
				    entry, err && err->correlation_id[0] ? err->correlation_id : NULL) <
		    0)
			return -1;
		char id[24];

		snprintf(id, sizeof(id), "%lld", w->run.id);
		log_event(strcmp(state, "succeeded") == 0 ? LOG_INFO : LOG_WARN, NULL,
			  "import_finished", "run", id, "state", state, "code", code, NULL);
	}
	return 0;
}

/* Finish the run in a transaction of its own.  RUN_DONE, or
 * RUN_RETRY when the database failed. */
static enum run_outcome finish(struct work *w, const char *state, const char *code,
				  const char *message, const struct hs_error *err)
{
	if (db_begin(w->db) < 0 || finish_tx(w, state, code, message, err) < 0 ||
	    db_commit(w->db) < 0)
		goto db_fail;
	return RUN_DONE;
db_fail:
	db_rollback(w->db);
	snprintf(w->why, w->whylen, "database error");
	return RUN_RETRY;
}

/* Fail on a HubSpot answer that a retry will not mend. */
static enum run_outcome hubspot_failure(struct work *w, const char *what,
					   const struct hs_error *err)
{
	char msg[600];

	if (err->kind == HS_ERR_PERMISSION)
		snprintf(msg, sizeof(msg),
			 "HubSpot refused to %s (%s%s%s). The portal's connection lacks a "
			 "permission imports need: reconnect it so that HubSpot asks for the "
			 "current scopes.",
			 what, err->category[0] ? err->category : hs_strerror(err->kind),
			 err->message[0] ? ": " : "", err->message);
	else
		snprintf(msg, sizeof(msg), "HubSpot's answer when asked to %s could not be used (%s%s%s).",
			 what, hs_strerror(err->kind), err->message[0] ? ": " : "", err->message);
	return finish(w, "failed", "hubspot", msg, err);
}

/* One read of a step: what it asked, and how it ended. */
struct read {
	struct runcall *rc; /* the job's, or the side thread's own */
	runcall_fn fn;
	struct runcall_read a;
	char what[96];
	struct hs_error err;
	enum runcall_result r;
};

static void read_init(struct read *rd, struct runcall *rc, int groups, const char *ot,
		      struct hs_groups *g, struct hs_properties *p)
{
	memset(rd, 0, sizeof(*rd));
	rd->rc = rc;
	rd->fn = groups ? runcall_read_groups : runcall_read_properties;
	rd->a = (struct runcall_read){ot, g, p};
	snprintf(rd->what, sizeof(rd->what), "read the %s %s", ot,
		 groups ? "property groups" : "properties");
}

/* The read, paced, with the one refresh-and-retry a 401 allows. */
static void *read_make(void *arg)
{
	struct read *rd = arg;

	rd->r = runcall(rd->rc, rd->what, rd->fn, &rd->a, &rd->err);
	return NULL;
}

/* 1 when the read was made; 0 the job is over or goes back to the queue
 * (*out says how). */
static int read_judge(struct work *w, struct read *rd, enum run_outcome *out)
{
	if (rd->r == RUNCALL_OK)
		return 1;
	if (runcall_gave_back(rd->rc, rd->r, w->why, w->whylen, out)) {
		w->rc.wait_ms = rd->rc->wait_ms;
		return 0;
	}
	if (rd->r == RUNCALL_FAILED) {
		*out = finish(w, "failed", rd->rc->fail_code, rd->rc->fail_message,
			      &rd->rc->fail_err);
		return 0;
	}
	*out = hubspot_failure(w, rd->what, &rd->err);
	return 0;
}

/*
 * Both reads of a step, at once when side_http allows: the groups on a
 * thread of their own (its own db of the same pool, its own copy of the
 * tokens: a 401 there refreshes as a sibling job's would), the properties
 * here.  1 both read; 0 *out says how the job ends.
 */
static int read_both(struct work *w, struct httpc *side_http, const char *ot,
		     struct hs_groups *g, struct hs_properties *p, enum run_outcome *out)
{
	struct runcall side = w->rc;
	struct read rg, rp;
	struct db sdb;
	pthread_t t;
	int ok;

	read_init(&rp, &w->rc, 0, ot, g, p);
	if (side_http != NULL) {
		db_init_like(&sdb, w->db);
		side.db = &sdb;
		side.http = side_http;
		side.calls = 0;
		memset(&side.tok, 0, sizeof(side.tok));
		read_init(&rg, &side, 1, ot, g, p);
		int made = tok_get(&sdb, w->rc.conf, w->j->portal, &side.tok) > 0 &&
			   pthread_create(&t, NULL, read_make, &rg) == 0;

		if (made) {
			read_make(&rp);
			pthread_join(t, NULL);
			w->rc.calls += side.calls;
			ok = read_judge(w, &rg, out) && read_judge(w, &rp, out);
		}
		tok_free(&side.tok);
		db_close(&sdb);
		if (made)
			return ok;
	}
	/* in turn: the groups, then the properties */
	read_init(&rg, &w->rc, 1, ot, g, p);
	read_make(&rg);
	if (!read_judge(w, &rg, out))
		return 0;
	read_make(&rp);
	return read_judge(w, &rp, out);
}

/* 1 when a custom (not HubSpot-defined) property of p is in group g. */
static int holds_custom(const struct hs_group *g, const struct hs_properties *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (!p->items[i].hubspot_defined && p->items[i].group_name != NULL &&
		    strcmp(p->items[i].group_name, g->name) == 0)
			return 1;
	return 0;
}

/* Store one object type's groups and custom properties, mark what is gone,
 * and count the step: one transaction.  0, or -1 (database; rolled back). */
static int store(struct work *w, int step, const char *ot, const struct hs_groups *g,
		 const struct hs_properties *p)
{
	size_t total = g->n + p->n, n = 0;
	struct asset_in *in = calloc(total ? total : 1, sizeof(*in));
	char **owned = calloc(2 * (total ? total : 1), sizeof(*owned));
	const struct asset_batch batch = {.org_id = w->run.org_id,
					  .source_hub_id = w->portal.hub_id,
					  .source_portal_id = w->j->portal,
					  .run_id = w->run.id,
					  .object_type = ot};
	struct asset_counts counts;
	struct buf fp, opts;
	int result = -1, rc;

	buf_init(&fp, 1 << 20);
	buf_init(&opts, 1 << 20);
	if (in == NULL || owned == NULL)
		goto out;
	/* what this object type holds of the agency's: custom properties, and
	 * the groups they live in */
	for (size_t i = 0; i < total; i++) {
		const struct hs_group *gi = i < g->n ? &g->items[i] : NULL;
		const struct hs_property *pi = gi ? NULL : &p->items[i - g->n];
		struct asset_in *a = &in[n];

		if (pi != NULL && pi->hubspot_defined)
			continue; /* HubSpot's own properties are never imported */
		if (gi != NULL && !holds_custom(gi, p))
			continue; /* HubSpot's groups carry no flag: a group is the
				   * agency's when custom properties live in it */
		buf_reset(&fp);
		buf_reset(&opts);
		if (gi != NULL) {
			a->kind = "group";
			a->name = gi->name;
			a->label = gi->label;
			a->group_name = a->type = a->field_type = "";
			a->definition = gi->json ? gi->json : "{}";
			if (asset_group_fingerprint(gi, &fp) < 0)
				goto out;
			buf_puts(&opts, "[]");
		} else {
			a->kind = "property";
			a->name = pi->name;
			a->label = pi->label;
			a->group_name = pi->group_name ? pi->group_name : "";
			a->type = pi->type;
			a->field_type = pi->field_type;
			a->definition = pi->json ? pi->json : "{}";
			if (asset_property_fingerprint(pi, &fp) < 0 ||
			    asset_property_options(pi, &opts) < 0)
				goto out;
		}
		owned[2 * n] = strdup(buf_str(&fp));
		owned[2 * n + 1] = strdup(buf_str(&opts));
		if (owned[2 * n] == NULL || owned[2 * n + 1] == NULL)
			goto out;
		a->fingerprint = owned[2 * n];
		a->options = owned[2 * n + 1];
		n++;
	}
	/* one transaction: the assets and what is gone (one statement), the
	 * step's counts with the calls made, and the run's end when this was
	 * its last step */
	if (db_begin(w->db) < 0)
		goto out;
	if (db_asset_put_many(w->db, &batch, in, (int)n, &counts) < 0)
		goto fail;
	rc = db_runs_step(w->db, w->run.id, step, (long)n, counts.n_new, counts.changed,
			  counts.unchanged, counts.gone, w->rc.calls);
	if (rc < 0 || (rc == 2 && finish_tx(w, "succeeded", "", "", NULL) < 0) ||
	    db_commit(w->db) < 0)
		goto fail;
	if (rc > 0)
		w->counted = w->rc.calls;
	result = 0;
	goto out;
fail:
	db_rollback(w->db);
out:
	for (size_t i = 0; owned != NULL && i < 2 * n + 2 && i < 2 * total; i++)
		free(owned[i]);
	free(owned);
	free(in);
	buf_free(&fp);
	buf_free(&opts);
	return result;
}

enum run_outcome import_work(struct db *db, struct httpc *http, struct httpc *side_http,
				const struct conf *conf, const struct job_row *j, char *why,
				size_t whylen, long *wait_ms)
{
	struct work w = {.db = db, .j = j, .why = why, .whylen = whylen};
	enum run_outcome result = RUN_DONE;
	int rc, type;

	*wait_ms = 0;
	why[0] = '\0';
	rc = db_runs_get(db, 0, j->run_id, NULL, &w.run);
	if (rc <= 0 || w.run.finished_at) {
		if (rc < 0)
			snprintf(why, whylen, "database error");
		return rc < 0 ? RUN_RETRY : RUN_DONE; /* gone or finished: nothing to do */
	}
	rc = db_job_portal(db, j->portal, &w.portal);
	if (rc < 0) {
		snprintf(why, whylen, "database error");
		return RUN_RETRY;
	}
	/* the status rules: no HubSpot call for a portal that is not
	 * Connected, nor for a type that does not allow imports */
	if (rc == 0 || !w.portal.connected) {
		char msg[1400];

		status_work_refusal(rc ? w.portal.name : "The portal", rc ? w.portal.status : "removed",
				    rc ? w.portal.reason_code : "", rc ? w.portal.reason : "", "import",
				    msg, sizeof(msg));
		return finish(&w, "failed", "auth", msg, NULL);
	}
	type = conf_conn_parse(w.portal.conn_type);
	if (type < 0 || !conf_conn_allows((enum conn_type)type, CONN_WORK_IMPORT)) {
		char msg[400];

		snprintf(msg, sizeof(msg), "%s is an %s connection, which allows %s, not imports.",
			 w.portal.name, conf_conn_label((enum conn_type)type),
			 conf_conn_allows_text((enum conn_type)type));
		return finish(&w, "failed", "type", msg, NULL);
	}
	/* the first of its jobs marks the run running */
	if ((strcmp(w.run.state, "running") != 0 || w.run.started_at == 0) &&
	    db_runs_start(db, w.run.id) < 0) {
		snprintf(why, whylen, "database error");
		return RUN_RETRY;
	}
	w.rc = (struct runcall){.db = db, .http = http, .conf = conf, .j = j,
				.hub_id = w.portal.hub_id, .work = "import"};
	rc = tok_get(db, conf, j->portal, &w.rc.tok);
	if (rc <= 0) {
		snprintf(why, whylen, "tokens unreadable with this key or database error");
		return RUN_RETRY;
	}
	hs_config_from_conf(conf, &w.rc.cfg);
	if (j->step >= 1 && j->step <= ASSET_OBJECT_TYPES) {
		const char *ot = asset_object_types[j->step - 1];
		struct hs_groups g = {0};
		struct hs_properties p = {0};
		if (read_both(&w, side_http, ot, &g, &p, &result)) {
			result = RUN_DONE;
			if (store(&w, j->step, ot, &g, &p) < 0) {
				snprintf(why, whylen, "database error");
				result = RUN_RETRY;
			}
		}
		hs_groups_free(&g);
		hs_properties_free(&p);
	} else {
		result = finish(&w, "failed", "internal", "This import job names no step.", NULL);
	}
	if (w.rc.calls > w.counted && db_runs_add_calls(db, w.run.id, w.rc.calls - w.counted) < 0)
		log_event(LOG_WARN, NULL, "run_calls_lost", NULL);
	*wait_ms = w.rc.wait_ms;
	tok_free(&w.rc.tok);
	return result;
}
