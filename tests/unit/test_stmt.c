/*
 * test_stmt: every statement name has its SQL, names are unique, and the
 * SQL uses placeholders rather than anything assembled at run time.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "stmt.h"

START_TEST(test_every_statement_has_name_and_sql)
{
	for (int i = 0; i < ST__MAX; i++) {
		ck_assert_msg(stmt_name((enum stmt)i) != NULL, "statement %d has no name", i);
		ck_assert_msg(stmt_sql((enum stmt)i) != NULL, "statement %d has no SQL", i);
		ck_assert_int_ge(strlen(stmt_sql((enum stmt)i)), 8);
	}
}
END_TEST

START_TEST(test_statement_names_are_unique)
{
	for (int i = 0; i < ST__MAX; i++)
		for (int j = i + 1; j < ST__MAX; j++)
			ck_assert_msg(strcmp(stmt_name((enum stmt)i), stmt_name((enum stmt)j)) != 0,
				      "statements %d and %d share the name %s", i, j,
				      stmt_name((enum stmt)i));
}
END_TEST

START_TEST(test_no_format_directives_in_sql)
{
	for (int i = 0; i < ST__MAX; i++) {
		const char *sql = stmt_sql((enum stmt)i);

		ck_assert_msg(strstr(sql, "%s") == NULL && strstr(sql, "%d") == NULL,
			      "statement %s looks assembled with printf", stmt_name((enum stmt)i));
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("stmt");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_every_statement_has_name_and_sql);
	tcase_add_test(tc, test_statement_names_are_unique);
	tcase_add_test(tc, test_no_format_directives_in_sql);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
