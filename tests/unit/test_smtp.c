/*
 * Unit tests for smtp (one message through libcurl's SMTP).
 *
 * Without a server: the address and URL checks, the refusals made before
 * anything is sent (SMTP_CONFIG), the classification table, a closed
 * loopback port and a listener that never answers (SMTP_TRANSIENT).
 *
 * With a real server: tests/smtp_server.py (aiosmtpd) started by each test
 * as a child process (/usr/bin/python3, not traced by valgrind) on a free
 * port it picks itself (--port 0, read back from its "listening on" line),
 * with a throwaway CA made once by its make-ca command; what arrived is read
 * from its maildir (the .eml and the .json sidecar: envelope, tls,
 * auth_user).  The checked teardown stops the server (SIGTERM by PID) even
 * when a test fails.  Run from the repository root (make, scripts/test.sh).
 */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cJSON.h>
#include <curl/curl.h>

#include "smtp.h"

#define PYTHON	 "/usr/bin/python3"
#define SERVER	 "tests/smtp_server.py"
#define FROM	 "noreply@jetstack.example"
#define RCPT	 "owner@agency.example"
#define PASSWORD "Pw-7fc1e0c9-secret"
#define MSG                                                                                        \
	"From: JetStack <" FROM ">\r\nTo: <" RCPT ">\r\nSubject: Sign-in link\r\n\r\n"             \
	"Hello.\r\n.a line that starts with a dot\r\n"
#define LIT(s)	 (s), (sizeof(s) - 1)
#define MAX_ARGS 24

static char ca_dir[64]; /* the throwaway CA, made once in main() */
static char ca_pem[128], cert_pem[128], key_pem[128];

