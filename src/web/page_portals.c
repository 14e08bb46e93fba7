/*
 * page_portals: Client Accounts (the table), a portal's page, connecting
 * a new portal, Reconnect, Disconnect and Remove.
 */
#include "buf.h"
#include "db_activity.h"
#include "db_link.h"
#include "db_portal.h"
#include "db_runs.h"
#include "db_token.h"
#include "hs.h"
#include "html.h"
#include "log.h"
#include "oauth.h"
#include "pcache.h"
#include "decimal.h"
#include "pages.h"
#include "role.h"
#include "status.h"
#include "tok.h"
#include "valid.h"
#include "view_rows.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE_ROWS     PORTAL_PAGE_ROWS
#define ACTIVITY_ROWS ACTIVITY_PAGE_ROWS

/* Add the shown forms of a portal's times (page_when: relative and
 * absolute in the viewer's zone) and its labels (the portal page). */
static void decorate(cJSON *o)
{
	static const char *times[] = {"last_connected_at", "last_refreshed_at", "next_check_at",
				      "status_changed_at", "first_connected_at"};
	static const char *shown[] = {"last_connected_when", "last_refreshed_when",
				      "next_check_when", "status_changed_when",
				      "first_connected_when"};
	const cJSON *ct = cJSON_GetObjectItemCaseSensitive(o, "connection_type");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "status");
	const long long now = (long long)time(NULL);

	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, times[i]);

		if (cJSON_IsString(t))
			page_when(o, shown[i], t->valuestring, now);
	}
	cJSON_AddItemToObjectCS(o, "conn_label",
				cJSON_CreateStringReference(conf_conn_label(
				    conf_conn_parse(cJSON_IsString(ct) ? ct->valuestring : ""))));
	page_status_fields(o, cJSON_IsString(st) ? st->valuestring : "");
}

/* Which page of the list a link asks for. */
enum cursor { C_FIRST, C_AFTER, C_BEFORE, C_LAST };

/* href for /portals with the given sort and status, at page cursor (the
 * row id after or before which it starts), keeping the request's search
 * and label. */
static char *list_href_c(int sort, const char *status, enum cursor cur, long long id,
			 const char *q, const char *label)
{
	struct buf b;
	char n[24];

	/* without printf: a page makes nine of them */
	buf_init(&b, 512);
	buf_puts(&b, "/portals?sort=");
	buf_puts(&b, valid_sort_keys[sort]);
	if (status) {
		buf_puts(&b, "&status=");
		buf_puts(&b, status);
	}
	if (q && q[0]) {
		buf_puts(&b, "&q=");
		html_url_encode(&b, q);
	}
	if (label && label[0]) {
		buf_puts(&b, "&label=");
		html_url_encode(&b, label);
	}
	if (cur == C_AFTER || cur == C_BEFORE) {
		page_int(id, n, sizeof(n));
		buf_puts(&b, cur == C_AFTER ? "&after=" : "&before=");
		buf_puts(&b, n);
	} else if (cur == C_LAST)
		buf_puts(&b, "&last=1");
	if (b.overflow || b.oom) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b);
}

static void add_link(cJSON *parent, const char *name, char *href)
{
	if (href != NULL)
		cJSON_AddStringToObject(parent, name, href);
	free(href);
}

/* The cells of a Client Accounts row, as the template names them. */
enum {
	RV_ID,
	RV_STATUS,
	RV_NAME,
	RV_HUB_DOMAIN,
	RV_HUB_ID,
	RV_CONN_LABEL,
	RV_STATUS_CLASS,
	RV_STATUS_LABEL,
	RV_STATUS_REASON,
	RV_LC_ISO, /* last connected: <time datetime>, title, words */
	RV_LC_TEXT,
	RV_LC_AGO,
	RV_CONNECTED_BY,
	RV_HS_USER_EMAIL,
	RV_LR_ISO, /* token last refreshed */
	RV_LR_TEXT,
	RV_LR_AGO,
	RV_NC_ISO, /* next check */
	RV_NC_TEXT,
	RV_NC_AGO,
	RV_CAN_MANAGE,
	RV_CAN_RECONNECT,
	RV_IS_CONNECTED,
	RV_LAST_DEPLOY,
	RV_LAST_DEPLOY_LABEL,
	RV_CAN_AUDIT,
	RV_LABELS,
	RV__COUNT
};

static const char *const rv_keys[RV__COUNT] = {
    [RV_ID] = "id",
    [RV_STATUS] = "status",
    [RV_NAME] = "name",
    [RV_HUB_DOMAIN] = "hub_domain",
    [RV_HUB_ID] = "hub_id",
    [RV_CONN_LABEL] = "conn_label",
    [RV_STATUS_CLASS] = "status_class",
    [RV_STATUS_LABEL] = "status_label",
    [RV_STATUS_REASON] = "status_reason",
    [RV_LC_ISO] = "lc_iso",
    [RV_LC_TEXT] = "lc_text",
    [RV_LC_AGO] = "lc_ago",
    [RV_CONNECTED_BY] = "connected_by_email",
    [RV_HS_USER_EMAIL] = "hs_user_email",
    [RV_LR_ISO] = "lr_iso",
    [RV_LR_TEXT] = "lr_text",
    [RV_LR_AGO] = "lr_ago",
    [RV_NC_ISO] = "nc_iso",
    [RV_NC_TEXT] = "nc_text",
    [RV_NC_AGO] = "nc_ago",
    [RV_CAN_MANAGE] = "can_manage",
    [RV_CAN_RECONNECT] = "can_reconnect",
    [RV_IS_CONNECTED] = "is_connected",
    [RV_LAST_DEPLOY] = "last_deploy",
    [RV_LAST_DEPLOY_LABEL] = "last_deploy_label",
    [RV_CAN_AUDIT] = "can_audit",
    [RV_LABELS] = "labels",
};

