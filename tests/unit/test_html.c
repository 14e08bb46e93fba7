/*
 * Unit tests for html.c: HTML escaping, UTF-8 repair, URL encoding; and
 * buf_append's inline fast path at its edges.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "html.h"

#define FFFD "\xEF\xBF\xBD"

/* Escape s (n bytes, or all when n is -1) and compare with want. */
static void check_escape(const char *s, size_t n, const char *want)
{
	struct buf b;

	buf_init(&b, 0);
	if (n == (size_t)-1)
		ck_assert_int_eq(html_escape(&b, s), 0);
	else
		ck_assert_int_eq(html_escape_n(&b, s, n), 0);
	ck_assert_str_eq(buf_str(&b), want);
	buf_free(&b);
}

static void check_url(const char *s, const char *want)
{
	struct buf b;

	buf_init(&b, 0);
	ck_assert_int_eq(html_url_encode(&b, s), 0);
	ck_assert_str_eq(buf_str(&b), want);
	buf_free(&b);
}

START_TEST(test_escape_each_special)
{
	check_escape("&", -1, "&amp;");
	check_escape("<", -1, "&lt;");
	check_escape(">", -1, "&gt;");
	check_escape("\"", -1, "&quot;");
	check_escape("'", -1, "&#39;");
	check_escape("a&b<c>d\"e'f", -1, "a&amp;b&lt;c&gt;d&quot;e&#39;f");
	check_escape("&&<<", -1, "&amp;&amp;&lt;&lt;");
}
END_TEST

START_TEST(test_escape_plain)
{
	check_escape("", -1, "");
	check_escape("hello, world", -1, "hello, world");
	check_escape("tab\tnl\ncr\r", -1, "tab\tnl\ncr\r");
	check_escape("/=`;:", -1, "/=`;:");
}
END_TEST

START_TEST(test_escape_xss)
{
	check_escape("<script>alert(1)</script>", -1, "&lt;script&gt;alert(1)&lt;/script&gt;");
	/* attribute context: neither quote style can be broken out of */
	check_escape("\" onmouseover=\"alert(1)", -1, "&quot; onmouseover=&quot;alert(1)");
	check_escape("' onmouseover='alert(1)", -1, "&#39; onmouseover=&#39;alert(1)");
	check_escape("&quot;", -1, "&amp;quot;");
}
END_TEST

START_TEST(test_escape_utf8_valid)
{
	check_escape("caf\xC3\xA9", -1, "caf\xC3\xA9");
	check_escape("\xE2\x82\xAC 5", -1, "\xE2\x82\xAC 5");
	check_escape("\xF0\x9F\x98\x80", -1, "\xF0\x9F\x98\x80");
	check_escape("\xEF\xBF\xBF\xF4\x8F\xBF\xBF", -1, "\xEF\xBF\xBF\xF4\x8F\xBF\xBF");
	check_escape("\xE0\xA0\x80\xED\x9F\xBF", -1, "\xE0\xA0\x80\xED\x9F\xBF");
}
END_TEST

START_TEST(test_escape_utf8_invalid)
{
	check_escape("a\x80z", -1, "a" FFFD "z");		   /* stray continuation */
	check_escape("\xC0\xAF", -1, FFFD FFFD);		   /* overlong '/' */
	check_escape("\xC1\xBF", -1, FFFD FFFD);		   /* overlong */
	check_escape("\xE0\x80\xAF", -1, FFFD FFFD FFFD);	   /* overlong 3-byte */
	check_escape("\xED\xA0\x80", -1, FFFD FFFD FFFD);	   /* surrogate */
	check_escape("\xF4\x90\x80\x80", -1, FFFD FFFD FFFD FFFD); /* > U+10FFFF */
	check_escape("\xF5\xFF\xFE", -1, FFFD FFFD FFFD);
	check_escape("x\xE2\x82", -1, "x" FFFD);    /* truncated at end */
	check_escape("\xE2\x82<", -1, FFFD "&lt;"); /* maximal subpart, then '<' */
	check_escape("\xF0\x9F\x98", -1, FFFD);
	check_escape("\xC3", -1, FFFD);
	/* truncated by n */
	check_escape("\xC3\xA9", 1, FFFD);
}
END_TEST

START_TEST(test_escape_n)
{
	check_escape("abc<def", 4, "abc&lt;");
	check_escape("abc", 0, "");
	check_escape("ab\0cd", 5, "ab"); /* NUL stops */
	check_escape("<<", 100, "&lt;&lt;");
}
END_TEST

START_TEST(test_escape_null_and_append)
{
	struct buf b;

	buf_init(&b, 0);
	ck_assert_int_eq(html_escape(&b, NULL), 0);
	ck_assert_int_eq(html_url_encode(&b, NULL), 0);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(buf_puts(&b, "x="), 0);
	ck_assert_int_eq(html_escape(&b, "<"), 0);
	ck_assert_str_eq(buf_str(&b), "x=&lt;");
	buf_free(&b);
}
END_TEST

