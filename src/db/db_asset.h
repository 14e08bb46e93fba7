/*
 * db_asset: the organisation's asset library -- custom property groups and
 * custom properties imported from portals, with every version kept.
 * Return contract as in db.h.
 */
#ifndef JS_DB_ASSET_H
#define JS_DB_ASSET_H

#include "db.h"

/* Where one object type's assets of an import came from. */
struct asset_batch {
	long long org_id, source_hub_id, source_portal_id, run_id;
	const char *object_type; /* contacts, companies, deals, tickets */
};

/* What an import read of one group or property. */
struct asset_in {
	const char *kind; /* group, property */
	const char *name, *label, *group_name, *type, *field_type;
	const char *options;	 /* JSON array text */
	const char *definition;	 /* JSON object text: HubSpot's whole answer */
	const char *fingerprint; /* what decides "changed" (asset_fingerprint) */
};

/* What db_asset_put_many did: the assets given, and those it marked gone. */
struct asset_counts {
	long n_new, changed, unchanged, gone;
};

/* Add each of the n assets of batch b, or store a new version of one whose
 * fingerprint changed, or note it was seen (an asset marked gone comes
 * back); mark gone the batch's (organisation, hub, object type) assets
 * not among them.  One statement, which locks those rows first.  Of a kind
 * and name given twice the last counts.  1 with *counts, or -1 (call
 * inside a transaction, which the caller rolls back on -1). */
int db_asset_put_many(struct db *db, const struct asset_batch *b, const struct asset_in *a, int n,
		      struct asset_counts *counts);

#define ASSET_FETCH	51
#define ASSET_PAGE_ROWS (ASSET_FETCH - 1)

struct asset_query {
	const char *q;		 /* search in label and name; "" none */
	const char *object_type; /* "" all */
	long long source_hub;	 /* 0 all */
	long long after;	 /* the asset the page starts after; 0 first */
	const char *tz;		 /* the IANA zone of the rows' times; NULL UTC */
};

struct asset_row {
	long long id, source_hub_id, source_portal_id;
	char object_type[16], kind[16];
	char name[256], label[512], group_name[256], type[32], field_type[32];
	int version;
	int gone;	    /* not in HubSpot at the last import */
	int source_removed; /* its portal was removed from Client Accounts */
	char source_name[256];
	char last_imported[32]; /* local_iso() in the zone the call named */
};

/* A page of org's library: up to ASSET_FETCH rows into out (room for
 * ASSET_FETCH); *n rows.  1 or -1. */
int db_asset_list(struct db *db, long long org, const struct asset_query *q,
		  struct asset_row *out, int *n);
/* One asset of org, its time in zone tz.  1, 0 not found. */
int db_asset_get(struct db *db, long long org, long long id, const char *tz, struct asset_row *out);

struct asset_version {
	int version;
	char label[512], group_name[256], type[32], field_type[32];
	char *options;	  /* JSON text, malloc'd */
	char *definition; /* JSON text, malloc'd */
	char created[32]; /* local_iso() in the zone the call named */
	long long run_id;
};
/* Every version of asset id (of org), newest first, times in zone tz:
 * *out (free with db_asset_versions_free), *n.  1 or -1. */
int db_asset_versions(struct db *db, long long org, long long id, const char *tz,
		      struct asset_version **out, int *n);
void db_asset_versions_free(struct asset_version *v, int n);

/* The portals org's assets came from (for the filter): hub ids and names,
 * at most max.  1 or -1. */
struct asset_source {
	long long hub_id;
	char name[256];
};
int db_asset_sources(struct db *db, long long org, struct asset_source *out, int max, int *n);

#endif
