/*
 * digest: the mail that tells a recipient what changed -- one message per
 * recipient per window, listing each portal that changed status (to Needs
 * Reconnection, to Disconnected, recovered to Connected) and each portal
 * still not Connected whose reminder is due, with the reason's short and
 * long text (never HubSpot's raw code), when it happened in the
 * recipient's time zone and a link to the portal's page.  Pure: the caller
 * reads the rows and sends the message.
 *
 * The message is RFC 5322 with CRLF line endings: Date, From, To, Subject
 * (ASCII only, no portal name: nothing a portal's name holds can reach a
 * header), Message-ID, List-Unsubscribe (the notification settings page),
 * MIME-Version, and a multipart/alternative body of a text/plain and a
 * text/html part (rendered from templates/mail_digest.html, escaped by
 * default), each base64-encoded.
 */
#ifndef JS_DIGEST_H
#define JS_DIGEST_H

#include "buf.h"
#include "tmpl.h"

#include <stddef.h>

/* One portal in a digest. */
struct digest_line {
	long long portal_id, hub_id;
	const char *portal_name;
	const char *status;	 /* the new status (key) */
	const char *reason_code; /* "" none */
	const char *reason;	 /* the stored reason text */
	const char *when;	 /* when it happened, in the recipient's time zone */
	int reminder;		 /* still not Connected: a reminder, not a change */
};

struct digest_in {
	const char *org_name;
	const char *from;     /* address */
	const char *rcpt;     /* address */
	const char *base_url; /* links: base_url + /portals/{id} */
	const char *date;     /* RFC 5322 date */
	const char *message_id; /* without <> */
	const struct digest_line *lines;
	size_t n;
	const struct tmpl_set *tmpl; /* for the HTML part */
};

/* Append the whole message to out.  0, or -1 with err (an address with a
 * character a header cannot hold, a template error, out full). */
int digest_compose(const struct digest_in *in, struct buf *out, char *err, size_t errlen);

/* Now as an RFC 5322 date ("Sun, 06 Dec 2026 10:15:00 +0000"). */
void digest_date(char *out, size_t n);
/* A fresh Message-ID (without <>): "js-<random>@<from's domain>".  0 or
 * -1. */
int digest_message_id(const char *from, char *out, size_t n);

/*
 * A one-part notice (text/plain) with the same headers: subject and text
 * are the product's own words (subject ASCII, one line); text may hold
 * names (control characters become spaces).  0, or -1 with err.
 */
int digest_notice(const struct digest_in *in, const char *subject, const char *text,
		  struct buf *out, char *err, size_t errlen);

#endif
