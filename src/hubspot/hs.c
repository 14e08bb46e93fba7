/*
 * hs: the HubSpot client.  See hs.h for the endpoints and the HubSpot
 * documentation each follows.
 *
 * Layout: error strings and copies; a small JSON field-table parser (each
 * answer is described by a table of REQUIRED/OPTIONAL fields with a type and
 * a limit, duplicates refused, unknown fields ignored); one parser per
 * answer; the classification of error answers; the network calls, which
 * only build the request, run it through httpc and hand the answer to the
 * parsers.
 */
#include "hs.h"
#include "conf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <openssl/crypto.h>

#include "buf.h"
#include "httpc.h"

#define HS_REQUIRED 1
#define HS_OPTIONAL 0

#define HS_ARG_MAX	4096 /* tokens, codes, secrets we send */
#define HS_BASE_MAX	1024
#define HS_MAX_FIELDS	16
#define HS_JSON_INT_MAX 9007199254740991.0 /* 2^53 - 1: exact in a double */

#define HS_PATH_TOKEN	   "/oauth/2026-03/token"
#define HS_PATH_INTROSPECT "/oauth/2026-03/token/introspect"
#define HS_PATH_REVOKE	   "/oauth/2026-03/token/revoke"
#define HS_PATH_USERS	   "/settings/users/2026-03/"
/*
 * Retrieve users (2026-03), paged with limit and after:
 * https://developers.hubspot.com/docs/api-reference/2026-03/account/settings/user-provisioning/users/get-users
 */
#define HS_PATH_USER_LIST  "/settings/users/2026-03"
#define HS_PATH_ROLES	   "/settings/users/2026-03/roles"
#define HS_PATH_PROPERTIES "/crm/properties/2026-03/"

static const char *const hs_errstr[HS_ERR__MAX] = {
    [HS_OK] = "ok",
    [HS_ERR_AUTH] = "hubspot refused the authorization",
    [HS_ERR_PERMISSION] = "hubspot refused the permission",
    [HS_ERR_TRANSIENT] = "hubspot temporarily unavailable",
    [HS_ERR_MALFORMED] = "unusable answer from hubspot",
    [HS_ERR_CONFIG] = "hubspot client configuration error",
};

void hs_error_text(const struct hs_error *err, char *out, size_t cap)
{
	const char *code = err->category[0] ? err->category : err->status;

	if (cap == 0)
		return;
	if (err->http_status > 0)
		snprintf(out, cap, "HTTP %ld%s%s%s%s", err->http_status, code[0] ? " " : "", code,
			 err->correlation_id[0] ? ", correlation id " : "", err->correlation_id);
	else
		snprintf(out, cap, "%s%s%s", hs_strerror(err->kind), err->message[0] ? ": " : "",
			 err->message);
}

int hs_error_outage(const struct hs_error *err)
{
	if (err->kind != HS_ERR_TRANSIENT)
		return 0;
	if (err->http_status == 429)
		return err->policy_name[0] == '\0';
	return err->http_status == 0 || err->http_status == 408 ||
	       (err->http_status >= 500 && err->http_status <= 599);
}

void hs_config_from_conf(const struct conf *conf, struct hs_config *out)
{
	out->api_base = conf->hs_api_base;
	out->client_id = conf->hs_client_id;
	out->client_secret = conf->hs_client_secret;
}

const char *hs_strerror(enum hs_err kind)
{
	if ((int)kind < 0 || kind >= HS_ERR__MAX || hs_errstr[kind] == NULL)
		return "unknown error";
	return hs_errstr[kind];
}

/*
 * Strings.
 */

/*
 * Length of the valid UTF-8 sequence starting at s (s is NUL-terminated),
 * or 0 when it is not valid (overlong, surrogate, > U+10FFFF, truncated).
 */
static size_t hs_utf8_seq(const unsigned char *s)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0)
			return 0; /* overlong */
		if (c == 0xed && s[1] >= 0xa0)
			return 0; /* surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && s[1] < 0x90)
			return 0; /* overlong */
		if (c == 0xf4 && s[1] >= 0x90)
			return 0; /* > U+10FFFF */
		return 4;
	}
	return 0;
}

/*
 * Whether the UTF-8 sequence of length k at s is a control or a
 * display-changing format character: C1 controls, U+2028/U+2029 line and
 * paragraph separators, bidirectional embeddings/overrides/isolates.
 */
static int hs_utf8_is_control(const unsigned char *s, size_t k)
{
	if (k == 2 && s[0] == 0xc2 && s[1] <= 0x9f)
		return 1;
	if (k == 3 && s[0] == 0xe2 && s[1] == 0x80 && s[2] >= 0xa8 && s[2] <= 0xae)
		return 1;
	if (k == 3 && s[0] == 0xe2 && s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9)
		return 1;
	return 0;
}

/*
 * Copy src into dst (dstsz bytes, always NUL-terminated) dropping ASCII and
 * Unicode control characters and invalid UTF-8, never cutting a character.
 */
static void hs_copy_clean(char *dst, size_t dstsz, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, o = 0, k;

	if (dstsz == 0)
		return;
	while (src != NULL && s[i] != '\0') {
		if (s[i] < 0x20 || s[i] == 0x7f) {
			i++;
			continue;
		}
		k = hs_utf8_seq(s + i);
		if (k == 0) {
			i++;
			continue;
		}
		if (hs_utf8_is_control(s + i, k)) {
			i += k;
			continue;
		}
		if (o + k > dstsz - 1)
			break;
		memcpy(dst + o, s + i, k);
		o += k;
		i += k;
	}
	dst[o] = '\0';
}

/* Set err->kind and our own (fixed, secret-free) message. */
static enum hs_err hs_fail(struct hs_error *err, enum hs_err kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum hs_err hs_fail(struct hs_error *err, enum hs_err kind, const char *fmt, ...)
{
	va_list ap;

	err->kind = kind;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return kind;
}

/* Zero *err, with no rate-limit headers known. */
static void hs_error_reset(struct hs_error *err)
{
	memset(err, 0, sizeof(*err));
	err->rl_max = -1;
	err->rl_remaining = -1;
	err->rl_interval_ms = -1;
}

/* Keep the answer's Retry-After and, when an answer arrived, its rate-limit
 * headers in *err, and its X-HubSpot-Correlation-Id when the body gave no
 * correlationId. */
static void hs_error_keep(struct hs_error *err, const struct httpc_resp *resp)
{
	err->retry_after = resp->retry_after;
	if (resp->status != 0) {
		err->rl_max = resp->rl_max;
		err->rl_remaining = resp->rl_remaining;
		err->rl_interval_ms = resp->rl_interval_ms;
		if (err->correlation_id[0] == '\0')
			hs_copy_clean(err->correlation_id, sizeof(err->correlation_id),
				      resp->correlation_id);
	}
}

static int hs_ascii_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static int hs_ascii_caseeq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if (hs_ascii_lower((unsigned char)*a) != hs_ascii_lower((unsigned char)*b))
			return 0;
	return *a == '\0' && *b == '\0';
}

static int hs_digits(const char *s, size_t max)
{
	size_t n;

	if (s == NULL)
		return 0;
	for (n = 0; s[n] != '\0'; n++)
		if (n >= max || s[n] < '0' || s[n] > '9')
			return 0;
	return n > 0;
}

/* Overwrite a secret string so it does not linger in freed memory. */
static void hs_wipe_str(char *s)
{
	if (s != NULL)
		OPENSSL_cleanse(s, strlen(s));
}

/*
 * Freeing.
 */

static void hs_strv_free(char ***v, size_t *n)
{
	size_t i;

	if (*v != NULL) {
		for (i = 0; i < *n; i++)
			free((*v)[i]);
		free(*v);
	}
	*v = NULL;
	*n = 0;
}

void hs_tokens_free(struct hs_tokens *t)
{
	hs_wipe_str(t->access_token);
	hs_wipe_str(t->refresh_token);
	free(t->access_token);
	free(t->refresh_token);
	free(t->token_type);
	free(t->token_use);
	hs_strv_free(&t->scopes, &t->nscopes);
	memset(t, 0, sizeof(*t));
}

void hs_introspection_free(struct hs_introspection *i)
{
	free(i->hub_domain);
	free(i->user);
	free(i->token_use);
	hs_strv_free(&i->scopes, &i->nscopes);
	memset(i, 0, sizeof(*i));
}

void hs_user_free(struct hs_user *u)
{
	free(u->id);
	free(u->email);
	free(u->role_id);
	hs_strv_free(&u->role_ids, &u->nrole_ids);
	memset(u, 0, sizeof(*u));
}

void hs_users_free(struct hs_users *u)
{
	size_t i;

	if (u->users != NULL) {
		for (i = 0; i < u->n; i++)
			hs_user_free(&u->users[i]);
		free(u->users);
	}
	free(u->next_after);
	memset(u, 0, sizeof(*u));
}

void hs_roles_free(struct hs_roles *r)
{
	size_t i;

	if (r->roles != NULL) {
		for (i = 0; i < r->nroles; i++) {
			free(r->roles[i].id);
			free(r->roles[i].name);
		}
		free(r->roles);
	}
	memset(r, 0, sizeof(*r));
}

void hs_property_free(struct hs_property *p)
{
	size_t j;

	free(p->name);
	free(p->label);
	free(p->type);
	free(p->field_type);
	free(p->group_name);
	free(p->description);
	for (j = 0; p->options != NULL && j < p->noptions; j++) {
		free(p->options[j].label);
		free(p->options[j].value);
		free(p->options[j].description);
	}
	free(p->options);
	free(p->json);
	memset(p, 0, sizeof(*p));
}

void hs_properties_free(struct hs_properties *p)
{
	size_t i;

	if (p->items != NULL) {
		for (i = 0; i < p->n; i++)
			hs_property_free(&p->items[i]);
		free(p->items);
	}
	memset(p, 0, sizeof(*p));
}

void hs_group_free(struct hs_group *g)
{
	free(g->name);
	free(g->label);
	free(g->json);
	memset(g, 0, sizeof(*g));
}

void hs_groups_free(struct hs_groups *g)
{
	size_t i;

	if (g->items != NULL) {
		for (i = 0; i < g->n; i++)
			hs_group_free(&g->items[i]);
		free(g->items);
	}
	memset(g, 0, sizeof(*g));
}

void hs_batch_result_free(struct hs_batch_result *r)
{
	free(r->items);
	memset(r, 0, sizeof(*r));
}

/*
 * JSON against a field table.
 */

enum hs_jtype {
	HS_JT_STRING,	 /* UTF-8 string without control characters, <= max bytes */
	HS_JT_TEXT,	 /* valid UTF-8 string, <= max bytes, kept cleaned
			  * (hs_json_text_clean) */
	HS_JT_TOKEN,	 /* 1..max visible ASCII characters */
	HS_JT_BOOL,	 /* true or false */
	HS_JT_POSINT,	 /* integer > 0 */
	HS_JT_NONNEGINT, /* integer >= 0 */
	HS_JT_INT32,	 /* integer from -2^31 to 2^31 - 1, into an int */
	HS_JT_IDNUM,	 /* integer > 0, or a string of 1..18 digits not all 0 */
	HS_JT_IDSTR,	 /* 1..max visible ASCII, or an integer >= 0 (as digits) */
	HS_JT_STRARRAY,	 /* array (<= max) of HS_JT_STRING (<= elem_max) */
	HS_JT_IDARRAY,	 /* array (<= max) of HS_JT_IDSTR (<= elem_max) */
	HS_JT_OBJARRAY,	 /* array (<= max) of objects, borrowed */
	HS_JT_OBJECT,	 /* an object, borrowed */
};

struct hs_field {
	const char *name;
	enum hs_jtype type;
	int required; /* HS_REQUIRED or HS_OPTIONAL */
	size_t max;   /* bytes for strings, elements for arrays; for integers the
		       * largest value accepted (0: up to 2^53 - 1) */
	size_t elem_max;
	union {
		char **str;
		long long *num;
		int *flag;
		int *i32;
		struct {
			char ***v;
			size_t *n;
		} arr;
		const cJSON **raw;
	} to;
};

enum hs_jres { HS_J_OK, HS_J_TYPE, HS_J_LONG, HS_J_RANGE, HS_J_NOMEM };

