/*
 * page: rendering helpers shared by the page handlers: the layout fields,
 * error pages, flash messages, time and status formatting.
 */
#include "log.h"
#include "civil.h"
#include "pages.h"
#include "route.h"
#include "tmpl.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

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
		if (c->sess->flash[0])
			cJSON_AddStringToObject(view, "flash", c->sess->flash);
	}
	cJSON_AddBoolToObject(view, "nav_portals",
			      c->route == PAGE_PORTALS || c->route == PAGE_PORTAL ||
				  c->route == PAGE_PORTAL_NEW);
	cJSON_AddBoolToObject(view, "nav_help",
			      c->route == PAGE_HELP || c->route == PAGE_HELP_FLOW ||
				  c->route == PAGE_HELP_TROUBLE);
	buf_reset(&c->resp->body);
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
	cJSON_AddNumberToObject(v, "status", status);
	return page_render(c, status, "error", title, v);
}

void page_flash(struct ctx *c, const char *message)
{
	if (c->sess == NULL)
		return;
	const char *p[] = {c->sess->sid_hash, message};
	db_cmd(c->db, ST_SESSION_FLASH_SET, 2, p);
}

void page_time(long long t, char *out, size_t n)
{
	struct {
		int tm_year, tm_mon, tm_mday, tm_hour, tm_min;
	} tm;
	char b[24];
	int y, mo, d;

	if (n == 0)
		return;
	out[0] = '\0';
	if (t <= 0 || t > 253402300799LL /* 9999-12-31 */ || n < sizeof("2026-11-28 15:04 UTC"))
		return;
	civil_from_days(t / 86400, &y, &mo, &d);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = (int)(t % 86400 / 3600);
	tm.tm_min = (int)(t % 3600 / 60);
	/* by hand: strftime costs more than the rest of a table row */
	y = tm.tm_year + 1900;
	if (y < 1000 || y > 9999)
		return;
	b[0] = (char)('0' + y / 1000);
	b[1] = (char)('0' + y / 100 % 10);
	b[2] = (char)('0' + y / 10 % 10);
	b[3] = (char)('0' + y % 10);
	b[4] = '-';
	b[5] = (char)('0' + (tm.tm_mon + 1) / 10);
	b[6] = (char)('0' + (tm.tm_mon + 1) % 10);
	b[7] = '-';
	b[8] = (char)('0' + tm.tm_mday / 10);
	b[9] = (char)('0' + tm.tm_mday % 10);
	b[10] = ' ';
	b[11] = (char)('0' + tm.tm_hour / 10);
	b[12] = (char)('0' + tm.tm_hour % 10);
	b[13] = ':';
	b[14] = (char)('0' + tm.tm_min / 10);
	b[15] = (char)('0' + tm.tm_min % 10);
	memcpy(b + 16, " UTC", 5);
	memcpy(out, b, 21);
}

void page_status_fields(cJSON *o, const char *status)
{
	const char *label = "Disconnected", *cls = "red";

	if (strcmp(status, "connected") == 0) {
		label = "Connected";
		cls = "green";
	} else if (strcmp(status, "needs_reconnection") == 0) {
		label = "Needs Reconnection";
		cls = "yellow";
	}
	cJSON_AddItemToObjectCS(o, "status_label", cJSON_CreateStringReference(label));
	cJSON_AddItemToObjectCS(o, "status_class", cJSON_CreateStringReference(cls));
	cJSON_AddItemToObjectCS(o, "is_connected",
				cJSON_CreateBool(strcmp(status, "connected") == 0));
	cJSON_AddItemToObjectCS(o, "can_reconnect",
				cJSON_CreateBool(strcmp(status, "connected") != 0));
}
