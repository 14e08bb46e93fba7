/*
 * test_status: the status and reason tables, and the one decision that
 * turns what HubSpot showed into a status (status.h's table, row by row).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

static enum status_reason decide(struct status_evidence ev, enum status_decision want)
{
	enum status_reason r = (enum status_reason)-1;

	ck_assert_int_eq(status_decide(&ev, &r), want);
	if (want != DECIDE_CHANGE)
		ck_assert_int_eq(r, REASON_NONE);
	return r;
}

START_TEST(test_nothing_wrong_stays_connected)
{
	decide((struct status_evidence){0}, DECIDE_CONNECTED);
	decide((struct status_evidence){.refresh = EV_ACCEPTED, .access = EV_ACCEPTED,
					.admin = EV_ADMIN_YES},
	       DECIDE_CONNECTED);
	/* an expired access token refused is just expired */
	decide((struct status_evidence){.access = EV_REFUSED, .access_expired = 1},
	       DECIDE_CONNECTED);
}
END_TEST

START_TEST(test_refresh_refused_needs_the_access_token_first)
{
	decide((struct status_evidence){.refresh = EV_REFUSED}, DECIDE_NEED_ACCESS);
}
END_TEST

START_TEST(test_refresh_refused_access_works_or_expired_is_yellow)
{
	enum status_reason r;

	r = decide((struct status_evidence){.refresh = EV_REFUSED, .access = EV_ACCEPTED},
		   DECIDE_CHANGE);
	ck_assert_int_eq(r, REASON_REFRESH_REJECTED);
	r = decide((struct status_evidence){.refresh = EV_REFUSED, .access_expired = 1},
		   DECIDE_CHANGE);
	ck_assert_int_eq(r, REASON_REFRESH_REJECTED);
	/* expired and then refused (introspection of an expired token) */
	r = decide((struct status_evidence){.refresh = EV_REFUSED, .access = EV_REFUSED,
					    .access_expired = 1},
		   DECIDE_CHANGE);
	ck_assert_int_eq(r, REASON_REFRESH_REJECTED);
	ck_assert_int_eq(status_reason_info(r)->status, STATUS_NEEDS_RECONNECTION);
}
END_TEST

START_TEST(test_refused_after_a_lost_answer_says_so)
{
	enum status_reason r;
	char out[400];

	/* the access token is still looked at first */
	decide((struct status_evidence){.refresh = EV_REFUSED, .answer_lost = 1},
	       DECIDE_NEED_ACCESS);
	r = decide((struct status_evidence){.refresh = EV_REFUSED, .access = EV_ACCEPTED,
					    .answer_lost = 1},
		   DECIDE_CHANGE);
	ck_assert_int_eq(r, REASON_REFRESH_ANSWER_LOST);
	ck_assert_int_eq(status_reason_info(r)->status, STATUS_NEEDS_RECONNECTION);
	r = decide((struct status_evidence){.refresh = EV_REFUSED, .access_expired = 1,
					    .answer_lost = 1},
		   DECIDE_CHANGE);
	ck_assert_int_eq(r, REASON_REFRESH_ANSWER_LOST);
	/* a dead grant is still red */
	r = decide((struct status_evidence){.refresh = EV_REFUSED, .access = EV_REFUSED,
					    .answer_lost = 1},
		   DECIDE_CHANGE);
	ck_assert_int_eq(r, REASON_REVOKED_AT_HUBSPOT);
	/* a lost answer alone (the retry was accepted) changes nothing */
	decide((struct status_evidence){.refresh = EV_ACCEPTED, .answer_lost = 1},
	       DECIDE_CONNECTED);
	status_reason_text(REASON_REFRESH_ANSWER_LOST, NULL, out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, "A refresh's answer was lost (the worker stopped"));
	ck_assert_ptr_nonnull(strstr(out, "no longer accepts the stored refresh token"));
	status_evidence_text(&(struct status_evidence){.refresh = EV_REFUSED,
						       .access = EV_ACCEPTED, .answer_lost = 1},
			     out, sizeof(out));
	ck_assert_str_eq(out, "refresh token refused (and introspected inactive) after a refresh "
			      "with it whose answer was lost; access token (unexpired) accepted");
}
END_TEST

START_TEST(test_unexpired_access_refused_is_red)
{
	enum status_reason r;

	r = decide((struct status_evidence){.refresh = EV_REFUSED, .access = EV_REFUSED},
		   DECIDE_CHANGE);
	ck_assert_int_eq(r, REASON_REVOKED_AT_HUBSPOT);
	ck_assert_int_eq(status_reason_info(r)->status, STATUS_DISCONNECTED);
	/* whatever else was seen */
	r = decide((struct status_evidence){.access = EV_REFUSED, .admin = EV_ADMIN_NO,
					    .scopes_missing = 1},
		   DECIDE_CHANGE);
	ck_assert_int_eq(r, REASON_REVOKED_AT_HUBSPOT);
}
END_TEST

START_TEST(test_admin_and_scopes_are_yellow)
{
	ck_assert_int_eq(decide((struct status_evidence){.refresh = EV_ACCEPTED,
							 .access = EV_ACCEPTED,
							 .admin = EV_ADMIN_NO},
				DECIDE_CHANGE),
			 REASON_USER_NOT_ADMIN);
	ck_assert_int_eq(decide((struct status_evidence){.access = EV_ACCEPTED,
							 .admin = EV_ADMIN_NOT_FOUND},
				DECIDE_CHANGE),
			 REASON_USER_NOT_FOUND);
	ck_assert_int_eq(decide((struct status_evidence){.scopes_missing = 1}, DECIDE_CHANGE),
			 REASON_SCOPES_MISSING);
	ck_assert_int_eq(status_reason_info(REASON_SCOPES_MISSING)->status,
			 STATUS_NEEDS_RECONNECTION);
}
END_TEST