static const char *hs_jtype_desc(enum hs_jtype t)
{
	switch (t) {
	case HS_JT_STRING:
		return "a string without control characters";
	case HS_JT_TEXT:
		return "a utf-8 string";
	case HS_JT_TOKEN:
		return "a string of visible ascii characters";
	case HS_JT_BOOL:
		return "a boolean";
	case HS_JT_POSINT:
		return "a positive integer";
	case HS_JT_NONNEGINT:
		return "a non-negative integer";
	case HS_JT_INT32:
		return "a 32-bit integer";
	case HS_JT_IDNUM:
		return "a positive integer id";
	case HS_JT_IDSTR:
		return "an id";
	case HS_JT_STRARRAY:
		return "an array of strings";
	case HS_JT_IDARRAY:
		return "an array of ids";
	case HS_JT_OBJARRAY:
		return "an array of objects";
	case HS_JT_OBJECT:
		return "an object";
	}
	return "of another type";
}

/* An integral JSON number within [min, max], max 0 meaning 2^53 - 1. */
static enum hs_jres hs_json_int(const cJSON *it, double min, size_t max, long long *out)
{
	double d, hi = max != 0 ? (double)max : HS_JSON_INT_MAX;

	if (!cJSON_IsNumber(it))
		return HS_J_TYPE;
	d = it->valuedouble;
	if (!(d >= min && d <= hi && d <= HS_JSON_INT_MAX))
		return HS_J_RANGE;
	if ((double)(long long)d != d)
		return HS_J_TYPE;
	*out = (long long)d;
	return HS_J_OK;
}

static enum hs_jres hs_json_int32(const cJSON *it, int *out)
{
	double d;

	if (!cJSON_IsNumber(it))
		return HS_J_TYPE;
	d = it->valuedouble;
	if (!(d >= -2147483648.0 && d <= 2147483647.0))
		return HS_J_RANGE;
	if ((double)(long long)d != d)
		return HS_J_TYPE;
	*out = (int)d;
	return HS_J_OK;
}

/* Whether s is valid UTF-8 (control characters allowed). */
static int hs_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t k;

	while (*p != '\0') {
		k = hs_utf8_seq(p);
		if (k == 0)
			return 0;
		p += k;
	}
	return 1;
}

static int hs_utf8_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t k;

	while (*p != '\0') {
		if (*p < 0x20 || *p == 0x7f)
			return 0;
		k = hs_utf8_seq(p);
		if (k == 0)
			return 0;
		p += k;
	}
	return 1;
}

/*
 * A cleaned copy of text s in *dst (a new allocation): valid UTF-8 only;
 * tabs and line breaks become spaces, other control and format characters
 * are dropped (hs_copy_clean).
 */
static enum hs_jres hs_json_text_clean(const char *s, char **dst)
{
	size_t i, n = strlen(s);
	char *tmp;

	if (!hs_utf8_valid(s))
		return HS_J_TYPE;
	tmp = malloc(n + 1);
	*dst = malloc(n + 1);
	if (tmp == NULL || *dst == NULL) {
		free(tmp);
		return HS_J_NOMEM;
	}
	for (i = 0; i <= n; i++)
		tmp[i] = (s[i] == '\t' || s[i] == '\n' || s[i] == '\r') ? ' ' : s[i];
	hs_copy_clean(*dst, n + 1, tmp);
	free(tmp);
	return HS_J_OK;
}

/* Convert one string-valued item; *dst receives a new allocation. */
static enum hs_jres hs_json_str(const cJSON *it, enum hs_jtype t, size_t max, char **dst)
{
	char digits[32];
	const char *s;
	long long v;
	enum hs_jres r;

	if (t == HS_JT_IDSTR && cJSON_IsNumber(it)) {
		r = hs_json_int(it, 0, 0, &v);
		if (r != HS_J_OK)
			return r;
		snprintf(digits, sizeof(digits), "%lld", v);
		s = digits;
	} else {
		if (!cJSON_IsString(it) || it->valuestring == NULL)
			return HS_J_TYPE;
		s = it->valuestring;
	}
	if (strlen(s) > max)
		return HS_J_LONG;
	switch (t) {
	case HS_JT_TOKEN:
	case HS_JT_IDSTR:
		if (!httpc_visible_ascii(s, max))
			return HS_J_TYPE;
		break;
	case HS_JT_TEXT:
		return hs_json_text_clean(s, dst);
	default:
		if (!hs_utf8_clean(s))
			return HS_J_TYPE;
		break;
	}
	*dst = strdup(s);
	return *dst == NULL ? HS_J_NOMEM : HS_J_OK;
}

static enum hs_jres hs_json_idnum(const cJSON *it, long long *out)
{
	const char *s;
	long long v = 0;
	size_t i;

	if (cJSON_IsNumber(it))
		return hs_json_int(it, 1, 0, out);
	if (!cJSON_IsString(it) || !hs_digits(it->valuestring, 18))
		return HS_J_TYPE;
	s = it->valuestring;
	for (i = 0; s[i] != '\0'; i++)
		v = v * 10 + (s[i] - '0');
	if (v <= 0)
		return HS_J_RANGE;
	*out = v;
	return HS_J_OK;
}

static enum hs_jres hs_json_array(const cJSON *it, const struct hs_field *f)
{
	const cJSON *el;
	size_t count = 0;
	enum hs_jres r;

	if (!cJSON_IsArray(it))
		return HS_J_TYPE;
	cJSON_ArrayForEach(el, it)
	{
		if (f->type == HS_JT_OBJARRAY && !cJSON_IsObject(el))
			return HS_J_TYPE;
		if (++count > f->max)
			return HS_J_LONG;
	}
	if (f->type == HS_JT_OBJARRAY) {
		*f->to.raw = it;
		return HS_J_OK;
	}
	/* NULL-terminated as a convenience; filled one by one so that a
	 * failure half-way leaves something the _free() functions handle. */
	*f->to.arr.v = calloc(count + 1, sizeof(char *));
	if (*f->to.arr.v == NULL)
		return HS_J_NOMEM;
	cJSON_ArrayForEach(el, it)
	{
		char *s = NULL;

		r = hs_json_str(el, f->type == HS_JT_IDARRAY ? HS_JT_IDSTR : HS_JT_STRING,
				f->elem_max, &s);
		if (r != HS_J_OK)
			return r;
		(*f->to.arr.v)[(*f->to.arr.n)++] = s;
	}
	return HS_J_OK;
}

static enum hs_jres hs_json_value(const cJSON *it, const struct hs_field *f)
{
	switch (f->type) {
	case HS_JT_STRING:
	case HS_JT_TEXT:
	case HS_JT_TOKEN:
	case HS_JT_IDSTR:
		return hs_json_str(it, f->type, f->max, f->to.str);
	case HS_JT_BOOL:
		if (!cJSON_IsBool(it))
			return HS_J_TYPE;
		*f->to.flag = cJSON_IsTrue(it) ? 1 : 0;
		return HS_J_OK;
	case HS_JT_POSINT:
		return hs_json_int(it, 1, f->max, f->to.num);
	case HS_JT_NONNEGINT:
		return hs_json_int(it, 0, f->max, f->to.num);
	case HS_JT_INT32:
		return hs_json_int32(it, f->to.i32);
	case HS_JT_IDNUM:
		return hs_json_idnum(it, f->to.num);
	case HS_JT_STRARRAY:
	case HS_JT_IDARRAY:
	case HS_JT_OBJARRAY:
		return hs_json_array(it, f);
	case HS_JT_OBJECT:
		if (!cJSON_IsObject(it))
			return HS_J_TYPE;
		*f->to.raw = it;
		return HS_J_OK;
	}
	return HS_J_TYPE;
}

/*
 * Fill the targets of fields[0..n) from the members of obj.  where names the
 * object in messages ("" for the top level).  Returns HS_OK or the failure
 * (already in *err).  Targets filled before a failure stay for the caller's
 * _free().
 */
static enum hs_err hs_json_fields(const cJSON *obj, const struct hs_field *fields, size_t n,
				  const char *where, struct hs_error *err)
{
	unsigned char seen[HS_MAX_FIELDS] = {0};
	const cJSON *it;
	enum hs_jres r;
	size_t i;

	if (n > HS_MAX_FIELDS)
		return hs_fail(err, HS_ERR_CONFIG, "internal error: field table too large");
	if (!cJSON_IsObject(obj))
		return hs_fail(err, HS_ERR_MALFORMED, "%s must be a json object",
			       where[0] ? where : "answer");
	cJSON_ArrayForEach(it, obj)
	{
		for (i = 0; i < n; i++)
			if (it->string != NULL && strcmp(it->string, fields[i].name) == 0)
				break;
		if (i == n)
			continue; /* not ours */
		if (seen[i])
			return hs_fail(err, HS_ERR_MALFORMED, "field \"%s%s\" is duplicated", where,
				       fields[i].name);
		seen[i] = 1;
		if (cJSON_IsNull(it)) {
			seen[i] = 2; /* null: as if absent, but still counted as a duplicate */
			continue;
		}
		r = hs_json_value(it, &fields[i]);
		switch (r) {
		case HS_J_OK:
			break;
		case HS_J_TYPE:
			return hs_fail(err, HS_ERR_MALFORMED, "field \"%s%s\" must be %s", where,
				       fields[i].name, hs_jtype_desc(fields[i].type));
		case HS_J_LONG:
			return hs_fail(err, HS_ERR_MALFORMED, "field \"%s%s\" is too long", where,
				       fields[i].name);
		case HS_J_RANGE:
			return hs_fail(err, HS_ERR_MALFORMED, "field \"%s%s\" is out of range",
				       where, fields[i].name);
		case HS_J_NOMEM:
			return hs_fail(err, HS_ERR_TRANSIENT, "out of memory");
		}
	}
	for (i = 0; i < n; i++)
		if (fields[i].required && seen[i] != 1)
			return hs_fail(err, HS_ERR_MALFORMED, "field \"%s%s\" is missing", where,
				       fields[i].name);
	return HS_OK;
}

/* Wipe every string value of a tree (it may hold tokens); depth is bounded
 * by cJSON's nesting limit. */
static void hs_json_wipe(const cJSON *it)
{
	for (; it != NULL; it = it->next) {
		hs_wipe_str(it->valuestring);
		hs_json_wipe(it->child);
	}
}

static void hs_json_free(cJSON *root)
{
	hs_json_wipe(root);
	cJSON_Delete(root);
}

/* Parse body (at most max bytes) as one JSON object, with nothing but
 * whitespace after it. */
static enum hs_err hs_json_load(const char *body, size_t len, size_t max, cJSON **root,
				struct hs_error *err)
{
	const char *end = NULL;
	size_t i;

	*root = NULL;
	if (body == NULL || len == 0)
		return hs_fail(err, HS_ERR_MALFORMED, "empty answer");
	if (len > max)
		return hs_fail(err, HS_ERR_MALFORMED, "answer too large");
	if (memchr(body, '\0', len) != NULL)
		return hs_fail(err, HS_ERR_MALFORMED, "answer contains a nul byte");
	*root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	if (*root == NULL || end == NULL)
		return hs_fail(err, HS_ERR_MALFORMED, "answer is not valid json");
	for (i = (size_t)(end - body); i < len; i++) {
		if (body[i] != ' ' && body[i] != '\t' && body[i] != '\r' && body[i] != '\n')
			return hs_fail(err, HS_ERR_MALFORMED, "trailing data after json");
	}
	if (!cJSON_IsObject(*root))
		return hs_fail(err, HS_ERR_MALFORMED, "answer is not a json object");
	return HS_OK;
}

/*
 * Error answers.
 */

static int hs_in(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

static void hs_error_copy(const cJSON *root, const char *name, char *dst, size_t dstsz)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, name);

	if (cJSON_IsString(it) && it->valuestring != NULL)
		hs_copy_clean(dst, dstsz, it->valuestring);
}

enum hs_err hs_parse_error(long http_status, const char *body, size_t len, struct hs_error *err)
{
	static const char *const auth_status[] = {"BAD_REFRESH_TOKEN", "BAD_AUTH_CODE", NULL};
	static const char *const config_status[] = {"BAD_CLIENT_ID", "BAD_CLIENT_SECRET",
						    "BAD_REDIRECT_URI",
						    "MISMATCH_REDIRECT_URI_AUTH_CODE", NULL};
	static const char *const config_error[] = {"invalid_client", "unauthorized_client",
						   "unsupported_grant_type", NULL};
	struct hs_error scratch;
	cJSON *root = NULL;
	enum hs_err kind;

	hs_error_reset(err);
	err->http_status = http_status;

