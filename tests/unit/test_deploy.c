/*
 * test_deploy: what a deployment does with one asset in a target portal --
 * create, leave, update (naming the fields and carrying only them) or
 * refuse a type change -- and the option union that never drops one of the
 * target's options.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "asset.h"
#include "deploy.h"

/* The asset's and the target's options, by value a, b, c. */
static struct hs_property_option target_ab[2] = {
    {.label = "Alpha", .value = "a", .display_order = 0},
    {.label = "Beta", .value = "b", .description = "second", .display_order = 1},
};

static struct hs_property prop(void)
{
	return (struct hs_property){.name = "contract_tier",
				    .label = "Contract tier",
				    .type = "enumeration",
				    .field_type = "select",
				    .group_name = "agency_info",
				    .description = "Tier of the signed contract",
				    .display_order = 3};
}

static void assert_no_update(const struct deploy_plan *p)
{
	ck_assert_ptr_null(p->update.label);
	ck_assert_ptr_null(p->update.description);
	ck_assert_ptr_null(p->update.group_name);
	ck_assert_ptr_null(p->update.options);
	ck_assert_uint_eq(p->update.noptions, 0);
	ck_assert_int_eq(p->update.send_options, 0);
}

START_TEST(test_missing_is_created)
{
	struct hs_property a = prop();
	struct hs_group g = {.name = "agency_info", .label = "Agency info"};
	struct deploy_plan p;

	ck_assert_int_eq(deploy_property(&a, NULL, &p), 0);
	ck_assert_int_eq(p.action, DEPLOY_CREATE);
	ck_assert_uint_eq(p.changed, 0);
	assert_no_update(&p);
	deploy_plan_free(&p);

	ck_assert_int_eq(deploy_group(&g, NULL, &p), 0);
	ck_assert_int_eq(p.action, DEPLOY_CREATE);
	assert_no_update(&p);
	deploy_plan_free(&p);
}
END_TEST

START_TEST(test_identical_is_unchanged)
{
	struct hs_property_option asset_opts[2] = {target_ab[0], target_ab[1]};
	struct hs_property a = prop(), t = prop();
	struct deploy_plan p;

	/* not compared: field type, display orders; NULL and "" are the same */
	a.options = asset_opts;
	a.noptions = 2;
	asset_opts[0].display_order = 7;
	asset_opts[1].display_order = 5;
	a.description = NULL;
	t.options = target_ab;
	t.noptions = 2;
	t.field_type = "radio";
	t.display_order = 9;
	t.description = "";
	ck_assert_int_eq(deploy_property(&a, &t, &p), 0);
	ck_assert_int_eq(p.action, DEPLOY_UNCHANGED);
	ck_assert_uint_eq(p.changed, 0);
	ck_assert_str_eq(p.changed_text, "");
	assert_no_update(&p);
	deploy_plan_free(&p);
}
END_TEST

START_TEST(test_label_update)
{
	struct hs_property a = prop(), t = prop();
	struct deploy_plan p;

	a.label = "Contract level";
	ck_assert_int_eq(deploy_property(&a, &t, &p), 0);
	ck_assert_int_eq(p.action, DEPLOY_UPDATE);
	ck_assert_uint_eq(p.changed, ASSET_F_LABEL);
	ck_assert_str_eq(p.changed_text, "label");
	ck_assert_str_eq(p.update.label, "Contract level");
	ck_assert_ptr_null(p.update.description);
	ck_assert_ptr_null(p.update.group_name);
	ck_assert_ptr_null(p.update.options);
	ck_assert_int_eq(p.update.send_options, 0);
	deploy_plan_free(&p);
}
END_TEST

