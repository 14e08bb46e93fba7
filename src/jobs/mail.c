/*
 * mail: composing and delivering digests.  See mail.h.
 */
#include "mail.h"
#include "crypt.h"
#include "db_mail.h"
#include "digest.h"
#include "log.h"
#include "smtp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DIGESTS_PER_PASS 50
#define SENDS_PER_PASS	 20
#define SEND_LEASE_S	 300

/* One recipient's digest, in one transaction.  1 queued, 0 nothing to do
 * (another worker has them, or nothing left), -1 database. */
static int digest_one(struct db *db, const struct conf *conf, const struct tmpl_set *tmpl,
		      const struct mail_recipient *r)
{
	struct mail_line *lines = NULL;
	struct digest_line *dl = NULL;
	struct buf msg;
	long long cursor = 0, upto;
	char date[64], mid[160], err[200];
	int n = 0, rc, result = -1;

	buf_init(&msg, 4 << 20);
	if (db_begin(db) < 0)
		goto out;
	rc = db_mail_take(db, r->org_id, r->user_id, &cursor);
	if (rc <= 0) {
		result = rc;
		goto rollback;
	}
	if (db_mail_lines(db, r->org_id, r->user_id, cursor, r->tz, conf->mail_reminder, &lines,
			  &n) < 0)
		goto rollback;
	if (n == 0) {
		result = 0;
		goto rollback;
	}
	dl = calloc((size_t)n, sizeof(*dl));
	if (dl == NULL)
		goto rollback;
	upto = cursor;
	for (int i = 0; i < n; i++) {
		dl[i] = (struct digest_line){lines[i].portal_id,   lines[i].hub_id,
					     lines[i].portal_name, lines[i].status,
					     lines[i].reason_code, lines[i].reason,
					     lines[i].when,	   lines[i].reminder};
		if (lines[i].event_id > upto)
			upto = lines[i].event_id;
	}
	digest_date(date, sizeof(date));
	if (digest_message_id(conf->smtp_from, mid, sizeof(mid)) < 0)
		goto rollback;
	{
		struct digest_in in = {.org_name = r->org_name,
				       .from = conf->smtp_from,
				       .rcpt = r->email,
				       .base_url = conf->base_url,
				       .date = date,
				       .message_id = mid,
				       .lines = dl,
				       .n = (size_t)n,
				       .tmpl = tmpl};

		if (digest_compose(&in, &msg, err, sizeof(err)) < 0) {
			/* a message that cannot be written (an address a header
			 * cannot hold): say so, and do not try again and again */
			char uid[24];

			snprintf(uid, sizeof(uid), "%lld", r->user_id);
			log_event(LOG_ERROR, NULL, "digest_not_composed", "user", uid, "error", err,
				  NULL);
			goto rollback;
		}
	}
	if (db_mail_queue(db, r->org_id, r->user_id, r->email, buf_str(&msg), mid, upto, lines, n) <
		0 ||
	    db_commit(db) < 0)
		goto rollback;
	result = 1;
	goto out;
rollback:
	db_rollback(db);
out:
	free(lines);
	free(dl);
	buf_free(&msg);
	return result;
}

int mail_digests(struct db *db, const struct conf *conf, const struct tmpl_set *tmpl)
{
	struct mail_recipient *r;
	int n = 0, queued = 0;

	if (conf->smtp_url[0] == '\0' || tmpl == NULL)
		return 0;
	r = calloc(DIGESTS_PER_PASS, sizeof(*r));
	if (r == NULL ||
	    db_mail_due(db, conf->mail_window, conf->mail_reminder, r, DIGESTS_PER_PASS, &n) < 0) {
		free(r);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		int rc = digest_one(db, conf, tmpl, &r[i]);

		if (rc < 0) {
			free(r);
			return -1;
		}
		queued += rc;
	}
	free(r);
	if (queued > 0) {
		char k[24];

		snprintf(k, sizeof(k), "%d", queued);
		log_event(LOG_INFO, NULL, "digests_queued", "messages", k, NULL);
	}
	return queued;
}

int mail_notice(struct db *db, const struct conf *conf, long long org, const char *subject,
		const char *text)
{
	struct mail_recipient r[100];
	int n = 0, queued = 0;

	if (conf->smtp_url[0] == '\0')
		return 0;
	if (db_mail_admins(db, org, r, 100, &n) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		struct buf msg;
		char date[64], mid[160], err[200];
		struct digest_in in = {.org_name = r[i].org_name,
				       .from = conf->smtp_from,
				       .rcpt = r[i].email,
				       .base_url = conf->base_url,
				       .date = date,
				       .message_id = mid};
		int rc;

		digest_date(date, sizeof(date));
		if (digest_message_id(conf->smtp_from, mid, sizeof(mid)) < 0)
			return -1;
		buf_init(&msg, 1 << 20);
		if (digest_notice(&in, subject, text, &msg, err, sizeof(err)) < 0) {
			buf_free(&msg);
			continue; /* an address a header cannot hold: not this one */
		}
		rc = db_mail_queue_notice(db, org, r[i].user_id, r[i].email, buf_str(&msg), mid);
		buf_free(&msg);
		if (rc < 0)
			return -1;
		queued++;
	}
	return queued;
}

int mail_deliver(struct db *db, const struct conf *conf)
{
	struct smtp_config cfg = {.url = conf->smtp_url,
				  .user = conf->smtp_user,
				  .password = conf->smtp_password,
				  .from = conf->smtp_from,
				  .ca_file = conf->smtp_ca_file,
				  .starttls = conf->smtp_starttls,
				  .connect_timeout_ms = 10000,
				  .timeout_ms = 60000};
	struct mail_out *m = NULL;
	int n = 0, sent = 0;

	if (conf->smtp_url[0] == '\0')
		return 0;
	if (db_mail_take_due(db, SEND_LEASE_S, SENDS_PER_PASS, &m, &n) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		char err[400], text[480], id[24];
		enum smtp_result r = smtp_send(&cfg, m[i].rcpt, m[i].message, strlen(m[i].message),
					       err, sizeof(err));
		int rc;

		snprintf(id, sizeof(id), "%lld", m[i].id);
		if (r == SMTP_SENT) {
			rc = db_mail_sent(db, &m[i]);
			sent++;
			log_event(LOG_INFO, NULL, "mail_sent", "message", id, NULL);
		} else if (r == SMTP_TRANSIENT || r == SMTP_CONFIG) {
			/* a server that cannot take it now, or settings the
			 * operator must fix (a refused login, a missing CA file):
			 * the message waits, it is never dropped */
			long wait = conf->mail_retry;

			for (int k = 1; k < m[i].attempts && wait < 3600; k++)
				wait *= 2;
			if (wait > 3600)
				wait = 3600;
			snprintf(text, sizeof(text),
				 r == SMTP_CONFIG ? "The mail settings were refused (%s); the operator "
						    "must fix them, and the message will be tried again."
						  : "The mail server did not take a message (%s); it will "
						    "be tried again.",
				 err);
			rc = db_mail_retry(db, &m[i], wait, text);
			log_event(LOG_WARN, NULL, "mail_retry", "message", id, "error", err, NULL);
		} else {
			snprintf(text, sizeof(text), "The mail server refused a message for good (%s).",
				 err);
			rc = db_mail_failed(db, &m[i], text);
			log_event(LOG_ERROR, NULL, "mail_refused", "message", id, "error", err, NULL);
		}
		if (rc < 0) {
			db_mail_out_free(m, n);
			return -1;
		}
	}
	db_mail_out_free(m, n);
	return sent;
}
