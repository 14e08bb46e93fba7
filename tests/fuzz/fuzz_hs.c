/*
 * libFuzzer target for the HubSpot answer parsers of hs.c.
 *
 * Input: a parser digit, a status digit, then the answer body.
 *   parser: '0' hs_parse_tokens, '1' hs_parse_introspection,
 *           '2' hs_parse_user, '3' hs_parse_roles, '4' hs_parse_error,
 *           '5' hs_parse_properties, '6' hs_parse_groups, '7' hs_parse_users
 *           (any other byte: its value minus '0', modulo 8)
 *   status: '0' 200, '1' 400, '2' 401, '3' 403, '4' 404, '5' 408, '6' 429,
 *           '7' 500, '8' 503, '9' 204 (any other byte: its value modulo 10)
 * The body is passed in an exactly sized allocation without a NUL after
 * it, as hs.h allows, so reading past len is caught.
 *
 * Then hs.h's contract is checked: err->kind is what was returned; err's
 * strings are bounded and free of control characters; on failure *out is
 * all zero; on success every REQUIRED field is there and every limit held;
 * a non-200 answer is classified as hs_parse_error() classifies it; the
 * _free() functions are safe to call twice.  For properties and groups,
 * names are unique, cleaned texts hold no control characters, and each json
 * is valid UTF-8 that parses back to an object with the same name.  For a
 * page of users, each user is one hs_parse_user() accepts, ids are unique
 * and next_after is a cursor (visible ASCII) or NULL.
 */
#include <string.h>
#include <strings.h>

#include <cJSON.h>

#include "fuzz.h"
#include "hs.h"

enum {
	P_TOKENS,
	P_INTROSPECTION,
	P_USER,
	P_ROLES,
	P_ERROR,
	P_PROPERTIES,
	P_GROUPS,
	P_USERS,
	P__MAX
};

static const long fuzz_status[] = {200, 400, 401, 403, 404, 408, 429, 500, 503, 204};

#define NSTATUS (sizeof(fuzz_status) / sizeof(fuzz_status[0]))

