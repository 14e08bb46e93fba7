/*
 * test_audit: the rule table, and what audit_check() finds on hand-made
 * portals -- each rule on an input that breaks it and on one that does not
 * -- and the order findings come in (rule order, then object order).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"

/* The number of findings of rule r. */
static size_t nrule(const struct audit_findings *f, enum audit_rule_id r)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++)
		n += f->v[i].rule == r;
	return n;
}

/* The k-th finding of rule r (0-based); fails the test when there is none. */
static const struct audit_finding *nth(const struct audit_findings *f, enum audit_rule_id r,
				       size_t k)
{
	size_t seen = 0;

	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].rule == r && seen++ == k)
			return &f->v[i];
	ck_abort_msg("no finding %zu of rule %s", k, audit_rules[r].id);
	return NULL;
}

static void assert_finding(const struct audit_finding *x, enum audit_rule_id rule,
			   const char *object_type, const char *key, const char *label,
			   const char *detail)
{
	ck_assert_int_eq(x->rule, rule);
	ck_assert_str_eq(x->object_type, object_type);
	ck_assert_str_eq(x->key, key);
	ck_assert_str_eq(x->label, label);
	ck_assert_str_eq(x->detail, detail);
}

/* An input of one object type and nothing else. */
static struct audit_input one(const char *object_type, const struct hs_groups *g,
			      const struct hs_properties *p)
{
	struct audit_input in = {.nobjects = 1, .super_admin_limit = 3};

	in.objects[0] = (struct audit_object){object_type, g, p};
	return in;
}

