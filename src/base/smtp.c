/*
 * smtp: one message to one recipient over libcurl's SMTP.  See smtp.h for
 * the hardening, the checks made before anything is sent, and how a
 * failure is classified.  A new easy handle per message: mail is rare
 * (sign-in links, notices), so nothing is worth keeping between messages,
 * and no option or credential of one message can reach the next.
 *
 * libcurl's SMTP options, as documented (curl.se/libcurl/c/):
 *   - CURLOPT_MAIL_FROM: the sender's address, "should be specified with
 *     angled brackets (<>) around it"; libcurl copies the string.
 *   - CURLOPT_MAIL_RCPT: a curl_slist of recipients, each "within a pair of
 *     angled brackets"; libcurl does not copy the list, so it is kept until
 *     the transfer is done.
 *   - CURLOPT_USE_SSL: CURLUSESSL_ALL "require SSL for all communication or
 *     fail with CURLE_USE_SSL_FAILED" (the STARTTLS upgrade of smtp://).
 *   - CURLOPT_UPLOAD with CURLOPT_READFUNCTION: the message, which libcurl
 *     dot-stuffs and ends with CRLF "." CRLF itself.
 *   - CURLINFO_RESPONSE_CODE: "the last received HTTP, FTP, SMTP or LDAP
 *     response code".
 * libcurl hands every server reply line to CURLOPT_HEADERFUNCTION (its
 * "pingpong" protocols treat replies as headers); the last 4xx/5xx line is
 * kept for the error text, so verbose output is never needed.
 */
#include "smtp.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

/* Set one option; on failure record the refusal and jump to out. */
#define SMTP_SETOPT(C, OPT, VAL)                                                                   \
	do {                                                                                       \
		CURLcode setopt_rc_ = curl_easy_setopt((C), OPT, VAL);                             \
		if (setopt_rc_ != CURLE_OK) {                                                      \
			result = SMTP_TRANSIENT;                                                   \
			smtp_err(err, errlen,                                                      \
				 "smtp client setup failed: ", curl_easy_strerror(setopt_rc_),     \
				 NULL);                                                            \
			goto out;                                                                  \
		}                                                                                  \
	} while (0)

#define SMTP_REPLY_MAX 200 /* bytes of the server's last reply kept for err */

static const char *const smtp_resultstr[SMTP__MAX] = {
    [SMTP_SENT] = "sent",
    [SMTP_TRANSIENT] = "transient failure",
    [SMTP_PERMANENT] = "permanent failure",
    [SMTP_CONFIG] = "configuration error",
};

const char *smtp_strresult(enum smtp_result r)
{
	if ((int)r < 0 || r >= SMTP__MAX || smtp_resultstr[r] == NULL)
		return "unknown result";
	return smtp_resultstr[r];
}

/*
 * Write the concatenation of the parts (a NULL-terminated list) to err,
 * truncated to errlen, with every byte that is not printable ASCII turned
 * into a space (one line, no control characters, no UTF-8 halves).
 */
static void smtp_err(char *err, size_t errlen, const char *first, ...)
{
	const char *part;
	va_list ap;
	size_t n = 0;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, first);
	for (part = first; part != NULL; part = va_arg(ap, const char *)) {
		for (; *part != '\0' && n + 1 < errlen; part++) {
			unsigned char c = (unsigned char)*part;

			err[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : ' ';
		}
	}
	va_end(ap);
	/* Trailing spaces from a reply's CRLF say nothing. */
	while (n > 0 && err[n - 1] == ' ')
		n--;
	err[n] = '\0';
}

/*
 * Checks made before anything is sent.
 */

static int smtp_is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* RFC 5322 3.2.3 atext. */
static int smtp_is_atext(unsigned char c)
{
	return smtp_is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* A dot-separated run of non-empty labels of allowed characters. */
static int smtp_dotted_ok(const char *s, size_t n, int (*allowed)(unsigned char))
{
	size_t i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (s[i + 1] == '.')
				return 0;
		} else if (!allowed(c)) {
			return 0;
		}
	}
	return 1;
}

/* Labels of letters, digits and inner hyphens, joined by single dots. */
static int smtp_domain_ok(const char *s, size_t n)
{
	size_t i, label = 0;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i <= n; i++) {
		unsigned char c = i < n ? (unsigned char)s[i] : '.';

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-' || label > 63)
				return 0;
			label = 0;
		} else if (smtp_is_alnum(c) || (c == '-' && label > 0)) {
			label++;
		} else {
			return 0;
		}
	}
	return 1;
}

