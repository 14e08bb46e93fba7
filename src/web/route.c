/*
 * route: the page table and the gate.  See route.h.
 */
#include "route.h"
#include "auth.h"
#include "db_session.h"
#include "decimal.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "pages.h"
#include "role.h"
#include "sess.h"
#include "valid.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum src { Q, F };

/* A field's value once checked, into the handler's typed arguments. */
static void arg_after(struct page_args *a, const char *v)
{
	a->after = strtoll(v, NULL, 10); /* valid_id */
}

static void arg_before(struct page_args *a, const char *v)
{
	a->before = strtoll(v, NULL, 10); /* valid_id */
}

static void arg_sort(struct page_args *a, const char *v)
{
	a->sort = valid_sort_index(v);
}

static void arg_status(struct page_args *a, const char *v)
{
	a->status = v;
}

static void arg_object_type(struct page_args *a, const char *v)
{
	a->object_type = v;
}

static void arg_source(struct page_args *a, const char *v)
{
	a->source = strtoll(v, NULL, 10); /* valid_id */
}

static void arg_result(struct page_args *a, const char *v)
{
	a->result = v;
}

static void arg_portal(struct page_args *a, const char *v)
{
	a->portal = strtoll(v, NULL, 10); /* valid_id */
}

/* ---- the activity log's filters (issue 17 item 1): "" is "all" ---- */
static void arg_portal_or_all(struct page_args *a, const char *v)
{
	a->portal = v[0] ? strtoll(v, NULL, 10) : 0; /* valid_id_or_empty */
}

static void arg_user(struct page_args *a, const char *v)
{
	a->user = v[0] ? strtoll(v, NULL, 10) : 0; /* valid_id_or_empty */
}

/* The activity log's filters, the same on the page and its CSV. */
/* clang-format off */
#define ACTIVITY_FILTERS                                                                           \
	{Q, "portal", valid_id_or_empty, 0, arg_portal_or_all},                                    \
	{Q, "user", valid_id_or_empty, 0, arg_user},                                               \
	{Q, "kind", valid_activity_kind, 0, NULL},                                                 \
	{Q, "from", valid_date_or_empty, 0, NULL},                                                 \
	{Q, "to", valid_date_or_empty, 0, NULL}
/* clang-format on */

static void arg_conn_type(struct page_args *a, const char *v)
{
	a->conn_type = conf_conn_parse(v);
}

struct field {
	enum src src;
	const char *name;
	int (*check)(const char *);
	int required;
	void (*arg)(struct page_args *, const char *); /* NULL: read with req_query/req_form */
	/* a list of ticked boxes ("asset[]", may repeat, each value checked;
	 * required: at least one); read with req_query_list/req_form_list */
	int list;
};

#define M_GET  1u
#define M_POST 2u

/* Who may call a route: anyone, a signed-in session (the pages), or an
 * organisation API token (the read API, issue 17 item 2). */
enum route_auth { AUTH_NONE, AUTH_SESSION, AUTH_TOKEN };

struct route {
	const char *name;    /* for metrics and logs */
	const char *pattern; /* "{id}" matches a positive integer */
	unsigned methods;
	int auth;   /* enum route_auth: 1 (AUTH_SESSION) needs a signed-in session */
	int manage; /* needs manage_portals (owner, admin) */
	int run;    /* runs imports, deployments, audits (member, admin, owner) */
	int team;   /* team: invites, changes roles, removes (owner, admin) */
	int (*get)(struct ctx *);
	int (*post)(struct ctx *);
	/* query and form fields, checked before the handler runs (400); the
	 * CSRF field of every POST is the gate's own check (403) */
	struct field fields[12];
	/* GET only: describe the page's main statement so that the gate reads
	 * it with the session in one round trip (1), or decline (0) */
	int (*prefetch)(struct ctx *, struct portal_query *);
};

