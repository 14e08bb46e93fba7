/*
 * Unit tests for apicursor.c (the read API's portal-list cursor, issue 17
 * item 2) and the API's field validators in valid.c: round trips of every
 * field, what a decoder refuses (other versions, sorts, shapes, a NUL or
 * invalid UTF-8 inside, over-long input), and that the fingerprint tells
 * filters apart.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apicursor.h"
#include "crypt.h"
#include "valid.h"

static void roundtrip(const struct apicursor *c)
{
	char text[APICURSOR_MAX + 1];
	struct apicursor d;
	long n = apicursor_encode(c, text, sizeof(text));

	ck_assert_int_gt(n, 0);
	ck_assert_uint_eq(strlen(text), (size_t)n);
	ck_assert(valid_api_cursor(text));
	ck_assert_int_eq(apicursor_decode(text, 4, &d), 0);
	ck_assert_int_eq(d.sort, c->sort);
	ck_assert(d.fingerprint == c->fingerprint);
	ck_assert_int_eq(d.id, c->id);
	ck_assert_int_eq(d.rank, c->rank);
	ck_assert_str_eq(d.last, c->last);
	ck_assert_str_eq(d.name, c->name);
}

START_TEST(test_roundtrip)
{
	struct apicursor c = {.sort = 1, .fingerprint = 0xfedcba9876543210ULL, .id = 42, .rank = 0};
	char longname[256];

	strcpy(c.name, "acme, inc. | retail");
	roundtrip(&c);
	c.sort = 3;
	c.id = 999999999999999999LL;
	c.rank = 2;
	strcpy(c.last, "2026-12-06T13:55:00.123456");
	strcpy(c.name, "");
	roundtrip(&c);
	c.sort = 0;
	c.fingerprint = 0;
	strcpy(c.name, "ünïcødé ⌘ 名前|||");
	c.last[0] = '\0';
	roundtrip(&c);
	memset(longname, 'x', 255);
	longname[255] = '\0';
	strcpy(c.name, longname);
	roundtrip(&c);
}
END_TEST

START_TEST(test_encode_refuses_bad_fields)
{
	struct apicursor c = {.sort = 1, .id = 1, .rank = 0};
	char text[APICURSOR_MAX + 1];

	c.id = 0;
	ck_assert_int_lt(apicursor_encode(&c, text, sizeof(text)), 0);
	c.id = 1;
	c.rank = 3;
	ck_assert_int_lt(apicursor_encode(&c, text, sizeof(text)), 0);
	c.rank = 0;
	strcpy(c.last, "yesterday");
	ck_assert_int_lt(apicursor_encode(&c, text, sizeof(text)), 0);
	c.last[0] = '\0';
	strcpy(c.name, "\xff\xfe");
	ck_assert_int_lt(apicursor_encode(&c, text, sizeof(text)), 0);
	strcpy(c.name, "ok");
	ck_assert_int_lt(apicursor_encode(&c, text, 10), 0); /* no room */
}
END_TEST

/* base64url of a plain text, as a forger would make it */
static const char *forge(const char *plain, size_t n)
{
	static char out[1024];

	ck_assert_int_ge(crypt_b64url_encode(plain, n, out, sizeof(out)), 0);
	return out;
}