int smtp_addr_ok(const char *addr)
{
	const char *at;
	size_t len, local;

	if (addr == NULL)
		return 0;
	len = strnlen(addr, SMTP_ADDR_MAX + 1);
	if (len == 0 || len > SMTP_ADDR_MAX)
		return 0;
	at = strchr(addr, '@');
	if (at == NULL || strchr(at + 1, '@') != NULL)
		return 0;
	local = (size_t)(at - addr);
	if (local > SMTP_LOCAL_MAX || !smtp_dotted_ok(addr, local, smtp_is_atext))
		return 0;
	return smtp_domain_ok(at + 1, len - local - 1);
}

/* Whether libcurl parses url as scheme://host[:port][path] and nothing else. */
static int smtp_curl_agrees(const char *url, const char *scheme)
{
	CURLU *u = NULL;
	char *part = NULL;
	int result = 0;

	u = curl_url();
	if (u == NULL)
		goto out;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_SCHEME, &part, 0) != CURLUE_OK || strcmp(part, scheme) != 0)
		goto out;
	curl_free(part);
	part = NULL;
	if (curl_url_get(u, CURLUPART_HOST, &part, 0) != CURLUE_OK || part[0] == '\0')
		goto out;
	curl_free(part);
	part = NULL;
	if (curl_url_get(u, CURLUPART_USER, &part, 0) != CURLUE_NO_USER ||
	    curl_url_get(u, CURLUPART_PASSWORD, &part, 0) != CURLUE_NO_PASSWORD ||
	    curl_url_get(u, CURLUPART_OPTIONS, &part, 0) != CURLUE_NO_OPTIONS ||
	    curl_url_get(u, CURLUPART_QUERY, &part, 0) != CURLUE_NO_QUERY ||
	    curl_url_get(u, CURLUPART_FRAGMENT, &part, 0) != CURLUE_NO_FRAGMENT)
		goto out;
	result = 1;
out:
	curl_free(part);
	curl_url_cleanup(u);
	return result;
}

int smtp_url_ok(const char *url)
{
	const char *auth, *end, *p, *scheme;
	size_t len, i;

	if (url == NULL)
		return 0;
	len = strnlen(url, SMTP_URL_MAX + 1);
	if (len == 0 || len > SMTP_URL_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)url[i];

		/* No '@' (user info), ';' (login options), '?', '#', '%' or '\'. */
		if (c <= 0x20 || c >= 0x7f || strchr("@;?#%\\", c) != NULL)
			return 0;
	}
	if (strncmp(url, "smtp://", 7) == 0) {
		scheme = "smtp";
		auth = url + 7;
	} else if (strncmp(url, "smtps://", 8) == 0) {
		scheme = "smtps";
		auth = url + 8;
	} else {
		return 0;
	}
	end = strchr(auth, '/');
	if (end == NULL)
		end = auth + strlen(auth);
	if (end == auth)
		return 0;
	/* host: a DNS name, IPv4 or [IPv6]; then ":port" of 1..5 digits. */
	p = auth;
	if (*p == '[') {
		p++;
		while (p < end && (smtp_is_alnum((unsigned char)*p) || *p == ':' || *p == '.'))
			p++;
		if (p == auth + 1 || p >= end || *p != ']')
			return 0;
		p++;
	} else {
		const char *h = p;

		while (p < end && *p != ':')
			p++;
		if (!smtp_domain_ok(h, (size_t)(p - h)))
			return 0;
	}
	if (p < end) {
		size_t digits = 0;

		if (*p++ != ':')
			return 0;
		for (; p < end && *p >= '0' && *p <= '9'; p++)
			digits++;
		if (digits == 0 || digits > 5 || p != end)
			return 0;
	}
	/* "", "/" or "/" + an EHLO name. */
	if (*end == '/' && end[1] != '\0' && !smtp_domain_ok(end + 1, strlen(end + 1)))
		return 0;
	return smtp_curl_agrees(url, scheme);
}

/* NULL when message may be sent as it is, else why not. */
static const char *smtp_message_refusal(const char *message, size_t len)
{
	size_t i, line = 0;

	if (message == NULL || len == 0)
		return "message is empty";
	if (len > SMTP_MESSAGE_MAX)
		return "message is too large";
	for (i = 0; i < len; i++) {
		char c = message[i];

		if (c == '\0')
			return "message holds a nul byte";
		if (c == '\r') {
			if (i + 1 >= len || message[i + 1] != '\n')
				return "message holds a bare cr";
			i++;
			line = 0;
			continue;
		}
		if (c == '\n')
			return "message holds a bare lf";
		if (++line > SMTP_LINE_MAX)
			return "message has a line over 998 bytes";
	}
	return NULL;
}

