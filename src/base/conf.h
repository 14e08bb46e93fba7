/*
 * conf: the configuration, read once at start-up from environment
 * variables (and, for keys the environment leaves unset, from the file
 * named by JETSTACK_ENV_FILE or ./var/jetstack.env, which `make run`
 * writes).  A missing or malformed value stops the program with one line
 * naming it.  The struct is read-only after conf_load().
 */
#ifndef JS_CONF_H
#define JS_CONF_H

#include <stddef.h>
#include <stdint.h>

enum conn_type { CONN_CONFIG_ONLY, CONN_CONFIG_AUDIT, CONN_AUDIT_ONLY, CONN__MAX };

/* The work a connection type allows. */
enum conn_work { CONN_WORK_IMPORT = 1, CONN_WORK_DEPLOY = 2, CONN_WORK_AUDIT = 4 };

struct conf {
	char *db_conninfo;	 /* JETSTACK_DATABASE */
	char *base_url;		 /* JETSTACK_BASE_URL, no trailing slash */
	int base_https;		 /* base_url starts with https:// */
	char *redirect_uri;	 /* base_url + /oauth/callback */
	char *hs_client_id;	 /* HUBSPOT_CLIENT_ID */
	char *hs_client_secret;	 /* HUBSPOT_CLIENT_SECRET */
	char *hs_authorize_url;	 /* HUBSPOT_AUTHORIZE_URL */
	char *hs_api_base;	 /* HUBSPOT_API_BASE, no trailing slash */
	uint8_t token_key[32];	 /* JETSTACK_TOKEN_KEY (base64 of 32 bytes) */
	int token_key_id;	 /* JETSTACK_TOKEN_KEY_ID */
	uint8_t session_key[32]; /* JETSTACK_SESSION_KEY (base64 of 32 bytes) */
	char *admin_roles;	 /* JETSTACK_HUBSPOT_ADMIN_ROLES, comma-separated */
	long session_idle;	 /* JETSTACK_SESSION_IDLE_SECONDS */
	long session_max;	 /* JETSTACK_SESSION_MAX_SECONDS */
	char *template_dir;	 /* JETSTACK_TEMPLATE_DIR */
	char *socket_path;	 /* JETSTACK_SOCKET (FastCGI program only) */
	int threads;		 /* JETSTACK_THREADS: besides one page thread per processor */
	int sched_normal;	 /* JETSTACK_SCHED: 0 batch (default), 1 normal */
	long hs_timeout_ms;	 /* JETSTACK_HUBSPOT_TIMEOUT_MS */
	int worker_concurrency;	 /* JETSTACK_WORKER_CONCURRENCY */
	int worker_db_connections; /* JETSTACK_WORKER_DB_CONNECTIONS */
	long refresh_margin;	 /* JETSTACK_REFRESH_MARGIN_SECONDS */
	long health_interval;	 /* JETSTACK_HEALTH_CHECK_SECONDS */
	long worker_poll;	 /* JETSTACK_WORKER_POLL_SECONDS */
	long job_lease;		 /* JETSTACK_JOB_LEASE_SECONDS */
	long hs_burst_limit;	 /* JETSTACK_HUBSPOT_BURST_LIMIT: calls per window per portal */
	long hs_burst_window_ms; /* JETSTACK_HUBSPOT_BURST_WINDOW_MS */
	char *scopes[CONN__MAX]; /* JETSTACK_SCOPES_{CONFIG_ONLY,...}: required, space-separated */
	char *optional_scopes[CONN__MAX];
	/* mail (digests): off while smtp_url is "" */
	char *smtp_url;		/* JETSTACK_SMTP_URL: smtp://host:port or smtps://host:port */
	char *smtp_user;	/* JETSTACK_SMTP_USER */
	char *smtp_password;	/* JETSTACK_SMTP_PASSWORD */
	char *smtp_from;	/* JETSTACK_SMTP_FROM: the sender address */
	char *smtp_ca_file;	/* JETSTACK_SMTP_CA_FILE: "" the system's CAs */
	int smtp_starttls;	/* JETSTACK_SMTP_STARTTLS: 1 required (default), 0 "off" */
	long mail_window;	/* JETSTACK_MAIL_DIGEST_WINDOW_SECONDS (300) */
	long mail_reminder;	/* JETSTACK_MAIL_REMINDER_SECONDS (604800) */
	long mail_retry;	/* JETSTACK_MAIL_RETRY_SECONDS (60): the first retry; it doubles to an hour */
	long events_retention;	/* JETSTACK_EVENTS_RETENTION_DAYS (90) */
	long link_ttl;		/* JETSTACK_RECONNECT_LINK_DAYS (7), in seconds */
	/* webhooks */
	long webhook_horizon;	/* JETSTACK_WEBHOOK_HORIZON_SECONDS (86400): retries stop after */
	long webhook_retry;	/* JETSTACK_WEBHOOK_RETRY_SECONDS (30): the first retry, doubling */
	long webhook_grace;	/* JETSTACK_WEBHOOK_ROTATION_GRACE_SECONDS (86400) */
	long webhook_timeout_ms; /* JETSTACK_WEBHOOK_TIMEOUT_MS (10000) */
	int webhook_allow_http;	 /* JETSTACK_WEBHOOK_ALLOW_HTTP: "yes" allows plain http */
	int webhook_allow_private; /* JETSTACK_WEBHOOK_ALLOW_PRIVATE: "yes" allows private addresses */
	/* the read API (issue 17 item 2) */
	long api_rate_limit;  /* JETSTACK_API_RATE_LIMIT (120): requests per token per window */
	long api_rate_window; /* JETSTACK_API_RATE_WINDOW_SECONDS (60) */
	/* the Client Accounts page cache (issue 19), per process; 0 off */
	long page_cache_bytes; /* JETSTACK_PAGE_CACHE_BYTES (4194304) */
	/* issue 18: the HubSpot circuit breaker (src/jobs/breaker.c): it opens
	 * when breaker_failures outage-kind failures of at least breaker_portals
	 * portals within breaker_window seconds outnumber HubSpot's answers;
	 * while open, one probe every breaker_probe seconds */
	long breaker_failures; /* JETSTACK_BREAKER_FAILURES (20) */
	long breaker_portals;  /* JETSTACK_BREAKER_PORTALS (5) */
	long breaker_window;   /* JETSTACK_BREAKER_WINDOW_SECONDS (30) */
	long breaker_probe;    /* JETSTACK_BREAKER_PROBE_SECONDS (3) */
};