/* The server of the running test. */
static pid_t srv_pid = -1;
static int srv_port;
static char srv_dir[64]; /* its maildir */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_tree(const char *dir)
{
	if (dir[0] != '\0')
		nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Run argv (argv[0] a path, its stdout to /dev/null) and wait; its exit status, or -1. */
static int run(char *const argv[])
{
	pid_t pid;
	int st;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		if (devnull >= 0)
			dup2(devnull, STDOUT_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/*
 * Start tests/smtp_server.py with the extra arguments (NULL-terminated) on a
 * new maildir and wait for its "listening on 127.0.0.1:N" line.  0 or -1.
 */
static int server_start(const char *first, ...)
{
	char *argv[MAX_ARGS];
	char line[128];
	const char *a;
	va_list ap;
	int fds[2], n = 0, got = 0;
	pid_t pid;

	snprintf(srv_dir, sizeof(srv_dir), "/tmp/jetstack-smtp-mail-XXXXXX");
	if (mkdtemp(srv_dir) == NULL)
		return -1;
	argv[n++] = PYTHON;
	argv[n++] = SERVER;
	argv[n++] = "--port";
	argv[n++] = "0";
	argv[n++] = "--maildir";
	argv[n++] = srv_dir;
	va_start(ap, first);
	for (a = first; a != NULL && n < MAX_ARGS - 1; a = va_arg(ap, const char *))
		argv[n++] = (char *)a;
	va_end(ap);
	argv[n] = NULL;
	if (pipe(fds) != 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execv(PYTHON, argv);
		_exit(127);
	}
	close(fds[1]);
	srv_pid = pid;
	/* One line, read until its newline; 30 s at most. */
	while (got < (int)sizeof(line) - 1) {
		struct pollfd p = {.fd = fds[0], .events = POLLIN};
		ssize_t r;

		if (poll(&p, 1, 30000) != 1)
			break;
		r = read(fds[0], line + got, 1);
		if (r != 1)
			break;
		if (line[got++] == '\n')
			break;
	}
	line[got] = '\0';
	close(fds[0]);
	if (sscanf(line, "listening on 127.0.0.1:%d", &srv_port) != 1) {
		fprintf(stderr, "smtp_server did not start: %s\n", line);
		return -1;
	}
	return 0;
}

static void server_stop(void)
{
	int st;

	if (srv_pid > 0) {
		kill(srv_pid, SIGTERM);
		waitpid(srv_pid, &st, 0);
		srv_pid = -1;
	}
	rm_tree(srv_dir);
	srv_dir[0] = '\0';
}

static void setup(void)
{
	srv_pid = -1;
	srv_dir[0] = '\0';
}

static void teardown(void)
{
	server_stop();
}

/* The number of messages (.eml files) in the maildir. */
static int eml_count(void)
{
	DIR *d = opendir(srv_dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);

		if (e->d_name[0] != '.' && l > 4 && strcmp(e->d_name + l - 4, ".eml") == 0)
			n++;
	}
	closedir(d);
	return n;
}

/* The contents of the first file in the maildir ending in suffix (malloc'd). */
static char *maildir_file(const char *suffix)
{
	DIR *d = opendir(srv_dir);
	struct dirent *e;
	char path[512], *buf = NULL;
	FILE *f;
	long sz;

	if (d == NULL)
		return NULL;
	path[0] = '\0';
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);

		if (e->d_name[0] != '.' && l > strlen(suffix) &&
		    strcmp(e->d_name + l - strlen(suffix), suffix) == 0) {
			snprintf(path, sizeof(path), "%s/%s", srv_dir, e->d_name);
			break;
		}
	}
	closedir(d);
	if (path[0] == '\0' || (f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (sz = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = calloc(1, (size_t)sz + 1);
		if (buf != NULL && fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

/* The sidecar of the one message received (cJSON_Delete it). */
static cJSON *sidecar(void)
{
	char *s = maildir_file(".json");
	cJSON *j;

	ck_assert_ptr_nonnull(s);
	j = cJSON_Parse(s);
	free(s);
	ck_assert_ptr_nonnull(j);
	return j;
}

/* A config for the running server: scheme "smtp" or "smtps". */
static struct smtp_config cfg_for(const char *scheme, char *url, size_t urlsz)
{
	struct smtp_config c = {0};

	snprintf(url, urlsz, "%s://127.0.0.1:%d", scheme, srv_port);
	c.url = url;
	c.from = FROM;
	c.ca_file = ca_pem;
	c.starttls = 1;
	c.connect_timeout_ms = 10000;
	c.timeout_ms = 30000;
	return c;
}

static enum smtp_result send_msg(const struct smtp_config *c, char *err, size_t errlen)
{
	return smtp_send(c, RCPT, LIT(MSG), err, errlen);
}

/* err is one line of printable ASCII without the password. */
static void assert_clean_err(const char *err)
{
	const char *p;

	ck_assert_ptr_null(strstr(err, PASSWORD));
	for (p = err; *p != '\0'; p++)
		ck_assert((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
}

/*
 * Without a server.
 */

START_TEST(test_addr_ok)
{
	static const char *const good[] = {
	    "a@b",
	    "owner@agency.example",
	    "first.last+tag@mail.example.co.uk",
	    "x_y-z@a-b.example",
	    "o'neil@example.com",
	    "!#$%&'*+-/=?^_`{|}~@example.com",
	};
	static const char *const bad[] = {
	    "",
	    "plain",
	    "@example.com",
	    "a@",
	    "a@@b",
	    "a@b@c",
	    "a b@example.com",
	    "a@example .com",
	    "<a@example.com>",
	    "a@example.com>",
	    "a@example.com\r\nRCPT TO:<x@y>",
	    "a@example.com\n",
	    "a\r@example.com",
	    "\"quoted\"@example.com",
	    ".a@example.com",
	    "a.@example.com",
	    "a..b@example.com",
	    "a@.example.com",
	    "a@example.com.",
	    "a@exa..mple.com",
	    "a@[127.0.0.1]",
	    "a@ex_ample.com",
	    "a(comment)@example.com",
	    "a,b@example.com",
	    "a;b@example.com",
	    "a@example.com:25",
	    "\xc3\xa9@example.com",
	    "a@\xc3\xa9xample.com",
	    "a\\b@example.com",
	};
	char longlocal[80], longaddr[300];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(smtp_addr_ok(good[i]), "refused %s", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!smtp_addr_ok(bad[i]), "accepted %s", bad[i]);
	ck_assert(!smtp_addr_ok(NULL));

	memset(longlocal, 'a', 64);
	snprintf(longlocal + 64, sizeof(longlocal) - 64, "@example.com");
	ck_assert(smtp_addr_ok(longlocal));
	memset(longlocal, 'a', 65);
	snprintf(longlocal + 65, sizeof(longlocal) - 65, "@example.com");
	ck_assert(!smtp_addr_ok(longlocal));
	/* 254 bytes pass, 255 do not. */
	memcpy(longaddr, "a@", 2);
	for (i = 2; i < 254; i += 2)
		memcpy(longaddr + i, i + 2 < 254 ? "b." : "bc", 2);
	longaddr[254] = '\0';
	ck_assert_uint_eq(strlen(longaddr), 254);
	ck_assert(smtp_addr_ok(longaddr));
	longaddr[253] = '.';
	longaddr[254] = 'c';
	longaddr[255] = '\0';
	ck_assert(!smtp_addr_ok(longaddr));
}
END_TEST

START_TEST(test_url_ok)
{
	static const char *const good[] = {
	    "smtp://127.0.0.1",
	    "smtp://127.0.0.1:2525",
	    "smtps://smtp.example.com:465",
	    "smtp://mail.example.com:587/",
	    "smtp://mail.example.com:587/jetstack.example.com",
	    "smtp://localhost:25",
	    "smtp://[::1]:2525",
	};
	static const char *const bad[] = {
	    "",
	    "http://127.0.0.1:25",
	    "https://mail.example.com",
	    "SMTP://mail.example.com",
	    "smtp:/mail.example.com",
	    "smtp://",
	    "smtp://:25",
	    "smtp://user:pw@mail.example.com",
	    "smtp://user@mail.example.com",
	    "smtp://user;AUTH=PLAIN@mail.example.com",
	    "smtp://mail.example.com:25?x=1",
	    "smtp://mail.example.com#f",
	    "smtp://mail.example.com:",
	    "smtp://mail.example.com:123456",
	    "smtp://mail.example.com:99999",
	    "smtp://mail.example.com:2x",
	    "smtp://mail.example.com/a/b",
	    "smtp://mail.example.com/a%0d%0aMAIL",
	    "smtp://mail.example.com/ehlo name",
	    "smtp://mail.example.com\r\n",
	    "smtp://mail.exa mple.com",
	    "smtp://mail.example.com\\@evil",
	    "smtp://[::1",
	    "smtp://mail..example.com",
	    "smtp://-mail.example.com",
	    "imap://mail.example.com",
	    "file:///etc/passwd",
	};
	char longurl[SMTP_URL_MAX + 32];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(smtp_url_ok(good[i]), "refused %s", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!smtp_url_ok(bad[i]), "accepted %s", bad[i]);
	ck_assert(!smtp_url_ok(NULL));
	snprintf(longurl, sizeof(longurl), "smtp://mail.example.com/");
	for (i = strlen(longurl); i < SMTP_URL_MAX + 10; i++)
		longurl[i] = 'a';
	longurl[i] = '\0';
	ck_assert(!smtp_url_ok(longurl));
}
END_TEST

/* Each refusal is SMTP_CONFIG with a text, before any connection. */
START_TEST(test_config_refusals)
{
	struct smtp_config c = {0};
	char err[256], longline[1100];
	/* Port 9 on loopback: nothing listens, but nothing is tried either. */
	const char *url = "smtp://127.0.0.1:9";

	c.url = url;
	c.from = FROM;
	c.starttls = 1;
	c.password = PASSWORD;

	ck_assert_int_eq(smtp_send(NULL, RCPT, LIT(MSG), err, sizeof(err)), SMTP_CONFIG);
	ck_assert_str_ne(err, "");

	c.url = "http://127.0.0.1:9";
	ck_assert_int_eq(smtp_send(&c, RCPT, LIT(MSG), err, sizeof(err)), SMTP_CONFIG);
	ck_assert_ptr_nonnull(strstr(err, "smtp url"));
	c.url = "smtp://user:" PASSWORD "@127.0.0.1:9";
	ck_assert_int_eq(smtp_send(&c, RCPT, LIT(MSG), err, sizeof(err)), SMTP_CONFIG);
	assert_clean_err(err);
	c.url = NULL;
	ck_assert_int_eq(smtp_send(&c, RCPT, LIT(MSG), err, sizeof(err)), SMTP_CONFIG);
	c.url = url;

	ck_assert_int_eq(
	    smtp_send(&c, "a@b.example\r\nRCPT TO:<x@y.example>", LIT(MSG), err, sizeof(err)),
	    SMTP_CONFIG);
	ck_assert_str_eq(err, "recipient is not a plain address");
	ck_assert_int_eq(smtp_send(&c, "a@b.example\n", LIT(MSG), err, sizeof(err)), SMTP_CONFIG);
	ck_assert_int_eq(smtp_send(&c, "<a@b.example>", LIT(MSG), err, sizeof(err)), SMTP_CONFIG);
	ck_assert_int_eq(smtp_send(&c, "", LIT(MSG), err, sizeof(err)), SMTP_CONFIG);
	ck_assert_int_eq(smtp_send(&c, NULL, LIT(MSG), err, sizeof(err)), SMTP_CONFIG);

	c.from = "";
	ck_assert_int_eq(smtp_send(&c, RCPT, LIT(MSG), err, sizeof(err)), SMTP_CONFIG);
	ck_assert_str_eq(err, "smtp sender is not a plain address");
	c.from = NULL;
	ck_assert_int_eq(smtp_send(&c, RCPT, LIT(MSG), err, sizeof(err)), SMTP_CONFIG);
	c.from = "a@b.example\r\nX: y";
	ck_assert_int_eq(smtp_send(&c, RCPT, LIT(MSG), err, sizeof(err)), SMTP_CONFIG);
	c.from = FROM;

	/* The message: no bare CR or LF, no NUL, lines of 998 bytes at most. */
	ck_assert_int_eq(smtp_send(&c, RCPT, LIT("Subject: x\n\nhi\n"), err, sizeof(err)),
			 SMTP_CONFIG);
	ck_assert_str_eq(err, "message holds a bare lf");
	ck_assert_int_eq(
	    smtp_send(&c, RCPT, LIT("Subject: x\r\n\r\nhi\r\n.\n.\r\n"), err, sizeof(err)),
	    SMTP_CONFIG);
	ck_assert_int_eq(smtp_send(&c, RCPT, LIT("Subject: x\r\n\r\nhi\r"), err, sizeof(err)),
			 SMTP_CONFIG);
	ck_assert_str_eq(err, "message holds a bare cr");
	ck_assert_int_eq(smtp_send(&c, RCPT, LIT("Subject: x\r\n\r\nh\0i\r\n"), err, sizeof(err)),
			 SMTP_CONFIG);
	ck_assert_int_eq(smtp_send(&c, RCPT, "", 0, err, sizeof(err)), SMTP_CONFIG);
	ck_assert_int_eq(smtp_send(&c, RCPT, NULL, 10, err, sizeof(err)), SMTP_CONFIG);
	ck_assert_int_eq(smtp_send(&c, RCPT, "x", SMTP_MESSAGE_MAX + 1, err, sizeof(err)),
			 SMTP_CONFIG);
	memset(longline, 'a', 999);
	memcpy(longline + 999, "\r\n", 3);
	ck_assert_int_eq(smtp_send(&c, RCPT, longline, 1001, err, sizeof(err)), SMTP_CONFIG);

	/* Credentials: a user name with a control character, a missing password. */
	c.user = "mailer\r\nMAIL FROM:<x@y.example>";
	ck_assert_int_eq(smtp_send(&c, RCPT, LIT(MSG), err, sizeof(err)), SMTP_CONFIG);
	assert_clean_err(err);
	c.user = "mailer";
	c.password = NULL;
	ck_assert_int_eq(smtp_send(&c, RCPT, LIT(MSG), err, sizeof(err)), SMTP_CONFIG);

	/* err may be NULL, or tiny: still NUL-terminated. */
	ck_assert_int_eq(smtp_send(&c, "bad", LIT(MSG), NULL, 0), SMTP_CONFIG);
	memset(err, 'x', sizeof(err));
	ck_assert_int_eq(smtp_send(&c, "bad", LIT(MSG), err, 4), SMTP_CONFIG);
	ck_assert_str_eq(err, "rec");
}
END_TEST

START_TEST(test_classify)
{
	ck_assert_int_eq(smtp_classify(CURLE_OK, 250), SMTP_SENT);
	/* The server refused: by its reply code. */
	ck_assert_int_eq(smtp_classify(CURLE_SEND_ERROR, 550), SMTP_PERMANENT);
	ck_assert_int_eq(smtp_classify(CURLE_SEND_ERROR, 553), SMTP_PERMANENT);
	ck_assert_int_eq(smtp_classify(CURLE_WEIRD_SERVER_REPLY, 554), SMTP_PERMANENT);
	ck_assert_int_eq(smtp_classify(CURLE_RECV_ERROR, 552), SMTP_PERMANENT);
	ck_assert_int_eq(smtp_classify(CURLE_SEND_ERROR, 450), SMTP_TRANSIENT);
	ck_assert_int_eq(smtp_classify(CURLE_WEIRD_SERVER_REPLY, 451), SMTP_TRANSIENT);
	ck_assert_int_eq(smtp_classify(CURLE_WEIRD_SERVER_REPLY, 421), SMTP_TRANSIENT);
	/* AUTH and STARTTLS demands: our configuration. */
	ck_assert_int_eq(smtp_classify(CURLE_LOGIN_DENIED, 535), SMTP_CONFIG);
	ck_assert_int_eq(smtp_classify(CURLE_LOGIN_DENIED, 250), SMTP_CONFIG);
	ck_assert_int_eq(smtp_classify(CURLE_LOGIN_DENIED, 454), SMTP_TRANSIENT);
	ck_assert_int_eq(smtp_classify(CURLE_SEND_ERROR, 530), SMTP_CONFIG);
	ck_assert_int_eq(smtp_classify(CURLE_SEND_ERROR, 538), SMTP_CONFIG);
	ck_assert_int_eq(smtp_classify(CURLE_SSL_CACERT_BADFILE, 0), SMTP_CONFIG);
	ck_assert_int_eq(smtp_classify(CURLE_UNSUPPORTED_PROTOCOL, 0), SMTP_CONFIG);
	/* STARTTLS refused with a 5xx is still no TLS: transient, never in clear. */
	ck_assert_int_eq(smtp_classify(CURLE_USE_SSL_FAILED, 250), SMTP_TRANSIENT);
	ck_assert_int_eq(smtp_classify(CURLE_USE_SSL_FAILED, 502), SMTP_TRANSIENT);
	ck_assert_int_eq(smtp_classify(CURLE_PEER_FAILED_VERIFICATION, 220), SMTP_TRANSIENT);
	ck_assert_int_eq(smtp_classify(CURLE_SSL_CONNECT_ERROR, 0), SMTP_TRANSIENT);
	ck_assert_int_eq(smtp_classify(CURLE_COULDNT_CONNECT, 0), SMTP_TRANSIENT);
	ck_assert_int_eq(smtp_classify(CURLE_COULDNT_RESOLVE_HOST, 0), SMTP_TRANSIENT);
	ck_assert_int_eq(smtp_classify(CURLE_OPERATION_TIMEDOUT, 354), SMTP_TRANSIENT);
	ck_assert_int_eq(smtp_classify(CURLE_RECV_ERROR, 0), SMTP_TRANSIENT);
	ck_assert_int_eq(smtp_classify(CURLE_GOT_NOTHING, 0), SMTP_TRANSIENT);
	ck_assert_int_eq(smtp_classify(CURLE_OUT_OF_MEMORY, 0), SMTP_TRANSIENT);

	ck_assert_str_eq(smtp_strresult(SMTP_SENT), "sent");
	ck_assert_str_eq(smtp_strresult(SMTP_PERMANENT), "permanent failure");
	ck_assert_str_eq(smtp_strresult((enum smtp_result)99), "unknown result");
}
END_TEST

/* A loopback port with nothing listening: transient, err without the password. */
START_TEST(test_connection_refused)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);
	struct smtp_config c = {0};
	char url[64], err[256];
	int s;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(s, 0);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &al), 0);
	close(s);
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", ntohs(a.sin_port));
	c.url = url;
	c.from = FROM;
	c.starttls = 1;
	c.user = "mailer";
	c.password = PASSWORD;
	ck_assert_int_eq(smtp_send(&c, RCPT, LIT(MSG), err, sizeof(err)), SMTP_TRANSIENT);
	ck_assert_str_ne(err, "");
	assert_clean_err(err);
}
END_TEST

/* A listener that accepts but never greets: the total timeout, transient. */
START_TEST(test_timeout)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);
	struct smtp_config c = {0};
	char url[64], err[256];
	int s;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(s, 0);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(s, 4), 0);
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &al), 0);
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", ntohs(a.sin_port));
	c.url = url;
	c.from = FROM;
	c.starttls = 1;
	c.timeout_ms = 700;
	ck_assert_int_eq(smtp_send(&c, RCPT, LIT(MSG), err, sizeof(err)), SMTP_TRANSIENT);
	close(s);
	ck_assert_msg(strstr(err, "(curl 28)") != NULL, "%s", err);
}
END_TEST

