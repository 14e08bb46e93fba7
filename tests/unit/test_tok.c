/*
 * test_tok: a token sealed for one portal and kind opens only for that
 * portal, kind and key; a tampered ciphertext does not open; tok_free
 * wipes.  (Storage and compare-and-swap run against PostgreSQL in
 * tests/integration/test_worker.py.)
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "tok.h"

static struct conf conf_with(int key_id, unsigned char fill)
{
	struct conf c;

	memset(&c, 0, sizeof(c));
	memset(c.token_key, fill, sizeof(c.token_key));
	c.token_key_id = key_id;
	return c;
}

static const char *secret = "CJ-example-access-token-0123456789";

START_TEST(test_round_trip)
{
	struct conf c = conf_with(1, 7);
	struct buf b;
	char *s;

	buf_init(&b, 4096);
	ck_assert_int_eq(tok_seal(&c, 42, "access", secret, &b), 0);
	ck_assert_ptr_null(memmem(b.data, b.len, secret, strlen(secret))); /* not in clear */
	s = tok_open(&c, 42, "access", 1, (unsigned char *)b.data, b.len);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, secret);
	free(s);
	buf_free(&b);
}
END_TEST

START_TEST(test_bound_to_portal_kind_and_key)
{
	struct conf c = conf_with(1, 7), other = conf_with(1, 8), rotated = conf_with(2, 7);
	struct buf b;

	buf_init(&b, 4096);
	ck_assert_int_eq(tok_seal(&c, 42, "refresh", secret, &b), 0);
	ck_assert_ptr_null(tok_open(&c, 43, "refresh", 1, (unsigned char *)b.data, b.len));
	ck_assert_ptr_null(tok_open(&c, 42, "access", 1, (unsigned char *)b.data, b.len));
	ck_assert_ptr_null(tok_open(&c, 42, "refresh", 2, (unsigned char *)b.data, b.len));
	ck_assert_ptr_null(tok_open(&other, 42, "refresh", 1, (unsigned char *)b.data, b.len));
	ck_assert_ptr_null(tok_open(&rotated, 42, "refresh", 1, (unsigned char *)b.data, b.len));
	/* one flipped bit anywhere */
	for (size_t i = 0; i < b.len; i++) {
		b.data[i] ^= 1;
		ck_assert_ptr_null(tok_open(&c, 42, "refresh", 1, (unsigned char *)b.data, b.len));
		b.data[i] ^= 1;
	}
	ck_assert_ptr_null(tok_open(&c, 42, "refresh", 1, (unsigned char *)b.data, b.len - 1));
	buf_free(&b);
}
END_TEST

START_TEST(test_two_seals_differ)
{
	struct conf c = conf_with(1, 7);
	struct buf a, b;

	buf_init(&a, 4096);
	buf_init(&b, 4096);
	ck_assert_int_eq(tok_seal(&c, 1, "access", secret, &a), 0);
	ck_assert_int_eq(tok_seal(&c, 1, "access", secret, &b), 0);
	ck_assert_uint_eq(a.len, b.len);
	ck_assert(memcmp(a.data, b.data, a.len) != 0); /* a fresh nonce each time */
	buf_free(&a);
	buf_free(&b);
}
END_TEST

START_TEST(test_free_is_safe)
{
	struct tokens t;

	memset(&t, 0, sizeof(t));
	tok_free(&t);
	t.access = strdup("a");
	t.refresh = strdup("r");
	t.version = 3;
	tok_free(&t);
	ck_assert_ptr_null(t.access);
	ck_assert_ptr_null(t.refresh);
	ck_assert_int_eq(t.version, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tok");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_bound_to_portal_kind_and_key);
	tcase_add_test(tc, test_two_seals_differ);
	tcase_add_test(tc, test_free_is_safe);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
