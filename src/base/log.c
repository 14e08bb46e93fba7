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

void log_event(enum log_level lvl, const char *req_id, const char *event, ...)
{
	char line[4096], ts[40];
	size_t pos = 0;
	struct timeval tv;
	int y, mo, d;
	va_list ap;
	const char *k;

	gettimeofday(&tv, NULL);
	civil_from_days((long long)tv.tv_sec / 86400, &y, &mo, &d);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d", y, mo, d,
		 (int)(tv.tv_sec % 86400 / 3600), (int)(tv.tv_sec % 3600 / 60),
		 (int)(tv.tv_sec % 60));
	pos = (size_t)snprintf(
	    line, sizeof(line), "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"prog\":", ts,
	    (long)(tv.tv_usec / 1000), level_names[(unsigned)lvl < LOG__MAX ? lvl : LOG_ERROR]);
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
