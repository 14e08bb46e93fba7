/*
 * test_pcache: the page cache (issue 19) -- a value is served only under
 * the view, tag and version it was stored with; a value under another
 * version is dropped; the size bound evicts the least recently used; the
 * counters; and a Client Accounts page survives its cached form
 * (db_portal_page_pack / _unpack) string for string.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"
#include "pcache.h"

static const char view_a[] = "1\0"
			     "7\0"
			     "",
		  view_b[] = "2\0"
			     "7\0"
			     "";

START_TEST(test_served_only_under_its_version_and_tag)
{
	struct pcache_stats st;
	void *v;
	size_t n;

	ck_assert_int_eq(pcache_init(1 << 20), 0);
	ck_assert_int_eq(pcache_probe(view_a, sizeof(view_a)), 0);
	pcache_put(view_a, sizeof(view_a), "UTC", 5, "rows-a", 7);
	ck_assert_int_eq(pcache_probe(view_a, sizeof(view_a)), 1);
	ck_assert_int_eq(pcache_probe(view_b, sizeof(view_b)), 0); /* another organisation */
	ck_assert_int_eq(pcache_get(view_b, sizeof(view_b), "UTC", 5, &v, &n), 0);
	ck_assert_int_eq(pcache_get(view_a, sizeof(view_a), "Europe/Paris", 5, &v, &n), 0);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(pcache_get(view_a, sizeof(view_a), "UTC", 5, &v, &n), 1);
	ck_assert_uint_eq(n, 7);
	ck_assert_str_eq(v, "rows-a");
	free(v);
	/* the organisation changed: a miss, and the old rows are gone */
	ck_assert_int_eq(pcache_get(view_a, sizeof(view_a), "UTC", 6, &v, &n), 0);
	ck_assert_int_eq(pcache_get(view_a, sizeof(view_a), "UTC", 5, &v, &n), 0);
	ck_assert_int_eq(pcache_probe(view_a, sizeof(view_a)), 0);
	pcache_stats_read(&st);
	ck_assert_uint_eq(st.hits, 1);
	ck_assert_uint_eq(st.misses, 7); /* 2 probes, 5 gets */
	ck_assert_uint_eq(st.entries, 0);
	ck_assert_uint_eq(st.bytes, 0);
	/* a put replaces what the view and tag held */
	pcache_put(view_a, sizeof(view_a), "UTC", 8, "one", 4);
	pcache_put(view_a, sizeof(view_a), "UTC", 9, "two", 4);
	ck_assert_int_eq(pcache_get(view_a, sizeof(view_a), "UTC", 8, &v, &n), 0);
	pcache_put(view_a, sizeof(view_a), "UTC", 9, "two", 4);
	ck_assert_int_eq(pcache_get(view_a, sizeof(view_a), "UTC", 9, &v, &n), 1);
	ck_assert_str_eq(v, "two");
	free(v);
	pcache_stats_read(&st);
	ck_assert_uint_eq(st.entries, 1);
	pcache_reset();
}
END_TEST

/* pcache_borrow: the same value rules, without a copy and not counted as
 * a hit or a miss; what was lent stays whole until it is given back, even
 * when the value is dropped (another version) or evicted meanwhile. */
