/*
 * audit: the audit rules -- one table (id, severity, title, explanation,
 * how to fix) -- and the check that turns what an audit read of a portal
 * (its property groups and properties of contacts, companies, deals and
 * tickets, its users and roles, its granted scopes) into findings.  Pure (no
 * database, no network).
 *
 * A finding names its object: an object type and a property's or group's
 * internal name and label, a HubSpot user's id and email ("user"), or the
 * portal as a whole ("portal", empty key).  Its identity across audits is
 * (rule, object type, key): what makes a finding new or resolved since the
 * portal's previous audit.
 */
#ifndef JS_AUDIT_H
#define JS_AUDIT_H

#include "hs.h"

#include <stddef.h>

enum audit_severity { AUDIT_HIGH, AUDIT_MEDIUM, AUDIT_LOW, AUDIT_INFO, AUDIT_SEVERITY__MAX };

enum audit_rule_id {
	AUDIT_NO_DESCRIPTION,	   /* custom property without a description */
	AUDIT_DUPLICATE_LABEL,	   /* two properties of one object share a label */
	AUDIT_EMPTY_GROUP,	   /* a property group holds no property */
	AUDIT_ENUM_OPTIONS,	   /* enumeration: < 2 options, or two with one label */
	AUDIT_SUPER_ADMINS,	   /* more Super Admins than the organisation's limit */
	AUDIT_USER_NO_ROLE,	   /* a user with no role who is not a Super Admin */
	AUDIT_EXTRA_SCOPES,	   /* granted scopes beyond what the connection type needs */
	AUDIT_GROUP_MISSING,	   /* a custom property in a group the object lacks */
	AUDIT_ENUM_ALL_HIDDEN,	   /* enumeration whose options are all hidden */
	AUDIT_DUPLICATE_GROUP,	   /* two groups of one object share a label */
	AUDIT_UNKNOWN_ROLE,	   /* a user holds a role the portal no longer has */
	AUDIT_RULE__MAX
};

struct audit_rule {
	const char *id; /* stored: "property_no_description" */
	enum audit_severity severity;
	const char *title;
	const char *explanation;
	const char *fix;
};

/* The rule table, indexed by enum audit_rule_id. */
extern const struct audit_rule audit_rules[AUDIT_RULE__MAX];
/* The rule of an id, or -1. */
int audit_rule_parse(const char *id);
/* "high", "medium", "low", "info" and their labels ("High", ...). */
const char *audit_severity_key(enum audit_severity s);
const char *audit_severity_label(enum audit_severity s);
int audit_severity_parse(const char *key);

/* What an audit read. */
struct audit_object {
	const char *object_type; /* contacts, companies, deals, tickets */
	const struct hs_groups *groups;
	const struct hs_properties *properties;
};

struct audit_input {
	struct audit_object objects[4];
	int nobjects;
	const struct hs_user *users;
	size_t nusers;
	const struct hs_roles *roles; /* NULL: not read (the role rule is skipped) */
	int super_admin_limit;	    /* the organisation's (default 3) */
	const char *granted_scopes; /* space-separated */
	const char *needed_scopes;  /* the type's required and optional ones */
};

struct audit_finding {
	enum audit_rule_id rule;
	char object_type[16]; /* contacts ..., "user", "portal" */
	char key[256];	      /* internal name, HubSpot user id, "" */
	char label[512];      /* label, email, or what the portal-wide finding counts */
	char detail[600];     /* this finding's particulars */
};

struct audit_findings {
	struct audit_finding *v;
	size_t n, cap;
};

/* Every finding of in, in rule order then object order.  0, or -1 (out of
 * memory; *out holds what was found so far).  Free with
 * audit_findings_free(). */
int audit_check(const struct audit_input *in, struct audit_findings *out);
void audit_findings_free(struct audit_findings *f);

#endif
