/*
 * refresh: token refresh with compare-and-swap, and status degradation.
 * See refresh.h.
 */
#include "refresh.h"
#include "db_activity.h"
#include "db_portal.h"
#include "db_token.h"
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

/*
 * Settle a refusal of the stored refresh token: unless the stored access
 * token has expired, introspect it too, then let status_decide() decide
 * (answer_lost: an earlier refresh with this token never recorded its
 * answer, and the token introspected inactive) and apply it.
 */
static enum refresh_result settle_refusal(struct db *db, struct httpc *http,
					  const struct conf *conf, long long portal,
					  const struct tokens *cur, int answer_lost,
					  struct hs_error *err)
{
	struct status_evidence ev = {.refresh = EV_REFUSED, .answer_lost = answer_lost};
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

/* How long an unanswered refresh may still be answered: HubSpot's timeout
 * and a little.  An intent younger than this may be a sibling's call in
 * flight, whose answer (perhaps a new refresh token) is on its way. */
static long in_flight_s(const struct conf *conf)
{
	return conf->hs_timeout_ms / 1000 + 2;
}

enum refresh_result refresh_refused(struct db *db, struct httpc *http, const struct conf *conf,
				    long long portal, const struct tokens *cur,
				    struct hs_error *err)
{
	long age_s;
	int open = db_tokens_intent_open(db, portal, cur->version, &age_s);

	if (open < 0)
		return REFRESH_ERROR;
	/* a refresh with these tokens is still out: its answer settles it */
	if (open && age_s < in_flight_s(conf))
		return REFRESH_SUPERSEDED;
	return settle_refusal(db, http, conf, portal, cur, open, err);
}

/*
 * HubSpot refused the stored refresh token right after a refresh with it
 * that never recorded its answer (issue 18 item 3): that answer may have
 * carried a new refresh token (HubSpot does not document rotation, but
 * does not rule it out).  Before deciding: tokens stored meanwhile win; a
 * token HubSpot still calls active keeps the portal Connected (retried
 * later); an attempt that may still be answered is waited for.  Only then
 * is it settled, saying what happened.
 */
static enum refresh_result refused_after_lost(struct db *db, struct httpc *http,
					      const struct conf *conf, long long portal,
					      const struct tokens *cur, long age_s,
					      struct hs_error *err)
{
	struct hs_config cfg;
	struct hs_introspection info = {0};
	struct hs_error ierr;
	struct tokens now = {0};
	char p[24];
	int rc, active;

	rc = tok_get(db, conf, portal, &now);
	active = rc == 1 && now.version == cur->version;
	tok_free(&now);
	if (rc < 0)
		return REFRESH_ERROR;
	if (!active)
		return REFRESH_SUPERSEDED; /* new tokens (or none) were stored meanwhile */
	hs_config_from_conf(conf, &cfg);
	memset(&ierr, 0, sizeof(ierr));
	if (hs_introspect(http, &cfg, cur->refresh, "refresh_token", &info, &ierr) != HS_OK) {
		*err = ierr;
		return REFRESH_RETRY;
	}
	active = info.active;
	hs_introspection_free(&info);
	snprintf(p, sizeof(p), "%lld", portal);
	if (active) {
		log_event(LOG_WARN, NULL, "refresh_refused_token_active", "portal_id", p,
			  "correlation_id", err->correlation_id, NULL);
		return REFRESH_RETRY;
	}
	if (age_s < in_flight_s(conf))
		return REFRESH_RETRY;
	log_event(LOG_WARN, NULL, "refresh_answer_lost", "portal_id", p, "correlation_id",
		  err->correlation_id, NULL);
	return settle_refusal(db, http, conf, portal, cur, 1, err);
}

enum refresh_result refresh_portal(struct db *db, struct httpc *http, const struct conf *conf,
				   long long portal, struct tokens *cur, struct hs_error *err)
{
	struct hs_config cfg;
	struct hs_tokens nt = {0};
	enum hs_err e;
	enum refresh_result result;
	char *rotated;
	int rc, unfinished;
	long age_s;

	/* the intent first: an attempt that never records its answer is known */
	rc = db_tokens_intent_begin(db, portal, cur->version, &unfinished, &age_s);
	if (rc <= 0)
		return rc < 0 ? REFRESH_ERROR : REFRESH_SUPERSEDED;
	hs_config_from_conf(conf, &cfg);
	e = hs_refresh(http, &cfg, cur->refresh, &nt, err);
	/* HubSpot answered without new tokens: nothing of this attempt is lost
	 * (a failure to note it only makes a later refusal look closer) */
	if (e != HS_OK && err->http_status > 0)
		db_tokens_intent_end(db, portal, cur->version);
	if (e == HS_ERR_AUTH)
		return unfinished ? refused_after_lost(db, http, conf, portal, cur, age_s, err)
				  : settle_refusal(db, http, conf, portal, cur, 0, err);
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