START_TEST(test_borrowed_values)
{
	struct pcache_stats st;
	const struct pcache_loan *l1, *l2;
	const void *v1, *v2;
	size_t n;

	ck_assert_int_eq(pcache_init(1 << 20), 0);
	pcache_put(view_a, sizeof(view_a), "UTC", 5, "html-a", 7);
	l1 = pcache_borrow(view_a, sizeof(view_a), "UTC", 5, &v1, &n);
	ck_assert_ptr_nonnull(l1);
	ck_assert_uint_eq(n, 7);
	ck_assert_str_eq(v1, "html-a");
	ck_assert_uint_eq((uintptr_t)v1 % 16, 0);
	ck_assert_ptr_null(pcache_borrow(view_a, sizeof(view_a), "Europe/Paris", 5, &v2, &n));
	ck_assert_ptr_null(v2);
	/* another version: the held value is dropped, the loan still reads */
	ck_assert_ptr_null(pcache_borrow(view_a, sizeof(view_a), "UTC", 6, &v2, &n));
	ck_assert_ptr_null(pcache_borrow(view_a, sizeof(view_a), "UTC", 5, &v2, &n));
	ck_assert_str_eq(v1, "html-a");
	pcache_put(view_a, sizeof(view_a), "UTC", 6, "html-a6", 8);
	l2 = pcache_borrow(view_a, sizeof(view_a), "UTC", 6, &v2, &n);
	ck_assert_ptr_nonnull(l2);
	ck_assert_str_eq(v2, "html-a6");
	pcache_stats_read(&st);
	ck_assert_uint_eq(st.hits, 0);
	ck_assert_uint_eq(st.misses, 0);
	ck_assert_uint_eq(st.entries, 1);
	pcache_return(l1); /* freed here (valgrind: no leak, no use after free) */
	pcache_return(l2);
	pcache_return(NULL);
	ck_assert_int_eq(pcache_get(view_a, sizeof(view_a), "UTC", 6, (void **)&v2, &n), 1);
	free((void *)v2);
	/* a page lent (pcache_borrow_page) counts as pcache_get does */
	l1 = pcache_borrow_page(view_a, sizeof(view_a), "UTC", 6, &v1, &n);
	ck_assert_ptr_nonnull(l1);
	ck_assert_str_eq(v1, "html-a6");
	ck_assert_ptr_null(pcache_borrow_page(view_a, sizeof(view_a), "UTC", 7, &v2, &n));
	ck_assert_ptr_null(pcache_borrow_page(view_a, sizeof(view_a), "UTC", 6, &v2, &n));
	pcache_stats_read(&st);
	ck_assert_uint_eq(st.hits, 2);
	ck_assert_uint_eq(st.misses, 2);
	ck_assert_uint_eq(st.entries, 0);
	pcache_return(l1);
	pcache_reset();
}
END_TEST

START_TEST(test_bounded_least_recently_used)
{
	static char val[20000];
	struct pcache_stats st;
	char key[16];
	void *v;
	size_t n;

	memset(val, 'x', sizeof(val));
	ck_assert_int_eq(pcache_init(100000), 0);
	for (int i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		pcache_put(key, strlen(key), "UTC", 1, val, sizeof(val));
	}
	/* k0 used: k1 is now the least recently used */
	ck_assert_int_eq(pcache_get("k0", 2, "UTC", 1, &v, &n), 1);
	free(v);
	pcache_put("k4", 2, "UTC", 1, val, sizeof(val));
	pcache_put("k5", 2, "UTC", 1, val, sizeof(val));
	pcache_stats_read(&st);
	ck_assert_uint_le(st.bytes, 100000);
	ck_assert_uint_ge(st.evictions, 1);
	ck_assert_int_eq(pcache_probe("k0", 2), 1);
	ck_assert_int_eq(pcache_probe("k1", 2), 0);
	ck_assert_int_eq(pcache_probe("k5", 2), 1);
	/* larger than a quarter of the cache: not held */
	pcache_put("big", 3, "UTC", 1, val, sizeof(val) + 10000);
	ck_assert_int_eq(pcache_probe("big", 3), 0);
	pcache_reset();
	/* off: nothing held, nothing counted */
	ck_assert_int_eq(pcache_init(0), 0);
	pcache_put("k0", 2, "UTC", 1, val, 10);
	ck_assert_int_eq(pcache_probe("k0", 2), 0);
	ck_assert_int_eq(pcache_get("k0", 2, "UTC", 1, &v, &n), 0);
	pcache_stats_read(&st);
	ck_assert_uint_eq(st.misses + st.hits + st.entries, 0);
}
END_TEST