/* NULL when the credentials may be used, else why not. */
static const char *smtp_cred_refusal(const char *user, const char *password)
{
	size_t i, n;

	if (user == NULL || user[0] == '\0')
		return NULL;
	n = strnlen(user, SMTP_CRED_MAX + 1);
	if (n > SMTP_CRED_MAX)
		return "smtp user name is too long";
	for (i = 0; i < n; i++)
		if ((unsigned char)user[i] < 0x20 || (unsigned char)user[i] == 0x7f)
			return "smtp user name holds a control character";
	if (password == NULL)
		return "smtp password is missing";
	if (strnlen(password, SMTP_CRED_MAX + 1) > SMTP_CRED_MAX)
		return "smtp password is too long";
	return NULL;
}

/*
 * Classification.
 */

enum smtp_result smtp_classify(int curl_code, long reply_code)
{
	switch ((CURLcode)curl_code) {
	case CURLE_OK:
		return SMTP_SENT;
	/* Refused before a connection, or our CA file: the configuration. */
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_NOT_BUILT_IN:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_BAD_FUNCTION_ARGUMENT:
	case CURLE_UNKNOWN_OPTION:
		return SMTP_CONFIG;
	/* STARTTLS missing or refused (whatever its reply code), TLS, network. */
	case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CLIENTCERT:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_GOT_NOTHING:
	case CURLE_OUT_OF_MEMORY:
		return SMTP_TRANSIENT;
	case CURLE_LOGIN_DENIED:
		/* 454: a temporary AUTH failure; else our credentials (or no
		 * mechanism in common). */
		return reply_code >= 400 && reply_code <= 499 ? SMTP_TRANSIENT : SMTP_CONFIG;
	default:
		break;
	}
	/* RFC 4954 / RFC 3207: AUTH or STARTTLS required first, mechanism too
	 * weak, credentials invalid, encryption required for the mechanism. */
	if (reply_code == 530 || reply_code == 534 || reply_code == 535 || reply_code == 538)
		return SMTP_CONFIG;
	if (reply_code >= 500 && reply_code <= 599)
		return SMTP_PERMANENT;
	return SMTP_TRANSIENT;
}

/*
 * The transfer.
 */

struct smtp_source {
	const char *p;
	size_t left;
};

/* libcurl read callback: the next part of the message. */
static size_t smtp_read(char *dst, size_t size, size_t nmemb, void *userdata)
{
	struct smtp_source *src = userdata;
	size_t n = size * nmemb; /* libcurl keeps this within its buffer size */

	if (n > src->left)
		n = src->left;
	memcpy(dst, src->p, n);
	src->p += n;
	src->left -= n;
	return n;
}

/*
 * libcurl header callback: each server reply line.  Keep the last refusal
 * (a 4xx or 5xx line): a failed command is followed by QUIT, whose "221"
 * says nothing.
 */
static size_t smtp_reply_line(char *data, size_t size, size_t nmemb, void *userdata)
{
	char *last = userdata;
	size_t n = size * nmemb, k;

	if (n < 4 || (data[0] != '4' && data[0] != '5'))
		return n;
	k = n < SMTP_REPLY_MAX ? n : SMTP_REPLY_MAX;
	memcpy(last, data, k);
	last[k] = '\0';
	return n;
}

