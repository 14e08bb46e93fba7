/*
 * hs: the HubSpot client, over httpc: the date-versioned OAuth endpoints
 * (https://developers.hubspot.com/docs/api-reference/2026-03/authentication/manage-oauth-tokens),
 * the Settings users API: retrieve a user
 * (https://developers.hubspot.com/docs/api-reference/2026-03/account/settings/user-provisioning/users/get-user)
 * and retrieve users, one page at a time
 * (https://developers.hubspot.com/docs/api-reference/2026-03/account/settings/user-provisioning/users/get-users)
 * and the CRM properties API: read all properties
 * (https://developers.hubspot.com/docs/api-reference/2026-03/crm/properties/get-properties)
 * and read all property groups
 * (https://developers.hubspot.com/docs/api-reference/2026-03/crm/properties/property-groups/get-properties);
 * and its writes: create a batch of properties
 * (https://developers.hubspot.com/docs/api-reference/2026-03/crm/properties/batch/create-properties),
 * update a property
 * (https://developers.hubspot.com/docs/api-reference/2026-03/crm/properties/update-property),
 * create a property group
 * (https://developers.hubspot.com/docs/api-reference/2026-03/crm/properties/property-groups/create-property)
 * and update a property group
 * (https://developers.hubspot.com/docs/api-reference/2026-03/crm/properties/property-groups/update-property).
 *
 * Every call goes to a path under the configured API base, with form-encoded
 * bodies for the OAuth calls, JSON bodies for the CRM writes, and Bearer
 * authentication for the API calls;
 * no token, code or secret is ever put in a URL.  Each answer is parsed into
 * one struct with a _free() that is safe on zeroed or half-filled data; JSON
 * is checked against a table of REQUIRED/OPTIONAL fields with their types and
 * limits; only status 200 (204 too for revoke) is success.  Failures are
 * classified into enum hs_err and described in struct hs_error, which keeps
 * HubSpot's status/error/category/correlationId/message (bounded, control
 * characters removed: they are meant for logs and pages, and never hold a
 * token or a secret).
 *
 * Every answer's rate-limit headers are kept in struct hs_error, on success
 * too, so that a caller can pace its calls on them.  HubSpot sends
 * X-HubSpot-RateLimit-Max (requests allowed in the interval),
 * X-HubSpot-RateLimit-Remaining (left in it) and
 * X-HubSpot-RateLimit-Interval-Milliseconds (the rolling window, 10000) with
 * OAuth-authenticated calls, without the Daily ones
 * (https://developers.hubspot.com/changelog/rate-limit-headers-will-now-appear-for-oauth-authenticated-calls);
 * over the limit it answers 429 with {"status":"error","message":...,
 * "errorType":"RATE_LIMIT","correlationId":...,"policyName":
 * "TEN_SECONDLY_ROLLING" or "DAILY"} (API usage guidelines and limits,
 * https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines).
 *
 * The parse functions are exported so they can be tested without a network.
 */
#ifndef JS_HS_H
#define JS_HS_H

#include <stddef.h>

struct buf;
struct httpc;

/* Limits on what HubSpot may send (bytes for strings, counts for arrays). */
#define HS_TOKEN_MAX	  2048 /* access_token, refresh_token */
#define HS_SHORT_MAX	  64   /* token_type, token_use, ids */
#define HS_TEXT_MAX	  320  /* emails, domains, role names */
#define HS_SCOPE_MAX	  256  /* one scope name */
#define HS_SCOPES_MAX	  512  /* scopes in one answer */
#define HS_ROLE_IDS_MAX	  256  /* roleIds of one user */
#define HS_ROLES_MAX	  2048 /* roles of one account */
#define HS_USERS_PAGE_MAX 100  /* users of one page (ours: the largest limit we ask for) */
#define HS_AFTER_MAX	  256  /* a paging cursor ("after"): visible ASCII */
#define HS_BODY_MAX	  ((size_t)1024 * 1024)
#define HS_USER_ID_DIGITS 20
/* An access token's lifetime (expires_in, seconds): HubSpot's is 30 minutes;
 * more than a year is refused as unusable (it is stored as an SQL int). */