/* 1 when the n bytes at p are all zero. */
static int zeroed(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

/* A NUL-terminated field of size bytes without ASCII control characters. */
static void clean_check(const char *s, size_t size)
{
	const char *nul = memchr(s, '\0', size);

	FUZZ_CHECK(nul != NULL);
	for (; s < nul; s++)
		FUZZ_CHECK((unsigned char)*s >= 0x20 && (unsigned char)*s != 0x7f);
}

static void error_check(const struct hs_error *err, enum hs_err kind, long status)
{
	FUZZ_CHECK(kind >= HS_OK && kind < HS_ERR__MAX);
	FUZZ_CHECK(err->kind == kind);
	FUZZ_CHECK(err->http_status == status);
	FUZZ_CHECK(hs_strerror(kind) != NULL);
	clean_check(err->status, sizeof(err->status));
	clean_check(err->error, sizeof(err->error));
	clean_check(err->category, sizeof(err->category));
	clean_check(err->correlation_id, sizeof(err->correlation_id));
	clean_check(err->message, sizeof(err->message));
	clean_check(err->error_type, sizeof(err->error_type));
	clean_check(err->policy_name, sizeof(err->policy_name));
	FUZZ_CHECK(kind == HS_OK || err->message[0] != '\0');
	FUZZ_CHECK(err->retry_after == 0);
	/* a parser sees no headers */
	FUZZ_CHECK(err->rl_max == -1 && err->rl_remaining == -1 && err->rl_interval_ms == -1);
}

/* 1 when s is NULL (and optional) or a string of at most max bytes. */
static int str_ok(const char *s, size_t max, int required)
{
	if (s == NULL)
		return !required;
	return strlen(s) <= max;
}

/* 1 when name, as a list of admin role names, lists exactly itself. */
static int simple_name(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && strchr(name, ',') == NULL && name[0] != ' ' && name[0] != '\t' &&
	       name[n - 1] != ' ' && name[n - 1] != '\t';
}

/* 1 when s is 1..max visible ASCII characters. */
static int token_ok(const char *s, size_t max)
{
	size_t n;

	if (s == NULL)
		return 0;
	for (n = 0; s[n] != '\0'; n++)
		if (n >= max || (unsigned char)s[n] <= 0x20 || (unsigned char)s[n] >= 0x7f)
			return 0;
	return n > 0;
}

/* An array of n strings of at most max bytes each, NULL-terminated. */
static void strv_check(char **v, size_t n, size_t nmax, size_t max)
{
	FUZZ_CHECK(n <= nmax);
	FUZZ_CHECK(v != NULL || n == 0);
	for (size_t i = 0; v != NULL && i < n; i++)
		FUZZ_CHECK(str_ok(v[i], max, 1));
	FUZZ_CHECK(v == NULL || v[n] == NULL);
}

static void tokens_check(const struct hs_tokens *t)
{
	FUZZ_CHECK(token_ok(t->access_token, HS_TOKEN_MAX));
	FUZZ_CHECK(t->refresh_token == NULL || token_ok(t->refresh_token, HS_TOKEN_MAX));
	FUZZ_CHECK(t->token_type != NULL && strcasecmp(t->token_type, "bearer") == 0);
	FUZZ_CHECK(str_ok(t->token_use, HS_SHORT_MAX, 0));
	FUZZ_CHECK(t->expires_in >= 1 && t->expires_in <= HS_EXPIRES_MAX);
	FUZZ_CHECK(t->hub_id > 0);
	FUZZ_CHECK(t->user_id >= 0);
	strv_check(t->scopes, t->nscopes, HS_SCOPES_MAX, HS_SCOPE_MAX);
}

static void introspection_check(const struct hs_introspection *i)
{
	if (!i->active) {
		FUZZ_CHECK(zeroed(i, sizeof(*i)));
		return;
	}
	FUZZ_CHECK(i->active == 1);
	FUZZ_CHECK(i->hub_id > 0);
	FUZZ_CHECK(str_ok(i->hub_domain, HS_TEXT_MAX, 0));
	FUZZ_CHECK(str_ok(i->user, HS_TEXT_MAX, 0));
	FUZZ_CHECK(str_ok(i->token_use, HS_SHORT_MAX, 0));
	FUZZ_CHECK(i->user_id >= 0 && i->app_id >= 0 && i->expires_in >= 0);
	strv_check(i->scopes, i->nscopes, HS_SCOPES_MAX, HS_SCOPE_MAX);
}

static void user_check(const struct hs_user *u)
{
	struct hs_roles none = {0};

	FUZZ_CHECK(token_ok(u->id, HS_SHORT_MAX));
	FUZZ_CHECK(str_ok(u->email, HS_TEXT_MAX, 1));
	FUZZ_CHECK(u->role_id == NULL || token_ok(u->role_id, HS_SHORT_MAX));
	FUZZ_CHECK(u->nrole_ids <= HS_ROLE_IDS_MAX);
	FUZZ_CHECK(u->role_ids != NULL || u->nrole_ids == 0);
	for (size_t i = 0; i < u->nrole_ids; i++)
		FUZZ_CHECK(token_ok(u->role_ids[i], HS_SHORT_MAX));
	FUZZ_CHECK(u->super_admin == 0 || u->super_admin == 1);
	/* with no roles known, only a super admin is an admin */
	FUZZ_CHECK(hs_user_is_admin(u, &none, "Admin") == u->super_admin);
	FUZZ_CHECK(hs_user_is_admin(u, NULL, NULL) == u->super_admin);
}

static void users_check(const struct hs_users *us)
{
	FUZZ_CHECK(us->users != NULL);
	FUZZ_CHECK(us->n <= HS_USERS_PAGE_MAX);
	FUZZ_CHECK(us->next_after == NULL || token_ok(us->next_after, HS_AFTER_MAX));
	for (size_t i = 0; i < us->n; i++) {
		user_check(&us->users[i]);
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(us->users[j].id, us->users[i].id) != 0);
	}
}