START_TEST(test_description_and_group_update)
{
	struct hs_property a = prop(), t = prop();
	struct deploy_plan p;

	a.description = "Tier as signed";
	a.group_name = "billing";
	ck_assert_int_eq(deploy_property(&a, &t, &p), 0);
	ck_assert_int_eq(p.action, DEPLOY_UPDATE);
	ck_assert_uint_eq(p.changed, ASSET_F_DESCRIPTION | ASSET_F_GROUP);
	ck_assert_str_eq(p.changed_text, "description, group");
	ck_assert_ptr_null(p.update.label);
	ck_assert_str_eq(p.update.description, "Tier as signed");
	ck_assert_str_eq(p.update.group_name, "billing");
	ck_assert_int_eq(p.update.send_options, 0);
	deploy_plan_free(&p);
}
END_TEST

START_TEST(test_type_change_is_a_conflict)
{
	struct hs_property a = prop(), t = prop();
	struct deploy_plan p;

	a.type = "string";
	a.label = "Another label"; /* would be an update, but the type wins */
	t.type = "number";
	ck_assert_int_eq(deploy_property(&a, &t, &p), 0);
	ck_assert_int_eq(p.action, DEPLOY_CONFLICT);
	ck_assert_ptr_nonnull(strstr(p.message, "contract_tier"));
	ck_assert_ptr_nonnull(strstr(p.message, "string"));
	ck_assert_ptr_nonnull(strstr(p.message, "number"));
	ck_assert_uint_eq(p.changed, 0);
	assert_no_update(&p);
	deploy_plan_free(&p);
}
END_TEST

START_TEST(test_options_union)
{
	struct hs_property_option asset_bc[2] = {
	    {.label = "Beta two", .value = "b", .description = "second", .display_order = 0},
	    {.label = "Gamma", .value = "c", .display_order = 1},
	};
	struct hs_property a = prop(), t = prop();
	struct deploy_plan p;
	const struct hs_property_option *o;

	a.options = asset_bc;
	a.noptions = 2;
	t.options = target_ab;
	t.noptions = 2;
	ck_assert_int_eq(deploy_property(&a, &t, &p), 0);
	ck_assert_int_eq(p.action, DEPLOY_UPDATE);
	ck_assert_uint_eq(p.changed, ASSET_F_OPTIONS);
	ck_assert_str_eq(p.changed_text, "options");
	ck_assert_ptr_null(p.update.label);
	ck_assert_ptr_null(p.update.description);
	ck_assert_ptr_null(p.update.group_name);
	ck_assert_int_eq(p.update.send_options, 1);
	ck_assert_uint_eq(p.update.noptions, 3);
	o = p.update.options;
	ck_assert_ptr_nonnull(o);
	/* the target's a, kept as it is */
	ck_assert_str_eq(o[0].value, "a");
	ck_assert_str_eq(o[0].label, "Alpha");
	ck_assert_int_eq(o[0].display_order, 0);
	/* the target's b, with the asset's label, in the target's place */
	ck_assert_str_eq(o[1].value, "b");
	ck_assert_str_eq(o[1].label, "Beta two");
	ck_assert_str_eq(o[1].description, "second");
	ck_assert_int_eq(o[1].display_order, 1);
	/* the asset's c, appended after the target's */
	ck_assert_str_eq(o[2].value, "c");
	ck_assert_str_eq(o[2].label, "Gamma");
	ck_assert_int_eq(o[2].display_order, -1);
	deploy_plan_free(&p);
}
END_TEST

START_TEST(test_options_subset_is_unchanged)
{
	struct hs_property_option asset_b[1] = {target_ab[1]};
	struct hs_property a = prop(), t = prop();
	struct deploy_plan p;

	a.options = asset_b;
	a.noptions = 1;
	t.options = target_ab;
	t.noptions = 2;
	ck_assert_int_eq(deploy_property(&a, &t, &p), 0);
	ck_assert_int_eq(p.action, DEPLOY_UNCHANGED);
	ck_assert_str_eq(p.changed_text, "");
	assert_no_update(&p);
	deploy_plan_free(&p);
}
END_TEST