/*
 * Against tests/smtp_server.py.
 */

/* STARTTLS required, the test CA: delivered over TLS, the message intact. */
START_TEST(test_starttls_delivered)
{
	struct smtp_config c;
	char url[64], err[256], *eml;
	cJSON *j, *r;

	ck_assert_int_eq(
	    server_start("--tls-cert", cert_pem, "--tls-key", key_pem, "--require-starttls", NULL),
	    0);
	c = cfg_for("smtp", url, sizeof(url));
	ck_assert_int_eq(send_msg(&c, err, sizeof(err)), SMTP_SENT);
	ck_assert_str_eq(err, "");
	ck_assert_int_eq(eml_count(), 1);
	j = sidecar();
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "tls")));
	ck_assert_str_eq(cJSON_GetObjectItem(j, "mail_from")->valuestring, FROM);
	r = cJSON_GetObjectItem(j, "rcpt_tos");
	ck_assert_int_eq(cJSON_GetArraySize(r), 1);
	ck_assert_str_eq(cJSON_GetArrayItem(r, 0)->valuestring, RCPT);
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "auth_user")));
	cJSON_Delete(j);
	/* Dot-stuffed on the wire, unstuffed by the server: the same bytes. */
	eml = maildir_file(".eml");
	ck_assert_ptr_nonnull(eml);
	ck_assert_str_eq(eml, MSG);
	free(eml);
}
END_TEST