static void roles_check(const struct hs_roles *r)
{
	FUZZ_CHECK(r->nroles <= HS_ROLES_MAX);
	FUZZ_CHECK(r->roles != NULL);
	for (size_t i = 0; i < r->nroles; i++) {
		const struct hs_role *role = &r->roles[i];
		struct hs_user u = {.role_id = role->id};

		FUZZ_CHECK(token_ok(role->id, HS_SHORT_MAX));
		FUZZ_CHECK(str_ok(role->name, HS_TEXT_MAX, 1));
		FUZZ_CHECK(role->requires_billing_write == 0 || role->requires_billing_write == 1);
		/* a user holding this role is an admin when the role's name is
		 * the list of admin names (unless spaces or a comma change it) */
		if (simple_name(role->name))
			FUZZ_CHECK(hs_user_is_admin(&u, r, role->name) == 1);
	}
}

/* 1 when s is valid UTF-8 (RFC 3629: no overlongs, surrogates or > U+10FFFF). */
static int utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != 0) {
		unsigned c = *p, n, cp, min;

		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
			min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
			min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else {
			return 0;
		}
		for (unsigned i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		p += n + 1;
	}
	return 1;
}

/* A label or description as kept: valid UTF-8 of at most max bytes, without
 * C0 controls, DEL, C1 controls, U+2028/U+2029 or bidirectional controls. */
static void text_check(const char *s, size_t max, int required)
{
	const unsigned char *p = (const unsigned char *)s;

	if (s == NULL) {
		FUZZ_CHECK(!required);
		return;
	}
	FUZZ_CHECK(strlen(s) <= max);
	FUZZ_CHECK(utf8_ok(s));
	for (; *p != 0; p++) {
		FUZZ_CHECK(*p >= 0x20 && *p != 0x7f);
		FUZZ_CHECK(!(p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f));
		FUZZ_CHECK(!(p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0xa8 && p[2] <= 0xae));
		FUZZ_CHECK(!(p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9));
	}
}

/* An exact string: valid UTF-8, at most max bytes, no ASCII controls. */
static void value_check(const char *s, size_t max)
{
	FUZZ_CHECK(s != NULL && strlen(s) <= max && utf8_ok(s));
	for (; *s != '\0'; s++)
		FUZZ_CHECK((unsigned char)*s >= 0x20 && (unsigned char)*s != 0x7f);
}

/* json is an object whose "name" is name, as valid UTF-8 text. */
static void json_check(const char *json, const char *name)
{
	cJSON *o;
	const cJSON *n;

	FUZZ_CHECK(json != NULL && utf8_ok(json));
	o = cJSON_Parse(json);
	FUZZ_CHECK(cJSON_IsObject(o));
	n = cJSON_GetObjectItemCaseSensitive(o, "name");
	FUZZ_CHECK(cJSON_IsString(n) && strcmp(n->valuestring, name) == 0);
	cJSON_Delete(o);
}

static void properties_check(const struct hs_properties *ps)
{
	FUZZ_CHECK(ps->items != NULL);
	FUZZ_CHECK(ps->n <= HS_PROPERTIES_MAX);
	for (size_t i = 0; i < ps->n; i++) {
		const struct hs_property *p = &ps->items[i];

		FUZZ_CHECK(token_ok(p->name, HS_PROP_NAME_MAX));
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(ps->items[j].name, p->name) != 0);
		text_check(p->label, HS_PROP_TEXT_MAX, 1);
		FUZZ_CHECK(token_ok(p->type, HS_SHORT_MAX));
		FUZZ_CHECK(token_ok(p->field_type, HS_SHORT_MAX));
		FUZZ_CHECK(p->group_name == NULL || token_ok(p->group_name, HS_PROP_NAME_MAX));
		text_check(p->description, HS_PROP_TEXT_MAX, 0);
		FUZZ_CHECK(p->hubspot_defined == 0 || p->hubspot_defined == 1);
		FUZZ_CHECK(p->archived == 0 || p->archived == 1);
		FUZZ_CHECK(p->hidden == 0 || p->hidden == 1);
		FUZZ_CHECK(p->noptions <= HS_OPTIONS_MAX);
		FUZZ_CHECK((p->options != NULL) == (p->noptions > 0));
		for (size_t j = 0; j < p->noptions; j++) {
			const struct hs_property_option *o = &p->options[j];

			text_check(o->label, HS_PROP_TEXT_MAX, 1);
			value_check(o->value, HS_PROP_TEXT_MAX);
			text_check(o->description, HS_PROP_TEXT_MAX, 0);
			FUZZ_CHECK(o->hidden == 0 || o->hidden == 1);
		}
		json_check(p->json, p->name);
	}
}