/* A relative time of a held row ("3 hours ago"): a hook that writes
 * nothing when the rows are rendered and records where the words go and
 * the time they tell (struct hole); each request writes the words. */
struct hole {
	long long t;
	uint32_t at; /* offset in the rows' HTML */
};

struct holes {
	struct hole *v;
	size_t n, cap;
};

struct ago_hook {
	struct tmpl_hook h; /* first: the template calls back with &h */
	long long t;
	struct holes *to;
};

static int ago_record(const struct tmpl_hook *h, struct buf *out)
{
	const struct ago_hook *a = (const struct ago_hook *)(const void *)h;

	if (out->len > UINT32_MAX)
		return -1;
	if (a->to->n == a->to->cap) { /* a template that tells a time twice */
		struct hole *more = realloc(a->to->v, 2 * a->to->cap * sizeof(*more));

		if (more == NULL)
			return -1;
		a->to->v = more;
		a->to->cap *= 2;
	}
	a->to->v[a->to->n++] = (struct hole){.t = a->t, .at = (uint32_t)out->len};
	return 0;
}

/* A time's three cells (datetime, absolute, words) from scratch at sc
 * (58 bytes); t 0 leaves them "".  The words are the hook ago. */
static void row_time(struct view_rows *v, int i, int col, char *sc, long long t, int off,
		     struct ago_hook *ago)
{
	char *iso = sc, *text = sc + 26;

	page_local(t, off, iso, text);
	view_rows_text(v, i, col, iso);
	view_rows_text(v, i, col + 1, text);
	ago->t = t;
	if (iso[0] != '\0')
		view_rows_hook(v, i, col + 2, &ago->h);
	else
		view_rows_text(v, i, col + 2, "");
}

/* Row i of the block from a Client Accounts row; its formatted numbers
 * and times go in the row's scratch buffer. */
static void row_fill(struct view_rows *v, int i, const struct portal_list_row *p, int can_manage,
		     int can_run, struct ago_hook ago[3])
{
	char *sc = view_rows_scratch(v, i), *id = sc, *hub = sc + 24, *ld = sc + 48;
	const char *label, *cls;
	int connected = page_status_text(p->status, &label, &cls);

	_Static_assert(VIEW_ROWS_SCRATCH >= 72 + 3 * 58, "room for three ids and three times");
	page_int(p->id, id, 24);
	page_int(p->hub_id, hub, 24);
	row_time(v, i, RV_LC_ISO, sc + 72, p->last_connected, p->lc_off, &ago[0]);
	/* token times only while they mean something */
	row_time(v, i, RV_LR_ISO, sc + 72 + 58, connected ? p->last_refreshed : 0, p->lr_off,
		 &ago[1]);
	row_time(v, i, RV_NC_ISO, sc + 72 + 116, connected ? p->next_check : 0, p->nc_off, &ago[2]);
	view_rows_text(v, i, RV_ID, id);
	view_rows_text(v, i, RV_STATUS, p->status);
	view_rows_text(v, i, RV_NAME, p->name);
	view_rows_text(v, i, RV_HUB_DOMAIN, strcmp(p->hub_domain, p->name) != 0 ? p->hub_domain : "");
	view_rows_text(v, i, RV_HUB_ID, hub);
	view_rows_text(v, i, RV_CONN_LABEL, conf_conn_label(conf_conn_parse(p->conn_type)));
	view_rows_text(v, i, RV_STATUS_CLASS, cls);
	view_rows_text(v, i, RV_STATUS_LABEL, label);
	/* the row says the reason's short text; its page has the long text and
	 * HubSpot's code */
	{
		int rc = status_reason_parse(p->reason_code);

		view_rows_text(v, i, RV_STATUS_REASON,
			       connected ? ""
			       : rc > 0  ? status_reason_info((enum status_reason)rc)->short_text
					 : p->reason);
	}
	view_rows_text(v, i, RV_CONNECTED_BY, p->connected_by);
	view_rows_text(v, i, RV_HS_USER_EMAIL, p->hs_user_email);
	view_rows_bool(v, i, RV_CAN_MANAGE, can_manage);
	view_rows_bool(v, i, RV_CAN_RECONNECT, !connected);
	view_rows_bool(v, i, RV_IS_CONNECTED, connected);
	ld[0] = '\0';
	if (p->last_deploy > 0)
		page_int(p->last_deploy, ld, 24);
	view_rows_text(v, i, RV_LAST_DEPLOY, ld);
	view_rows_text(v, i, RV_LAST_DEPLOY_LABEL, page_run_state_label(p->last_deploy_state));
	/* members, admins and owners run audits of the types that allow them */
	view_rows_bool(v, i, RV_CAN_AUDIT, can_run && page_audit_allowed(p->conn_type));
	view_rows_text(v, i, RV_LABELS, p->labels);
}

/* ---- the rows, rendered once per held page (issue 19 item 3) ----
 * portal_rows.html renders each row from its own values alone, so the
 * rows of a page read under one counter value and zone render the same for
 * every viewer of one role until the counter moves, except for the relative
 * times (holes, written per request).  They are held in the page cache
 * beside the page's rows, under the same counter and zone: a struct
 * rows_head, the holes, then the HTML. */
struct rows_head {
	uint32_t nholes, len;
};

/* The cache's key of the rendered rows of view a of org for a viewer who
 * can_manage and can_run (the buttons a row has); its length, or 0 when it
 * does not fit.  Page cache keys of rows read start with the organisation's
 * digits, never with a letter. */
