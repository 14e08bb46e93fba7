/*
 * test_view_rows: the one-allocation row block reads, through cJSON's
 * public API and through the template engine, exactly like the same rows
 * built node by node with cJSON_Create*.  If cJSON's linking invariant
 * (the first child's prev is the last) changes, these fail.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "buf.h"
#include "tmpl.h"
#include "view_rows.h"

static const char *const keys[] = {"id", "name", "flag"};
static const char *const names[] = {"Acme & Co", "<Globex>", "Initech"};

static struct view_rows *block(int n)
{
	struct view_rows *v = view_rows_new(n, 3, keys);

	ck_assert_ptr_nonnull(v);
	for (int i = 0; i < n; i++) {
		char *id = view_rows_scratch(v, i);

		snprintf(id, VIEW_ROWS_SCRATCH, "%d", 100 + i);
		view_rows_text(v, i, 0, id);
		view_rows_text(v, i, 1, names[i % 3]);
		view_rows_bool(v, i, 2, i % 2);
	}
	return v;
}

static cJSON *plain(int n)
{
	cJSON *a = cJSON_CreateArray();

	for (int i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		char id[16];

		snprintf(id, sizeof(id), "%d", 100 + i);
		cJSON_AddStringToObject(o, "id", id);
		cJSON_AddStringToObject(o, "name", names[i % 3]);
		cJSON_AddBoolToObject(o, "flag", i % 2);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

START_TEST(test_public_api_reads_the_block)
{
	for (int n = 0; n <= 5; n++) {
		struct view_rows *v = block(n);
		cJSON *a = view_rows_array(v), *it;
		int i = 0;

		ck_assert(cJSON_IsArray(a));
		ck_assert_int_eq(cJSON_GetArraySize(a), n);
		cJSON_ArrayForEach(it, a)
		{
			ck_assert(cJSON_IsObject(it));
			ck_assert_int_eq(cJSON_GetArraySize(it), 3);
			ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(it, "name")->valuestring,
					 names[i % 3]);
			ck_assert(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(it, "flag")));
			ck_assert_int_eq(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "flag")),
					 i % 2);
			i++;
		}
		ck_assert_int_eq(i, n);
		if (n > 0) {
			/* the last element by index: cJSON walks next pointers */
			cJSON *last = cJSON_GetArrayItem(a, n - 1);
			char want[16];

			snprintf(want, sizeof(want), "%d", 100 + n - 1);
			ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(last, "id")->valuestring,
					 want);
			/* cJSON's invariant: the first child's prev is the last */
			ck_assert_ptr_eq(a->child->prev, last);
		}
		view_rows_free(v);
	}
}
END_TEST

START_TEST(test_prints_like_plain_cjson)
{
	struct view_rows *v = block(4);
	cJSON *p = plain(4);
	char *a = cJSON_PrintUnformatted(view_rows_array(v)), *b = cJSON_PrintUnformatted(p);

	ck_assert_str_eq(a, b);
	cJSON_free(a);
	cJSON_free(b);
	cJSON_Delete(p);
	view_rows_free(v);
}
END_TEST

START_TEST(test_renders_like_plain_cjson_and_survives_delete_of_view)
{
	struct tmpl_set *set = tmpl_set_new();
	struct buf x, y;
	char err[256];
	struct view_rows *v = block(3);
	cJSON *view1 = cJSON_CreateObject(), *view2 = cJSON_CreateObject();

	ck_assert_int_eq(tmpl_set_add(set, "t",
				      "{{#rows}}<tr id=\"r{{id}}\">{{name}}{{#flag}} on{{/flag}}"
				      "{{^flag}} off{{/flag}}</tr>{{/rows}}",
				      err, sizeof(err)),
			 0);
	ck_assert(cJSON_AddItemReferenceToObject(view1, "rows", view_rows_array(v)));
	cJSON_AddItemToObject(view2, "rows", plain(3));
	buf_init(&x, 4096);
	buf_init(&y, 4096);
	ck_assert_int_eq(tmpl_render(set, "t", view1, &x, err, sizeof(err)), 0);
	ck_assert_int_eq(tmpl_render(set, "t", view2, &y, err, sizeof(err)), 0);
	ck_assert_uint_eq(x.len, y.len);
	ck_assert(memcmp(x.data, y.data, x.len) == 0);
	ck_assert(strstr(x.data, "&lt;Globex&gt; on") != NULL);
	/* deleting the view leaves the referenced block alone (valgrind
	 * would see a double free otherwise) */
	cJSON_Delete(view1);
	cJSON_Delete(view2);
	view_rows_free(v);
	buf_free(&x);
	buf_free(&y);
	tmpl_set_free(set);
}
END_TEST

START_TEST(test_bad_sizes)
{
	ck_assert_ptr_null(view_rows_new(-1, 3, keys));
	ck_assert_ptr_null(view_rows_new(1, 0, keys));
	view_rows_free(NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("view_rows");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_public_api_reads_the_block);
	tcase_add_test(tc, test_prints_like_plain_cjson);
	tcase_add_test(tc, test_renders_like_plain_cjson_and_survives_delete_of_view);
	tcase_add_test(tc, test_bad_sizes);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
