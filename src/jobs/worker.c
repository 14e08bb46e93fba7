/*
 * worker: scheduling sweeps, job claiming and the refresh and health jobs.
 * See worker.h.
 */
#include "worker.h"
#include "breaker.h"
#include "db_job.h"
#include "audit_job.h"
#include "deploy_job.h"
#include "hooks.h"
#include "import.h"
#include "db_mail.h"
#include "mail.h"
#include "db_portal.h"
#include "db_session.h"
#include "db_state.h"
#include "db_token.h"
#include "httpc.h"
#include "log.h"
#include "refresh.h"
#include "tok.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int stopping;

/* The worker's bell: the listening thread rings it for each wake-up from
 * PostgreSQL (a job queued: NOTIFY jetstack_jobs) and job threads wait on
 * it.  rung counts the rings, so a thread that saw no job waits only for a
 * ring after it looked. */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned long rung;
} bell = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};

static unsigned long bell_seen(void)
{
	unsigned long v;

	pthread_mutex_lock(&bell.mu);
	v = bell.rung;
	pthread_mutex_unlock(&bell.mu);
	return v;
}

static void bell_ring(void)
{
	pthread_mutex_lock(&bell.mu);
	bell.rung++;
	pthread_cond_broadcast(&bell.cv);
	pthread_mutex_unlock(&bell.mu);
}

/* One job thread: its lock owner is its own, so a sibling thread that takes
 * a job whose lease ran out cannot finish or retry it for the holder. */
struct wthread {
	const struct conf *conf;
	struct db_pool *pool; /* the worker's connections, shared by its threads */
	char id[128]; /* locked_by: tN@host:pid */
	int once;
	double pass_start; /* a --once pass's start (Unix time), else 0 */
};


static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&stopping, 1);
}

/* Sleep up to ms milliseconds, waking early when told to stop. */
static void nap_ms(long ms)
{
	while (ms > 0 && !atomic_load(&stopping)) {
		long slice = ms < 100 ? ms : 100;
		struct timespec ts = {0, slice * 1000 * 1000};

		nanosleep(&ts, NULL);
		ms -= slice;
	}
}

/* Sleep up to secs, waking early when told to stop. */
static void nap(long secs)
{
	nap_ms(secs * 1000);
}

long worker_backoff(int attempts, unsigned jitter)
{
	long d = 30;

	for (int i = 1; i < attempts && d < 3600; i++)
		d *= 2;
	if (d > 3600)
		d = 3600;
	return d * (80 + (long)(jitter % 41)) / 100;
}

static void job_finish(struct db *db, const struct wthread *w, const struct job_row *j)
{
	db_job_done(db, j->id, w->id);
}

/* Put the job back with its backoff.  err: HubSpot's failure when one
 * caused it (the circuit breaker counts it), NULL for ours. */
static void job_retry(struct db *db, const struct wthread *w, const struct job_row *j,
		      const char *why, const struct hs_error *err)
{
	char id[24], delay[24];
	long d = worker_backoff(j->attempts, (unsigned)random());

	db_job_retry(db, j->id, w->id, d, why, err != NULL && hs_error_outage(err));
	if (err != NULL)
		breaker_note(db, w->conf, j->portal, err);
	snprintf(id, sizeof(id), "%lld", j->id);
	snprintf(delay, sizeof(delay), "%ld", d);
	log_event(LOG_WARN, NULL, "job_retry", "job", id, "kind", j->kind, "delay_s", delay, "why",
		  why, NULL);
}

/*
 * What every portal job starts with: the portal must still be Connected and
 * have tokens.  1 with *p and *t loaded (caller tok_free()s t), 0 when the
 * job was finished (nothing to do) or re-queued (database or key error).
 */
static int job_start(struct db *db, const struct wthread *w, const struct job_row *j,
		     struct job_portal *p, struct tokens *t)
{
	int rc = db_job_portal(db, j->portal, p);

	if (rc > 0 && !p->connected)
		rc = 0;
	if (rc > 0)
		rc = tok_get(db, w->conf, j->portal, t);
	if (rc == 0)
		job_finish(db, w, j);
	else if (rc < 0)
		job_retry(db, w, j, "database error or tokens unreadable with this key", NULL);
	return rc > 0;
}