static size_t rows_key(char *key, size_t size, long long org, const struct portal_query *a,
		       int can_manage, int can_run)
{
	const char *parts[] = {a->status ? a->status : "", a->q ? a->q : "",
			       a->label ? a->label : ""};
	const long long nums[] = {org, a->sort, a->after, a->backward, can_manage, can_run};
	size_t at = 4;

	/* "rows ORG SORT AFTER BACKWARD MANAGE RUN\0", then the parts */
	if (size < 5 + 6 * (DECIMAL_LL_CHARS + 1))
		return 0;
	memcpy(key, "rows", 4);
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		char d[DECIMAL_LL_CHARS], *p = decimal_ll(nums[i], d + sizeof(d));

		key[at++] = ' ';
		memcpy(key + at, p, (size_t)(d + sizeof(d) - p));
		at += (size_t)(d + sizeof(d) - p);
	}
	key[at++] = '\0';
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		size_t k = strlen(parts[i]) + 1;

		if (at + k > size)
			return 0;
		memcpy(key + at, parts[i], k);
		at += k;
	}
	return at;
}

/* The count rows of page (in the order shown: reversed when back) rendered
 * into a held block *out of *len bytes (free()).  0, or -1. */
static int rows_render(struct ctx *c, const struct portal_page *page, int count, int back,
		       int can_manage, int can_run, void **out, size_t *len)
{
	struct view_rows *rows = view_rows_new(count, RV__COUNT, rv_keys);
	struct ago_hook *ago = calloc((size_t)count * 3 + 1, sizeof(*ago));
	struct holes holes = {.v = calloc((size_t)count * 3 + 1, sizeof(struct hole)),
			      .cap = (size_t)count * 3 + 1};
	cJSON *root = cJSON_CreateObject();
	struct rows_head head;
	struct buf b;
	char err[256], *blob;
	int result = -1;

	*out = NULL;
	*len = 0;
	buf_init(&b, RESP_MAX_BODY);
	if (rows == NULL || ago == NULL || holes.v == NULL || root == NULL)
		goto out;
	for (int i = 0; i < count; i++) {
		for (int k = 0; k < 3; k++)
			ago[3 * i + k] = (struct ago_hook){.h = {.write = ago_record}, .to = &holes};
		row_fill(rows, i, &page->row[back ? count - 1 - i : i], can_manage, can_run,
			 &ago[3 * i]);
	}
	if (!cJSON_AddItemReferenceToObject(root, "portals", view_rows_array(rows)))
		goto out;
	buf_reserve(&b, (size_t)48 * 1024); /* a page of rows is ~40 KB */
	if (tmpl_render(c->app->tmpl, "portal_rows", root, &b, err, sizeof(err)) < 0) {
		log_event(LOG_ERROR, c->req->id, "render_failed", "template", "portal_rows",
			  "error", err, NULL);
		goto out;
	}
	if (b.len > UINT32_MAX)
		goto out;
	head = (struct rows_head){.nholes = (uint32_t)holes.n, .len = (uint32_t)b.len};
	*len = sizeof(head) + holes.n * sizeof(struct hole) + b.len;
	blob = malloc(*len);
	if (blob == NULL)
		goto out;
	memcpy(blob, &head, sizeof(head));
	memcpy(blob + sizeof(head), holes.v, holes.n * sizeof(struct hole));
	memcpy(blob + sizeof(head) + holes.n * sizeof(struct hole), b.data, b.len);
	*out = blob;
	result = 0;
out:
	if (result < 0)
		*len = 0;
	cJSON_Delete(root);
	view_rows_free(rows); /* after the view that refers to it */
	free(ago);
	free(holes.v);
	buf_free(&b);
	return result;
}

/* The hook that writes held rows into the page, with the relative times
 * of now. */
struct rows_fill {
	struct tmpl_hook h; /* first */
	struct rows_head head;
	const struct hole *holes;
	const char *html;
	long long now;
};

static int rows_write(const struct tmpl_hook *h, struct buf *out)
{
	const struct rows_fill *f = (const struct rows_fill *)(const void *)h;
	size_t at = 0;
	char ago[24];

	for (uint32_t i = 0; i < f->head.nholes; i++) {
		buf_append(out, f->html + at, f->holes[i].at - at);
		/* words that need no escaping (page_ago) */
		buf_append(out, ago, page_ago(f->holes[i].t, f->now, ago, sizeof(ago)));
		at = f->holes[i].at;
	}
	buf_append(out, f->html + at, f->head.len - at);
	return out->overflow || out->oom ? -1 : 0;
}

/* Point f at the held block blob (len bytes): 0, or -1 when it does not
 * hold together. */
static int rows_open(struct rows_fill *f, const void *blob, size_t len, long long now)
{
	const char *b = blob;
	uint32_t at = 0;

	if (len < sizeof(f->head))
		return -1;
	memcpy(&f->head, b, sizeof(f->head));
	if ((len - sizeof(f->head)) / sizeof(struct hole) < f->head.nholes ||
	    len != sizeof(f->head) + f->head.nholes * sizeof(struct hole) + f->head.len)
		return -1;
	f->holes = (const struct hole *)(const void *)(b + sizeof(f->head));
	f->html = b + sizeof(f->head) + f->head.nholes * sizeof(struct hole);
	for (uint32_t i = 0; i < f->head.nholes; i++) {
		if (f->holes[i].at < at || f->holes[i].at > f->head.len)
			return -1;
		at = f->holes[i].at;
	}
	f->h.write = rows_write;
	f->now = now;
	return 0;
}

