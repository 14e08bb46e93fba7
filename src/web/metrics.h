/*
 * metrics: request counters of this process by route and status, kept in
 * atomics (the FastCGI program serves from several threads), rendered in
 * Prometheus text format together with gauges read from the database.
 */
#ifndef JS_METRICS_H
#define JS_METRICS_H

#include "buf.h"
#include "db_admin.h"

/* Routes the counters have room for (route.c checks its table fits). */
#define METRICS_ROUTES_MAX 64

/* Count one answered request of route page (0..METRICS_ROUTES_MAX-1; any
 * other value counts as an unknown route). */
void metrics_request(int page, int status);
/* Count one connection from the web server (FastCGI; server.c).  Kept
 * connections (fastcgi_keep_conn) carry many requests each. */
void metrics_connection(void);
/* Count n session rows read ahead together for requests a page thread
 * serves together (route_prefetch; server.c). */
void metrics_reads_ahead(int n);
/* Append the connection and read-ahead counters in Prometheus text
 * format. */
int metrics_render_connections(struct buf *out);
/* Append the request counters in Prometheus text format; route_name(i)
 * names route i of nroutes (and the unknown route for -1). */
int metrics_render_requests(struct buf *out, int nroutes, const char *(*route_name)(int));
/* The read API (issue 17 item 2): count one answered API request (status:
 * its answer; 429: refused by the rate limit), and append both counters. */
void metrics_api(int status);
int metrics_render_api(struct buf *out);
/* Append the database's gauges (portals by status, the job queue, token
 * refreshes by outcome). */
int metrics_render_gauges(struct buf *out, const struct db_gauges *g);

/* The page cache's hits, misses, evictions, bytes and entries (pcache.h). */
int metrics_render_page_cache(struct buf *out);

#endif