START_TEST(test_decode_refuses)
{
	struct apicursor d;
	const char *bad[] = {
	    "2|1|0000000000000000|1|0||x",		     /* another version */
	    "1|4|0000000000000000|1|0||x",		     /* a sort that does not exist */
	    "1|x|0000000000000000|1|0||x",		     /* not a number */
	    "1|1|000000000000000|1|0||x",		     /* 15 hex digits */
	    "1|1|000000000000000G|1|0||x",		     /* not hex */
	    "1|1|0000000000000000|0|0||x",		     /* id 0 */
	    "1|1|0000000000000000|01|0||x",		     /* leading zero */
	    "1|1|0000000000000000|-1|0||x",		     /* negative */
	    "1|1|0000000000000000|1234567890123456789|0||x", /* 19 digits */
	    "1|1|0000000000000000|1|3||x",		     /* rank */
	    "1|1|0000000000000000|1|0|2026-12-06 13:55:00.000000|x", /* the time's shape */
	    "1|1|0000000000000000|1|0",				     /* fields missing */
	    "1|1|0000000000000000|1|0|",			     /* the name's bar missing */
	    "",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(apicursor_decode(forge(bad[i], strlen(bad[i])), 4, &d) < 0, "%s",
			      bad[i]);
	/* the shape is right: accepted */
	ck_assert_int_eq(apicursor_decode(forge("1|1|00000000000000ff|7|2||x", 27), 4, &d), 0);
	ck_assert_int_eq(d.id, 7);
	ck_assert(d.fingerprint == 0xff);
	/* a NUL or invalid UTF-8 inside the name */
	ck_assert_int_lt(apicursor_decode(forge("1|1|0000000000000000|1|0||a\0b", 29), 4, &d), 0);
	ck_assert_int_lt(apicursor_decode(forge("1|1|0000000000000000|1|0||\xc3", 27), 4, &d), 0);
	/* a sort beyond what the caller has */
	ck_assert_int_lt(apicursor_decode(forge("1|3|0000000000000000|1|0||x", 27), 3, &d), 0);
	/* not base64url, over-long */
	ck_assert_int_lt(apicursor_decode("a+b/", 4, &d), 0);
	ck_assert_int_lt(apicursor_decode("abcde", 4, &d), 0);
	{
		char big[APICURSOR_MAX + 2];

		memset(big, 'A', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		ck_assert_int_lt(apicursor_decode(big, 4, &d), 0);
		ck_assert(!valid_api_cursor(big));
	}
	ck_assert_int_lt(apicursor_decode(NULL, 4, &d), 0);
	ck_assert_int_eq(d.id, 0); /* zeroed on refusal */
}
END_TEST

START_TEST(test_fingerprint)
{
	uint64_t a = apicursor_fingerprint(0, "connected", "EU", "acme");

	ck_assert(a == apicursor_fingerprint(0, "connected", "EU", "acme"));
	ck_assert(a != apicursor_fingerprint(1, "connected", "EU", "acme"));
	ck_assert(a != apicursor_fingerprint(0, "disconnected", "EU", "acme"));
	ck_assert(a != apicursor_fingerprint(0, "connected", "E", "Uacme"));
	ck_assert(a != apicursor_fingerprint(0, "connected", "EU", "acm"));
	ck_assert(apicursor_fingerprint(0, NULL, NULL, NULL) ==
		  apicursor_fingerprint(0, "", "", ""));
}
END_TEST

START_TEST(test_validators)
{
	ck_assert(valid_api_limit("1") && valid_api_limit("50") && valid_api_limit("200"));
	ck_assert(!valid_api_limit("0") && !valid_api_limit("201") && !valid_api_limit("007") &&
		  !valid_api_limit("") && !valid_api_limit("-1") && !valid_api_limit("1e2"));
	ck_assert(valid_api_after("0") && valid_api_after("123"));
	ck_assert(!valid_api_after("-1") && !valid_api_after("00") && !valid_api_after("x"));
	ck_assert_int_eq(valid_api_sort_index("id"), 0);
	ck_assert_int_eq(valid_api_sort_index("last"), 3);
	ck_assert_int_eq(valid_api_sort_index("Name"), -1);
	ck_assert(valid_api_token_name("Looker, EU") && !valid_api_token_name("") &&
		  !valid_api_token_name("   "));
	ck_assert(!valid_api_cursor("") && !valid_api_cursor("ab=") && valid_api_cursor("a-_Z9"));
}
END_TEST

static Suite *apicursor_suite(void)
{
	Suite *s = suite_create("apicursor");
	TCase *tc = tcase_create("cursor");

	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_encode_refuses_bad_fields);
	tcase_add_test(tc, test_decode_refuses);
	tcase_add_test(tc, test_fingerprint);
	tcase_add_test(tc, test_validators);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(apicursor_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
