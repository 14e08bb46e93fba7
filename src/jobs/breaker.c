/*
 * breaker: the HubSpot circuit breaker's decisions.  See breaker.h.
 */
#include "breaker.h"
#include "db_breaker.h"
#include "log.h"
#include "tok.h"

#include <stdio.h>
#include <string.h>

void breaker_note(struct db *db, const struct conf *conf, long long portal,
		  const struct hs_error *err)
{
	struct breaker_trip trip;
	char why[300], f[24], n[24], a[24];

	if (err == NULL || !hs_error_outage(err)) {
		db_breaker_answered(db, conf->breaker_window);
		return;
	}
	hs_error_text(err, why, sizeof(why));
	if (db_breaker_failed(db, portal, conf->breaker_window, why) < 0)
		return;
	if (db_breaker_trip(db, conf->breaker_failures, conf->breaker_portals, conf->breaker_window,
			    conf->breaker_probe, &trip) != 1)
		return;
	snprintf(f, sizeof(f), "%ld", trip.failures);
	snprintf(n, sizeof(n), "%ld", trip.portals);
	snprintf(a, sizeof(a), "%ld", trip.answers);
	log_event(LOG_WARN, NULL, "hubspot_breaker_open", "failures", f, "portals", n, "answers", a,
		  "last_error", trip.last_error, NULL);
}

/*
 * The probe: introspect the stored refresh token of the portal whose access
 * token expires first (POST /oauth/2026-03/token/introspect, which answers
 * {"active": false} for a token it does not know, so a portal's own trouble
 * is an answer too).  1 HubSpot answered, 0 not (why says what failed).
 */
static int probe(struct db *db, struct httpc *http, const struct conf *conf, char *why, size_t cap)
{
	struct hs_config cfg;
	struct hs_introspection info = {0};
	struct hs_error err;
	struct tokens t = {0};
	long long portal = 0;
	enum hs_err e;
	int rc = db_breaker_probe_portal(db, &portal);

	if (rc < 0) {
		snprintf(why, cap, "database error");
		return 0;
	}
	/* no Connected portal with tokens, or none that opens with this key:
	 * a token HubSpot has never seen answers just as well */
	if (rc == 1 && tok_get(db, conf, portal, &t) != 1)
		tok_free(&t);
	hs_config_from_conf(conf, &cfg);
	memset(&err, 0, sizeof(err));
	e = hs_introspect(http, &cfg, t.refresh ? t.refresh : "jetstack-breaker-probe",
			  "refresh_token", &info, &err);
	tok_free(&t);
	hs_introspection_free(&info);
	if (e == HS_OK || !hs_error_outage(&err))
		return 1;
	hs_error_text(&err, why, cap);
	return 0;
}

enum breaker_gate breaker_gate(struct db *db, struct httpc *http, const struct conf *conf,
			       const char *worker, double pass_start, long *wait_ms)
{
	struct breaker_view v;
	char why[300], last[300], s[24], n[24];
	long open_s, pulled;
	int rc;

	*wait_ms = 0;
	/* a database error: the claim meets it and handles it as before */
	if (db_breaker_state(db, pass_start, &v) < 0 || v.state == BREAKER_CLOSED)
		return BREAKER_GO;
	rc = db_breaker_probe_take(db, worker, conf->hs_timeout_ms / 1000 + 5, pass_start);
	if (rc < 0)
		return BREAKER_GO;
	if (rc == 0) {
		/* another thread probes, or the next probe is not due */
		if (pass_start > 0 && v.probed_since && !v.probing && v.state == BREAKER_OPEN)
			return BREAKER_STOP;
		*wait_ms = v.probing || pass_start > 0 ? 100
			   : v.next_probe_ms < 1000 ? (v.next_probe_ms > 50 ? v.next_probe_ms : 50)
						    : 1000;
		return BREAKER_WAIT;
	}
	if (!probe(db, http, conf, why, sizeof(why))) {
		db_breaker_probe_failed(db, worker, conf->breaker_probe, why);
		log_event(LOG_INFO, NULL, "hubspot_breaker_probe_failed", "worker", worker, "error",
			  why, NULL);
		*wait_ms = conf->breaker_probe * 1000;
		return pass_start > 0 ? BREAKER_STOP : BREAKER_WAIT;
	}
	rc = db_breaker_close(db, worker, conf->breaker_window, conf->refresh_margin, &open_s, last,
			      sizeof(last), &pulled);
	if (rc == 1) {
		snprintf(s, sizeof(s), "%ld", open_s);
		snprintf(n, sizeof(n), "%ld", pulled);
		log_event(LOG_INFO, NULL, "hubspot_breaker_closed", "open_s", s, "jobs_due_now", n,
			  "last_error", last, NULL);
	}
	return BREAKER_GO;
}
