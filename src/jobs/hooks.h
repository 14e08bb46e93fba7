/*
 * hooks: the worker's webhooks.  hooks_fanout() turns each enabled
 * endpoint's new events (of the kinds it asked for) into deliveries, one
 * per event, in one transaction with the endpoint's cursor;
 * hooks_deliver() sends due deliveries (outbound.h: https only, public
 * addresses only, unless the operator allows; timeouts), signed
 * (webhook.h) with the endpoint's secret and, during a rotation's grace
 * period, the previous one too.  A 2xx delivers; anything else is retried
 * with a backoff that doubles from JETSTACK_WEBHOOK_RETRY_SECONDS until
 * the horizon (JETSTACK_WEBHOOK_HORIZON_SECONDS) after the delivery was
 * made, then it fails; an endpoint that nothing reached for the whole
 * horizon is then disabled and its organisation's owners and admins are
 * mailed.  Every attempt is logged.  Deliveries are independent: one
 * failing never holds back the next.
 */
#ifndef JS_HOOKS_H
#define JS_HOOKS_H

#include "conf.h"
#include "db.h"

/* Deliveries queued, or -1 (database). */
int hooks_fanout(struct db *db, const struct conf *conf);
/* Deliveries attempted, or -1 (database). */
int hooks_deliver(struct db *db, const struct conf *conf);

#endif
