/*
 * pages: the page handlers (page_*.c) and the rendering helpers they share
 * (page.c).  A handler gets a validated request and a loaded session in
 * ctx, builds a cJSON view model and renders a template into ctx->resp, or
 * sets a redirect.  Handlers return 0, or -1 for an internal error (the
 * gate answers 500).
 */
#ifndef JS_PAGES_H
#define JS_PAGES_H

#include "app.h"

/* page.c */
/* Render template name with view (consumed: cJSON_Delete'd here) inside
 * the layout: adds title, user, organisation, CSRF token, flash. */
int page_render(struct ctx *c, int status, const char *tmpl, const char *title, cJSON *view);
/* An error page with a title and message, and whether to link help. */
int page_error(struct ctx *c, int status, const char *title, const char *message);
/* Set a flash message for the next page (stored on the session). */
void page_flash(struct ctx *c, const char *message);
/*
 * A time for people (DESIGN §11): iso is what PostgreSQL's local_iso(ts,
 * tz) made of it in the user's zone (struct session's tz), e.g.
 * "2026-12-06T13:55:00+01:00".  Adds to o an object key with "iso" (for
 * <time datetime>), "text" ("2026-12-06 13:55 (UTC+01:00)") and "ago"
 * ("3 minutes ago", "in 2 hours", "just now") measured from now (Unix
 * seconds).  Adds nothing for NULL, "" or anything not in that shape.  In a
 * template: {{#key}}{{> when}}{{/key}} (templates/when.html: the words in a
 * <time> with the absolute time in its title and beside it).
 */
void page_when(cJSON *o, const char *key, const char *iso, long long now);
/* Unix time t in a zone whose offset at t is off seconds east (what
 * PostgreSQL's tz_offset() said): iso as local_iso() writes it and text as
 * page_when()'s; both "" for 0. */
void page_local(long long t, int off, char iso[26], char text[32]);
/* The same relative words for t seconds since the epoch, into out; their
 * length.  Only [a-z0-9 ] ("3 hours ago", "in 1 week", "just now"): HTML
 * as they are. */
size_t page_ago(long long t, long long now, char *out, size_t n);
/* v in decimal into out (as "%lld" would, without printf); "" when out is
 * smaller than 21 bytes. */
void page_int(long long v, char *out, size_t n);
/* A portal status's label and indicator colour class; returns 1 for
 * Connected. */
int page_status_text(const char *status, const char **label, const char **cls);
/* Add the portal status fields (status_label, status_class, is_*) to o. */
void page_status_fields(cJSON *o, const char *status);

/* page_auth.c */
int page_home(struct ctx *c);
int page_login_get(struct ctx *c);
int page_login_post(struct ctx *c);
int page_logout_post(struct ctx *c);
/* page_portals.c */
int page_portals_get(struct ctx *c);
/* The Client Accounts page's list statement, for the gate to read with the
 * session (route prefetch).  Returns 1. */
int page_portals_prefetch(struct ctx *c, struct portal_query *q);
int page_portal_get(struct ctx *c);
int page_portal_new_get(struct ctx *c);
int page_portal_new_post(struct ctx *c);
int page_portal_reconnect_post(struct ctx *c);
int page_portal_disconnect_get(struct ctx *c);
int page_portal_disconnect_post(struct ctx *c);
int page_portal_remove_get(struct ctx *c);
int page_portal_remove_post(struct ctx *c);
int page_portal_rename_post(struct ctx *c);
int page_portal_labels_post(struct ctx *c);
/* page_runs.c */
struct run_row;
/* A run as the templates show it (caller cJSON_Delete()s). */
cJSON *page_run_view(const struct run_row *r);
/* A run state's label ("Partly failed"); "" for "". */
const char *page_run_state_label(const char *state);
int page_import_post(struct ctx *c);
int page_run_get(struct ctx *c);
/* page_deploy.c */
int page_deploy_get(struct ctx *c);
int page_deploy_post(struct ctx *c);
int page_deployments_get(struct ctx *c);
/* The items of deployment run (its run page's part): adds them to view.
 * 0, or -1. */
