/*
 * db_session: sessions and the sign-in throttle.  See db_session.h.
 */
#include "db_session.h"
#include "db_int.h"
#include "pcache.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ST_SESSION_LOAD's columns, in its order */
enum session_col {
	SC_USER_ID,
	SC_ORG_ID,
	SC_ROLE,
	SC_EMAIL,
	SC_ORG_NAME,
	SC_FLASH,
	SC_STALE,
	SC_N_CONNECTED,
	SC_N_NEEDS,
	SC_N_DISCONNECTED,
	SC_TZ,
	SC_N_ORGS,
	SC_PAGE_V,
	SC__COUNT
};

static const char *const session_cols[SC__COUNT] = {
    [SC_USER_ID] = "user_id",
    [SC_ORG_ID] = "org_id",
    [SC_ROLE] = "role",
    [SC_EMAIL] = "email",
    [SC_ORG_NAME] = "org_name",
    [SC_FLASH] = "flash",
    [SC_STALE] = "stale",
    [SC_N_CONNECTED] = "n_connected",
    [SC_N_NEEDS] = "n_needs",
    [SC_N_DISCONNECTED] = "n_disconnected",
    [SC_TZ] = "tz",
    [SC_N_ORGS] = "n_orgs",
    [SC_PAGE_V] = "page_v",
};

static void session_take(const PGresult *r, struct session_row *s)
{
	int c[SC__COUNT];

	db_cols(r, session_cols, SC__COUNT, c);
	s->user_id = db_val_ll(r, 0, c[SC_USER_ID]);
	s->org_id = db_val_ll(r, 0, c[SC_ORG_ID]);
	db_copy(s->role, sizeof(s->role), db_val(r, 0, c[SC_ROLE]));
	db_copy(s->email, sizeof(s->email), db_val(r, 0, c[SC_EMAIL]));
	db_copy(s->org_name, sizeof(s->org_name), db_val(r, 0, c[SC_ORG_NAME]));
	db_copy(s->flash, sizeof(s->flash), db_val(r, 0, c[SC_FLASH]));
	s->stale = strcmp(db_val(r, 0, c[SC_STALE]), "t") == 0;
	s->n_connected = (long)db_val_ll(r, 0, c[SC_N_CONNECTED]);
	s->n_needs = (long)db_val_ll(r, 0, c[SC_N_NEEDS]);
	s->n_disconnected = (long)db_val_ll(r, 0, c[SC_N_DISCONNECTED]);
	db_copy(s->tz, sizeof(s->tz), db_val(r, 0, c[SC_TZ]));
	s->n_orgs = (long)db_val_ll(r, 0, c[SC_N_ORGS]);
	s->page_v = db_val_ll(r, 0, c[SC_PAGE_V]);
}

/* The page cache's key of a list call of org: the organisation, the
 * statement and its parameters but the last (the viewer's session, whose
 * zone is the entry's tag instead).  Its length, or 0 when it does not fit
 * (then the page is not cached). */
static size_t view_key(char *key, size_t size, long long org, const struct db_call *c)
{
	size_t at;

	/* "<org>\0<statement>\0" as snprintf("%lld%c%d") wrote it */
	if (size < 2 * (DECIMAL_LL_CHARS + 1))
		return 0;
	db_ll_text(key, org);
	at = strlen(key) + 1;
	db_ll_text(key + at, (long long)c->st);
	at += strlen(key + at) + 1;
	for (int i = 1; i < c->n - 1; i++) {
		size_t n = strlen(c->params[i]) + 1;

		if (at + n > size)
			return 0;
		memcpy(key + at, c->params[i], n);
		at += n;
	}
	return at;
}

/*
 * The held form of a page: the rows' blob (db_portal_page_pack), then the
 * organisation's labels (the filter's choices: 41 bytes each) and their
 * count.  Labels move the organisation's counter like the rows do, so a
 * hit needs the session statement alone.
 */
#define LABEL_SIZE sizeof(((struct portal_page *)0)->labels[0])

/* Hold page (read with its own counter and zone, its labels read after
 * its rows) under key. */
static void page_hold(const char *key, size_t klen, const struct portal_page *page)
{
	char *blob;
	size_t len, tail;
	uint32_t nl = (uint32_t)page->n_labels;

	if (klen == 0 || page->n == 0 || page->tz[0] == '\0' || !page->labels_read)
		return; /* nothing read tells the counter */
	if (db_portal_page_pack(page, (void **)&blob, &len) < 0)
		return;
	tail = nl * LABEL_SIZE + sizeof(nl);
	char *more = realloc(blob, len + tail);

	if (more != NULL) {
		memcpy(more + len, page->labels, nl * LABEL_SIZE);
		memcpy(more + len + nl * LABEL_SIZE, &nl, sizeof(nl));
		pcache_put(key, klen, page->tz, page->version, more, len + tail);
		blob = more;
	}
	free(blob);
}

/* The page of key from the cache into *page when held under version in
 * zone tz, lent (its rows filled only when asked): 1, else 0 (*page
 * empty). */
static int page_cached(const char *key, size_t klen, const char *tz, long long version,
		       struct portal_page *page)
{
	const struct pcache_loan *loan;
	const void *lent;
	const char *blob;
	size_t len, tail;
	uint32_t nl = 0;

