/*
 * test_role: the role table -- who manages portals, runs work, manages the
 * team, and who may move whom from one role to another (DESIGN §11: admins
 * never touch owners nor make one); and the password rule for passwords
 * set in the app (valid_new_password).
 */
#include <check.h>
#include <stdlib.h>

#include "role.h"
#include "valid.h"

START_TEST(test_team_roles)
{
	ck_assert_int_eq(role_can_team("owner"), 1);
	ck_assert_int_eq(role_can_team("admin"), 1);
	ck_assert_int_eq(role_can_team("member"), 0);
	ck_assert_int_eq(role_can_team("viewer"), 0);
	ck_assert_int_eq(role_can_team(NULL), 0);
	ck_assert_int_eq(role_can_team("Owner"), 0);
}
END_TEST

START_TEST(test_who_may_change_whom)
{
	static const char *const keys[] = {"owner", "admin", "member", "viewer"};

	/* owners: anyone, to anything, and removal */
	for (int f = 0; f < 4; f++) {
		for (int t = 0; t < 4; t++)
			ck_assert_int_eq(role_may_change("owner", keys[f], keys[t]), 1);
		ck_assert_int_eq(role_may_change("owner", keys[f], NULL), 1);
		ck_assert_int_eq(role_may_change("owner", NULL, keys[f]), 1);
	}
	/* admins: never an owner, never to owner */
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(role_may_change("admin", "owner", keys[i]), 0);
		ck_assert_int_eq(role_may_change("admin", keys[i], "owner"), 0);
	}
	ck_assert_int_eq(role_may_change("admin", "owner", NULL), 0);
	ck_assert_int_eq(role_may_change("admin", NULL, "owner"), 0);
	for (int f = 1; f < 4; f++) {
		for (int t = 1; t < 4; t++)
			ck_assert_int_eq(role_may_change("admin", keys[f], keys[t]), 1);
		ck_assert_int_eq(role_may_change("admin", keys[f], NULL), 1);
		ck_assert_int_eq(role_may_change("admin", NULL, keys[f]), 1);
	}
	/* members and viewers: nothing */
	for (int f = 0; f < 4; f++)
		for (int t = 0; t < 4; t++) {
			ck_assert_int_eq(role_may_change("member", keys[f], keys[t]), 0);
			ck_assert_int_eq(role_may_change("viewer", keys[f], keys[t]), 0);
		}
	ck_assert_int_eq(role_may_change("member", NULL, "viewer"), 0);
	/* unknown keys are refused */
	ck_assert_int_eq(role_may_change("root", "member", "viewer"), 0);
	ck_assert_int_eq(role_may_change("owner", "member", "root"), 0);
	ck_assert_int_eq(role_may_change("owner", "root", "member"), 0);
	ck_assert_int_eq(role_may_change(NULL, "member", "viewer"), 0);
}
END_TEST

START_TEST(test_new_password_rule)
{
	ck_assert_int_eq(valid_new_password("twelve-chars"), 1);
	ck_assert_int_eq(valid_new_password("eleven-char"), 0);
	ck_assert_int_eq(valid_new_password(""), 0);
	/* characters, not bytes: 12 two-byte letters pass, 11 do not */
	ck_assert_int_eq(valid_new_password("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
					    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"),
			 1);
	ck_assert_int_eq(valid_new_password("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
					    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"),
			 0);
	/* broken UTF-8 is refused whatever its length */
	ck_assert_int_eq(valid_new_password("abcdefghijkl\xff"), 0);
	ck_assert_int_eq(valid_role("viewer"), 1);
	ck_assert_int_eq(valid_role("superuser"), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("role");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_team_roles);
	tcase_add_test(tc, test_who_may_change_whom);
	tcase_add_test(tc, test_new_password_rule);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
