/*
 * page_activity: the organisation's activity log (/activity, every role):
 * every portal's entries and the organisation's own (webhooks, reconnect
 * links, settings, and whatever else writes an entry), newest first,
 * filtered by portal, user, kind and a date range in the user's time zone,
 * in keyset pages (?before= an entry id); and the same entries as a CSV
 * (/activity.csv), streamed to the client as PostgreSQL hands the rows
 * over, never held whole (DESIGN §11: RFC 4180, neutralised cells, times
 * in ISO 8601 with the zone's offset).
 *
 * The kinds a filter offers are the kinds present in the organisation's
 * log (read by the database), not a table here: other parts of the product
 * add kinds of their own, and a filter by any of them just works.
 */
#include "csv.h"
#include "db_activity.h"
#include "log.h"
#include "pages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Bytes of CSV gathered before they go to the client. */
#define CSV_FLUSH (64 * 1024)

/* The filters of the request (checked by the gate: valid_id_or_empty,
 * valid_activity_kind, valid_date_or_empty). */
static void filter_of(const struct ctx *c, struct activity_filter *f)
{
	const char *kind = req_query(c->req, "kind");
	const char *from = req_query(c->req, "from");
	const char *to = req_query(c->req, "to");

	memset(f, 0, sizeof(*f));
	f->tz = c->sess->tz[0] ? c->sess->tz : "UTC";
	f->portal = c->args.portal;
	f->user = c->args.user;
	f->kind = kind ? kind : "";
	f->from = from ? from : "";
	f->to = to ? to : "";
	f->before = c->args.before;
}

/*
 * Check what the filters name: a date range that ends before it starts is
 * a 400; another organisation's portal or user (or one that does not
 * exist) a 404.  1 with *chk, 0 when a page was answered, -1 on error.
 */
static int filter_check(struct ctx *c, const struct activity_filter *f, struct activity_check *chk)
{
	if (f->from[0] && f->to[0] && strcmp(f->from, f->to) > 0)
		return page_error(c, 400, "Bad request",
				  "The date range ends before it starts: choose a From date on or "
				  "before the To date.") < 0
			   ? -1
			   : 0;
	if (db_activity_check(c->db, c->sess->org_id, f, chk) < 0)
		return -1;
	if (!chk->portal_ok)
		return page_error(c, 404, "Portal not found",
				  "There is no such portal in your organisation.") < 0
			   ? -1
			   : 0;
	if (!chk->user_ok)
		return page_error(c, 404, "User not found",
				  "There is no such user in your organisation.") < 0
			   ? -1
			   : 0;
	return 1;
}

/* The filters as a query string ("portal=3&kind=renamed"; "" for none).
 * Every value passed a validator whose characters need no escaping in a
 * URL. */
static void filter_query(const struct activity_filter *f, char *out, size_t n)
{
	size_t k = 0;

	out[0] = '\0';
	if (f->portal)
		k += (size_t)snprintf(out + k, n - k, "&portal=%lld", f->portal);
	if (k < n && f->user)
		k += (size_t)snprintf(out + k, n - k, "&user=%lld", f->user);
	if (k < n && f->kind[0])
		k += (size_t)snprintf(out + k, n - k, "&kind=%s", f->kind);
	if (k < n && f->from[0])
		k += (size_t)snprintf(out + k, n - k, "&from=%s", f->from);
	if (k < n && f->to[0])
		snprintf(out + k, n - k, "&to=%s", f->to);
	if (out[0] == '&')
		memmove(out, out + 1, strlen(out));
}

/* An address: path, then ?query when there is one, then more (which
 * starts with & or is ""). */
static void href(char *out, size_t n, const char *path, const char *query, const char *more)
{
	snprintf(out, n, "%s%s%s%s", path, query[0] || more[0] ? "?" : "", query,
		 query[0] ? more : more + (more[0] == '&'));
}

struct page_rows {
	cJSON *list;
	long long now;
	long long last_id; /* the last entry shown */
	int n;
};

