/*
 * page_ops: /healthz and /metrics for operators.
 */
#include "db_admin.h"
#include "metrics.h"
#include "pages.h"
#include "route.h"

#include <stdio.h>

int page_healthz_get(struct ctx *c)
{
	int up = db_ping(c->db);

	c->resp->content_type = "text/plain; charset=utf-8";
	c->resp->status = up ? 200 : 503;
	buf_puts(&c->resp->body, up ? "ok\n" : "database unavailable\n");
	return 0;
}

int page_metrics_get(struct ctx *c)
{
	struct buf *b = &c->resp->body;
	struct db_gauges g;

	c->resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	if (metrics_render_connections(b) < 0 ||
	    metrics_render_requests(b, PAGE__MAX, route_name) < 0 ||
	    metrics_render_api(b) < 0 /* the read API (issue 17 item 2) */ ||
	    metrics_render_page_cache(b) < 0 /* issue 19 */ ||
	    db_metrics_read(c->db, &g) < 0)
		return -1;
	return metrics_render_gauges(b, &g);
}