enum smtp_result smtp_send(const struct smtp_config *cfg, const char *rcpt, const char *message,
			   size_t len, char *err, size_t errlen)
{
	enum smtp_result result = SMTP_CONFIG;
	CURL *curl = NULL;
	struct curl_slist *rcpts = NULL;
	struct smtp_source src;
	char from_path[SMTP_ADDR_MAX + 3], rcpt_path[SMTP_ADDR_MAX + 3];
	char errbuf[CURL_ERROR_SIZE];
	char last_reply[SMTP_REPLY_MAX + 1];
	char code_text[16];
	const char *why, *scheme;
	long reply = 0, connect_ms, total_ms;
	int tls_required;
	CURLcode rc;

	smtp_err(err, errlen, "", NULL);
	errbuf[0] = '\0';
	last_reply[0] = '\0';

	/* 1. Everything checked before a connection is made. */
	if (cfg == NULL || !smtp_url_ok(cfg->url)) {
		smtp_err(err, errlen, "smtp url is not smtp://host[:port] or smtps://host[:port]",
			 NULL);
		goto out;
	}
	if (!smtp_addr_ok(cfg->from)) {
		smtp_err(err, errlen, "smtp sender is not a plain address", NULL);
		goto out;
	}
	if (!smtp_addr_ok(rcpt)) {
		smtp_err(err, errlen, "recipient is not a plain address", NULL);
		goto out;
	}
	why = smtp_message_refusal(message, len);
	if (why == NULL)
		why = smtp_cred_refusal(cfg->user, cfg->password);
	if (why != NULL) {
		smtp_err(err, errlen, why, NULL);
		goto out;
	}
	scheme = strncmp(cfg->url, "smtps://", 8) == 0 ? "smtps" : "smtp";
	tls_required = strcmp(scheme, "smtps") == 0 || cfg->starttls;
	snprintf(from_path, sizeof(from_path), "<%s>", cfg->from);
	snprintf(rcpt_path, sizeof(rcpt_path), "<%s>", rcpt);
	connect_ms =
	    cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : SMTP_DEFAULT_CONNECT_TIMEOUT_MS;
	total_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : SMTP_DEFAULT_TIMEOUT_MS;

	/* 2. One easy handle, every option set and checked. */
	result = SMTP_TRANSIENT;
	curl = curl_easy_init();
	rcpts = curl_slist_append(NULL, rcpt_path);
	if (curl == NULL || rcpts == NULL) {
		smtp_err(err, errlen, "smtp client setup failed: out of memory", NULL);
		goto out;
	}
	src.p = message;
	src.left = len;
	SMTP_SETOPT(curl, CURLOPT_ERRORBUFFER, errbuf);
	SMTP_SETOPT(curl, CURLOPT_URL, cfg->url);
	SMTP_SETOPT(curl, CURLOPT_PROTOCOLS_STR, scheme);
	SMTP_SETOPT(curl, CURLOPT_REDIR_PROTOCOLS_STR, scheme);
	SMTP_SETOPT(curl, CURLOPT_FOLLOWLOCATION, 0L);
	SMTP_SETOPT(curl, CURLOPT_PROXY, ""); /* never a proxy from the environment */
	SMTP_SETOPT(curl, CURLOPT_NOSIGNAL, 1L);
	SMTP_SETOPT(curl, CURLOPT_NOPROGRESS, 1L);
	SMTP_SETOPT(curl, CURLOPT_VERBOSE, 0L);
	SMTP_SETOPT(curl, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	SMTP_SETOPT(curl, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	SMTP_SETOPT(curl, CURLOPT_TIMEOUT_MS, total_ms);
	SMTP_SETOPT(curl, CURLOPT_USE_SSL,
		    tls_required ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_NONE);
	SMTP_SETOPT(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	SMTP_SETOPT(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	SMTP_SETOPT(curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (cfg->ca_file != NULL && cfg->ca_file[0] != '\0')
		SMTP_SETOPT(curl, CURLOPT_CAINFO, cfg->ca_file);
	if (cfg->user != NULL && cfg->user[0] != '\0') {
		SMTP_SETOPT(curl, CURLOPT_USERNAME, cfg->user);
		SMTP_SETOPT(curl, CURLOPT_PASSWORD, cfg->password);
	}
	SMTP_SETOPT(curl, CURLOPT_MAIL_FROM, from_path);
	SMTP_SETOPT(curl, CURLOPT_MAIL_RCPT, rcpts);
	SMTP_SETOPT(curl, CURLOPT_UPLOAD, 1L);
	SMTP_SETOPT(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	SMTP_SETOPT(curl, CURLOPT_READFUNCTION, smtp_read);
	SMTP_SETOPT(curl, CURLOPT_READDATA, &src);
	SMTP_SETOPT(curl, CURLOPT_HEADERFUNCTION, smtp_reply_line);
	SMTP_SETOPT(curl, CURLOPT_HEADERDATA, last_reply);

	/* 3. The exchange; then its class from libcurl's code and the reply. */
	rc = curl_easy_perform(curl);
	if (curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply) != CURLE_OK || reply < 0)
		reply = 0;
	result = smtp_classify((int)rc, reply);
	if (result == SMTP_SENT)
		goto out;
	snprintf(code_text, sizeof(code_text), " (curl %d)", (int)rc);
	smtp_err(err, errlen, errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc), code_text,
		 reply >= 400 && last_reply[0] != '\0' ? "; server replied: " : "",
		 reply >= 400 ? last_reply : "", NULL);
out:
	if (curl != NULL)
		curl_easy_cleanup(curl);
	curl_slist_free_all(rcpts);
	return result;
}
