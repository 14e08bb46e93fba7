/*
 * route: the page table and the one gate in front of every handler.
 * route_handle() parses the request, finds the page (404), checks the
 * method (405), validates every field the page declares (400), loads the
 * session (303 to /login without one), checks the CSRF token of a POST
 * (403) and the manage_portals permission (403), then calls the handler
 * and sends its answer with http_send().
 */
#ifndef JS_ROUTE_H
#define JS_ROUTE_H

#include "app.h"

enum page {
	PAGE_HOME,
	PAGE_LOGIN,
	PAGE_LOGOUT,
	PAGE_PORTALS,
	PAGE_PORTAL_NEW,
	PAGE_PORTAL,
	PAGE_PORTAL_RECONNECT,
	PAGE_PORTAL_DISCONNECT,
	PAGE_PORTAL_REMOVE,
	PAGE_OAUTH_CALLBACK,
	PAGE_PORTAL_IMPORT,
	PAGE_RUN,
	PAGE_DEPLOY,
	PAGE_DEPLOYMENTS,
	PAGE_PORTAL_AUDIT,
	PAGE_AUDIT,
	PAGE_AUDIT_CSV,
	PAGE_AUDITS,
	PAGE_AUDIT_LIMIT,
	PAGE_NOTIFY,
	PAGE_ATTENTION,
	PAGE_INTEGRATIONS,
	PAGE_INTEGRATION,
	PAGE_INTEGRATION_ACTION,
	PAGE_INTEGRATION_RESEND,
	PAGE_LINK_CREATE,
	PAGE_LINK_REVOKE,
	PAGE_LINK,
	PAGE_PORTAL_RENAME,
	PAGE_PORTAL_LABELS,
	PAGE_ASSETS,
	PAGE_ASSET,
	PAGE_HELP,
	PAGE_HELP_FLOW,
	PAGE_HELP_TROUBLE,
	PAGE_HEALTHZ,
	PAGE_METRICS,
	/* --- team (issue 17) --- */
	PAGE_TEAM,
	PAGE_TEAM_INVITE,
	PAGE_TEAM_INVITE_REVOKE,
	PAGE_TEAM_ROLE,
	PAGE_TEAM_REMOVE,
	PAGE_INVITE,
	PAGE_FORGOT,
	PAGE_RESET,
	PAGE_ORGS,
	PAGE_ORG_SWITCH,
	/* --- end team --- */
	PAGE__MAX
};

/* Serve one request from io.  Never fails: errors become error pages. */
void route_handle(const struct app *app, struct db *db, struct httpc *http, struct io *io);
/* The page at path (exact patterns before those with "{id}", which sets
 * *id), or -1. */
int route_find(const char *path, long long *id);
/* The metrics name of a page ("portals"), or "unknown" for PAGE__MAX. */
const char *route_name(int page);

#endif