static void do_refresh(struct db *db, struct httpc *http, const struct wthread *w,
		       const struct job_row *j)
{
	struct tokens t;
	struct hs_error err;
	struct job_portal jp;
	enum refresh_result rr;
	char name[40];

	if (!job_start(db, w, j, &jp, &t))
		return;
	if (t.expires > (long long)time(NULL) + w->conf->refresh_margin) {
		/* refreshed meanwhile (a health check, a reconnect): not due */
		tok_free(&t);
		job_finish(db, w, j);
		return;
	}
	memset(&err, 0, sizeof(err));
	rr = refresh_portal(db, http, w->conf, j->portal, &t, &err);
	tok_free(&t);
	snprintf(name, sizeof(name), "refresh_%s", refresh_result_name(rr));
	db_counter_bump(db, name);
	if (rr == REFRESH_RETRY || rr == REFRESH_ERROR) {
		char why[300];

		hs_error_text(&err, why, sizeof(why));
		if (rr == REFRESH_ERROR)
			job_retry(db, w, j, "database error", NULL);
		else
			job_retry(db, w, j, why, &err);
		return;
	}
	if (rr != REFRESH_SUPERSEDED)
		breaker_note(db, w->conf, j->portal, NULL); /* HubSpot answered */
	job_finish(db, w, j);
}

/*
 * The health check of a Connected portal: introspect the refresh token
 * (inactive: refresh_refused() looks at the access token and decides),
 * then confirm the authorizing HubSpot user is still a Super Admin or an
 * Admin.  Every status change goes through status_decide().
 */
static void do_health(struct db *db, struct httpc *http, const struct wthread *w,
		      const struct job_row *j)
{
	const struct conf *conf = w->conf;
	struct hs_config cfg;
	struct hs_error err;
	struct hs_introspection info = {0};
	struct tokens t = {0};
	struct status_evidence ev = {.refresh = EV_ACCEPTED, .access = EV_UNKNOWN};
	enum status_reason reason;
	enum refresh_result rr;
	struct job_portal jp;
	char why[300];
	const char *uid = jp.hs_user_id, *email = jp.hs_user_email;
	enum hs_err e;
	int admin;

	memset(&err, 0, sizeof(err));
	if (!job_start(db, w, j, &jp, &t))
		return;
	hs_config_from_conf(conf, &cfg);
	e = hs_introspect(http, &cfg, t.refresh, "refresh_token", &info, &err);
	if (e != HS_OK)
		goto retry;
	if (!info.active) {
		rr = refresh_refused(db, http, conf, j->portal, &t, &err);
		if (rr == REFRESH_ERROR)
			goto retry_db;
		if (rr == REFRESH_RETRY)
			goto retry;
		goto done;
	}
	/* an access token that will live through the user lookup */
	if (t.expires < (long long)time(NULL) + 60) {
		rr = refresh_portal(db, http, conf, j->portal, &t, &err);
		if (rr == REFRESH_REJECTED || rr == REFRESH_SUPERSEDED)
			goto done;
		if (rr != REFRESH_OK)
			goto retry;
	}
	if (uid[0] == '\0')
		goto done; /* no authorizing user recorded: nothing to confirm */
	e = hs_check_admin(http, &cfg, t.access, uid, conf->admin_roles, &admin, &err);
	if (e == HS_ERR_AUTH) {
		/* expired or invalid access token: refresh once, retry once (a
		 * refused refresh token is settled by refresh_refused) */
		rr = refresh_portal(db, http, conf, j->portal, &t, &err);
		if (rr == REFRESH_REJECTED || rr == REFRESH_SUPERSEDED)
			goto done;
		if (rr != REFRESH_OK)
			goto retry;
		e = hs_check_admin(http, &cfg, t.access, uid, conf->admin_roles, &admin, &err);
	}
	if (e == HS_OK || e == HS_ERR_PERMISSION) {
		ev.access = EV_ACCEPTED;
		ev.admin = e == HS_ERR_PERMISSION ? EV_ADMIN_NOT_FOUND
			   : admin		  ? EV_ADMIN_YES
						  : EV_ADMIN_NO;
		if (status_decide(&ev, &reason) == DECIDE_CHANGE &&
		    refresh_apply(db, j->portal, t.grant, reason, email[0] ? email : uid, &ev,
				  err.correlation_id) < 0)
			goto retry_db;
		goto done;
	}
	goto retry;
done:
	db_portal_health_done(db, j->portal, conf->health_interval, conf->refresh_margin);
	breaker_note(db, conf, j->portal, NULL); /* HubSpot answered */
	job_finish(db, w, j);
	goto out;
retry:
	hs_error_text(&err, why, sizeof(why));
	job_retry(db, w, j, why, &err);
	goto out;
retry_db:
	job_retry(db, w, j, "database error", NULL);
out:
	tok_free(&t);
	hs_introspection_free(&info);
}