	/* HubSpot's fields, when the body is a JSON object; all optional. */
	if (body != NULL && len > 0 &&
	    hs_json_load(body, len, HS_BODY_MAX, &root, &scratch) == HS_OK) {
		hs_error_copy(root, "status", err->status, sizeof(err->status));
		hs_error_copy(root, "error", err->error, sizeof(err->error));
		hs_error_copy(root, "category", err->category, sizeof(err->category));
		hs_error_copy(root, "correlationId", err->correlation_id,
			      sizeof(err->correlation_id));
		hs_error_copy(root, "message", err->message, sizeof(err->message));
		if (err->message[0] == '\0')
			hs_error_copy(root, "error_description", err->message,
				      sizeof(err->message));
		hs_error_copy(root, "errorType", err->error_type, sizeof(err->error_type));
		hs_error_copy(root, "policyName", err->policy_name, sizeof(err->policy_name));
	}
	hs_json_free(root);

	if (http_status == 400 || http_status == 401) {
		if (hs_in(err->status, auth_status))
			kind = HS_ERR_AUTH;
		else if (hs_in(err->status, config_status) || hs_in(err->error, config_error))
			kind = HS_ERR_CONFIG;
		else if (strcmp(err->error, "invalid_grant") == 0 || http_status == 401)
			kind = HS_ERR_AUTH;
		else
			kind = HS_ERR_MALFORMED;
	} else if (http_status == 403) {
		kind = HS_ERR_PERMISSION;
	} else if (http_status == 408 || http_status == 429 ||
		   (http_status >= 500 && http_status <= 599)) {
		kind = HS_ERR_TRANSIENT;
	} else {
		kind = HS_ERR_MALFORMED;
	}
	err->kind = kind;
	if (err->message[0] == '\0')
		snprintf(err->message, sizeof(err->message), "http status %ld", http_status);
	return kind;
}

/*
 * Success answers.
 */

#define HS_NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

enum hs_err hs_parse_tokens(long http_status, const char *body, size_t len, struct hs_tokens *out,
			    struct hs_error *err)
{
	const struct hs_field fields[] = {
	    {.name = "access_token",
	     .type = HS_JT_TOKEN,
	     .required = HS_REQUIRED,
	     .max = HS_TOKEN_MAX,
	     .to.str = &out->access_token},
	    {.name = "refresh_token",
	     .type = HS_JT_TOKEN,
	     .required = HS_OPTIONAL,
	     .max = HS_TOKEN_MAX,
	     .to.str = &out->refresh_token},
	    {.name = "token_type",
	     .type = HS_JT_TOKEN,
	     .required = HS_REQUIRED,
	     .max = HS_SHORT_MAX,
	     .to.str = &out->token_type},
	    {.name = "token_use",
	     .type = HS_JT_STRING,
	     .required = HS_OPTIONAL,
	     .max = HS_SHORT_MAX,
	     .to.str = &out->token_use},
	    {.name = "expires_in",
	     .type = HS_JT_POSINT,
	     .required = HS_REQUIRED,
	     .max = HS_EXPIRES_MAX,
	     .to.num = &out->expires_in},
	    {.name = "hub_id",
	     .type = HS_JT_POSINT,
	     .required = HS_REQUIRED,
	     .to.num = &out->hub_id},
	    {.name = "user_id",
	     .type = HS_JT_IDNUM,
	     .required = HS_OPTIONAL,
	     .to.num = &out->user_id},
	    {.name = "scopes",
	     .type = HS_JT_STRARRAY,
	     .required = HS_OPTIONAL,
	     .max = HS_SCOPES_MAX,
	     .elem_max = HS_SCOPE_MAX,
	     .to.arr = {&out->scopes, &out->nscopes}},
	};
	enum hs_err result;
	cJSON *root = NULL;

	memset(out, 0, sizeof(*out));
	hs_error_reset(err);
	if (http_status != 200) {
		result = hs_parse_error(http_status, body, len, err);
		goto out;
	}
	err->http_status = http_status;
	result = hs_json_load(body, len, HS_BODY_MAX, &root, err);
	if (result != HS_OK)
		goto out;
	result = hs_json_fields(root, fields, HS_NFIELDS(fields), "", err);
	if (result != HS_OK)
		goto out;
	if (!hs_ascii_caseeq(out->token_type, "bearer")) {
		result = hs_fail(err, HS_ERR_MALFORMED, "field \"token_type\" must be bearer");
		goto out;
	}
out:
	hs_json_free(root);
	if (result != HS_OK)
		hs_tokens_free(out);
	err->kind = result;
	return result;
}

enum hs_err hs_parse_introspection(long http_status, const char *body, size_t len,
				   struct hs_introspection *out, struct hs_error *err)
{
	const struct hs_field fields[] = {
	    {.name = "active",
	     .type = HS_JT_BOOL,
	     .required = HS_REQUIRED,
	     .to.flag = &out->active},
	    {.name = "hub_id",
	     .type = HS_JT_POSINT,
	     .required = HS_OPTIONAL,
	     .to.num = &out->hub_id},
	    {.name = "hub_domain",
	     .type = HS_JT_STRING,
	     .required = HS_OPTIONAL,
	     .max = HS_TEXT_MAX,
	     .to.str = &out->hub_domain},
	    {.name = "user",
	     .type = HS_JT_STRING,
	     .required = HS_OPTIONAL,
	     .max = HS_TEXT_MAX,
	     .to.str = &out->user},
	    {.name = "user_id",
	     .type = HS_JT_IDNUM,
	     .required = HS_OPTIONAL,
	     .to.num = &out->user_id},
	    {.name = "scopes",
	     .type = HS_JT_STRARRAY,
	     .required = HS_OPTIONAL,
	     .max = HS_SCOPES_MAX,
	     .elem_max = HS_SCOPE_MAX,
	     .to.arr = {&out->scopes, &out->nscopes}},
	    {.name = "app_id",
	     .type = HS_JT_IDNUM,
	     .required = HS_OPTIONAL,
	     .to.num = &out->app_id},
	    {.name = "expires_in",
	     .type = HS_JT_NONNEGINT,
	     .required = HS_OPTIONAL,
	     .to.num = &out->expires_in},
	    {.name = "token_use",
	     .type = HS_JT_STRING,
	     .required = HS_OPTIONAL,
	     .max = HS_SHORT_MAX,
	     .to.str = &out->token_use},
	};
	enum hs_err result;
	cJSON *root = NULL;

	memset(out, 0, sizeof(*out));
	hs_error_reset(err);
	if (http_status != 200) {
		result = hs_parse_error(http_status, body, len, err);
		goto out;
	}
	err->http_status = http_status;
	result = hs_json_load(body, len, HS_BODY_MAX, &root, err);
	if (result != HS_OK)
		goto out;
	result = hs_json_fields(root, fields, HS_NFIELDS(fields), "", err);
	if (result != HS_OK)
		goto out;
	if (!out->active) {
		/* Nothing about an inactive token is worth keeping. */
		hs_introspection_free(out);
		goto out;
	}
	if (out->hub_id == 0) {
		result = hs_fail(err, HS_ERR_MALFORMED, "field \"hub_id\" is missing");
		goto out;
	}
out:
	hs_json_free(root);
	if (result != HS_OK)
		hs_introspection_free(out);
	err->kind = result;
	return result;
}

