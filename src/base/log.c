/*
 * log: JSON-lines logging on stderr.  See log.h.
 */
#include "log.h"
#include "civil.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *log_prog = "jetstack";
static const char *const level_names[LOG__MAX] = {"debug", "info", "warn", "error"};

void log_init(const char *prog)
{
	log_prog = prog;
}

/* Append s JSON-escaped into line at *pos, within cap, cut at max bytes. */
static void put_json(char *line, size_t cap, size_t *pos, const char *s, size_t max)
{
	size_t n = 0;

	if (*pos + 2 >= cap)
		return;
	line[(*pos)++] = '"';
	for (; *s && n < max && *pos + 8 < cap; s++, n++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			line[(*pos)++] = '\\';
			line[(*pos)++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			*pos += (size_t)snprintf(line + *pos, cap - *pos, "\\u%04x", c);
		} else {
			line[(*pos)++] = (char)c;
		}
	}
	line[(*pos)++] = '"';
}

static void put_raw(char *line, size_t cap, size_t *pos, const char *s)
{
	size_t l = strlen(s);

	if (*pos + l + 1 >= cap)
		return;
	memcpy(line + *pos, s, l);
	*pos += l;
}

/* v (0 <= v < 10^width) in width decimal digits at line + *pos (the
 * caller has room: the start of the line). */
static void digits(char *line, size_t *pos, long v, int width)
{
	for (int i = width - 1; i >= 0; i--, v /= 10)
		line[*pos + (size_t)i] = (char)('0' + v % 10);
	*pos += (size_t)width;
}

void log_event(enum log_level lvl, const char *req_id, const char *event, ...)
{
	char line[4096];
	size_t pos = 0;
	struct timeval tv;
	int y, mo, d;
	va_list ap;
	const char *k;

	gettimeofday(&tv, NULL);
	civil_from_days((long long)tv.tv_sec / 86400, &y, &mo, &d);
	/* {"ts":"YYYY-MM-DDTHH:MM:SS.mmmZ", by hand: one a request */
	put_raw(line, sizeof(line), &pos, "{\"ts\":\"");
	digits(line, &pos, y, 4);
	line[pos++] = '-';
	digits(line, &pos, mo, 2);
	line[pos++] = '-';
	digits(line, &pos, d, 2);
	line[pos++] = 'T';
	digits(line, &pos, (long)(tv.tv_sec % 86400 / 3600), 2);
	line[pos++] = ':';
	digits(line, &pos, (long)(tv.tv_sec % 3600 / 60), 2);
	line[pos++] = ':';
	digits(line, &pos, (long)(tv.tv_sec % 60), 2);
	line[pos++] = '.';
	digits(line, &pos, (long)(tv.tv_usec / 1000), 3);
	put_raw(line, sizeof(line), &pos, "Z\",\"level\":\"");
	put_raw(line, sizeof(line), &pos,
		level_names[(unsigned)lvl < LOG__MAX ? lvl : LOG_ERROR]);
	put_raw(line, sizeof(line), &pos, "\",\"prog\":");
	put_json(line, sizeof(line), &pos, log_prog, 64);
	if (req_id != NULL) {
		put_raw(line, sizeof(line), &pos, ",\"req\":");
		put_json(line, sizeof(line), &pos, req_id, 64);
	}
	put_raw(line, sizeof(line), &pos, ",\"event\":");
	put_json(line, sizeof(line), &pos, event, 128);
	va_start(ap, event);
	while ((k = va_arg(ap, const char *)) != NULL) {
		const char *v = va_arg(ap, const char *);

		put_raw(line, sizeof(line), &pos, ",");
		put_json(line, sizeof(line), &pos, k, 64);
		put_raw(line, sizeof(line), &pos, ":");
		if (v == NULL)
			put_raw(line, sizeof(line), &pos, "null");
		else
			put_json(line, sizeof(line), &pos, v, 512);
	}
	va_end(ap);
	if (pos + 2 > sizeof(line))
		pos = sizeof(line) - 2;
	line[pos++] = '}';
	line[pos++] = '\n';
	if (write(STDERR_FILENO, line, pos) < 0) {
		/* nowhere left to report it */
	}
}
