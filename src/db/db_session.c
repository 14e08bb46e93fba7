/*
 * db_session: sessions and the sign-in throttle.  See db_session.h.
 */
#include "db_session.h"
#include "db_int.h"

#include <stdio.h>
#include <string.h>

static void session_take(const PGresult *r, struct session_row *s)
{
	s->user_id = db_get_ll(r, 0, "user_id");
	s->org_id = db_get_ll(r, 0, "org_id");
	db_copy(s->role, sizeof(s->role), db_get(r, 0, "role"));
	db_copy(s->email, sizeof(s->email), db_get(r, 0, "email"));
	db_copy(s->org_name, sizeof(s->org_name), db_get(r, 0, "org_name"));
	db_copy(s->flash, sizeof(s->flash), db_get(r, 0, "flash"));
	s->stale = strcmp(db_get(r, 0, "stale"), "t") == 0;
	s->n_connected = (long)db_get_ll(r, 0, "n_connected");
	s->n_needs = (long)db_get_ll(r, 0, "n_needs");
	s->n_disconnected = (long)db_get_ll(r, 0, "n_disconnected");
	db_copy(s->tz, sizeof(s->tz), db_get(r, 0, "tz"));
	s->n_orgs = (long)db_get_ll(r, 0, "n_orgs");
}

int db_session_load(struct db *db, const char *sid_hash, long idle, long long org,
		    const struct portal_query *q, struct session_row *out,
		    struct portal_page *page)
{
	char idle_text[24], org_text[24];
	PGresult *r = NULL, *pr = NULL;
	int result = 0;

	memset(out, 0, sizeof(*out));
	if (page != NULL)
		memset(page, 0, sizeof(*page));
	LL(idle_text, idle);
	if (q != NULL && page != NULL && org > 0) {
		struct db_call sc = {.st = ST_SESSION_LOAD, .n = 2, .params = {sid_hash, idle_text}};
		struct db_call pc;

		db_portal_list_call(&pc, q);
		LL(org_text, org);
		pc.params[0] = org_text;
		if (db_run_pair(db, &sc, &pc, &r, &pr) < 0)
			return -1;
	} else {
		const char *p[] = {sid_hash, idle_text};

		r = db_run(db, ST_SESSION_LOAD, 2, p);
		if (r == NULL)
			return -1;
	}
	if (PQntuples(r) == 1) {
		session_take(r, out);
		result = 1;
	}
	PQclear(r);
	/* the page is for the organisation the caller named: only a live
	 * session of that organisation gets it */
	if (pr != NULL && result == 1 && out->org_id == org) {
		if (db_portal_page_take(page, pr) < 0)
			memset(page, 0, sizeof(*page)); /* the caller reads its own */
	} else {
		PQclear(pr);
	}
	return result;
}

int db_session_create(struct db *db, const char *sid_hash, long long user, long long org,
		      long max_age)
{
	char u[24], o[24], m[24];

	LL(u, user);
	LL(o, org);
	LL(m, max_age);
	const char *p[] = {sid_hash, u, o, m};
	return db_cmd(db, ST_SESSION_CREATE, 4, p) == 1 ? 1 : -1;
}

int db_session_touch(struct db *db, const char *sid_hash)
{
	const char *p[] = {sid_hash};
	return db_cmd(db, ST_SESSION_TOUCH, 1, p) < 0 ? -1 : 1;
}

int db_session_end(struct db *db, const char *sid_hash)
{
	const char *p[] = {sid_hash};
	return db_cmd(db, ST_SESSION_END, 1, p) < 0 ? -1 : 1;
}

int db_session_flash(struct db *db, const char *sid_hash, const char *message)
{
	if (message == NULL) {
		const char *p[] = {sid_hash};
		return db_cmd(db, ST_SESSION_FLASH_CLEAR, 1, p) < 0 ? -1 : 1;
	}
	const char *p[] = {sid_hash, message};
	return db_cmd(db, ST_SESSION_FLASH_SET, 2, p) < 0 ? -1 : 1;
}

int db_login_failures(struct db *db, const char *email, long window, long *n)
{
	char w[24];
	PGresult *r;

	LL(w, window);
	const char *p[] = {email, w};
	r = db_run(db, ST_LOGIN_FAILURES, 2, p);
	if (r == NULL)
		return -1;
	*n = (long)db_get_ll(r, 0, "n");
	PQclear(r);
	return 1;
}

int db_login_failed(struct db *db, const char *email)
{
	const char *p[] = {email};
	return db_cmd(db, ST_LOGIN_FAILED, 1, p) < 0 ? -1 : 1;
}

int db_login_clear(struct db *db, const char *email)
{
	const char *p[] = {email};
	return db_cmd(db, ST_LOGIN_CLEAR, 1, p) < 0 ? -1 : 1;
}

int db_login_failures_cleanup(struct db *db)
{
	return db_cmd(db, ST_LOGIN_FAILURES_CLEANUP, 0, NULL) < 0 ? -1 : 1;
}
