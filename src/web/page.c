/*
 * page: rendering helpers shared by the page handlers: the layout fields,
 * error pages, flash messages, time and status formatting.
 */
#include "log.h"
#include "civil.h"
#include "decimal.h"
#include "db_session.h"
#include "pages.h"
#include "role.h"
#include "status.h"
#include "route.h"
#include "tmpl.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define PAGE_BODY_RESERVE ((size_t)48 * 1024)

int page_render(struct ctx *c, int status, const char *tmpl, const char *title, cJSON *view)
{
	char err[256];
	int result = -1;

	if (view == NULL)
		return -1;
	cJSON_AddStringToObject(view, "title", title);
	if (c->sess != NULL) {
		cJSON_AddBoolToObject(view, "signed_in", 1);
		cJSON_AddStringToObject(view, "me_email", c->sess->email);
		cJSON_AddStringToObject(view, "me_role", c->sess->role);
		cJSON_AddStringToObject(view, "org_name", c->sess->org_name);
		cJSON_AddStringToObject(view, "csrf", c->sess->csrf);
		cJSON_AddBoolToObject(view, "can_manage", c->sess->can_manage);
		cJSON_AddBoolToObject(view, "can_run", role_can_run(c->sess->role));
		if (c->sess->flash[0])
			cJSON_AddStringToObject(view, "flash", c->sess->flash);
		/* team: the sidebar's Team, the header's switch */
		cJSON_AddBoolToObject(view, "can_team", role_can_team(c->sess->role));
		cJSON_AddBoolToObject(view, "multi_org", c->sess->n_orgs > 1);
		if (c->sess->n_needs + c->sess->n_disconnected > 0)
			cJSON_AddNumberToObject(view, "attention_n",
						(double)(c->sess->n_needs + c->sess->n_disconnected));
	}
	cJSON_AddBoolToObject(view, "nav_portals",
			      c->route == PAGE_PORTALS || c->route == PAGE_PORTAL ||
				  c->route == PAGE_PORTAL_NEW);
	cJSON_AddBoolToObject(view, "nav_assets",
			      c->route == PAGE_ASSETS || c->route == PAGE_ASSET ||
				  c->route == PAGE_DEPLOY);
	cJSON_AddBoolToObject(view, "nav_deployments", c->route == PAGE_DEPLOYMENTS);
	cJSON_AddBoolToObject(view, "nav_audits", c->route == PAGE_AUDITS || c->route == PAGE_AUDIT);
	cJSON_AddBoolToObject(view, "nav_attention", c->route == PAGE_ATTENTION);
	cJSON_AddBoolToObject(view, "nav_notify", c->route == PAGE_NOTIFY);
	cJSON_AddBoolToObject(view, "nav_integrations",
			      c->route == PAGE_INTEGRATIONS || c->route == PAGE_INTEGRATION);
	cJSON_AddBoolToObject(view, "nav_activity", c->route == PAGE_ACTIVITY); /* issue 17 */
	/* the read API's tokens (issue 17 item 2) */
	cJSON_AddBoolToObject(view, "nav_api", c->route == PAGE_API_TOKENS);
	cJSON_AddBoolToObject(view, "nav_help",
			      c->route == PAGE_HELP || c->route == PAGE_HELP_FLOW ||
				  c->route == PAGE_HELP_TROUBLE);
	cJSON_AddBoolToObject(view, "nav_team", /* team */
			      c->route == PAGE_TEAM || c->route == PAGE_TEAM_REMOVE ||
				  c->route == PAGE_TEAM_INVITE);
	buf_reset(&c->resp->body);
	/* one allocation for a whole page, instead of a dozen doublings and
	 * copies from 256 bytes (the Client Accounts page is ~33 KB) */
	buf_reserve(&c->resp->body, PAGE_BODY_RESERVE);
	if (tmpl_render(c->app->tmpl, tmpl, view, &c->resp->body, err, sizeof(err)) < 0) {
		log_event(LOG_ERROR, c->req->id, "render_failed", "template", tmpl, "error", err,
			  NULL);
		goto out;
	}
	c->resp->status = status;
	c->resp->content_type = "text/html; charset=utf-8";
	result = 0;
out:
	cJSON_Delete(view);
	return result;
}

int page_error(struct ctx *c, int status, const char *title, const char *message)
{
	cJSON *v = cJSON_CreateObject();

	if (v == NULL)
		return -1;
	cJSON_AddStringToObject(v, "message", message);
	/* a server-side failure: the id to quote, as in the log */
	if (status >= 500 && c->req != NULL && c->req->id[0])
		cJSON_AddStringToObject(v, "request_id", c->req->id);
	return page_render(c, status, "error", title, v);
}

void page_flash(struct ctx *c, const char *message)
{
	if (c->sess == NULL)
		return;
	db_session_flash(c->db, c->sess->sid_hash, message);
}

void page_int(long long v, char *out, size_t n)
{
	char b[DECIMAL_LL_CHARS + 1], *p;

	if (n == 0)
		return;
	out[0] = '\0';
	if (n < sizeof(b))
		return;
	b[DECIMAL_LL_CHARS] = '\0';
	p = decimal_ll(v, b + DECIMAL_LL_CHARS);
	memcpy(out, p, (size_t)(b + sizeof(b) - p));
}

