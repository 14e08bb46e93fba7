/*
 * test_db: the database layer's text helpers, without a database: LL and
 * db_copy (written by hand, held to the snprintf calls they replace) and
 * reading a result's columns by db_cols() (a result built with libpq's
 * PQmakeEmptyPGresult, as a statement would give it).
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"

START_TEST(test_ll_as_printf)
{
	static const long long v[] = {0,	 1,	    -1,		  9,	     10,
				      -10,	 99,	    100,	  123456789, -987654321,
				      LLONG_MAX, LLONG_MIN, LLONG_MIN + 1};
	char got[24], want[24];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		memset(got, 'x', sizeof(got));
		LL(got, v[i]);
		snprintf(want, sizeof(want), "%lld", v[i]);
		ck_assert_str_eq(got, want);
	}
}
END_TEST

START_TEST(test_copy_as_printf)
{
	static const char *const src[] = {"", "a", "abc", "abcdefgh", "abcdefghijklmnop"};
	char got[20], want[20];

	for (size_t i = 0; i < sizeof(src) / sizeof(src[0]); i++)
		for (size_t n = 0; n <= sizeof(got); n++) {
			memset(got, 'z', sizeof(got));
			memset(want, 'z', sizeof(want));
			db_copy(got, n, src[i]);
			snprintf(want, n, "%s", src[i]);
			ck_assert_msg(memcmp(got, want, sizeof(got)) == 0, "\"%s\" into %zu bytes",
				      src[i], n);
		}
}
END_TEST

/* A one-row result with columns names[0..n-1] holding values (NULL: a
 * NULL value). */
static PGresult *result_of(const char *const *names, const char *const *values, int n)
{
	PGresult *r = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	PGresAttDesc *a = calloc((size_t)n, sizeof(*a));

	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(a);
	for (int i = 0; i < n; i++) {
		a[i].name = (char *)names[i];
		a[i].typid = 25;
		a[i].typlen = -1;
		a[i].atttypmod = -1;
	}
	ck_assert_int_eq(PQsetResultAttrs(r, n, a), 1);
	free(a);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(
		    PQsetvalue(r, 0, i, (char *)values[i], values[i] ? (int)strlen(values[i]) : -1),
		    1);
	return r;
}

START_TEST(test_columns_by_position_or_name)
{
	static const char *const want[] = {"user_id", "role", "page_v", "gone"};
	static const char *const in_order[] = {"user_id", "role", "page_v"};
	static const char *const moved[] = {"page_v", "extra", "user_id", "role"};
	static const char *const v_in_order[] = {"42", "owner", NULL};
	static const char *const v_moved[] = {"-7", "x", "9223372036854775807", "admin"};
	int c[4];
	PGresult *r;

	/* in the statement's order: each at its index */
	r = result_of(in_order, v_in_order, 3);
	db_cols(r, want, 4, c);
	ck_assert_int_eq(c[0], 0);
	ck_assert_int_eq(c[1], 1);
	ck_assert_int_eq(c[2], 2);
	ck_assert_int_eq(c[3], -1);
	ck_assert_int_eq(db_val_ll(r, 0, c[0]), 42);
	ck_assert_str_eq(db_val(r, 0, c[1]), "owner");
	ck_assert_str_eq(db_val(r, 0, c[2]), ""); /* NULL */
	ck_assert_str_eq(db_val(r, 0, c[3]), ""); /* no such column */
	ck_assert_str_eq(db_val(r, 1, c[0]), ""); /* no such row */
	/* the same as by name */
	for (int i = 0; i < 4; i++)
		ck_assert_str_eq(db_val(r, 0, c[i]), db_get(r, 0, want[i]));
	PQclear(r);

	/* elsewhere: found by name */
	r = result_of(moved, v_moved, 4);
	db_cols(r, want, 4, c);
	ck_assert_int_eq(c[0], 2);
	ck_assert_int_eq(c[1], 3);
	ck_assert_int_eq(c[2], 0);
	ck_assert_int_eq(c[3], -1);
	ck_assert_int_eq(db_val_ll(r, 0, c[0]), 9223372036854775807LL);
	ck_assert_int_eq(db_val_ll(r, 0, c[2]), -7);
	for (int i = 0; i < 4; i++) {
		ck_assert_str_eq(db_val(r, 0, c[i]), db_get(r, 0, want[i]));
		ck_assert_int_eq(db_val_ll(r, 0, c[i]), db_get_ll(r, 0, want[i]));
	}
	PQclear(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("db");
	TCase *tc = tcase_create("text");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_ll_as_printf);
	tcase_add_test(tc, test_copy_as_printf);
	tcase_add_test(tc, test_columns_by_position_or_name);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
