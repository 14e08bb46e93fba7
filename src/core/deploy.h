/*
 * deploy: what a deployment does with one asset in a target portal --
 * create it, update it, leave it, or refuse it -- decided from the asset's
 * definition and what the target holds.  Pure (no database, no network).
 *
 * The rules (DESIGN §9): never delete, never change a property's type,
 * never drop an option the target has.  A property is compared on label,
 * description, group and options (by value: label, description, hidden).
 * The field type is not compared: within one type it changes how HubSpot's
 * forms show the values (one checkbox or many), which is the target's own
 * choice.  The display order of properties and options is not compared
 * either: it is how each portal arranges its screens.  An asset without a
 * description or group never clears the target's.
 */
#ifndef JS_DEPLOY_H
#define JS_DEPLOY_H

#include "hs.h"

enum deploy_action { DEPLOY_CREATE, DEPLOY_UPDATE, DEPLOY_UNCHANGED, DEPLOY_CONFLICT };

/* What to do with one asset; for DEPLOY_UPDATE, the update to send. */
struct deploy_plan {
	enum deploy_action action;
	unsigned changed;      /* enum asset_field bits of an update */
	char changed_text[80]; /* "label, options" */
	char message[400];     /* why a conflict is refused, in plain words */
	struct hs_property_update update;
	/* the options to send: the target's, each updated from the asset's
	 * option of the same value, then the asset's new ones (owned) */
	struct hs_property_option *options;
	size_t noptions;
};

/* The plan for property asset in a target where it is target (NULL: not
 * there).  0, or -1 out of memory.  Free the plan with deploy_plan_free. */
int deploy_property(const struct hs_property *asset, const struct hs_property *target,
		    struct deploy_plan *out);
/* The plan for group asset; an update changes the label only. */
int deploy_group(const struct hs_group *asset, const struct hs_group *target,
		 struct deploy_plan *out);
void deploy_plan_free(struct deploy_plan *p);

#endif