_Static_assert(SORT_NAME == 0 && SORT_STATUS == 1 && SORT_LAST == 2 && VALID_SORTS == 3,
	       "enum portal_sort follows valid_sort_keys");

/* The list the query asks for (checked and parsed by the gate). */
static void list_args(const struct ctx *c, struct portal_query *q)
{
	/* problems first by default, then by name */
	q->sort = c->args.sort < 0 ? SORT_STATUS : (enum portal_sort)c->args.sort;
	q->status = c->args.status;
	q->after = c->args.after;
	q->backward = 0;
	if (c->args.before > 0) {
		q->after = c->args.before;
		q->backward = 1;
	} else if (req_query(c->req, "last") != NULL) { /* valid_one */
		q->after = 0;
		q->backward = 1;
	}
	q->q = req_query(c->req, "q");	      /* valid_search */
	q->label = req_query(c->req, "label"); /* valid_label */
	if ((q->q && q->q[0]) || (q->label && q->label[0]))
		q->sort = SORT_NAME; /* a search is in name order */
}

int page_portals_prefetch(struct ctx *c, struct portal_query *q)
{
	list_args(c, q);
	return 1;
}

/* n with a comma between groups of three digits ("12,345") in out. */
static const char *grouped(long n, char *out, size_t size)
{
	char d[24];
	int len = snprintf(d, sizeof(d), "%ld", n < 0 ? 0 : n);
	size_t at = 0;

	for (int i = 0; i < len && at + 2 < size; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			out[at++] = ',';
		out[at++] = d[i];
	}
	out[at] = '\0';
	return out;
}

int page_portals_get(struct ctx *c)
{
	struct portal_query a;
	cJSON *v = NULL, *filters, *f;
	struct portal_page own, *page = c->prefetched;
	struct rows_fill fill;
	const struct pcache_loan *loan = NULL;
	const void *lent;
	void *held = NULL;
	size_t hlen = 0;
	int result, count;
	long total, attention;
	const long n_conn = c->sess->n_connected, n_needs = c->sess->n_needs,
		   n_disc = c->sess->n_disconnected;

	const long long now = (long long)time(NULL);

	list_args(c, &a);
	a.viewer = c->sess->sid_hash;
	const int sort = a.sort;
	const char *status = a.status;
	const long long after = a.after;
	const char *sq = a.q, *sl = a.label;
	const int finding = (sq && sq[0]) || (sl && sl[0]);

	db_portal_page_clear(&own);
	if (page == NULL || !db_portal_page_held(page)) {
		/* not read with the session: read it now */
		if (db_portal_list(c->db, c->sess->org_id, &a, &own) < 0)
			return -1;
		page = &own;
	}
	v = cJSON_CreateObject();
	if (v == NULL)
		goto fail;
	total = n_conn + n_needs + n_disc;
	attention = n_needs + n_disc;
	cJSON_AddBoolToObject(v, "has_portals", total > 0);
	if (attention > 0) {
		cJSON_AddNumberToObject(v, "attention", (double)attention);
		cJSON_AddStringToObject(v, "attention_noun", attention == 1 ? "portal" : "portals");
		cJSON_AddStringToObject(v, "attention_verb_s", attention == 1 ? "s" : "");
		cJSON_AddStringToObject(v, "attention_pronoun", attention == 1 ? "it" : "them");
	}
	/* status filters, keeping the sort */
	filters = cJSON_AddArrayToObject(v, "filters");
	const struct {
		const char *key, *label;
		long count;
	} fl[] = {{NULL, "All", total},
		  {"connected", "Connected", n_conn},
		  {"needs_reconnection", "Needs Reconnection", n_needs},
		  {"disconnected", "Disconnected", n_disc}};
	for (size_t i = 0; i < sizeof(fl) / sizeof(fl[0]); i++) {
		f = cJSON_CreateObject();
		if (f == NULL || !cJSON_AddItemToArray(filters, f)) {
			cJSON_Delete(f);
			goto fail;
		}
		cJSON_AddStringToObject(f, "key", fl[i].key ? fl[i].key : "all");
		cJSON_AddStringToObject(f, "label", fl[i].label);
		cJSON_AddNumberToObject(f, "count", (double)fl[i].count);
		cJSON_AddBoolToObject(f, "active",
				      (fl[i].key == NULL && status == NULL) ||
					  (fl[i].key && status && strcmp(fl[i].key, status) == 0));
		add_link(f, "href", list_href_c(sort, fl[i].key, C_FIRST, 0, sq, sl));
	}
	const char *sort_names[] = {"sort_name", "sort_status", "sort_last"};
	for (int i = 0; i < 3; i++) {
		f = cJSON_AddObjectToObject(v, sort_names[i]);
		if (f == NULL)
			goto fail;
		cJSON_AddBoolToObject(f, "active", sort == i);
		add_link(f, "href", list_href_c(i, status, C_FIRST, 0, sq, sl));
	}
	/* the search box and the labels to filter by */
	{
		char own_labels[PORTAL_LABELS_MAX][41], (*labels)[41] = own_labels;
		int nl = 0;
		cJSON *la;

		if (page->labels_read) { /* read with the session */
			labels = page->labels;
			nl = page->n_labels;
		} else if (db_labels(c->db, c->sess->org_id, 0, own_labels, PORTAL_LABELS_MAX,
				     &nl) < 0) {
			goto fail;
		}
		la = cJSON_AddArrayToObject(v, "labels");
		for (int i = 0; i < nl; i++) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "name", labels[i]);
			cJSON_AddBoolToObject(o, "selected", sl && strcmp(sl, labels[i]) == 0);
			cJSON_AddItemToArray(la, o);
		}
		cJSON_AddBoolToObject(v, "has_labels", nl > 0);
		cJSON_AddStringToObject(v, "q", sq ? sq : "");
		if (status)
			cJSON_AddStringToObject(v, "status_key", status);
		if (finding) {
			long found = 0;
			char t[64], g[32];

			if (page->n > 0 && page->found >= 0) {
				found = (long)page->found; /* counted with the rows */
			} else if (db_portal_find_count(c->db, c->sess->org_id, &a, page->version,
							&found) < 0) {
				/* the page's counter: checked with the session,
				 * or read with its rows (0 when no row told it) */
				goto fail;
			}
			if (found > 1000 && sq && sq[0])
				snprintf(t, sizeof(t), "1,000+ portals found"); /* counted to 1,001 */
			else /* a label alone is counted exactly */
				snprintf(t, sizeof(t), "%s portal%s found", grouped(found, g, sizeof(g)),
					 found == 1 ? "" : "s");
			cJSON_AddStringToObject(v, "found_text", t);
			add_link(v, "clear_href", list_href_c(SORT_STATUS, status, C_FIRST, 0, NULL, NULL));
		}
	}
	/* rows: one more than a page was read to know whether there is a next */
	count = page->n > PAGE_ROWS ? PAGE_ROWS : page->n;
	{
		/* read forwards: more after when a row past the page came; read
		 * backwards (rows nearest the cursor first): more before */
		const int more = page->n > PAGE_ROWS, back = a.backward;
		const int has_next = back ? after > 0 : more, has_prev = back ? more : after > 0;
		const long long first_id = count ? db_portal_page_id(page, back ? count - 1 : 0) : 0,
				last_id = count ? db_portal_page_id(page, back ? 0 : count - 1) : 0;

		if (has_prev && count) {
			add_link(v, "first_href", list_href_c(sort, status, C_FIRST, 0, sq, sl));
			add_link(v, "prev_href",
				 list_href_c(sort, status, C_BEFORE, first_id, sq, sl));
		}
		if (has_next && count) {
			add_link(v, "next_href", list_href_c(sort, status, C_AFTER, last_id, sq, sl));
			add_link(v, "last_href", list_href_c(sort, status, C_LAST, 0, sq, sl));
		}
		if (count == 0 && (after > 0 || back))
			/* a cursor past the end (or a forged one): back to the top */
			add_link(v, "first_href", list_href_c(sort, status, C_FIRST, 0, sq, sl));
	}
	/* the rows: held rendered (with this counter value and zone, for this
	 * role), else rendered now and held */
	if (count > 0) {
		const int can_manage = c->sess->can_manage, can_run = role_can_run(c->sess->role);
		char key[1024];
		size_t klen = rows_key(key, sizeof(key), c->sess->org_id, &a, can_manage, can_run);
		const int holdable = klen > 0 && page->tz[0] != '\0';
		cJSON *hook;

		loan = holdable ? pcache_borrow(key, klen, page->tz, page->version, &lent, &hlen)
				: NULL;
		if (loan == NULL || rows_open(&fill, lent, hlen, now) < 0) {
			pcache_return(loan);
			loan = NULL;
			db_portal_page_rows(page); /* a page from the cache: its rows now */
			if (rows_render(c, page, count, a.backward, can_manage, can_run, &held,
					&hlen) < 0 ||
			    rows_open(&fill, held, hlen, now) < 0)
				goto fail;
			if (holdable)
				pcache_put(key, klen, page->tz, page->version, held, hlen);
		}
		hook = cJSON_CreateNull();
		if (hook == NULL)
			goto fail;
		tmpl_hook_set(hook, &fill.h);
		cJSON_AddItemToObject(v, "portals", hook);
	}
	result = page_render(c, 200, "portals", "Client Accounts", v);
	pcache_return(loan); /* after the render that wrote it */
	free(held);
	if (db_portal_page_held(&own)) /* after the rows that point into it */
		db_portal_page_free(&own); /* (the gate frees its own) */
	return result;
