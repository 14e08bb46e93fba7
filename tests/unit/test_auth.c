/*
 * test_auth: the gate's side of sessions that needs no database -- cookie
 * names, which requests are not signed in at all (no cookie, a forged or
 * expired token: answered without a query), and the CSRF check of forms,
 * signed in (bound to the session) and on the sign-in form (bound to the
 * pre-session cookie).  Requests are parsed by req_parse() in CGI mode.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "sess.h"

static struct app app;
static struct db db; /* never connected: a test that queried would fail */

static void setup(void)
{
	memset(&app, 0, sizeof(app));
	for (int i = 0; i < 32; i++)
		app.conf.session_key[i] = (uint8_t)(i * 7 + 1);
	app.conf.session_idle = 1800;
	db_init(&db, "host=/nonexistent-jetstack-test port=1 connect_timeout=1");
}

static void teardown(void)
{
	db_close(&db);
}

/* Parse a CGI request with cookie and (for a POST) body. */
static void parse(struct req *r, struct io *io, const char *method, const char *cookie,
		  const char *body)
{
	static char m[64], ck[2048], cl[48];
	static char *env[8];
	int n = 0;

	snprintf(m, sizeof(m), "REQUEST_METHOD=%s", method);
	env[n++] = m;
	env[n++] = (char *)"DOCUMENT_URI=/portals";
	env[n++] = (char *)"QUERY_STRING=";
	if (cookie) {
		snprintf(ck, sizeof(ck), "HTTP_COOKIE=%s", cookie);
		env[n++] = ck;
	}
	if (body) {
		FILE *f = tmpfile();

		ck_assert_ptr_nonnull(f);
		fputs(body, f);
		rewind(f);
		/* CGI reads the body from stdin */
		ck_assert_int_ne(dup2(fileno(f), STDIN_FILENO), -1);
		clearerr(stdin);
		fclose(f);
		snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%zu", strlen(body));
		env[n++] = cl;
		env[n++] = (char *)"CONTENT_TYPE=application/x-www-form-urlencoded";
	}
	env[n] = NULL;
	memset(io, 0, sizeof(*io));
	io->envp = env;
	ck_assert_int_eq(req_parse(r, io), REQ_OK);
}

START_TEST(test_cookie_names)
{
	app.conf.base_https = 0;
	ck_assert_str_eq(auth_session_cookie(&app.conf), "js_session");
	ck_assert_str_eq(auth_pre_cookie(&app.conf), "js_pre");
	app.conf.base_https = 1;
	ck_assert_str_eq(auth_session_cookie(&app.conf), "__Host-js_session");
	ck_assert_str_eq(auth_pre_cookie(&app.conf), "__Host-js_pre");
}
END_TEST

START_TEST(test_not_signed_in_without_a_query)
{
	struct req r;
	struct io io;
	struct session s;
	struct ctx c = {.app = &app, .db = &db, .req = &r};
	char *forged;
	long now = (long)time(NULL);
	static const uint8_t other[32] = {9};

	/* no cookie */
	parse(&r, &io, "GET", NULL, NULL);
	ck_assert_int_eq(auth_load(&c, &s), 0);
	req_free(&r);
	/* garbage */
	parse(&r, &io, "GET", "js_session=not.a.token", NULL);
	ck_assert_int_eq(auth_load(&c, &s), 0);
	req_free(&r);
	/* signed with another key */
	forged = sess_jwt_sign_org(other, sizeof(other), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 1,
				   now, now + 600);
	ck_assert_ptr_nonnull(forged);
	{
		char ck[1200];

		snprintf(ck, sizeof(ck), "js_session=%s", forged);
		parse(&r, &io, "GET", ck, NULL);
		ck_assert_int_eq(auth_load(&c, &s), 0);
		req_free(&r);
	}
	free(forged);
	/* expired, with our key */
	forged = sess_jwt_sign_org(app.conf.session_key, sizeof(app.conf.session_key),
				   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 1, now - 7200,
				   now - 3600);
	ck_assert_ptr_nonnull(forged);
	{
		char ck[1200];

		snprintf(ck, sizeof(ck), "js_session=%s", forged);
		parse(&r, &io, "GET", ck, NULL);
		ck_assert_int_eq(auth_load(&c, &s), 0);
		req_free(&r);
	}
	free(forged);
	ck_assert_ptr_null(db.conn); /* none of these asked the database */
}
END_TEST

START_TEST(test_csrf_signed_in)
{
	struct req r;
	struct io io;
	struct session s;
	struct ctx c = {.app = &app, .db = &db, .req = &r, .sess = &s};
	char body[200];

	memset(&s, 0, sizeof(s));
	snprintf(s.sid_hash, sizeof(s.sid_hash), "%064d", 7);
	ck_assert_int_eq(sess_csrf_token(app.conf.session_key, sizeof(app.conf.session_key),
					 s.sid_hash, s.csrf),
			 0);
	snprintf(body, sizeof(body), "csrf=%s", s.csrf);
	parse(&r, &io, "POST", NULL, body);
	ck_assert_int_eq(auth_csrf_ok(&c), 1);
	req_free(&r);
	/* another session's token */
	snprintf(s.sid_hash, sizeof(s.sid_hash), "%064d", 8);
	parse(&r, &io, "POST", NULL, body);
	ck_assert_int_eq(auth_csrf_ok(&c), 0);
	req_free(&r);
	/* no token */
	parse(&r, &io, "POST", NULL, "confirm=yes");
	ck_assert_int_eq(auth_csrf_ok(&c), 0);
	req_free(&r);
}
END_TEST

START_TEST(test_csrf_sign_in_form)
{
	struct req r;
	struct io io;
	struct ctx c = {.app = &app, .db = &db, .req = &r};
	char pre[44], tok[44], body[200], ck[200];

	ck_assert_int_eq(sess_new_id(pre), 0);
	ck_assert_int_eq(sess_csrf_token(app.conf.session_key, sizeof(app.conf.session_key), pre,
					 tok),
			 0);
	snprintf(body, sizeof(body), "email=a%%40b.test&password=x&csrf=%s", tok);
	snprintf(ck, sizeof(ck), "js_pre=%s", pre);
	parse(&r, &io, "POST", ck, body);
	ck_assert_int_eq(auth_csrf_ok(&c), 1);
	req_free(&r);
	/* the token without its cookie, or with another cookie */
	parse(&r, &io, "POST", NULL, body);
	ck_assert_int_eq(auth_csrf_ok(&c), 0);
	req_free(&r);
	parse(&r, &io, "POST", "js_pre=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", body);
	ck_assert_int_eq(auth_csrf_ok(&c), 0);
	req_free(&r);
	/* a cookie that is not one we issue */
	parse(&r, &io, "POST", "js_pre=short", body);
	ck_assert_int_eq(auth_csrf_ok(&c), 0);
	req_free(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_cookie_names);
	tcase_add_test(tc, test_not_signed_in_without_a_query);
	tcase_add_test(tc, test_csrf_signed_in);
	tcase_add_test(tc, test_csrf_sign_in_form);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
