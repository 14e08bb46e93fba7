/*
 * conf: configuration from environment variables, validated at start-up.
 *
 * Lookup order for each key: the process environment, then the env file
 * (JETSTACK_ENV_FILE, default ./var/jetstack.env when it exists) that
 * `make run` writes, then the built-in default.  Secrets have no default.
 */
#include "conf.h"
#include "crypt.h"
#include "httpc.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The connection types and their HubSpot scopes: the one table. */
static const struct {
	const char *key;
	const char *label;
	const char *env;
	const char *required;
	const char *optional;
	unsigned allows; /* enum conn_work bits */
	const char *allows_text;
} conn_types[CONN__MAX] = {
    /* imports and audits read, and deployments write, the property schemas of the four
     * object types: HubSpot's 2026-03 properties API takes crm.schemas.{o}.read
     * and .write for contacts, companies and deals, and the "tickets" scope for
     * tickets (it has no crm.schemas.tickets.*) */
    [CONN_CONFIG_ONLY] = {"config_only", "Config Only", "JETSTACK_SCOPES_CONFIG_ONLY",
			  "oauth settings.users.read crm.schemas.contacts.read "
			  "crm.schemas.contacts.write crm.schemas.companies.read "
			  "crm.schemas.companies.write crm.schemas.deals.read "
			  "crm.schemas.deals.write tickets automation forms",
			  "content", CONN_WORK_IMPORT | CONN_WORK_DEPLOY,
			  "imports and deployments"},
    [CONN_CONFIG_AUDIT] = {"config_audit", "Config + Audit", "JETSTACK_SCOPES_CONFIG_AUDIT",
			   "oauth settings.users.read crm.schemas.contacts.read "
			   "crm.schemas.contacts.write crm.schemas.companies.read "
			   "crm.schemas.companies.write crm.schemas.deals.read "
			   "crm.schemas.deals.write tickets automation forms "
			   "crm.objects.contacts.read",
			   "content", CONN_WORK_IMPORT | CONN_WORK_DEPLOY | CONN_WORK_AUDIT,
			   "imports, deployments and audits"},
    [CONN_AUDIT_ONLY] = {"audit_only", "Audit Only", "JETSTACK_SCOPES_AUDIT_ONLY",
			 "oauth settings.users.read crm.schemas.contacts.read "
			 "crm.schemas.companies.read crm.schemas.deals.read tickets automation "
			 "crm.objects.contacts.read",
			 "", CONN_WORK_AUDIT, "audits only"},
};

/* The env file, parsed once: KEY=VALUE lines, '#' comments. */
struct envfile {
	char **keys;
	char **vals;
	size_t n;
};

static void envfile_free(struct envfile *ef)
{
	for (size_t i = 0; i < ef->n; i++) {
		free(ef->keys[i]);
		free(ef->vals[i]);
	}
	free(ef->keys);
	free(ef->vals);
	memset(ef, 0, sizeof(*ef));
}

static int envfile_load(struct envfile *ef, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096];

	if (f == NULL)
		return errno == ENOENT ? 0 : -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *eq, *end, **nk, **nv;
		size_t l = strlen(line);

		while (l && (line[l - 1] == '\n' || line[l - 1] == '\r'))
			line[--l] = '\0';
		if (line[0] == '#' || line[0] == '\0' || (eq = strchr(line, '=')) == NULL)
			continue;
		*eq = '\0';
		end = eq + 1;
		nk = realloc(ef->keys, (ef->n + 1) * sizeof(*nk));
		if (nk == NULL)
			break;
		ef->keys = nk;
		nv = realloc(ef->vals, (ef->n + 1) * sizeof(*nv));
		if (nv == NULL)
			break;
		ef->vals = nv;
		ef->keys[ef->n] = strdup(line);
		ef->vals[ef->n] = strdup(end);
		if (ef->keys[ef->n] == NULL || ef->vals[ef->n] == NULL) {
			free(ef->keys[ef->n]);
			free(ef->vals[ef->n]);
			break;
		}
		ef->n++;
	}
	fclose(f);
	return 0;
}

static const char *lookup(const struct envfile *ef, const char *key)
{
	const char *v = getenv(key);

	if (v != NULL)
		return v;
	for (size_t i = 0; i < ef->n; i++)
		if (strcmp(ef->keys[i], key) == 0)
			return ef->vals[i];
	return NULL;
}

