/*
 * status: the status table, the reason table and the one decision.
 * See status.h.
 */
#include "status.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *key, *label, *colour;
} statuses[STATUS__MAX] = {
    [STATUS_CONNECTED] = {"connected", "Connected", "green"},
    [STATUS_NEEDS_RECONNECTION] = {"needs_reconnection", "Needs Reconnection", "yellow"},
    [STATUS_DISCONNECTED] = {"disconnected", "Disconnected", "red"},
};

static const struct status_reason_info reasons[REASON__MAX] = {
    [REASON_NONE] = {"", STATUS_CONNECTED, "", "", ""},
    [REASON_REFRESH_REJECTED] =
	{"refresh_rejected", STATUS_NEEDS_RECONNECTION,
	 "HubSpot no longer accepts this portal's sign-in",
	 "HubSpot no longer accepts this portal's sign-in: its refresh token expired or was "
	 "rotated, or the HubSpot user who authorized it was deactivated or had their "
	 "permissions changed. Reconnect to restore access.",
	 "BAD_REFRESH_TOKEN"},
    [REASON_USER_NOT_ADMIN] = {"user_not_admin", STATUS_NEEDS_RECONNECTION,
			       "The user who connected it lost admin rights in HubSpot",
			       "The HubSpot user who authorized this connection (%s) is no longer "
			       "a Super Admin or Admin on the portal. An Admin of the portal must "
			       "reconnect it.",
			       ""},
    [REASON_USER_NOT_FOUND] = {"user_not_found", STATUS_NEEDS_RECONNECTION,
			       "The user who connected it is no longer on the portal",
			       "The HubSpot user who authorized this connection (%s) is no longer "
			       "a user of the portal. An Admin of the portal must reconnect it.",
			       ""},
    [REASON_SCOPES_MISSING] = {"scopes_missing", STATUS_NEEDS_RECONNECTION,
			       "New permissions required",
			       "New permissions required: JetStack AI now needs HubSpot "
			       "permissions that this portal has not granted: %s. Reconnect to "
			       "grant them.",
			       ""},
    [REASON_REVOKED_AT_HUBSPOT] =
	{"revoked_at_hubspot", STATUS_DISCONNECTED, "HubSpot revoked access",
	 "HubSpot revoked JetStack AI's access: the app was removed in HubSpot (Settings > "
	 "Integrations > Connected Apps), or the HubSpot user who authorized it was "
	 "deactivated. Any Admin of the portal can reconnect it.",
	 ""},
    [REASON_DISCONNECTED_HERE] = {"disconnected_here", STATUS_DISCONNECTED,
				  "Disconnected in JetStack AI",
				  "Disconnected in JetStack AI by %s; access was revoked at "
				  "HubSpot. Reconnect to restore access.",
				  ""},
    [REASON_REMOVED] = {"removed", STATUS_DISCONNECTED, "Removed",
			"Removed by %s; access was revoked at HubSpot.", ""},
    /* issue 18 item 3: a refresh whose answer never arrived */
    [REASON_REFRESH_ANSWER_LOST] =
	{"refresh_answer_lost", STATUS_NEEDS_RECONNECTION,
	 "A lost refresh answer left no usable sign-in",
	 "A refresh's answer was lost (the worker stopped or the call timed out mid-call) and "
	 "HubSpot no longer accepts the stored refresh token: HubSpot most likely replaced it "
	 "in the answer that never arrived. Reconnect to restore access.",
	 "BAD_REFRESH_TOKEN"},
};

const char *status_key(enum portal_status s)
{
	return (unsigned)s < STATUS__MAX ? statuses[s].key : "";
}

const char *status_label(enum portal_status s)
{
	return (unsigned)s < STATUS__MAX ? statuses[s].label : "";
}

const char *status_colour(enum portal_status s)
{
	return (unsigned)s < STATUS__MAX ? statuses[s].colour : "";
}

int status_parse(const char *key)
{
	for (int i = 0; key != NULL && i < STATUS__MAX; i++)
		if (strcmp(key, statuses[i].key) == 0)
			return i;
	return -1;
}

const struct status_reason_info *status_reason_info(enum status_reason r)
{
	return &reasons[(unsigned)r < REASON__MAX ? r : REASON_NONE];
}

int status_reason_parse(const char *code)
{
	for (int i = 0; code != NULL && i < REASON__MAX; i++)
		if (strcmp(code, reasons[i].code) == 0)
			return i;
	return -1;
}

void status_reason_text(enum status_reason r, const char *detail, char *out, size_t cap)
{
	const struct status_reason_info *ri = status_reason_info(r);
	const char *hole = strstr(ri->long_text, "%s");
	int n;

	if (cap == 0)
		return;
	if (detail == NULL || detail[0] == '\0')
		detail = "?";
	if (hole != NULL)
		n = snprintf(out, cap, "%.*s%s%s", (int)(hole - ri->long_text), ri->long_text,
			     detail, hole + 2);
	else
		n = snprintf(out, cap, "%s", ri->long_text);
	if (n >= 0 && (size_t)n < cap && ri->hubspot_code[0])
		snprintf(out + n, cap - (size_t)n, " (HubSpot: %s)", ri->hubspot_code);
}

