/*
 * metrics: per-process request counters.  See metrics.h.
 */
#include "metrics.h"
#include "pcache.h"
#include "refresh.h"

#include <string.h>

#include <stdatomic.h>

static const int statuses[] = {200, 303, 400, 401, 403, 404, 405, 409, 413, 415, 429, 500, 502, 503};
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]))

/* [route][status index]; the last route slot counts unknown routes and
 * the last column any other status. */
static atomic_ulong counts[METRICS_ROUTES_MAX + 1][NSTATUS + 1];

void metrics_request(int page, int status)
{
	size_t i;

	if (page < 0 || page > METRICS_ROUTES_MAX)
		page = METRICS_ROUTES_MAX;
	for (i = 0; i < NSTATUS; i++)
		if (statuses[i] == status)
			break;
	atomic_fetch_add_explicit(&counts[page][i], 1, memory_order_relaxed);
}

static atomic_ulong connections;

void metrics_connection(void)
{
	atomic_fetch_add_explicit(&connections, 1, memory_order_relaxed);
}

static atomic_ulong reads_ahead;

void metrics_reads_ahead(int n)
{
	atomic_fetch_add_explicit(&reads_ahead, (unsigned long)n, memory_order_relaxed);
}

int metrics_render_connections(struct buf *out)
{
	buf_printf(out,
		   "# HELP jetstack_fastcgi_connections_total Connections this process accepted "
		   "from the web server (each kept one carries many requests).\n"
		   "# TYPE jetstack_fastcgi_connections_total counter\n"
		   "jetstack_fastcgi_connections_total %lu\n"
		   "# HELP jetstack_session_reads_ahead_total Sessions read together, in one round "
		   "trip, for pages served together.\n"
		   "# TYPE jetstack_session_reads_ahead_total counter\n"
		   "jetstack_session_reads_ahead_total %lu\n",
		   atomic_load_explicit(&connections, memory_order_relaxed),
		   atomic_load_explicit(&reads_ahead, memory_order_relaxed));
	return out->overflow || out->oom ? -1 : 0;
}

int metrics_render_requests(struct buf *out, int nroutes, const char *(*route_name)(int))
{
	if (nroutes > METRICS_ROUTES_MAX)
		nroutes = METRICS_ROUTES_MAX;
	buf_puts(out, "# HELP jetstack_http_requests_total Requests answered by this process, "
		      "by route and status.\n# TYPE jetstack_http_requests_total counter\n");
	for (int p = 0; p <= nroutes; p++)
		for (size_t i = 0; i <= NSTATUS; i++) {
			unsigned long n = atomic_load_explicit(&counts[p][i], memory_order_relaxed);

			if (n == 0)
				continue;
			if (i < NSTATUS)
				buf_printf(
				    out,
				    "jetstack_http_requests_total{route=\"%s\",status=\"%d\"} "
				    "%lu\n",
				    route_name(p < nroutes ? p : -1), statuses[i], n);
			else
				buf_printf(
				    out,
				    "jetstack_http_requests_total{route=\"%s\",status=\"other\"} "
				    "%lu\n",
				    route_name(p < nroutes ? p : -1), n);
		}
	return out->overflow || out->oom ? -1 : 0;
}

/* ---- the read API (issue 17 item 2) ---- */
static atomic_ulong api_requests, api_limited;

void metrics_api(int status)
{
	atomic_fetch_add_explicit(&api_requests, 1, memory_order_relaxed);
	if (status == 429)
		atomic_fetch_add_explicit(&api_limited, 1, memory_order_relaxed);
}

int metrics_render_api(struct buf *out)
{
	buf_printf(out,
		   "# HELP jetstack_api_requests_total Read API requests answered by this process "
		   "(any status).\n# TYPE jetstack_api_requests_total counter\n"
		   "jetstack_api_requests_total %lu\n"
		   "# HELP jetstack_api_rate_limited_total Read API requests refused by a token's "
		   "rate limit (429) in this process.\n"
		   "# TYPE jetstack_api_rate_limited_total counter\n"
		   "jetstack_api_rate_limited_total %lu\n",
		   atomic_load_explicit(&api_requests, memory_order_relaxed),
		   atomic_load_explicit(&api_limited, memory_order_relaxed));
	return out->overflow || out->oom ? -1 : 0;
}
/* ---- end of the read API ---- */

/* ---- the Client Accounts page cache (issue 19) ---- */
int metrics_render_page_cache(struct buf *out)
{
	struct pcache_stats st;

	pcache_stats_read(&st);
	buf_printf(out,
		   "# HELP jetstack_page_cache_hits_total Client Accounts pages this process served "
		   "from its cache (the counter checked with the session).\n"
		   "# TYPE jetstack_page_cache_hits_total counter\n"
		   "jetstack_page_cache_hits_total %lu\n"
		   "# HELP jetstack_page_cache_misses_total Client Accounts pages this process read "
		   "from PostgreSQL (not held, or the organisation changed since).\n"
		   "# TYPE jetstack_page_cache_misses_total counter\n"
		   "jetstack_page_cache_misses_total %lu\n"
		   "# HELP jetstack_page_cache_evictions_total Pages dropped to stay within "
		   "JETSTACK_PAGE_CACHE_BYTES.\n"
		   "# TYPE jetstack_page_cache_evictions_total counter\n"
		   "jetstack_page_cache_evictions_total %lu\n"
		   "# HELP jetstack_page_cache_bytes Bytes the page cache holds.\n"
		   "# TYPE jetstack_page_cache_bytes gauge\n"
		   "jetstack_page_cache_bytes %zu\n"
		   "# HELP jetstack_page_cache_entries Pages the page cache holds.\n"
		   "# TYPE jetstack_page_cache_entries gauge\n"
		   "jetstack_page_cache_entries %zu\n",
		   st.hits, st.misses, st.evictions, st.bytes, st.entries);
	return out->overflow || out->oom ? -1 : 0;
}