static int set_str(char **dst, const struct envfile *ef, const char *key, const char *def,
		   int required, char *err, size_t errlen)
{
	const char *v = lookup(ef, key);

	if (v == NULL || *v == '\0')
		v = def;
	if (v == NULL) {
		if (required) {
			snprintf(err, errlen, "configuration: %s is not set", key);
			return -1;
		}
		v = "";
	}
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20) {
			snprintf(err, errlen, "configuration: %s contains a control character",
				 key);
			return -1;
		}
	*dst = strdup(v);
	if (*dst == NULL) {
		snprintf(err, errlen, "configuration: out of memory reading %s", key);
		return -1;
	}
	return 0;
}

static int set_long(long *dst, const struct envfile *ef, const char *key, long def, long min,
		    long max, char *err, size_t errlen)
{
	const char *v = lookup(ef, key);
	char *end;
	long n;

	if (v == NULL || *v == '\0') {
		*dst = def;
		return 0;
	}
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end != '\0' || end == v || n < min || n > max) {
		snprintf(err, errlen, "configuration: %s must be an integer from %ld to %ld", key,
			 min, max);
		return -1;
	}
	*dst = n;
	return 0;
}

/* *dst = the index of the value of key in names (n of them, names[0] the
 * default when unset or empty); any other value stops start-up. */
static int set_choice(int *dst, const struct envfile *ef, const char *key, const char *const *names,
		      int n, char *err, size_t errlen)
{
	const char *v = lookup(ef, key);

	if (v == NULL || *v == '\0') {
		*dst = 0;
		return 0;
	}
	for (int i = 0; i < n; i++)
		if (strcmp(v, names[i]) == 0) {
			*dst = i;
			return 0;
		}
	snprintf(err, errlen, "configuration: %s must be %s or %s", key, names[0], names[n - 1]);
	return -1;
}

static int set_key(uint8_t key[32], const struct envfile *ef, const char *name, char *err,
		   size_t errlen)
{
	const char *v = lookup(ef, name);

	if (v == NULL || *v == '\0') {
		snprintf(err, errlen, "configuration: %s is not set (base64 of 32 random bytes)",
			 name);
		return -1;
	}
	if (crypt_key_from_b64(v, key) < 0) {
		snprintf(err, errlen, "configuration: %s is not base64 of exactly 32 bytes", name);
		return -1;
	}
	return 0;
}

/* A URL with the given scheme(s), a host, and no query/fragment/space. */
static int url_ok(const char *u, int allow_path)
{
	const char *p;

	if (strncmp(u, "https://", 8) == 0)
		p = u + 8;
	else if (strncmp(u, "http://", 7) == 0)
		p = u + 7;
	else
		return 0;
	if (*p == '\0' || *p == '/' || *p == ':')
		return 0;
	for (const char *q = p; *q; q++) {
		if (isspace((unsigned char)*q) || *q == '?' || *q == '#' || *q == '@')
			return 0;
		if (*q == '/' && !allow_path)
			return 0;
	}
	return 1;
}

static void strip_slash(char *s)
{
	size_t l = strlen(s);

	while (l > 0 && s[l - 1] == '/')
		s[--l] = '\0';
}

static int check_url(char *v, const char *key, int allow_path, char *err, size_t errlen)
{
	strip_slash(v);
	if (!url_ok(v, allow_path)) {
		snprintf(err, errlen, "configuration: %s must be an http(s) URL without query",
			 key);
		return -1;
	}
	return 0;
}

/* A HubSpot URL: as check_url, and one the HubSpot client would call
 * (httpc_url_allowed: https, or plain http only to a loopback address),
 * so a wrong one stops start-up instead of failing every call later. */
static int check_hubspot_url(char *v, const char *key, char *err, size_t errlen)
{
	if (check_url(v, key, 1, err, errlen) < 0)
		return -1;
	if (!httpc_url_allowed(v)) {
		snprintf(err, errlen,
			 "configuration: %s must be https (plain http only to a loopback address)",
			 key);
		return -1;
	}
	return 0;
}