fail:
	cJSON_Delete(v);
	pcache_return(loan);
	free(held);
	if (db_portal_page_held(&own))
		db_portal_page_free(&own);
	return -1;
}

/* Load the portal named in the path, or answer 404.  1 found, 0 answered,
 * -1 error. */
static int load_portal(struct ctx *c, cJSON **portal)
{
	int rc = db_portal_get(c->db, c->sess->org_id, c->req->path_id, c->sess->tz, portal);

	if (rc == 0)
		return page_error(c, 404, "Portal not found",
				  "There is no such portal in your organisation. Nothing was "
				  "changed.") < 0
			   ? -1
			   : 0;
	return rc;
}

static const char *jstr(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : "";
}

int page_portal_get(struct ctx *c)
{
	cJSON *portal = NULL, *acts = NULL, *v = NULL, *scopes, *a;
	int rc = load_portal(c, &portal);
	const long long now = (long long)time(NULL);

	if (rc <= 0)
		return rc;
	decorate(portal);
	scopes = cJSON_AddArrayToObject(portal, "scopes");
	const char *g = jstr(portal, "granted_scopes");
	while (*g) {
		size_t l;

		while (*g == ' ')
			g++;
		l = strcspn(g, " ");
		if (l) {
			char *one = strndup(g, l);
			if (one)
				cJSON_AddItemToArray(scopes, cJSON_CreateString(one));
			free(one);
		}
		g += l;
	}
	if (db_activity_list(c->db, c->sess->org_id, c->req->path_id, c->args.before, c->sess->tz,
			     &acts) < 0)
		goto fail;
	v = cJSON_CreateObject();
	if (v == NULL)
		goto fail;
	if (cJSON_GetArraySize(acts) > ACTIVITY_ROWS) {
		char href[64];

		cJSON_DeleteItemFromArray(acts, ACTIVITY_ROWS);
		snprintf(href, sizeof(href), "/portals/%lld?before=%s", c->req->path_id,
			 jstr(cJSON_GetArrayItem(acts, ACTIVITY_ROWS - 1), "id"));
		cJSON_AddStringToObject(v, "older_href", href);
	}
	cJSON_ArrayForEach(a, acts)
	{
		const cJSON *at = cJSON_GetObjectItemCaseSensitive(a, "at_iso");

		if (cJSON_IsString(at))
			page_when(a, "at_when", at->valuestring, now);
	}
	/* imports: the button (allowed by the type, for those who run work)
	 * and the latest runs */
	{
		struct run_row runs[10];
		int nr = 0, t = conf_conn_parse(jstr(portal, "connection_type"));
		cJSON *rl;

		if (db_runs_list(c->db, c->sess->org_id, c->req->path_id, "import", 0, c->sess->tz,
				 runs, 10, &nr) < 0)
			goto fail;
		rl = cJSON_AddArrayToObject(v, "runs");
		for (int i = 0; i < nr; i++)
			cJSON_AddItemToArray(rl, page_run_view(&runs[i]));
		/* deployments to it, newest first; older ones on /deployments */
		if (db_runs_list(c->db, c->sess->org_id, c->req->path_id, "deploy", 0, c->sess->tz,
				 runs, 10, &nr) < 0)
			goto fail;
		rl = cJSON_AddArrayToObject(v, "deploys");
		for (int i = 0; i < nr && i < 9; i++)
			cJSON_AddItemToArray(rl, page_run_view(&runs[i]));
		if (nr > 9) {
			char href[80];

			snprintf(href, sizeof(href), "/deployments?portal=%lld&before=%lld",
				 c->req->path_id, runs[8].id);
			cJSON_AddStringToObject(v, "deploys_next_href", href);
		}
		if (c->sess->can_manage) {
			struct link_row links[20];
			int nl = 0;

			if (db_link_open(c->db, c->sess->org_id, c->req->path_id, c->sess->tz, links,
					 20, &nl) < 0)
				goto fail;
			rl = cJSON_AddArrayToObject(v, "links");
			for (int i = 0; i < nl; i++) {
				cJSON *o = cJSON_CreateObject();
				char b[64];

				snprintf(b, sizeof(b), "%lld", links[i].id);
				cJSON_AddStringToObject(o, "id", b);
				cJSON_AddStringToObject(o, "creator", links[i].creator_email);
				cJSON_AddStringToObject(o, "sent_to", links[i].sent_to);
				page_when(o, "expires_when", links[i].expires, now);
				cJSON_AddItemToArray(rl, o);
			}
		}
		{
			char labels[50][41];
			int nl = 0;

			if (db_labels(c->db, c->sess->org_id, c->req->path_id, labels, 50, &nl) < 0)
				goto fail;
			rl = cJSON_AddArrayToObject(v, "portal_labels");
			for (int i = 0; i < nl; i++)
				cJSON_AddItemToArray(rl, cJSON_CreateString(labels[i]));
		}
		if (db_runs_list(c->db, c->sess->org_id, c->req->path_id, "audit", 0, c->sess->tz,
				 runs, 10, &nr) < 0)
			goto fail;
		rl = cJSON_AddArrayToObject(v, "audit_runs");
		for (int i = 0; i < nr; i++)
			cJSON_AddItemToArray(rl, page_run_view(&runs[i]));
		cJSON_AddBoolToObject(v, "audits_allowed",
				      t >= 0 && conf_conn_allows((enum conn_type)t, CONN_WORK_AUDIT));
		cJSON_AddBoolToObject(v, "deploys_allowed",
				      t >= 0 && conf_conn_allows((enum conn_type)t, CONN_WORK_DEPLOY));
		cJSON_AddBoolToObject(v, "imports_allowed",
				      t >= 0 && conf_conn_allows((enum conn_type)t, CONN_WORK_IMPORT));
		cJSON_AddStringToObject(v, "allows_text",
					t >= 0 ? conf_conn_allows_text((enum conn_type)t) : "");
	}
	cJSON_AddItemToObject(v, "portal", portal);
	cJSON_AddItemToObject(v, "activity", acts);
	char title[300];
	snprintf(title, sizeof(title), "%s", jstr(portal, "name"));
	return page_render(c, 200, "portal", title, v);
fail:
	cJSON_Delete(portal);
	cJSON_Delete(acts);
	cJSON_Delete(v);
	return -1;
}

