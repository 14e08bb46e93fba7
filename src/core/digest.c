/*
 * digest: composing the digest mail.  See digest.h.
 */
#include "digest.h"
#include "crypt.h"
#include "status.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A header value must be one line of visible ASCII and spaces. */
static int header_safe(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* An address for To/From: header-safe, one '@', no angle brackets,
 * quotes, commas or spaces. */
static int address_ok(const char *s)
{
	return header_safe(s) && strchr(s, '@') != NULL && strpbrk(s, "<>\"(),; ") == NULL;
}

/* s with control characters as spaces (text part). */
static void text_clean(struct buf *out, const char *s)
{
	for (s = s ? s : ""; *s; s++)
		buf_putc(out, (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s);
}

static const char *status_word(const char *key)
{
	int s = status_parse(key ? key : "");

	return s >= 0 ? status_label((enum portal_status)s) : key;
}

static int recovered(const struct digest_line *l)
{
	return strcmp(l->status, status_key(STATUS_CONNECTED)) == 0;
}

/* The reason's short text, or "" (recoveries, unknown codes). */
static const char *short_text(const struct digest_line *l)
{
	int rc = status_reason_parse(l->reason_code ? l->reason_code : "");

	return rc > 0 && !recovered(l) ? status_reason_info((enum status_reason)rc)->short_text
				       : "";
}

static void subject(const struct digest_in *in, struct buf *out)
{
	size_t bad = 0, good = 0, still = 0;

	for (size_t i = 0; i < in->n; i++) {
		if (in->lines[i].reminder)
			still++;
		else if (recovered(&in->lines[i]))
			good++;
		else
			bad++;
	}
	buf_puts(out, "Subject: [JetStack AI] ");
	if (bad)
		buf_printf(out, "%zu portal%s need%s attention", bad, bad == 1 ? "" : "s",
			   bad == 1 ? "s" : "");
	if (good)
		buf_printf(out, "%s%zu recovered", bad ? ", " : "", good);
	if (still)
		buf_printf(out, "%s%zu still not connected", bad || good ? ", " : "", still);
	buf_puts(out, "\r\n");
}

static void text_part(const struct digest_in *in, struct buf *out)
{
	buf_puts(out, "What changed in ");
	text_clean(out, in->org_name);
	buf_puts(out, "'s client portals on JetStack AI:\n\n");
	for (size_t i = 0; i < in->n; i++) {
		const struct digest_line *l = &in->lines[i];
		char plain[1200];

		text_clean(out, l->portal_name);
		buf_printf(out, " (Hub ID %lld): %s%s\n", l->hub_id, status_word(l->status),
			   l->reminder ? " (still)" : "");
		if (recovered(l))
			buf_puts(out, "  Connected again: imports, deployments and audits work.\n");
		else {
			status_reason_plain(l->reason_code, l->reason, plain, sizeof(plain));
			if (short_text(l)[0]) {
				buf_puts(out, "  ");
				text_clean(out, short_text(l));
				buf_puts(out, ".\n");
			}
			if (plain[0]) {
				buf_puts(out, "  ");
				text_clean(out, plain);
				buf_puts(out, "\n");
			}
		}
		buf_puts(out, l->reminder ? "  Since " : "  When: ");
		text_clean(out, l->when);
		buf_printf(out, "\n  Open it (Reconnect is on its page): %s/portals/%lld\n\n",
			   in->base_url, l->portal_id);
	}
	buf_printf(out, "You get this digest as an owner or admin, or because you asked for it.\n"
			"Change it: %s/settings/notifications\n",
		   in->base_url);
}

static int html_part(const struct digest_in *in, struct buf *out, char *err, size_t errlen)
{
	cJSON *v = cJSON_CreateObject(), *list;
	char href[160];
	int rc;

	if (v == NULL)
		return -1;
	cJSON_AddStringToObject(v, "org_name", in->org_name);
	snprintf(href, sizeof(href), "%s/settings/notifications", in->base_url);
	cJSON_AddStringToObject(v, "settings_url", href);
	list = cJSON_AddArrayToObject(v, "lines");
	for (size_t i = 0; i < in->n; i++) {
		const struct digest_line *l = &in->lines[i];
		cJSON *o = cJSON_CreateObject();
		char plain[1200];

		status_reason_plain(l->reason_code, l->reason, plain, sizeof(plain));
		cJSON_AddStringToObject(o, "portal_name", l->portal_name);
		cJSON_AddNumberToObject(o, "hub_id", (double)l->hub_id);
		snprintf(href, sizeof(href), "%s/portals/%lld", in->base_url, l->portal_id);
		cJSON_AddStringToObject(o, "portal_url", href);
		cJSON_AddStringToObject(o, "status_label", status_word(l->status));
		cJSON_AddBoolToObject(o, "recovered", recovered(l));
		cJSON_AddBoolToObject(o, "reminder", l->reminder);
		cJSON_AddStringToObject(o, "short", short_text(l));
		cJSON_AddStringToObject(o, "long", recovered(l) ? "" : plain);
		cJSON_AddStringToObject(o, "when", l->when);
		cJSON_AddItemToArray(list, o);
	}
	rc = tmpl_render(in->tmpl, "mail_digest", v, out, err, errlen);
	cJSON_Delete(v);
	return rc;
}

/* body base64-encoded in lines of 76 characters. */
static int base64_lines(struct buf *out, const struct buf *body)
{
	const char *p = buf_str(body);
	size_t n = body->len;

	for (size_t off = 0; off < n; off += 57) {
		char line[80];
		size_t k = n - off < 57 ? n - off : 57;

		if (crypt_b64_encode(p + off, k, line, sizeof(line)) < 0)
			return -1;
		buf_puts(out, line);
		buf_puts(out, "\r\n");
	}
	return 0;
}

int digest_compose(const struct digest_in *in, struct buf *out, char *err, size_t errlen)
{
	struct buf text, html;
	unsigned char r[12];
	char boundary[40], rnd[24];
	int result = -1;

	err[0] = '\0';
	if (!address_ok(in->from) || !address_ok(in->rcpt) || !header_safe(in->date) ||
	    !header_safe(in->message_id) || strpbrk(in->message_id, "<> ") != NULL ||
	    !header_safe(in->base_url)) {
		snprintf(err, errlen, "an address, date or message id a header cannot hold");
		return -1;
	}
	if (crypt_random(r, sizeof(r)) < 0 ||
	    crypt_b64url_encode(r, sizeof(r), rnd, sizeof(rnd)) < 0) {
		snprintf(err, errlen, "no randomness for the MIME boundary");
		return -1;
	}
	snprintf(boundary, sizeof(boundary), "=_js_%s", rnd);
	buf_init(&text, 1 << 20);
	buf_init(&html, 1 << 20);
	text_part(in, &text);
	if (html_part(in, &html, err, errlen) < 0)
		goto out;
	buf_printf(out, "Date: %s\r\n", in->date);
	buf_printf(out, "From: JetStack AI <%s>\r\n", in->from);
	buf_printf(out, "To: <%s>\r\n", in->rcpt);
	subject(in, out);
	buf_printf(out, "Message-ID: <%s>\r\n", in->message_id);
	buf_printf(out, "List-Unsubscribe: <%s/settings/notifications>\r\n", in->base_url);
	buf_puts(out, "Auto-Submitted: auto-generated\r\n");
	buf_puts(out, "MIME-Version: 1.0\r\n");
	buf_printf(out, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n", boundary);
	buf_printf(out, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
			"Content-Transfer-Encoding: base64\r\n\r\n",
		   boundary);
	if (base64_lines(out, &text) < 0)
		goto out;
	buf_printf(out, "--%s\r\nContent-Type: text/html; charset=utf-8\r\n"
			"Content-Transfer-Encoding: base64\r\n\r\n",
		   boundary);
	if (base64_lines(out, &html) < 0)
		goto out;
	buf_printf(out, "--%s--\r\n", boundary);
	if (out->overflow || out->oom || text.overflow || text.oom) {
		snprintf(err, errlen, "the message does not fit");
		goto out;
	}
	result = 0;
out:
	if (result < 0 && err[0] == '\0')
		snprintf(err, errlen, "the message could not be composed");
	buf_free(&text);
	buf_free(&html);
	return result;
}

int digest_notice(const struct digest_in *in, const char *subj, const char *text,
		  struct buf *out, char *err, size_t errlen)
{
	struct buf body;
	int rc = -1;

	err[0] = '\0';
	if (!address_ok(in->from) || !address_ok(in->rcpt) || !header_safe(in->date) ||
	    !header_safe(in->message_id) || strpbrk(in->message_id, "<> ") != NULL ||
	    !header_safe(subj) || !header_safe(in->base_url)) {
		snprintf(err, errlen, "an address, date, subject or message id a header cannot hold");
		return -1;
	}
	buf_init(&body, 1 << 20);
	for (const char *s = text; *s; s++)
		buf_putc(&body, *s == '\n' ? '\n' : ((unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s));
	buf_printf(out, "Date: %s\r\n", in->date);
	buf_printf(out, "From: JetStack AI <%s>\r\n", in->from);
	buf_printf(out, "To: <%s>\r\n", in->rcpt);
	buf_printf(out, "Subject: [JetStack AI] %s\r\n", subj);
	buf_printf(out, "Message-ID: <%s>\r\n", in->message_id);
	buf_printf(out, "List-Unsubscribe: <%s/settings/notifications>\r\n", in->base_url);
	buf_puts(out, "Auto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n");
	buf_puts(out, "Content-Type: text/plain; charset=utf-8\r\n"
		      "Content-Transfer-Encoding: base64\r\n\r\n");
	if (base64_lines(out, &body) == 0 && !out->overflow && !out->oom && !body.overflow)
		rc = 0;
	else
		snprintf(err, errlen, "the notice does not fit");
	buf_free(&body);
	return rc;
}

void digest_date(char *out, size_t n)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	snprintf(out, n, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
		 months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

int digest_message_id(const char *from, char *out, size_t n)
{
	unsigned char r[16];
	char hex[33];
	const char *at = from ? strchr(from, '@') : NULL;

	if (crypt_random(r, sizeof(r)) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(hex + 2 * i, 3, "%02x", r[i]);
	snprintf(out, n, "js-%s@%s", hex, at ? at + 1 : "jetstack.invalid");
	return 0;
}
