/*
 * flow: the start of the OAuth connect/reconnect flow.  Stores a
 * single-use state (only its SHA-256, bound to the session, user,
 * organisation, portal and connection type, expiring in 10 minutes) and
 * redirects (303) to HubSpot's authorize URL with the connection type's
 * scopes.  The return leg is page_oauth.c.
 */
#ifndef JS_FLOW_H
#define JS_FLOW_H

#include "app.h"

#define FLOW_STATE_TTL 600

/* portal 0 starts a new connection.  0 ok (redirect set), -1 error. */
int flow_start(struct ctx *c, long long portal, enum conn_type type);
/* The hs_config view of the configuration. */
struct hs_config;
void flow_hs_config(const struct conf *conf, struct hs_config *out);

#endif