static int hs_strp_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* HS_OK when the n names (each non-NULL; the results' field field) are all
 * different.  Sorts names. */
static enum hs_err hs_names_unique(const char **names, size_t n, const char *field,
				   struct hs_error *err)
{
	size_t i;

	qsort(names, n, sizeof(*names), hs_strp_cmp);
	for (i = 1; i < n; i++)
		if (strcmp(names[i - 1], names[i]) == 0)
			return hs_fail(err, HS_ERR_MALFORMED,
				       "field \"results[].%s\" is duplicated", field);
	return HS_OK;
}

/* One user object (where is "" alone, "results[i]." in a list). */
static enum hs_err hs_parse_user_object(const cJSON *obj, const char *where, struct hs_user *u,
					struct hs_error *err)
{
	const struct hs_field fields[] = {
	    {.name = "id",
	     .type = HS_JT_IDSTR,
	     .required = HS_REQUIRED,
	     .max = HS_SHORT_MAX,
	     .to.str = &u->id},
	    {.name = "email",
	     .type = HS_JT_STRING,
	     .required = HS_REQUIRED,
	     .max = HS_TEXT_MAX,
	     .to.str = &u->email},
	    {.name = "roleId",
	     .type = HS_JT_IDSTR,
	     .required = HS_OPTIONAL,
	     .max = HS_SHORT_MAX,
	     .to.str = &u->role_id},
	    {.name = "roleIds",
	     .type = HS_JT_IDARRAY,
	     .required = HS_OPTIONAL,
	     .max = HS_ROLE_IDS_MAX,
	     .elem_max = HS_SHORT_MAX,
	     .to.arr = {&u->role_ids, &u->nrole_ids}},
	    {.name = "superAdmin",
	     .type = HS_JT_BOOL,
	     .required = HS_OPTIONAL,
	     .to.flag = &u->super_admin},
	};

	return hs_json_fields(obj, fields, HS_NFIELDS(fields), where, err);
}

enum hs_err hs_parse_user(long http_status, const char *body, size_t len, struct hs_user *out,
			  struct hs_error *err)
{
	enum hs_err result;
	cJSON *root = NULL;

	memset(out, 0, sizeof(*out));
	hs_error_reset(err);
	if (http_status != 200) {
		result = hs_parse_error(http_status, body, len, err);
		if (http_status == 404)
			result = err->kind = HS_ERR_PERMISSION;
		goto out;
	}
	err->http_status = http_status;
	result = hs_json_load(body, len, HS_BODY_MAX, &root, err);
	if (result != HS_OK)
		goto out;
	result = hs_parse_user_object(root, "", out, err);
out:
	hs_json_free(root);
	if (result != HS_OK)
		hs_user_free(out);
	err->kind = result;
	return result;
}

enum hs_err hs_parse_roles(long http_status, const char *body, size_t len, struct hs_roles *out,
			   struct hs_error *err)
{
	const cJSON *results = NULL, *item;
	const struct hs_field top[] = {
	    {.name = "results",
	     .type = HS_JT_OBJARRAY,
	     .required = HS_REQUIRED,
	     .max = HS_ROLES_MAX,
	     .to.raw = &results},
	};
	enum hs_err result;
	cJSON *root = NULL;
	char where[32];
	size_t n;

	memset(out, 0, sizeof(*out));
	hs_error_reset(err);
	if (http_status != 200) {
		result = hs_parse_error(http_status, body, len, err);
		goto out;
	}
	err->http_status = http_status;
	result = hs_json_load(body, len, HS_BODY_MAX, &root, err);
	if (result != HS_OK)
		goto out;
	result = hs_json_fields(root, top, HS_NFIELDS(top), "", err);
	if (result != HS_OK)
		goto out;
	n = (size_t)cJSON_GetArraySize(results);
	out->roles = calloc(n + 1, sizeof(*out->roles));
	if (out->roles == NULL) {
		result = hs_fail(err, HS_ERR_TRANSIENT, "out of memory");
		goto out;
	}
	cJSON_ArrayForEach(item, results)
	{
		struct hs_role *role = &out->roles[out->nroles++];
		const struct hs_field fields[] = {
		    {.name = "id",
		     .type = HS_JT_IDSTR,
		     .required = HS_REQUIRED,
		     .max = HS_SHORT_MAX,
		     .to.str = &role->id},
		    {.name = "name",
		     .type = HS_JT_STRING,
		     .required = HS_REQUIRED,
		     .max = HS_TEXT_MAX,
		     .to.str = &role->name},
		    {.name = "requiresBillingWrite",
		     .type = HS_JT_BOOL,
		     .required = HS_OPTIONAL,
		     .to.flag = &role->requires_billing_write},
		};

		snprintf(where, sizeof(where), "results[%zu].", out->nroles - 1);
		result = hs_json_fields(item, fields, HS_NFIELDS(fields), where, err);
		if (result != HS_OK)
			goto out;
	}
out:
	hs_json_free(root);
	if (result != HS_OK)
		hs_roles_free(out);
	err->kind = result;
	return result;
}

enum hs_err hs_parse_users(long http_status, const char *body, size_t len, struct hs_users *out,
			   struct hs_error *err)
{
	const cJSON *results = NULL, *paging = NULL, *next = NULL, *item;
	const struct hs_field top[] = {
	    {.name = "results",
	     .type = HS_JT_OBJARRAY,
	     .required = HS_REQUIRED,
	     .max = HS_USERS_PAGE_MAX,
	     .to.raw = &results},
	    {.name = "paging", .type = HS_JT_OBJECT, .required = HS_OPTIONAL, .to.raw = &paging},
	};
	const struct hs_field paging_fields[] = {
	    {.name = "next", .type = HS_JT_OBJECT, .required = HS_OPTIONAL, .to.raw = &next},
	};
	const struct hs_field next_fields[] = {
	    {.name = "after",
	     .type = HS_JT_TOKEN,
	     .required = HS_REQUIRED,
	     .max = HS_AFTER_MAX,
	     .to.str = &out->next_after},
	};
	const char **ids = NULL;
	enum hs_err result;
	cJSON *root = NULL;
	char where[32];
	size_t n, i;

	memset(out, 0, sizeof(*out));
	hs_error_reset(err);
	if (http_status != 200) {
		result = hs_parse_error(http_status, body, len, err);
		goto out;
	}
	err->http_status = http_status;
	result = hs_json_load(body, len, HS_BODY_MAX, &root, err);
	if (result != HS_OK)
		goto out;
	result = hs_json_fields(root, top, HS_NFIELDS(top), "", err);
	if (result != HS_OK)
		goto out;
	/* no paging, or paging without next: the last page */
	if (paging != NULL) {
		result = hs_json_fields(paging, paging_fields, HS_NFIELDS(paging_fields), "paging.",
					err);
		if (result != HS_OK)
			goto out;
	}
	if (next != NULL) {
		result =
		    hs_json_fields(next, next_fields, HS_NFIELDS(next_fields), "paging.next.", err);
		if (result != HS_OK)
			goto out;
	}
	n = (size_t)cJSON_GetArraySize(results);
	out->users = calloc(n + 1, sizeof(*out->users));
	ids = calloc(n + 1, sizeof(*ids));
	if (out->users == NULL || ids == NULL) {
		result = hs_fail(err, HS_ERR_TRANSIENT, "out of memory");
		goto out;
	}
	cJSON_ArrayForEach(item, results)
	{
		struct hs_user *u = &out->users[out->n++];

		snprintf(where, sizeof(where), "results[%zu].", out->n - 1);
		result = hs_parse_user_object(item, where, u, err);
		if (result != HS_OK)
			goto out;
	}
	for (i = 0; i < out->n; i++)
		ids[i] = out->users[i].id;
	result = hs_names_unique(ids, out->n, "id", err);
out:
	free(ids);
	hs_json_free(root);
	if (result != HS_OK)
		hs_users_free(out);
	err->kind = result;
	return result;
}

/*
 * CRM properties and property groups.
 */

/*
 * The whole object it (where is "results[i]." in a list, "" alone) as
 * compact JSON text in *dst, a copy the caller frees with free().  It must
 * be valid UTF-8: it goes to jsonb.
 */
static enum hs_err hs_json_text(const cJSON *it, const char *where, char **dst,
				struct hs_error *err)
{
	size_t wl = strlen(where);
	char *s;

	s = cJSON_PrintUnformatted(it);
	if (s == NULL)
		return hs_fail(err, HS_ERR_TRANSIENT, "out of memory");
	if (!hs_utf8_valid(s)) {
		cJSON_free(s);
		if (wl > 0 && where[wl - 1] == '.')
			wl--;
		if (wl == 0)
			return hs_fail(err, HS_ERR_MALFORMED, "object is not valid utf-8");
		return hs_fail(err, HS_ERR_MALFORMED, "\"%.*s\" is not valid utf-8", (int)wl,
			       where);
	}
	/* our own copy: cJSON's allocator may be a request arena */
	*dst = strdup(s);
	cJSON_free(s);
	if (*dst == NULL)
		return hs_fail(err, HS_ERR_TRANSIENT, "out of memory");
	return HS_OK;
}

/*
 * The first steps of every "results" answer: a 200 status (else
 * hs_parse_error()), a JSON object of at most body_max bytes, and a
 * REQUIRED "results" array of at most max objects, borrowed from *root
 * (which the caller frees with hs_json_free(), whatever the result).
 */
static enum hs_err hs_results_load(long http_status, const char *body, size_t len, size_t body_max,
				   size_t max, cJSON **root, const cJSON **results,
				   struct hs_error *err)
{
	const struct hs_field top[] = {
	    {.name = "results",
	     .type = HS_JT_OBJARRAY,
	     .required = HS_REQUIRED,
	     .max = max,
	     .to.raw = results},
	};
	enum hs_err result;

	*root = NULL;
	if (http_status != 200)
		return hs_parse_error(http_status, body, len, err);
	err->http_status = http_status;
	result = hs_json_load(body, len, body_max, root, err);
	if (result != HS_OK)
		return result;
	return hs_json_fields(*root, top, HS_NFIELDS(top), "", err);
}

/* One option of a property; where is "results[i].options[j]." */
static enum hs_err hs_parse_option(const cJSON *it, struct hs_property_option *o, const char *where,
				   struct hs_error *err)
{
	const struct hs_field fields[] = {
	    {.name = "label",
	     .type = HS_JT_TEXT,
	     .required = HS_REQUIRED,
	     .max = HS_PROP_TEXT_MAX,
	     .to.str = &o->label},
	    {.name = "value",
	     .type = HS_JT_STRING,
	     .required = HS_REQUIRED,
	     .max = HS_PROP_TEXT_MAX,
	     .to.str = &o->value},
	    {.name = "description",
	     .type = HS_JT_TEXT,
	     .required = HS_OPTIONAL,
	     .max = HS_PROP_TEXT_MAX,
	     .to.str = &o->description},
	    {.name = "displayOrder",
	     .type = HS_JT_INT32,
	     .required = HS_OPTIONAL,
	     .to.i32 = &o->display_order},
	    {.name = "hidden", .type = HS_JT_BOOL, .required = HS_OPTIONAL, .to.flag = &o->hidden},
	};

	o->display_order = -1;
	return hs_json_fields(it, fields, HS_NFIELDS(fields), where, err);
}

/* One property: where is "results[i]." in a list, "" alone. */
static enum hs_err hs_parse_property(const cJSON *it, const char *where, struct hs_property *p,
				     struct hs_error *err)
{
	const cJSON *options = NULL, *o;
	const struct hs_field fields[] = {
	    {.name = "name",
	     .type = HS_JT_TOKEN,
	     .required = HS_REQUIRED,
	     .max = HS_PROP_NAME_MAX,
	     .to.str = &p->name},
	    {.name = "label",
	     .type = HS_JT_TEXT,
	     .required = HS_REQUIRED,
	     .max = HS_PROP_TEXT_MAX,
	     .to.str = &p->label},
	    {.name = "type",
	     .type = HS_JT_TOKEN,
	     .required = HS_REQUIRED,
	     .max = HS_SHORT_MAX,
	     .to.str = &p->type},
	    {.name = "fieldType",
	     .type = HS_JT_TOKEN,
	     .required = HS_REQUIRED,
	     .max = HS_SHORT_MAX,
	     .to.str = &p->field_type},
	    {.name = "groupName",
	     .type = HS_JT_TOKEN,
	     .required = HS_OPTIONAL,
	     .max = HS_PROP_NAME_MAX,
	     .to.str = &p->group_name},
	    {.name = "description",
	     .type = HS_JT_TEXT,
	     .required = HS_OPTIONAL,
	     .max = HS_PROP_TEXT_MAX,
	     .to.str = &p->description},
	    {.name = "hubspotDefined",
	     .type = HS_JT_BOOL,
	     .required = HS_OPTIONAL,
	     .to.flag = &p->hubspot_defined},
	    {.name = "archived",
	     .type = HS_JT_BOOL,
	     .required = HS_OPTIONAL,
	     .to.flag = &p->archived},
	    {.name = "hidden", .type = HS_JT_BOOL, .required = HS_OPTIONAL, .to.flag = &p->hidden},
	    {.name = "displayOrder",
	     .type = HS_JT_INT32,
	     .required = HS_OPTIONAL,
	     .to.i32 = &p->display_order},
	    {.name = "options",
	     .type = HS_JT_OBJARRAY,
	     .required = HS_OPTIONAL,
	     .max = HS_OPTIONS_MAX,
	     .to.raw = &options},
	};
	enum hs_err result;
	char owhere[64];
	size_t n;

	p->display_order = -1;
	result = hs_json_fields(it, fields, HS_NFIELDS(fields), where, err);
	if (result != HS_OK)
		return result;
	n = options != NULL ? (size_t)cJSON_GetArraySize(options) : 0;
	if (n > 0) {
		p->options = calloc(n, sizeof(*p->options));
		if (p->options == NULL)
			return hs_fail(err, HS_ERR_TRANSIENT, "out of memory");
		cJSON_ArrayForEach(o, options)
		{
			struct hs_property_option *opt = &p->options[p->noptions++];

			snprintf(owhere, sizeof(owhere), "%soptions[%zu].", where, p->noptions - 1);
			result = hs_parse_option(o, opt, owhere, err);
			if (result != HS_OK)
				return result;
		}
	}
	return hs_json_text(it, where, &p->json, err);
}

/* One property group: where as for hs_parse_property(). */
static enum hs_err hs_parse_group(const cJSON *it, const char *where, struct hs_group *g,
				  struct hs_error *err)
{
	const struct hs_field fields[] = {
	    {.name = "name",
	     .type = HS_JT_TOKEN,
	     .required = HS_REQUIRED,
	     .max = HS_PROP_NAME_MAX,
	     .to.str = &g->name},
	    {.name = "label",
	     .type = HS_JT_TEXT,
	     .required = HS_REQUIRED,
	     .max = HS_PROP_TEXT_MAX,
	     .to.str = &g->label},
	    {.name = "displayOrder",
	     .type = HS_JT_INT32,
	     .required = HS_OPTIONAL,
	     .to.i32 = &g->display_order},
	    {.name = "archived",
	     .type = HS_JT_BOOL,
	     .required = HS_OPTIONAL,
	     .to.flag = &g->archived},
	};
	enum hs_err result;

	g->display_order = -1;
	result = hs_json_fields(it, fields, HS_NFIELDS(fields), where, err);
	if (result != HS_OK)
		return result;
	return hs_json_text(it, where, &g->json, err);
}

enum hs_err hs_parse_properties(long http_status, const char *body, size_t len,
				struct hs_properties *out, struct hs_error *err)
{
	const cJSON *results = NULL, *item;
	const char **names = NULL;
	enum hs_err result;
	cJSON *root = NULL;
	char where[32];
	size_t n, i;

	memset(out, 0, sizeof(*out));
	hs_error_reset(err);
	result = hs_results_load(http_status, body, len, HS_PROPERTIES_BODY_MAX, HS_PROPERTIES_MAX,
				 &root, &results, err);
	if (result != HS_OK)
		goto out;
	n = (size_t)cJSON_GetArraySize(results);
	out->items = calloc(n + 1, sizeof(*out->items));
	names = calloc(n + 1, sizeof(*names));
	if (out->items == NULL || names == NULL) {
		result = hs_fail(err, HS_ERR_TRANSIENT, "out of memory");
		goto out;
	}
	cJSON_ArrayForEach(item, results)
	{
		struct hs_property *p = &out->items[out->n++];

		snprintf(where, sizeof(where), "results[%zu].", out->n - 1);
		result = hs_parse_property(item, where, p, err);
		if (result != HS_OK)
			goto out;
	}
	for (i = 0; i < out->n; i++)
		names[i] = out->items[i].name;
	result = hs_names_unique(names, out->n, "name", err);
out:
	free(names);
	hs_json_free(root);
	if (result != HS_OK)
		hs_properties_free(out);
	err->kind = result;
	return result;
}

enum hs_err hs_parse_groups(long http_status, const char *body, size_t len, struct hs_groups *out,
			    struct hs_error *err)
{
	const cJSON *results = NULL, *item;
	const char **names = NULL;
	enum hs_err result;
	cJSON *root = NULL;
	char where[32];
	size_t n, i;

	memset(out, 0, sizeof(*out));
	hs_error_reset(err);
	result = hs_results_load(http_status, body, len, HS_BODY_MAX, HS_GROUPS_MAX, &root,
				 &results, err);
	if (result != HS_OK)
		goto out;
	n = (size_t)cJSON_GetArraySize(results);
	out->items = calloc(n + 1, sizeof(*out->items));
	names = calloc(n + 1, sizeof(*names));
	if (out->items == NULL || names == NULL) {
		result = hs_fail(err, HS_ERR_TRANSIENT, "out of memory");
		goto out;
	}
	cJSON_ArrayForEach(item, results)
	{
		struct hs_group *g = &out->items[out->n++];

		snprintf(where, sizeof(where), "results[%zu].", out->n - 1);
		result = hs_parse_group(item, where, g, err);
		if (result != HS_OK)
			goto out;
	}
	for (i = 0; i < out->n; i++)
		names[i] = out->items[i].name;
	result = hs_names_unique(names, out->n, "name", err);
out:
	free(names);
	hs_json_free(root);
	if (result != HS_OK)
		hs_groups_free(out);
	err->kind = result;
	return result;
}

/*
 * One property or group object: an asset's stored definition.
 */

/* Load json as one object and parse it as a property into *p; *root is
 * kept for the caller, who frees it with hs_json_free() whatever the result. */
static enum hs_err hs_property_load(const char *json, size_t len, cJSON **root,
				    struct hs_property *p, struct hs_error *err)
{
	enum hs_err result;

	result = hs_json_load(json, len, HS_PROPERTIES_BODY_MAX, root, err);
	if (result != HS_OK)
		return result;
	return hs_parse_property(*root, "", p, err);
}

enum hs_err hs_parse_property_json(const char *json, size_t len, struct hs_property *out,
				   struct hs_error *err)
{
	enum hs_err result;
	cJSON *root = NULL;

	memset(out, 0, sizeof(*out));
	hs_error_reset(err);
	result = hs_property_load(json, len, &root, out, err);
	hs_json_free(root);
	if (result != HS_OK)
		hs_property_free(out);
	err->kind = result;
	return result;
}

enum hs_err hs_parse_group_json(const char *json, size_t len, struct hs_group *out,
				struct hs_error *err)
{
	enum hs_err result;
	cJSON *root = NULL;

	memset(out, 0, sizeof(*out));
	hs_error_reset(err);
	result = hs_json_load(json, len, HS_PROPERTIES_BODY_MAX, &root, err);
	if (result == HS_OK)
		result = hs_parse_group(root, "", out, err);
	hs_json_free(root);
	if (result != HS_OK)
		hs_group_free(out);
	err->kind = result;
	return result;
}

/*
 * PropertyCreate inputs, from the 2026-03 schema of create a batch of
 * properties
 * (https://developers.hubspot.com/docs/api-reference/2026-03/crm/properties/batch/create-properties):
 * the fields a create takes, in the order they are written, with the JSON
 * type each must have.  name, label, type, fieldType, groupName,
 * description, displayOrder, hidden and options are already checked by
 * hs_parse_property().  Every other field of a property (hubspotDefined,
 * calculated, createdAt, updatedAt, archived, modificationMetadata,
 * createdUserId ...) is read-only and is never sent.
 */
enum hs_ctype { HS_CT_STRING, HS_CT_BOOL, HS_CT_INT, HS_CT_OPTIONS };

static const struct {
	const char *name;
	enum hs_ctype type;
} hs_create_fields[] = {
    {"name", HS_CT_STRING},
    {"label", HS_CT_STRING},
    {"type", HS_CT_STRING},
    {"fieldType", HS_CT_STRING},
    {"groupName", HS_CT_STRING},
    {"description", HS_CT_STRING},
    {"displayOrder", HS_CT_INT},
    {"hidden", HS_CT_BOOL},
    {"formField", HS_CT_BOOL},
    {"hasUniqueValue", HS_CT_BOOL},
    {"options", HS_CT_OPTIONS},
    {"calculationFormula", HS_CT_STRING},
    {"referencedObjectType", HS_CT_STRING},
    {"externalOptions", HS_CT_BOOL},
    {"showCurrencySymbol", HS_CT_BOOL},
    {"numberDisplayHint", HS_CT_STRING},
    {"currencyPropertyName", HS_CT_STRING},
    {"dataSensitivity", HS_CT_STRING},
};

/*
 * The member name of obj in *it (NULL when absent or null).  -1 when it is
 * there more than once.
 */
static int hs_member(const cJSON *obj, const char *name, const cJSON **it)
{
	const cJSON *m;
	int seen = 0;

	*it = NULL;
	cJSON_ArrayForEach(m, obj)
	{
		if (m->string == NULL || strcmp(m->string, name) != 0)
			continue;
		if (seen++)
			return -1;
		if (!cJSON_IsNull(m))
			*it = m;
	}
	return 0;
}

/* Add a copy of it to obj as name; 0 or -1 (out of memory). */
static int hs_add_copy(cJSON *obj, const char *name, const cJSON *it)
{
	cJSON *c = cJSON_Duplicate(it, 1);

	if (c == NULL)
		return -1;
	if (!cJSON_AddItemToObject(obj, name, c)) {
		cJSON_Delete(c);
		return -1;
	}
	return 0;
}

/* Add an option list as OptionInputs (options was checked by
 * hs_parse_property()): displayOrder defaults to the position, hidden to
 * false, as both are required there. */
static int hs_add_option_inputs(cJSON *obj, const cJSON *options)
{
	const cJSON *o, *it;
	cJSON *arr, *in;
	size_t pos = 0;

	arr = cJSON_AddArrayToObject(obj, "options");
	if (arr == NULL)
		return -1;
	cJSON_ArrayForEach(o, options)
	{
		in = cJSON_CreateObject();
		if (in == NULL)
			return -1;
		if (!cJSON_AddItemToArray(arr, in)) {
			cJSON_Delete(in);
			return -1;
		}
		hs_member(o, "label", &it);
		if (hs_add_copy(in, "label", it) < 0)
			return -1;
		hs_member(o, "value", &it);
		if (hs_add_copy(in, "value", it) < 0)
			return -1;
		hs_member(o, "description", &it);
		if (it != NULL && hs_add_copy(in, "description", it) < 0)
			return -1;
		hs_member(o, "displayOrder", &it);
		if (it != NULL ? hs_add_copy(in, "displayOrder", it) < 0
			       : cJSON_AddNumberToObject(in, "displayOrder", (double)pos) == NULL)
			return -1;
		hs_member(o, "hidden", &it);
		if (it != NULL ? hs_add_copy(in, "hidden", it) < 0
			       : cJSON_AddFalseToObject(in, "hidden") == NULL)
			return -1;
		pos++;
	}
	return 0;
}

/*
 * The PropertyCreate input for definition (len bytes) in *obj (a new cJSON
 * object, the caller's to free with cJSON_Delete()), and its name copied to
 * name (HS_PROP_NAME_MAX + 1 bytes).
 */
static enum hs_err hs_create_input(const char *definition, size_t len, cJSON **obj, char *name,
				   struct hs_error *err)
{
	struct hs_property p;
	const cJSON *it;
	cJSON *root = NULL;
	enum hs_err result;
	size_t i;
	int ok;

	*obj = NULL;
	memset(&p, 0, sizeof(p));
	result = hs_property_load(definition, len, &root, &p, err);
	if (result != HS_OK)
		goto out;
	if (p.group_name == NULL) {
		result = hs_fail(err, HS_ERR_MALFORMED, "field \"groupName\" is missing");
		goto out;
	}
	*obj = cJSON_CreateObject();
	if (*obj == NULL) {
		result = hs_fail(err, HS_ERR_TRANSIENT, "out of memory");
		goto out;
	}
	for (i = 0; i < HS_NFIELDS(hs_create_fields); i++) {
		const char *f = hs_create_fields[i].name;

		if (hs_member(root, f, &it) < 0) {
			result = hs_fail(err, HS_ERR_MALFORMED, "field \"%s\" is duplicated", f);
			goto out;
		}
		if (it == NULL)
			continue;
		switch (hs_create_fields[i].type) {
		case HS_CT_STRING:
			ok = cJSON_IsString(it);
			break;
		case HS_CT_BOOL:
			ok = cJSON_IsBool(it);
			break;
		default:
			ok = 1; /* displayOrder and options: hs_parse_property() */
			break;
		}
		if (!ok) {
			result = hs_fail(err, HS_ERR_MALFORMED, "field \"%s\" must be %s", f,
					 hs_create_fields[i].type == HS_CT_BOOL ? "a boolean"
										: "a string");
			goto out;
		}
		if (hs_create_fields[i].type == HS_CT_OPTIONS ? hs_add_option_inputs(*obj, it) < 0
							      : hs_add_copy(*obj, f, it) < 0) {
			result = hs_fail(err, HS_ERR_TRANSIENT, "out of memory");
			goto out;
		}
	}
	snprintf(name, HS_PROP_NAME_MAX + 1, "%s", p.name);
out:
	hs_json_free(root);
	hs_property_free(&p);
	if (result != HS_OK) {
		cJSON_Delete(*obj);
		*obj = NULL;
	}
	return result;
}

enum hs_err hs_property_create_input(const char *definition, size_t len, struct buf *out,
				     struct hs_error *err)
{
	char name[HS_PROP_NAME_MAX + 1];
	enum hs_err result;
	cJSON *obj = NULL;
	char *s = NULL;

	hs_error_reset(err);
	result = hs_create_input(definition, len, &obj, name, err);
	if (result != HS_OK)
		goto out;
	s = cJSON_PrintUnformatted(obj);
	if (s == NULL) {
		result = hs_fail(err, HS_ERR_TRANSIENT, "out of memory");
		goto out;
	}
	if (buf_puts(out, s) < 0) {
		result = out->overflow ? hs_fail(err, HS_ERR_CONFIG, "output buffer too small")
				       : hs_fail(err, HS_ERR_TRANSIENT, "out of memory");
		goto out;
	}
out:
	cJSON_free(s);
	cJSON_Delete(obj);
	err->kind = result;
	return result;
}

/*
 * Batch create answers.
 */

/* The string member name of obj, or NULL. */
static const char *hs_member_str(const cJSON *obj, const char *name)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

/*
 * An item's message from a StandardError e: its message, then ": " and the
 * message of the first of its errors (ErrorDetail) when that says
 * something else.
 */
static void hs_batch_message(const cJSON *e, struct hs_batch_item *item)
{
	const char *msg = hs_member_str(e, "message");
	const cJSON *sub = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(e, "errors"), 0);
	const char *detail = cJSON_IsObject(sub) ? hs_member_str(sub, "message") : NULL;
	size_t n;

	hs_copy_clean(item->category, sizeof(item->category), hs_member_str(e, "category"));
	if (msg == NULL && detail == NULL) {
		snprintf(item->message, sizeof(item->message), "HubSpot gave no reason");
		return;
	}
	hs_copy_clean(item->message, sizeof(item->message), msg != NULL ? msg : detail);
	if (msg == NULL || detail == NULL || strcmp(msg, detail) == 0)
		return;
	n = strlen(item->message);
	if (n + 3 >= sizeof(item->message))
		return;
	memcpy(item->message + n, ": ", 3);
	hs_copy_clean(item->message + n + 2, sizeof(item->message) - n - 2, detail);
}