#define HS_EXPIRES_MAX 31536000

/*
 * Limits on the CRM properties API's answers.  HubSpot documents that a
 * dropdown or multiple-checkbox property holds at most 5,000 options, each
 * of at most 3,000 characters counting its label, value and description
 * (https://knowledge.hubspot.com/properties/property-field-types-in-hubspot):
 * so HS_OPTIONS_MAX, and HS_PROP_TEXT_MAX bytes (3,000 characters of up to
 * 4 UTF-8 bytes) for any one label, value or description.  The number of
 * custom properties depends on the subscription (read it from
 * https://developers.hubspot.com/docs/api-reference/2026-03/crm/limits-tracking/get-custom-properties);
 * HS_PROPERTIES_MAX is ours, above the default properties plus the custom
 * properties of any one object, as are HS_GROUPS_MAX and HS_PROP_NAME_MAX
 * (internal names are lower-case ASCII such as "hs_lead_status").  A
 * property list with its options is much larger than other answers: its
 * body is capped at HS_PROPERTIES_BODY_MAX instead of HS_BODY_MAX.
 */
#define HS_PROPERTIES_MAX      5000
#define HS_OPTIONS_MAX	       5000
#define HS_GROUPS_MAX	       1000
#define HS_PROP_NAME_MAX       100   /* name, groupName: visible ASCII */
#define HS_PROP_TEXT_MAX       12000 /* labels, descriptions, option values */
#define HS_PROPERTIES_BODY_MAX ((size_t)8 * 1024 * 1024)
/* Inputs of one batch call: "Batch operations are limited to 100 records at
 * a time" (https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines);
 * more is answered 400 for the whole batch. */
#define HS_BATCH_MAX 100

enum hs_err {
	HS_OK,
	/* the grant or token was refused: invalid_grant, BAD_REFRESH_TOKEN,
	 * BAD_AUTH_CODE, or 401 on an API call (EXPIRED_AUTHENTICATION ...) */
	HS_ERR_AUTH,
	/* 403 (MISSING_SCOPES ...), and 404 for hs_get_user (the user is not
	 * visible to this token, so cannot be confirmed as an admin) */
	HS_ERR_PERMISSION,
	/* retry later: timeout, connect/network failure, 408, 429, 5xx */
	HS_ERR_TRANSIENT,
	/* answer unusable: bad JSON, missing required field, wrong type, over a
	 * limit, oversized body, wrong Content-Type, unexpected status */
	HS_ERR_MALFORMED,
	/* ours to fix, nothing (or nothing useful) sent: URL not allowed, bad
	 * argument, invalid_client / BAD_CLIENT_ID / redirect-URI mismatch,
	 * TLS verification failure, http client setup failure */
	HS_ERR_CONFIG,
	HS_ERR__MAX
};

struct hs_error {
	enum hs_err kind;
	long http_status;  /* 0 when no HTTP answer */
	char status[64];   /* HubSpot "status", e.g. BAD_REFRESH_TOKEN or error */
	char error[64];	   /* OAuth "error", e.g. invalid_grant */
	char category[64]; /* e.g. EXPIRED_AUTHENTICATION, MISSING_SCOPES */
	char correlation_id[80];
	char message[256];    /* HubSpot's message / error_description, or ours */
	long retry_after;     /* seconds from Retry-After; 0 when absent */
	char error_type[32];  /* a 429's "errorType", e.g. RATE_LIMIT */
	char policy_name[64]; /* a 429's "policyName", e.g. TEN_SECONDLY_ROLLING */
	/*
	 * The answer's X-HubSpot-RateLimit-Max, -Remaining and
	 * -Interval-Milliseconds (0..999999999), on success as on failure; -1
	 * when absent or unusable (see httpc.h), when no answer arrived, and
	 * always from the parse functions (they see no headers).
	 */
	long rl_max;
	long rl_remaining;
	long rl_interval_ms;
};

struct hs_config {
	const char *api_base; /* e.g. https://api.hubapi.com (no trailing query) */
	const char *client_id;
	const char *client_secret;
};

