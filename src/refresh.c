/*
 * refresh: token refresh with compare-and-swap, and status degradation.
 * See refresh.h.
 */
#include "refresh.h"
#include "db_portal.h"
#include "flow.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *refresh_result_name(enum refresh_result r)
{
	switch (r) {
	case REFRESH_OK:
		return "ok";
	case REFRESH_SUPERSEDED:
		return "superseded";
	case REFRESH_REJECTED:
		return "rejected";
	case REFRESH_RETRY:
		return "retry";
	case REFRESH_ERROR:
		return "error";
	}
	return "error";
}

int refresh_degrade(struct db *db, long long portal, long long version, const char *status,
		    const char *reason, const char *correlation_id)
{
	char p[24], v[24];
	PGresult *r;
	long long org;
	int changed;

	snprintf(p, sizeof(p), "%lld", portal);
	snprintf(v, sizeof(v), "%lld", version);
	if (db_begin(db) < 0)
		return -1;
	const char *params[] = {p, status, reason, v};
	r = db_run(db, ST_PORTAL_DEGRADE, 4, params);
	if (r == NULL)
		goto fail;
	changed = PQntuples(r) == 1;
	org = changed ? db_get_ll(r, 0, "org_id") : 0;
	PQclear(r);
	if (changed && db_activity_add(db, org, portal, 0, status, reason, correlation_id) < 0)
		goto fail;
	if (db_commit(db) < 0)
		goto fail;
	if (changed)
		log_event(LOG_INFO, NULL, "portal_status_changed", "portal_id", p, "status", status,
			  "correlation_id", correlation_id, NULL);
	return changed;
fail:
	db_rollback(db);
	return -1;
}

enum refresh_result refresh_portal(struct db *db, struct httpc *http, const struct conf *conf,
				   long long portal, struct tokens *cur, struct hs_error *err)
{
	struct hs_config cfg;
	struct hs_tokens nt = {0};
	enum hs_err e;
	enum refresh_result result;
	char reason[600];
	int rc;

	flow_hs_config(conf, &cfg);
	e = hs_refresh(http, &cfg, cur->refresh, &nt, err);
	if (e == HS_ERR_AUTH) {
		snprintf(
		    reason, sizeof(reason),
		    "HubSpot rejected this portal's refresh token (%s): the authorization "
		    "expired, was rotated or revoked, or the HubSpot user who authorized it was "
		    "deactivated or downgraded. Reconnect to restore access.",
		    err->status[0]  ? err->status
		    : err->error[0] ? err->error
				    : "invalid_grant");
		rc = refresh_degrade(db, portal, cur->version, "needs_reconnection", reason,
				     err->correlation_id);
		if (rc < 0)
			return REFRESH_ERROR;
		return rc == 1 ? REFRESH_REJECTED : REFRESH_SUPERSEDED;
	}
	if (e != HS_OK)
		return REFRESH_RETRY;
	/* an answer without refresh_token keeps the stored one; on success cur
	 * becomes the tokens written */
	rc = tok_cas(db, conf, portal, cur, nt.access_token,
		     nt.refresh_token ? nt.refresh_token : cur->refresh, (long)nt.expires_in);
	if (rc < 0) {
		result = REFRESH_ERROR;
	} else if (rc == 0) {
		result = REFRESH_SUPERSEDED;
	} else {
		char p[24], s[24];

		snprintf(p, sizeof(p), "%lld", portal);
		snprintf(s, sizeof(s), "%lld",
			 nt.expires_in > conf->refresh_margin ? nt.expires_in - conf->refresh_margin
							      : 0);
		const char *params[] = {p, s};
		/* the tokens are stored and in cur: a failure here leaves only the
		 * refresh time and the next check stale, so it is logged */
		if (db_cmd(db, ST_PORTAL_REFRESHED, 2, params) < 0)
			log_event(LOG_WARN, NULL, "portal_refreshed_not_recorded", "portal_id", p,
				  NULL);
		result = REFRESH_OK;
	}
	hs_tokens_free(&nt);
	return result;
}