/* Start connecting (portal 0) or reconnecting a portal: a 303 to
 * HubSpot's authorize page.  0, or -1. */
static int start_flow(struct ctx *c, long long portal, enum conn_type type)
{
	struct buf url;
	int result = -1;

	buf_init(&url, 8192);
	if (oauth_start(c->db, &c->app->conf, c->sess->sid_hash, c->sess->user_id,
			c->sess->org_id, portal, type, &url) == 0 &&
	    http_redirect(c->resp, 303, buf_str(&url)) == 0) {
		log_event(LOG_INFO, c->req->id, "oauth_started", "connection_type",
			  conf_conn_key(type), NULL);
		result = 0;
	}
	buf_free(&url);
	return result;
}

int page_portal_new_get(struct ctx *c)
{
	static const char *desc[CONN__MAX] = {
	    [CONN_CONFIG_ONLY] = "imports and deployments",
	    [CONN_CONFIG_AUDIT] = "imports, deployments and audits",
	    [CONN_AUDIT_ONLY] = "audits only",
	};
	cJSON *v = cJSON_CreateObject(), *types;

	if (v == NULL)
		return -1;
	types = cJSON_AddArrayToObject(v, "types");
	for (int t = 0; t < CONN__MAX; t++) {
		cJSON *o = cJSON_CreateObject();

		if (o == NULL || !cJSON_AddItemToArray(types, o)) {
			cJSON_Delete(o);
			cJSON_Delete(v);
			return -1;
		}
		cJSON_AddStringToObject(o, "key", conf_conn_key((enum conn_type)t));
		cJSON_AddStringToObject(o, "label", conf_conn_label((enum conn_type)t));
		cJSON_AddStringToObject(o, "description", desc[t]);
		cJSON_AddBoolToObject(o, "checked", t == CONN_CONFIG_AUDIT);
	}
	return page_render(c, 200, "portal_new", "Connect a portal", v);
}

