/*
 * log: JSON lines on stderr, one per event, with the program name, a
 * request id when there is one, and string fields.  Callers never pass
 * tokens, codes, secrets, passwords or cookies: only ids and outcomes.
 */
#ifndef JS_LOG_H
#define JS_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG__MAX };

/* Set the program name written in every line (static string). */
void log_init(const char *prog);
/*
 * Write one line: {"ts":...,"level":...,"prog":...,"req":...,"event":...,
 * key:value...}.  The variable arguments are pairs of const char * key and
 * value, ended by a NULL key.  A NULL value is written as null.  Values are
 * JSON-escaped and cut at 512 bytes.  Thread-safe (one write(2) per line).
 */
void log_event(enum log_level lvl, const char *req_id, const char *event, ...);

#endif