START_TEST(test_reason_table)
{
	for (int i = 1; i < REASON__MAX; i++) {
		const struct status_reason_info *ri = status_reason_info((enum status_reason)i);
		const char *hole = strstr(ri->long_text, "%s");

		ck_assert_int_gt(strlen(ri->code), 0);
		ck_assert_int_eq(status_reason_parse(ri->code), i);
		ck_assert_int_gt(strlen(ri->short_text), 0);
		ck_assert_int_ne(ri->status, STATUS_CONNECTED);
		/* at most one hole, and no other directive */
		ck_assert(hole == NULL || strchr(hole + 2, '%') == NULL);
		ck_assert(hole != NULL || strchr(ri->long_text, '%') == NULL);
	}
	ck_assert_int_eq(status_reason_parse("nonsense"), -1);
	ck_assert_int_eq(status_reason_parse(NULL), -1);
	ck_assert_ptr_eq(status_reason_info((enum status_reason)999),
			 status_reason_info(REASON_NONE));
}
END_TEST

START_TEST(test_reason_text)
{
	char out[600];

	status_reason_text(REASON_USER_NOT_ADMIN, "sam@client.test", out, sizeof(out));
	ck_assert_str_eq(out, "The HubSpot user who authorized this connection (sam@client.test) "
			      "is no longer a Super Admin or Admin on the portal. An Admin of the "
			      "portal must reconnect it.");
	status_reason_text(REASON_REFRESH_REJECTED, NULL, out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, "(HubSpot: BAD_REFRESH_TOKEN)"));
	status_reason_text(REASON_SCOPES_MISSING, NULL, out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, "granted: ?."));
	/* a detail with a directive is text, and a small buffer cuts */
	status_reason_text(REASON_USER_NOT_ADMIN, "%s%n", out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, "(%s%n)"));
	status_reason_text(REASON_REFRESH_REJECTED, NULL, out, 10);
	ck_assert_uint_eq(strlen(out), 9);
}
END_TEST

START_TEST(test_status_table)
{
	ck_assert_str_eq(status_key(STATUS_NEEDS_RECONNECTION), "needs_reconnection");
	ck_assert_str_eq(status_label(STATUS_NEEDS_RECONNECTION), "Needs Reconnection");
	ck_assert_str_eq(status_colour(STATUS_CONNECTED), "green");
	ck_assert_str_eq(status_colour(STATUS_DISCONNECTED), "red");
	ck_assert_int_eq(status_parse("disconnected"), STATUS_DISCONNECTED);
	ck_assert_int_eq(status_parse("Connected"), -1);
	ck_assert_str_eq(status_key((enum portal_status)7), "");
}
END_TEST

START_TEST(test_evidence_text)
{
	char out[300];

	status_evidence_text(&(struct status_evidence){.refresh = EV_REFUSED,
						       .access = EV_ACCEPTED},
			     out, sizeof(out));
	ck_assert_str_eq(out, "refresh token refused; access token (unexpired) accepted");
	status_evidence_text(&(struct status_evidence){.access_expired = 1, .admin = EV_ADMIN_NO},
			     out, sizeof(out));
	ck_assert_str_eq(out, "refresh token not checked; access token (expired) not checked; "
			      "authorizing user is not an admin");
}
END_TEST

START_TEST(test_work_refusal)
{
	char out[600];

	status_work_refusal("Acme", "needs_reconnection", "refresh_rejected", "long text", "import",
			    out, sizeof(out));
	ck_assert_str_eq(out, "Authentication error: Acme is Needs Reconnection, so JetStack AI "
			      "cannot call HubSpot for it: HubSpot no longer accepts this portal's "
			      "sign-in (HubSpot: BAD_REFRESH_TOKEN). Reconnect the portal, then "
			      "import again. Nothing was read from HubSpot.");
	/* no code: the row's own text */
	status_work_refusal("Acme", "disconnected", "", "Disconnected by sam.", "deployment", out,
			    sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, "is Disconnected, so JetStack AI cannot call HubSpot for "
					  "it: Disconnected by sam. Reconnect the portal, then "
					  "deployment again."));
	status_work_refusal("Acme", "disconnected", NULL, NULL, "import", out, 20);
	ck_assert_uint_eq(strlen(out), 19);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("status");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_nothing_wrong_stays_connected);
	tcase_add_test(tc, test_refresh_refused_needs_the_access_token_first);
	tcase_add_test(tc, test_refresh_refused_access_works_or_expired_is_yellow);
	tcase_add_test(tc, test_refused_after_a_lost_answer_says_so);
	tcase_add_test(tc, test_unexpired_access_refused_is_red);
	tcase_add_test(tc, test_admin_and_scopes_are_yellow);
	tcase_add_test(tc, test_reason_table);
	tcase_add_test(tc, test_reason_text);
	tcase_add_test(tc, test_status_table);
	tcase_add_test(tc, test_evidence_text);
	tcase_add_test(tc, test_work_refusal);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