int page_portal_new_post(struct ctx *c)
{
	if (c->args.conn_type < 0)
		return page_error(c, 400, "Bad request", "Choose a connection type.");
	return start_flow(c, 0, (enum conn_type)c->args.conn_type);
}

int page_portal_reconnect_post(struct ctx *c)
{
	cJSON *portal = NULL;
	int rc = load_portal(c, &portal), t;

	if (rc <= 0)
		return rc;
	/* the portal's own connection type, never one from the form */
	t = conf_conn_parse(jstr(portal, "connection_type"));
	cJSON_Delete(portal);
	if (t < 0)
		return -1;
	return start_flow(c, c->req->path_id, (enum conn_type)t);
}

static int confirm_page(struct ctx *c, const char *what)
{
	cJSON *portal = NULL, *v;
	char title[320], msg[700], action[64];
	int rc = load_portal(c, &portal), remove = strcmp(what, "remove") == 0;

	if (rc <= 0)
		return rc;
	const char *name = jstr(portal, "name");
	if (remove) {
		snprintf(title, sizeof(title), "Remove %s?", name);
		snprintf(
		    msg, sizeof(msg),
		    "JetStack AI will revoke its access at HubSpot and delete this portal's "
		    "connection and tokens. The portal leaves the Client Accounts table. Assets "
		    "imported from it and its deployment and activity history stay in your "
		    "library, marked as from a removed portal.");
	} else {
		snprintf(title, sizeof(title), "Disconnect %s?", name);
		snprintf(msg, sizeof(msg),
			 "JetStack AI will revoke its access at HubSpot. The portal turns red "
			 "(Disconnected) and stays in the table with all its data; imports, "
			 "deployments and audits stop until you reconnect it. Access tokens "
			 "HubSpot already issued stay valid until they expire, at most 30 "
			 "minutes (HubSpot does not end them when a grant is revoked).");
	}
	snprintf(action, sizeof(action), "/portals/%lld/%s", c->req->path_id, what);
	v = cJSON_CreateObject();
	if (v == NULL) {
		cJSON_Delete(portal);
		return -1;
	}
	cJSON_AddItemToObject(v, "portal", portal);
	cJSON_AddStringToObject(v, "message", msg);
	cJSON_AddStringToObject(v, "action", action);
	cJSON_AddStringToObject(v, "button", remove ? "Remove portal" : "Disconnect portal");
	cJSON_AddStringToObject(v, "button_class", "danger");
	return page_render(c, 200, "confirm", title, v);
}

int page_portal_disconnect_get(struct ctx *c)
{
	return confirm_page(c, "disconnect");
}

int page_portal_remove_get(struct ctx *c)
{
	return confirm_page(c, "remove");
}

/*
 * Revoke now the replaced grants of a portal still waiting for their revoke
 * job: Disconnect and Remove leave no grant the product knows of alive.
 * What HubSpot does not confirm now stays with its job.
 */
static void revoke_pending(struct ctx *c, long long portal)
{
	struct revocation_row *rs = NULL;
	struct hs_config cfg;
	struct hs_error err;
	int n = 0;

	if (db_revocations_pending(c->db, portal, &rs, &n) < 0)
		return;
	hs_config_from_conf(&c->app->conf, &cfg);
	for (int i = 0; i < n; i++) {
		char *tok = tok_revocation_open(&c->app->conf, &rs[i]);
		enum hs_err e;

		if (tok != NULL) {
			e = hs_revoke(c->http, &cfg, tok, "refresh_token", &err);
			if (e == HS_OK || e == HS_ERR_AUTH || e == HS_ERR_MALFORMED)
				db_revocation_done(c->db, rs[i].id);
		}
		tok_wipe_free(tok);
		db_revocation_row_free(&rs[i]);
	}
	free(rs);
}

/*
 * Revoke the portal's refresh token at HubSpot.  Returns 1 revoked (or
 * nothing to revoke, or HubSpot says the token is already invalid), 0 when
 * HubSpot could not be reached (the caller changes nothing), -1 error.
 * err receives HubSpot's answer.
 */
static int revoke_portal(struct ctx *c, long long portal, struct hs_error *err)
{
	struct tokens t;
	struct hs_config cfg;
	enum hs_err e;
	int rc = tok_get(c->db, &c->app->conf, portal, &t);

	memset(err, 0, sizeof(*err));
	if (rc < 0)
		return -1;
	if (rc == 0)
		return 1;
	hs_config_from_conf(&c->app->conf, &cfg);
	e = hs_revoke(c->http, &cfg, t.refresh, "refresh_token", err);
	tok_free(&t);
	if (e == HS_OK || e == HS_ERR_AUTH) {
		revoke_pending(c, portal);
		return 1;
	}
	log_event(LOG_WARN, c->req->id, "revoke_failed", "kind", hs_strerror(e), "correlation_id",
		  err->correlation_id, NULL);
	return 0;
}

