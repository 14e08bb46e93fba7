/*
 * status: a portal's connection status, the reasons a portal leaves
 * Connected (as codes), and the one decision that turns what HubSpot
 * showed into a status (README, "How a status is decided").
 *
 * Pure: no database, no network.  Every job that talks to HubSpot gathers
 * evidence into a struct status_evidence and asks status_decide(); the
 * answer never depends on which job got there first.
 *
 *   what HubSpot showed                                    status / reason
 *   ---------------------------------------------------------------------
 *   access token not yet expired, reported inactive or     Disconnected
 *   refused as invalid                                     revoked_at_hubspot
 *   refresh token refused or introspected inactive, while  Needs Reconnection
 *   the access token has expired or still works            refresh_rejected
 *   the same, right after a refresh with that token whose  Needs Reconnection
 *   answer was lost (and introspected inactive)            refresh_answer_lost
 *   authorizing user not a Super Admin nor admin-role      Needs Reconnection
 *   holder                                                 user_not_admin
 *   authorizing user not found on the portal               Needs Reconnection
 *                                                          user_not_found
 *   granted scopes no longer cover the connection type     Needs Reconnection
 *                                                          scopes_missing
 *   Disconnect / Remove here                               Disconnected
 *                                                          disconnected_here
 *   timeout, 5xx, 429, malformed answer                    unchanged
 */
#ifndef JS_STATUS_H
#define JS_STATUS_H

#include <stddef.h>

enum portal_status { STATUS_CONNECTED, STATUS_NEEDS_RECONNECTION, STATUS_DISCONNECTED, STATUS__MAX };

/* The stable key ("needs_reconnection"), the label ("Needs
 * Reconnection"), the indicator colour ("yellow") of a status. */
const char *status_key(enum portal_status s);
const char *status_label(enum portal_status s);
const char *status_colour(enum portal_status s);
/* The status of a key, or -1. */
int status_parse(const char *key);

enum status_reason {
	REASON_NONE,
	REASON_REFRESH_REJECTED,
	REASON_USER_NOT_ADMIN,
	REASON_USER_NOT_FOUND,
	REASON_SCOPES_MISSING,
	REASON_REVOKED_AT_HUBSPOT,
	REASON_DISCONNECTED_HERE,
	REASON_REMOVED,
	REASON_REFRESH_ANSWER_LOST,
	REASON__MAX
};

struct status_reason_info {
	const char *code;	  /* stored in portals.status_reason_code */
	enum portal_status status; /* the status this reason belongs to */
	const char *short_text;	  /* a row, a mail subject */
	/* what happened and what to do; "%s" where the detail goes (a user's
	 * email, missing scopes, who disconnected), at most one */
	const char *long_text;
	const char *hubspot_code; /* HubSpot's code when there is one, else "" */
};

/* The row of reason r (never NULL; REASON_NONE for out-of-range values). */
const struct status_reason_info *status_reason_info(enum status_reason r);
/* The reason of a code, or -1. */
int status_reason_parse(const char *code);

/*
 * The reason as stored and shown: its long text with detail in place of
 * "%s" (detail NULL or "" gives "?"), then HubSpot's code in brackets when
 * the reason has one.  Always NUL-terminated; cut to fit.
 */
void status_reason_text(enum status_reason r, const char *detail, char *out, size_t cap);
/* A stored reason (status_reason_text's) for people outside the product --
 * a mail -- without HubSpot's code in brackets.  Always NUL-terminated. */
void status_reason_plain(const char *reason_code, const char *stored, char *out, size_t cap);

/*
 * Why work (an "import", a "deployment") of a portal that is not Connected
 * fails at once, naming the status (by key) and the reason -- its short
 * text and HubSpot's code when the reason code is known, else the row's
 * reason text: "Authentication error: <portal> is <Status>, so JetStack AI
 * cannot call HubSpot for it: <reason>. Reconnect the portal, then <work>
 * again. Nothing was read from HubSpot."  Always NUL-terminated.
 */
void status_work_refusal(const char *portal_name, const char *status, const char *reason_code,
			 const char *reason, const char *work, char *out, size_t cap);
/*
 * Why work that writes (a "deploy") stops for a portal that is not
 * Connected, with the status and reason as above: "Authentication error:
 * <portal> is <Status>: <reason>. No change is sent to a portal that is not
 * Connected: reconnect it, then <work> again."  Always NUL-terminated.
 */
void status_write_refusal(const char *portal_name, const char *status, const char *reason_code,
			  const char *reason, const char *work, char *out, size_t cap);

/* What a job saw at HubSpot.  Zeroed: nothing seen. */
enum ev_token { EV_UNKNOWN, EV_ACCEPTED, EV_REFUSED };
enum ev_admin { EV_ADMIN_UNKNOWN, EV_ADMIN_YES, EV_ADMIN_NO, EV_ADMIN_NOT_FOUND };

struct status_evidence {
	enum ev_token refresh; /* the refresh answer or the refresh token's introspection */
	enum ev_token access;  /* the access token's introspection, or an API call with it */
	int access_expired;    /* the stored access token has reached its expiry */
	enum ev_admin admin;   /* the authorizing user, read with a working access token */
	int scopes_missing;    /* the granted scopes lack a required one */
	/* an earlier refresh with this refresh token never recorded its answer
	 * (the worker stopped mid-call): HubSpot may have answered it with a
	 * new refresh token that was lost */
	int answer_lost;
};

/* Seconds before its recorded expiry from which an access token counts as
 * expired: HubSpot's clock and ours may differ a little, and an expired
 * token introspects inactive exactly like a revoked one. */
#define STATUS_EXPIRY_SKEW 30

enum status_decision {
	DECIDE_CONNECTED,  /* nothing wrong was shown: the status stays */
	DECIDE_CHANGE,	   /* *reason (and its status) is where the portal goes */
	DECIDE_NEED_ACCESS /* the refresh token was refused while the access token is
			      unexpired and untested: look at it first */
};

/* The one decision.  Pure; *reason is REASON_NONE unless DECIDE_CHANGE. */
enum status_decision status_decide(const struct status_evidence *ev, enum status_reason *reason);

/* The evidence in words for the activity entry, e.g. "refresh token
 * refused; access token (unexpired) refused".  Always NUL-terminated. */
void status_evidence_text(const struct status_evidence *ev, char *out, size_t cap);

#endif
