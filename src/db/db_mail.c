/*
 * db_mail: digests, the outbox, notification settings.  See db_mail.h.
 */
#include "db_mail.h"
#include "db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int db_mail_due(struct db *db, long window_s, long reminder_s, struct mail_recipient *out,
		int max, int *n)
{
	char w[24], r[24], m[24];
	PGresult *res;

	*n = 0;
	LL(w, window_s);
	LL(r, reminder_s);
	LL(m, max);
	const char *p[] = {w, r, m};
	res = db_run(db, ST_MAIL_DUE, 3, p);
	if (res == NULL)
		return -1;
	for (int i = 0; i < PQntuples(res) && i < max; i++) {
		struct mail_recipient *x = &out[(*n)++];

		memset(x, 0, sizeof(*x));
		x->org_id = db_get_ll(res, i, "org_id");
		x->user_id = db_get_ll(res, i, "user_id");
		db_copy(x->email, sizeof(x->email), db_get(res, i, "email"));
		db_copy(x->org_name, sizeof(x->org_name), db_get(res, i, "org_name"));
		db_copy(x->tz, sizeof(x->tz), db_get(res, i, "tz"));
	}
	PQclear(res);
	return 1;
}

int db_mail_take(struct db *db, long long org, long long user, long long *cursor)
{
	char o[24], u[24];

	LL(o, org);
	LL(u, user);
	const char *p[] = {o, u};
	return db_one_ll(db, ST_MAIL_TAKE, 2, p, "mail_cursor", cursor);
}

static void line_take(const PGresult *r, int i, struct mail_line *x)
{
	memset(x, 0, sizeof(*x));
	x->event_id = db_get_ll(r, i, "event_id");
	x->portal_id = db_get_ll(r, i, "portal_id");
	x->hub_id = db_get_ll(r, i, "hub_id");
	db_copy(x->portal_name, sizeof(x->portal_name), db_get(r, i, "name"));
	db_copy(x->status, sizeof(x->status), db_get(r, i, "status"));
	db_copy(x->reason_code, sizeof(x->reason_code), db_get(r, i, "reason_code"));
	db_copy(x->reason, sizeof(x->reason), db_get(r, i, "reason"));
	db_copy(x->when, sizeof(x->when), db_get(r, i, "at"));
	x->reminder = strcmp(db_get(r, i, "reminder"), "t") == 0;
}

int db_mail_lines(struct db *db, long long org, long long user, long long cursor, const char *tz,
		  long reminder_s, struct mail_line **out, int *n)
{
	char o[24], u[24], c[24], rs[24];
	PGresult *ev, *rem;
	int ne, nr;

	*out = NULL;
	*n = 0;
	LL(o, org);
	LL(u, user);
	LL(c, cursor);
	LL(rs, reminder_s);
	const char *pe[] = {o, u, c, tz};
	const char *pr[] = {o, u, tz, rs};
	ev = db_run(db, ST_MAIL_EVENTS, 4, pe);
	if (ev == NULL)
		return -1;
	rem = db_run(db, ST_MAIL_REMINDERS, 4, pr);
	if (rem == NULL) {
		PQclear(ev);
		return -1;
	}
	ne = PQntuples(ev);
	nr = PQntuples(rem);
	*out = calloc((size_t)(ne + nr > 0 ? ne + nr : 1), sizeof(**out));
	if (*out != NULL) {
		for (int i = 0; i < ne; i++)
			line_take(ev, i, &(*out)[(*n)++]);
		/* a portal whose change is in this digest needs no reminder */
		for (int i = 0; i < nr; i++) {
			long long pid = db_get_ll(rem, i, "portal_id");
			int dup = 0;

			for (int k = 0; k < ne && !dup; k++)
				dup = (*out)[k].portal_id == pid;
			if (!dup)
				line_take(rem, i, &(*out)[(*n)++]);
		}
	}
	PQclear(ev);
	PQclear(rem);
	return *out == NULL ? -1 : 1;
}

int db_mail_queue(struct db *db, long long org, long long user, const char *rcpt,
		  const char *message, const char *message_id, long long cursor,
		  const struct mail_line *lines, int n)
{
	char o[24], u[24], c[24];

	LL(o, org);
	LL(u, user);
	LL(c, cursor);
	{
		const char *p[] = {o, u, rcpt, message, message_id};

		if (db_cmd(db, ST_MAIL_QUEUE, 5, p) < 0)
			return -1;
	}
	{
		const char *p[] = {o, u, c};

		if (db_cmd(db, ST_MAIL_CURSOR, 3, p) < 0)
			return -1;
	}
	for (int i = 0; i < n; i++) {
		char pid[24];

		LL(pid, lines[i].portal_id);
		const char *p[] = {u, pid, lines[i].status};
		if (db_cmd(db, ST_MAIL_MENTION, 3, p) < 0)
			return -1;
	}
	return 1;
}

static void out_take(const PGresult *r, int i, void *element)
{
	struct mail_out *x = element;

	x->id = db_get_ll(r, i, "id");
	x->org_id = db_get_ll(r, i, "org_id");
	x->user_id = db_get_ll(r, i, "user_id");
	db_copy(x->rcpt, sizeof(x->rcpt), db_get(r, i, "rcpt"));
	x->message = strdup(db_get(r, i, "message"));
	x->attempts = (int)db_get_ll(r, i, "attempts");
}