/* The server does not offer STARTTLS: nothing is sent in clear. */
START_TEST(test_no_starttls_not_sent)
{
	struct smtp_config c;
	char url[64], err[256];

	ck_assert_int_eq(
	    server_start("--tls-cert", cert_pem, "--tls-key", key_pem, "--no-starttls", NULL), 0);
	c = cfg_for("smtp", url, sizeof(url));
	c.user = "mailer";
	c.password = PASSWORD;
	ck_assert_int_eq(send_msg(&c, err, sizeof(err)), SMTP_TRANSIENT);
	ck_assert_msg(strstr(err, "(curl 64)") != NULL, "%s", err); /* CURLE_USE_SSL_FAILED */
	assert_clean_err(err);
	ck_assert_int_eq(eml_count(), 0);
}
END_TEST

/* A certificate our CA did not sign (the system's CAs only): transient. */
START_TEST(test_unknown_ca)
{
	struct smtp_config c;
	char url[64], err[256];

	ck_assert_int_eq(server_start("--tls-cert", cert_pem, "--tls-key", key_pem, NULL), 0);
	c = cfg_for("smtp", url, sizeof(url));
	c.ca_file = NULL;
	ck_assert_int_eq(send_msg(&c, err, sizeof(err)), SMTP_TRANSIENT);
	ck_assert_int_eq(eml_count(), 0);
	/* An unreadable CA file is our configuration. */
	c.ca_file = "/nonexistent/ca.pem";
	ck_assert_int_eq(send_msg(&c, err, sizeof(err)), SMTP_CONFIG);
	ck_assert_int_eq(eml_count(), 0);
}
END_TEST