/* Give error e to the input named name, unless it was created or already
 * has an error. */
static void hs_batch_fail(struct hs_batch_result *out, const char *const *names, const char *name,
			  const cJSON *e)
{
	size_t i;

	for (i = 0; i < out->n; i++) {
		struct hs_batch_item *item = &out->items[i];

		if (strcmp(names[i], name) == 0 && !item->ok && item->message[0] == '\0')
			hs_batch_message(e, item);
	}
}

/* The names an error's context gives: "name", "names" or "propertyName",
 * each a string or an array of strings. */
static void hs_batch_error(struct hs_batch_result *out, const char *const *names, const cJSON *e)
{
	static const char *const keys[] = {"name", "names", "propertyName"};
	const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(e, "context"), *v, *el;
	size_t k;

	if (!cJSON_IsObject(ctx))
		return;
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		v = cJSON_GetObjectItemCaseSensitive(ctx, keys[k]);
		if (cJSON_IsString(v))
			hs_batch_fail(out, names, v->valuestring, e);
		if (!cJSON_IsArray(v))
			continue;
		cJSON_ArrayForEach(el, v)
		{
			if (cJSON_IsString(el))
				hs_batch_fail(out, names, el->valuestring, e);
		}
	}
}

enum hs_err hs_parse_batch_create(long http_status, const char *body, size_t len,
				  const char *const *names, size_t n, struct hs_batch_result *out,
				  struct hs_error *err)
{
	const cJSON *results = NULL, *errors = NULL, *it;
	const struct hs_field top[] = {
	    {.name = "results",
	     .type = HS_JT_OBJARRAY,
	     .required = HS_OPTIONAL,
	     .max = HS_BATCH_MAX,
	     .to.raw = &results},
	    {.name = "errors",
	     .type = HS_JT_OBJARRAY,
	     .required = HS_OPTIONAL,
	     .max = HS_BATCH_MAX,
	     .to.raw = &errors},
	};
	enum hs_err result = HS_OK;
	cJSON *root = NULL;
	const char *name;
	size_t i;