static int page_row(const struct activity_entry *e, void *arg)
{
	struct page_rows *pr = arg;
	cJSON *o;
	char b[32];

	if (pr->n++ >= ACTIVITY_LOG_ROWS)
		return 0; /* the one more: older entries exist */
	pr->last_id = e->id;
	o = cJSON_CreateObject();
	if (o == NULL || !cJSON_AddItemToArray(pr->list, o)) {
		cJSON_Delete(o);
		return -1;
	}
	page_int(e->id, b, sizeof(b));
	cJSON_AddStringToObject(o, "id", b);
	page_when(o, "when", e->at, pr->now);
	if (e->portal_id) {
		cJSON *p = cJSON_AddObjectToObject(o, "portal");

		page_int(e->portal_id, b, sizeof(b));
		cJSON_AddStringToObject(p, "id", b);
		cJSON_AddStringToObject(p, "name", e->portal_name);
		page_int(e->hub_id, b, sizeof(b));
		cJSON_AddStringToObject(p, "hub_id", b);
		cJSON_AddBoolToObject(p, "removed", e->portal_removed);
	}
	if (e->user_email[0])
		cJSON_AddStringToObject(o, "user_email", e->user_email);
	cJSON_AddStringToObject(o, "kind", e->kind);
	cJSON_AddStringToObject(o, "message", e->message);
	cJSON_AddStringToObject(o, "correlation_id", e->correlation_id);
	return 0;
}

/* The filters' choices, the chosen ones marked.  0, or -1. */
static int choices_view(struct ctx *c, const struct activity_filter *f, cJSON *v)
{
	struct activity_choice *ch;
	cJSON *list, *o;
	int n, found;
	char b[32];

	/* portals */
	if ((ch = db_activity_portals(c->db, c->sess->org_id, &n)) == NULL)
		return -1;
	list = cJSON_AddArrayToObject(v, "portals");
	found = 0;
	for (int i = 0; i < n && i < ACTIVITY_PORTAL_CHOICES; i++) {
		o = cJSON_CreateObject();
		cJSON_AddItemToArray(list, o);
		page_int(ch[i].id, b, sizeof(b));
		cJSON_AddStringToObject(o, "id", b);
		cJSON_AddStringToObject(o, "name", ch[i].name);
		page_int(ch[i].hub_id, b, sizeof(b));
		cJSON_AddStringToObject(o, "hub_id", b);
		cJSON_AddBoolToObject(o, "removed", ch[i].removed);
		cJSON_AddBoolToObject(o, "selected", ch[i].id == f->portal);
		found |= ch[i].id == f->portal;
	}
	cJSON_AddBoolToObject(v, "portals_cut", n > ACTIVITY_PORTAL_CHOICES);
	if (f->portal && !found) { /* beyond the list: still shown as chosen */
		char name[40];

		o = cJSON_CreateObject();
		cJSON_AddItemToArray(list, o);
		page_int(f->portal, b, sizeof(b));
		cJSON_AddStringToObject(o, "id", b);
		snprintf(name, sizeof(name), "Portal %s", b);
		cJSON_AddStringToObject(o, "name", name);
		cJSON_AddBoolToObject(o, "selected", 1);
	}
	free(ch);
	/* users */
	if ((ch = db_activity_users(c->db, c->sess->org_id, &n)) == NULL)
		return -1;
	list = cJSON_AddArrayToObject(v, "users");
	for (int i = 0; i < n; i++) {
		o = cJSON_CreateObject();
		cJSON_AddItemToArray(list, o);
		page_int(ch[i].id, b, sizeof(b));
		cJSON_AddStringToObject(o, "id", b);
		cJSON_AddStringToObject(o, "email", ch[i].name);
		cJSON_AddBoolToObject(o, "selected", ch[i].id == f->user);
	}
	free(ch);
	/* kinds: those in the log, and the one asked for even when it has none */
	if ((ch = db_activity_kinds(c->db, c->sess->org_id, &n)) == NULL)
		return -1;
	list = cJSON_AddArrayToObject(v, "kinds");
	found = 0;
	for (int i = 0; i < n; i++) {
		int sel = strcmp(ch[i].name, f->kind) == 0;

		o = cJSON_CreateObject();
		cJSON_AddItemToArray(list, o);
		cJSON_AddStringToObject(o, "kind", ch[i].name);
		cJSON_AddBoolToObject(o, "selected", sel);
		found |= sel;
	}
	if (f->kind[0] && !found) {
		o = cJSON_CreateObject();
		cJSON_AddItemToArray(list, o);
		cJSON_AddStringToObject(o, "kind", f->kind);
		cJSON_AddBoolToObject(o, "selected", 1);
	}
	free(ch);
	return 0;
}

