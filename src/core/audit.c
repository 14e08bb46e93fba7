/*
 * audit: the rules and the check.  See audit.h.
 */
#include "audit.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const struct audit_rule audit_rules[AUDIT_RULE__MAX] = {
    [AUDIT_NO_DESCRIPTION] = {"property_no_description", AUDIT_LOW,
			      "Custom property without a description",
			      "Nobody can tell from HubSpot what this property is for or who fills it "
			      "in; forms and reports built on it get misread.",
			      "In HubSpot, open Settings > Properties, find the property and write a "
			      "description of what it holds and where its values come from."},
    [AUDIT_DUPLICATE_LABEL] = {"duplicate_label", AUDIT_MEDIUM,
			       "Two properties of one object share a label",
			       "Users picking a property by its label in lists, forms, workflows and "
			       "reports cannot tell these apart and fill or read the wrong one.",
			       "Rename one of them so that every label of the object is unique (the "
			       "internal name stays as it is)."},
    [AUDIT_EMPTY_GROUP] = {"empty_group", AUDIT_LOW, "Property group with no properties",
			   "An empty group clutters the property settings and record sidebars "
			   "without holding anything.",
			   "Move properties into it, or delete the group in Settings > Properties > "
			   "Groups."},
    [AUDIT_ENUM_OPTIONS] = {"enumeration_options", AUDIT_MEDIUM,
			    "Choice property with fewer than two options, or two options with one "
			    "label",
			    "A dropdown, radio or checkbox property with a single option offers no "
			    "choice; two options with the same label look identical to users while "
			    "storing different values.",
			    "Add the missing options, or give each option a label of its own."},
    [AUDIT_SUPER_ADMINS] = {"too_many_super_admins", AUDIT_HIGH,
			    "More Super Admins than your organisation allows",
			    "Super Admins can change every setting, export all data and manage "
			    "users and billing; each extra one widens what a lost password can "
			    "expose.",
			    "In HubSpot, Settings > Users & Teams, give the users who do not need "
			    "full access a role instead of Super Admin."},
    [AUDIT_USER_NO_ROLE] = {"user_without_role", AUDIT_LOW, "User with no role",
			    "A user who is neither a Super Admin nor assigned a role has "
			    "permissions set one by one, which nobody reviews with the roles.",
			    "In HubSpot, Settings > Users & Teams, assign the user a role, or "
			    "remove the user if they no longer need access."},
    [AUDIT_EXTRA_SCOPES] = {"scopes_beyond_type", AUDIT_INFO,
			    "The connection holds permissions its type does not use",
			    "JetStack AI was granted scopes beyond what this portal's connection "
			    "type needs (for example after the type was changed). They are not "
			    "used, but they are access.",
			    "Reconnect the portal: HubSpot then asks only for the scopes the "
			    "connection type needs."},
    [AUDIT_GROUP_MISSING] = {"property_group_missing", AUDIT_MEDIUM,
			     "Custom property in a group the object does not have",
			     "The property is listed under a group HubSpot no longer shows for this "
			     "object, so users looking for it by group do not find it.",
			     "Move the property to an existing group, or create the group."},
    [AUDIT_ENUM_ALL_HIDDEN] = {"enumeration_all_hidden", AUDIT_MEDIUM,
			       "Choice property whose options are all hidden",
			       "Every option is hidden from forms and the record view, so nobody can "
			       "set a value.",
			       "Show the options that are still in use, or archive the property."},
    [AUDIT_UNKNOWN_ROLE] = {"user_unknown_role", AUDIT_LOW, "User with a role the portal no longer has",
			    "The user's role was deleted or renamed away in HubSpot, so what they "
			    "may do is no longer what any role on the portal says.",
			    "In HubSpot, Settings > Users & Teams, give the user one of the "
			    "portal's current roles."},
    [AUDIT_DUPLICATE_GROUP] = {"duplicate_group_label", AUDIT_LOW,
			       "Two property groups of one object share a label",
			       "Users cannot tell the groups apart in settings and record sidebars.",
			       "Rename one group, or move its properties into the other."},
};

static const char *const severity_keys[AUDIT_SEVERITY__MAX] = {"high", "medium", "low", "info"};
static const char *const severity_labels[AUDIT_SEVERITY__MAX] = {"High", "Medium", "Low",
								 "Informational"};

int audit_rule_parse(const char *id)
{
	for (int i = 0; i < AUDIT_RULE__MAX; i++)
		if (strcmp(audit_rules[i].id, id) == 0)
			return i;
	return -1;
}

