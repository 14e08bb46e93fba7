/*
 * deploy: the comparison of an asset with the target.  See deploy.h.
 */
#include "deploy.h"
#include "asset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *nz(const char *s)
{
	return s ? s : "";
}

static int same(const char *a, const char *b)
{
	return strcmp(nz(a), nz(b)) == 0;
}

/* "label, options" from the changed bits. */
static void changed_words(unsigned changed, char *out, size_t n)
{
	static const struct {
		unsigned bit;
		const char *word;
	} words[] = {{ASSET_F_LABEL, "label"},
		     {ASSET_F_DESCRIPTION, "description"},
		     {ASSET_F_GROUP, "group"},
		     {ASSET_F_OPTIONS, "options"}};
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (changed & words[i].bit) {
			int k = snprintf(out + len, n - len, "%s%s", len ? ", " : "", words[i].word);

			if (k < 0 || (size_t)k >= n - len)
				return;
			len += (size_t)k;
		}
}

static const struct hs_property_option *find_option(const struct hs_property *p, const char *value)
{
	for (size_t i = 0; i < p->noptions; i++)
		if (same(p->options[i].value, value))
			return &p->options[i];
	return NULL;
}

/*
 * The union of target's options and asset's into out->options: the
 * target's in their order, each taking label, description and hidden from
 * the asset's option of the same value, then the asset's options the
 * target lacks.  1 when it differs from the target's, 0 when not, -1 out
 * of memory.  The strings are borrowed from asset and target.
 */
static int options_union(const struct hs_property *asset, const struct hs_property *target,
			 struct deploy_plan *out)
{
	size_t cap = asset->noptions + target->noptions, n = 0;
	int differs = 0;

	out->options = calloc(cap ? cap : 1, sizeof(*out->options));
	if (out->options == NULL)
		return -1;
	for (size_t i = 0; i < target->noptions; i++) {
		const struct hs_property_option *t = &target->options[i];
		const struct hs_property_option *a = find_option(asset, t->value);
		struct hs_property_option *o = &out->options[n++];

		*o = *t;
		if (a != NULL) {
			if (!same(a->label, t->label) || !same(a->description, t->description) ||
			    a->hidden != t->hidden)
				differs = 1;
			o->label = a->label;
			o->description = a->description;
			o->hidden = a->hidden;
		}
	}
	for (size_t i = 0; i < asset->noptions; i++) {
		const struct hs_property_option *a = &asset->options[i];

		if (find_option(target, a->value) != NULL)
			continue;
		out->options[n] = *a;
		out->options[n].display_order = -1; /* after the target's */
		n++;
		differs = 1;
	}
	out->noptions = n;
	return differs;
}

int deploy_property(const struct hs_property *asset, const struct hs_property *target,
		    struct deploy_plan *out)
{
	int u;

	memset(out, 0, sizeof(*out));
	if (target == NULL) {
		out->action = DEPLOY_CREATE;
		return 0;
	}
	if (!same(asset->type, target->type)) {
		out->action = DEPLOY_CONFLICT;
		snprintf(out->message, sizeof(out->message),
			 "In this portal %s is a %s property; the asset is a %s property. JetStack "
			 "never changes a property's type (HubSpot would convert or lose the values "
			 "records hold): rename one of them, or change it in HubSpot.",
			 nz(target->name), nz(target->type), nz(asset->type));
		return 0;
	}
	if (!same(asset->label, target->label)) {
		out->changed |= ASSET_F_LABEL;
		out->update.label = asset->label;
	}
	/* an asset without a description never clears the target's */
	if (nz(asset->description)[0] && !same(asset->description, target->description)) {
		out->changed |= ASSET_F_DESCRIPTION;
		out->update.description = nz(asset->description);
	}
	if (!same(asset->group_name, target->group_name) && asset->group_name != NULL) {
		out->changed |= ASSET_F_GROUP;
		out->update.group_name = asset->group_name;
	}
	if (asset->noptions > 0 || target->noptions > 0) {
		u = options_union(asset, target, out);
		if (u < 0)
			return -1;
		if (u == 1) {
			out->changed |= ASSET_F_OPTIONS;
			out->update.options = out->options;
			out->update.noptions = out->noptions;
			out->update.send_options = 1;
		}
	}
	out->action = out->changed ? DEPLOY_UPDATE : DEPLOY_UNCHANGED;
	changed_words(out->changed, out->changed_text, sizeof(out->changed_text));
	return 0;
}

int deploy_group(const struct hs_group *asset, const struct hs_group *target,
		 struct deploy_plan *out)
{
	memset(out, 0, sizeof(*out));
	if (target == NULL) {
		out->action = DEPLOY_CREATE;
		return 0;
	}
	if (!same(asset->label, target->label)) {
		out->changed = ASSET_F_LABEL;
		out->update.label = asset->label;
		out->action = DEPLOY_UPDATE;
	} else {
		out->action = DEPLOY_UNCHANGED;
	}
	changed_words(out->changed, out->changed_text, sizeof(out->changed_text));
	return 0;
}

void deploy_plan_free(struct deploy_plan *p)
{
	free(p->options);
	memset(p, 0, sizeof(*p));
}
