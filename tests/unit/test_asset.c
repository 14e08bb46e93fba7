/*
 * test_asset: fingerprints keep what a deployment carries and nothing of
 * HubSpot's bookkeeping; the diff names the fields that changed.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "asset.h"

static struct hs_property_option opts[2] = {
    {.label = "Gold", .value = "gold", .display_order = 0},
    {.label = "Silver", .value = "silver", .description = "second tier", .display_order = 1},
};

static struct hs_property prop(void)
{
	return (struct hs_property){.name = "contract_tier",
				    .label = "Contract tier",
				    .type = "enumeration",
				    .field_type = "select",
				    .group_name = "agency_info",
				    .description = "Tier of the signed contract",
				    .display_order = 3,
				    .options = opts,
				    .noptions = 2,
				    .json = (char *)"{\"updatedAt\":\"2026-01-01T00:00:00Z\"}"};
}

static char *fp(const struct hs_property *p)
{
	struct buf b;
	char *s;

	buf_init(&b, 1 << 16);
	ck_assert_int_eq(asset_property_fingerprint(p, &b), 0);
	s = strdup(buf_str(&b));
	buf_free(&b);
	return s;
}

START_TEST(test_same_property_same_fingerprint)
{
	struct hs_property a = prop(), b = prop();
	char *x, *y;

	b.json = (char *)"{\"updatedAt\":\"2026-12-06T07:00:00Z\"}"; /* bookkeeping only */
	b.hubspot_defined = 0;
	x = fp(&a);
	y = fp(&b);
	ck_assert_str_eq(x, y);
	ck_assert_uint_eq(asset_diff(x, y), 0);
	free(x);
	free(y);
}
END_TEST

START_TEST(test_each_field_is_named)
{
	static const struct {
		unsigned bit;
	} cases[] = {{ASSET_F_LABEL}, {ASSET_F_DESCRIPTION}, {ASSET_F_GROUP}, {ASSET_F_TYPE},
		     {ASSET_F_FIELD_TYPE}, {ASSET_F_OPTIONS}, {ASSET_F_ORDER}, {ASSET_F_HIDDEN}};
	struct hs_property_option changed_opts[2];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hs_property a = prop(), b = prop();
		char *x, *y;

		memcpy(changed_opts, opts, sizeof(opts));
		switch (cases[i].bit) {
		case ASSET_F_LABEL:
			b.label = "Contract level";
			break;
		case ASSET_F_DESCRIPTION:
			b.description = NULL;
			break;
		case ASSET_F_GROUP:
			b.group_name = "billing";
			break;
		case ASSET_F_TYPE:
			b.type = "string";
			break;
		case ASSET_F_FIELD_TYPE:
			b.field_type = "radio";
			break;
		case ASSET_F_OPTIONS:
			changed_opts[1].label = "Silver+";
			b.options = changed_opts;
			break;
		case ASSET_F_ORDER:
			b.display_order = 4;
			break;
		case ASSET_F_HIDDEN:
			b.hidden = 1;
			break;
		}
		x = fp(&a);
		y = fp(&b);
		ck_assert_str_ne(x, y);
		ck_assert_uint_eq(asset_diff(x, y), cases[i].bit);
		free(x);
		free(y);
	}
}
END_TEST

START_TEST(test_option_order_and_removal_count)
{
	struct hs_property a = prop(), b = prop();
	struct hs_property_option swapped[2] = {opts[1], opts[0]};
	char *x, *y;

	b.options = swapped;
	x = fp(&a);
	y = fp(&b);
	ck_assert_uint_eq(asset_diff(x, y), ASSET_F_OPTIONS);
	free(y);
	b.options = opts;
	b.noptions = 1;
	y = fp(&b);
	ck_assert_uint_eq(asset_diff(x, y), ASSET_F_OPTIONS);
	free(x);
	free(y);
}
END_TEST

START_TEST(test_groups_and_bad_input)
{
	struct hs_group g = {.name = "agency_info", .label = "Agency info", .display_order = 1};
	struct buf a, b;

	buf_init(&a, 4096);
	buf_init(&b, 4096);
	ck_assert_int_eq(asset_group_fingerprint(&g, &a), 0);
	g.label = "Agency information";
	ck_assert_int_eq(asset_group_fingerprint(&g, &b), 0);
	ck_assert_uint_eq(asset_diff(buf_str(&a), buf_str(&b)), ASSET_F_LABEL);
	ck_assert_uint_eq(asset_diff("not json", buf_str(&b)), 0xffu);
	ck_assert_uint_eq(asset_diff(NULL, NULL), 0xffu);
	buf_free(&a);
	buf_free(&b);
}
END_TEST

START_TEST(test_options_json)
{
	struct hs_property p = prop();
	struct buf b;

	buf_init(&b, 4096);
	ck_assert_int_eq(asset_property_options(&p, &b), 0);
	ck_assert_str_eq(buf_str(&b),
			 "[{\"label\":\"Gold\",\"value\":\"gold\",\"description\":\"\","
			 "\"displayOrder\":0,\"hidden\":false},{\"label\":\"Silver\",\"value\":"
			 "\"silver\",\"description\":\"second tier\",\"displayOrder\":1,\"hidden\":"
			 "false}]");
	buf_free(&b);
	ck_assert_str_eq(asset_object_types[0], "contacts");
	ck_assert_str_eq(asset_object_types[ASSET_OBJECT_TYPES - 1], "tickets");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("asset");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_same_property_same_fingerprint);
	tcase_add_test(tc, test_each_field_is_named);
	tcase_add_test(tc, test_option_order_and_removal_count);
	tcase_add_test(tc, test_groups_and_bad_input);
	tcase_add_test(tc, test_options_json);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