int page_activity_get(struct ctx *c)
{
	struct activity_filter f;
	struct activity_check chk;
	struct page_rows pr = {.now = (long long)time(NULL)};
	cJSON *v = NULL;
	char q[256], h[400], more[40];
	int rc;

	filter_of(c, &f);
	rc = filter_check(c, &f, &chk);
	if (rc <= 0)
		return rc;
	v = cJSON_CreateObject();
	if (v == NULL)
		return -1;
	pr.list = cJSON_AddArrayToObject(v, "entries");
	if (pr.list == NULL || db_activity_log(c->db, c->sess->org_id, &f, page_row, &pr) < 0 ||
	    choices_view(c, &f, v) < 0)
		goto fail;
	filter_query(&f, q, sizeof(q));
	if (pr.n > ACTIVITY_LOG_ROWS) {
		snprintf(more, sizeof(more), "&before=%lld", pr.last_id);
		href(h, sizeof(h), "/activity", q, more);
		cJSON_AddStringToObject(v, "older_href", h);
	}
	if (f.before) {
		href(h, sizeof(h), "/activity", q, "");
		cJSON_AddStringToObject(v, "newest_href", h);
	}
	href(h, sizeof(h), "/activity.csv", q, "");
	cJSON_AddStringToObject(v, "csv_href", h);
	cJSON_AddBoolToObject(v, "filtered", q[0] != '\0');
	cJSON_AddStringToObject(v, "from", f.from);
	cJSON_AddStringToObject(v, "to", f.to);
	cJSON_AddStringToObject(v, "tz", f.tz);
	return page_render(c, 200, "activity", "Activity", v);
fail:
	cJSON_Delete(v);
	return -1;
}

/* ---- the CSV ---- */

struct csv_out {
	struct ctx *c;
	struct buf b;
	int head_only;
	long rows;
};

/* Send what is gathered, the headers first when they have not gone.  0, or
 * -1 (the client went away). */
static int csv_flush(struct csv_out *o)
{
	struct resp *rs = o->c->resp;
	int rc = 0;

	if (o->b.overflow || o->b.oom)
		return -1;
	if (rs->stream == HTTP_STREAM_NONE)
		rc = http_stream_start(o->c->req->io, rs, o->head_only);
	if (rc == 0)
		rc = http_stream_write(o->c->req->io, rs, o->b.data ? o->b.data : "", o->b.len);
	buf_reset(&o->b);
	return rc;
}

static int csv_row(const struct activity_entry *e, void *arg)
{
	struct csv_out *o = arg;
	char pid[24] = "", hub[24] = "";

	if (e->portal_id) {
		page_int(e->portal_id, pid, sizeof(pid));
		page_int(e->hub_id, hub, sizeof(hub));
	}
	csv_field(&o->b, e->at, 0);
	csv_field(&o->b, pid, 0);
	csv_field(&o->b, e->portal_name, 0);
	csv_field(&o->b, hub, 0);
	csv_field(&o->b, e->user_email, 0);
	csv_field(&o->b, e->kind, 0);
	csv_field(&o->b, e->message, 0);
	csv_field(&o->b, e->correlation_id, 1);
	o->rows++;
	return o->b.len >= CSV_FLUSH ? csv_flush(o) : 0;
}

int page_activity_csv(struct ctx *c)
{
	static const char *const head[] = {"time",    "portal_id",     "portal_name",
					   "hub_id",  "user_email",    "kind",
					   "message", "correlation_id"};
	struct activity_filter f;
	struct activity_check chk;
	struct csv_out o = {.c = c, .head_only = c->req->method == METHOD_HEAD};
	char disp[96];
	int rc;

	filter_of(c, &f);
	rc = filter_check(c, &f, &chk);
	if (rc <= 0)
		return rc;
	c->resp->status = 200;
	c->resp->content_type = "text/csv; charset=utf-8";
	snprintf(disp, sizeof(disp), "attachment; filename=\"activity-%s.csv\"", chk.today);
	if (http_add_header(c->resp, "Content-Disposition", disp) < 0)
		return -1;
	if (o.head_only) /* HEAD: the headers, and no export read for nothing */
		return http_stream_start(c->req->io, c->resp, 1) < 0 ||
			       http_stream_end(c->req->io, c->resp) < 0
			   ? -1
			   : 0;
	/* a row is at most a few KB; the buffer goes out every CSV_FLUSH */
	buf_init(&o.b, 4 * CSV_FLUSH);
	for (int i = 0; i < 8; i++)
		csv_field(&o.b, head[i], i == 7);
	/* until the first flush nothing has gone out: a failure before it is
	 * an ordinary 500 page; after it, the gate cuts the answer short */
	rc = db_activity_export(c->db, c->sess->org_id, &f, csv_row, &o) < 0 || csv_flush(&o) < 0 ||
		     http_stream_end(c->req->io, c->resp) < 0
		 ? -1
		 : 0;
	buf_free(&o.b);
	if (rc < 0 && c->resp->stream != HTTP_STREAM_NONE)
		log_event(LOG_WARN, c->req->id, "activity_csv_cut_short", NULL);
	return rc;
}