static const struct route routes[PAGE__MAX] = {
    [PAGE_HOME] = {.name = "home", .pattern = "/", .methods = M_GET, .get = page_home},
    [PAGE_LOGIN] = {.name = "login",
		    .pattern = "/login",
		    .methods = M_GET | M_POST,
		    .get = page_login_get,
		    .post = page_login_post,
		    .fields = {{F, "email", valid_email, 1, NULL},
			       {F, "password", valid_password, 1, NULL},
			       {Q, "next", valid_local_path, 0, NULL},
			       {F, "next", valid_local_path, 0, NULL}}},
    [PAGE_LOGOUT] = {.name = "logout",
		     .pattern = "/logout",
		     .methods = M_POST,
		     .auth = 1,
		     .post = page_logout_post},
    [PAGE_PORTALS] = {.name = "portals",
		      .pattern = "/portals",
		      .methods = M_GET,
		      .auth = 1,
		      .get = page_portals_get,
		      .fields = {{Q, "sort", valid_sort, 0, arg_sort},
				 {Q, "status", valid_status, 0, arg_status},
				 {Q, "after", valid_id, 0, arg_after},
				 {Q, "before", valid_id, 0, arg_before},
				 {Q, "last", valid_one, 0, NULL},
				 {Q, "q", valid_search, 0, NULL},
				 {Q, "label", valid_label, 0, NULL}},
		      .prefetch = page_portals_prefetch},
    [PAGE_PORTAL_NEW] = {.name = "portal_new",
			 .pattern = "/portals/new",
			 .methods = M_GET | M_POST,
			 .auth = 1,
			 .manage = 1,
			 .get = page_portal_new_get,
			 .post = page_portal_new_post,
			 .fields = {{F, "connection_type", valid_conn_type, 1, arg_conn_type}}},
    [PAGE_PORTAL] = {.name = "portal",
		     .pattern = "/portals/{id}",
		     .methods = M_GET,
		     .auth = 1,
		     .get = page_portal_get,
		     .fields = {{Q, "before", valid_id, 0, arg_before}}},
    [PAGE_PORTAL_RECONNECT] = {.name = "portal_reconnect",
			       .pattern = "/portals/{id}/reconnect",
			       .methods = M_POST,
			       .auth = 1,
			       .manage = 1,
			       .post = page_portal_reconnect_post},
    [PAGE_PORTAL_DISCONNECT] = {.name = "portal_disconnect",
				.pattern = "/portals/{id}/disconnect",
				.methods = M_GET | M_POST,
				.auth = 1,
				.manage = 1,
				.get = page_portal_disconnect_get,
				.post = page_portal_disconnect_post,
				.fields = {{F, "confirm", valid_confirm, 1, NULL}}},
    [PAGE_PORTAL_REMOVE] = {.name = "portal_remove",
			    .pattern = "/portals/{id}/remove",
			    .methods = M_GET | M_POST,
			    .auth = 1,
			    .manage = 1,
			    .get = page_portal_remove_get,
			    .post = page_portal_remove_post,
			    .fields = {{F, "confirm", valid_confirm, 1, NULL}}},
    /* a flow a reconnect link started has no session: the handler asks for
     * one only when the state is not a link's */
    [PAGE_OAUTH_CALLBACK] = {.name = "oauth_callback",
			     .pattern = "/oauth/callback",
			     .methods = M_GET,
			     .get = page_oauth_callback,
			     .fields = {{Q, "state", sess_random_valid, 0, NULL},
					{Q, "code", valid_oauth_code, 0, NULL},
					{Q, "error", valid_oauth_error, 0, NULL},
					{Q, "error_description", valid_text, 0, NULL}}},
    [PAGE_PORTAL_IMPORT] = {.name = "portal_import",
			    .pattern = "/portals/{id}/imports",
			    .methods = M_POST,
			    .auth = 1,
			    .run = 1,
			    .post = page_import_post},
    [PAGE_RUN] = {.name = "run",
		  .pattern = "/runs/{id}",
		  .methods = M_GET,
		  .auth = 1,
		  .get = page_run_get,
		  .fields = {{Q, "result", valid_deploy_result, 0, arg_result},
			     {Q, "after", valid_id, 0, arg_after}}},
    /* choosing a deployment (the library's ticked assets or its filter,
     * and the targets) and queueing it */
    [PAGE_DEPLOY] = {.name = "deploy",
		     .pattern = "/deploy",
		     .methods = M_GET | M_POST,
		     .auth = 1,
		     .run = 1,
		     .get = page_deploy_get,
		     .post = page_deploy_post,
		     .fields = {{Q, "asset[]", valid_id, 0, NULL, 1},
				{Q, "all", valid_confirm, 0, NULL},
				{F, "all", valid_confirm, 0, NULL},
				{Q, "q", valid_search, 0, NULL},
				{Q, "object_type", valid_object_type, 0, arg_object_type},
				{Q, "source", valid_id, 0, arg_source},
				{F, "asset[]", valid_id, 0, NULL, 1},
				{F, "q", valid_search, 0, NULL},
				{F, "object_type", valid_object_type, 0, arg_object_type},
				{F, "source", valid_id, 0, arg_source},
				{F, "portal[]", valid_id, 0, NULL, 1}}},
    [PAGE_PORTAL_AUDIT] = {.name = "portal_audit",
			   .pattern = "/portals/{id}/audits",
			   .methods = M_POST,
			   .auth = 1,
			   .run = 1,
			   .post = page_audit_post},
    [PAGE_AUDIT] = {.name = "audit",
		    .pattern = "/audits/{id}",
		    .methods = M_GET,
		    .auth = 1,
		    .get = page_audit_get},
    [PAGE_AUDIT_CSV] = {.name = "audit_csv",
			.pattern = "/audits/{id}/findings.csv",
			.methods = M_GET,
			.auth = 1,
			.get = page_audit_csv},
    [PAGE_AUDITS] = {.name = "audits",
		     .pattern = "/audits",
		     .methods = M_GET,
		     .auth = 1,
		     .get = page_audits_get,
		     .fields = {{Q, "portal", valid_id, 0, arg_portal},
				{Q, "before", valid_id, 0, arg_before}}},
    [PAGE_AUDIT_LIMIT] = {.name = "audit_limit",
			  .pattern = "/audits/limit",
			  .methods = M_POST,
			  .auth = 1,
			  .manage = 1,
			  .post = page_audit_limit_post,
			  .fields = {{F, "super_admin_limit", valid_small_count, 1, NULL}}},
    [PAGE_ORG_TZ] = {.name = "org_time_zone",
		     .pattern = "/settings/organisation",
		     .methods = M_POST,
		     .auth = 1,
		     .manage = 1,
		     .post = page_org_tz_post,
		     .fields = {{F, "time_zone", valid_time_zone, 1, NULL}}},
    [PAGE_NOTIFY] = {.name = "notifications",
		     .pattern = "/settings/notifications",
		     .methods = M_GET | M_POST,
		     .auth = 1,
		     .get = page_notify_get,
		     .post = page_notify_post,
		     .fields = {{F, "notify", valid_notify, 1, NULL},
				{F, "time_zone", valid_time_zone, 0, NULL}}},
    [PAGE_ATTENTION] = {.name = "attention",
			.pattern = "/attention",
			.methods = M_GET,
			.auth = 1,
			.get = page_attention_get},
    /* webhooks: owners and admins */
    [PAGE_INTEGRATIONS] = {.name = "integrations",
			   .pattern = "/integrations",
			   .methods = M_GET | M_POST,
			   .auth = 1,
			   .manage = 1,
			   .get = page_integrations_get,
			   .post = page_integrations_post,
			   .fields = {{F, "url", valid_webhook_url, 1, NULL},
				      {F, "kinds[]", valid_webhook_type, 0, NULL, 1}}},
    [PAGE_INTEGRATION] = {.name = "integration",
			  .pattern = "/integrations/{id}",
			  .methods = M_GET,
			  .auth = 1,
			  .manage = 1,
			  .get = page_integration_get,
			  .fields = {{Q, "before", valid_id, 0, arg_before}}},
    [PAGE_INTEGRATION_ACTION] = {.name = "integration_action",
				 .pattern = "/integrations/{id}/action",
				 .methods = M_POST,
				 .auth = 1,
				 .manage = 1,
				 .post = page_integration_action_post,
				 .fields = {{F, "action", valid_webhook_action, 1, NULL}}},
    [PAGE_INTEGRATION_RESEND] = {.name = "integration_resend",
				 .pattern = "/integrations/{id}/resend",
				 .methods = M_POST,
				 .auth = 1,
				 .manage = 1,
				 .post = page_integration_resend_post,
				 .fields = {{F, "delivery", valid_id, 1, NULL}}},
    [PAGE_LINK_CREATE] = {.name = "link_create",
			  .pattern = "/portals/{id}/links",
			  .methods = M_POST,
			  .auth = 1,
			  .manage = 1,
			  .post = page_link_create_post,
			  .fields = {{F, "email", valid_email_or_empty, 0, NULL}}},
    [PAGE_LINK_REVOKE] = {.name = "link_revoke",
			  .pattern = "/links/{id}/revoke",
			  .methods = M_POST,
			  .auth = 1,
			  .manage = 1,
			  .post = page_link_revoke_post},
    /* the client's side: no JetStack account */
    [PAGE_LINK] = {.name = "link",
		   .pattern = "/reconnect",
		   .methods = M_GET | M_POST,
		   .get = page_link_get,
		   .post = page_link_post,
		   .fields = {{Q, "t", sess_random_valid, 0, NULL}, {F, "t", sess_random_valid, 1, NULL}}},
    [PAGE_PORTAL_RENAME] = {.name = "portal_rename",
			    .pattern = "/portals/{id}/name",
			    .methods = M_POST,
			    .auth = 1,
			    .manage = 1,
			    .post = page_portal_rename_post,
			    .fields = {{F, "name", valid_portal_name, 1, NULL}}},
    [PAGE_PORTAL_LABELS] = {.name = "portal_labels",
			    .pattern = "/portals/{id}/labels",
			    .methods = M_POST,
			    .auth = 1,
			    .manage = 1,
			    .post = page_portal_labels_post,
			    .fields = {{F, "label", valid_label, 1, NULL},
				       {F, "action", valid_label_action, 1, NULL}}},
    [PAGE_DEPLOYMENTS] = {.name = "deployments",
			  .pattern = "/deployments",
			  .methods = M_GET,
			  .auth = 1,
			  .get = page_deployments_get,
			  .fields = {{Q, "portal", valid_id, 0, arg_portal},
				     {Q, "before", valid_id, 0, arg_before}}},
    [PAGE_ASSETS] = {.name = "assets",
		     .pattern = "/assets",
		     .methods = M_GET,
		     .auth = 1,
		     .get = page_assets_get,
		     .fields = {{Q, "q", valid_search, 0, NULL},
				{Q, "object_type", valid_object_type, 0, arg_object_type},
				{Q, "source", valid_id, 0, arg_source},
				{Q, "after", valid_id, 0, arg_after}}},
    [PAGE_ASSET] = {.name = "asset",
		    .pattern = "/assets/{id}",
		    .methods = M_GET,
		    .auth = 1,
		    .get = page_asset_get},
    [PAGE_HELP] = {.name = "help", .pattern = "/help", .methods = M_GET, .get = page_help_get},
    [PAGE_HELP_FLOW] = {.name = "help_flow",
			.pattern = "/help/oauth-connection-flow",
			.methods = M_GET,
			.get = page_help_flow_get},
    [PAGE_HELP_TROUBLE] = {.name = "help_troubleshooting",
			   .pattern = "/help/connection-troubleshooting",
			   .methods = M_GET,
			   .get = page_help_trouble_get},
    [PAGE_HEALTHZ] = {.name = "healthz",
		      .pattern = "/healthz",
		      .methods = M_GET,
		      .get = page_healthz_get},
    [PAGE_METRICS] = {.name = "metrics",
		      .pattern = "/metrics",
		      .methods = M_GET,
		      .get = page_metrics_get},
    /* ---- the organisation's activity log (issue 17 item 1): every role;
     * the CSV takes the page's filters ---- */
    [PAGE_ACTIVITY] = {.name = "activity",
		       .pattern = "/activity",
		       .methods = M_GET,
		       .auth = 1,
		       .get = page_activity_get,
		       .fields = {ACTIVITY_FILTERS, {Q, "before", valid_id, 0, arg_before}}},
    [PAGE_ACTIVITY_CSV] = {.name = "activity_csv",
			   .pattern = "/activity.csv",
			   .methods = M_GET,
			   .auth = 1,
			   .get = page_activity_csv,
			   .fields = {ACTIVITY_FILTERS}},
    /* ---- end of the activity log ---- */
    /* ---- the read API and its tokens (issue 17 item 2) ---- */
    [PAGE_API_TOKENS] = {.name = "api_tokens",
			 .pattern = "/settings/api",
			 .methods = M_GET | M_POST,
			 .auth = AUTH_SESSION,
			 .manage = 1,
			 .get = page_api_tokens_get,
			 .post = page_api_tokens_post,
			 .fields = {{F, "name", valid_api_token_name, 1, NULL}}},
    [PAGE_API_TOKEN_REVOKE] = {.name = "api_token_revoke",
			       .pattern = "/settings/api/{id}/revoke",
			       .methods = M_POST,
			       .auth = AUTH_SESSION,
			       .manage = 1,
			       .post = page_api_token_revoke_post},
    [PAGE_API_PORTALS] = {.name = "api_portals",
			  .pattern = "/api/v1/portals",
			  .methods = M_GET,
			  .auth = AUTH_TOKEN,
			  .get = page_api_portals_get,
			  .fields = {{Q, "status", valid_status, 0, arg_status},
				     {Q, "q", valid_search, 0, NULL},
				     {Q, "label", valid_label, 0, NULL},
				     {Q, "sort", valid_api_sort, 0, NULL},
				     {Q, "limit", valid_api_limit, 0, NULL},
				     {Q, "cursor", valid_api_cursor, 0, NULL}}},
    [PAGE_API_PORTAL] = {.name = "api_portal",
			 .pattern = "/api/v1/portals/{id}",
			 .methods = M_GET,
			 .auth = AUTH_TOKEN,
			 .get = page_api_portal_get},
    [PAGE_API_EVENTS] = {.name = "api_events",
			 .pattern = "/api/v1/events",
			 .methods = M_GET,
			 .auth = AUTH_TOKEN,
			 .get = page_api_events_get,
			 .fields = {{Q, "after", valid_api_after, 0, NULL},
				    {Q, "limit", valid_api_limit, 0, NULL}}},
    /* ---- end of the read API ---- */
    /* --- team (issue 17): the team page (owners, admins), invitations,
     * forgotten passwords, and choosing among several organisations --- */
    [PAGE_TEAM] = {.name = "team",
		   .pattern = "/team",
		   .methods = M_GET,
		   .auth = 1,
		   .team = 1,
		   .get = page_team_get},
    [PAGE_TEAM_INVITE] = {.name = "team_invite",
			  .pattern = "/team/invitations",
			  .methods = M_POST,
			  .auth = 1,
			  .team = 1,
			  .post = page_team_invite_post,
			  .fields = {{F, "email", valid_email, 1, NULL},
				     {F, "role", valid_role, 1, NULL}}},
    [PAGE_TEAM_INVITE_REVOKE] = {.name = "team_invite_revoke",
				 .pattern = "/team/invitations/{id}/revoke",
				 .methods = M_POST,
				 .auth = 1,
				 .team = 1,
				 .post = page_team_invite_revoke_post},
    [PAGE_TEAM_ROLE] = {.name = "team_role",
			.pattern = "/team/members/{id}/role",
			.methods = M_POST,
			.auth = 1,
			.team = 1,
			.post = page_team_role_post,
			.fields = {{F, "role", valid_role, 1, NULL}}},
    [PAGE_TEAM_REMOVE] = {.name = "team_remove",
			  .pattern = "/team/members/{id}/remove",
			  .methods = M_GET | M_POST,
			  .auth = 1,
			  .team = 1,
			  .get = page_team_remove_get,
			  .post = page_team_remove_post,
			  .fields = {{F, "confirm", valid_confirm, 1, NULL}}},
    /* no session: the link's token is the credential (CSRF: the
     * pre-session cookie, as the sign-in form) */
    [PAGE_INVITE] = {.name = "invite",
		     .pattern = "/invite",
		     .methods = M_GET | M_POST,
		     .get = page_invite_get,
		     .post = page_invite_post,
		     .fields = {{Q, "t", sess_random_valid, 0, NULL},
				{F, "t", sess_random_valid, 1, NULL},
				{F, "password", valid_password, 1, NULL},
				{F, "password2", valid_password, 0, NULL}}},
    [PAGE_FORGOT] = {.name = "forgot",
		     .pattern = "/forgot",
		     .methods = M_GET | M_POST,
		     .get = page_forgot_get,
		     .post = page_forgot_post,
		     .fields = {{F, "email", valid_email, 1, NULL}}},
    [PAGE_RESET] = {.name = "reset",
		    .pattern = "/reset",
		    .methods = M_GET | M_POST,
		    .get = page_reset_get,
		    .post = page_reset_post,
		    .fields = {{Q, "t", sess_random_valid, 0, NULL},
			       {F, "t", sess_random_valid, 1, NULL},
			       {F, "password", valid_password, 1, NULL},
			       {F, "password2", valid_password, 1, NULL}}},
    [PAGE_ORGS] = {.name = "orgs",
		   .pattern = "/orgs",
		   .methods = M_GET,
		   .auth = 1,
		   .get = page_orgs_get,
		   .fields = {{Q, "next", valid_local_path, 0, NULL}}},
    [PAGE_ORG_SWITCH] = {.name = "org_switch",
			 .pattern = "/orgs/switch",
			 .methods = M_POST,
			 .auth = 1,
			 .post = page_org_switch_post,
			 .fields = {{F, "org", valid_id, 1, NULL},
				    {F, "next", valid_local_path, 0, NULL}}},
    /* --- end team --- */
};