enum conf_need {
	CONF_NEED_DB = 1,      /* database only (admin tool) */
	CONF_NEED_WEB = 2,     /* keys, base URL, templates */
	CONF_NEED_HUBSPOT = 4, /* HubSpot credentials */
};

/*
 * Fill c from the environment.  need is a mask of enum conf_need naming
 * what this program requires.  Returns 0, or -1 with one line naming the
 * variable in err.  Free with conf_free().
 */
int conf_load(struct conf *c, int need, char *err, size_t errlen);
void conf_free(struct conf *c);

/* Connection types: stable key ("config_only"), label ("Config Only"). */
const char *conf_conn_key(enum conn_type t);
const char *conf_conn_label(enum conn_type t);
/* 1 when type t allows work w (imports, deployments, audits), else 0. */
int conf_conn_allows(enum conn_type t, enum conn_work w);
/* What a type allows, in words ("imports and deployments"). */
const char *conf_conn_allows_text(enum conn_type t);
/* Parse a key; returns the type or -1. */
int conf_conn_parse(const char *key);
/* The first scope of required (space-separated) that the space-separated
 * list granted lacks: a pointer into required (not NUL-terminated) with
 * its length in *len; NULL (and *len 0) when granted has them all. */
const char *conf_scopes_first_missing(const char *required, const char *granted, size_t *len);
/* Whether space-separated scope list granted contains every scope of
 * required (space-separated).  1 yes, 0 no. */
int conf_scopes_cover(const char *required, const char *granted);

#endif