	memset(out, 0, sizeof(*out));
	hs_error_reset(err);
	if (http_status != 201 && http_status != 207) {
		result = hs_parse_error(http_status, body, len, err);
		goto out;
	}
	err->http_status = http_status;
	if (n > HS_BATCH_MAX || (n > 0 && names == NULL)) {
		result = hs_fail(err, HS_ERR_CONFIG, "invalid input names argument");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (names[i] == NULL) {
			result = hs_fail(err, HS_ERR_CONFIG, "invalid input names argument");
			goto out;
		}
	}
	out->items = calloc(n + 1, sizeof(*out->items));
	if (out->items == NULL) {
		result = hs_fail(err, HS_ERR_TRANSIENT, "out of memory");
		goto out;
	}
	out->n = n;
	for (i = 0; i < n; i++) {
		hs_copy_clean(out->items[i].name, sizeof(out->items[i].name), names[i]);
		out->items[i].ok = http_status == 201;
	}
	if (http_status == 201)
		goto out; /* every input created */

	result = hs_json_load(body, len, HS_PROPERTIES_BODY_MAX, &root, err);
	if (result != HS_OK)
		goto out;
	result = hs_json_fields(root, top, HS_NFIELDS(top), "", err);
	if (result != HS_OK)
		goto out;
	hs_error_copy(root, "correlationId", out->correlation_id, sizeof(out->correlation_id));
	cJSON_ArrayForEach(it, results)
	{
		name = hs_member_str(it, "name");
		for (i = 0; name != NULL && i < n; i++)
			if (strcmp(names[i], name) == 0)
				out->items[i].ok = 1;
	}
	cJSON_ArrayForEach(it, errors)
	{
		hs_batch_error(out, names, it);
	}
	for (i = 0; i < n; i++) {
		struct hs_batch_item *item = &out->items[i];

		if (!item->ok && item->message[0] == '\0')
			snprintf(item->message, sizeof(item->message),
				 "HubSpot's answer did not mention this property");
	}
out:
	hs_json_free(root);
	if (result != HS_OK)
		hs_batch_result_free(out);
	err->kind = result;
	return result;
}

/*
 * Admin check.
 */

/* Whether name is exactly one of the comma-separated items of list. */
static int hs_name_listed(const char *name, const char *list)
{
	size_t nlen = strlen(name);
	const char *p = list, *start, *end;

	while (*p != '\0') {
		start = p;
		while (*p != '\0' && *p != ',')
			p++;
		end = p;
		while (start < end && (*start == ' ' || *start == '\t'))
			start++;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (end > start && (size_t)(end - start) == nlen && memcmp(start, name, nlen) == 0)
			return 1;
		if (*p == ',')
			p++;
	}
	return 0;
}

static int hs_role_is_admin(const char *role_id, const struct hs_roles *r, const char *names)
{
	size_t i;

	if (role_id == NULL || r == NULL || r->roles == NULL)
		return 0;
	for (i = 0; i < r->nroles; i++) {
		const struct hs_role *role = &r->roles[i];

		if (role->id != NULL && role->name != NULL && strcmp(role->id, role_id) == 0 &&
		    hs_name_listed(role->name, names))
			return 1;
	}
	return 0;
}

int hs_user_is_admin(const struct hs_user *u, const struct hs_roles *r,
		     const char *admin_role_names)
{
	size_t i;

	if (u == NULL)
		return 0;
	if (u->super_admin)
		return 1;
	if (admin_role_names == NULL)
		return 0;
	for (i = 0; u->role_ids != NULL && i < u->nrole_ids; i++)
		if (hs_role_is_admin(u->role_ids[i], r, admin_role_names))
			return 1;
	return hs_role_is_admin(u->role_id, r, admin_role_names);
}

/*
 * Network calls.
 */

/* url = api_base (without trailing '/') + path + tail, checked. */
static enum hs_err hs_url(const struct hs_config *cfg, const char *path, const char *tail,
			  struct buf *url, struct hs_error *err)
{
	size_t n;

	if (cfg == NULL || cfg->api_base == NULL)
		return hs_fail(err, HS_ERR_CONFIG, "api base not set");
	n = strlen(cfg->api_base);
	if (n == 0 || n > HS_BASE_MAX || strchr(cfg->api_base, '?') != NULL)
		return hs_fail(err, HS_ERR_CONFIG, "api base url not allowed");
	while (n > 0 && cfg->api_base[n - 1] == '/')
		n--;
	if (buf_append(url, cfg->api_base, n) < 0 || buf_puts(url, path) < 0 ||
	    (tail != NULL && buf_puts(url, tail) < 0))
		return hs_fail(err, HS_ERR_TRANSIENT, "out of memory");
	if (!httpc_url_allowed(buf_str(url)))
		return hs_fail(err, HS_ERR_CONFIG, "api base url not allowed");
	return HS_OK;
}

static enum hs_err hs_check_client(const struct hs_config *cfg, struct hs_error *err)
{
	if (!httpc_visible_ascii(cfg->client_id, HS_ARG_MAX) ||
	    !httpc_visible_ascii(cfg->client_secret, HS_ARG_MAX))
		return hs_fail(err, HS_ERR_CONFIG, "client id or secret not set or invalid");
	return HS_OK;
}

static int hs_hint_ok(const char *hint)
{
	return hint == NULL || strcmp(hint, "access_token") == 0 ||
	       strcmp(hint, "refresh_token") == 0;
}

/* Whether a Content-Type is application/json (any parameters). */
static int hs_is_json(const char *ct)
{
	static const char want[] = "application/json";
	size_t i;

	if (ct == NULL)
		return 0;
	for (i = 0; want[i] != '\0'; i++)
		if (hs_ascii_lower((unsigned char)ct[i]) != want[i])
			return 0;
	return ct[i] == '\0' || ct[i] == ';' || ct[i] == ' ';
}

/* What a request that brought no usable answer (he, not HTTPC_OK) is:
 * *err filled, its kind returned. */
static enum hs_err hs_transfer_fail(enum httpc_err he, const struct httpc_resp *resp,
				    struct hs_error *err)
{
	enum hs_err kind;

	switch (he) {
	case HTTPC_OK:
		return HS_OK;
	case HTTPC_ERR_TOO_LARGE:
		/* An oversized error page (a 503, say) keeps its status's kind. */
		kind = HS_ERR_MALFORMED;
		if (resp->status != 0 && (resp->status < 200 || resp->status > 299)) {
			kind = hs_parse_error(resp->status, NULL, 0, err);
			return hs_fail(err, kind, "%s", httpc_strerror(he));
		}
		break;
	case HTTPC_ERR_URL:
	case HTTPC_ERR_ARG:
	case HTTPC_ERR_SETUP:
	case HTTPC_ERR_TLS:
		kind = HS_ERR_CONFIG;
		break;
	default:
		kind = HS_ERR_TRANSIENT;
		break;
	}
	if (resp->curl_code != 0)
		return hs_fail(err, kind, "%s (%s)", httpc_strerror(he),
			       curl_easy_strerror((CURLcode)resp->curl_code));
	return hs_fail(err, kind, "%s", httpc_strerror(he));
}

/* Run one request (a GET's body capped at max_body, 0 for the client's
 * cap); HS_OK when an HTTP answer is in *resp. */
static enum hs_err hs_send(struct httpc *client, const char *url, const char *const *form,
			   const char *bearer, size_t max_body, struct httpc_resp *resp,
			   struct hs_error *err)
{
	enum httpc_err he;

	if (client == NULL)
		return hs_fail(err, HS_ERR_CONFIG, "no http client");
	if (form != NULL)
		he = httpc_post_form(client, url, form, resp);
	else
		he = httpc_get_bearer_max(client, url, bearer, max_body, resp);
	return hs_transfer_fail(he, resp, err);
}

/* The success answer (ok_status) of a JSON endpoint must say it is JSON. */
static enum hs_err hs_check_json_status(const struct httpc_resp *resp, long ok_status,
					struct hs_error *err)
{
	if (resp->status == ok_status && !hs_is_json(resp->content_type)) {
		err->http_status = resp->status;
		return hs_fail(err, HS_ERR_MALFORMED, "answer is not application/json");
	}
	return HS_OK;
}

/* The 200 answer of a JSON endpoint must say it is JSON. */
static enum hs_err hs_check_json(const struct httpc_resp *resp, struct hs_error *err)
{
	return hs_check_json_status(resp, 200, err);
}

#define HS_FORM_PAIRS 3 /* name/value pairs a call adds to the client's */

/*
 * POST {base}path with a form of the client's id and secret followed by
 * pairs (name, value, ..., NULL: at most HS_FORM_PAIRS; a NULL name ends it
 * early, so an optional pair goes last).  In order: the URL, the client and
 * the arguments are checked (args_ok 0, or a value that is not visible
 * ASCII, is HS_ERR_CONFIG with args_msg), then the request is sent.
 * HS_OK when an HTTP answer is in *resp (the caller frees it).
 */
static enum hs_err hs_post_client(struct httpc *client, const struct hs_config *cfg,
				  const char *path, const char *const *pairs, int args_ok,
				  const char *args_msg, struct httpc_resp *resp,
				  struct hs_error *err)
{
	const char *form[4 + 2 * HS_FORM_PAIRS + 1];
	struct buf url;
	enum hs_err result;
	size_t n = 0, i;

	buf_init(&url, HTTPC_URL_MAX);
	result = hs_url(cfg, path, NULL, &url, err);
	if (result != HS_OK)
		goto out;
	result = hs_check_client(cfg, err);
	if (result != HS_OK)
		goto out;
	form[n++] = "client_id";
	form[n++] = cfg->client_id;
	form[n++] = "client_secret";
	form[n++] = cfg->client_secret;
	for (i = 0; pairs[i] != NULL; i += 2) {
		if (i >= 2 * HS_FORM_PAIRS) {
			result = hs_fail(err, HS_ERR_CONFIG, "internal error: form too large");
			goto out;
		}
		if (!httpc_visible_ascii(pairs[i + 1], HS_ARG_MAX))
			args_ok = 0;
		form[n++] = pairs[i];
		form[n++] = pairs[i + 1];
	}
	form[n] = NULL;
	if (!args_ok) {
		result = hs_fail(err, HS_ERR_CONFIG, "%s", args_msg);
		goto out;
	}
	result = hs_send(client, buf_str(&url), form, NULL, 0, resp, err);
out:
	buf_free(&url);
	return result;
}

/* The token endpoint with the grant in pairs (see hs_post_client()). */
static enum hs_err hs_token_grant(struct httpc *client, const struct hs_config *cfg,
				  const char *const *pairs, const char *args_msg,
				  struct hs_tokens *out, struct hs_error *err)
{
	struct httpc_resp resp;
	enum hs_err result;

	memset(out, 0, sizeof(*out));
	hs_error_reset(err);
	memset(&resp, 0, sizeof(resp));
	result = hs_post_client(client, cfg, HS_PATH_TOKEN, pairs, 1, args_msg, &resp, err);
	if (result != HS_OK)
		goto out;
	result = hs_check_json(&resp, err);
	if (result != HS_OK)
		goto out;
	result = hs_parse_tokens(resp.status, resp.body.data, resp.body.len, out, err);
out:
	hs_error_keep(err, &resp);
	httpc_resp_free(&resp);
	return result;
}

enum hs_err hs_exchange_code(struct httpc *client, const struct hs_config *cfg, const char *code,
			     const char *redirect_uri, struct hs_tokens *out, struct hs_error *err)
{
	const char *const pairs[] = {
	    "grant_type", "authorization_code", "redirect_uri", redirect_uri, "code", code, NULL};

	return hs_token_grant(client, cfg, pairs, "invalid code or redirect uri", out, err);
}

