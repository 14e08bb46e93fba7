/*
 * Unit tests for page.c's time text (page_time): the hand-written civil
 * date arithmetic against the C library's gmtime_r over the whole range it
 * accepts, and the values it must leave empty.
 */
#define _POSIX_C_SOURCE 200809L

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pages.h"

/* What page_time should print, by way of gmtime_r and strftime. */
static void reference(long long t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	ck_assert_ptr_nonnull(gmtime_r(&tt, &tm));
	ck_assert_uint_gt(strftime(out, n, "%Y-%m-%d %H:%M UTC", &tm), 0);
}

static void check_one(long long t)
{
	char got[32], want[32];

	page_time(t, got, sizeof(got));
	reference(t, want, sizeof(want));
	ck_assert_msg(strcmp(got, want) == 0, "t=%lld: got '%s', want '%s'", t, got, want);
}

/* page_int against snprintf("%lld") at the edges and across magnitudes. */
START_TEST(test_page_int)
{
	const long long vs[] = {
	    0,	       1,	  -1,		9, 10, -10, 99, 100, 1234567890123LL, 60001008,
	    LLONG_MAX, LLONG_MIN, LLONG_MIN + 1};
	char got[24], want[24];

	for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
		page_int(vs[i], got, sizeof(got));
		snprintf(want, sizeof(want), "%lld", vs[i]);
		ck_assert_str_eq(got, want);
	}
	for (long long v = 1; v > 0 && v < LLONG_MAX / 3; v = v * 3 + 1) {
		page_int(v, got, sizeof(got));
		snprintf(want, sizeof(want), "%lld", v);
		ck_assert_str_eq(got, want);
	}
	page_int(5, got, 20); /* too small for every value: refused whole */
	ck_assert_str_eq(got, "");
}
END_TEST

START_TEST(test_page_time_edges)
{
	static const long long ts[] = {
	    1, /* 1970-01-01 00:00 */
	    59,
	    86399,
	    86400,
	    951782399,	  /* 2000-02-28 23:59:59 */
	    951782400,	  /* 2000-02-29, a leap day of a century divisible by 400 */
	    951868800,	  /* 2000-03-01 */
	    1709164800,	  /* 2024-02-29 */
	    1795887724,	  /* 2026-11-28 */
	    4107542400LL, /* 2100-03-01: 2100 is not a leap year */
	    4107456000LL, /* 2100-02-28 */
	    253402300799LL /* 9999-12-31 23:59:59, the last value shown */};

	for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++)
		check_one(ts[i]);
}
END_TEST

START_TEST(test_page_time_sweep)
{
	/* every 5th day for 300 years from 1970 (every weekday and month day),
	 * at a time of day that moves */
	for (long long day = 1; day < 300LL * 366; day += 5)
		check_one(day * 86400 + (day * 7919) % 86400);
	/* and random instants up to year 9999 */
	srand(20261128);
	for (int i = 0; i < 10000; i++) {
		long long t = ((long long)rand() << 31 | rand()) % 253402300799LL + 1;

		check_one(t);
	}
}
END_TEST

START_TEST(test_page_time_empty)
{
	char out[32] = "x";

	page_time(0, out, sizeof(out));
	ck_assert_str_eq(out, ""); /* no time: NULL columns arrive as 0 */
	strcpy(out, "x");
	page_time(-5, out, sizeof(out));
	ck_assert_str_eq(out, "");
	strcpy(out, "x");
	page_time(253402300800LL, out, sizeof(out)); /* year 10000 */
	ck_assert_str_eq(out, "");
	strcpy(out, "x");
	page_time(1795887724, out, 20); /* too small for "YYYY-MM-DD HH:MM UTC" */
	ck_assert_str_eq(out, "");
	page_time(1795887724, out, 0); /* untouched */
	ck_assert_str_eq(out, "");
}
END_TEST

static Suite *page_suite(void)
{
	Suite *s = suite_create("page");
	TCase *tc = tcase_create("time");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_page_int);
	tcase_add_test(tc, test_page_time_edges);
	tcase_add_test(tc, test_page_time_sweep);
	tcase_add_test(tc, test_page_time_empty);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(page_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