int db_mail_take_due(struct db *db, long lease_s, int max, struct mail_out **out, int *n)
{
	char l[24], m[24];

	LL(l, lease_s);
	LL(m, max);
	const char *p[] = {l, m};
	*out = db_rows(db, ST_MAIL_TAKE_DUE, 2, p, sizeof(**out), out_take, n);
	for (int k = 0; *out != NULL && k < *n; k++)
		if ((*out)[k].message == NULL) { /* out of memory */
			db_mail_out_free(*out, *n);
			*out = NULL;
			*n = 0;
		}
	return *out != NULL ? 1 : -1;
}

void db_mail_out_free(struct mail_out *m, int n)
{
	for (int i = 0; m != NULL && i < n; i++)
		free(m[i].message);
	free(m);
}

static int problem(struct db *db, const struct mail_out *m, const char *text)
{
	char o[24], u[24];

	LL(o, m->org_id);
	LL(u, m->user_id);
	const char *p[] = {o, u, text};
	return db_cmd(db, ST_MAIL_PROBLEM, 3, p) < 0 ? -1 : 1;
}

int db_mail_sent(struct db *db, const struct mail_out *m)
{
	char i[24];

	LL(i, m->id);
	const char *p[] = {i};
	if (db_cmd(db, ST_MAIL_SENT, 1, p) < 0)
		return -1;
	return problem(db, m, "");
}

int db_mail_retry(struct db *db, const struct mail_out *m, long retry_s, const char *error)
{
	char i[24], s[24];

	LL(i, m->id);
	LL(s, retry_s);
	const char *p[] = {i, s, error};
	if (db_cmd(db, ST_MAIL_RETRY, 3, p) < 0)
		return -1;
	return problem(db, m, error);
}

int db_mail_failed(struct db *db, const struct mail_out *m, const char *error)
{
	char i[24];

	LL(i, m->id);
	const char *p[] = {i, error};
	if (db_cmd(db, ST_MAIL_FAILED, 2, p) < 0)
		return -1;
	return problem(db, m, error);
}

int db_notify_get(struct db *db, long long org, long long user, struct notify_row *out)
{
	char o[24], u[24];
	PGresult *r;
	int found;

	memset(out, 0, sizeof(*out));
	LL(o, org);
	LL(u, user);
	const char *p[] = {o, u};
	r = db_run(db, ST_NOTIFY_GET, 2, p);
	if (r == NULL)
		return -1;
	found = PQntuples(r) == 1;
	if (found) {
		db_copy(out->notify, sizeof(out->notify), db_get(r, 0, "notify"));
		out->by_role = strcmp(db_get(r, 0, "by_role"), "t") == 0;
		db_copy(out->user_tz, sizeof(out->user_tz), db_get(r, 0, "user_tz"));
		db_copy(out->org_tz, sizeof(out->org_tz), db_get(r, 0, "org_tz"));
		db_copy(out->problem, sizeof(out->problem), db_get(r, 0, "mail_problem"));
		db_copy(out->problem_at, sizeof(out->problem_at), db_get(r, 0, "problem_at"));
		out->queued = db_get_ll(r, 0, "queued");
	}
	PQclear(r);
	return found;
}

int db_notify_set(struct db *db, long long org, long long user, const char *notify)
{
	char o[24], u[24];

	LL(o, org);
	LL(u, user);
	const char *p[] = {o, u, notify};
	return db_cmd(db, ST_NOTIFY_SET, 3, p) < 0 ? -1 : 1;
}

/* A zone for the row id of statement st (which checks the name). */
static int set_tz(struct db *db, enum stmt st, long long id, const char *tz)
{
	char i[24];
	long n;

	LL(i, id);
	const char *p[] = {i, tz};
	n = db_cmd(db, st, 2, p);
	return n < 0 ? -1 : n > 0;
}

int db_user_set_tz(struct db *db, long long user, const char *tz)
{
	return set_tz(db, ST_USER_SET_TZ, user, tz);
}

int db_org_set_tz(struct db *db, long long org, const char *tz)
{
	return set_tz(db, ST_ORG_SET_TZ, org, tz);
}

int db_events_cleanup(struct db *db, long days)
{
	char d[24];

	LL(d, days);
	const char *p[] = {d};
	return db_cmd(db, ST_EVENTS_CLEANUP, 1, p) < 0 || db_cmd(db, ST_MAIL_CLEANUP, 1, p) < 0
		   ? -1
		   : 1;
}

int db_mail_admins(struct db *db, long long org, struct mail_recipient *out, int max, int *n)
{
	char o[24];
	PGresult *r;

	*n = 0;
	LL(o, org);
	const char *p[] = {o};
	r = db_run(db, ST_MAIL_ADMINS, 1, p);
	if (r == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r) && i < max; i++) {
		struct mail_recipient *x = &out[(*n)++];

		memset(x, 0, sizeof(*x));
		x->org_id = org;
		x->user_id = db_get_ll(r, i, "user_id");
		db_copy(x->email, sizeof(x->email), db_get(r, i, "email"));
		db_copy(x->org_name, sizeof(x->org_name), db_get(r, i, "org_name"));
		db_copy(x->tz, sizeof(x->tz), db_get(r, i, "tz"));
	}
	PQclear(r);
	return 1;
}

int db_mail_queue_notice(struct db *db, long long org, long long user, const char *rcpt,
			 const char *message, const char *message_id)
{
	char o[24], u[24];

	LL(o, org);
	LL(u, user);
	const char *p[] = {o, u, rcpt, message, message_id};
	return db_cmd(db, ST_MAIL_QUEUE, 5, p) < 0 ? -1 : 1;
}