_Static_assert(PAGE__MAX < METRICS_ROUTES_MAX, "metrics count every route");

const char *route_name(int page)
{
	return page >= 0 && page < PAGE__MAX ? routes[page].name : "unknown";
}

/* Match path against pattern; a "{id}" segment sets *id.  1 on match. */
static int match(const char *pattern, const char *path, long long *id)
{
	while (*pattern && *path) {
		if (strncmp(pattern, "{id}", 4) == 0) {
			size_t n = strcspn(path, "/");
			char num[20];

			if (n == 0 || n >= sizeof(num))
				return 0;
			memcpy(num, path, n);
			num[n] = '\0';
			if (!valid_id(num))
				return 0;
			*id = strtoll(num, NULL, 10);
			pattern += 4;
			path += n;
			continue;
		}
		if (*pattern != *path)
			return 0;
		pattern++;
		path++;
	}
	return *pattern == '\0' && *path == '\0';
}

int route_find(const char *path, long long *id)
{
	/* /portals/new must win over /portals/{id}: exact patterns first */
	for (int i = 0; i < PAGE__MAX; i++)
		if (strchr(routes[i].pattern, '{') == NULL && strcmp(routes[i].pattern, path) == 0)
			return i;
	for (int i = 0; i < PAGE__MAX; i++)
		if (strchr(routes[i].pattern, '{') != NULL && match(routes[i].pattern, path, id))
			return i;
	return -1;
}

