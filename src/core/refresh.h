/*
 * refresh: keeping a portal's tokens fresh and its status true to
 * HubSpot's last real answer.  Used by the worker's refresh and health
 * jobs, and by any code that needs a usable access token.
 *
 * Tokens are written with a compare-and-swap on their version, so a
 * refresh that races a reconnect never overwrites the reconnect's tokens,
 * and an answer without refresh_token keeps the stored one.
 */
#ifndef JS_REFRESH_H
#define JS_REFRESH_H

#include "conf.h"
#include "db.h"
#include "hs.h"
#include "status.h"
#include "tok.h"

struct httpc;

enum refresh_result {
	REFRESH_OK,	    /* new tokens stored (and in *cur when asked) */
	REFRESH_SUPERSEDED, /* a reconnect or another refresh wrote first */
	REFRESH_REJECTED,   /* HubSpot refused the refresh token: Needs Reconnection */
	REFRESH_RETRY,	    /* transient (timeout, 5xx, 429) or unusable answer: retry later */
	REFRESH_ERROR,	    /* our side: database, decryption */
};

/* The outcome's name for counters and logs ("ok", "rejected"...). */
const char *refresh_result_name(enum refresh_result r);

/*
 * Refresh portal's tokens (cur: the stored tokens, as loaded with
 * tok_get).  On REFRESH_OK cur is replaced by the new tokens.  The intent
 * is recorded first (db_tokens_intent_begin): an attempt whose answer is
 * lost (the worker killed mid-call, a timeout) is known to the next one.
 * When HubSpot refuses the refresh token, the refusal is settled as in
 * refresh_refused(): REFRESH_REJECTED when the portal left Connected (once,
 * with the reason and the evidence in its activity), REFRESH_SUPERSEDED
 * when it had already moved or its tokens changed meanwhile.  A refusal
 * right after an attempt that never recorded its answer introspects the
 * refresh token first: still active, or that attempt possibly still out,
 * is REFRESH_RETRY (the portal stays Connected); inactive moves the portal
 * with the reason refresh_answer_lost.  err receives HubSpot's answer.
 */
enum refresh_result refresh_portal(struct db *db, struct httpc *http, const struct conf *conf,
				   long long portal, struct tokens *cur, struct hs_error *err);

/*
 * HubSpot refused portal's refresh token (its refresh answer, or an
 * introspection said inactive; err holds that answer).  Unless the stored
 * access token has expired, introspect it too, then let status_decide()
 * settle it and apply the result with refresh_apply().  When a refresh
 * with these tokens never recorded its answer, the evidence says so
 * (reason refresh_answer_lost), or, while that refresh may still be
 * answered (younger than HubSpot's timeout), nothing is decided: its answer
 * settles it (REFRESH_SUPERSEDED).  REFRESH_REJECTED, REFRESH_SUPERSEDED as
 * refresh_portal;
 * REFRESH_RETRY when the access token could not be checked (*err then
 * holds that answer); REFRESH_ERROR.
 */
enum refresh_result refresh_refused(struct db *db, struct httpc *http, const struct conf *conf,
				    long long portal, const struct tokens *cur,
				    struct hs_error *err);

/*
 * Apply a decision: move Connected portal to reason's status with the
 * reason's text (detail in its place, see status_reason_text), recording
 * one activity entry with the evidence and HubSpot's correlation id, only
 * while its tokens still belong to grant (tokens.grant: a refresh keeps it,
 * a reconnect changes it).  1 changed, 0 not (already moved, or
 * reconnected since), -1 error.
 */
int refresh_apply(struct db *db, long long portal, long long grant, enum status_reason reason,
		  const char *detail, const struct status_evidence *ev,
		  const char *correlation_id);

#endif
