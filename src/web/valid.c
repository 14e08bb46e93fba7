/*
 * valid: input validators.  See valid.h.
 */
#include "valid.h"
#include "status.h"
#include "conf.h"
#include "req.h"
#include "role.h"

#include <string.h>

static int printable(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max || !req_utf8_valid(s, n))
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static int charset(const char *s, const char *extra, size_t min, size_t max)
{
	size_t n = strlen(s);

	if (n < min || n > max)
		return 0;
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (extra && strchr(extra, c))))
			return 0;
	}
	return 1;
}

int valid_email(const char *s)
{
	const char *at = strchr(s, '@');

	return printable(s, 254) && strlen(s) >= 3 && at != NULL && at != s && at[1] != '\0' &&
	       strchr(at + 1, '@') == NULL && strpbrk(s, " <>\"\\,;") == NULL;
}

int valid_password(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 1024 && req_utf8_valid(s, n);
}

int valid_conn_type(const char *s)
{
	return conf_conn_parse(s) >= 0;
}

const char *const valid_sort_keys[VALID_SORTS] = {"name", "status", "last"};

int valid_sort_index(const char *s)
{
	for (int i = 0; s != NULL && i < VALID_SORTS; i++)
		if (strcmp(s, valid_sort_keys[i]) == 0)
			return i;
	return -1;
}

int valid_sort(const char *s)
{
	return valid_sort_index(s) >= 0;
}

int valid_status(const char *s)
{
	return status_parse(s) >= 0;
}

int valid_id(const char *s)
{
	return charset(s, NULL, 1, 18) && strspn(s, "0123456789") == strlen(s) && s[0] != '0';
}

int valid_oauth_code(const char *s)
{
	return charset(s, "-_.~+/=:", 1, 1024);
}

int valid_oauth_error(const char *s)
{
	return charset(s, "_", 1, 64);
}

int valid_text(const char *s)
{
	return printable(s, 500);
}

int valid_local_path(const char *s)
{
	return s[0] == '/' && s[1] != '/' && s[1] != '\\' && charset(s + 1, "/_-.?=&", 0, 200);
}

int valid_confirm(const char *s)
{
	return strcmp(s, "yes") == 0;
}

int valid_search(const char *s)
{
	return s[0] == '\0' || printable(s, 100);
}

int valid_object_type(const char *s)
{
	static const char *const types[] = {"contacts", "companies", "deals", "tickets"};

	if (s[0] == '\0')
		return 1;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(s, types[i]) == 0)
			return 1;
	return 0;
}

int valid_deploy_result(const char *s)
{
	static const char *const results[] = {"created", "updated", "unchanged", "failed",
					      "pending"};

	for (size_t i = 0; i < sizeof(results) / sizeof(results[0]); i++)
		if (strcmp(s, results[i]) == 0)
			return 1;
	return 0;
}

int valid_small_count(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 3 || s[0] == '0')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int valid_one(const char *s)
{
	return strcmp(s, "1") == 0;
}

int valid_notify(const char *s)
{
	return strcmp(s, "digest") == 0 || strcmp(s, "off") == 0;
}

int valid_time_zone(const char *s)
{
	size_t n = strlen(s);

	if (n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr("_/+-", s[i]) != NULL))
			return 0;
	return 1;
}

int valid_webhook_url(const char *s)
{
	size_t n = strlen(s);

	if (n < 8 || n > 2048)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

int valid_webhook_type(const char *s)
{
	return strcmp(s, "portal.status_changed") == 0 || strcmp(s, "run.finished") == 0;
}

int valid_webhook_action(const char *s)
{
	return strcmp(s, "rotate") == 0 || strcmp(s, "disable") == 0 || strcmp(s, "enable") == 0 ||
	       strcmp(s, "delete") == 0;
}

int valid_email_or_empty(const char *s)
{
	return s[0] == '\0' || valid_email(s);
}

int valid_portal_name(const char *s)
{
	size_t n = strlen(s);
	int visible = 0;

	if (n == 0 || n > 200 || !valid_text(s))
		return 0;
	for (size_t i = 0; i < n; i++)
		visible |= s[i] != ' ';
	return visible;
}

int valid_label(const char *s)
{
	return strlen(s) <= 40 && valid_portal_name(s);
}

int valid_label_action(const char *s)
{
	return strcmp(s, "add") == 0 || strcmp(s, "remove") == 0;
}

/* --- team (issue 17) --- */

int valid_role(const char *s)
{
	return role_parse(s) >= 0;
}

int valid_new_password(const char *s)
{
	size_t chars = 0;

	if (!valid_password(s))
		return 0;
	for (; *s; s++)
		chars += ((unsigned char)*s & 0xc0) != 0x80;
	return chars >= VALID_PASSWORD_MIN;
}
