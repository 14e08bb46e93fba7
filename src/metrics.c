/*
 * metrics: per-process request counters.  See metrics.h.
 */
#include "metrics.h"
#include "route.h"

#include <stdatomic.h>

static const int statuses[] = {200, 303, 400, 403, 404, 405, 409, 413, 415, 429, 500, 502, 503};
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]))

/* [page][status index]; the last column counts any other status. */
static atomic_ulong counts[PAGE__MAX + 1][NSTATUS + 1];

void metrics_request(int page, int status)
{
	size_t i;

	if (page < 0 || page > PAGE__MAX)
		page = PAGE__MAX;
	for (i = 0; i < NSTATUS; i++)
		if (statuses[i] == status)
			break;
	atomic_fetch_add_explicit(&counts[page][i], 1, memory_order_relaxed);
}

int metrics_render_requests(struct buf *out)
{
	buf_puts(out, "# HELP jetstack_http_requests_total Requests answered by this process, "
		      "by route and status.\n# TYPE jetstack_http_requests_total counter\n");
	for (int p = 0; p <= PAGE__MAX; p++)
		for (size_t i = 0; i <= NSTATUS; i++) {
			unsigned long n = atomic_load_explicit(&counts[p][i], memory_order_relaxed);

			if (n == 0)
				continue;
			if (i < NSTATUS)
				buf_printf(
				    out,
				    "jetstack_http_requests_total{route=\"%s\",status=\"%d\"} "
				    "%lu\n",
				    route_name(p), statuses[i], n);
			else
				buf_printf(
				    out,
				    "jetstack_http_requests_total{route=\"%s\",status=\"other\"} "
				    "%lu\n",
				    route_name(p), n);
		}
	return out->overflow || out->oom ? -1 : 0;
}