int page_status_text(const char *status, const char **label, const char **cls)
{
	int s = status_parse(status);

	if (s < 0)
		s = STATUS_DISCONNECTED; /* the CHECK constraint allows nothing else */
	*label = status_label((enum portal_status)s);
	*cls = status_colour((enum portal_status)s);
	return s == STATUS_CONNECTED;
}

void page_status_fields(cJSON *o, const char *status)
{
	const char *label, *cls;
	int connected = page_status_text(status, &label, &cls);

	cJSON_AddItemToObjectCS(o, "status_label", cJSON_CreateStringReference(label));
	cJSON_AddItemToObjectCS(o, "status_class", cJSON_CreateStringReference(cls));
	cJSON_AddItemToObjectCS(o, "is_connected", cJSON_CreateBool(connected));
	cJSON_AddItemToObjectCS(o, "can_reconnect", cJSON_CreateBool(!connected));
}

/* Two decimal digits at s, or -1. */
static int digits2(const char *s)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's
 * days_from_civil, the inverse of civil_from_days). */
static long long days_from_civil(int y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Words for a span, by hand: a page has 50 to 150 of them, and snprintf
 * cost ten times the rest of the page's work on each (issue 19 item 3). */
size_t page_ago(long long t, long long now, char *out, size_t n)
{
	static const struct {
		long long secs;
		const char *one, *many;
	} units[] = {{365LL * 86400, "year", "years"}, {30LL * 86400, "month", "months"},
		     {7LL * 86400, "week", "weeks"},   {86400, "day", "days"},
		     {3600, "hour", "hours"},	       {60, "minute", "minutes"}};
	long long d = now - t, a = d < 0 ? -d : d;
	char b[64], *q = b + sizeof(b);
	const char *p = "just now", *e = p + 8;
	size_t len;

	if (n == 0)
		return 0;
	for (size_t i = 0; a >= 60 && i < sizeof(units) / sizeof(units[0]); i++) {
		long long k = a / units[i].secs;
		const char *w;
		size_t wl;

		if (k < 1)
			continue;
		w = k == 1 ? units[i].one : units[i].many;
		wl = strlen(w);
		/* "in K UNIT" or "K UNIT ago", written from the end of b */
		e = q;
		if (d >= 0) {
			q -= 4;
			memcpy(q, " ago", 4);
		}
		q -= wl;
		memcpy(q, w, wl);
		*--q = ' ';
		q = decimal_ll(k, q);
		if (d < 0) {
			q -= 3;
			memcpy(q, "in ", 3);
		}
		p = q;
		break;
	}
	/* as snprintf: what fits, always ended */
	len = (size_t)(e - p) < n - 1 ? (size_t)(e - p) : n - 1;
	memcpy(out, p, len);
	out[len] = '\0';
	return len;
}

void page_local(long long t, int off, char iso[26], char text[32])
{
	long long l = t + off;
	int y, mo, d, a = off < 0 ? -off : off;
	char sign = off < 0 ? '-' : '+', b[96];

	iso[0] = text[0] = '\0';
	if (t <= 0 || l <= 0 || l > 253402300799LL || a >= 24 * 3600)
		return;
	civil_from_days(l / 86400, &y, &mo, &d);
	if (y < 1000)
		return;
	snprintf(b, sizeof(b), "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", y, mo, d,
		 (int)(l % 86400 / 3600), (int)(l % 3600 / 60), (int)(l % 60), sign, a / 3600,
		 a % 3600 / 60);
	if (strlen(b) != 25)
		return;
	memcpy(iso, b, 26);
	snprintf(text, 32, "%.10s %.5s (UTC%.6s)", iso, iso + 11, iso + 19);
}

void page_when(cJSON *o, const char *key, const char *iso, long long now)
{
	int y, mo, d, h, mi, s, oh, om;
	long long t;
	char text[40], ago[32];
	cJSON *w;

	/* YYYY-MM-DDTHH:MM:SS+hh:mm, exactly as local_iso() writes it */
	if (iso == NULL || strlen(iso) != 25 || iso[4] != '-' || iso[7] != '-' ||
	    iso[10] != 'T' || iso[13] != ':' || iso[16] != ':' ||
	    (iso[19] != '+' && iso[19] != '-') || iso[22] != ':')
		return;
	y = digits2(iso) * 100 + digits2(iso + 2);
	mo = digits2(iso + 5);
	d = digits2(iso + 8);
	h = digits2(iso + 11);
	mi = digits2(iso + 14);
	s = digits2(iso + 17);
	oh = digits2(iso + 20);
	om = digits2(iso + 23);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 ||
	    mi > 59 || s < 0 || s > 60 || oh < 0 || oh > 15 || om < 0 || om > 59)
		return;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
	t -= (iso[19] == '-' ? -1 : 1) * (oh * 3600LL + om * 60);
	snprintf(text, sizeof(text), "%.10s %.5s (UTC%.6s)", iso, iso + 11, iso + 19);
	page_ago(t, now, ago, sizeof(ago));
	w = cJSON_AddObjectToObject(o, key);
	if (w == NULL)
		return;
	cJSON_AddStringToObject(w, "iso", iso);
	cJSON_AddStringToObject(w, "text", text);
	cJSON_AddStringToObject(w, "ago", ago);
}
