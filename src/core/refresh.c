/*
 * refresh: token refresh with compare-and-swap, and status degradation.
 * See refresh.h.
 */
#include "refresh.h"
#include "db_activity.h"
#include "db_portal.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

int refresh_apply(struct db *db, long long portal, long long grant, enum status_reason reason,
		  const char *detail, const struct status_evidence *ev,
		  const char *correlation_id)
{
	const struct status_reason_info *ri = status_reason_info(reason);
	char p[24], text[1200], evidence[300], entry[1600];
	long long org;
	int changed;

	status_reason_text(reason, detail, text, sizeof(text));
	status_evidence_text(ev, evidence, sizeof(evidence));
	snprintf(entry, sizeof(entry), "%s Evidence: %s.", text, evidence);
	if (db_begin(db) < 0)
		return -1;
	changed = db_portal_degrade(db, portal, grant, reason, text, &org);
	if (changed < 0)
		goto fail;
	if (changed && db_activity_add(db, org, portal, 0, status_key(ri->status), entry,
				       correlation_id) < 0)
		goto fail;
	if (db_commit(db) < 0)
		goto fail;
	snprintf(p, sizeof(p), "%lld", portal);
	if (changed)
		log_event(LOG_INFO, NULL, "portal_status_changed", "portal_id", p, "status",
			  status_key(ri->status), "reason", ri->code, "evidence", evidence,
			  "correlation_id", correlation_id, NULL);
	return changed;
fail:
	db_rollback(db);
	return -1;
}

enum refresh_result refresh_refused(struct db *db, struct httpc *http, const struct conf *conf,
				    long long portal, const struct tokens *cur,
				    struct hs_error *err)
{
	struct status_evidence ev = {.refresh = EV_REFUSED};
	enum status_reason reason;
	char corr[sizeof(err->correlation_id)];
	int rc;

	/* the refusal's correlation id is the one support asks for */
	snprintf(corr, sizeof(corr), "%s", err->correlation_id);
	ev.access_expired = cur->expires <= (long long)time(NULL) + STATUS_EXPIRY_SKEW;
	if (status_decide(&ev, &reason) == DECIDE_NEED_ACCESS) {
		struct hs_config cfg;
		struct hs_introspection info = {0};
		struct hs_error ierr;

		hs_config_from_conf(conf, &cfg);
		/* err keeps HubSpot's refusal; the introspection's own answer
		 * replaces it only when the introspection fails */
		if (hs_introspect(http, &cfg, cur->access, "access_token", &info, &ierr) != HS_OK) {
			*err = ierr;
			return REFRESH_RETRY;
		}
		ev.access = info.active ? EV_ACCEPTED : EV_REFUSED;
		hs_introspection_free(&info);
		if (status_decide(&ev, &reason) != DECIDE_CHANGE)
			return REFRESH_RETRY; /* cannot happen: the access token was checked */
	}
	rc = refresh_apply(db, portal, cur->grant, reason, NULL, &ev, corr);
	if (rc < 0)
		return REFRESH_ERROR;
	return rc == 1 ? REFRESH_REJECTED : REFRESH_SUPERSEDED;
}

enum refresh_result refresh_portal(struct db *db, struct httpc *http, const struct conf *conf,
				   long long portal, struct tokens *cur, struct hs_error *err)
{
	struct hs_config cfg;
	struct hs_tokens nt = {0};
	enum hs_err e;
	enum refresh_result result;
	char *rotated;
	int rc;

	hs_config_from_conf(conf, &cfg);
	e = hs_refresh(http, &cfg, cur->refresh, &nt, err);
	if (e == HS_ERR_AUTH)
		return refresh_refused(db, http, conf, portal, cur, err);
	if (e != HS_OK)
		return REFRESH_RETRY;
	/* an answer with a new refresh token (HubSpot rotated it): the old one
	 * is revoked by a job of its own once the new one is stored */
	rotated = nt.refresh_token != NULL && strcmp(nt.refresh_token, cur->refresh) != 0
			  ? strdup(cur->refresh)
			  : NULL;
	/* an answer without refresh_token keeps the stored one; on success cur
	 * becomes the tokens written */
	rc = tok_cas(db, conf, portal, cur, nt.access_token,
		     nt.refresh_token ? nt.refresh_token : cur->refresh, (long)nt.expires_in);
	if (rc < 0) {
		result = REFRESH_ERROR;
	} else if (rc == 0) {
		result = REFRESH_SUPERSEDED;
	} else {
		long next = nt.expires_in > conf->refresh_margin
				? (long)(nt.expires_in - conf->refresh_margin)
				: 0;

		/* the tokens are stored and in cur: a failure here leaves only the
		 * refresh time and the next check stale, so it is logged */
		if (db_portal_refreshed(db, portal, next) < 0) {
			char p[24];

			snprintf(p, sizeof(p), "%lld", portal);
			log_event(LOG_WARN, NULL, "portal_refreshed_not_recorded", "portal_id", p,
				  NULL);
		}
		if (rotated != NULL && tok_revoke_later(db, conf, portal, rotated) < 0) {
			char p[24];

			snprintf(p, sizeof(p), "%lld", portal);
			log_event(LOG_WARN, NULL, "rotated_token_not_queued_for_revoke", "portal_id",
				  p, NULL);
		}
		result = REFRESH_OK;
	}
	tok_wipe_free(rotated);
	hs_tokens_free(&nt);
	return result;
}
