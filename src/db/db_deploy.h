/*
 * db_deploy: deployments -- library assets put into a target portal.  A
 * deployment is a run of kind "deploy" (db_runs.h) whose portal is the
 * target; its items are the assets chosen, each with its result.  The
 * worker works one object type per job (the run's steps).  Return contract
 * as in db.h.
 */
#ifndef JS_DB_DEPLOY_H
#define JS_DB_DEPLOY_H

#include "db.h"

/* The most items one deployment may hold; a bigger choice is refused with
 * a request to narrow it. */
#define DEPLOY_ITEMS_MAX 2000
/* The most ticked assets one form may carry. */
#define DEPLOY_IDS_MAX 500

/*
 * How the assets were chosen: the ticked ids (n_ids > 0), else the
 * library's filter (as struct asset_query: q, object_type, source_hub).
 * The groups the chosen properties live in come along (from the same
 * source portal), so that a property never fails for want of its group.
 * Two chosen assets of one name and object type (from two source
 * portals) deploy once: the most recently imported.
 */
struct deploy_selection {
	const long long *asset_ids;
	int n_ids;
	const char *q;		 /* "" none */
	const char *object_type; /* "" all */
	long long source_hub;	 /* 0 all */
};

/* What a selection holds, per object type and kind. */
struct deploy_preview {
	long items;		      /* groups and properties to deploy */
	long chosen;		      /* of the assets chosen (ticked ids found) */
	long groups, properties;      /* of which */
	long per_type[4];	      /* contacts, companies, deals, tickets */
	char sample[10][512];	      /* the first labels, in the order of work */
	int nsample;
};
/* 1 with *out (items 0: the selection is empty), or -1. */
int db_deploy_preview(struct db *db, long long org, const struct deploy_selection *sel,
		      struct deploy_preview *out);

/* A portal a deployment may target (Config Only, Config + Audit; not
 * removed), with its status to show beside it. */
struct deploy_target {
	long long id, hub_id;
	char name[256];
	char status[24];
	char reason_code[24];
	char conn_type[16];
};
/* org's portals that allow deployments, by name, at most max.  1 or -1. */
int db_deploy_targets(struct db *db, long long org, struct deploy_target *out, int max, int *n);
/* The organisation's cap on targets per deployment.  1 with *cap, or -1. */
int db_deploy_targets_max(struct db *db, long long org, int *cap);
/* Set it (1..1000).  1, 0 no such organisation, -1. */
int db_deploy_set_targets_max(struct db *db, long long org, int cap);

/*
 * Queue the deployment of sel to portal (of org), started by user: one run
 * with its items and one job per object type, in the caller's transaction
 * (one per target; the caller commits them together).  selection_words says
 * how the assets were chosen ("2 assets ticked", "Contacts matching
 * 'lead'").  1 with *run and *items, 0 the selection is empty, or -1.
 */
int db_deploy_create(struct db *db, long long org, long long portal, long long hub,
		     long long user, const struct deploy_selection *sel,
		     const char *selection_words, long long *run, long *items);

/* A deployment's own facts (its run is in struct run_row). */
struct deploy_row {
	long long run_id, target_hub_id;
	char selection[300];
	long items_total;
	long pending, created, updated, unchanged, failed; /* items by result */
};
/* The deployment of run id (of org).  1, 0 not found (or not a
 * deployment), -1. */
int db_deploy_get(struct db *db, long long org, long long run, struct deploy_row *out);

/* One item as its page shows it. */
struct deploy_item_row {
	int seq;
	long long asset_id;
	int asset_version;
	char object_type[16], kind[16], name[256], label[512];
	char result[16];  /* pending, created, updated, unchanged, failed */
	char changed[80]; /* "label, options" */
	char message[600];
	int hs_status;
	char hs_category[64], hs_message[600], hs_correlation_id[80];
	long long done_at; /* Unix seconds; 0 pending */
};
#define DEPLOY_ITEM_FETCH 101
#define DEPLOY_ITEM_PAGE  (DEPLOY_ITEM_FETCH - 1)
/* Items of run (of org) with result ("" all), after seq after, in order of
 * work: up to max into out.  1 or -1. */
int db_deploy_items(struct db *db, long long org, long long run, const char *result, int after,
		    struct deploy_item_row *out, int max, int *n);

/* ---- the worker's side ---- */

/* The step's object type and who stops the deployment.  1, 0 no such
 * deployment or step, -1. */
int db_deploy_step_info(struct db *db, long long run, int step, char *object_type, size_t n,
			int *stop_step);

/* A pending item to work, with the definition of the version chosen. */
struct deploy_work_item {
	int seq;
	char kind[16];
	char name[256];
	char label[512];
	char sent[8];	  /* "", "create", "update": a write was sent before */
	char *definition; /* HubSpot's JSON of the property or group, malloc'd */
};
/* The pending items of step, in order: *out (free with
 * db_deploy_work_items_free), *n.  1 or -1. */
int db_deploy_work_items(struct db *db, long long run, int step, struct deploy_work_item **out,
			 int *n);
void db_deploy_work_items_free(struct deploy_work_item *v, int n);

/* Note that a write (sent: "create" or "update") goes out for items seqs,
 * before it does.  1 or -1. */
int db_deploy_mark_sent(struct db *db, long long run, const int *seqs, int n, const char *sent);

/* An item's result. */
struct deploy_result {
	int seq;
	const char *result; /* created, updated, unchanged, failed */
	const char *changed, *message;
	int hs_status;
	const char *hs_category, *hs_message, *hs_correlation_id;
};
/* Record n results (an item already settled keeps its first result) in
 * one round trip, and count them on the run in a second, in one
 * transaction (the caller's when one is open).  1 or -1. */
int db_deploy_record(struct db *db, long long run, const struct deploy_result *r, int n);

/* The job of step asks to be the one that stops the deployment (its portal
 * is not Connected).  1 granted (also when it was already this step's),
 * 0 another step has it, -1. */
int db_deploy_claim_stop(struct db *db, long long run, int step);
/* The first pending item (of step; 0 any).  1 with *seq, 0 none, -1. */
int db_deploy_first_pending(struct db *db, long long run, int step, int *seq);

#endif