/* STARTTLS turned off by the operator: plain delivery, tls false. */
START_TEST(test_plain_allowed)
{
	struct smtp_config c;
	char url[64], err[256];
	cJSON *j;

	ck_assert_int_eq(server_start(NULL), 0);
	c = cfg_for("smtp", url, sizeof(url));
	c.starttls = 0;
	c.ca_file = NULL;
	ck_assert_int_eq(send_msg(&c, err, sizeof(err)), SMTP_SENT);
	j = sidecar();
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(j, "tls")));
	cJSON_Delete(j);
	/* With STARTTLS required the same server gets nothing. */
	c.starttls = 1;
	ck_assert_int_eq(send_msg(&c, err, sizeof(err)), SMTP_TRANSIENT);
	ck_assert_int_eq(eml_count(), 1);
}
END_TEST

/* A server that requires STARTTLS, and the operator turned it off: 530. */
START_TEST(test_require_starttls_plain)
{
	struct smtp_config c;
	char url[64], err[256];

	ck_assert_int_eq(
	    server_start("--tls-cert", cert_pem, "--tls-key", key_pem, "--require-starttls", NULL),
	    0);
	c = cfg_for("smtp", url, sizeof(url));
	c.starttls = 0;
	ck_assert_int_eq(send_msg(&c, err, sizeof(err)), SMTP_CONFIG);
	ck_assert_msg(strstr(err, "server replied: 530") != NULL, "%s", err);
	ck_assert_int_eq(eml_count(), 0);
}
END_TEST