	tz = tz[0] ? tz : "UTC";
	loan = pcache_borrow_page(key, klen, tz, version, &lent, &len);
	if (loan == NULL)
		return 0;
	blob = lent;
	if (len >= sizeof(nl))
		memcpy(&nl, blob + len - sizeof(nl), sizeof(nl));
	tail = (size_t)nl * LABEL_SIZE + sizeof(nl);
	if (len < sizeof(nl) || nl > PORTAL_LABELS_MAX || len < tail) {
		pcache_return(loan);
		return 0;
	}
	/* the page keeps the loan; its rows' strings are all before the labels */
	if (db_portal_page_lend(page, blob, len - tail, loan) < 0)
		return 0;
	memcpy(page->labels, blob + len - tail, nl * LABEL_SIZE);
	page->n_labels = (int)nl;
	page->labels_read = 1;
	page->version = version;
	db_copy(page->tz, sizeof(page->tz), tz); /* the zone it was held under */
	return 1;
}

/* The organisation's labels into page, read after its rows (so never
 * older than the counter read with them).  0, or -1 (not read). */
static int page_labels(struct db *db, const char *org_text, struct portal_page *page)
{
	PGresult *lr = db_run(db, ST_LABELS_OF_ORG, 1, (const char *[]){org_text});

	if (lr == NULL)
		return -1;
	db_portal_labels_take(page, lr);
	return 0;
}

/* A page of view key, read and held: the list statement pc and the
 * organisation's labels in one round trip.  0, or -1 (*page zeroed: the
 * caller reads its own). */
static int page_read(struct db *db, const struct db_call *pc, const char *org_text,
		     const char *key, size_t klen, struct portal_page *page)
{
	struct db_call lc = {.st = ST_LABELS_OF_ORG, .n = 1, .params = {org_text}};
	PGresult *pr = NULL, *lr = NULL;

	if (db_run_pair(db, pc, &lc, &pr, &lr) < 0)
		return -1;
	if (db_portal_page_take(page, pr) < 0) {
		PQclear(lr);
		memset(page, 0, sizeof(*page));
		return -1;
	}
	if (lr != NULL)
		db_portal_labels_take(page, lr); /* after the rows: their read zeroes *page */
	page_hold(key, klen, page);
	return 0;
}

/* The row read ahead for sid_hash and idle, taken (the caller clears it),
 * or NULL. */
static PGresult *prefetched(struct db *db, const char *sid_hash, long idle)
{
	for (int i = 0; i < db->n_pre; i++) {
		struct db_prefetched *p = &db->pre[i];

		if (p->r != NULL && p->idle == idle && strcmp(p->sid_hash, sid_hash) == 0) {
			PGresult *r = p->r;

			p->r = NULL;
			return r;
		}
	}
	return NULL;
}

int db_session_load(struct db *db, const char *sid_hash, long idle, long long org,
		    const struct portal_query *q, struct session_row *out,
		    struct portal_page *page)
{
	char idle_text[24], org_text[24], key[1024];
	PGresult *r = NULL, *pr = NULL;
	struct db_call pc;
	size_t klen = 0;
	int result = 0, probed = 0, read_ahead = 0;

	memset(out, 0, sizeof(*out));
	if (page != NULL)
		db_portal_page_clear(page);
	LL(idle_text, idle);
	const char *sp[] = {sid_hash, idle_text};
	const int with_page = q != NULL && page != NULL && org > 0;

	if (with_page) {
		db_portal_list_call(&pc, q);
		LL(org_text, org);
		pc.params[0] = org_text;
		klen = view_key(key, sizeof(key), org, &pc);
		probed = klen > 0 && pcache_probe(key, klen);
	}
	r = prefetched(db, sid_hash, idle);
	if (r != NULL) {
		/* read ahead with the batch this request came in: a view this
		 * process does not hold is read below, on its own */
		read_ahead = 1;
	} else if (with_page && !probed) {
		/* a view this process does not hold: read it with the session */
		struct db_call sc = {.st = ST_SESSION_LOAD, .n = 2, .params = {sid_hash, idle_text}};

		if (db_run_pair(db, &sc, &pc, &r, &pr) < 0)
			return -1;
	} else {
		/* expecting a hit (or no page): the session statement alone */
		r = db_run(db, ST_SESSION_LOAD, 2, sp);
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
	if (!with_page || result != 1 || out->org_id != org) {
		PQclear(pr);
		return result;
	}
	if (pr != NULL) {
		if (db_portal_page_take(page, pr) < 0)
			memset(page, 0, sizeof(*page)); /* the caller reads its own */
		else if (page_labels(db, org_text, page) == 0)
			page_hold(key, klen, page);
	} else if (probed ? !page_cached(key, klen, out->tz, out->page_v, page) : read_ahead) {
		/* changed since (or another zone), or not held and the session
		 * was read ahead without it: read it now, and hold it */
		page_read(db, &pc, org_text, key, klen, page);
	}
	return result;
}

int db_session_prefetch(struct db *db, int n, const char *const *sid_hashes, long idle)
{
	const char *params[2 * DB_PREFETCH_MAX];
	PGresult *res[DB_PREFETCH_MAX];
	char idle_text[24];

	db_session_prefetch_drop(db);
	if (n <= 0 || n > DB_PREFETCH_MAX)
		return 0;
	LL(idle_text, idle);
	for (int i = 0; i < n; i++) {
		if (strlen(sid_hashes[i]) >= sizeof(db->pre[i].sid_hash))
			return 0;
		params[2 * i] = sid_hashes[i];
		params[2 * i + 1] = idle_text;
	}
	if (db_run_many(db, ST_SESSION_LOAD, n, 2, params, res) < 0)
		return 0; /* nothing held: each load reads its own */
	for (int i = 0; i < n; i++) {
		struct db_prefetched *p = &db->pre[i];

		strcpy(p->sid_hash, sid_hashes[i]);
		p->idle = idle;
		p->r = res[i];
	}
	db->n_pre = n;
	return n;
}

void db_session_prefetch_drop(struct db *db)
{
	for (int i = 0; i < db->n_pre; i++) {
		PQclear(db->pre[i].r);
		db->pre[i].r = NULL;
	}
	db->n_pre = 0;
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
