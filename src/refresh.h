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
 * tok_get).  On REFRESH_OK cur is replaced by the new tokens.  On
 * REFRESH_REJECTED the portal was moved to Needs Reconnection (once, with
 * the reason and correlation id in its activity) unless its tokens changed
 * meanwhile.  err receives HubSpot's answer.
 */
enum refresh_result refresh_portal(struct db *db, struct httpc *http, const struct conf *conf,
				   long long portal, struct tokens *cur, struct hs_error *err);

/*
 * Move a Connected portal to status ("needs_reconnection" or
 * "disconnected") with reason, recording one activity entry, only while its
 * tokens are still version.  1 changed, 0 not (already changed, or the
 * tokens moved on), -1 error.
 */
int refresh_degrade(struct db *db, long long portal, long long version, const char *status,
		    const char *reason, const char *correlation_id);

#endif