/*
 * A replaced refresh token: revoke it at HubSpot, until HubSpot confirms or
 * says it is already invalid.  A token equal to the one now stored is never
 * revoked (HubSpot may hand the same token to the same user again).
 */
static void do_revoke(struct db *db, struct httpc *http, const struct wthread *w,
		      const struct job_row *j)
{
	struct revocation_row r;
	struct tokens now = {0};
	struct hs_config cfg;
	struct hs_error err;
	char *tok = NULL, why[300];
	enum hs_err e;
	int rc = db_revocation_get(db, j->revocation_id, &r);

	if (rc <= 0 || r.done) {
		if (rc < 0)
			job_retry(db, w, j, "database error", NULL);
		else
			job_finish(db, w, j);
		goto out;
	}
	tok = tok_revocation_open(w->conf, &r);
	if (tok == NULL) {
		job_retry(db, w, j, "token unreadable with this key", NULL);
		goto out;
	}
	rc = tok_get(db, w->conf, r.portal_id, &now);
	if (rc < 0) {
		job_retry(db, w, j, "database error", NULL);
		goto out;
	}
	if (rc == 1 && strcmp(now.refresh, tok) == 0) {
		db_revocation_done(db, r.id); /* in use again: not ours to revoke */
		job_finish(db, w, j);
		goto out;
	}
	hs_config_from_conf(w->conf, &cfg);
	memset(&err, 0, sizeof(err));
	e = hs_revoke(http, &cfg, tok, "refresh_token", &err);
	/* revoked, or HubSpot says the token is invalid or unknown already */
	if (e == HS_OK || e == HS_ERR_AUTH || e == HS_ERR_MALFORMED) {
		if (db_revocation_done(db, r.id) < 0) {
			job_retry(db, w, j, "database error", NULL);
			goto out;
		}
		breaker_note(db, w->conf, j->portal, NULL); /* HubSpot answered */
		db_counter_bump(db, "revoke_ok");
		job_finish(db, w, j);
		goto out;
	}
	{
		char t[240];

		hs_error_text(&err, t, sizeof(t)); /* curl's own words for a timeout */
		snprintf(why, sizeof(why), "revoke: %s", t);
	}
	job_retry(db, w, j, why, &err);
out:
	tok_wipe_free(tok);
	tok_free(&now);
	db_revocation_row_free(&r);
}

/* A run's job (an import's or a deployment's step, an audit): work it, then finish,
 * retry or postpone the job.  side: the thread's second HubSpot handle (an
 * import step reads its groups beside its properties). */
static void do_run(struct db *db, struct httpc *http, struct httpc *side, const struct wthread *w,
		   const struct job_row *j, int kind /* 0 import, 1 deploy, 2 audit */)
{
	char why[300];
	long wait_ms;

	switch (kind == 1   ? deploy_work(db, http, w->conf, j, why, sizeof(why), &wait_ms)
		: kind == 2 ? audit_work(db, http, w->conf, j, why, sizeof(why), &wait_ms)
			    : import_work(db, http, side, w->conf, j, why, sizeof(why), &wait_ms)) {
	case RUN_DONE:
		job_finish(db, w, j);
		break;
	case RUN_RETRY:
		job_retry(db, w, j, why, NULL);
		break;
	case RUN_POSTPONE:
		db_job_postpone(db, j->id, w->id, wait_ms);
		break;
	}
}

/*
 * Wait for work: until the bell rings after seen (a job was queued), the
 * poll interval passes, or the worker is told to stop.
 */
static void wait_for_work(const struct conf *conf, unsigned long seen)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += conf->worker_poll;
	pthread_mutex_lock(&bell.mu);
	while (bell.rung == seen && !atomic_load(&stopping))
		if (pthread_cond_timedwait(&bell.cv, &bell.mu, &until) != 0)
			break;
	pthread_mutex_unlock(&bell.mu);
}