static int end_connection(struct ctx *c, int remove)
{
	cJSON *portal = NULL;
	struct hs_error err;
	char msg[640], name[256], reason[900];
	int rc = load_portal(c, &portal);
	long long id = c->req->path_id;

	if (rc <= 0)
		return rc;
	snprintf(name, sizeof(name), "%s", jstr(portal, "name"));
	cJSON_Delete(portal);
	rc = revoke_portal(c, id, &err);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		c->resp->status = 503;
		snprintf(msg, sizeof(msg),
			 "HubSpot could not be reached to revoke access to %s, so nothing was "
			 "changed. Please try again in a few minutes.",
			 name);
		return page_error(c, 503, "HubSpot is unavailable", msg);
	}
	/* who, for the row's reason; when is the status's own time (status_changed_at),
	 * which every page shows in its viewer's zone: stored text cannot */
	status_reason_text(remove ? REASON_REMOVED : REASON_DISCONNECTED_HERE, c->sess->email,
			   reason, sizeof(reason));
	if (db_begin(c->db) < 0)
		return -1;
	if (db_tokens_delete(c->db, id) < 0)
		goto fail;
	if (remove) {
		if (db_portal_remove(c->db, c->sess->org_id, id, reason) < 0)
			goto fail;
		snprintf(msg, sizeof(msg),
			 "Portal removed by a JetStack admin; access revoked at HubSpot. Imported "
			 "assets and history are kept.");
	} else {
		if (db_portal_set_status(c->db, c->sess->org_id, id, REASON_DISCONNECTED_HERE,
					 reason) < 0)
			goto fail;
		snprintf(msg, sizeof(msg),
			 "Disconnected by a JetStack admin; access revoked at "
			 "HubSpot.");
	}
	if (db_activity_add(c->db, c->sess->org_id, id, c->sess->user_id,
			    remove ? "removed" : "disconnected", msg, err.correlation_id) < 0)
		goto fail;
	if (db_commit(c->db) < 0)
		goto fail;
	log_event(LOG_INFO, c->req->id, remove ? "portal_removed" : "portal_disconnected", NULL);
	snprintf(msg, sizeof(msg), "%s was %s.", name, remove ? "removed" : "disconnected");
	page_flash(c, msg);
	return http_redirect(c->resp, 303, "/portals");
fail:
	/* HubSpot has already revoked the grant: "nothing was changed" would
	 * be untrue.  The next check finds the tokens dead and marks the row. */
	db_rollback(c->db);
	snprintf(msg, sizeof(msg),
		 "JetStack AI's access to %s was revoked at HubSpot, but the change could not be "
		 "saved here. The portal will show as needing attention after its next check; "
		 "you can %s it again then.",
		 name, remove ? "remove" : "disconnect");
	return page_error(c, 500, "Only partly done", msg);
}

int page_portal_disconnect_post(struct ctx *c)
{
	return end_connection(c, 0);
}

int page_portal_remove_post(struct ctx *c)
{
	return end_connection(c, 1);
}

int page_portal_rename_post(struct ctx *c)
{
	const char *name = req_form(c->req, "name"); /* valid_portal_name */
	struct portal_ref p;
	char entry[700], loc[64];
	int rc = db_portal_find(c->db, c->sess->org_id, c->req->path_id, 0, &p);

	if (rc < 0)
		return -1;
	if (rc == 0)
		return page_error(c, 404, "Portal not found",
				  "There is no such portal in your organisation. Nothing was changed.");
	snprintf(entry, sizeof(entry), "Renamed from %s to %s by %s.", p.name, name, c->sess->email);
	if (db_begin(c->db) < 0)
		return -1;
	if (db_portal_rename(c->db, c->sess->org_id, p.id, name) <= 0 ||
	    db_activity_add(c->db, c->sess->org_id, p.id, c->sess->user_id, "renamed", entry, NULL) <
		0 ||
	    db_commit(c->db) < 0) {
		db_rollback(c->db);
		return -1;
	}
	page_flash(c, "Saved: the portal's display name changed. Reconnecting keeps it.");
	snprintf(loc, sizeof(loc), "/portals/%lld", p.id);
	return http_redirect(c->resp, 303, loc);
}

int page_portal_labels_post(struct ctx *c)
{
	const char *label = req_form(c->req, "label");   /* valid_label */
	const char *action = req_form(c->req, "action"); /* valid_label_action */
	struct portal_ref p;
	char entry[400], loc[64];
	int rc = db_portal_find(c->db, c->sess->org_id, c->req->path_id, 0, &p), add;

	if (rc < 0)
		return -1;
	if (rc == 0)
		return page_error(c, 404, "Portal not found",
				  "There is no such portal in your organisation. Nothing was changed.");
	add = strcmp(action, "add") == 0;
	if (db_begin(c->db) < 0)
		return -1;
	rc = add ? db_label_add(c->db, c->sess->org_id, p.id, label)
		 : db_label_remove(c->db, c->sess->org_id, p.id, label);
	snprintf(entry, sizeof(entry), "Label \"%s\" %s by %s.", label, add ? "added" : "removed",
		 c->sess->email);
	if (rc < 0 || (rc == 1 && db_activity_add(c->db, c->sess->org_id, p.id, c->sess->user_id,
						  add ? "label_added" : "label_removed", entry,
						  NULL) < 0) ||
	    db_commit(c->db) < 0) {
		db_rollback(c->db);
		return -1;
	}
	snprintf(loc, sizeof(loc), "/portals/%lld", p.id);
	return http_redirect(c->resp, 303, loc);
}
