/*
 * asset: fingerprints and the diff of assets.  See asset.h.
 */
#include "asset.h"

#include <cJSON.h>
#include <string.h>

const char *const asset_object_types[ASSET_OBJECT_TYPES] = {"contacts", "companies", "deals",
							    "tickets"};

static cJSON *options_array(const struct hs_property *p)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a != NULL && i < p->noptions; i++) {
		const struct hs_property_option *o = &p->options[i];
		cJSON *e = cJSON_CreateObject();

		if (e == NULL || !cJSON_AddItemToArray(a, e)) {
			cJSON_Delete(e);
			cJSON_Delete(a);
			return NULL;
		}
		cJSON_AddStringToObject(e, "label", o->label ? o->label : "");
		cJSON_AddStringToObject(e, "value", o->value ? o->value : "");
		cJSON_AddStringToObject(e, "description", o->description ? o->description : "");
		cJSON_AddNumberToObject(e, "displayOrder", o->display_order);
		cJSON_AddBoolToObject(e, "hidden", o->hidden);
	}
	return a;
}

/* Print o unformatted onto out and delete it.  0 or -1. */
static int emit(cJSON *o, struct buf *out)
{
	char *s = o ? cJSON_PrintUnformatted(o) : NULL;
	int rc = -1;

	if (s != NULL) {
		buf_puts(out, s);
		rc = out->overflow || out->oom ? -1 : 0;
		cJSON_free(s);
	}
	cJSON_Delete(o);
	return rc;
}

int asset_property_options(const struct hs_property *p, struct buf *out)
{
	return emit(options_array(p), out);
}

int asset_property_fingerprint(const struct hs_property *p, struct buf *out)
{
	cJSON *o = cJSON_CreateObject(), *opts = options_array(p);

	if (o == NULL || opts == NULL) {
		cJSON_Delete(o);
		cJSON_Delete(opts);
		return -1;
	}
	cJSON_AddStringToObject(o, "label", p->label ? p->label : "");
	cJSON_AddStringToObject(o, "description", p->description ? p->description : "");
	cJSON_AddStringToObject(o, "groupName", p->group_name ? p->group_name : "");
	cJSON_AddStringToObject(o, "type", p->type ? p->type : "");
	cJSON_AddStringToObject(o, "fieldType", p->field_type ? p->field_type : "");
	cJSON_AddNumberToObject(o, "displayOrder", p->display_order);
	cJSON_AddBoolToObject(o, "hidden", p->hidden);
	cJSON_AddItemToObject(o, "options", opts);
	return emit(o, out);
}

int asset_group_fingerprint(const struct hs_group *g, struct buf *out)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return -1;
	cJSON_AddStringToObject(o, "label", g->label ? g->label : "");
	cJSON_AddNumberToObject(o, "displayOrder", g->display_order);
	return emit(o, out);
}

unsigned asset_diff(const char *old_fingerprint, const char *new_fingerprint)
{
	static const struct {
		const char *key;
		unsigned bit;
	} fields[] = {{"label", ASSET_F_LABEL},	     {"description", ASSET_F_DESCRIPTION},
		      {"groupName", ASSET_F_GROUP},	     {"type", ASSET_F_TYPE},
		      {"fieldType", ASSET_F_FIELD_TYPE}, {"options", ASSET_F_OPTIONS},
		      {"displayOrder", ASSET_F_ORDER},  {"hidden", ASSET_F_HIDDEN}};
	cJSON *a = cJSON_Parse(old_fingerprint ? old_fingerprint : "");
	cJSON *b = cJSON_Parse(new_fingerprint ? new_fingerprint : "");
	unsigned mask = 0;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const cJSON *x = cJSON_GetObjectItemCaseSensitive(a, fields[i].key);
		const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, fields[i].key);

		if (a == NULL || b == NULL || (x == NULL) != (y == NULL) ||
		    (x != NULL && !cJSON_Compare(x, y, 1)))
			mask |= fields[i].bit;
	}
	cJSON_Delete(a);
	cJSON_Delete(b);
	return mask;
}
