/*
 * runcall: one paced HubSpot call of a run.  See runcall.h.
 */
#include "runcall.h"
#include "db_job.h"
#include "db_runs.h"
#include "refresh.h"
#include "status.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* A slot of the hub's burst limit: 0 go, 1 give the thread back
 * (rc->wait_ms set), -1 database error. */
static int pace(struct runcall *rc)
{
	for (;;) {
		long wait = 0;
		int r = db_pace_take(rc->db, rc->hub_id, (int)rc->conf->hs_burst_limit,
				     rc->conf->hs_burst_window_ms, &wait);

		if (r < 0)
			return -1;
		if (r == 1)
			return 0;
		if (wait > RUN_MAX_INLINE_WAIT_MS) {
			rc->wait_ms = wait;
			return 1;
		}
		struct timespec ts = {wait / 1000, (wait % 1000) * 1000000L};
		nanosleep(&ts, NULL);
	}
}

/* After any answer: HubSpot said the window is spent (Remaining 0) or
 * answered 429: nobody calls this hub until it says. */
static void note_limits(struct runcall *rc, const struct hs_error *err)
{
	long wait = 0;

	if (err->http_status == 429)
		wait = err->retry_after > 0	 ? err->retry_after * 1000
		       : err->rl_interval_ms > 0 ? err->rl_interval_ms
						 : rc->conf->hs_burst_window_ms;
	else if (err->rl_remaining == 0 && err->rl_interval_ms > 0)
		wait = err->rl_interval_ms;
	if (wait > 0)
		db_pace_block(rc->db, rc->hub_id, wait);
	if (err->http_status == 429)
		db_counter_bump(rc->db, "hubspot_429");
}

static enum runcall_result failed(struct runcall *rc, const char *code, const struct hs_error *err)
{
	snprintf(rc->fail_code, sizeof(rc->fail_code), "%s", code);
	if (err != NULL)
		rc->fail_err = *err;
	else
		memset(&rc->fail_err, 0, sizeof(rc->fail_err));
	return RUNCALL_FAILED;
}

static enum runcall_result db_error(struct runcall *rc)
{
	snprintf(rc->why, sizeof(rc->why), "database error");
	return RUNCALL_RETRY;
}

/* The 401's one refresh.  RUNCALL_OK: retry the call with rc->tok. */
static enum runcall_result refresh_once(struct runcall *rc)
{
	struct hs_error rerr;
	enum refresh_result rr;
	struct job_portal now;

	memset(&rerr, 0, sizeof(rerr));
	rc->refreshed = 1;
	rr = refresh_portal(rc->db, rc->http, rc->conf, rc->j->portal, &rc->tok, &rerr);
	if (rr == REFRESH_OK)
		return RUNCALL_OK;
	if (rr == REFRESH_SUPERSEDED) {
		/* a sibling job (or a reconnect) wrote newer tokens: take them */
		tok_free(&rc->tok);
		return tok_get(rc->db, rc->conf, rc->j->portal, &rc->tok) <= 0 ? db_error(rc)
										 : RUNCALL_OK;
	}
	if (rr == REFRESH_RETRY) {
		char t[240];

		hs_error_text(&rerr, t, sizeof(t)); /* curl's own words for a timeout */
		snprintf(rc->why, sizeof(rc->why), "refresh: %s", t);
		return RUNCALL_RETRY;
	}
	if (rr == REFRESH_ERROR)
		return db_error(rc);
	/* refused: the portal left Connected (or was reconnected meanwhile:
	 * its next run uses the new grant) */
	if (db_job_portal(rc->db, rc->j->portal, &now) < 0)
		return db_error(rc);
	if (rc->writes)
		status_write_refusal(now.name, now.status, now.reason_code, now.reason, rc->work,
				     rc->fail_message, sizeof(rc->fail_message));
	else
		status_work_refusal(now.name, now.status, now.reason_code, now.reason, rc->work,
				    rc->fail_message, sizeof(rc->fail_message));
	return failed(rc, "auth", &rerr);
}