START_TEST(test_fail_rcpt_permanent)
{
	struct smtp_config c;
	char url[64], err[256];

	ck_assert_int_eq(
	    server_start("--tls-cert", cert_pem, "--tls-key", key_pem, "--fail-rcpt", "550", NULL),
	    0);
	c = cfg_for("smtp", url, sizeof(url));
	ck_assert_int_eq(send_msg(&c, err, sizeof(err)), SMTP_PERMANENT);
	ck_assert_msg(strstr(err, "server replied: 550 5.0.0 mailbox refused") != NULL, "%s", err);
	assert_clean_err(err);
	ck_assert_int_eq(eml_count(), 0);
}
END_TEST

START_TEST(test_fail_rcpt_transient)
{
	struct smtp_config c;
	char url[64], err[256];

	ck_assert_int_eq(
	    server_start("--tls-cert", cert_pem, "--tls-key", key_pem, "--fail-rcpt", "450", NULL),
	    0);
	c = cfg_for("smtp", url, sizeof(url));
	ck_assert_int_eq(send_msg(&c, err, sizeof(err)), SMTP_TRANSIENT);
	ck_assert_msg(strstr(err, "server replied: 450") != NULL, "%s", err);
}
END_TEST

START_TEST(test_fail_data)
{
	struct smtp_config c;
	char url[64], err[256];

	ck_assert_int_eq(
	    server_start("--tls-cert", cert_pem, "--tls-key", key_pem, "--fail-data", "451", NULL),
	    0);
	c = cfg_for("smtp", url, sizeof(url));
	ck_assert_int_eq(send_msg(&c, err, sizeof(err)), SMTP_TRANSIENT);
	ck_assert_msg(strstr(err, "server replied: 451") != NULL, "%s", err);
	ck_assert_int_eq(eml_count(), 0);
	server_stop();

	ck_assert_int_eq(
	    server_start("--tls-cert", cert_pem, "--tls-key", key_pem, "--fail-data", "554", NULL),
	    0);
	c = cfg_for("smtp", url, sizeof(url));
	ck_assert_int_eq(send_msg(&c, err, sizeof(err)), SMTP_PERMANENT);
	ck_assert_msg(strstr(err, "server replied: 554") != NULL, "%s", err);
	ck_assert_int_eq(eml_count(), 0);
}
END_TEST

