/*
 * Unit tests for page.c's time text (page_local, page_when): the
 * hand-written civil date arithmetic against the C library's gmtime_r over
 * the whole range it accepts, both ways (page_when reads back what
 * page_local writes), and the values it must leave empty.
 */
#define _POSIX_C_SOURCE 200809L

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pages.h"

/* What page_local should write for t at offset off, by way of gmtime_r and
 * strftime. */
static void reference(long long t, int off, char iso[26], char text[32])
{
	time_t tt = (time_t)(t + off);
	struct tm tm;
	char b[64], zone[16];
	int a = off < 0 ? -off : off;

	ck_assert_ptr_nonnull(gmtime_r(&tt, &tm));
	snprintf(zone, sizeof(zone), "%c%02d:%02d", off < 0 ? '-' : '+', a / 3600 % 100,
		 a % 3600 / 60);
	ck_assert_uint_gt(strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm), 0);
	ck_assert_uint_eq(strlen(b) + strlen(zone), 25);
	memcpy(iso, b, 19);
	memcpy(iso + 19, zone, 7);
	ck_assert_uint_gt(strftime(b, sizeof(b), "%Y-%m-%d %H:%M (UTC", &tm), 0);
	ck_assert_uint_eq(strlen(b) + strlen(zone) + 2, 29); /* and ")" and NUL */
	memcpy(text, b, strlen(b));
	memcpy(text + strlen(b), zone, 6);
	memcpy(text + strlen(b) + 6, ")", 2);
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	ck_assert_msg(cJSON_IsString(v), "no %s", k);
	return v->valuestring;
}

static void check_one(long long t, int off)
{
	char iso[26], text[32], want_iso[26], want_text[32];
	cJSON *o = cJSON_CreateObject(), *w;

	page_local(t, off, iso, text);
	reference(t, off, want_iso, want_text);
	ck_assert_msg(strcmp(iso, want_iso) == 0, "t=%lld off=%d: got '%s', want '%s'", t, off, iso,
		      want_iso);
	ck_assert_str_eq(text, want_text);
	/* and back: the instant page_when reads from it is t again */
	page_when(o, "w", iso, t + 3 * 86400 + 5);
	w = cJSON_GetObjectItemCaseSensitive(o, "w");
	ck_assert_ptr_nonnull(w);
	ck_assert_str_eq(str(w, "iso"), iso);
	ck_assert_str_eq(str(w, "text"), text);
	ck_assert_str_eq(str(w, "ago"), "3 days ago");
	cJSON_Delete(o);
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
	    86400,		      /* 1970-01-02 00:00 */
	    86401,	   951782399, /* 2000-02-28 23:59:59 */
	    951782400,		      /* 2000-02-29, a leap day of a century divisible by 400 */
	    951868800,		      /* 2000-03-01 */
	    1709164800,		      /* 2024-02-29 */
	    1795887724,		      /* 2026-11-28 */
	    4107542400LL,	      /* 2100-03-01: 2100 is not a leap year */
	    4107456000LL,	      /* 2100-02-28 */
	    253402250000LL /* 9999-12-31 */};
	static const int offs[] = {
	    0,		3600,	  -5 * 3600, -4 * 3600, 5 * 3600 + 1800, 13 * 3600 + 2700,
	    -12 * 3600, 14 * 3600};

	for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++)
		for (size_t k = 0; k < sizeof(offs) / sizeof(offs[0]); k++)
			check_one(ts[i], offs[k]);
	check_one(1, 0);	      /* 1970-01-01 00:00:01 */
	check_one(253402300799LL, 0); /* 9999-12-31 23:59:59, the last value shown */
}
END_TEST

START_TEST(test_page_time_sweep)
{
	/* every 11th day for 300 years from 1970 (every weekday and month day),
	 * at a time of day and an offset that move */
	for (long long day = 1; day < 300LL * 366; day += 11)
		check_one(day * 86400 + (day * 7919) % 86400, (int)(day % 57 - 28) * 1800);
	/* and random instants up to year 9999 */
	srand(20261128);
	for (int i = 0; i < 3000; i++) {
		long long t = ((long long)rand() << 31 | rand()) % 253402000000LL + 86400;

		check_one(t, (rand() % 57 - 28) * 900);
	}
}
END_TEST

START_TEST(test_page_time_empty)
{
	char iso[26] = "x", text[32] = "x";
	cJSON *o = cJSON_CreateObject();

	page_local(0, 0, iso, text);
	ck_assert_str_eq(iso, ""); /* no time: NULL columns arrive as 0 */
	ck_assert_str_eq(text, "");
	page_local(-5, 0, iso, text);
	ck_assert_str_eq(iso, "");
	page_local(100, -3600, iso, text); /* before 1970 where it is shown */
	ck_assert_str_eq(iso, "");
	page_local(253402300800LL, 0, iso, text); /* year 10000 */
	ck_assert_str_eq(iso, "");
	page_local(1795887724, 24 * 3600, iso, text); /* not an offset */
	ck_assert_str_eq(iso, "");
	/* page_when adds nothing for what is not local_iso()'s shape */
	page_when(o, "a", NULL, 0);
	page_when(o, "b", "", 0);
	page_when(o, "c", "2026-11-28 15:04:00+00:00", 0);
	page_when(o, "d", "2026-13-28T15:04:00+00:00", 0);
	page_when(o, "e", "2026-11-28T15:04:00Z", 0);
	ck_assert_ptr_null(o->child);
	cJSON_Delete(o);
}
END_TEST

