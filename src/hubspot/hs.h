/*
 * hs: the HubSpot client, over httpc: the date-versioned OAuth endpoints
 * (https://developers.hubspot.com/docs/api-reference/2026-03/authentication/manage-oauth-tokens),
 * the Settings users API
 * (https://developers.hubspot.com/docs/api-reference/2026-03/account/settings/user-provisioning/users/get-user)
 * and the CRM properties API: read all properties
 * (https://developers.hubspot.com/docs/api-reference/2026-03/crm/properties/get-properties)
 * and read all property groups
 * (https://developers.hubspot.com/docs/api-reference/2026-03/crm/properties/property-groups/get-properties).
 *
 * Every call goes to a path under the configured API base, with form-encoded
 * bodies for the OAuth calls and Bearer authentication for the API calls;
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

struct httpc;

/* Limits on what HubSpot may send (bytes for strings, counts for arrays). */
#define HS_TOKEN_MAX	  2048 /* access_token, refresh_token */
#define HS_SHORT_MAX	  64   /* token_type, token_use, ids */
#define HS_TEXT_MAX	  320  /* emails, domains, role names */
#define HS_SCOPE_MAX	  256  /* one scope name */
#define HS_SCOPES_MAX	  512  /* scopes in one answer */
#define HS_ROLE_IDS_MAX	  256  /* roleIds of one user */
#define HS_ROLES_MAX	  2048 /* roles of one account */
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
 * What HubSpot answered, in plain words for logs and pages: "HTTP 503
 * SERVICE_UNAVAILABLE, correlation id X" when an answer came, else what
 * failed ("timeout: Operation timed out after 10001 milliseconds ...",
 * curl's own words).  Always NUL-terminated.
 */
void hs_error_text(const struct hs_error *err, char *out, size_t cap);

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
void hs_properties_free(struct hs_properties *p);
void hs_groups_free(struct hs_groups *g);

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
/* The properties' answer may be up to HS_PROPERTIES_BODY_MAX bytes. */
enum hs_err hs_parse_properties(long http_status, const char *body, size_t len,
				struct hs_properties *out, struct hs_error *err);
enum hs_err hs_parse_groups(long http_status, const char *body, size_t len, struct hs_groups *out,
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
