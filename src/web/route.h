/*
 * route: the page table and the one gate in front of every handler.
 * route_handle() parses the request, finds the page (404), checks the
 * method (405), validates every field the page declares (400), loads the
 * session (303 to /login without one), checks the CSRF token of a POST
 * (403) and the manage_portals permission (403), then calls the handler
 * and sends its answer with http_send().  The read API's routes (auth
 * AUTH_TOKEN) pass another gate: GET only (405), an organisation API token
 * as Bearer (401, never a cookie), its rate limit (429), the fields (400);
 * every answer JSON with a stable error code.
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
	PAGE_ORG_TZ,
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
	/* the organisation's activity log (issue 17 item 1) */
	PAGE_ACTIVITY,
	PAGE_ACTIVITY_CSV,
	/* the read API and its tokens (issue 17 item 2) */
	PAGE_API_TOKENS,
	PAGE_API_TOKEN_REVOKE,
	PAGE_API_PORTALS,
	PAGE_API_PORTAL,
	PAGE_API_EVENTS,
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
/*
 * Before a page thread serves n quick requests (route_quick) it took at
 * once (src/web/server.c): read the session rows of those with a valid
 * session token in one round trip (db_session_prefetch), for
 * route_handle() to take in turn.  The caller drops what is left
 * (db_session_prefetch_drop) when the n are served.
 */
void route_prefetch(const struct app *app, struct db *db, struct io *const *ios, int n);
/* 1 when a request of this method to this path (DOCUMENT_URI, else
 * REQUEST_URI; either may be NULL) is a GET or HEAD of a page that answers
 * from the database alone, the hot pages that declare a prefetch (Client
 * Accounts): a thread serves several of those together (server.c). */
int route_quick(const char *method, const char *document_uri, const char *request_uri);
/* The page at path (exact patterns before those with "{id}", which sets
 * *id), or -1. */
int route_find(const char *path, long long *id);
/* The metrics name of a page ("portals"), or "unknown" for PAGE__MAX. */
const char *route_name(int page);

#endif
