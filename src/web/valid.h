/*
 * valid: pure validators for every input field, used by the gate's
 * per-route field tables before a handler sees the request.
 */
#ifndef JS_VALID_H
#define JS_VALID_H

/* Each returns 1 when s is acceptable, else 0. */
int valid_email(const char *s);
int valid_password(const char *s);
int valid_conn_type(const char *s); /* config_only | config_audit | audit_only */
int valid_sort(const char *s);	    /* name | status | last */
/* The sort keys, in the order of enum portal_sort (db_portal.h), and the
 * index of s among them (-1: none). */
#define VALID_SORTS 3
extern const char *const valid_sort_keys[VALID_SORTS];
int valid_sort_index(const char *s);
int valid_status(const char *s); /* connected | needs_reconnection | disconnected */
int valid_id(const char *s);	 /* 1..18 digits, no leading zero */
int valid_oauth_code(const char *s);
int valid_oauth_error(const char *s);
int valid_text(const char *s);		/* printable UTF-8, at most 500 bytes */
int valid_local_path(const char *s);	/* "/..." and not "//": safe redirect target */
int valid_one(const char *s);		/* "1" */
int valid_confirm(const char *s);	/* "yes" */
int valid_search(const char *s);	/* printable UTF-8, at most 100 bytes; may be empty */
int valid_object_type(const char *s);	/* "" or contacts | companies | deals | tickets */
int valid_deploy_result(const char *s); /* created | updated | unchanged | failed | pending */
int valid_small_count(const char *s);	/* 1..3 digits, no leading zero */
int valid_notify(const char *s);	/* digest | off */
int valid_email_or_empty(const char *s);
int valid_portal_name(const char *s);	 /* printable UTF-8, 1..200 bytes, not only spaces */
int valid_label(const char *s);		 /* printable UTF-8, 1..40 bytes, not only spaces */
int valid_label_action(const char *s);	 /* add | remove */
int valid_webhook_url(const char *s);	 /* 8..2048 visible ASCII (outbound_url_ok decides) */
int valid_webhook_type(const char *s);	 /* portal.status_changed | run.finished */
int valid_webhook_action(const char *s); /* rotate | disable | enable | delete */
/* "" or an IANA-shaped name (A-Z a-z 0-9 _ / + -, at most 64 bytes); the
 * statement that stores it checks it against pg_timezone_names, and the
 * organisation's form refuses "" there */
int valid_time_zone(const char *s);
/* --- team (issue 17) --- */
int valid_role(const char *s); /* owner | admin | member | viewer */
/* A password people set in the app (an invitation, a reset): at least
 * VALID_PASSWORD_MIN characters (UTF-8 code points), at most 1024 bytes. */
#define VALID_PASSWORD_MIN 12
int valid_new_password(const char *s);

/* the activity log's filters (issue 17 item 1) */
int valid_id_or_empty(const char *s);	/* "" (all) or valid_id */
int valid_activity_kind(const char *s); /* "" (all) or A-Z a-z 0-9 _ . -, at most 64 */
int valid_date(const char *s);		/* YYYY-MM-DD, a real day, from 1900 */
int valid_date_or_empty(const char *s); /* "" (open) or valid_date */
/* The read API and its tokens (issue 17 item 2) */
#define VALID_API_SORTS 4
/* id | name | status | last, in the order of enum api_sort (db_apitoken.h) */
extern const char *const valid_api_sort_keys[VALID_API_SORTS];
int valid_api_sort(const char *s);
int valid_api_sort_index(const char *s); /* -1: none */
int valid_api_limit(const char *s);	 /* 1..200, no leading zero */
int valid_api_after(const char *s);	 /* "0" or valid_id */
int valid_api_cursor(const char *s);	 /* 1..APICURSOR_MAX base64url characters */
int valid_api_token_name(const char *s); /* printable UTF-8, 1..100 bytes, not only spaces */

#endif
