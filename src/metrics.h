/*
 * metrics: request counters of this process by route and status, kept in
 * atomics (the FastCGI program serves from several threads), rendered in
 * Prometheus text format together with gauges read from the database.
 */
#ifndef JS_METRICS_H
#define JS_METRICS_H

#include "buf.h"

/* Count one answered request. */
void metrics_request(int page, int status);
/* Append the request counters in Prometheus text format. */
int metrics_render_requests(struct buf *out);

#endif