/* AUTH after STARTTLS: the right password delivers; a wrong one or none is
 * our configuration, and the password never shows in err. */
START_TEST(test_auth)
{
	struct smtp_config c;
	char url[64], err[256];
	cJSON *j;

	ck_assert_int_eq(server_start("--tls-cert", cert_pem, "--tls-key", key_pem, "--auth",
				      "mailer:" PASSWORD, NULL),
			 0);
	c = cfg_for("smtp", url, sizeof(url));
	c.user = "mailer";
	c.password = PASSWORD;
	ck_assert_int_eq(send_msg(&c, err, sizeof(err)), SMTP_SENT);
	j = sidecar();
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "tls")));
	ck_assert_str_eq(cJSON_GetObjectItem(j, "auth_user")->valuestring, "mailer");
	cJSON_Delete(j);

	c.password = "wrong-" PASSWORD;
	ck_assert_int_eq(send_msg(&c, err, sizeof(err)), SMTP_CONFIG);
	ck_assert_msg(strstr(err, "535") != NULL, "%s", err);
	assert_clean_err(err);
	ck_assert_ptr_null(strstr(err, "wrong-"));

	c.user = NULL;
	c.password = NULL;
	ck_assert_int_eq(send_msg(&c, err, sizeof(err)), SMTP_CONFIG);
	ck_assert_msg(strstr(err, "530") != NULL, "%s", err);
	ck_assert_int_eq(eml_count(), 1);
}
END_TEST

