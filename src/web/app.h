/*
 * app: what a request handler is given.  struct app is read-only after
 * start-up and shared by every thread; struct ctx lives for one request.
 */
#ifndef JS_APP_H
#define JS_APP_H

#include <cJSON.h>

#include "conf.h"
#include "db.h"
#include "db_portal.h"
#include "http.h"
#include "req.h"

struct tmpl_set;
struct httpc;

struct app {
	struct conf conf;
	struct tmpl_set *tmpl;
};

/* The signed-in user, loaded by the gate from the session cookie. */
struct session {
	long long user_id;
	long long org_id;
	char role[16];
	char email[256];
	char org_name[256];
	char sid_hash[65];
	char csrf[44];
	char flash[512];
	int can_manage; /* role owner or admin: manage_portals */
	/* the organisation's portals by status, read with the session (one
	 * round trip for the page header) */
	long n_connected, n_needs, n_disconnected;
	/* the user's IANA time zone, else the organisation's: a parameter
	 * of statements that show times (local_iso(), sql/0018) */
	char tz[65];
	long n_orgs; /* team: organisations the user belongs to (> 1: the switch) */
};

/* Query and form values the gate checked and parsed for the handler
 * (route.c's field table); what a route does not declare stays unset. */
struct page_args {
	long long after;    /* ?after=: a portal id; 0 none */
	long long before;   /* ?before=: an activity id; 0 none */
	int sort;	    /* ?sort=: an index of valid_sort_keys; -1 none */
	const char *status; /* ?status=: a status key; NULL none */
	int conn_type;	    /* connection_type: an enum conn_type; -1 none */
	const char *object_type; /* ?object_type=: contacts... ; NULL or "" all */
	long long source;	 /* ?source=: a source Hub ID; 0 all */
	const char *result;	 /* ?result=: a deployment item's result; NULL all */
	long long portal;	 /* ?portal=: a portal id; 0 all */
	long long user;		 /* ?user=: a user id; 0 all (the activity log) */
};

/* The read API's caller (issue 17 item 2): the organisation API token the
 * gate checked (route auth AUTH_TOKEN), never a session. */
struct api_principal {
	long long token_id;
	long long org_id;
	char prefix[16]; /* "jsk_AbCd": what logs may name */
	char tz[65];	 /* the organisation's time zone: the API's times */
};

struct ctx {
	const struct app *app;
	struct db *db;
	struct httpc *http;
	struct req *req;
	struct resp *resp;
	struct session *sess; /* NULL on public pages */
	int route;	      /* enum page */
	struct page_args args; /* checked and parsed by the gate */
	int auth_tried;	      /* the gate has read the session (whatever came of it) */
	/* the page's main query, read by the gate in the same round trip as
	 * the session (route prefetch); NULL, or a page the gate frees after
	 * the handler (not db_portal_page_held(): nothing read, the page reads
	 * its own; or served from the page cache, rows filled when asked) */
	struct portal_page *prefetched;
	/* API routes: the token's organisation (NULL on every other route) */
	const struct api_principal *api;
};

#endif