static void groups_check(const struct hs_groups *gs)
{
	FUZZ_CHECK(gs->items != NULL);
	FUZZ_CHECK(gs->n <= HS_GROUPS_MAX);
	for (size_t i = 0; i < gs->n; i++) {
		const struct hs_group *g = &gs->items[i];

		FUZZ_CHECK(token_ok(g->name, HS_PROP_NAME_MAX));
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(gs->items[j].name, g->name) != 0);
		text_check(g->label, HS_PROP_TEXT_MAX, 1);
		FUZZ_CHECK(g->archived == 0 || g->archived == 1);
		json_check(g->json, g->name);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_tokens tok;
	struct hs_introspection ins;
	struct hs_user usr;
	struct hs_roles rls;
	struct hs_users uss;
	struct hs_properties prp;
	struct hs_groups grp;
	struct hs_error err, ref;
	enum hs_err kind;
	unsigned parser;
	long status;
	char *body;
	size_t len;

	if (size < 2)
		return 0;
	parser = (unsigned)(uint8_t)(data[0] - '0') % P__MAX;
	status = fuzz_status[(unsigned)(uint8_t)(data[1] - '0') % NSTATUS];
	len = size - 2;
	body = malloc(len != 0 ? len : 1);
	if (body == NULL)
		return 0;
	memcpy(body, data + 2, len);

	/* what a failed call must say: hs_parse_error's classification */
	memset(&ref, 0, sizeof(ref));
	if (status != 200 || parser == P_ERROR) {
		kind = hs_parse_error(status, body, len, &ref);
		error_check(&ref, kind, status);
		FUZZ_CHECK(kind != HS_OK);
		if (parser == P_USER && status == 404)
			ref.kind = HS_ERR_PERMISSION;
	}

	switch (parser) {
	case P_TOKENS:
		kind = hs_parse_tokens(status, body, len, &tok, &err);
		if (kind == HS_OK)
			tokens_check(&tok);
		else
			FUZZ_CHECK(zeroed(&tok, sizeof(tok)));
		hs_tokens_free(&tok);
		hs_tokens_free(&tok);
		break;
	case P_INTROSPECTION:
		kind = hs_parse_introspection(status, body, len, &ins, &err);
		if (kind == HS_OK)
			introspection_check(&ins);
		else
			FUZZ_CHECK(zeroed(&ins, sizeof(ins)));
		hs_introspection_free(&ins);
		hs_introspection_free(&ins);
		break;
	case P_USER:
		kind = hs_parse_user(status, body, len, &usr, &err);
		if (kind == HS_OK)
			user_check(&usr);
		else
			FUZZ_CHECK(zeroed(&usr, sizeof(usr)));
		hs_user_free(&usr);
		hs_user_free(&usr);
		break;
	case P_ROLES:
		kind = hs_parse_roles(status, body, len, &rls, &err);
		if (kind == HS_OK)
			roles_check(&rls);
		else
			FUZZ_CHECK(zeroed(&rls, sizeof(rls)));
		hs_roles_free(&rls);
		hs_roles_free(&rls);
		break;
	case P_USERS:
		kind = hs_parse_users(status, body, len, &uss, &err);
		if (kind == HS_OK)
			users_check(&uss);
		else
			FUZZ_CHECK(zeroed(&uss, sizeof(uss)));
		hs_users_free(&uss);
		hs_users_free(&uss);
		break;
	case P_PROPERTIES:
		kind = hs_parse_properties(status, body, len, &prp, &err);
		if (kind == HS_OK)
			properties_check(&prp);
		else
			FUZZ_CHECK(zeroed(&prp, sizeof(prp)));
		hs_properties_free(&prp);
		hs_properties_free(&prp);
		break;
	case P_GROUPS:
		kind = hs_parse_groups(status, body, len, &grp, &err);
		if (kind == HS_OK)
			groups_check(&grp);
		else
			FUZZ_CHECK(zeroed(&grp, sizeof(grp)));
		hs_groups_free(&grp);
		hs_groups_free(&grp);
		break;
	default:
		goto out;
	}
	error_check(&err, kind, status);
	FUZZ_CHECK(status == 200 || kind == ref.kind);
out:
	free(body);
	return 0;
}