/* One Prometheus gauge family: metric{label="names[i]"} values[i]. */
static void gauges(struct buf *out, const char *metric, const char *help, const char *label,
		   const char *const *names, const long *values, int n)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s gauge\n", metric, help, metric);
	for (int i = 0; i < n; i++)
		buf_printf(out, "%s{%s=\"%s\"} %ld\n", metric, label, names[i], values[i]);
}

int metrics_render_gauges(struct buf *out, const struct db_gauges *g)
{
	const char *statuses_k[STATUS__MAX];
	const char *states[] = {"due", "queued", "running"};
	const long jobs[] = {g->jobs_due, g->jobs_queued, g->jobs_running};

	for (int s = 0; s < STATUS__MAX; s++)
		statuses_k[s] = status_key((enum portal_status)s);
	gauges(out, "jetstack_portals", "Portals by connection status.", "status", statuses_k,
	       g->portals, STATUS__MAX);
	gauges(out, "jetstack_jobs", "Jobs in the queue by state (due: queued and due now).",
	       "state", states, jobs, 3);
	buf_puts(out, "# HELP jetstack_jobs_queued Queued jobs by kind.\n"
		      "# TYPE jetstack_jobs_queued gauge\n");
	for (int i = 0; i < g->nkinds; i++)
		buf_printf(out, "jetstack_jobs_queued{kind=\"%s\"} %ld\n", g->kinds[i].kind,
			   g->kinds[i].queued);
	buf_puts(out, "# HELP jetstack_oldest_due_job_seconds Age of the oldest job that is due.\n"
		      "# TYPE jetstack_oldest_due_job_seconds gauge\n");
	buf_printf(out, "jetstack_oldest_due_job_seconds %ld\n", g->oldest_due_s);
	buf_puts(out, "# HELP jetstack_token_refreshes_total Token refreshes by outcome.\n"
		      "# TYPE jetstack_token_refreshes_total counter\n");
	for (int k = REFRESH_OK; k <= REFRESH_ERROR; k++) {
		const char *outcome = refresh_result_name((enum refresh_result)k);
		long long v = 0;

		for (int i = 0; i < g->ncounters; i++)
			if (strncmp(g->counters[i].name, "refresh_", 8) == 0 &&
			    strcmp(g->counters[i].name + 8, outcome) == 0)
				v = g->counters[i].value;
		buf_printf(out, "jetstack_token_refreshes_total{outcome=\"%s\"} %lld\n", outcome, v);
	}
	{
		long long n429 = 0;

		for (int i = 0; i < g->ncounters; i++)
			if (strcmp(g->counters[i].name, "hubspot_429") == 0)
				n429 = g->counters[i].value;
		buf_puts(out, "# HELP jetstack_hubspot_rate_limited_total HubSpot answers 429 (rate "
			      "limit) met by the worker.\n"
			      "# TYPE jetstack_hubspot_rate_limited_total counter\n");
		buf_printf(out, "jetstack_hubspot_rate_limited_total %lld\n", n429);
	}
	{
		/* issue 18: the HubSpot circuit breaker shared by every worker */
		static const char *const bstates[] = {"closed", "open", "half_open"};
		const char *st = g->breaker.state[0] ? g->breaker.state : "closed";

		buf_puts(out, "# HELP jetstack_hubspot_breaker_state The HubSpot circuit breaker "
			      "(1 for its state: open while HubSpot fails broadly, half_open while "
			      "one probe is out).\n# TYPE jetstack_hubspot_breaker_state gauge\n");
		for (int i = 0; i < 3; i++)
			buf_printf(out, "jetstack_hubspot_breaker_state{state=\"%s\"} %d\n",
				   bstates[i], strcmp(st, bstates[i]) == 0);
		buf_puts(out, "# HELP jetstack_hubspot_breaker_open_seconds How long the breaker "
			      "has been open (0 when closed).\n"
			      "# TYPE jetstack_hubspot_breaker_open_seconds gauge\n");
		buf_printf(out, "jetstack_hubspot_breaker_open_seconds %ld\n", g->breaker.open_s);
		buf_puts(out, "# HELP jetstack_hubspot_breaker_opens_total Times the breaker opened.\n"
			      "# TYPE jetstack_hubspot_breaker_opens_total counter\n");
		buf_printf(out, "jetstack_hubspot_breaker_opens_total %lld\n", g->breaker.opens);
		buf_puts(out, "# HELP jetstack_hubspot_breaker_probes_total Probes made while the "
			      "breaker was open, by result.\n"
			      "# TYPE jetstack_hubspot_breaker_probes_total counter\n");
		buf_printf(out, "jetstack_hubspot_breaker_probes_total{result=\"ok\"} %lld\n",
			   g->breaker.probes_ok);
		buf_printf(out, "jetstack_hubspot_breaker_probes_total{result=\"failed\"} %lld\n",
			   g->breaker.probes_failed);
	}
	return out->overflow || out->oom ? -1 : 0;
}
