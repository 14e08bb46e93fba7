/*
 * test_csv: CSV fields are quoted per RFC 4180 and neutralised against
 * formula injection.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

static char *row(const char *const *fields, int n)
{
	static char out[1024];
	struct buf b;

	buf_init(&b, 1024);
	for (int i = 0; i < n; i++)
		csv_field(&b, fields[i], i == n - 1);
	snprintf(out, sizeof(out), "%s", buf_str(&b));
	buf_free(&b);
	return out;
}

START_TEST(test_quoting)
{
	const char *f[] = {"plain", "with, comma", "say \"hi\"", "two\nlines", "", NULL};

	ck_assert_str_eq(row(f, 6), "\"plain\",\"with, comma\",\"say \"\"hi\"\"\",\"two\nlines\",\"\",\"\"\r\n");
}
END_TEST

START_TEST(test_neutralised)
{
	const char *f[] = {"=SUM(A1:A9)", "+1", "-2", "@cmd", "\tx", "\ry", "a=b", "1-2"};

	ck_assert_str_eq(row(f, 8), "\"'=SUM(A1:A9)\",\"'+1\",\"'-2\",\"'@cmd\",\"'\tx\",\"'\ry\","
				    "\"a=b\",\"1-2\"\r\n");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("csv");
	TCase *tc = tcase_create("csv");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_quoting);
	tcase_add_test(tc, test_neutralised);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