/* Check every field the route declares (1), or name the first bad one
 * in *bad (0); checked values of typed fields go to *args. */
static int fields_ok(const struct route *rt, const struct req *r, const char **bad,
		     struct page_args *args)
{
	*args = (struct page_args){.sort = -1, .conn_type = -1};
	for (size_t i = 0; i < sizeof(rt->fields) / sizeof(rt->fields[0]); i++) {
		const struct field *f = &rt->fields[i];
		const char *v;

		if (f->name == NULL)
			break;
		if (f->src == F && r->method != METHOD_POST)
			continue;
		if (f->list) {
			const char *vals[REQ_MAX_FIELDS];
			size_t n = f->src == Q ? req_query_list(r, f->name, vals, REQ_MAX_FIELDS)
					       : req_form_list(r, f->name, vals, REQ_MAX_FIELDS);

			for (size_t k = 0; k < n; k++)
				if (!f->check(vals[k])) {
					*bad = f->name;
					return 0;
				}
			if (n == 0 && f->required) {
				*bad = f->name;
				return 0;
			}
			continue;
		}
		v = f->src == Q ? req_query(r, f->name) : req_form(r, f->name);
		if (v == NULL) {
			if (f->required) {
				*bad = f->name;
				return 0;
			}
			continue;
		}
		if (!f->check(v)) {
			*bad = f->name;
			return 0;
		}
		if (f->arg != NULL)
			f->arg(args, v);
	}
	return 1;
}