void status_reason_plain(const char *reason_code, const char *stored, char *out, size_t cap)
{
	int rc = status_reason_parse(reason_code ? reason_code : "");
	const struct status_reason_info *ri = rc > 0 ? status_reason_info((enum status_reason)rc) : NULL;
	char tail[80];
	size_t n, t;

	if (cap == 0)
		return;
	snprintf(out, cap, "%s", stored ? stored : "");
	if (ri == NULL || ri->hubspot_code[0] == '\0')
		return;
	snprintf(tail, sizeof(tail), " (HubSpot: %s)", ri->hubspot_code);
	n = strlen(out);
	t = strlen(tail);
	if (n >= t && strcmp(out + n - t, tail) == 0)
		out[n - t] = '\0';
}

enum status_decision status_decide(const struct status_evidence *ev, enum status_reason *reason)
{
	*reason = REASON_NONE;
	/* an unexpired access token refused: the whole grant is gone (an
	 * uninstall, or the deactivation of the user who authorized it; HubSpot
	 * shows both the same way, and a reconnect by any admin fixes either) */
	if (ev->access == EV_REFUSED && !ev->access_expired)
		*reason = REASON_REVOKED_AT_HUBSPOT;
	else if (ev->refresh == EV_REFUSED && ev->access == EV_UNKNOWN && !ev->access_expired)
		return DECIDE_NEED_ACCESS;
	else if (ev->refresh == EV_REFUSED && ev->answer_lost)
		*reason = REASON_REFRESH_ANSWER_LOST;
	else if (ev->refresh == EV_REFUSED)
		*reason = REASON_REFRESH_REJECTED;
	else if (ev->admin == EV_ADMIN_NO)
		*reason = REASON_USER_NOT_ADMIN;
	else if (ev->admin == EV_ADMIN_NOT_FOUND)
		*reason = REASON_USER_NOT_FOUND;
	else if (ev->scopes_missing)
		*reason = REASON_SCOPES_MISSING;
	return *reason == REASON_NONE ? DECIDE_CONNECTED : DECIDE_CHANGE;
}

static const char *token_word(enum ev_token t)
{
	return t == EV_ACCEPTED ? "accepted" : t == EV_REFUSED ? "refused" : "not checked";
}

void status_evidence_text(const struct status_evidence *ev, char *out, size_t cap)
{
	static const char *const admin[] = {
	    [EV_ADMIN_UNKNOWN] = "", [EV_ADMIN_YES] = "; authorizing user is an admin",
	    [EV_ADMIN_NO] = "; authorizing user is not an admin",
	    [EV_ADMIN_NOT_FOUND] = "; authorizing user not found on the portal"};

	if (cap == 0)
		return;
	snprintf(out, cap, "refresh token %s%s; access token (%s) %s%s%s", token_word(ev->refresh),
		 ev->answer_lost ? " (and introspected inactive) after a refresh with it whose "
				   "answer was lost"
				 : "",
		 ev->access_expired ? "expired" : "unexpired", token_word(ev->access),
		 (unsigned)ev->admin <= EV_ADMIN_NOT_FOUND ? admin[ev->admin] : "",
		 ev->scopes_missing ? "; required scopes missing" : "");
}

/* ": <short text> (HubSpot: CODE)." or ": <reason>" or "." */
static void work_why(const char *reason_code, const char *reason, char *why, size_t cap)
{
	int rc = status_reason_parse(reason_code);
	const struct status_reason_info *ri = rc > 0 ? status_reason_info((enum status_reason)rc) : NULL;

	if (ri != NULL)
		snprintf(why, cap, ": %s%s%s%s.", ri->short_text,
			 ri->hubspot_code[0] ? " (HubSpot: " : "", ri->hubspot_code,
			 ri->hubspot_code[0] ? ")" : "");
	else if (reason != NULL && reason[0])
		snprintf(why, cap, ": %s", reason);
	else
		snprintf(why, cap, ".");
}

void status_work_refusal(const char *portal_name, const char *status, const char *reason_code,
			 const char *reason, const char *work, char *out, size_t cap)
{
	int s = status_parse(status);
	char why[1100];

	if (cap == 0)
		return;
	work_why(reason_code, reason, why, sizeof(why));
	snprintf(out, cap,
		 "Authentication error: %s is %s, so JetStack AI cannot call HubSpot for it%s "
		 "Reconnect the portal, then %s again. Nothing was read from HubSpot.",
		 portal_name, s >= 0 ? status_label((enum portal_status)s) : status, why, work);
}

void status_write_refusal(const char *portal_name, const char *status, const char *reason_code,
			  const char *reason, const char *work, char *out, size_t cap)
{
	int s = status_parse(status);
	char why[1100];

	if (cap == 0)
		return;
	work_why(reason_code, reason, why, sizeof(why));
	snprintf(out, cap,
		 "Authentication error: %s is %s%s No change is sent to a portal that is not "
		 "Connected: reconnect it, then %s again.",
		 portal_name, s >= 0 ? status_label((enum portal_status)s) : status, why, work);
}
