/*
 * test_worker: the backoff of failing jobs.  (Claiming, leases, racing
 * jobs and crashes are driven against PostgreSQL by
 * tests/integration/test_worker.py and test_status_decision.py.)
 */
#include <check.h>
#include <stdlib.h>

#include "worker.h"

START_TEST(test_doubles_from_thirty_seconds)
{
	/* jitter 20 is exactly 100 % */
	ck_assert_int_eq(worker_backoff(1, 20), 30);
	ck_assert_int_eq(worker_backoff(2, 20), 60);
	ck_assert_int_eq(worker_backoff(3, 20), 120);
	ck_assert_int_eq(worker_backoff(7, 20), 1920);
	ck_assert_int_eq(worker_backoff(8, 20), 3600);
	ck_assert_int_eq(worker_backoff(1000, 20), 3600);
	ck_assert_int_eq(worker_backoff(0, 20), 30);
	ck_assert_int_eq(worker_backoff(-5, 20), 30);
}
END_TEST

START_TEST(test_jitter_stays_within_a_fifth)
{
	for (int a = 1; a < 12; a++) {
		long base = worker_backoff(a, 20);

		for (unsigned j = 0; j < 100; j++) {
			long d = worker_backoff(a, j);

			ck_assert_int_ge(d, base * 80 / 100);
			ck_assert_int_le(d, base * 120 / 100);
		}
	}
	ck_assert_int_eq(worker_backoff(1, 0), 24);
	ck_assert_int_eq(worker_backoff(1, 40), 36);
	ck_assert_int_eq(worker_backoff(9, 4294967295u), worker_backoff(9, 4294967295u % 41));
}
END_TEST

START_TEST(test_a_broken_portal_is_tried_about_eight_times_in_the_first_hour)
{
	long t = 0;
	int tries = 1;

	for (int a = 1; t + worker_backoff(a, 20) <= 3600; a++) {
		t += worker_backoff(a, 20);
		tries++;
	}
	ck_assert_int_ge(tries, 6);
	ck_assert_int_le(tries, 8);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("worker");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_doubles_from_thirty_seconds);
	tcase_add_test(tc, test_jitter_stays_within_a_fifth);
	tcase_add_test(tc, test_a_broken_portal_is_tried_about_eight_times_in_the_first_hour);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