/* An error page from the gate; shown inside the signed-in layout when the
 * request carries a live session. */
static void plain_error(struct ctx *c, struct session *slot, int status, const char *title,
			const char *message)
{
	if (c->sess == NULL && !c->auth_tried && c->req->cookies.n > 0 &&
	    req_cookie(c->req, auth_session_cookie(&c->app->conf)) != NULL &&
	    auth_load(c, slot) == 1)
		c->sess = slot;
	buf_reset(&c->resp->body);
	if (page_error(c, status, title, message) < 0) {
		buf_reset(&c->resp->body);
		c->resp->status = status;
		c->resp->content_type = "text/plain; charset=utf-8";
		buf_puts(&c->resp->body, title);
		buf_puts(&c->resp->body, "\n");
	}
}

/* ---- the read API's gate (issue 17 item 2) ---- */

/* 1 when every query field of r is one the route declares (else *bad
 * names the first that is not): a misspelt filter is refused, never
 * ignored. */
static int fields_known(const struct route *rt, const struct req *r, const char **bad)
{
	for (size_t k = 0; k < r->query.n; k++) {
		int known = 0;

		for (size_t i = 0; i < sizeof(rt->fields) / sizeof(rt->fields[0]); i++) {
			if (rt->fields[i].name == NULL)
				break;
			if (rt->fields[i].src == Q && strcmp(rt->fields[i].name, r->query.v[k].name) == 0)
				known = 1;
		}
		if (!known) {
			*bad = r->query.v[k].name;
			return 0;
		}
	}
	return 1;
}