enum hs_err hs_refresh(struct httpc *client, const struct hs_config *cfg, const char *refresh_token,
		       struct hs_tokens *out, struct hs_error *err)
{
	const char *const pairs[] = {"grant_type", "refresh_token", "refresh_token", refresh_token,
				     NULL};

	return hs_token_grant(client, cfg, pairs, "invalid refresh token argument", out, err);
}

/* Shared by introspect and revoke: token and the optional hint. */
static enum hs_err hs_token_call(struct httpc *client, const struct hs_config *cfg,
				 const char *path, const char *token, const char *hint,
				 struct httpc_resp *resp, struct hs_error *err)
{
	const char *const pairs[] = {"token", token, hint != NULL ? "token_type_hint" : NULL, hint,
				     NULL};

	return hs_post_client(client, cfg, path, pairs, hs_hint_ok(hint),
			      "invalid token or token type hint argument", resp, err);
}

enum hs_err hs_introspect(struct httpc *client, const struct hs_config *cfg, const char *token,
			  const char *token_type_hint, struct hs_introspection *out,
			  struct hs_error *err)
{
	struct httpc_resp resp;
	enum hs_err result;

	memset(out, 0, sizeof(*out));
	hs_error_reset(err);
	memset(&resp, 0, sizeof(resp));
	result = hs_token_call(client, cfg, HS_PATH_INTROSPECT, token, token_type_hint, &resp, err);
	if (result != HS_OK)
		goto out;
	result = hs_check_json(&resp, err);
	if (result != HS_OK)
		goto out;
	result = hs_parse_introspection(resp.status, resp.body.data, resp.body.len, out, err);
out:
	hs_error_keep(err, &resp);
	httpc_resp_free(&resp);
	return result;
}

enum hs_err hs_revoke(struct httpc *client, const struct hs_config *cfg, const char *token,
		      const char *token_type_hint, struct hs_error *err)
{
	struct httpc_resp resp;
	enum hs_err result;

	hs_error_reset(err);
	memset(&resp, 0, sizeof(resp));
	result = hs_token_call(client, cfg, HS_PATH_REVOKE, token, token_type_hint, &resp, err);
	if (result != HS_OK)
		goto out;
	if (resp.status == 200 || resp.status == 204) {
		err->http_status = resp.status;
		result = HS_OK;
		goto out;
	}
	result = hs_parse_error(resp.status, resp.body.data, resp.body.len, err);
out:
	err->kind = result;
	hs_error_keep(err, &resp);
	httpc_resp_free(&resp);
	return result;
}

/*
 * GET {base}path tail with Bearer access_token, after checking the token
 * and the URL; the body capped at max_body (0: the client's cap); a 200
 * answer must be JSON.  HS_OK when an HTTP answer is in *resp (the caller
 * frees it).
 */
static enum hs_err hs_get_json(struct httpc *client, const struct hs_config *cfg, const char *path,
			       const char *tail, const char *access_token, size_t max_body,
			       struct httpc_resp *resp, struct hs_error *err)
{
	struct buf url;
	enum hs_err result;

	buf_init(&url, HTTPC_URL_MAX);
	if (!httpc_visible_ascii(access_token, HS_ARG_MAX)) {
		result = hs_fail(err, HS_ERR_CONFIG, "invalid access token argument");
		goto out;
	}
	result = hs_url(cfg, path, tail, &url, err);
	if (result != HS_OK)
		goto out;
	result = hs_send(client, buf_str(&url), NULL, access_token, max_body, resp, err);
	if (result != HS_OK)
		goto out;
	result = hs_check_json(resp, err);
out:
	buf_free(&url);
	return result;
}

enum hs_err hs_get_user(struct httpc *client, const struct hs_config *cfg, const char *access_token,
			const char *user_id, struct hs_user *out, struct hs_error *err)
{
	struct httpc_resp resp;
	enum hs_err result;

	memset(out, 0, sizeof(*out));
	hs_error_reset(err);
	memset(&resp, 0, sizeof(resp));
	/* Digits only before it becomes part of the path. */
	if (!hs_digits(user_id, HS_USER_ID_DIGITS)) {
		result = hs_fail(err, HS_ERR_CONFIG, "invalid user id argument");
		goto out;
	}
	result = hs_get_json(client, cfg, HS_PATH_USERS, user_id, access_token, 0, &resp, err);
	if (result != HS_OK)
		goto out;
	result = hs_parse_user(resp.status, resp.body.data, resp.body.len, out, err);
	if (result != HS_OK)
		goto out;
	if (strcmp(out->id, user_id) != 0) {
		hs_user_free(out);
		result = hs_fail(err, HS_ERR_MALFORMED, "user id in answer does not match");
		goto out;
	}
out:
	hs_error_keep(err, &resp);
	httpc_resp_free(&resp);
	return result;
}

enum hs_err hs_get_roles(struct httpc *client, const struct hs_config *cfg,
			 const char *access_token, struct hs_roles *out, struct hs_error *err)
{
	struct httpc_resp resp;
	enum hs_err result;

	memset(out, 0, sizeof(*out));
	hs_error_reset(err);
	memset(&resp, 0, sizeof(resp));
	result = hs_get_json(client, cfg, HS_PATH_ROLES, NULL, access_token, 0, &resp, err);
	if (result != HS_OK)
		goto out;
	result = hs_parse_roles(resp.status, resp.body.data, resp.body.len, out, err);
out:
	hs_error_keep(err, &resp);
	httpc_resp_free(&resp);
	return result;
}

/* Append s to b, percent-encoding all but [A-Za-z0-9_~-]: no '/', '?',
 * '#', '&', '%' or '.' of s reaches a path or a query as itself. */
static int hs_put_escaped(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '~') {
			if (buf_putc(b, (char)*p) < 0)
				return -1;
		} else if (buf_putc(b, '%') < 0 || buf_putc(b, hex[*p >> 4]) < 0 ||
			   buf_putc(b, hex[*p & 15]) < 0) {
			return -1;
		}
	}
	return 0;
}

enum hs_err hs_list_users(struct httpc *client, const struct hs_config *cfg,
			  const char *access_token, const char *after, int limit,
			  struct hs_users *out, struct hs_error *err)
{
	struct httpc_resp resp;
	enum hs_err result;
	struct buf query;

	memset(out, 0, sizeof(*out));
	hs_error_reset(err);
	memset(&resp, 0, sizeof(resp));
	buf_init(&query, HTTPC_URL_MAX);
	if (limit < 1 || limit > HS_USERS_PAGE_MAX) {
		result = hs_fail(err, HS_ERR_CONFIG, "invalid limit argument");
		goto out;
	}
	/* visible ASCII, then percent-encoded, before it becomes part of the query */
	if (after != NULL && !httpc_visible_ascii(after, HS_AFTER_MAX)) {
		result = hs_fail(err, HS_ERR_CONFIG, "invalid after argument");
		goto out;
	}
	if (buf_printf(&query, "?limit=%d", limit) < 0 ||
	    (after != NULL &&
	     (buf_puts(&query, "&after=") < 0 || hs_put_escaped(&query, after) < 0))) {
		result = hs_fail(err, HS_ERR_TRANSIENT, "out of memory");
		goto out;
	}
	result = hs_get_json(client, cfg, HS_PATH_USER_LIST, buf_str(&query), access_token, 0,
			     &resp, err);
	if (result != HS_OK)
		goto out;
	result = hs_parse_users(resp.status, resp.body.data, resp.body.len, out, err);
	if (result != HS_OK)
		goto out;
	if (after != NULL && out->next_after != NULL && strcmp(out->next_after, after) == 0) {
		hs_users_free(out);
		result = hs_fail(err, HS_ERR_MALFORMED, "paging cursor did not advance");
		goto out;
	}
out:
	hs_error_keep(err, &resp);
	httpc_resp_free(&resp);
	buf_free(&query);
	return result;
}

static const char *const hs_object_types[] = {"contacts", "companies", "deals", "tickets", NULL};

int hs_object_type_ok(const char *s)
{
	return s != NULL && hs_in(s, hs_object_types);
}

enum hs_err hs_get_properties(struct httpc *client, const struct hs_config *cfg,
			      const char *access_token, const char *object_type,
			      struct hs_properties *out, struct hs_error *err)
{
	struct httpc_resp resp;
	enum hs_err result;

	memset(out, 0, sizeof(*out));
	hs_error_reset(err);
	memset(&resp, 0, sizeof(resp));
	/* one of four fixed words before it becomes part of the path */
	if (!hs_object_type_ok(object_type)) {
		result = hs_fail(err, HS_ERR_CONFIG, "invalid object type argument");
		goto out;
	}
	result = hs_get_json(client, cfg, HS_PATH_PROPERTIES, object_type, access_token,
			     HS_PROPERTIES_BODY_MAX, &resp, err);
	if (result != HS_OK)
		goto out;
	result = hs_parse_properties(resp.status, resp.body.data, resp.body.len, out, err);
out:
	hs_error_keep(err, &resp);
	httpc_resp_free(&resp);
	return result;
}

enum hs_err hs_get_groups(struct httpc *client, const struct hs_config *cfg,
			  const char *access_token, const char *object_type, struct hs_groups *out,
			  struct hs_error *err)
{
	struct httpc_resp resp;
	enum hs_err result;
	char tail[32];

	memset(out, 0, sizeof(*out));
	hs_error_reset(err);
	memset(&resp, 0, sizeof(resp));
	if (!hs_object_type_ok(object_type)) {
		result = hs_fail(err, HS_ERR_CONFIG, "invalid object type argument");
		goto out;
	}
	snprintf(tail, sizeof(tail), "%s/groups", object_type);
	result = hs_get_json(client, cfg, HS_PATH_PROPERTIES, tail, access_token, 0, &resp, err);
	if (result != HS_OK)
		goto out;
	result = hs_parse_groups(resp.status, resp.body.data, resp.body.len, out, err);
out:
	hs_error_keep(err, &resp);
	httpc_resp_free(&resp);
	return result;
}

/*
 * CRM writes.
 */

/* Whether name may be a property or group name in a path: what the parsers
 * accept as one (HS_JT_TOKEN), but never a dot segment. */
static int hs_name_ok(const char *name)
{
	return httpc_visible_ascii(name, HS_PROP_NAME_MAX) && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0;
}

/* Whether s is valid UTF-8 of min..HS_PROP_TEXT_MAX bytes. */
static int hs_text_ok(const char *s, size_t min)
{
	size_t n;

	if (s == NULL)
		return 0;
	n = strlen(s);
	return n >= min && n <= HS_PROP_TEXT_MAX && hs_utf8_valid(s);
}

/* Append object_type, then "/" and each of the NULL-terminated segments,
 * percent-encoding all but [A-Za-z0-9_~-]: no '/', '?', '#', '%' or '.' of
 * a name reaches the path as itself. */
static int hs_tail(struct buf *b, const char *object_type, const char *const *segs)
{
	size_t i;

	if (buf_puts(b, object_type) < 0)
		return -1;
	for (i = 0; segs[i] != NULL; i++)
		if (buf_putc(b, '/') < 0 || hs_put_escaped(b, segs[i]) < 0)
			return -1;
	return 0;
}

/*
 * Send body as JSON with method to {base}/crm/properties/2026-03/ tail
 * (hs_tail() of object_type and segs) with Bearer access_token, after
 * checking the token, object_type and the URL; the answer's body capped at
 * max_body (0: the client's cap).  HS_OK when an HTTP answer is in *resp
 * (the caller frees it).
 */
static enum hs_err hs_send_json(struct httpc *client, const struct hs_config *cfg,
				enum httpc_method method, const char *access_token,
				const char *object_type, const char *const *segs, const cJSON *body,
				size_t max_body, struct httpc_resp *resp, struct hs_error *err)
{
	struct buf url, tail;
	enum hs_err result;
	char *text = NULL;

	buf_init(&url, HTTPC_URL_MAX);
	buf_init(&tail, HTTPC_URL_MAX);
	if (!httpc_visible_ascii(access_token, HS_ARG_MAX)) {
		result = hs_fail(err, HS_ERR_CONFIG, "invalid access token argument");
		goto out;
	}
	/* one of four fixed words before it becomes part of the path */
	if (!hs_object_type_ok(object_type)) {
		result = hs_fail(err, HS_ERR_CONFIG, "invalid object type argument");
		goto out;
	}
	if (hs_tail(&tail, object_type, segs) < 0) {
		result = hs_fail(err, HS_ERR_CONFIG, "api url too long");
		goto out;
	}
	result = hs_url(cfg, HS_PATH_PROPERTIES, buf_str(&tail), &url, err);
	if (result != HS_OK)
		goto out;
	if (client == NULL) {
		result = hs_fail(err, HS_ERR_CONFIG, "no http client");
		goto out;
	}
	text = cJSON_PrintUnformatted(body);
	if (text == NULL) {
		result = hs_fail(err, HS_ERR_TRANSIENT, "out of memory");
		goto out;
	}
	result =
	    hs_transfer_fail(httpc_send_json_bearer(client, method, buf_str(&url), access_token,
						    text, strlen(text), max_body, resp),
			     resp, err);
out:
	cJSON_free(text);
	buf_free(&tail);
	buf_free(&url);
	return result;
}

