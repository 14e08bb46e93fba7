/*
 * db_mail: what the digest mails read and write -- the recipients due a
 * digest, the status changes and reminders for one, the outbox of messages
 * waiting to go out, each member's notification choice and last delivery
 * problem -- and the retention of events.  Return contract as in db.h.
 */
#ifndef JS_DB_MAIL_H
#define JS_DB_MAIL_H

#include "db.h"

struct mail_recipient {
	long long org_id, user_id;
	char email[256];
	char org_name[256];
	char tz[64]; /* the user's time zone, else the organisation's */
};
/*
 * Members due a digest: their choice (or, unset, their role: owners and
 * admins) is the digest, and a status change of their organisation's
 * portals has waited window_s seconds since they were last mailed, or a
 * portal not Connected for reminder_s is due a reminder.  At most max.
 * 1 or -1.
 */
int db_mail_due(struct db *db, long window_s, long reminder_s, struct mail_recipient *out,
		int max, int *n);

/* Take recipient (org, user) for this transaction (another worker has it:
 * 0).  1 with *cursor (the last event mailed), 0, -1. */
int db_mail_take(struct db *db, long long org, long long user, long long *cursor);

/* One line of a digest. */
struct mail_line {
	long long event_id; /* 0 for a reminder */
	long long portal_id, hub_id;
	char portal_name[256];
	char status[24], reason_code[24];
	char reason[1024];
	char when[96]; /* in the recipient's time zone */
	int reminder;
};
/* The status changes after cursor, then the reminders due, for recipient
 * (org, user) in time zone tz: *out (free()), *n (at most 400).  1 or -1. */
int db_mail_lines(struct db *db, long long org, long long user, long long cursor, const char *tz,
		  long reminder_s, struct mail_line **out, int *n);

/* Queue the message for the recipient, move their cursor to cursor and
 * note what they were told of each portal, in the caller's transaction.
 * 1 or -1. */
int db_mail_queue(struct db *db, long long org, long long user, const char *rcpt,
		  const char *message, const char *message_id, long long cursor,
		  const struct mail_line *lines, int n);

/* A message to deliver. */
struct mail_out {
	long long id, org_id, user_id;
	char rcpt[256];
	char *message; /* malloc'd */
	int attempts;
};
/* Take up to max due messages for lease_s seconds: *out (free with
 * db_mail_out_free), *n.  1 or -1. */
int db_mail_take_due(struct db *db, long lease_s, int max, struct mail_out **out, int *n);
void db_mail_out_free(struct mail_out *m, int n);
/* Delivered; or to be tried again after retry_s (error kept, shown to the
 * recipient); or refused for good (kept as failed, shown).  1 or -1. */
int db_mail_sent(struct db *db, const struct mail_out *m);
int db_mail_retry(struct db *db, const struct mail_out *m, long retry_s, const char *error);
int db_mail_failed(struct db *db, const struct mail_out *m, const char *error);

/* A member's notification settings. */
struct notify_row {
	char notify[8]; /* digest, off: what applies */
	int by_role;	/* not chosen: the role's default */
	char user_tz[64], org_tz[64];
	char problem[600];
	char problem_at[32]; /* local_iso() in the user's zone; "" none */
	long long queued;    /* messages waiting to go out */
};
int db_notify_get(struct db *db, long long org, long long user, struct notify_row *out);
/* Choose digest or off (switching to the digest starts from now: no
 * backlog).  1 or -1. */
int db_notify_set(struct db *db, long long org, long long user, const char *notify);
/* The user's time zone ("" the organisation's).  1 set, 0 not a time zone
 * PostgreSQL knows, -1. */
int db_user_set_tz(struct db *db, long long user, const char *tz);
/* The organisation's time zone (a name PostgreSQL knows): 1 set, 0 not a
 * zone, -1. */
int db_org_set_tz(struct db *db, long long org, const char *tz);

/* org's owners and admins (enabled), whatever their digest choice: an
 * operational notice (a webhook endpoint disabled) goes to them.  At most
 * max.  1 or -1. */
int db_mail_admins(struct db *db, long long org, struct mail_recipient *out, int max, int *n);
/* Queue a notice for user (no cursor, no mentions).  1 or -1. */
int db_mail_queue_notice(struct db *db, long long org, long long user, const char *rcpt,
			 const char *message, const char *message_id);

/* Delete events, delivered mail older than days.  1 or -1. */
int db_events_cleanup(struct db *db, long days);

#endif