struct conf;
/* The configuration's HubSpot settings as an hs_config (pointers into
 * conf, which must outlive out). */
void hs_config_from_conf(const struct conf *conf, struct hs_config *out);

struct hs_tokens {
	char *access_token;   /* REQUIRED, visible ASCII, <= HS_TOKEN_MAX */
	char *refresh_token;  /* OPTIONAL: NULL means keep the stored one */
	char *token_type;     /* REQUIRED, "bearer" (any case) */
	char *token_use;      /* OPTIONAL, NULL when absent */
	long long expires_in; /* REQUIRED, 1..HS_EXPIRES_MAX seconds */
	long long hub_id;     /* REQUIRED, > 0 */
	long long user_id;    /* OPTIONAL (number or digit string); 0 when absent */
	char **scopes;	      /* OPTIONAL; nscopes entries */
	size_t nscopes;
};

struct hs_introspection {
	int active;	   /* REQUIRED; 0 is a valid answer */
	long long hub_id;  /* REQUIRED when active */
	char *hub_domain;  /* OPTIONAL */
	char *user;	   /* OPTIONAL, the user's email */
	long long user_id; /* OPTIONAL; 0 when absent */
	char **scopes;	   /* OPTIONAL */
	size_t nscopes;
	long long app_id;     /* OPTIONAL; 0 when absent */
	long long expires_in; /* OPTIONAL, >= 0; 0 when absent */
	char *token_use;      /* OPTIONAL */
};

struct hs_user {
	char *id;	 /* REQUIRED (string, or number turned into digits) */
	char *email;	 /* REQUIRED */
	char *role_id;	 /* OPTIONAL */
	char **role_ids; /* OPTIONAL */
	size_t nrole_ids;
	int super_admin; /* OPTIONAL boolean; 0 when absent */
};

struct hs_role {
	char *id;		    /* REQUIRED */
	char *name;		    /* REQUIRED */
	int requires_billing_write; /* OPTIONAL; 0 when absent */
};

struct hs_roles {
	struct hs_role *roles; /* from "results" (REQUIRED) */
	size_t nroles;
};

/*
 * One page of a portal's users, in HubSpot's order: each user as
 * hs_parse_user() reads one, ids unique within the page.  A user without
 * roleId, roleIds or superAdmin (OPTIONAL here) is kept as one with no role
 * who is not a Super Admin; a user without id or email (REQUIRED by
 * HubSpot's schema) makes the page HS_ERR_MALFORMED.  primaryTeamId,
 * secondaryTeamIds and names are not kept.
 */
struct hs_users {
	struct hs_user *users; /* from "results" (REQUIRED), <= HS_USERS_PAGE_MAX */
	size_t n;
	/* "paging"."next"."after" (1..HS_AFTER_MAX visible ASCII): pass it as
	 * after for the next page; NULL on the last page (no paging.next) */
	char *next_after;
};

/*
 * One option of an enumeration property.  Strings are valid UTF-8 (else
 * HS_ERR_MALFORMED).  Labels and descriptions are kept as they are to be
 * shown: tabs and line breaks turned into spaces, other control and
 * bidirectional-format characters removed.  The value is kept exactly as
 * HubSpot sent it (it is what records hold), so it must be free of control
 * characters.
 */
struct hs_property_option {
	char *label;	   /* REQUIRED, <= HS_PROP_TEXT_MAX bytes */
	char *value;	   /* REQUIRED, <= HS_PROP_TEXT_MAX bytes, may be "" */
	char *description; /* OPTIONAL; NULL when absent */
	int display_order; /* OPTIONAL ("displayOrder"); -1 when absent */
	int hidden;	   /* OPTIONAL boolean; 0 when absent */
};