/* A write's answer: HS_OK when its status is ok_status (its body is not
 * read), else hs_parse_error()'s. */
static enum hs_err hs_write_status(const struct httpc_resp *resp, long ok_status,
				   struct hs_error *err)
{
	if (resp->status != ok_status)
		return hs_parse_error(resp->status, resp->body.data, resp->body.len, err);
	err->http_status = resp->status;
	return HS_OK;
}

enum hs_err hs_create_properties(struct httpc *client, const struct hs_config *cfg,
				 const char *access_token, const char *object_type,
				 const char *const *definitions, size_t n,
				 struct hs_batch_result *out, struct hs_error *err)
{
	static const char *const segs[] = {"batch", "create", NULL};
	char(*names)[HS_PROP_NAME_MAX + 1] = NULL;
	const char *namev[HS_BATCH_MAX];
	char msg[sizeof(err->message)];
	struct httpc_resp resp;
	cJSON *body = NULL, *inputs, *in;
	enum hs_err result = HS_OK;
	size_t i, j;

	memset(out, 0, sizeof(*out));
	hs_error_reset(err);
	memset(&resp, 0, sizeof(resp));
	if (!hs_object_type_ok(object_type)) {
		result = hs_fail(err, HS_ERR_CONFIG, "invalid object type argument");
		goto out;
	}
	if (definitions == NULL || n == 0 || n > HS_BATCH_MAX) {
		result =
		    hs_fail(err, HS_ERR_CONFIG, "a batch holds 1 to %d definitions", HS_BATCH_MAX);
		goto out;
	}
	names = calloc(n, sizeof(*names));
	body = cJSON_CreateObject();
	inputs = cJSON_AddArrayToObject(body, "inputs");
	if (names == NULL || inputs == NULL) {
		result = hs_fail(err, HS_ERR_TRANSIENT, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (definitions[i] == NULL) {
			result = hs_fail(err, HS_ERR_CONFIG, "definitions[%zu] is missing", i);
			goto out;
		}
		result =
		    hs_create_input(definitions[i], strlen(definitions[i]), &in, names[i], err);
		if (result != HS_OK) {
			memcpy(msg, err->message, sizeof(msg));
			result = hs_fail(
			    err, result == HS_ERR_TRANSIENT ? HS_ERR_TRANSIENT : HS_ERR_CONFIG,
			    "definitions[%zu]: %.200s", i, msg);
			goto out;
		}
		if (!cJSON_AddItemToArray(inputs, in)) {
			cJSON_Delete(in);
			result = hs_fail(err, HS_ERR_TRANSIENT, "out of memory");
			goto out;
		}
		namev[i] = names[i];
		for (j = 0; j < i; j++) {
			if (strcmp(names[j], names[i]) == 0) {
				result =
				    hs_fail(err, HS_ERR_CONFIG,
					    "definitions[%zu] and [%zu] have the same name", j, i);
				goto out;
			}
		}
	}
	result = hs_send_json(client, cfg, HTTPC_POST, access_token, object_type, segs, body,
			      HS_PROPERTIES_BODY_MAX, &resp, err);
	if (result != HS_OK)
		goto out;
	result = hs_check_json_status(&resp, 207, err);
	if (result != HS_OK)
		goto out;
	result =
	    hs_parse_batch_create(resp.status, resp.body.data, resp.body.len, namev, n, out, err);
out:
	hs_error_keep(err, &resp);
	if (result == HS_OK && out->correlation_id[0] == '\0')
		memcpy(out->correlation_id, err->correlation_id, sizeof(out->correlation_id));
	httpc_resp_free(&resp);
	cJSON_Delete(body);
	free(names);
	err->kind = result;
	return result;
}

enum hs_err hs_create_group(struct httpc *client, const struct hs_config *cfg,
			    const char *access_token, const char *object_type, const char *name,
			    const char *label, int display_order, struct hs_error *err)
{
	static const char *const segs[] = {"groups", NULL};
	struct httpc_resp resp;
	enum hs_err result;
	cJSON *body = NULL;

	hs_error_reset(err);
	memset(&resp, 0, sizeof(resp));
	if (!hs_name_ok(name)) {
		result = hs_fail(err, HS_ERR_CONFIG, "invalid group name argument");
		goto out;
	}
	if (!hs_text_ok(label, 1)) {
		result = hs_fail(err, HS_ERR_CONFIG, "invalid group label argument");
		goto out;
	}
	body = cJSON_CreateObject();
	if (body == NULL || cJSON_AddStringToObject(body, "name", name) == NULL ||
	    cJSON_AddStringToObject(body, "label", label) == NULL ||
	    (display_order >= 0 &&
	     cJSON_AddNumberToObject(body, "displayOrder", display_order) == NULL)) {
		result = hs_fail(err, HS_ERR_TRANSIENT, "out of memory");
		goto out;
	}
	result = hs_send_json(client, cfg, HTTPC_POST, access_token, object_type, segs, body, 0,
			      &resp, err);
	if (result != HS_OK)
		goto out;
	result = hs_write_status(&resp, 201, err);
out:
	hs_error_keep(err, &resp);
	httpc_resp_free(&resp);
	cJSON_Delete(body);
	err->kind = result;
	return result;
}

enum hs_err hs_update_group(struct httpc *client, const struct hs_config *cfg,
			    const char *access_token, const char *object_type, const char *name,
			    const char *label, struct hs_error *err)
{
	const char *const segs[] = {"groups", name, NULL};
	struct httpc_resp resp;
	enum hs_err result;
	cJSON *body = NULL;

	hs_error_reset(err);
	memset(&resp, 0, sizeof(resp));
	if (!hs_name_ok(name)) {
		result = hs_fail(err, HS_ERR_CONFIG, "invalid group name argument");
		goto out;
	}
	if (!hs_text_ok(label, 1)) {
		result = hs_fail(err, HS_ERR_CONFIG, "invalid group label argument");
		goto out;
	}
	body = cJSON_CreateObject();
	if (body == NULL || cJSON_AddStringToObject(body, "label", label) == NULL) {
		result = hs_fail(err, HS_ERR_TRANSIENT, "out of memory");
		goto out;
	}
	result = hs_send_json(client, cfg, HTTPC_PATCH, access_token, object_type, segs, body, 0,
			      &resp, err);
	if (result != HS_OK)
		goto out;
	result = hs_write_status(&resp, 200, err);
out:
	hs_error_keep(err, &resp);
	httpc_resp_free(&resp);
	cJSON_Delete(body);
	err->kind = result;
	return result;
}

/* The PropertyUpdate body of *u in *body (a new object); HS_OK or
 * HS_ERR_CONFIG (an argument) / HS_ERR_TRANSIENT (out of memory). */
static enum hs_err hs_update_body(const struct hs_property_update *u, cJSON **body,
				  struct hs_error *err)
{
	cJSON *arr, *o;
	size_t i;

	*body = NULL;
	if (u == NULL || (u->label == NULL && u->description == NULL && u->group_name == NULL &&
			  !u->send_options))
		return hs_fail(err, HS_ERR_CONFIG, "no property field to update");
	if ((u->label != NULL && !hs_text_ok(u->label, 1)) ||
	    (u->description != NULL && !hs_text_ok(u->description, 0)) ||
	    (u->group_name != NULL && !httpc_visible_ascii(u->group_name, HS_PROP_NAME_MAX)))
		return hs_fail(err, HS_ERR_CONFIG, "invalid property field argument");
	if (u->send_options &&
	    (u->noptions > HS_OPTIONS_MAX || (u->noptions > 0 && u->options == NULL)))
		return hs_fail(err, HS_ERR_CONFIG, "invalid property options argument");
	for (i = 0; u->send_options && i < u->noptions; i++) {
		const struct hs_property_option *opt = &u->options[i];

		if (!hs_text_ok(opt->label, 0) || !hs_text_ok(opt->value, 0) ||
		    (opt->description != NULL && !hs_text_ok(opt->description, 0)))
			return hs_fail(err, HS_ERR_CONFIG, "invalid property option %zu argument",
				       i);
	}
	*body = cJSON_CreateObject();
	if (*body == NULL ||
	    (u->label != NULL && cJSON_AddStringToObject(*body, "label", u->label) == NULL) ||
	    (u->description != NULL &&
	     cJSON_AddStringToObject(*body, "description", u->description) == NULL) ||
	    (u->group_name != NULL &&
	     cJSON_AddStringToObject(*body, "groupName", u->group_name) == NULL))
		goto nomem;
	if (!u->send_options)
		return HS_OK;
	arr = cJSON_AddArrayToObject(*body, "options");
	if (arr == NULL)
		goto nomem;
	for (i = 0; i < u->noptions; i++) {
		const struct hs_property_option *opt = &u->options[i];
		double order = opt->display_order < 0 ? (double)i : (double)opt->display_order;

		o = cJSON_CreateObject();
		if (o == NULL)
			goto nomem;
		if (!cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			goto nomem;
		}
		if (cJSON_AddStringToObject(o, "label", opt->label) == NULL ||
		    cJSON_AddStringToObject(o, "value", opt->value) == NULL ||
		    (opt->description != NULL &&
		     cJSON_AddStringToObject(o, "description", opt->description) == NULL) ||
		    cJSON_AddNumberToObject(o, "displayOrder", order) == NULL ||
		    cJSON_AddBoolToObject(o, "hidden", opt->hidden != 0) == NULL)
			goto nomem;
	}
	return HS_OK;
nomem:
	cJSON_Delete(*body);
	*body = NULL;
	return hs_fail(err, HS_ERR_TRANSIENT, "out of memory");
}

enum hs_err hs_update_property(struct httpc *client, const struct hs_config *cfg,
			       const char *access_token, const char *object_type, const char *name,
			       const struct hs_property_update *u, struct hs_error *err)
{
	const char *const segs[] = {name, NULL};
	struct httpc_resp resp;
	enum hs_err result;
	cJSON *body = NULL;

	hs_error_reset(err);
	memset(&resp, 0, sizeof(resp));
	if (!hs_name_ok(name)) {
		result = hs_fail(err, HS_ERR_CONFIG, "invalid property name argument");
		goto out;
	}
	result = hs_update_body(u, &body, err);
	if (result != HS_OK)
		goto out;
	/* the answer is the whole property, options included */
	result = hs_send_json(client, cfg, HTTPC_PATCH, access_token, object_type, segs, body,
			      HS_PROPERTIES_BODY_MAX, &resp, err);
	if (result != HS_OK)
		goto out;
	result = hs_write_status(&resp, 200, err);
out:
	hs_error_keep(err, &resp);
	httpc_resp_free(&resp);
	cJSON_Delete(body);
	err->kind = result;
	return result;
}

enum hs_err hs_check_admin(struct httpc *client, const struct hs_config *cfg,
			   const char *access_token, const char *user_id,
			   const char *admin_role_names, int *is_admin, struct hs_error *err)
{
	struct hs_user u;
	struct hs_roles r;
	enum hs_err result;

	*is_admin = 0;
	memset(&r, 0, sizeof(r));
	result = hs_get_user(client, cfg, access_token, user_id, &u, err);
	if (result != HS_OK)
		goto out;
	/* the roles matter only for a user who has one, when role names count */
	if (!u.super_admin && admin_role_names != NULL && (u.role_id != NULL || u.nrole_ids > 0)) {
		result = hs_get_roles(client, cfg, access_token, &r, err);
		if (result != HS_OK)
			goto out;
	}
	*is_admin = hs_user_is_admin(&u, &r, admin_role_names);
out:
	hs_user_free(&u);
	hs_roles_free(&r);
	return result;
}
