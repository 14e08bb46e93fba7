/*
 * mail: the worker's mail.  mail_digests() composes the digests that are
 * due (digest.h) into the outbox, each in one transaction with its
 * recipient's cursor and what they were told of each portal, so that a
 * change is mentioned once and a worker that dies mid-way loses nothing;
 * mail_deliver() sends what the outbox holds through SMTP (smtp.h),
 * retrying a message the server could not take now with a backoff that
 * doubles from JETSTACK_MAIL_RETRY_SECONDS to an hour, for as long as it
 * takes (also when the settings are at fault: a refused login waits for
 * the operator), and keeping one it refused for good (5xx) as failed.  The
 * recipient's settings page shows the last problem either way.  Both do
 * nothing while JETSTACK_SMTP_URL is unset.
 */
#ifndef JS_MAIL_H
#define JS_MAIL_H

#include "conf.h"
#include "db.h"
#include "tmpl.h"

/* Digests queued, or -1 (database). */
int mail_digests(struct db *db, const struct conf *conf, const struct tmpl_set *tmpl);
/* Queue a notice (subject, text) to org's owners and admins, in the
 * caller's transaction.  Messages queued (0 while mail is off), or -1. */
int mail_notice(struct db *db, const struct conf *conf, long long org, const char *subject,
		const char *text);
/* Messages handed to the server, or -1 (database). */
int mail_deliver(struct db *db, const struct conf *conf);

#endif