const char *audit_severity_key(enum audit_severity s)
{
	return (unsigned)s < AUDIT_SEVERITY__MAX ? severity_keys[s] : "info";
}

const char *audit_severity_label(enum audit_severity s)
{
	return (unsigned)s < AUDIT_SEVERITY__MAX ? severity_labels[s] : "Informational";
}

int audit_severity_parse(const char *key)
{
	for (int i = 0; i < AUDIT_SEVERITY__MAX; i++)
		if (strcmp(severity_keys[i], key) == 0)
			return i;
	return -1;
}

static const char *nz(const char *s)
{
	return s ? s : "";
}

/* Labels compared as users see them: case and surrounding spaces aside. */
static int same_label(const char *a, const char *b)
{
	size_t la, lb;

	a = nz(a);
	b = nz(b);
	while (isspace((unsigned char)*a))
		a++;
	while (isspace((unsigned char)*b))
		b++;
	la = strlen(a);
	lb = strlen(b);
	while (la && isspace((unsigned char)a[la - 1]))
		la--;
	while (lb && isspace((unsigned char)b[lb - 1]))
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

static struct audit_finding *add(struct audit_findings *f, enum audit_rule_id rule,
				 const char *object_type, const char *key, const char *label)
{
	struct audit_finding *x;

	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 32;
		struct audit_finding *v = realloc(f->v, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		f->v = v;
		f->cap = cap;
	}
	x = &f->v[f->n++];
	memset(x, 0, sizeof(*x));
	x->rule = rule;
	snprintf(x->object_type, sizeof(x->object_type), "%s", nz(object_type));
	snprintf(x->key, sizeof(x->key), "%s", nz(key));
	snprintf(x->label, sizeof(x->label), "%s", nz(label));
	return x;
}

/* Append ", text" to a detail (just "text" when it is empty or ends in
 * ": "), cut to fit. */
static void list_add(char *out, size_t cap, const char *text)
{
	size_t len = strlen(out);

	/* the first name after a "Label: " prefix takes no comma */
	int first = len == 0 || (len >= 2 && out[len - 2] == ':' && out[len - 1] == ' ');

	if (len + 1 >= cap)
		return;
	snprintf(out + len, cap - len, "%s%s", first ? "" : ", ", text);
}

static int is_custom(const struct hs_property *p)
{
	return !p->hubspot_defined && !p->archived;
}

static int is_enum(const struct hs_property *p)
{
	return strcmp(nz(p->type), "enumeration") == 0;
}

static int rule_no_description(const struct audit_object *o, struct audit_findings *f)
{
	for (size_t i = 0; i < o->properties->n; i++) {
		const struct hs_property *p = &o->properties->items[i];
		const char *d = nz(p->description);

		while (isspace((unsigned char)*d))
			d++;
		if (is_custom(p) && *d == '\0' &&
		    add(f, AUDIT_NO_DESCRIPTION, o->object_type, p->name, p->label) == NULL)
			return -1;
	}
	return 0;
}

static int rule_duplicate_label(const struct audit_object *o, struct audit_findings *f)
{
	const struct hs_properties *ps = o->properties;

	for (size_t i = 0; i < ps->n; i++) {
		const struct hs_property *p = &ps->items[i];
		struct audit_finding *x = NULL;

		if (!is_custom(p))
			continue; /* HubSpot's own cannot be renamed: the custom one is the finding */
		for (size_t k = 0; k < ps->n; k++) {
			const struct hs_property *q = &ps->items[k];

			if (k == i || q->archived || !same_label(p->label, q->label))
				continue;
			if (x == NULL) {
				x = add(f, AUDIT_DUPLICATE_LABEL, o->object_type, p->name, p->label);
				if (x == NULL)
					return -1;
				snprintf(x->detail, sizeof(x->detail), "Same label as: ");
			}
			list_add(x->detail, sizeof(x->detail), q->name);
		}
	}
	return 0;
}

static int rule_empty_group(const struct audit_object *o, struct audit_findings *f)
{
	for (size_t g = 0; g < o->groups->n; g++) {
		const struct hs_group *gr = &o->groups->items[g];
		int used = 0;

		if (gr->archived)
			continue;
		for (size_t i = 0; i < o->properties->n && !used; i++)
			used = !o->properties->items[i].archived &&
			       strcmp(nz(o->properties->items[i].group_name), gr->name) == 0;
		if (!used && add(f, AUDIT_EMPTY_GROUP, o->object_type, gr->name, gr->label) == NULL)
			return -1;
	}
	return 0;
}

static int rule_enum_options(const struct audit_object *o, struct audit_findings *f)
{
	for (size_t i = 0; i < o->properties->n; i++) {
		const struct hs_property *p = &o->properties->items[i];
		struct audit_finding *x;
		char detail[600] = "";

		if (!is_custom(p) || !is_enum(p))
			continue;
		if (p->noptions < 2)
			snprintf(detail, sizeof(detail), "%zu option%s.", p->noptions,
				 p->noptions == 1 ? "" : "s");
		for (size_t a = 0; a < p->noptions && !detail[0]; a++)
			for (size_t b = a + 1; b < p->noptions && !detail[0]; b++)
				if (same_label(p->options[a].label, p->options[b].label))
					snprintf(detail, sizeof(detail),
						 "Options \"%.200s\" and \"%.200s\" share the label "
						 "\"%.150s\".",
						 nz(p->options[a].value), nz(p->options[b].value),
						 nz(p->options[a].label));
		if (!detail[0])
			continue;
		x = add(f, AUDIT_ENUM_OPTIONS, o->object_type, p->name, p->label);
		if (x == NULL)
			return -1;
		snprintf(x->detail, sizeof(x->detail), "%s", detail);
	}
	return 0;
}

static int rule_group_missing(const struct audit_object *o, struct audit_findings *f)
{
	for (size_t i = 0; i < o->properties->n; i++) {
		const struct hs_property *p = &o->properties->items[i];
		int found = 0;
		struct audit_finding *x;

		if (!is_custom(p) || p->group_name == NULL || p->group_name[0] == '\0')
			continue;
		for (size_t g = 0; g < o->groups->n && !found; g++)
			found = !o->groups->items[g].archived &&
				strcmp(o->groups->items[g].name, p->group_name) == 0;
		if (found)
			continue;
		x = add(f, AUDIT_GROUP_MISSING, o->object_type, p->name, p->label);
		if (x == NULL)
			return -1;
		snprintf(x->detail, sizeof(x->detail), "Group: %.200s", p->group_name);
	}
	return 0;
}

static int rule_enum_all_hidden(const struct audit_object *o, struct audit_findings *f)
{
	for (size_t i = 0; i < o->properties->n; i++) {
		const struct hs_property *p = &o->properties->items[i];
		size_t hidden = 0;

		if (!is_custom(p) || !is_enum(p) || p->noptions == 0)
			continue;
		for (size_t k = 0; k < p->noptions; k++)
			hidden += p->options[k].hidden != 0;
		if (hidden == p->noptions &&
		    add(f, AUDIT_ENUM_ALL_HIDDEN, o->object_type, p->name, p->label) == NULL)
			return -1;
	}
	return 0;
}

static int rule_duplicate_group(const struct audit_object *o, struct audit_findings *f)
{
	const struct hs_groups *gs = o->groups;

	for (size_t i = 0; i < gs->n; i++) {
		struct audit_finding *x = NULL;

		if (gs->items[i].archived)
			continue;
		for (size_t k = 0; k < gs->n; k++) {
			if (k == i || gs->items[k].archived ||
			    !same_label(gs->items[i].label, gs->items[k].label))
				continue;
			if (x == NULL) {
				x = add(f, AUDIT_DUPLICATE_GROUP, o->object_type, gs->items[i].name,
					gs->items[i].label);
				if (x == NULL)
					return -1;
				snprintf(x->detail, sizeof(x->detail), "Same label as: ");
			}
			list_add(x->detail, sizeof(x->detail), gs->items[k].name);
		}
	}
	return 0;
}

static int rule_super_admins(const struct audit_input *in, struct audit_findings *f)
{
	size_t n = 0;
	struct audit_finding *x;
	char label[128];

	for (size_t i = 0; i < in->nusers; i++)
		n += in->users[i].super_admin != 0;
	if ((long)n <= (long)in->super_admin_limit)
		return 0;
	snprintf(label, sizeof(label), "%zu Super Admins (your limit: %d)", n,
		 in->super_admin_limit);
	x = add(f, AUDIT_SUPER_ADMINS, "portal", "", label);
	if (x == NULL)
		return -1;
	for (size_t i = 0; i < in->nusers; i++)
		if (in->users[i].super_admin)
			list_add(x->detail, sizeof(x->detail), nz(in->users[i].email));
	return 0;
}

static int rule_user_no_role(const struct audit_input *in, struct audit_findings *f)
{
	for (size_t i = 0; i < in->nusers; i++) {
		const struct hs_user *u = &in->users[i];

		if (u->super_admin || (u->role_id != NULL && u->role_id[0]) || u->nrole_ids > 0)
			continue;
		if (add(f, AUDIT_USER_NO_ROLE, "user", u->id, u->email) == NULL)
			return -1;
	}
	return 0;
}

/* 1 when word w (length n) is one of the space-separated words of list. */
static int in_list(const char *list, const char *w, size_t n)
{
	for (const char *s = nz(list); *s;) {
		size_t l;

		while (*s == ' ')
			s++;
		l = strcspn(s, " ");
		if (l == n && l > 0 && strncmp(s, w, n) == 0)
			return 1;
		s += l;
	}
	return 0;
}

static int role_known(const struct hs_roles *r, const char *id)
{
	for (size_t i = 0; i < r->nroles; i++)
		if (strcmp(nz(r->roles[i].id), id) == 0)
			return 1;
	return 0;
}

static int rule_unknown_role(const struct audit_input *in, struct audit_findings *f)
{
	if (in->roles == NULL)
		return 0;
	for (size_t i = 0; i < in->nusers; i++) {
		const struct hs_user *u = &in->users[i];
		struct audit_finding *x = NULL;
		const char *id = u->role_id;

		for (size_t k = 0; k <= u->nrole_ids; k++) {
			if (k > 0)
				id = u->role_ids[k - 1];
			if (id == NULL || id[0] == '\0' || role_known(in->roles, id))
				continue;
			if (x == NULL) {
				x = add(f, AUDIT_UNKNOWN_ROLE, "user", u->id, u->email);
				if (x == NULL)
					return -1;
				snprintf(x->detail, sizeof(x->detail), "Role ids: ");
			}
			if (strstr(x->detail, id) == NULL)
				list_add(x->detail, sizeof(x->detail), id);
		}
	}
	return 0;
}

static int rule_extra_scopes(const struct audit_input *in, struct audit_findings *f)
{
	char extra[600] = "";
	int n = 0;
	struct audit_finding *x;
	char label[64];

	for (const char *s = nz(in->granted_scopes); *s;) {
		size_t l;

		while (*s == ' ')
			s++;
		l = strcspn(s, " ");
		if (l > 0 && !in_list(in->needed_scopes, s, l)) {
			char one[128];

			snprintf(one, sizeof(one), "%.*s", (int)(l < 120 ? l : 120), s);
			list_add(extra, sizeof(extra), one);
			n++;
		}
		s += l;
	}
	if (n == 0)
		return 0;
	snprintf(label, sizeof(label), "%d scope%s not used", n, n == 1 ? "" : "s");
	x = add(f, AUDIT_EXTRA_SCOPES, "portal", "", label);
	if (x == NULL)
		return -1;
	snprintf(x->detail, sizeof(x->detail), "%s", extra);
	return 0;
}

int audit_check(const struct audit_input *in, struct audit_findings *out)
{
	static int (*const per_object[AUDIT_RULE__MAX])(const struct audit_object *,
							 struct audit_findings *) = {
	    [AUDIT_NO_DESCRIPTION] = rule_no_description,
	    [AUDIT_DUPLICATE_LABEL] = rule_duplicate_label,
	    [AUDIT_EMPTY_GROUP] = rule_empty_group,
	    [AUDIT_ENUM_OPTIONS] = rule_enum_options,
	    [AUDIT_GROUP_MISSING] = rule_group_missing,
	    [AUDIT_ENUM_ALL_HIDDEN] = rule_enum_all_hidden,
	    [AUDIT_DUPLICATE_GROUP] = rule_duplicate_group,
	};
	static int (*const per_portal[AUDIT_RULE__MAX])(const struct audit_input *,
							 struct audit_findings *) = {
	    [AUDIT_SUPER_ADMINS] = rule_super_admins,
	    [AUDIT_USER_NO_ROLE] = rule_user_no_role,
	    [AUDIT_EXTRA_SCOPES] = rule_extra_scopes,
	    [AUDIT_UNKNOWN_ROLE] = rule_unknown_role,
	};

	memset(out, 0, sizeof(*out));
	for (int r = 0; r < AUDIT_RULE__MAX; r++) {
		if (per_portal[r] != NULL && per_portal[r](in, out) < 0)
			return -1;
		for (int o = 0; per_object[r] != NULL && o < in->nobjects; o++) {
			const struct audit_object *ob = &in->objects[o];

			if (ob->groups == NULL || ob->properties == NULL)
				continue;
			if (per_object[r](ob, out) < 0)
				return -1;
		}
	}
	return 0;
}

void audit_findings_free(struct audit_findings *f)
{
	free(f->v);
	memset(f, 0, sizeof(*f));
}
