/*
 * db_asset: the organisation's asset library -- custom property groups and
 * custom properties imported from portals, with every version kept.
 * Return contract as in db.h.
 */
#ifndef JS_DB_ASSET_H
#define JS_DB_ASSET_H

#include "db.h"

/* What an import read of one group or property. */
struct asset_in {
	long long org_id, source_hub_id, source_portal_id, run_id;
	const char *object_type; /* contacts, companies, deals, tickets */
	const char *kind;	 /* group, property */
	const char *name, *label, *group_name, *type, *field_type;
	const char *options;	 /* JSON array text */
	const char *definition;	 /* JSON object text: HubSpot's whole answer */
	const char *fingerprint; /* what decides "changed" (asset_fingerprint) */
};

enum asset_outcome { ASSET_NEW, ASSET_CHANGED, ASSET_UNCHANGED };

/* Add the asset, or store a new version when its fingerprint changed, or
 * note it was seen.  An asset marked gone comes back.  1 with *outcome, or
 * -1. */
int db_asset_put(struct db *db, const struct asset_in *a, enum asset_outcome *outcome);
/* The same for n assets in one round trip: outcome[i] for a[i].  1 or -1
 * (call inside a transaction, which the caller rolls back on -1). */
int db_asset_put_many(struct db *db, const struct asset_in *a, int n, enum asset_outcome *outcome);
/* Mark gone the assets of (org, hub, object type) this run did not see;
 * *gone gets how many.  1 or -1. */
int db_asset_mark_gone(struct db *db, long long org, long long hub, const char *object_type,
		       long long run, long *gone);

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