enum runcall_result runcall(struct runcall *rc, const char *what, runcall_fn fn, void *arg,
			    struct hs_error *err)
{
	for (int attempt = 0;; attempt++) {
		enum hs_err e;
		int p = pace(rc);

		if (p < 0)
			return db_error(rc);
		if (p > 0)
			return RUNCALL_POSTPONE;
		memset(err, 0, sizeof(*err));
		rc->calls++;
		e = fn(rc, arg, err);
		note_limits(rc, err);
		if (e == HS_OK)
			return RUNCALL_OK;
		if (e == HS_ERR_AUTH && attempt == 0 && !rc->refreshed) {
			enum runcall_result r = refresh_once(rc);

			if (r == RUNCALL_OK)
				continue;
			return r;
		}
		if (e == HS_ERR_AUTH) {
			snprintf(rc->fail_message, sizeof(rc->fail_message),
				 "Authentication error: HubSpot refused the access token again "
				 "after a refresh (%s). Reconnect the portal, then %s again.",
				 err->category[0] ? err->category : hs_strerror(e), rc->work);
			return failed(rc, "auth", err);
		}
		if (e == HS_ERR_TRANSIENT && err->http_status == 429) {
			/* wait what HubSpot says; not an attempt */
			rc->wait_ms = err->retry_after > 0    ? err->retry_after * 1000
				      : err->rl_interval_ms > 0 ? err->rl_interval_ms
								: rc->conf->hs_burst_window_ms;
			return RUNCALL_POSTPONE;
		}
		if (e == HS_ERR_TRANSIENT) {
			if (rc->j->attempts >= RUN_MAX_ATTEMPTS) {
				snprintf(rc->fail_message, sizeof(rc->fail_message),
					 "HubSpot did not answer properly after %d attempts (%s%s%s). "
					 "This is usually temporary: %s again later.",
					 rc->j->attempts, hs_strerror(e),
					 err->correlation_id[0] ? ", correlation id " : "",
					 err->correlation_id, rc->work);
				return failed(rc, "retries", err);
			}
			char t[240];

			hs_error_text(err, t, sizeof(t));
			snprintf(rc->why, sizeof(rc->why), "%s: %s", what, t);
			return RUNCALL_RETRY;
		}
		return RUNCALL_ANSWER;
	}
}

enum hs_err runcall_read_groups(struct runcall *rc, void *arg, struct hs_error *err)
{
	struct runcall_read *a = arg;

	hs_groups_free(a->g);
	return hs_get_groups(rc->http, &rc->cfg, rc->tok.access, a->ot, a->g, err);
}

enum hs_err runcall_read_properties(struct runcall *rc, void *arg, struct hs_error *err)
{
	struct runcall_read *a = arg;

	hs_properties_free(a->p);
	return hs_get_properties(rc->http, &rc->cfg, rc->tok.access, a->ot, a->p, err);
}

int runcall_gave_back(const struct runcall *rc, enum runcall_result r, char *why, size_t whylen,
		      enum run_outcome *out)
{
	if (r == RUNCALL_RETRY) {
		snprintf(why, whylen, "%s", rc->why);
		*out = RUN_RETRY;
		return 1;
	}
	if (r == RUNCALL_POSTPONE) {
		*out = RUN_POSTPONE;
		return 1;
	}
	return 0;
}

void runcall_answer_text(const struct hs_error *err, char *out, size_t n)
{
	size_t m = strlen(err->message);

	if (err->http_status > 0)
		snprintf(out, n, "HubSpot answered HTTP %ld%s%s%s%.400s%s", err->http_status,
			 err->category[0] ? " " : "", err->category, m ? ": " : "", err->message,
			 m && strchr(".!?", err->message[m - 1]) != NULL ? "" : ".");
	else
		hs_error_text(err, out, n);
}
