/*
 * asset: what an import keeps of a HubSpot property or property group, and
 * what decides whether a re-import found it changed.  Pure (no database,
 * no network).
 *
 * The fingerprint is canonical JSON of the fields a deployment would carry
 * (label, description, group, type, field type, display order, hidden, and
 * the options in order with their label, value, description, display order
 * and hidden flag), so that HubSpot's bookkeeping (updatedAt,
 * modificationMetadata) never makes a new version.
 */
#ifndef JS_ASSET_H
#define JS_ASSET_H

#include "buf.h"
#include "hs.h"

/* The object types an import reads, in order (its steps). */
#define ASSET_OBJECT_TYPES 4
extern const char *const asset_object_types[ASSET_OBJECT_TYPES];

/* Append p's fingerprint / options (a JSON array) to out.  0, or -1 (out
 * full or out of memory). */
int asset_property_fingerprint(const struct hs_property *p, struct buf *out);
int asset_property_options(const struct hs_property *p, struct buf *out);
int asset_group_fingerprint(const struct hs_group *g, struct buf *out);

/* Fields of two fingerprints that differ, as a mask of enum asset_field
 * (0: the same).  Unparsable input counts as every field changed. */
enum asset_field {
	ASSET_F_LABEL = 1,
	ASSET_F_DESCRIPTION = 2,
	ASSET_F_GROUP = 4,
	ASSET_F_TYPE = 8,
	ASSET_F_FIELD_TYPE = 16,
	ASSET_F_OPTIONS = 32,
	ASSET_F_ORDER = 64,
	ASSET_F_HIDDEN = 128,
};
unsigned asset_diff(const char *old_fingerprint, const char *new_fingerprint);

#endif