/*
 * The gate of an AUTH_TOKEN route, in this order: GET or HEAD (405), a
 * readable request (400/413), the Bearer token (401; a database failure
 * 503), its rate limit (429 with Retry-After), the query fields (400
 * invalid_parameter naming the field).  1: call the handler with c->api
 * set to *p; 0: answered.
 */
static int token_gate(struct ctx *c, const struct route *rt, enum req_err perr,
		      struct api_principal *p)
{
	struct resp *rs = c->resp;
	const char *bad = NULL;
	char msg[200], n[24];
	long count;
	int reset_in, rc;

	if (c->req->method != METHOD_GET && c->req->method != METHOD_HEAD) {
		http_add_header(rs, "Allow", "GET, HEAD");
		http_json_error(rs, 405, "method_not_allowed",
				"The API only reads: use GET. Nothing was changed.");
		return 0;
	}
	if (perr != REQ_OK) {
		http_json_error(rs, req_err_status(perr), "invalid_request", req_strerror(perr));
		return 0;
	}
	rc = auth_token(c, p, &count, &reset_in);
	if (rc < 0) {
		http_json_error(rs, 503, "unavailable",
				"The database is not answering. Please try again shortly.");
		return 0;
	}
	if (rc == 0) {
		http_add_header(rs, "WWW-Authenticate",
				req_env(c->req, "HTTP_AUTHORIZATION") != NULL
				    ? "Bearer realm=\"jetstack\", error=\"invalid_token\""
				    : "Bearer realm=\"jetstack\"");
		http_json_error(rs, 401, "unauthorized",
				"Send an organisation API token as \"Authorization: Bearer "
				"jsk_...\"; this one is missing, unknown or revoked.");
		return 0;
	}
	snprintf(n, sizeof(n), "%ld", c->app->conf.api_rate_limit);
	http_add_header(rs, "X-RateLimit-Limit", n);
	snprintf(n, sizeof(n), "%ld",
		 count < c->app->conf.api_rate_limit ? c->app->conf.api_rate_limit - count : 0);
	http_add_header(rs, "X-RateLimit-Remaining", n);
	if (count > c->app->conf.api_rate_limit) {
		snprintf(n, sizeof(n), "%d", reset_in);
		http_add_header(rs, "Retry-After", n);
		snprintf(msg, sizeof(msg),
			 "This token has made its %ld requests of the last %ld seconds. Try again "
			 "in %d seconds.",
			 c->app->conf.api_rate_limit, c->app->conf.api_rate_window, reset_in);
		http_json_error(rs, 429, "rate_limited", msg);
		log_event(LOG_INFO, c->req->id, "api_rate_limited", "token", p->prefix, NULL);
		return 0;
	}
	if (!fields_known(rt, c->req, &bad) || !fields_ok(rt, c->req, &bad, &c->args)) {
		snprintf(msg, sizeof(msg), "The parameter \"%.60s\" is unknown or not valid.", bad);
		http_json_error(rs, 400, "invalid_parameter", msg);
		return 0;
	}
	c->api = p;
	return 1;
}
/* ---- end of the read API's gate ---- */