START_TEST(test_option_hidden_is_an_update)
{
	struct hs_property_option asset_opts[2] = {target_ab[0], target_ab[1]};
	struct hs_property a = prop(), t = prop();
	struct deploy_plan p;

	asset_opts[0].hidden = 1;
	a.options = asset_opts;
	a.noptions = 2;
	t.options = target_ab;
	t.noptions = 2;
	ck_assert_int_eq(deploy_property(&a, &t, &p), 0);
	ck_assert_int_eq(p.action, DEPLOY_UPDATE);
	ck_assert_uint_eq(p.changed, ASSET_F_OPTIONS);
	ck_assert_str_eq(p.changed_text, "options");
	ck_assert_int_eq(p.update.send_options, 1);
	ck_assert_uint_eq(p.update.noptions, 2);
	ck_assert_str_eq(p.update.options[0].value, "a");
	ck_assert_int_eq(p.update.options[0].hidden, 1);
	ck_assert_str_eq(p.update.options[1].value, "b");
	ck_assert_int_eq(p.update.options[1].hidden, 0);
	deploy_plan_free(&p);
}
END_TEST

START_TEST(test_group_label)
{
	struct hs_group a = {
	    .name = "agency_info", .label = "Agency information", .display_order = 1};
	struct hs_group t = {.name = "agency_info", .label = "Agency info", .display_order = 4};
	struct deploy_plan p;

	ck_assert_int_eq(deploy_group(&a, &t, &p), 0);
	ck_assert_int_eq(p.action, DEPLOY_UPDATE);
	ck_assert_uint_eq(p.changed, ASSET_F_LABEL);
	ck_assert_str_eq(p.changed_text, "label");
	ck_assert_str_eq(p.update.label, "Agency information");
	ck_assert_ptr_null(p.update.description);
	ck_assert_ptr_null(p.update.group_name);
	ck_assert_int_eq(p.update.send_options, 0);
	deploy_plan_free(&p);

	t.label = "Agency information"; /* display order alone is not compared */
	ck_assert_int_eq(deploy_group(&a, &t, &p), 0);
	ck_assert_int_eq(p.action, DEPLOY_UNCHANGED);
	ck_assert_str_eq(p.changed_text, "");
	assert_no_update(&p);
	deploy_plan_free(&p);
}
END_TEST

START_TEST(test_no_options_either_side)
{
	struct hs_property a = prop(), t = prop();
	struct deploy_plan p;

	a.type = t.type = "string";
	a.field_type = t.field_type = "text";
	a.label = "Contract level";
	ck_assert_int_eq(deploy_property(&a, &t, &p), 0);
	ck_assert_int_eq(p.action, DEPLOY_UPDATE);
	ck_assert_str_eq(p.changed_text, "label");
	ck_assert_ptr_null(p.options);
	ck_assert_uint_eq(p.noptions, 0);
	ck_assert_ptr_null(p.update.options);
	ck_assert_uint_eq(p.update.noptions, 0);
	ck_assert_int_eq(p.update.send_options, 0);
	deploy_plan_free(&p);

	a.label = t.label;
	ck_assert_int_eq(deploy_property(&a, &t, &p), 0);
	ck_assert_int_eq(p.action, DEPLOY_UNCHANGED);
	ck_assert_ptr_null(p.options);
	ck_assert_uint_eq(p.noptions, 0);
	deploy_plan_free(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("deploy");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_missing_is_created);
	tcase_add_test(tc, test_identical_is_unchanged);
	tcase_add_test(tc, test_label_update);
	tcase_add_test(tc, test_description_and_group_update);
	tcase_add_test(tc, test_type_change_is_a_conflict);
	tcase_add_test(tc, test_options_union);
	tcase_add_test(tc, test_options_subset_is_unchanged);
	tcase_add_test(tc, test_option_hidden_is_an_update);
	tcase_add_test(tc, test_group_label);
	tcase_add_test(tc, test_no_options_either_side);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