/* One property of an object type, from the "results" of read all properties. */
struct hs_property {
	char *name;	     /* REQUIRED, 1..HS_PROP_NAME_MAX visible ASCII, unique */
	char *label;	     /* REQUIRED, cleaned as option labels */
	char *type;	     /* REQUIRED, e.g. string, enumeration: visible ASCII */
	char *field_type;    /* REQUIRED ("fieldType"), e.g. select: visible ASCII */
	char *group_name;    /* OPTIONAL ("groupName"), as name; NULL when absent */
	char *description;   /* OPTIONAL, cleaned; NULL when absent */
	int hubspot_defined; /* OPTIONAL boolean ("hubspotDefined"); 0 when absent */
	int archived;	     /* OPTIONAL boolean; 0 when absent */
	int hidden;	     /* OPTIONAL boolean; 0 when absent */
	/* OPTIONAL ("displayOrder", a 32-bit integer); -1 when absent, which is
	 * HubSpot's own "after the ordered ones" */
	int display_order;
	struct hs_property_option *options; /* OPTIONAL, <= HS_OPTIONS_MAX */
	size_t noptions;
	/* the whole property object, unknown fields included, printed again
	 * as compact JSON text (cJSON_PrintUnformatted: same members in the
	 * same order, numbers as cJSON writes them), valid UTF-8 without
	 * "\u0000": ready for a jsonb column */
	char *json;
};

struct hs_properties {
	struct hs_property *items; /* from "results" (REQUIRED), <= HS_PROPERTIES_MAX */
	size_t n;
};

/* One property group, from the "results" of read all property groups. */
struct hs_group {
	char *name;	   /* REQUIRED, as a property's name, unique */
	char *label;	   /* REQUIRED, cleaned */
	int display_order; /* OPTIONAL ("displayOrder"); -1 when absent */
	int archived;	   /* OPTIONAL boolean; 0 when absent */
	char *json;	   /* the whole group object, as hs_property's json */
};

struct hs_groups {
	struct hs_group *items; /* from "results" (REQUIRED), <= HS_GROUPS_MAX */
	size_t n;
};

/*
 * What a batch create answered for each input, in input order.  An item is
 * ok when its name is among the answer's "results"; otherwise category and
 * message come from the error of the answer's "errors" whose context names
 * it (StandardError: "category", and "message" followed by ": " and the
 * first of its "errors"' message when there is one and it says something
 * else), or, when no error names it, category is "" and message is "HubSpot's
 * answer did not mention this property".  Texts are bounded and free of
 * control characters.
 */
struct hs_batch_item {
	char name[HS_PROP_NAME_MAX + 1]; /* the input's name */
	int ok;				 /* 1 created, 0 not */
	char category[64];		 /* e.g. OBJECT_ALREADY_EXISTS, VALIDATION_ERROR */
	char message[600];
};

struct hs_batch_result {
	struct hs_batch_item *items; /* n items, one per input, in input order */
	size_t n;
	char correlation_id[80]; /* the answer's X-HubSpot-Correlation-Id (or
				  * "correlationId"), "" when none */
};

/*
 * A property's fields to change with hs_update_property().  A NULL string is
 * not sent; options are sent only when send_options is 1, as the whole list
 * (HubSpot replaces the property's options with it): each option's label
 * and value, its description unless NULL, its displayOrder (its position in
 * the list when display_order is negative) and hidden (true when non-zero).
 * Strings must be valid UTF-8 of at most HS_PROP_TEXT_MAX bytes; group_name
 * as a property's groupName; at most HS_OPTIONS_MAX options.
 */
struct hs_property_update {
	const char *label;
	const char *description;
	const char *group_name;
	const struct hs_property_option *options;
	size_t noptions;
	int send_options;
};

/*
 * What HubSpot answered, in plain words for logs and pages: "HTTP 503
 * SERVICE_UNAVAILABLE, correlation id X" when an answer came, else what
 * failed ("timeout: Operation timed out after 10001 milliseconds ...",
 * curl's own words).  Always NUL-terminated.
 */
void hs_error_text(const struct hs_error *err, char *out, size_t cap);

/*
 * Whether a failure says HubSpot itself is failing rather than anything
 * about one portal (issue 18's circuit breaker counts these): no HTTP
 * answer (connect failure, reset, timeout), 408, a 5xx, or a 429 naming no
 * policy.  HubSpot's documented rate limits are per account -- a 429 body's
 * policyName ("TEN_SECONDLY_ROLLING", "DAILY") names the portal's own
 * budget (https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines)
 * -- so such a 429 is the portal's, not an outage.  1 or 0.
 */