/* Implicit TLS (smtps://). */
START_TEST(test_smtps)
{
	struct smtp_config c;
	char url[64], err[256];
	cJSON *j;

	ck_assert_int_eq(
	    server_start("--tls-cert", cert_pem, "--tls-key", key_pem, "--smtps", NULL), 0);
	c = cfg_for("smtps", url, sizeof(url));
	c.starttls = 0; /* no meaning for smtps:// */
	ck_assert_int_eq(send_msg(&c, err, sizeof(err)), SMTP_SENT);
	j = sidecar();
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "tls")));
	cJSON_Delete(j);
}
END_TEST

static Suite *smtp_suite(void)
{
	Suite *s = suite_create("smtp");
	TCase *tc = tcase_create("checks");
	TCase *net = tcase_create("server");

	tcase_add_test(tc, test_addr_ok);
	tcase_add_test(tc, test_url_ok);
	tcase_add_test(tc, test_config_refusals);
	tcase_add_test(tc, test_classify);
	tcase_add_test(tc, test_connection_refused);
	tcase_add_test(tc, test_timeout);
	suite_add_tcase(s, tc);

	tcase_set_timeout(net, 120);
	tcase_add_checked_fixture(net, setup, teardown);
	tcase_add_test(net, test_starttls_delivered);
	tcase_add_test(net, test_no_starttls_not_sent);
	tcase_add_test(net, test_unknown_ca);
	tcase_add_test(net, test_plain_allowed);
	tcase_add_test(net, test_require_starttls_plain);
	tcase_add_test(net, test_fail_rcpt_permanent);
	tcase_add_test(net, test_fail_rcpt_transient);
	tcase_add_test(net, test_fail_data);
	tcase_add_test(net, test_auth);
	tcase_add_test(net, test_smtps);
	suite_add_tcase(s, net);
	return s;
}

int main(void)
{
	char *mk[] = {PYTHON, SERVER, "make-ca", ca_dir, NULL};
	SRunner *sr;
	int failed = 1;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	snprintf(ca_dir, sizeof(ca_dir), "/tmp/jetstack-smtp-ca-XXXXXX");
	if (mkdtemp(ca_dir) == NULL) {
		ca_dir[0] = '\0';
		goto out;
	}
	snprintf(ca_pem, sizeof(ca_pem), "%s/ca.pem", ca_dir);
	snprintf(cert_pem, sizeof(cert_pem), "%s/server.pem", ca_dir);
	snprintf(key_pem, sizeof(key_pem), "%s/server.key", ca_dir);
	if (run(mk) != 0) {
		fprintf(stderr, "test_smtp: %s make-ca failed (python3-aiosmtpd, openssl?)\n",
			SERVER);
		goto out;
	}
	sr = srunner_create(smtp_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
out:
	rm_tree(ca_dir);
	curl_global_cleanup();
	return failed == 0 ? 0 : 1;
}