int route_quick(const char *method, const char *document_uri, const char *request_uri)
{
	char path[sizeof(((struct req *)0)->path)];
	long long id;
	int page;

	if (method == NULL || (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0))
		return 0;
	req_path_of(document_uri, request_uri, NULL, path, sizeof(path));
	page = path[0] ? route_find(path, &id) : -1;
	return page >= 0 && routes[page].prefetch != NULL && routes[page].auth == AUTH_SESSION;
}

void route_prefetch(const struct app *app, struct db *db, struct io *const *ios, int n)
{
	char sids[DB_PREFETCH_MAX][65];
	const char *sp[DB_PREFETCH_MAX];
	int k = 0;

	for (int i = 0; i < n && k < DB_PREFETCH_MAX; i++) {
		struct req r;

		if (req_peek(&r, ios[i]) == REQ_OK && auth_sid_hash(&app->conf, &r, sids[k])) {
			sp[k] = sids[k];
			k++;
		}
		req_free(&r);
	}
	/* one request alone gains nothing (and would read a page it does
	 * not hold in a round trip of its own) */
	if (k >= 2)
		metrics_reads_ahead(db_session_prefetch(db, k, sp, app->conf.session_idle));
}

void route_handle(const struct app *app, struct db *db, struct httpc *http, struct io *io)
{
	struct req req;
	struct resp resp;
	struct session sess;
	struct api_principal api;
	struct portal_page prefetched; /* emptied below, without writing its 16 KB */
	struct ctx c = {.app = app, .db = db, .http = http, .req = &req, .resp = &resp};
	const struct route *rt = NULL;
	enum req_err perr;
	const char *bad = NULL;
	char status[DECIMAL_LL_CHARS + 1], ms[DECIMAL_LL_CHARS + 4];
	struct timespec t0, t1;
	int page = PAGE__MAX, rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	db_portal_page_clear(&prefetched);
	http_resp_init(&resp);
	perr = req_parse(&req, io);
	db->req_id = req.id;
	db_fault_clear(db);
	page = req.path[0] ? route_find(req.path, &req.path_id) : -1;
	if (page < 0)
		page = PAGE__MAX;
	c.route = page;
	/* the read API: its own gate, JSON answers (issue 17 item 2) */
	if (page < PAGE__MAX && routes[page].auth == AUTH_TOKEN) {
		rt = &routes[page];
		if (!token_gate(&c, rt, perr, &api))
			goto send;
		goto call;
	}
	if (page == PAGE__MAX && perr == REQ_OK && strncmp(req.path, "/api/", 5) == 0) {
		http_json_error(&resp, 404, "not_found", "There is no API endpoint at this path.");
		goto send;
	}
	if (perr != REQ_OK) {
		plain_error(&c, &sess, req_err_status(perr), "Bad request", req_strerror(perr));
		goto send;
	}
	if (page == PAGE__MAX) {
		plain_error(&c, &sess, 404, "Page not found",
			    "There is no page at this address. Nothing was changed.");
		goto send;
	}
	rt = &routes[page];
	if ((req.method == METHOD_GET || req.method == METHOD_HEAD) ? !(rt->methods & M_GET)
	    : req.method == METHOD_POST				    ? !(rt->methods & M_POST)
								    : 1) {
		http_add_header(&resp, "Allow",
				rt->methods == (M_GET | M_POST) ? "GET, HEAD, POST"
				: rt->methods == M_POST		? "POST"
								: "GET, HEAD");
		plain_error(&c, &sess, 405, "Method not allowed",
			    "This page does not accept that kind of request. Nothing was changed.");
		goto send;
	}
	if (!fields_ok(rt, &req, &bad, &c.args)) {
		char msg[160];

		snprintf(msg, sizeof(msg),
			 "The field \"%s\" is missing or not valid. Nothing was changed.", bad);
		plain_error(&c, &sess, 400, "Bad request", msg);
		goto send;
	}
	if (rt->auth == AUTH_SESSION) {
		struct portal_query q;

		if (rt->prefetch != NULL && req.method != METHOD_POST && rt->prefetch(&c, &q)) {
			rc = auth_load_with(&c, &sess, &q, &prefetched);
			c.prefetched = &prefetched;
		} else
			rc = auth_load(&c, &sess);
		c.auth_tried = 1;
		if (rc < 0) {
			plain_error(&c, &sess, 503, "Service unavailable",
				    "The database is not answering. Please try again shortly.");
			goto send;
		}
		if (rc == 0) {
			char loc[600];

			if (req.method == METHOD_GET && page != PAGE_OAUTH_CALLBACK)
				snprintf(loc, sizeof(loc), "/login?next=%s", req.path);
			else
				snprintf(loc, sizeof(loc), "/login");
			http_redirect(&resp, 303, loc);
			goto send;
		}
		c.sess = &sess;
	}
	if (req.method == METHOD_POST && !auth_csrf_ok(&c)) {
		plain_error(&c, &sess, 403, "Form expired",
			    "This form's security token is missing or no longer valid. Reload the "
			    "page and try again. Nothing was changed.");
		goto send;
	}
	if (rt->run && !role_can_run(c.sess->role)) {
		plain_error(&c, &sess, 403, "Permission needed",
			    "Running imports, deployments and audits needs the Member, Admin or "
			    "Owner role in this organisation. Nothing was changed.");
		goto send;
	}
	if (rt->team && !role_can_team(c.sess->role)) {
		plain_error(&c, &sess, 403, "Permission needed",
			    "Managing the team needs the Owner or Admin role in this organisation. "
			    "Nothing was changed.");
		goto send;
	}
	if (rt->manage && !c.sess->can_manage) {
		plain_error(&c, &sess, 403, "Permission needed",
			    "Managing portals needs the Owner or Admin role in this organisation. "
			    "Nothing was changed.");
		goto send;
	}
call:
	errno = 0;
	rc = req.method == METHOD_POST ? rt->post(&c) : rt->get(&c);
	if (rc == 0 && resp.stream == HTTP_STREAM_STARTED)
		rc = -1; /* a streamed answer the handler did not end: broken */
	if (rc < 0) {
		char en[16];

		/* the cause, with the request id the page shows */
		snprintf(en, sizeof(en), "%d", errno);
		log_event(LOG_ERROR, req.id, "request_failed", "route", route_name(page),
			  "statement", db->fault.what[0] ? db->fault.what : NULL, "sqlstate",
			  db->fault.sqlstate[0] ? db->fault.sqlstate : NULL, "error",
			  db->fault.what[0] ? db->fault.message : "no database failure recorded",
			  "errno", errno ? en : NULL, "errno_text", errno ? strerror(errno) : NULL,
			  NULL);
		db_rollback(db);
		if (resp.stream != HTTP_STREAM_NONE) {
			/* a streamed answer already under way (the activity CSV):
			 * cut it short, so that it is not taken as whole */
			http_stream_abort(io, &resp);
			resp.status = 500; /* for the log line; http_send writes nothing more */
			goto send;
		}
		/* nothing the handler prepared goes out: no redirect, no cookie */
		buf_reset(&resp.headers);
		resp.location[0] = '\0';
		if (c.api != NULL) {
			char msg[120];

			snprintf(msg, sizeof(msg),
				 "The server could not complete this request (request id %s).",
				 req.id);
			http_json_error(&resp, 500, "internal_error", msg);
		} else
			plain_error(&c, &sess, 500, "Something went wrong",
				    "The server could not complete this request. Nothing was "
				    "changed.");
	}
send:
	/* counted and logged before the answer goes: with a kept connection
	 * the web server may pass the next request (or the client read the
	 * log) before this thread would have got past the write */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* the log line's numbers without printf (every request has them) */
	{
		long long cs = ((long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL +
				(t1.tv_nsec - t0.tv_nsec) + 5000) /
			       10000; /* hundredths of a millisecond, rounded */
		char *p = decimal_ll(cs / 100, ms + sizeof(ms) - 4);
		size_t n = (size_t)(ms + sizeof(ms) - 4 - p);

		memmove(ms, p, n);
		ms[n] = '.';
		ms[n + 1] = (char)('0' + cs % 100 / 10);
		ms[n + 2] = (char)('0' + cs % 10);
		ms[n + 3] = '\0';
		p = decimal_ll(resp.status, status + sizeof(status) - 1);
		memmove(status, p, (size_t)(status + sizeof(status) - 1 - p));
		status[status + sizeof(status) - 1 - p] = '\0';
	}
	metrics_request(page, resp.status);
	if ((rt != NULL && rt->auth == AUTH_TOKEN) || strncmp(req.path, "/api/", 5) == 0)
		metrics_api(resp.status);
	log_event(resp.status >= 500 ? LOG_ERROR : LOG_INFO, req.id, "request", "method",
		  req.method_name, "route", route_name(page), "status", status, "ms", ms, NULL);
	if (http_send(io, &resp, req.method == METHOD_HEAD) < 0)
		log_event(LOG_WARN, req.id, "send_failed", NULL);
	if (db_portal_page_held(&prefetched))
		db_portal_page_free(&prefetched);
	db->req_id = NULL;
	req_free(&req);
	http_resp_free(&resp);
}