int hs_error_outage(const struct hs_error *err);

/* A fixed, lower-case description of kind (never NULL). */
const char *hs_strerror(enum hs_err kind);

/*
 * Free what each struct holds and zero it.  Safe on zeroed, half-filled or
 * already-freed structs.
 */
void hs_tokens_free(struct hs_tokens *t);
void hs_introspection_free(struct hs_introspection *i);
void hs_user_free(struct hs_user *u);
void hs_roles_free(struct hs_roles *r);
void hs_users_free(struct hs_users *u);
void hs_properties_free(struct hs_properties *p);
void hs_groups_free(struct hs_groups *g);
/* One property or group, as filled by hs_parse_property_json() and
 * hs_parse_group_json(). */
void hs_property_free(struct hs_property *p);
void hs_group_free(struct hs_group *g);
void hs_batch_result_free(struct hs_batch_result *r);

/*
 * Network calls.  Each one:
 *   - returns err->kind (HS_OK on success) and always fills *err;
 *   - on success fills *out, which the caller frees with the matching
 *     _free(); on failure leaves *out zeroed (freeing it is still safe).
 *     *out's previous contents are not freed: pass a zeroed or freed struct;
 *   - checks cfg->api_base with httpc_url_allowed() (HS_ERR_CONFIG if not);
 *   - requires a JSON Content-Type on 200 answers that carry a body;
 *   - keeps Retry-After in err->retry_after, and the rate-limit headers in
 *     err->rl_max, rl_remaining and rl_interval_ms whatever the outcome (on
 *     HS_OK too: pace on them), -1 when absent or when nothing was received;
 *   - keeps a 429's errorType and policyName in err->error_type and
 *     err->policy_name (it stays HS_ERR_TRANSIENT);
 *   - uses client (one per thread) and does not keep any argument.
 * Tokens, codes and secrets must be visible ASCII (<= 4096 bytes); anything
 * else is HS_ERR_CONFIG and nothing is sent.
 */

/* POST {base}/oauth/2026-03/token, grant_type=authorization_code. */
enum hs_err hs_exchange_code(struct httpc *client, const struct hs_config *cfg, const char *code,
			     const char *redirect_uri, struct hs_tokens *out, struct hs_error *err);

/*
 * POST {base}/oauth/2026-03/token, grant_type=refresh_token.  An answer
 * without refresh_token is valid: out->refresh_token is NULL and the caller
 * keeps the refresh token it has.
 */
enum hs_err hs_refresh(struct httpc *client, const struct hs_config *cfg, const char *refresh_token,
		       struct hs_tokens *out, struct hs_error *err);

/*
 * POST {base}/oauth/2026-03/token/introspect.  token_type_hint is NULL
 * (omitted), "access_token" or "refresh_token".  An inactive token is a
 * success (HS_OK) with out->active == 0.
 */
enum hs_err hs_introspect(struct httpc *client, const struct hs_config *cfg, const char *token,
			  const char *token_type_hint, struct hs_introspection *out,
			  struct hs_error *err);

/*
 * POST {base}/oauth/2026-03/token/revoke.  token_type_hint as for
 * hs_introspect (revoking uses "refresh_token").  200 and 204 are success.
 */
enum hs_err hs_revoke(struct httpc *client, const struct hs_config *cfg, const char *token,
		      const char *token_type_hint, struct hs_error *err);

/*
 * GET {base}/settings/users/2026-03/{user_id} with Bearer access_token.
 * user_id must be 1..20 digits (checked before it goes into the path); the
 * answer's id must equal it exactly (else HS_ERR_MALFORMED).  404 is
 * HS_ERR_PERMISSION.
 */
enum hs_err hs_get_user(struct httpc *client, const struct hs_config *cfg, const char *access_token,
			const char *user_id, struct hs_user *out, struct hs_error *err);

