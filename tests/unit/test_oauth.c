/*
 * test_oauth: the flow's refusal table and messages, HubSpot's answer at
 * the authorize step, and the state's lifetime as pages say it.  (The
 * steps that talk to PostgreSQL and HubSpot are driven end to end by
 * tests/integration/test_reconnect.py and test_status_decision.py.)
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oauth.h"
#include "role.h"

START_TEST(test_table_is_complete)
{
	for (int r = 1; r < OAUTH__MAX; r++) {
		const struct oauth_refusal_info *ri = oauth_refusal_info((enum oauth_refusal)r);

		ck_assert_int_ge(ri->status, 200);
		ck_assert_int_gt(strlen(ri->title), 0);
		ck_assert_int_gt(strlen(ri->message), 0);
		/* every refusal but ours says nothing was changed */
		if (r != OAUTH_ERROR)
			ck_assert_msg(strstr(ri->message, "othing was changed") != NULL,
				      "refusal %d does not say nothing was changed", r);
	}
	ck_assert_ptr_eq(oauth_refusal_info((enum oauth_refusal)999),
			 oauth_refusal_info(OAUTH_ERROR));
	ck_assert_int_eq(oauth_refusal_info(OAUTH_ERROR)->status, 500);
	ck_assert_int_eq(oauth_refusal_info(OAUTH_CANCELLED)->status, 200);
	ck_assert_int_eq(oauth_refusal_info(OAUTH_RACE_LOST)->status, 409);
}
END_TEST

START_TEST(test_every_slot_is_known)
{
	struct oauth_flow f;
	char out[1200];

	memset(&f, 0, sizeof(f));
	for (int r = 1; r < OAUTH__MAX; r++) {
		oauth_refusal_message((enum oauth_refusal)r, &f, out, sizeof(out));
		ck_assert_msg(strchr(out, '{') == NULL && strchr(out, '}') == NULL,
			      "refusal %d left a slot: %s", r, out);
	}
}
END_TEST

START_TEST(test_messages_name_the_details)
{
	struct oauth_flow f;
	char out[1200], domain[] = "acme.example", user[] = "sam@client.test";

	memset(&f, 0, sizeof(f));
	f.tok.hub_id = 111;
	f.info.hub_domain = domain;
	f.info.user = user;
	f.target_hub = 222;
	snprintf(f.target_name, sizeof(f.target_name), "Globex");
	oauth_refusal_message(OAUTH_WRONG_PORTAL, &f, out, sizeof(out));
	ck_assert_str_eq(out, "You selected portal acme.example (Hub ID 111) on HubSpot's screen, "
			      "but this row is portal Globex (Hub ID 222). Nothing was changed. "
			      "Click Reconnect again and select Globex (Hub ID 222).");
	oauth_refusal_message(OAUTH_STATE_EXPIRED, &f, out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, "(links last " OAUTH_STATE_TTL_TEXT ")"));
	oauth_refusal_message(OAUTH_NOT_HUBSPOT_ADMIN, &f, out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, "(sam@client.test)"));
	snprintf(f.missing_scope, sizeof(f.missing_scope), "crm.schemas.deals.write");
	f.type = CONN_AUDIT_ONLY;
	oauth_refusal_message(OAUTH_SCOPES_MISSING, &f, out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, "\"crm.schemas.deals.write\", which the Audit Only"));
	/* a small buffer cuts, never overflows */
	oauth_refusal_message(OAUTH_WRONG_PORTAL, &f, out, 12);
	ck_assert_str_eq(out, "You selecte");
}
END_TEST

START_TEST(test_ttl_text_matches_ttl)
{
	ck_assert_int_eq(OAUTH_STATE_TTL, 10 * 60);
	ck_assert_str_eq(OAUTH_STATE_TTL_TEXT, "10 minutes");
}
END_TEST

START_TEST(test_authorize_answer)
{
	struct oauth_flow f;

	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(oauth_authorize_answer("access_denied", NULL, &f), OAUTH_CANCELLED);
	ck_assert_int_eq(oauth_authorize_answer("server_error", "c", &f), OAUTH_DENIED);
	ck_assert_str_eq(f.hs_error, "server_error");
	ck_assert_int_eq(oauth_authorize_answer(NULL, NULL, &f), OAUTH_NO_CODE);
	ck_assert_int_eq(oauth_authorize_answer(NULL, "code", &f), OAUTH_OK);
}
END_TEST

START_TEST(test_roles)
{
	ck_assert(role_can_manage("owner"));
	ck_assert(role_can_manage("admin"));
	ck_assert(!role_can_manage("member"));
	ck_assert(!role_can_manage("viewer"));
	ck_assert(!role_can_manage("Owner"));
	ck_assert(!role_can_manage(""));
	ck_assert(!role_can_manage(NULL));
	ck_assert(role_can_run("member"));
	ck_assert(!role_can_run("viewer"));
	ck_assert_int_eq(role_parse("viewer"), ROLE_VIEWER);
	ck_assert_str_eq(role_label(ROLE_ADMIN), "Admin");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("oauth");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_table_is_complete);
	tcase_add_test(tc, test_every_slot_is_known);
	tcase_add_test(tc, test_messages_name_the_details);
	tcase_add_test(tc, test_ttl_text_matches_ttl);
	tcase_add_test(tc, test_authorize_answer);
	tcase_add_test(tc, test_roles);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