static void check(const struct audit_input *in, struct audit_findings *f)
{
	ck_assert_int_eq(audit_check(in, f), 0);
	ck_assert_uint_le(f->n, f->cap);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

START_TEST(test_rule_table)
{
	static const struct {
		enum audit_rule_id rule;
		const char *id;
		enum audit_severity severity;
	} want[] = {
	    {AUDIT_NO_DESCRIPTION, "property_no_description", AUDIT_LOW},
	    {AUDIT_DUPLICATE_LABEL, "duplicate_label", AUDIT_MEDIUM},
	    {AUDIT_EMPTY_GROUP, "empty_group", AUDIT_LOW},
	    {AUDIT_ENUM_OPTIONS, "enumeration_options", AUDIT_MEDIUM},
	    {AUDIT_SUPER_ADMINS, "too_many_super_admins", AUDIT_HIGH},
	    {AUDIT_USER_NO_ROLE, "user_without_role", AUDIT_LOW},
	    {AUDIT_EXTRA_SCOPES, "scopes_beyond_type", AUDIT_INFO},
	    {AUDIT_GROUP_MISSING, "property_group_missing", AUDIT_MEDIUM},
	    {AUDIT_ENUM_ALL_HIDDEN, "enumeration_all_hidden", AUDIT_MEDIUM},
	    {AUDIT_DUPLICATE_GROUP, "duplicate_group_label", AUDIT_LOW},
	    {AUDIT_UNKNOWN_ROLE, "user_unknown_role", AUDIT_LOW},
	};

	ck_assert_uint_eq(N(want), AUDIT_RULE__MAX);
	for (size_t i = 0; i < N(want); i++) {
		const struct audit_rule *r = &audit_rules[want[i].rule];

		ck_assert_str_eq(r->id, want[i].id);
		ck_assert_int_eq(r->severity, want[i].severity);
		ck_assert_int_eq(audit_rule_parse(want[i].id), (int)want[i].rule);
	}
	for (int i = 0; i < AUDIT_RULE__MAX; i++) {
		const struct audit_rule *r = &audit_rules[i];

		ck_assert_ptr_nonnull(r->id);
		ck_assert_ptr_nonnull(r->title);
		ck_assert_ptr_nonnull(r->explanation);
		ck_assert_ptr_nonnull(r->fix);
		ck_assert_uint_gt(strlen(r->id), 0);
		ck_assert_uint_gt(strlen(r->title), 0);
		ck_assert_uint_gt(strlen(r->explanation), 0);
		ck_assert_uint_gt(strlen(r->fix), 0);
		ck_assert_int_eq(audit_rule_parse(r->id), i);
		ck_assert_int_lt(r->severity, AUDIT_SEVERITY__MAX);
		for (int k = 0; k < i; k++)
			ck_assert_str_ne(audit_rules[k].id, r->id);
	}
	ck_assert_int_eq(audit_rule_parse(""), -1);
	ck_assert_int_eq(audit_rule_parse("Duplicate_label"), -1);
	ck_assert_int_eq(audit_rule_parse("duplicate_label "), -1);

	for (int s = 0; s < AUDIT_SEVERITY__MAX; s++) {
		ck_assert_int_eq(audit_severity_parse(audit_severity_key(s)), s);
		ck_assert_uint_gt(strlen(audit_severity_label(s)), 0);
	}
	ck_assert_str_eq(audit_severity_key(AUDIT_HIGH), "high");
	ck_assert_str_eq(audit_severity_key(AUDIT_MEDIUM), "medium");
	ck_assert_str_eq(audit_severity_key(AUDIT_LOW), "low");
	ck_assert_str_eq(audit_severity_key(AUDIT_INFO), "info");
	ck_assert_str_eq(audit_severity_label(AUDIT_HIGH), "High");
	ck_assert_str_eq(audit_severity_label(AUDIT_INFO), "Informational");
	ck_assert_int_eq(audit_severity_parse("High"), -1);
	ck_assert_int_eq(audit_severity_parse(""), -1);
	ck_assert_int_eq(audit_severity_parse("critical"), -1);
}
END_TEST

START_TEST(test_no_description)
{
	struct hs_group groups[] = {{.name = "info", .label = "Info"}};
	struct hs_property props[] = {
	    {.name = "no_desc", .label = "No desc", .type = "string", .group_name = "info"},
	    {.name = "empty_desc",
	     .label = "Empty desc",
	     .type = "string",
	     .group_name = "info",
	     .description = ""},
	    {.name = "blank_desc",
	     .label = "Blank desc",
	     .type = "string",
	     .group_name = "info",
	     .description = "   "},
	    {.name = "firstname",
	     .label = "First name",
	     .type = "string",
	     .group_name = "info",
	     .hubspot_defined = 1},
	    {.name = "old_one",
	     .label = "Old one",
	     .type = "string",
	     .group_name = "info",
	     .archived = 1},
	    {.name = "described",
	     .label = "Described",
	     .type = "string",
	     .group_name = "info",
	     .description = "What it holds"},
	};
	struct hs_groups g = {groups, N(groups)};
	struct hs_properties p = {props, N(props)};
	struct audit_input in = one("contacts", &g, &p);
	struct audit_findings f;

	check(&in, &f);
	ck_assert_uint_eq(nrule(&f, AUDIT_NO_DESCRIPTION), 3);
	assert_finding(nth(&f, AUDIT_NO_DESCRIPTION, 0), AUDIT_NO_DESCRIPTION, "contacts",
		       "no_desc", "No desc", "");
	assert_finding(nth(&f, AUDIT_NO_DESCRIPTION, 1), AUDIT_NO_DESCRIPTION, "contacts",
		       "empty_desc", "Empty desc", "");
	assert_finding(nth(&f, AUDIT_NO_DESCRIPTION, 2), AUDIT_NO_DESCRIPTION, "contacts",
		       "blank_desc", "Blank desc", "");
	audit_findings_free(&f);
	ck_assert_ptr_null(f.v);
	ck_assert_uint_eq(f.n, 0);

	/* Only the compliant, the HubSpot-defined and the archived ones. */
	p.items = props + 3;
	p.n = 3;
	check(&in, &f);
	ck_assert_uint_eq(nrule(&f, AUDIT_NO_DESCRIPTION), 0);
	ck_assert_uint_eq(f.n, 0);
	audit_findings_free(&f);
}
END_TEST

START_TEST(test_duplicate_label)
{
	struct hs_group groups[] = {{.name = "info", .label = "Info"}};
	struct hs_property contacts[] = {
	    {.name = "region_a",
	     .label = "Region",
	     .type = "string",
	     .group_name = "info",
	     .description = "d"},
	    {.name = "region_b",
	     .label = "  rEgIoN ",
	     .type = "string",
	     .group_name = "info",
	     .description = "d"},
	    {.name = "my_email",
	     .label = "E-mail",
	     .type = "string",
	     .group_name = "info",
	     .description = "d"},
	    {.name = "email",
	     .label = "e-mail",
	     .type = "string",
	     .group_name = "info",
	     .hubspot_defined = 1},
	    {.name = "hs_email",
	     .label = "E-MAIL",
	     .type = "string",
	     .group_name = "info",
	     .hubspot_defined = 1},
	    {.name = "unique_here",
	     .label = "Shared across objects",
	     .type = "string",
	     .group_name = "info",
	     .description = "d"},
	};
	struct hs_property companies[] = {
	    {.name = "unique_there",
	     .label = "Shared across objects",
	     .type = "string",
	     .group_name = "info",
	     .description = "d"},
	};
	struct hs_groups g = {groups, N(groups)};
	struct hs_properties pc = {contacts, N(contacts)}, pk = {companies, N(companies)};
	struct audit_input in = one("contacts", &g, &pc);
	struct audit_findings f;

	in.objects[1] = (struct audit_object){"companies", &g, &pk};
	in.nobjects = 2;
	check(&in, &f);
	ck_assert_uint_eq(nrule(&f, AUDIT_DUPLICATE_LABEL), 3);
	assert_finding(nth(&f, AUDIT_DUPLICATE_LABEL, 0), AUDIT_DUPLICATE_LABEL, "contacts",
		       "region_a", "Region", "Same label as: region_b");
	assert_finding(nth(&f, AUDIT_DUPLICATE_LABEL, 1), AUDIT_DUPLICATE_LABEL, "contacts",
		       "region_b", "  rEgIoN ", "Same label as: region_a");
	/* The custom one only: HubSpot's own cannot be renamed. */
	assert_finding(nth(&f, AUDIT_DUPLICATE_LABEL, 2), AUDIT_DUPLICATE_LABEL, "contacts",
		       "my_email", "E-mail", "Same label as: email, hs_email");
	audit_findings_free(&f);

	/* Only HubSpot's own share a label; one label in two objects: none. */
	pc.items = contacts + 3;
	pc.n = 3;
	check(&in, &f);
	ck_assert_uint_eq(nrule(&f, AUDIT_DUPLICATE_LABEL), 0);
	audit_findings_free(&f);
}
END_TEST

START_TEST(test_empty_group)
{
	struct hs_group groups[] = {
	    {.name = "full", .label = "Full"},
	    {.name = "empty", .label = "Empty group"},
	    {.name = "archived_only", .label = "Archived only"},
	    {.name = "gone", .label = "Gone", .archived = 1},
	};
	struct hs_property props[] = {
	    {.name = "a", .label = "A", .type = "string", .group_name = "full", .description = "d"},
	    {.name = "b",
	     .label = "B",
	     .type = "string",
	     .group_name = "archived_only",
	     .description = "d",
	     .archived = 1},
	};
	struct hs_groups g = {groups, N(groups)};
	struct hs_properties p = {props, N(props)};
	struct audit_input in = one("deals", &g, &p);
	struct audit_findings f;

	check(&in, &f);
	ck_assert_uint_eq(nrule(&f, AUDIT_EMPTY_GROUP), 2);
	assert_finding(nth(&f, AUDIT_EMPTY_GROUP, 0), AUDIT_EMPTY_GROUP, "deals", "empty",
		       "Empty group", "");
	assert_finding(nth(&f, AUDIT_EMPTY_GROUP, 1), AUDIT_EMPTY_GROUP, "deals", "archived_only",
		       "Archived only", "");
	audit_findings_free(&f);

	/* The group that holds a property, and the archived one: none. */
	groups[1] = groups[3];
	g.n = 2;
	check(&in, &f);
	ck_assert_uint_eq(nrule(&f, AUDIT_EMPTY_GROUP), 0);
	audit_findings_free(&f);
}
END_TEST

START_TEST(test_enum_options)
{
	struct hs_property_option single[] = {{.label = "Yes", .value = "yes"}};
	struct hs_property_option dup[] = {
	    {.label = "Yes", .value = "y1"},
	    {.label = "No", .value = "n"},
	    {.label = " yES ", .value = "y2"},
	};
	struct hs_property_option two[] = {{.label = "Yes", .value = "yes"},
					   {.label = "No", .value = "no"}};
	struct hs_group groups[] = {{.name = "info", .label = "Info"}};
	struct hs_property props[] = {
	    {.name = "one_opt",
	     .label = "One option",
	     .type = "enumeration",
	     .field_type = "select",
	     .group_name = "info",
	     .description = "d",
	     .options = single,
	     .noptions = 1},
	    {.name = "no_opt",
	     .label = "No option",
	     .type = "enumeration",
	     .field_type = "select",
	     .group_name = "info",
	     .description = "d"},
	    {.name = "dup_opt",
	     .label = "Dup option",
	     .type = "enumeration",
	     .field_type = "radio",
	     .group_name = "info",
	     .description = "d",
	     .options = dup,
	     .noptions = 3},
	    {.name = "text",
	     .label = "Text",
	     .type = "string",
	     .field_type = "text",
	     .group_name = "info",
	     .description = "d"},
	    {.name = "proper",
	     .label = "Proper",
	     .type = "enumeration",
	     .field_type = "select",
	     .group_name = "info",
	     .description = "d",
	     .options = two,
	     .noptions = 2},
	};
	struct hs_groups g = {groups, N(groups)};
	struct hs_properties p = {props, N(props)};
	struct audit_input in = one("tickets", &g, &p);
	struct audit_findings f;

	check(&in, &f);
	ck_assert_uint_eq(nrule(&f, AUDIT_ENUM_OPTIONS), 3);
	assert_finding(nth(&f, AUDIT_ENUM_OPTIONS, 0), AUDIT_ENUM_OPTIONS, "tickets", "one_opt",
		       "One option", "1 option.");
	assert_finding(nth(&f, AUDIT_ENUM_OPTIONS, 1), AUDIT_ENUM_OPTIONS, "tickets", "no_opt",
		       "No option", "0 options.");
	assert_finding(nth(&f, AUDIT_ENUM_OPTIONS, 2), AUDIT_ENUM_OPTIONS, "tickets", "dup_opt",
		       "Dup option", "Options \"y1\" and \"y2\" share the label \"Yes\".");
	audit_findings_free(&f);

	/* A string property and a proper two-option enumeration: none. */
	p.items = props + 3;
	p.n = 2;
	check(&in, &f);
	ck_assert_uint_eq(nrule(&f, AUDIT_ENUM_OPTIONS), 0);
	ck_assert_uint_eq(f.n, 0);
	audit_findings_free(&f);
}
END_TEST

START_TEST(test_super_admins)
{
	struct hs_user users[] = {
	    {.id = "1", .email = "a@example.com", .super_admin = 1},
	    {.id = "2", .email = "b@example.com", .super_admin = 1},
	    {.id = "3", .email = "c@example.com", .role_id = "9"},
	    {.id = "4", .email = "d@example.com", .super_admin = 1},
	    {.id = "5", .email = "e@example.com", .super_admin = 1},
	};
	struct audit_input in = {.users = users, .nusers = N(users), .super_admin_limit = 3};
	struct audit_findings f;

	check(&in, &f);
	ck_assert_uint_eq(nrule(&f, AUDIT_SUPER_ADMINS), 1);
	assert_finding(nth(&f, AUDIT_SUPER_ADMINS, 0), AUDIT_SUPER_ADMINS, "portal", "",
		       "4 Super Admins (your limit: 3)",
		       "a@example.com, b@example.com, d@example.com, e@example.com");
	ck_assert_uint_eq(f.n, 1);
	audit_findings_free(&f);

	/* 3 with a limit of 3: none. */
	users[4].super_admin = 0;
	users[4].role_id = "9";
	check(&in, &f);
	ck_assert_uint_eq(nrule(&f, AUDIT_SUPER_ADMINS), 0);
	ck_assert_uint_eq(f.n, 0);
	audit_findings_free(&f);

	/* No users at all: none. */
	in.nusers = 0;
	check(&in, &f);
	ck_assert_uint_eq(f.n, 0);
	audit_findings_free(&f);
}
END_TEST

START_TEST(test_user_without_role)
{
	char *roles[] = {"7", "8"};
	struct hs_user users[] = {
	    {.id = "101", .email = "norole@example.com"},
	    {.id = "102", .email = "emptyrole@example.com", .role_id = ""},
	    {.id = "103", .email = "roleids@example.com", .role_ids = roles, .nrole_ids = 2},
	    {.id = "104", .email = "super@example.com", .super_admin = 1},
	    {.id = "105", .email = "role@example.com", .role_id = "7"},
	};
	struct audit_input in = {.users = users, .nusers = N(users), .super_admin_limit = 3};
	struct audit_findings f;

	check(&in, &f);
	ck_assert_uint_eq(nrule(&f, AUDIT_USER_NO_ROLE), 2);
	assert_finding(nth(&f, AUDIT_USER_NO_ROLE, 0), AUDIT_USER_NO_ROLE, "user", "101",
		       "norole@example.com", "");
	assert_finding(nth(&f, AUDIT_USER_NO_ROLE, 1), AUDIT_USER_NO_ROLE, "user", "102",
		       "emptyrole@example.com", "");
	ck_assert_uint_eq(f.n, 2);
	audit_findings_free(&f);

	/* role_ids only, Super Admin, role_id: none. */
	in.users = users + 2;
	in.nusers = 3;
	check(&in, &f);
	ck_assert_uint_eq(nrule(&f, AUDIT_USER_NO_ROLE), 0);
	ck_assert_uint_eq(f.n, 0);
	audit_findings_free(&f);
}
END_TEST

START_TEST(test_unknown_role)
{
	char *ids[] = {"7", "99"};
	struct hs_role known[] = {{.id = "7", .name = "Admin"}, {.id = "8", .name = "Sales Rep"}};
	struct hs_roles roles = {.roles = known, .nroles = 2};
	struct hs_user users[] = {
	    {.id = "201", .email = "gone@example.com", .role_id = "42"},
	    {.id = "202", .email = "mixed@example.com", .role_ids = ids, .nrole_ids = 2},
	    {.id = "203", .email = "fine@example.com", .role_id = "8"},
	    {.id = "204", .email = "super@example.com", .super_admin = 1},
	};
	struct audit_input in = {.users = users, .nusers = N(users), .super_admin_limit = 3,
				 .roles = &roles};
	struct audit_findings f;

	check(&in, &f);
	ck_assert_uint_eq(nrule(&f, AUDIT_UNKNOWN_ROLE), 2);
	assert_finding(nth(&f, AUDIT_UNKNOWN_ROLE, 0), AUDIT_UNKNOWN_ROLE, "user", "201",
		       "gone@example.com", "Role ids: 42");
	assert_finding(nth(&f, AUDIT_UNKNOWN_ROLE, 1), AUDIT_UNKNOWN_ROLE, "user", "202",
		       "mixed@example.com", "Role ids: 99");
	audit_findings_free(&f);

	/* roles not read: the rule says nothing */
	in.roles = NULL;
	check(&in, &f);
	ck_assert_uint_eq(nrule(&f, AUDIT_UNKNOWN_ROLE), 0);
	audit_findings_free(&f);
}
END_TEST

START_TEST(test_extra_scopes)
{
	struct audit_input in = {.super_admin_limit = 3,
				 .granted_scopes = "oauth crm.objects.contacts.read tickets "
						   "extra.scope",
				 .needed_scopes = "oauth tickets crm.objects.contacts.read"};
	struct audit_findings f;

	check(&in, &f);
	ck_assert_uint_eq(nrule(&f, AUDIT_EXTRA_SCOPES), 1);
	assert_finding(nth(&f, AUDIT_EXTRA_SCOPES, 0), AUDIT_EXTRA_SCOPES, "portal", "",
		       "1 scope not used", "extra.scope");
	ck_assert_uint_eq(f.n, 1);
	audit_findings_free(&f);

	/* Two extra ones, spaces doubled; a prefix of a needed one is extra. */
	in.granted_scopes = "  oauth  tick extra.one tickets  extra.two ";
	check(&in, &f);
	ck_assert_uint_eq(nrule(&f, AUDIT_EXTRA_SCOPES), 1);
	assert_finding(nth(&f, AUDIT_EXTRA_SCOPES, 0), AUDIT_EXTRA_SCOPES, "portal", "",
		       "3 scopes not used", "tick, extra.one, extra.two");
	audit_findings_free(&f);

	/* Granted a subset of needed, or equal, or nothing: none. */
	in.granted_scopes = "tickets oauth";
	check(&in, &f);
	ck_assert_uint_eq(nrule(&f, AUDIT_EXTRA_SCOPES), 0);
	audit_findings_free(&f);
	in.granted_scopes = "oauth tickets crm.objects.contacts.read";
	check(&in, &f);
	ck_assert_uint_eq(nrule(&f, AUDIT_EXTRA_SCOPES), 0);
	audit_findings_free(&f);
	in.granted_scopes = NULL;
	check(&in, &f);
	ck_assert_uint_eq(f.n, 0);
	audit_findings_free(&f);
}
END_TEST

START_TEST(test_group_missing)
{
	struct hs_group groups[] = {{.name = "info", .label = "Info"}};
	struct hs_property props[] = {
	    {.name = "lost",
	     .label = "Lost",
	     .type = "string",
	     .group_name = "x",
	     .description = "d"},
	    {.name = "placed",
	     .label = "Placed",
	     .type = "string",
	     .group_name = "info",
	     .description = "d"},
	    {.name = "hs_own",
	     .label = "HubSpot's own",
	     .type = "string",
	     .group_name = "x",
	     .hubspot_defined = 1},
	};
	struct hs_groups g = {groups, N(groups)};
	struct hs_properties p = {props, N(props)};
	struct audit_input in = one("companies", &g, &p);
	struct audit_findings f;

	check(&in, &f);
	ck_assert_uint_eq(nrule(&f, AUDIT_GROUP_MISSING), 1);
	assert_finding(nth(&f, AUDIT_GROUP_MISSING, 0), AUDIT_GROUP_MISSING, "companies", "lost",
		       "Lost", "Group: x");
	audit_findings_free(&f);

	/* In a group the object has (or HubSpot-defined): none. */
	p.items = props + 1;
	p.n = 2;
	check(&in, &f);
	ck_assert_uint_eq(nrule(&f, AUDIT_GROUP_MISSING), 0);
	ck_assert_uint_eq(f.n, 0);
	audit_findings_free(&f);
}
END_TEST

START_TEST(test_enum_all_hidden)
{
	struct hs_property_option hidden[] = {{.label = "A", .value = "a", .hidden = 1},
					      {.label = "B", .value = "b", .hidden = 1}};
	struct hs_property_option one_shown[] = {{.label = "A", .value = "a", .hidden = 1},
						 {.label = "B", .value = "b"}};
	struct hs_group groups[] = {{.name = "info", .label = "Info"}};
	struct hs_property props[] = {
	    {.name = "all_hidden",
	     .label = "All hidden",
	     .type = "enumeration",
	     .field_type = "select",
	     .group_name = "info",
	     .description = "d",
	     .options = hidden,
	     .noptions = 2},
	    {.name = "one_shown",
	     .label = "One shown",
	     .type = "enumeration",
	     .field_type = "select",
	     .group_name = "info",
	     .description = "d",
	     .options = one_shown,
	     .noptions = 2},
	};
	struct hs_groups g = {groups, N(groups)};
	struct hs_properties p = {props, N(props)};
	struct audit_input in = one("contacts", &g, &p);
	struct audit_findings f;

	check(&in, &f);
	ck_assert_uint_eq(nrule(&f, AUDIT_ENUM_ALL_HIDDEN), 1);
	assert_finding(nth(&f, AUDIT_ENUM_ALL_HIDDEN, 0), AUDIT_ENUM_ALL_HIDDEN, "contacts",
		       "all_hidden", "All hidden", "");
	ck_assert_uint_eq(f.n, 1);
	audit_findings_free(&f);

	p.items = props + 1;
	p.n = 1;
	check(&in, &f);
	ck_assert_uint_eq(nrule(&f, AUDIT_ENUM_ALL_HIDDEN), 0);
	ck_assert_uint_eq(f.n, 0);
	audit_findings_free(&f);
}
END_TEST

START_TEST(test_duplicate_group)
{
	struct hs_group groups[] = {
	    {.name = "billing_a", .label = "Billing"},
	    {.name = "billing_b", .label = " billing  "},
	    {.name = "other", .label = "Other"},
	};
	struct hs_property props[] = {
	    {.name = "a",
	     .label = "A",
	     .type = "string",
	     .group_name = "billing_a",
	     .description = "d"},
	    {.name = "b",
	     .label = "B",
	     .type = "string",
	     .group_name = "billing_b",
	     .description = "d"},
	    {.name = "c",
	     .label = "C",
	     .type = "string",
	     .group_name = "other",
	     .description = "d"},
	};
	struct hs_groups g = {groups, N(groups)};
	struct hs_properties p = {props, N(props)};
	struct audit_input in = one("deals", &g, &p);
	struct audit_findings f;

	check(&in, &f);
	ck_assert_uint_eq(nrule(&f, AUDIT_DUPLICATE_GROUP), 2);
	assert_finding(nth(&f, AUDIT_DUPLICATE_GROUP, 0), AUDIT_DUPLICATE_GROUP, "deals",
		       "billing_a", "Billing", "Same label as: billing_b");
	assert_finding(nth(&f, AUDIT_DUPLICATE_GROUP, 1), AUDIT_DUPLICATE_GROUP, "deals",
		       "billing_b", " billing  ", "Same label as: billing_a");
	ck_assert_uint_eq(f.n, 2);
	audit_findings_free(&f);

	/* Distinct labels: none. */
	groups[1].label = "Billing (old)";
	check(&in, &f);
	ck_assert_uint_eq(nrule(&f, AUDIT_DUPLICATE_GROUP), 0);
	ck_assert_uint_eq(f.n, 0);
	audit_findings_free(&f);
}
END_TEST

START_TEST(test_order)
{
	struct hs_group cgroups[] = {{.name = "cg", .label = "CG"}};
	struct hs_property cprops[] = {
	    {.name = "c1", .label = "C1", .type = "string", .group_name = "nowhere"},
	};
	struct hs_group kgroups[] = {{.name = "kg", .label = "KG"}};
	struct hs_property kprops[] = {
	    {.name = "k1", .label = "K1", .type = "string", .group_name = "kg"},
	};
	struct hs_user users[] = {
	    {.id = "1", .email = "boss@example.com", .super_admin = 1},
	    {.id = "2", .email = "drifter@example.com"},
	};
	struct hs_groups cg = {cgroups, 1}, kg = {kgroups, 1};
	struct hs_properties cp = {cprops, 1}, kp = {kprops, 1};
	struct audit_input in = one("contacts", &cg, &cp);
	struct audit_findings f;
	static const struct {
		enum audit_rule_id rule;
		const char *object_type, *key;
	} want[] = {
	    {AUDIT_NO_DESCRIPTION, "contacts", "c1"}, {AUDIT_NO_DESCRIPTION, "companies", "k1"},
	    {AUDIT_EMPTY_GROUP, "contacts", "cg"},    {AUDIT_SUPER_ADMINS, "portal", ""},
	    {AUDIT_USER_NO_ROLE, "user", "2"},	      {AUDIT_EXTRA_SCOPES, "portal", ""},
	    {AUDIT_GROUP_MISSING, "contacts", "c1"},
	};

	in.objects[1] = (struct audit_object){"companies", &kg, &kp};
	in.objects[2] = (struct audit_object){"deals", NULL, &kp}; /* not read: skipped */
	in.nobjects = 3;
	in.users = users;
	in.nusers = N(users);
	in.super_admin_limit = 0;
	in.granted_scopes = "oauth tickets";
	in.needed_scopes = "oauth";
	check(&in, &f);
	ck_assert_uint_eq(f.n, N(want));
	for (size_t i = 0; i < N(want); i++) {
		ck_assert_int_eq(f.v[i].rule, want[i].rule);
		ck_assert_str_eq(f.v[i].object_type, want[i].object_type);
		ck_assert_str_eq(f.v[i].key, want[i].key);
	}
	ck_assert_str_eq(f.v[3].label, "1 Super Admins (your limit: 0)");
	ck_assert_str_eq(f.v[3].detail, "boss@example.com");
	ck_assert_str_eq(f.v[5].detail, "tickets");
	audit_findings_free(&f);
	audit_findings_free(&f); /* safe twice */
}
END_TEST

START_TEST(test_clean_portal)
{
	struct hs_property_option two[] = {{.label = "Yes", .value = "yes"},
					   {.label = "No", .value = "no", .hidden = 1}};
	struct hs_group groups[] = {{.name = "info", .label = "Info"}};
	struct hs_property props[] = {
	    {.name = "choice",
	     .label = "Choice",
	     .type = "enumeration",
	     .field_type = "select",
	     .group_name = "info",
	     .description = "Pick one",
	     .options = two,
	     .noptions = 2},
	    {.name = "note",
	     .label = "Note",
	     .type = "string",
	     .field_type = "text",
	     .group_name = "info",
	     .description = "Free text"},
	};
	struct hs_user users[] = {{.id = "1", .email = "a@example.com", .super_admin = 1},
				  {.id = "2", .email = "b@example.com", .role_id = "5"}};
	struct hs_groups g = {groups, N(groups)};
	struct hs_properties p = {props, N(props)};
	struct audit_input in = {.nobjects = 4,
				 .users = users,
				 .nusers = N(users),
				 .super_admin_limit = 3,
				 .granted_scopes = "oauth",
				 .needed_scopes = "oauth tickets"};
	struct audit_findings f;
	static const char *const types[] = {"contacts", "companies", "deals", "tickets"};

	for (int i = 0; i < 4; i++)
		in.objects[i] = (struct audit_object){types[i], &g, &p};
	check(&in, &f);
	ck_assert_uint_eq(f.n, 0);
	audit_findings_free(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("audit");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_rule_table);
	tcase_add_test(tc, test_no_description);
	tcase_add_test(tc, test_duplicate_label);
	tcase_add_test(tc, test_empty_group);
	tcase_add_test(tc, test_enum_options);
	tcase_add_test(tc, test_super_admins);
	tcase_add_test(tc, test_user_without_role);
	tcase_add_test(tc, test_unknown_role);
	tcase_add_test(tc, test_extra_scopes);
	tcase_add_test(tc, test_group_missing);
	tcase_add_test(tc, test_enum_all_hidden);
	tcase_add_test(tc, test_duplicate_group);
	tcase_add_test(tc, test_order);
	tcase_add_test(tc, test_clean_portal);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