int conf_load(struct conf *c, int need, char *err, size_t errlen)
{
	struct envfile ef = {0};
	const char *path = getenv("JETSTACK_ENV_FILE");
	int result = -1;
	long n;

	memset(c, 0, sizeof(*c));
	if (path == NULL || *path == '\0')
		path = "var/jetstack.env";
	if (envfile_load(&ef, path) < 0) {
		snprintf(err, errlen, "configuration: cannot read JETSTACK_ENV_FILE %s", path);
		goto out;
	}
	if (set_str(&c->db_conninfo, &ef, "JETSTACK_DATABASE", NULL, 1, err, errlen) < 0)
		goto out;
	if (set_str(&c->base_url, &ef, "JETSTACK_BASE_URL", "http://127.0.0.1:8080", 0, err,
		    errlen) < 0 ||
	    check_url(c->base_url, "JETSTACK_BASE_URL", 1, err, errlen) < 0)
		goto out;
	c->base_https = strncmp(c->base_url, "https://", 8) == 0;
	c->redirect_uri = malloc(strlen(c->base_url) + sizeof("/oauth/callback"));
	if (c->redirect_uri == NULL)
		goto out;
	memcpy(c->redirect_uri, c->base_url, strlen(c->base_url));
	memcpy(c->redirect_uri + strlen(c->base_url), "/oauth/callback", sizeof("/oauth/callback"));

	int hs = (need & CONF_NEED_HUBSPOT) != 0;
	if (set_str(&c->hs_client_id, &ef, "HUBSPOT_CLIENT_ID", NULL, hs, err, errlen) < 0 ||
	    set_str(&c->hs_client_secret, &ef, "HUBSPOT_CLIENT_SECRET", NULL, hs, err, errlen) < 0)
		goto out;
	if (set_str(&c->hs_authorize_url, &ef, "HUBSPOT_AUTHORIZE_URL",
		    "https://app.hubspot.com/oauth/authorize", 0, err, errlen) < 0 ||
	    check_hubspot_url(c->hs_authorize_url, "HUBSPOT_AUTHORIZE_URL", err, errlen) < 0)
		goto out;
	if (set_str(&c->hs_api_base, &ef, "HUBSPOT_API_BASE", "https://api.hubapi.com", 0, err,
		    errlen) < 0 ||
	    check_hubspot_url(c->hs_api_base, "HUBSPOT_API_BASE", err, errlen) < 0)
		goto out;
	if (need & (CONF_NEED_WEB | CONF_NEED_HUBSPOT)) {
		if (set_key(c->token_key, &ef, "JETSTACK_TOKEN_KEY", err, errlen) < 0)
			goto out;
	}
	if (need & CONF_NEED_WEB) {
		if (set_key(c->session_key, &ef, "JETSTACK_SESSION_KEY", err, errlen) < 0)
			goto out;
	}
	if (set_long(&n, &ef, "JETSTACK_TOKEN_KEY_ID", 1, 1, 1000000, err, errlen) < 0)
		goto out;
	c->token_key_id = (int)n;
	if (set_str(&c->admin_roles, &ef, "JETSTACK_HUBSPOT_ADMIN_ROLES", "Admin", 0, err, errlen) <
	    0)
		goto out;
	if (set_long(&c->session_idle, &ef, "JETSTACK_SESSION_IDLE_SECONDS", 1800, 60, 86400 * 30,
		     err, errlen) < 0 ||
	    set_long(&c->session_max, &ef, "JETSTACK_SESSION_MAX_SECONDS", 43200, 60, 86400 * 90,
		     err, errlen) < 0)
		goto out;
	if (set_str(&c->template_dir, &ef, "JETSTACK_TEMPLATE_DIR", "templates", 0, err, errlen) <
		0 ||
	    set_str(&c->socket_path, &ef, "JETSTACK_SOCKET", "", 0, err, errlen) < 0)
		goto out;
	if (set_long(&n, &ef, "JETSTACK_THREADS", 4, 1, 256, err, errlen) < 0)
		goto out;
	c->threads = (int)n;
	static const char *const scheds[] = {"batch", "normal"};
	if (set_choice(&c->sched_normal, &ef, "JETSTACK_SCHED", scheds, 2, err, errlen) < 0)
		goto out;
	if (set_long(&c->hs_timeout_ms, &ef, "JETSTACK_HUBSPOT_TIMEOUT_MS", 10000, 100, 120000, err,
		     errlen) < 0)
		goto out;
	if (set_long(&n, &ef, "JETSTACK_WORKER_CONCURRENCY", 16, 1, 512, err, errlen) < 0)
		goto out;
	c->worker_concurrency = (int)n;
	if (set_long(&n, &ef, "JETSTACK_WORKER_DB_CONNECTIONS", 2, 1, 512, err, errlen) < 0)
		goto out;
	c->worker_db_connections = (int)n;
	if (set_long(&c->refresh_margin, &ef, "JETSTACK_REFRESH_MARGIN_SECONDS", 300, 0, 86400, err,
		     errlen) < 0 ||
	    set_long(&c->health_interval, &ef, "JETSTACK_HEALTH_CHECK_SECONDS", 21600, 1,
		     86400 * 30, err, errlen) < 0 ||
	    set_long(&c->worker_poll, &ef, "JETSTACK_WORKER_POLL_SECONDS", 5, 1, 3600, err,
		     errlen) < 0 ||
	    set_long(&c->hs_burst_limit, &ef, "JETSTACK_HUBSPOT_BURST_LIMIT", 100, 1, 100000, err,
		     errlen) < 0 ||
	    set_long(&c->hs_burst_window_ms, &ef, "JETSTACK_HUBSPOT_BURST_WINDOW_MS", 10000, 100,
		     3600000, err, errlen) < 0)
		goto out;
	if (set_long(&c->job_lease, &ef, "JETSTACK_JOB_LEASE_SECONDS", 120, 2, 86400, err, errlen) <
	    0)
		goto out;
	for (int t = 0; t < CONN__MAX; t++) {
		if (set_str(&c->scopes[t], &ef, conn_types[t].env, conn_types[t].required, 0, err,
			    errlen) < 0)
			goto out;
		c->optional_scopes[t] = strdup(conn_types[t].optional);
		if (c->optional_scopes[t] == NULL)
			goto out;
	}
	static const char *const tls[] = {"required", "off"};
	int tls_off = 0;

	if (set_str(&c->smtp_url, &ef, "JETSTACK_SMTP_URL", "", 0, err, errlen) < 0 ||
	    set_str(&c->smtp_user, &ef, "JETSTACK_SMTP_USER", "", 0, err, errlen) < 0 ||
	    set_str(&c->smtp_password, &ef, "JETSTACK_SMTP_PASSWORD", "", 0, err, errlen) < 0 ||
	    set_str(&c->smtp_from, &ef, "JETSTACK_SMTP_FROM", "", 0, err, errlen) < 0 ||
	    set_str(&c->smtp_ca_file, &ef, "JETSTACK_SMTP_CA_FILE", "", 0, err, errlen) < 0 ||
	    set_choice(&tls_off, &ef, "JETSTACK_SMTP_STARTTLS", tls, 2, err, errlen) < 0 ||
	    set_long(&c->mail_window, &ef, "JETSTACK_MAIL_DIGEST_WINDOW_SECONDS", 300, 0, 86400,
		     err, errlen) < 0 ||
	    set_long(&c->mail_reminder, &ef, "JETSTACK_MAIL_REMINDER_SECONDS", 604800, 1,
		     86400 * 365, err, errlen) < 0 ||
	    set_long(&c->events_retention, &ef, "JETSTACK_EVENTS_RETENTION_DAYS", 90, 1, 3650, err,
		     errlen) < 0 ||
	    set_long(&c->mail_retry, &ef, "JETSTACK_MAIL_RETRY_SECONDS", 60, 1, 3600, err,
		     errlen) < 0)
		goto out;
	c->smtp_starttls = !tls_off;
	static const char *const yesno[] = {"no", "yes"};

	if (set_long(&c->link_ttl, &ef, "JETSTACK_RECONNECT_LINK_DAYS", 7, 1, 90, err, errlen) < 0)
		goto out;
	c->link_ttl *= 86400;
	if (set_long(&c->webhook_horizon, &ef, "JETSTACK_WEBHOOK_HORIZON_SECONDS", 86400, 1,
		     86400 * 30, err, errlen) < 0 ||
	    set_long(&c->webhook_retry, &ef, "JETSTACK_WEBHOOK_RETRY_SECONDS", 30, 1, 3600, err,
		     errlen) < 0 ||
	    set_long(&c->webhook_grace, &ef, "JETSTACK_WEBHOOK_ROTATION_GRACE_SECONDS", 86400, 0,
		     86400 * 30, err, errlen) < 0 ||
	    set_long(&c->webhook_timeout_ms, &ef, "JETSTACK_WEBHOOK_TIMEOUT_MS", 10000, 100, 120000,
		     err, errlen) < 0 ||
	    set_choice(&c->webhook_allow_http, &ef, "JETSTACK_WEBHOOK_ALLOW_HTTP", yesno, 2, err,
		       errlen) < 0 ||
	    set_choice(&c->webhook_allow_private, &ef, "JETSTACK_WEBHOOK_ALLOW_PRIVATE", yesno, 2,
		       err, errlen) < 0)
		goto out;
	/* the read API's rate limit per token (issue 17 item 2) */
	if (set_long(&c->api_rate_limit, &ef, "JETSTACK_API_RATE_LIMIT", 120, 1, 100000, err,
		     errlen) < 0 ||
	    set_long(&c->api_rate_window, &ef, "JETSTACK_API_RATE_WINDOW_SECONDS", 60, 1, 3600, err,
		     errlen) < 0)
		goto out;
	/* the Client Accounts page cache of each process (issue 19) */
	if (set_long(&c->page_cache_bytes, &ef, "JETSTACK_PAGE_CACHE_BYTES", 4194304, 0,
		     1073741824, err, errlen) < 0)
		goto out;
	/* issue 18: the HubSpot circuit breaker */
	if (set_long(&c->breaker_failures, &ef, "JETSTACK_BREAKER_FAILURES", 20, 1, 1000000, err,
		     errlen) < 0 ||
	    set_long(&c->breaker_portals, &ef, "JETSTACK_BREAKER_PORTALS", 5, 1, 1000000, err,
		     errlen) < 0 ||
	    set_long(&c->breaker_window, &ef, "JETSTACK_BREAKER_WINDOW_SECONDS", 30, 1, 3600, err,
		     errlen) < 0 ||
	    set_long(&c->breaker_probe, &ef, "JETSTACK_BREAKER_PROBE_SECONDS", 3, 1, 3600, err,
		     errlen) < 0)
		goto out;
	if (c->smtp_url[0] && strncmp(c->smtp_url, "smtp://", 7) != 0 &&
	    strncmp(c->smtp_url, "smtps://", 8) != 0) {
		snprintf(err, errlen,
			 "configuration: JETSTACK_SMTP_URL must start with smtp:// or smtps://");
		goto out;
	}
	if (c->smtp_url[0] && (strchr(c->smtp_from, '@') == NULL ||
			       strpbrk(c->smtp_from, "<>\"(),; \r\n\t") != NULL)) {
		snprintf(err, errlen,
			 "configuration: JETSTACK_SMTP_FROM must be a sender address (name@domain) "
			 "when JETSTACK_SMTP_URL is set");
		goto out;
	}
	result = 0;
out:
	envfile_free(&ef);
	if (result < 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "configuration: out of memory");
		conf_free(c);
	}
	return result;
}

