/*
 * test_route: the page table's matching (exact before "{id}", ids as
 * valid_id accepts them) and its names.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"
#include "valid.h"

static int find(const char *path, long long *id)
{
	*id = -7;
	return route_find(path, id);
}

/* Which requests a page thread serves together (server.c): GET or HEAD of
 * the hot page only; never a write, an export or a HubSpot round trip. */
START_TEST(test_quick_requests)
{
	ck_assert_int_eq(route_quick("GET", "/portals", NULL), 1);
	ck_assert_int_eq(route_quick("HEAD", "/portals", "/portals?sort=name"), 1);
	ck_assert_int_eq(route_quick("GET", NULL, "/portals?q=acme&status=connected"), 1);
	ck_assert_int_eq(route_quick("GET", "", "/portals?after=12"), 1);
	ck_assert_int_eq(route_quick("POST", "/portals", NULL), 0);
	ck_assert_int_eq(route_quick("PUT", "/portals", NULL), 0);
	ck_assert_int_eq(route_quick(NULL, "/portals", NULL), 0);
	ck_assert_int_eq(route_quick("GET", NULL, NULL), 0);
	ck_assert_int_eq(route_quick("GET", "/activity.csv", NULL), 0);
	ck_assert_int_eq(route_quick("GET", "/oauth/callback", NULL), 0);
	ck_assert_int_eq(route_quick("GET", "/portals/12", NULL), 0);
	ck_assert_int_eq(route_quick("GET", "/login", NULL), 0);
	ck_assert_int_eq(route_quick("GET", "/portalsx", NULL), 0);
	ck_assert_int_eq(route_quick("get", "/portals", NULL), 0);
}
END_TEST

START_TEST(test_exact_paths)
{
	long long id;
	static const struct {
		const char *path;
		int page;
	} cases[] = {
	    {"/", PAGE_HOME},
	    {"/login", PAGE_LOGIN},
	    {"/logout", PAGE_LOGOUT},
	    {"/portals", PAGE_PORTALS},
	    {"/portals/new", PAGE_PORTAL_NEW},
	    {"/oauth/callback", PAGE_OAUTH_CALLBACK},
	    {"/help", PAGE_HELP},
	    {"/activity", PAGE_ACTIVITY},
	    {"/activity.csv", PAGE_ACTIVITY_CSV},
	    {"/help/oauth-connection-flow", PAGE_HELP_FLOW},
	    {"/help/connection-troubleshooting", PAGE_HELP_TROUBLE},
	    {"/healthz", PAGE_HEALTHZ},
	    {"/metrics", PAGE_METRICS},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(find(cases[i].path, &id), cases[i].page);
		ck_assert_int_eq(id, -7); /* no id in an exact path */
	}
}
END_TEST

START_TEST(test_id_paths)
{
	long long id;

	ck_assert_int_eq(find("/portals/42", &id), PAGE_PORTAL);
	ck_assert_int_eq(id, 42);
	ck_assert_int_eq(find("/portals/9007199254740993/reconnect", &id), PAGE_PORTAL_RECONNECT);
	ck_assert_int_eq(id, 9007199254740993LL);
	ck_assert_int_eq(find("/portals/7/disconnect", &id), PAGE_PORTAL_DISCONNECT);
	ck_assert_int_eq(id, 7);
	ck_assert_int_eq(find("/portals/7/remove", &id), PAGE_PORTAL_REMOVE);
	/* "new" is the exact page, never an id */
	ck_assert_int_eq(find("/portals/new", &id), PAGE_PORTAL_NEW);
}
END_TEST

START_TEST(test_no_match)
{
	static const char *bad[] = {
	    "/portals/",	     "/portals/0",	     "/portals/-1",	 "/portals/01",
	    "/portals/1x",	     "/portals/1/",	     "/portals//reconnect", "/portals/1/other",
	    "/Portals",		     "/portals/1/reconnect/", "/login/",		 "",
	    "/portals/99999999999999999999", "/help/", "/metrics.txt",
	};
	long long id;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(find(bad[i], &id) == -1, "%s matched", bad[i]);
}
END_TEST

START_TEST(test_names)
{
	for (int p = 0; p < PAGE__MAX; p++) {
		const char *n = route_name(p);

		ck_assert_ptr_nonnull(n);
		ck_assert_int_gt(strlen(n), 0);
		ck_assert_str_ne(n, "unknown");
		for (int q = p + 1; q < PAGE__MAX; q++)
			ck_assert_str_ne(n, route_name(q));
	}
	ck_assert_str_eq(route_name(PAGE__MAX), "unknown");
	ck_assert_str_eq(route_name(-1), "unknown");
}
END_TEST

/* The activity log's filters (issue 17 item 1): "" is "all"; dates are
 * real days; kinds are any lower-case name another part of the product may
 * write. */
START_TEST(test_activity_filters)
{
	static const char *const good_dates[] = {"2026-12-06", "2024-02-29", "2000-02-29",
						 "1900-01-01", "9999-12-31", ""};
	static const char *const bad_dates[] = {"2026-02-29", "1900-02-29", "2026-13-01",
						"2026-00-10", "2026-04-31", "2026-1-01",
						"26-01-01",   "2026/01/01", "1899-12-31",
						"2026-01-01 ", "2026-01-0a"};
	static const char *const good_kinds[] = {"", "renamed", "api_token_created", "Renamed",
						 "portal.status_changed", "role-changed", "x1"};
	static const char *const bad_kinds[] = {"bad kind", "kind;", "kind\n", "k\xc3\xa9", "a/b"};
	char long_kind[66];

	for (size_t i = 0; i < sizeof(good_dates) / sizeof(good_dates[0]); i++)
		ck_assert_msg(valid_date_or_empty(good_dates[i]), "%s", good_dates[i]);
	for (size_t i = 0; i < sizeof(bad_dates) / sizeof(bad_dates[0]); i++)
		ck_assert_msg(!valid_date_or_empty(bad_dates[i]), "%s", bad_dates[i]);
	ck_assert(!valid_date(""));
	for (size_t i = 0; i < sizeof(good_kinds) / sizeof(good_kinds[0]); i++)
		ck_assert_msg(valid_activity_kind(good_kinds[i]), "%s", good_kinds[i]);
	for (size_t i = 0; i < sizeof(bad_kinds) / sizeof(bad_kinds[0]); i++)
		ck_assert_msg(!valid_activity_kind(bad_kinds[i]), "%s", bad_kinds[i]);
	memset(long_kind, 'k', 65);
	long_kind[65] = '\0';
	ck_assert(!valid_activity_kind(long_kind));
	long_kind[64] = '\0';
	ck_assert(valid_activity_kind(long_kind));
	ck_assert(valid_id_or_empty("") && valid_id_or_empty("12"));
	ck_assert(!valid_id_or_empty("0") && !valid_id_or_empty("-1") && !valid_id_or_empty("1a"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("route");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_quick_requests);
	tcase_add_test(tc, test_exact_paths);
	tcase_add_test(tc, test_id_paths);
	tcase_add_test(tc, test_no_match);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_activity_filters);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