/*
 * GET {base}/settings/users/2026-03?limit={limit}[&after={after}] with
 * Bearer access_token (scope settings.users.read or settings.users.write):
 * one page of the portal's users.  after is NULL for the first page, else
 * the previous page's out->next_after: 1..HS_AFTER_MAX visible ASCII,
 * percent-encoded in the query; limit is 1..HS_USERS_PAGE_MAX; anything else
 * is HS_ERR_CONFIG and nothing is sent.  The caller calls again with
 * out->next_after until it is NULL (freeing each page with hs_users_free()).
 * An answer whose next after is the after sent is HS_ERR_MALFORMED (the
 * loop would never end), as is one of more than HS_USERS_PAGE_MAX users.
 * Statuses: 200 HS_OK; 401 AUTH; 403 PERMISSION (MISSING_SCOPES); 408, 429
 * and 5xx TRANSIENT; 404 and anything else MALFORMED.
 */
enum hs_err hs_list_users(struct httpc *client, const struct hs_config *cfg,
			  const char *access_token, const char *after, int limit,
			  struct hs_users *out, struct hs_error *err);

/* GET {base}/settings/users/2026-03/roles with Bearer access_token. */
enum hs_err hs_get_roles(struct httpc *client, const struct hs_config *cfg,
			 const char *access_token, struct hs_roles *out, struct hs_error *err);

/*
 * GET {base}/crm/properties/2026-03/{object_type} with Bearer access_token:
 * every property of the object type, HubSpot-defined and custom (the
 * answer is not paged).  object_type must be exactly one of "contacts",
 * "companies", "deals", "tickets" (checked before it goes into the path,
 * else HS_ERR_CONFIG and nothing is sent).  The body is capped at
 * HS_PROPERTIES_BODY_MAX.
 */
enum hs_err hs_get_properties(struct httpc *client, const struct hs_config *cfg,
			      const char *access_token, const char *object_type,
			      struct hs_properties *out, struct hs_error *err);

/*
 * GET {base}/crm/properties/2026-03/{object_type}/groups with Bearer
 * access_token: the property groups of the object type.  object_type as for
 * hs_get_properties().
 */
enum hs_err hs_get_groups(struct httpc *client, const struct hs_config *cfg,
			  const char *access_token, const char *object_type, struct hs_groups *out,
			  struct hs_error *err);

/*
 * CRM writes.  As the calls above, and: object_type as for
 * hs_get_properties(); a property or group name that goes into a path must
 * be what the parsers accept as a name (1..HS_PROP_NAME_MAX visible ASCII,
 * not "." or ".."; HubSpot's own are a lower-case letter then [a-z0-9_]),
 * and is percent-encoded there; anything else is HS_ERR_CONFIG and nothing
 * is sent.  Failures are classified by hs_parse_error(): 400
 * (VALIDATION_ERROR ...), 404 (OBJECT_NOT_FOUND) and 409
 * (OBJECT_ALREADY_EXISTS) are HS_ERR_MALFORMED with err->http_status and
 * err->category telling them apart (callers check http_status); 401 AUTH;
 * 403 PERMISSION; 429 and 5xx TRANSIENT, with Retry-After and the
 * rate-limit headers kept.  err->correlation_id is the body's correlationId,
 * else the X-HubSpot-Correlation-Id header.
 */

/*
 * POST {base}/crm/properties/2026-03/{object_type}/batch/create with
 * {"inputs":[...]}, one PropertyCreate per definition (as
 * hs_property_create_input() writes it).  definitions are n NUL-terminated
 * property definitions (one property object each, as read from HubSpot),
 * 1..HS_BATCH_MAX of them with different names; otherwise, or when one is
 * not usable (hs_property_create_input() fails: check them with it first),
 * HS_ERR_CONFIG, naming the definition, and nothing is sent.  The answer's
 * body is capped at HS_PROPERTIES_BODY_MAX.
 * 201 (all created) and 207 (some or all failed) are HS_OK with *out
 * holding one item per definition, in order (see struct hs_batch_item);
 * any other answer (a 400 for the whole batch ...) fails the call, *out
 * zeroed.  Free *out with hs_batch_result_free().
 */