START_TEST(test_page_ago_words)
{
	char out[32];

	page_ago(1000, 1000 + 59, out, sizeof(out));
	ck_assert_str_eq(out, "just now");
	page_ago(1000, 1000 + 60, out, sizeof(out));
	ck_assert_str_eq(out, "1 minute ago");
	page_ago(1000, 1000 + 2 * 3600 + 5, out, sizeof(out));
	ck_assert_str_eq(out, "2 hours ago");
	page_ago(1000 + 7 * 86400, 1000, out, sizeof(out));
	ck_assert_str_eq(out, "in 1 week");
	page_ago(1000, 1000 + 400LL * 86400, out, sizeof(out));
	ck_assert_str_eq(out, "1 year ago");
	/* 0 s, the edges of each unit, both ways, singular and plural */
	static const struct {
		long long d;
		const char *words;
	} cases[] = {{0, "just now"},
		     {-59, "just now"},
		     {-60, "in 1 minute"},
		     {119, "1 minute ago"},
		     {120, "2 minutes ago"},
		     {3599, "59 minutes ago"},
		     {3600, "1 hour ago"},
		     {-7199, "in 1 hour"},
		     {-7200, "in 2 hours"},
		     {86399, "23 hours ago"},
		     {86400, "1 day ago"},
		     {6 * 86400 + 86399, "6 days ago"},
		     {7 * 86400, "1 week ago"},
		     {-14 * 86400, "in 2 weeks"},
		     {29 * 86400, "4 weeks ago"},
		     {30 * 86400, "1 month ago"},
		     {-364LL * 86400, "in 12 months"},
		     {365LL * 86400, "1 year ago"},
		     {730LL * 86400, "2 years ago"},
		     {-36500LL * 86400, "in 100 years"},
		     {1000000000000000000LL, "31709791983 years ago"}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		page_ago(5000000000LL - cases[i].d, 5000000000LL, out, sizeof(out));
		ck_assert_str_eq(out, cases[i].words);
	}
}
END_TEST

/* page_ago as it was written with snprintf, to hold the words to. */
static void ago_printf(long long t, long long now, char *out, size_t n)
{
	static const long long secs[] = {31536000, 2592000, 604800, 86400, 3600, 60};
	static const char *const unit[] = {"year", "month", "week", "day", "hour", "minute"};
	long long d = now - t, a = d < 0 ? -d : d;

	if (n == 0)
		return;
	if (a < 60) {
		snprintf(out, n, "just now");
		return;
	}
	for (size_t i = 0; i < 6; i++) {
		long long k = a / secs[i];

		if (k < 1)
			continue;
		snprintf(out, n, d < 0 ? "in %lld %s%s" : "%lld %s%s ago", k, unit[i],
			 k == 1 ? "" : "s");
		return;
	}
}

START_TEST(test_page_ago_as_printf)
{
	char want[40], got[40];
	unsigned long long x = 88172645463325252ULL;
	size_t len;

	/* every span to two hours, then random ones to 200 years, both ways,
	 * into every buffer size (cut as snprintf cuts; 0 writes nothing) */
	for (long long i = 0; i < 7200 + 60000; i++) {
		long long d;
		size_t n = (size_t)(i % 34);

		if (i < 7200) {
			d = i;
		} else {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
			d = (long long)(x % (200ULL * 365 * 86400));
		}
		if (i % 2)
			d = -d;
		memset(want, 'z', sizeof(want));
		memset(got, 'z', sizeof(got));
		ago_printf(1700000000LL - d, 1700000000LL, want, n);
		len = page_ago(1700000000LL - d, 1700000000LL, got, n);
		if (n > 0) {
			ck_assert_uint_eq(len, strlen(got));
			/* nothing HTML would read as markup */
			ck_assert_uint_eq(strspn(got, "abcdefghijklmnopqrstuvwxyz0123456789 "),
					  len);
		} else {
			ck_assert_uint_eq(len, 0);
		}
		ck_assert_msg(memcmp(want, got, sizeof(want)) == 0,
			      "span %lld, size %zu: %.*s / %.*s", d, n, (int)sizeof(want), want,
			      (int)sizeof(got), got);
	}
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
	tcase_add_test(tc, test_page_ago_words);
	tcase_add_test(tc, test_page_ago_as_printf);
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