int page_deploy_items_view(struct ctx *c, const struct run_row *run, cJSON *view);
/* page_audit.c */
/* 1 when a portal of this connection type may be audited. */
int page_audit_allowed(const char *conn_type);
int page_audit_post(struct ctx *c);
int page_audit_get(struct ctx *c);
int page_audit_csv(struct ctx *c);
int page_audits_get(struct ctx *c);
int page_audit_limit_post(struct ctx *c);
/* page_notify.c */
int page_notify_get(struct ctx *c);
int page_notify_post(struct ctx *c);
/* POST /settings/organisation: the organisation's time zone (owners, admins). */
int page_org_tz_post(struct ctx *c);
int page_attention_get(struct ctx *c);
/* page_integrations.c */
int page_integrations_get(struct ctx *c);
int page_integrations_post(struct ctx *c);
int page_integration_get(struct ctx *c);
int page_integration_action_post(struct ctx *c);
int page_integration_resend_post(struct ctx *c);
/* page_link.c */
struct link_row;
/* Why a reconnect link cannot be used, or NULL when it can. */
const char *page_link_void(const struct link_row *l);
int page_link_create_post(struct ctx *c);
int page_link_revoke_post(struct ctx *c);
int page_link_get(struct ctx *c);
int page_link_post(struct ctx *c);
/* page_assets.c */
int page_assets_get(struct ctx *c);
int page_asset_get(struct ctx *c);
/* page_oauth.c */
int page_oauth_callback(struct ctx *c);
/* page_help.c */
int page_help_get(struct ctx *c);
int page_help_flow_get(struct ctx *c);
int page_help_trouble_get(struct ctx *c);
/* page_activity.c: the organisation's activity log (issue 17 item 1) */
int page_activity_get(struct ctx *c);
int page_activity_csv(struct ctx *c);
/* page_ops.c */
int page_healthz_get(struct ctx *c);
int page_metrics_get(struct ctx *c);
/* page_api.c: the read API and its tokens (issue 17 item 2) */
int page_api_tokens_get(struct ctx *c);
int page_api_tokens_post(struct ctx *c);
int page_api_token_revoke_post(struct ctx *c);
int page_api_portals_get(struct ctx *c);
int page_api_portal_get(struct ctx *c);
int page_api_events_get(struct ctx *c);
/* --- team (issue 17) --- */
/* page_team.c: the team page, and choosing among several organisations */
int page_team_get(struct ctx *c);
int page_team_invite_post(struct ctx *c);
int page_team_invite_revoke_post(struct ctx *c);
int page_team_role_post(struct ctx *c);
int page_team_remove_get(struct ctx *c);
int page_team_remove_post(struct ctx *c);
int page_orgs_get(struct ctx *c);
int page_org_switch_post(struct ctx *c);
/* Sign user in to org (a new session, the membership's last sign-in) and
 * send them on: to the organisation chooser (/orgs) when they belong to
 * more than one, else to next (a checked local path) or /portals.  0 or
 * -1. */
int page_team_sign_in(struct ctx *c, long long user, long long org, long n_orgs,
		      const char *next);
/* Compose a one-part notice (digest_notice) to address to and, when queue
 * is 1, put it in org's outbox on behalf of user (whose settings page
 * shows a delivery problem); queue 0 does the same work and drops it (an
 * address without an account answers as fast as one with).  1 queued (or
 * composed), 0 mail is off or the address cannot be written in a header,
 * -1. */
int page_mail_notice(struct ctx *c, long long org, long long user, const char *to,
		     const char *subject, const char *text, int queue);
/* page_password.c: links that set a password, without a session */
int page_invite_get(struct ctx *c);
int page_invite_post(struct ctx *c);
int page_forgot_get(struct ctx *c);
int page_forgot_post(struct ctx *c);
int page_reset_get(struct ctx *c);
int page_reset_post(struct ctx *c);

#endif