void conf_free(struct conf *c)
{
	free(c->db_conninfo);
	free(c->base_url);
	free(c->redirect_uri);
	free(c->hs_client_id);
	free(c->hs_client_secret);
	free(c->hs_authorize_url);
	free(c->hs_api_base);
	free(c->admin_roles);
	free(c->template_dir);
	free(c->smtp_url);
	free(c->smtp_user);
	free(c->smtp_password);
	free(c->smtp_from);
	free(c->smtp_ca_file);
	free(c->socket_path);
	for (int t = 0; t < CONN__MAX; t++) {
		free(c->scopes[t]);
		free(c->optional_scopes[t]);
	}
	memset(c, 0, sizeof(*c));
}

const char *conf_conn_key(enum conn_type t)
{
	return (unsigned)t < CONN__MAX ? conn_types[t].key : "";
}

const char *conf_conn_label(enum conn_type t)
{
	return (unsigned)t < CONN__MAX ? conn_types[t].label : "";
}

int conf_conn_allows(enum conn_type t, enum conn_work w)
{
	return (unsigned)t < CONN__MAX && (conn_types[t].allows & w) != 0;
}

const char *conf_conn_allows_text(enum conn_type t)
{
	return (unsigned)t < CONN__MAX ? conn_types[t].allows_text : "";
}

int conf_conn_parse(const char *key)
{
	if (key == NULL)
		return -1;
	for (int t = 0; t < CONN__MAX; t++)
		if (strcmp(key, conn_types[t].key) == 0)
			return t;
	return -1;
}

/* Whether the space-separated list has the word w (length n). */
static int has_word(const char *list, const char *w, size_t n)
{
	const char *p = list;

	while (*p) {
		size_t l;

		while (*p == ' ')
			p++;
		l = strcspn(p, " ");
		if (l == n && memcmp(p, w, n) == 0)
			return 1;
		p += l;
	}
	return 0;
}

const char *conf_scopes_first_missing(const char *required, const char *granted, size_t *len)
{
	const char *p = required;

	*len = 0;
	while (*p) {
		size_t l;

		while (*p == ' ')
			p++;
		l = strcspn(p, " ");
		if (l && !has_word(granted, p, l)) {
			*len = l;
			return p;
		}
		p += l;
	}
	return NULL;
}

int conf_scopes_cover(const char *required, const char *granted)
{
	size_t l;

	return conf_scopes_first_missing(required, granted, &l) == NULL;
}