START_TEST(test_escape_overflow)
{
	struct buf b;

	buf_init(&b, 4);
	ck_assert_int_eq(html_escape(&b, "&"), -1);
	ck_assert(b.overflow);
	buf_free(&b);

	buf_init(&b, 4);
	ck_assert_int_eq(html_escape(&b, "abcdef"), -1);
	buf_free(&b);

	buf_init(&b, 4);
	ck_assert_int_eq(html_url_encode(&b, "a "), 0);
	ck_assert_str_eq(buf_str(&b), "a%20");
	ck_assert_int_eq(html_url_encode(&b, "b"), -1);
	buf_free(&b);
}
END_TEST

START_TEST(test_escape_long)
{
	struct buf b;
	char *s;
	size_t i, n = 100000;

	s = malloc(n + 1);
	ck_assert_ptr_nonnull(s);
	for (i = 0; i < n; i++)
		s[i] = (i % 10 == 9) ? '<' : 'a';
	s[n] = '\0';
	buf_init(&b, 0);
	ck_assert_int_eq(html_escape(&b, s), 0);
	ck_assert_uint_eq(b.len, n - n / 10 + (n / 10) * 4);
	ck_assert(memcmp(b.data, "aaaaaaaaa&lt;a", 14) == 0);
	buf_free(&b);
	free(s);
}
END_TEST

START_TEST(test_escape_every_byte)
{
	/* each byte alone: ASCII other than the five specials passes
	 * through; every byte >= 0x80 alone is ill-formed UTF-8 */
	static const char *const special[128] = {
	    ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;", ['\''] = "&#39;",
	};

	for (int c = 1; c < 256; c++) {
		char in[2] = {(char)c, '\0'};

		check_escape(in, (size_t)-1,
			     c >= 0x80		  ? FFFD
			     : special[c] != NULL ? special[c]
						  : in);
	}
}
END_TEST

/* buf_append: exactly max fits, one byte more is refused whole and sets
 * overflow; growing past the allocation keeps the contents and the NUL. */
START_TEST(test_buf_append_edges)
{
	struct buf b;
	char big[1000];

	memset(big, 'x', sizeof(big));
	buf_init(&b, 10);
	ck_assert_int_eq(buf_append(&b, "", 0), 0);
	ck_assert_str_eq(buf_str(&b), "");
	ck_assert_int_eq(buf_append(&b, "0123456789", 10), 0);
	ck_assert_uint_eq(b.len, 10);
	ck_assert_int_eq(buf_append(&b, "a", 1), -1);
	ck_assert(b.overflow);
	ck_assert_str_eq(buf_str(&b), "0123456789");
	ck_assert_int_eq(buf_append(&b, "", 0), 0);
	buf_free(&b);

	buf_init(&b, 5000);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(buf_append(&b, big, sizeof(big)), 0);
	ck_assert_uint_eq(b.len, 5000);
	ck_assert_int_eq(b.data[5000], '\0');
	ck_assert_int_eq(buf_append(&b, "y", 1), -1);
	ck_assert_uint_eq(b.len, 5000);
	buf_reset(&b);
	ck_assert_int_eq(buf_append(&b, "abc", 3), 0);
	ck_assert_str_eq(buf_str(&b), "abc");
	buf_free(&b);
}
END_TEST

START_TEST(test_url_encode)
{
	check_url("", "");
	check_url("AZaz09-._~", "AZaz09-._~");
	check_url("a b", "a%20b");
	check_url("a&b=c?d/e#f+g%", "a%26b%3Dc%3Fd%2Fe%23f%2Bg%25");
	check_url("<\"'>", "%3C%22%27%3E");
	check_url("caf\xC3\xA9", "caf%C3%A9");
	check_url("\x01\x7F\xFF", "%01%7F%FF");
	check_url("x@y.com", "x%40y.com");
}
END_TEST

static Suite *html_suite(void)
{
	Suite *s = suite_create("html");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_escape_each_special);
	tcase_add_test(tc, test_escape_plain);
	tcase_add_test(tc, test_escape_xss);
	tcase_add_test(tc, test_escape_utf8_valid);
	tcase_add_test(tc, test_escape_utf8_invalid);
	tcase_add_test(tc, test_escape_n);
	tcase_add_test(tc, test_escape_null_and_append);
	tcase_add_test(tc, test_escape_overflow);
	tcase_add_test(tc, test_escape_long);
	tcase_add_test(tc, test_escape_every_byte);
	tcase_add_test(tc, test_buf_append_edges);
	tcase_add_test(tc, test_url_encode);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(html_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