START_TEST(test_a_page_survives_its_cached_form)
{
	static struct portal_page p, q;
	static char names[PORTAL_FETCH][32];
	void *blob;
	size_t len;

	memset(&p, 0, sizeof(p));
	p.n = PORTAL_FETCH;
	for (int i = 0; i < p.n; i++) {
		struct portal_list_row *w = &p.row[i];

		snprintf(names[i], sizeof(names[i]), "Portal %d", i);
		w->id = 100 + i;
		w->hub_id = 9000 + i;
		w->name = names[i];
		w->hub_domain = "p.example.com";
		w->conn_type = "config_audit";
		w->status = i % 2 ? "connected" : "needs_reconnection";
		w->reason = "";
		w->connected_by = "a@example.test";
		w->hs_user_email = "b@example.test";
		w->last_deploy_state = "";
		w->reason_code = i % 2 ? "" : "refresh_refused";
		w->labels = "EU, retainer";
		w->last_refreshed = 1700000000 + i;
		w->lr_off = 3600;
	}
	ck_assert_int_eq(db_portal_page_pack(&p, &blob, &len), 1);
	ck_assert_int_eq(db_portal_page_lend(&q, blob, len, NULL), 1);
	ck_assert(db_portal_page_held(&q));
	ck_assert_int_eq(q.n, p.n);
	/* the ids before the rows are filled, then the rows */
	for (int i = 0; i < p.n; i++)
		ck_assert_int_eq(db_portal_page_id(&q, i), p.row[i].id);
	db_portal_page_rows(&q);
	for (int i = 0; i < p.n; i++) {
		ck_assert_int_eq(db_portal_page_id(&q, i), p.row[i].id);
		ck_assert_int_eq(q.row[i].id, p.row[i].id);
		ck_assert_int_eq(q.row[i].hub_id, p.row[i].hub_id);
		ck_assert_int_eq(q.row[i].last_refreshed, p.row[i].last_refreshed);
		ck_assert_int_eq(q.row[i].lr_off, 3600);
		ck_assert_str_eq(q.row[i].name, names[i]);
		ck_assert_str_eq(q.row[i].status, p.row[i].status);
		ck_assert_str_eq(q.row[i].reason_code, p.row[i].reason_code);
		ck_assert_str_eq(q.row[i].labels, "EU, retainer");
		ck_assert_str_eq(q.row[i].hs_user_email, "b@example.test");
	}
	db_portal_page_rows(&q); /* once is all */
	ck_assert_str_eq(q.row[3].name, names[3]);
	db_portal_page_free(&q); /* the blob is lent, not the page's */
	ck_assert(!db_portal_page_held(&q));
	ck_assert_int_eq(q.n, 0);
	/* a cut blob is refused: in the rows, in the strings, its last NUL */
	{
		size_t rows_end = sizeof(size_t) + sizeof(long long) + p.n * sizeof(p.row[0]);
		const char *first_nul;

		ck_assert_int_eq(db_portal_page_lend(&q, blob, len / 2, NULL), -1);
		ck_assert_int_eq(q.n, 0);
		ck_assert_int_eq(db_portal_page_lend(&q, blob, rows_end - 1, NULL), -1);
		ck_assert_int_eq(db_portal_page_lend(&q, blob, rows_end + 1, NULL), -1);
		ck_assert_int_eq(db_portal_page_lend(&q, blob, len - 1, NULL), -1);
		/* cut right after the first string: the others' places are past it */
		first_nul = memchr((char *)blob + rows_end, '\0', len - rows_end);
		ck_assert_ptr_nonnull(first_nul);
		ck_assert_int_eq(
		    db_portal_page_lend(&q, blob, (size_t)(first_nul - (char *)blob) + 1, NULL),
		    -1);
		ck_assert(!db_portal_page_held(&q));
		((char *)blob)[len - 1] = 'x';
		ck_assert_int_eq(db_portal_page_lend(&q, blob, len, NULL), -1);
	}
	free(blob);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pcache");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_served_only_under_its_version_and_tag);
	tcase_add_test(tc, test_bounded_least_recently_used);
	tcase_add_test(tc, test_a_page_survives_its_cached_form);
	tcase_add_test(tc, test_borrowed_values);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