/* The listening thread: LISTEN on a connection of its own and ring the
 * bell for every wake-up; after a failure, listen again on a fresh
 * connection (and ring once: what was queued meanwhile is looked for). */
static void *listen_main(void *arg)
{
	const struct conf *conf = arg;
	struct db db;
	int listening = 0;

	db_init(&db, conf->db_conninfo);
	while (!atomic_load(&stopping)) {
		if (!listening) {
			listening = db_jobs_listen(&db) == 0;
			if (!listening) {
				nap(1);
				continue;
			}
			bell_ring();
		}
		int rc = db_wait_notify(&db, 200);

		if (rc > 0)
			bell_ring();
		else if (rc < 0) {
			listening = 0;
			db_close(&db);
		}
	}
	db_close(&db);
	bell_ring(); /* the job threads' waits end with the worker */
	return NULL;
}

static void *thread_main(void *arg)
{
	const struct wthread *w = arg;
	struct db db;
	struct httpc http = {0}, side = {0};
	struct httpc_opts ho = {.connect_timeout_ms = 5000,
				.timeout_ms = w->conf->hs_timeout_ms,
				.max_body = 1024 * 1024,
				.user_agent = "JetStack-ClientAccounts-Worker/1.0"};

	db_init_pooled(&db, w->pool);
	if (httpc_init(&http, &ho) != HTTPC_OK || httpc_init(&side, &ho) != HTTPC_OK) {
		log_event(LOG_ERROR, NULL, "httpc_init_failed", NULL);
		httpc_cleanup(&http);
		httpc_cleanup(&side);
		return NULL;
	}
	while (!atomic_load(&stopping)) {
		struct job_row j;
		long wait_ms;
		unsigned long seen = bell_seen();
		int rc;

		/* while HubSpot fails broadly, no job is claimed (breaker.h) */
		switch (breaker_gate(&db, &http, w->conf, w->id, w->pass_start, &wait_ms)) {
		case BREAKER_GO:
			break;
		case BREAKER_WAIT:
			nap_ms(wait_ms);
			continue;
		case BREAKER_STOP:
			goto stop;
		}
		rc = db_job_claim(&db, w->id, w->conf->job_lease, &j);

		if (rc < 0) {
			if (w->once)
				break;
			nap(w->conf->worker_poll);
			continue;
		}
		if (rc == 0) {
			if (w->once)
				break;
			wait_for_work(w->conf, seen);
			continue;
		}
		if (strcmp(j.kind, "refresh") == 0)
			do_refresh(&db, &http, w, &j);
		else if (strcmp(j.kind, "health") == 0)
			do_health(&db, &http, w, &j);
		else if (strcmp(j.kind, "import") == 0)
			do_run(&db, &http, &side, w, &j, 0);
		else if (strcmp(j.kind, "deploy") == 0)
			do_run(&db, &http, &side, w, &j, 1);
		else if (strcmp(j.kind, "audit") == 0)
			do_run(&db, &http, &side, w, &j, 2);
		else if (strcmp(j.kind, "revoke") == 0)
			do_revoke(&db, &http, w, &j);
		else
			job_retry(&db, w, &j, "no handler for this job kind in this worker version",
				  NULL);
	}
stop:
	httpc_cleanup(&http);
	httpc_cleanup(&side);
	db_close(&db);
	return NULL;
}

/* Schedule due work and apply configuration changes: run every pass. */
static int sweep(struct db *db, const struct conf *conf)
{

	/* required scopes that grew beyond what a portal granted */
	for (int t = 0; t < CONN__MAX; t++) {
		struct status_evidence ev = {.scopes_missing = 1};
		enum status_reason reason;
		struct scope_gap *gaps;
		size_t ngaps;
		long moved = 0;

		if (db_portal_scope_gaps(db, conf_conn_key((enum conn_type)t), conf->scopes[t],
					 &gaps, &ngaps) < 0)
			return -1;
		status_decide(&ev, &reason);
		for (size_t i = 0; i < ngaps; i++) {
			int rc = refresh_apply(db, gaps[i].portal, gaps[i].grant, reason,
					       gaps[i].missing, &ev, NULL);
			if (rc < 0) {
				free(gaps);
				return -1;
			}
			moved += rc;
		}
		free(gaps);
		if (moved > 0) {
			char k[24];
			snprintf(k, sizeof(k), "%ld", moved);
			log_event(LOG_INFO, NULL, "scopes_grew", "connection_type",
				  conf_conn_key((enum conn_type)t), "portals", k, NULL);
		}
	}
	if (db_jobs_schedule(db, conf->refresh_margin) < 0 || db_states_cleanup(db) < 0 ||
	    db_login_failures_cleanup(db) < 0 || db_events_cleanup(db, conf->events_retention) < 0)
		return -1;
	return 0;
}