enum hs_err hs_create_properties(struct httpc *client, const struct hs_config *cfg,
				 const char *access_token, const char *object_type,
				 const char *const *definitions, size_t n,
				 struct hs_batch_result *out, struct hs_error *err);

/*
 * POST {base}/crm/properties/2026-03/{object_type}/groups with
 * {"name","label"[,"displayOrder"]}: name 1..HS_PROP_NAME_MAX visible ASCII,
 * label valid UTF-8 of 1..HS_PROP_TEXT_MAX bytes, display_order omitted
 * when negative (HubSpot's default, -1).  201 is HS_OK.  A group of that
 * name already there is 409 OBJECT_ALREADY_EXISTS (HS_ERR_MALFORMED, see
 * above).
 */
enum hs_err hs_create_group(struct httpc *client, const struct hs_config *cfg,
			    const char *access_token, const char *object_type, const char *name,
			    const char *label, int display_order, struct hs_error *err);

/*
 * PATCH {base}/crm/properties/2026-03/{object_type}/groups/{name} with
 * {"label"} (label as for hs_create_group()).  200 is HS_OK.
 */
enum hs_err hs_update_group(struct httpc *client, const struct hs_config *cfg,
			    const char *access_token, const char *object_type, const char *name,
			    const char *label, struct hs_error *err);

/*
 * PATCH {base}/crm/properties/2026-03/{object_type}/{name} with the fields
 * of *u that are given (at least one, else HS_ERR_CONFIG).  200 is HS_OK.
 */
enum hs_err hs_update_property(struct httpc *client, const struct hs_config *cfg,
			       const char *access_token, const char *object_type, const char *name,
			       const struct hs_property_update *u, struct hs_error *err);

/* 1 when s is one of the object types hs_get_properties() reads; else 0. */
int hs_object_type_ok(const char *s);

/*
 * 1 when u is a super admin, or when one of its role ids (role_ids and
 * role_id) is the id of a role in r whose name is exactly (case-sensitive)
 * one of the comma-separated admin_role_names (spaces around each name are
 * ignored; e.g. "Admin" or "Admin, Portal Admin"); else 0.  NULL
 * admin_role_names means only super admins count.  Pure.
 */
int hs_user_is_admin(const struct hs_user *u, const struct hs_roles *r,
		     const char *admin_role_names);

/*
 * The admin check of HubSpot user user_id with access_token: hs_get_user(),
 * then hs_get_roles() unless the answer is already known (a Super Admin; or
 * a user with no role, or NULL admin_role_names: only Super Admins count),
 * then hs_user_is_admin().  Returns and fills *err as the network calls
 * above (HS_ERR_PERMISSION includes hs_get_user's 404: the user is not on
 * the portal); *is_admin is 1 or 0 on HS_OK, and 0 otherwise.
 */
enum hs_err hs_check_admin(struct httpc *client, const struct hs_config *cfg,
			   const char *access_token, const char *user_id,
			   const char *admin_role_names, int *is_admin, struct hs_error *err);

/*
 * Parsers (no network).  body need not be NUL-terminated; len is its size.
 * When http_status is the success status they parse the answer into *out;
 * otherwise they call hs_parse_error().  Return and fill *err and *out as
 * the network calls above (which use them).
 */
enum hs_err hs_parse_tokens(long http_status, const char *body, size_t len, struct hs_tokens *out,
			    struct hs_error *err);
enum hs_err hs_parse_introspection(long http_status, const char *body, size_t len,
				   struct hs_introspection *out, struct hs_error *err);
enum hs_err hs_parse_user(long http_status, const char *body, size_t len, struct hs_user *out,
			  struct hs_error *err);
enum hs_err hs_parse_roles(long http_status, const char *body, size_t len, struct hs_roles *out,
			   struct hs_error *err);
/* One page of users (see struct hs_users); "paging" and its "next" are
 * OPTIONAL objects, a "next" REQUIRES "after". */
enum hs_err hs_parse_users(long http_status, const char *body, size_t len, struct hs_users *out,
			   struct hs_error *err);
/* The properties' answer may be up to HS_PROPERTIES_BODY_MAX bytes. */
enum hs_err hs_parse_properties(long http_status, const char *body, size_t len,
				struct hs_properties *out, struct hs_error *err);
