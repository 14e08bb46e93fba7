/*
 * page_notify: telling people -- each member's notification settings
 * (/settings/notifications: the digest or nothing, their time zone, the
 * last delivery problem) and the organisation's Needs attention list
 * (/attention: portals that are not Connected, oldest problem first).
 */
#include "db_activity.h"
#include "db_mail.h"
#include "db_portal.h"
#include "pages.h"
#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int page_notify_get(struct ctx *c)
{
	struct notify_row n;
	cJSON *v;
	int rc = db_notify_get(c->db, c->sess->org_id, c->sess->user_id, &n);

	if (rc < 0)
		return -1;
	if (rc == 0)
		return page_error(c, 404, "Not found", "Your membership could not be read.");
	v = cJSON_CreateObject();
	if (v == NULL)
		return -1;
	cJSON_AddBoolToObject(v, "digest", strcmp(n.notify, "digest") == 0);
	cJSON_AddBoolToObject(v, "off", strcmp(n.notify, "off") == 0);
	cJSON_AddBoolToObject(v, "by_role", n.by_role);
	cJSON_AddStringToObject(v, "user_tz", n.user_tz);
	cJSON_AddStringToObject(v, "org_tz", n.org_tz);
	cJSON_AddBoolToObject(v, "mail_on", c->app->conf.smtp_url[0] != '\0');
	cJSON_AddBoolToObject(v, "can_manage", c->sess->can_manage);
	if (n.problem[0]) {
		cJSON_AddStringToObject(v, "problem", n.problem);
		page_when(v, "problem_when", n.problem_at, (long long)time(NULL));
	}
	if (n.queued > 0)
		cJSON_AddNumberToObject(v, "queued", (double)n.queued);
	return page_render(c, 200, "notifications", "Notification settings", v);
}

int page_notify_post(struct ctx *c)
{
	const char *notify = req_form(c->req, "notify");   /* valid_notify */
	const char *tz = req_form(c->req, "time_zone");	   /* valid_time_zone */
	int rc;

	if (db_begin(c->db) < 0)
		return -1;
	rc = db_user_set_tz(c->db, c->sess->user_id, tz ? tz : "");
	if (rc == 0) {
		db_rollback(c->db);
		return page_error(c, 400, "Unknown time zone",
				  "Use a time zone name such as Europe/Paris or America/New_York, "
				  "or leave the field empty for your organisation's. Nothing was "
				  "changed.");
	}
	if (rc < 0 || db_notify_set(c->db, c->sess->org_id, c->sess->user_id, notify) < 0 ||
	    db_commit(c->db) < 0) {
		db_rollback(c->db);
		return -1;
	}
	page_flash(c, strcmp(notify, "digest") == 0
			  ? "Saved: you get a digest when portals change status."
			  : "Saved: you get no mail about portal status changes.");
	return http_redirect(c->resp, 303, "/settings/notifications");
}

int page_org_tz_post(struct ctx *c)
{
	const char *tz = req_form(c->req, "time_zone"); /* valid_time_zone, required */
	char msg[160];
	int rc;

	if (db_begin(c->db) < 0)
		return -1;
	rc = db_org_set_tz(c->db, c->sess->org_id, tz);
	if (rc == 0) {
		db_rollback(c->db);
		return page_error(c, 400, "Unknown time zone",
				  "Use a time zone name such as Europe/Paris or America/New_York. "
				  "Nothing was changed.");
	}
	snprintf(msg, sizeof(msg), "The organisation's time zone is now %s.", tz);
	if (rc < 0 ||
	    db_activity_add(c->db, c->sess->org_id, 0, c->sess->user_id, "org_time_zone_changed",
			    msg, NULL) < 0 ||
	    db_commit(c->db) < 0) {
		db_rollback(c->db);
		return -1;
	}
	page_flash(c, msg);
	return http_redirect(c->resp, 303, "/settings/notifications");
}

int page_attention_get(struct ctx *c)
{
	struct attention_row *rows = NULL;
	cJSON *v = NULL, *list;
	int n = 0, out = -1;

	if (db_portal_attention(c->db, c->sess->org_id, c->sess->tz, &rows, &n) < 0)
		return -1;
	v = cJSON_CreateObject();
	if (v == NULL)
		goto done;
	list = cJSON_AddArrayToObject(v, "portals");
	for (int i = 0; i < n && i < ATTENTION_MAX; i++) {
		struct attention_row *r = &rows[i];
		cJSON *o = cJSON_CreateObject();
		char b[64];
		int rc = status_reason_parse(r->reason_code);

		snprintf(b, sizeof(b), "%lld", r->id);
		cJSON_AddStringToObject(o, "id", b);
		snprintf(b, sizeof(b), "%lld", r->hub_id);
		cJSON_AddStringToObject(o, "hub_id", b);
		cJSON_AddStringToObject(o, "name", r->name);
		page_status_fields(o, r->status);
		cJSON_AddStringToObject(o, "short",
					rc > 0 ? status_reason_info((enum status_reason)rc)->short_text
					       : "");
		cJSON_AddStringToObject(o, "reason", r->reason);
		page_when(o, "since_when", r->since, r->now);
		cJSON_AddNumberToObject(o, "blocked", (double)r->blocked);
		cJSON_AddItemToArray(list, o);
	}
	cJSON_AddBoolToObject(v, "has_portals", n > 0);
	cJSON_AddBoolToObject(v, "more", n > ATTENTION_MAX);
	cJSON_AddBoolToObject(v, "can_manage", c->sess->can_manage);
	out = page_render(c, 200, "attention", "Needs attention", v);
	v = NULL;
done:
	cJSON_Delete(v);
	free(rows);
	return out;
}
