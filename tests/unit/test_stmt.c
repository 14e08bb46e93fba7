/*
 * test_stmt: every statement name has its SQL, names are unique, and each
 * statement's placeholders are $1..$n without a gap (a gap is a parameter
 * PostgreSQL cannot type, and a sign of text assembled by hand).  That
 * every statement prepares against the migrated schema is checked by
 * tests/integration/test_statements.py, which has a database.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"

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

/* The highest $n in sql, and whether every $1..$max appears. */
static int placeholders(const char *sql, int *contiguous)
{
	unsigned char seen[100] = {0};
	int max = 0;

	for (const char *p = sql; *p; p++) {
		if (*p != '$' || p[1] < '1' || p[1] > '9')
			continue;
		int n = 0;
		while (p[1] >= '0' && p[1] <= '9' && n < 100)
			n = n * 10 + (*++p - '0');
		if (n > 0 && n < 100) {
			seen[n] = 1;
			if (n > max)
				max = n;
		}
	}
	*contiguous = 1;
	for (int i = 1; i <= max; i++)
		if (!seen[i])
			*contiguous = 0;
	return max;
}

START_TEST(test_placeholders_are_contiguous)
{
	for (int i = 0; i < ST__MAX; i++) {
		int ok;

		placeholders(stmt_sql((enum stmt)i), &ok);
		ck_assert_msg(ok, "statement %s skips a placeholder", stmt_name((enum stmt)i));
	}
}
END_TEST

START_TEST(test_placeholder_scanner)
{
	int ok;

	ck_assert_int_eq(placeholders("SELECT $1, $2::int, $10", &ok), 10);
	ck_assert_int_eq(ok, 0);
	ck_assert_int_eq(placeholders("SELECT $2, $1 || '$x'", &ok), 2);
	ck_assert_int_eq(ok, 1);
	ck_assert_int_eq(placeholders("SELECT 1", &ok), 0);
	ck_assert_int_eq(ok, 1);
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
	tcase_add_test(tc, test_placeholders_are_contiguous);
	tcase_add_test(tc, test_placeholder_scanner);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