/* Telling people: webhook deliveries of new events and those due, then
 * the digests that are due and what the mail outbox holds. */
static void mail_pass(struct db *db, const struct conf *conf, const struct tmpl_set *tmpl)
{
	if (hooks_fanout(db, conf) < 0)
		log_event(LOG_ERROR, NULL, "webhook_fanout_failed", NULL);
	if (hooks_deliver(db, conf) < 0)
		log_event(LOG_ERROR, NULL, "webhook_deliver_failed", NULL);
	if (mail_digests(db, conf, tmpl) < 0)
		log_event(LOG_ERROR, NULL, "mail_digests_failed", NULL);
	if (mail_deliver(db, conf) < 0)
		log_event(LOG_ERROR, NULL, "mail_deliver_failed", NULL);
}

int worker_run(const struct conf *conf, const struct tmpl_set *tmpl, int once)
{
	struct wthread *w;
	struct db db;
	struct db_pool *pool;
	pthread_t *th, listener;
	int listener_started = 0;
	char host[64] = "host", wid[96];
	int n = conf->worker_concurrency, started = 0, rc = 0;
	double pass_start;
	struct sigaction sa;

	{
		struct timespec now;

		clock_gettime(CLOCK_REALTIME, &now);
		pass_start = (double)now.tv_sec + now.tv_nsec / 1e9;
	}
	gethostname(host, sizeof(host) - 1);
	snprintf(wid, sizeof(wid), "%s:%ld", host, (long)getpid());
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	db_init(&db, conf->db_conninfo);
	if (sweep(&db, conf) < 0) {
		log_event(LOG_ERROR, NULL, "sweep_failed", NULL);
		if (once) {
			db_close(&db);
			return 1;
		}
	}
	th = calloc((size_t)n, sizeof(*th));
	w = calloc((size_t)n, sizeof(*w));
	pool = db_pool_new(conf->db_conninfo, conf->worker_db_connections < n
						      ? conf->worker_db_connections
						      : n);
	if (th == NULL || w == NULL || pool == NULL) {
		free(th);
		free(w);
		db_pool_free(pool);
		db_close(&db);
		return 1;
	}
	if (!once && pthread_create(&listener, NULL, listen_main, (void *)conf) == 0)
		listener_started = 1;
	for (int i = 0; i < n; i++) {
		w[i].conf = conf;
		w[i].pool = pool;
		w[i].once = once;
		w[i].pass_start = once ? pass_start : 0;
		snprintf(w[i].id, sizeof(w[i].id), "t%d@%s", i, wid);
		if (pthread_create(&th[i], NULL, thread_main, &w[i]) != 0)
			break;
		started++;
	}
	log_event(LOG_INFO, NULL, "worker_started", "worker", wid, "mode",
		  once ? "once" : "forever", NULL);
	if (!once) {
		/* the sweep reads every Connected portal: every 30 s (or the poll
		 * interval when longer) is soon enough, as refreshes fall due
		 * minutes ahead and the job threads poll on their own */
		long every = conf->worker_poll > 30 ? conf->worker_poll : 30;
		time_t last = time(NULL);

		while (!atomic_load(&stopping)) {
			nap(conf->worker_poll);
			if (!atomic_load(&stopping))
				mail_pass(&db, conf, tmpl);
			if (atomic_load(&stopping) || time(NULL) - last < every)
				continue;
			last = time(NULL);
			if (sweep(&db, conf) < 0)
				log_event(LOG_ERROR, NULL, "sweep_failed", NULL);
		}
	}
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	if (listener_started)
		pthread_join(listener, NULL);
	db_pool_free(pool);
	if (once) /* the changes this pass made, and what was already due */
		mail_pass(&db, conf, tmpl);
	free(th);
	free(w);
	db_close(&db);
	log_event(LOG_INFO, NULL, "worker_stopped", "worker", wid, NULL);
	return rc;
}