enum hs_err hs_parse_groups(long http_status, const char *body, size_t len, struct hs_groups *out,
			    struct hs_error *err);

/*
 * One property or property group object (an asset's stored definition),
 * checked with exactly the rules of hs_parse_properties() /
 * hs_parse_groups() for one of their results; out->json is its compact
 * text.  json need not be NUL-terminated; at most HS_PROPERTIES_BODY_MAX
 * bytes.  HS_OK, or HS_ERR_MALFORMED (err->message says which field) with
 * *out zeroed; err->http_status is 0.  Free *out with hs_property_free() /
 * hs_group_free().
 */
enum hs_err hs_parse_property_json(const char *json, size_t len, struct hs_property *out,
				   struct hs_error *err);
enum hs_err hs_parse_group_json(const char *json, size_t len, struct hs_group *out,
				struct hs_error *err);

/*
 * Append to *out the PropertyCreate input for a property definition (a
 * property object as HubSpot reads it, len bytes, at most
 * HS_PROPERTIES_BODY_MAX): a JSON object with only the fields of the
 * 2026-03 PropertyCreate schema, in this order: name, label, type,
 * fieldType, groupName, description, displayOrder, hidden, formField,
 * hasUniqueValue, options, calculationFormula, referencedObjectType,
 * externalOptions, showCurrencySymbol, numberDisplayHint,
 * currencyPropertyName, dataSensitivity; each as the definition has it
 * (fields that are absent or null are left out; read-only ones such as
 * hubspotDefined, calculated, createdAt or modificationMetadata always).
 * Options become OptionInputs: label, value, description (unless absent or
 * null), displayOrder (the option's position when absent) and hidden (false
 * when absent).  The definition must pass hs_parse_property_json(), have a
 * groupName, and have the remaining fields' types (booleans: hidden,
 * formField, hasUniqueValue, externalOptions, showCurrencySymbol; strings:
 * the others); else HS_ERR_MALFORMED and *out is unchanged.  Pure.
 * Returns and fills *err as the parsers (http_status 0); HS_ERR_TRANSIENT
 * when out of memory, HS_ERR_CONFIG past out's maximum.
 */
enum hs_err hs_property_create_input(const char *definition, size_t len, struct buf *out,
				     struct hs_error *err);

/*
 * The answer to a batch create of the n inputs named names[0..n) (the
 * names sent, in order): 201 and 207 are HS_OK with *out filled as
 * hs_create_properties() says (a 201's body is not read; a 207's must be a
 * JSON object whose "results" and "errors", when there, are arrays of at
 * most HS_BATCH_MAX objects, else HS_ERR_MALFORMED); anything else is
 * hs_parse_error()'s.  On failure *out is zeroed.
 */
enum hs_err hs_parse_batch_create(long http_status, const char *body, size_t len,
				  const char *const *names, size_t n, struct hs_batch_result *out,
				  struct hs_error *err);

/*
 * Fill *err from an unsuccessful answer: kind from the status and HubSpot's
 * fields (any of them may be missing; a non-JSON body such as an HTML 503
 * page is allowed), http_status, and the bounded, control-character-free
 * copies of status, error, category, correlationId, message (or
 * error_description), errorType and policyName; rl_max, rl_remaining and
 * rl_interval_ms are -1.  Classification: 400/401 with invalid_grant,
 * BAD_REFRESH_TOKEN or BAD_AUTH_CODE -> AUTH; invalid_client,
 * unauthorized_client, unsupported_grant_type, BAD_CLIENT_ID,
 * BAD_CLIENT_SECRET, BAD_REDIRECT_URI, MISMATCH_REDIRECT_URI_AUTH_CODE ->
 * CONFIG; other 401 -> AUTH; other 400 -> MALFORMED; 403 -> PERMISSION;
 * 408, 429, 5xx -> TRANSIENT; anything else (including 2xx) -> MALFORMED.
 * Returns err->kind.
 */
enum hs_err hs_parse_error(long http_status, const char *body, size_t len, struct hs_error *err);

#endif
