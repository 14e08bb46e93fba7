/*
 * Unit tests for outbound (guarded POSTs to an agency's webhook endpoints).
 *
 * Without a server: the URL check, outbound_addr_public() for every address
 * class (IPv4 and IPv6 literals through inet_pton), the refusals made before
 * anything is sent (headers, body, private literals, http), a closed port.
 *
 * With a real receiver: tests/webhook_receiver.py started by each test as a
 * child process (/usr/bin/python3, not traced by valgrind) on a free port it
 * picks itself (--port 0, read back from its "listening on" line), with a
 * --log file that says what it received (one JSON line per webhook; its
 * /_config endpoint is not recorded).  The checked teardown stops it
 * (SIGTERM by PID) even when a test fails.  The signature sent in the first
 * test is computed here with OpenSSL, and the receiver checks it with its
 * own code.  Run from the repository root (make, scripts/test.sh).
 */
#include <check.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <cJSON.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "outbound.h"

#define PYTHON	 "/usr/bin/python3"
#define RECEIVER "tests/webhook_receiver.py"
#define MAX_ARGS 24
#define BODY	 "{\"type\":\"portal.status_changed\",\"data\":{\"id\":7}}"
#define LIT(s)	 (s), (sizeof(s) - 1)

static unsigned char key[32];		/* the endpoint's signing key: 0, 1, ... 31 */
static char secret[6 + 4 * 32 / 3 + 4]; /* "whsec_" + base64(key), made in main() */

/* The receiver of the running test. */
static pid_t srv_pid = -1;
static int srv_port;
static char srv_log[64]; /* its --log file */

static const struct outbound_opts local = {
    .allow_http = 1, .allow_private = 1, .connect_timeout_ms = 5000, .timeout_ms = 20000};

/*
 * Start tests/webhook_receiver.py with the extra arguments (NULL-terminated)
 * and a new log file, and wait for its "listening on 127.0.0.1:N" line.
 * 0 or -1.
 */
static int server_start(const char *first, ...)
{
	char *argv[MAX_ARGS];
	char line[128];
	const char *a;
	va_list ap;
	int fds[2], n = 0, got = 0, fd;
	pid_t pid;

	snprintf(srv_log, sizeof(srv_log), "/tmp/jetstack-webhooks-XXXXXX");
	fd = mkstemp(srv_log);
	if (fd < 0)
		return -1;
	close(fd);
	argv[n++] = PYTHON;
	argv[n++] = RECEIVER;
	argv[n++] = "--port";
	argv[n++] = "0";
	argv[n++] = "--secret";
	argv[n++] = secret;
	argv[n++] = "--log";
	argv[n++] = srv_log;
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

		if (poll(&p, 1, 30000) != 1 || read(fds[0], line + got, 1) != 1)
			break;
		if (line[got++] == '\n')
			break;
	}
	line[got] = '\0';
	close(fds[0]);
	if (sscanf(line, "listening on 127.0.0.1:%d", &srv_port) != 1) {
		fprintf(stderr, "webhook_receiver did not start: %s\n", line);
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
	if (srv_log[0] != '\0')
		unlink(srv_log);
	srv_log[0] = '\0';
}

static void setup(void)
{
	srv_pid = -1;
	srv_log[0] = '\0';
}

static void teardown(void)
{
	server_stop();
}

/* The receiver's URL for path. */
static const char *url_for(const char *host, const char *path)
{
	static char url[128];

	snprintf(url, sizeof(url), "http://%s:%d%s", host, srv_port, path);
	return url;
}

/*
 * The webhooks the receiver recorded: their number, and the last one
 * parsed into *last when last is not NULL (cJSON_Delete it).
 */
static int received(cJSON **last)
{
	char line[16384], keep[16384];
	FILE *f = fopen(srv_log, "r");
	int n = 0;

	ck_assert_ptr_nonnull(f);
	keep[0] = '\0';
	while (fgets(line, sizeof(line), f) != NULL) {
		n++;
		memcpy(keep, line, sizeof(keep));
	}
	fclose(f);
	if (last != NULL) {
		*last = cJSON_Parse(keep);
		ck_assert_ptr_nonnull(*last);
	}
	return n;
}

/* Change the receiver's behaviour through its /_config (with outbound_post). */
static void configure(const char *json)
{
	struct outbound_resp r;

	ck_assert_int_eq(outbound_post(url_for("127.0.0.1", "/_config"), NULL, 0, json,
				       strlen(json), &local, &r),
			 0);
	ck_assert_msg(r.status == 200, "%ld %s %s", r.status, r.error, r.body);
}

/* r->error is one line of printable ASCII. */
static void assert_clean(const struct outbound_resp *r)
{
	const char *p;

	for (p = r->error; *p != '\0'; p++)
		ck_assert((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
}

/* A refusal: nothing sent, the reason contains want. */
static void assert_refused(const struct outbound_resp *r, const char *want)
{
	ck_assert_int_eq(r->refused, 1);
	ck_assert_int_eq(r->status, 0);
	ck_assert_str_eq(r->body, "");
	ck_assert_msg(strstr(r->error, want) != NULL, "'%s' lacks '%s'", r->error, want);
	assert_clean(r);
}

/* The sockaddr of an IPv4 or IPv6 literal. */
static struct sockaddr_storage addr_of(const char *lit)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(lit, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		ck_assert_int_eq(inet_pton(AF_INET6, lit, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, lit, &s4->sin_addr), 1);
	}
	return ss;
}

static int is_public(const char *lit)
{
	struct sockaddr_storage ss = addr_of(lit);

	return outbound_addr_public((const struct sockaddr *)&ss);
}

static void assert_urls(const char *const *urls, size_t n, const struct outbound_opts *o, int ok,
			const char *want)
{
	char why[128];
	size_t i;

	for (i = 0; i < n; i++) {
		int got = outbound_url_ok(urls[i], o, why, sizeof(why));

		ck_assert_msg(got == ok, "%s: %d (%s)", urls[i], got, why);
		if (ok)
			ck_assert_str_eq(why, "");
		else if (want != NULL)
			ck_assert_msg(strstr(why, want) != NULL, "%s: '%s' lacks '%s'", urls[i],
				      why, want);
	}
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The URL check.
 */

START_TEST(test_url_https_ok)
{
	static const char *const good[] = {
	    "https://hooks.agency.example/jetstack",
	    "https://hooks.agency.example",
	    "https://HOOKS.Agency.Example:8443/a/b?x=1&y=%20",
	    "https://a.b/",
	    "https://x-1.example.co.uk/p@th",
	    "https://203.0.113.9/hook",
	    "https://[2001:db8::1]:443/hook",
	    "https://hooks.example/?",
	};

	assert_urls(good, N(good), NULL, 1, NULL);
	assert_urls(good, N(good), &local, 1, NULL);
}
END_TEST

START_TEST(test_url_http)
{
	static const char *const plain[] = {
	    "http://hooks.agency.example/jetstack",
	    "http://127.0.0.1:8090/hook",
	    "http://localhost/",
	};
	struct outbound_opts no_http = local;
	char why[128];

	no_http.allow_http = 0;
	assert_urls(plain, N(plain), &no_http, 0, "must start with https://");
	assert_urls(plain, N(plain), NULL, 0, "must start with https://");
	assert_urls(plain, N(plain), &local, 1, NULL);
	ck_assert_int_eq(outbound_url_ok("ftp://x.example/", &local, why, sizeof(why)), 0);
	ck_assert_str_eq(why, "url must start with https:// or http://");
}
END_TEST

START_TEST(test_url_userinfo)
{
	static const char *const bad[] = {
	    "https://user@hooks.example/",	   "https://user:pw@hooks.example/",
	    "https://:pw@hooks.example/",	   "https://@hooks.example/",
	    "https://hooks.example@evil.example/", "https://evil.example:443@hooks.example/",
	};

	assert_urls(bad, N(bad), &local, 0, "user info");
}
END_TEST

START_TEST(test_url_no_host)
{
	static const char *const bad[] = {
	    "https://",
	    "https:///path",
	    "https://?q=1",
	    "https://:443/",
	};

	assert_urls(bad, N(bad), &local, 0, "no host");
}
END_TEST

START_TEST(test_url_fragment)
{
	static const char *const bad[] = {
	    "https://hooks.example/#",
	    "https://hooks.example/a#b",
	    "https://hooks.example#@evil.example/",
	};

	assert_urls(bad, N(bad), &local, 0, "fragment");
}
END_TEST

START_TEST(test_url_too_long)
{
	char url[OUTBOUND_URL_MAX + 2], why[128];
	size_t pre = strlen("https://hooks.example/");

	memcpy(url, "https://hooks.example/", pre);
	memset(url + pre, 'a', OUTBOUND_URL_MAX - pre);
	url[OUTBOUND_URL_MAX] = '\0';
	ck_assert_int_eq(outbound_url_ok(url, NULL, why, sizeof(why)), 1);
	url[OUTBOUND_URL_MAX] = 'a';
	url[OUTBOUND_URL_MAX + 1] = '\0';
	ck_assert_int_eq(outbound_url_ok(url, NULL, why, sizeof(why)), 0);
	ck_assert_str_eq(why, "url is longer than 2048 bytes");
	ck_assert_int_eq(outbound_url_ok("", NULL, why, sizeof(why)), 0);
	ck_assert_str_eq(why, "url is empty");
	ck_assert_int_eq(outbound_url_ok(NULL, NULL, why, sizeof(why)), 0);
	/* why may be NULL or short. */
	ck_assert_int_eq(outbound_url_ok("x", NULL, NULL, 0), 0);
	ck_assert_int_eq(outbound_url_ok("x", NULL, why, 4), 0);
	ck_assert_str_eq(why, "url");
}
END_TEST

START_TEST(test_url_schemes)
{
	static const char *const bad[] = {
	    "ftp://hooks.example/",	   "file:///etc/passwd",     "gopher://hooks.example:70/_x",
	    "dict://hooks.example:11211/", "ldap://hooks.example/",  "ws://hooks.example/",
	    "wss://hooks.example/",	   "javascript:alert(1)",    "data:text/plain,hi",
	    "HTTPS://hooks.example/",	   "Https://hooks.example/", "https:/hooks.example/",
	    "https:hooks.example/",	   "//hooks.example/",	     "hooks.example/hook",
	    "httpsx://hooks.example/",
	};

	assert_urls(bad, N(bad), &local, 0, "must start with");
}
END_TEST

START_TEST(test_url_hosts)
{
	static const char *const bad[] = {
	    "https://hooks example/",
	    "https://hooks.example/a b",
	    "https://hooks.example\\@evil.example/",
	    "https://hooks.exa\tmple/",
	    "https://h\xc3\xa9.example/",
	    "https://hooks.example./",
	    "https://.hooks.example/",
	    "https://hooks..example/",
	    "https://-hooks.example/",
	    "https://hooks-.example/",
	    "https://hooks_1.example/",
	    "https://%68ooks.example/",
	    "https://2130706433/",
	    "https://0x7f.0.0.1/",
	    "https://127.1/",
	    "https://0177.0.0.1/",
	    "https://127.0.0.1.5/",
	    "https://256.0.0.1/",
	    "https://[::1/",
	    "https://[fe80::1%25eth0]/",
	    "https://[::g]/",
	    "https://[]/",
	    "https://hooks.example:0/",
	    "https://hooks.example:65536/",
	    "https://hooks.example:44a/",
	    "https://hooks.example:/",
	    "https://hooks.example:443:1/",
	};
	char label[70], url[128];

	assert_urls(bad, N(bad), &local, 0, NULL);
	/* A label of 63 characters, not 64. */
	memset(label, 'a', 64);
	label[63] = '\0';
	snprintf(url, sizeof(url), "https://%s.example/", label);
	ck_assert_int_eq(outbound_url_ok(url, NULL, NULL, 0), 1);
	label[63] = 'a';
	label[64] = '\0';
	snprintf(url, sizeof(url), "https://%s.example/", label);
	ck_assert_int_eq(outbound_url_ok(url, NULL, NULL, 0), 0);
}
END_TEST

/*
 * Addresses.
 */

START_TEST(test_addr_v4)
{
	static const char *const refused[] = {
	    "0.0.0.0",	       "0.255.255.255",	  "10.0.0.1",	     "10.255.255.255",
	    "100.64.0.1",      "100.127.255.254", "127.0.0.1",	     "127.255.255.254",
	    "169.254.169.254", "172.16.0.1",	  "172.31.255.255",  "192.0.0.8",
	    "192.0.2.1",       "192.168.1.1",	  "198.18.0.1",	     "198.19.255.255",
	    "198.51.100.7",    "203.0.113.9",	  "224.0.0.1",	     "239.255.255.250",
	    "240.0.0.1",       "254.1.2.3",	  "255.255.255.255",
	};
	static const char *const public[] = {
	    "1.1.1.1",	   "8.8.8.8",	    "9.255.255.255",   "11.0.0.1",    "100.63.255.255",
	    "100.128.0.1", "126.255.255.1", "128.0.0.1",       "169.253.1.1", "172.15.255.255",
	    "172.32.0.1",  "192.0.1.1",	    "192.167.1.1",     "192.169.0.1", "198.17.255.255",
	    "198.20.0.1",  "203.0.114.1",   "223.255.255.254",
	};
	size_t i;

	for (i = 0; i < N(refused); i++)
		ck_assert_msg(!is_public(refused[i]), "%s", refused[i]);
	for (i = 0; i < N(public); i++)
		ck_assert_msg(is_public(public[i]), "%s", public[i]);
}
END_TEST

START_TEST(test_addr_v6)
{
	static const char *const refused[] = {
	    "::",
	    "::1",
	    "fc00::1",
	    "fd12:3456:789a::1",
	    "fe80::1",
	    "febf:ffff::1",
	    "fec0::1",
	    "ff02::1",
	    "ff0e::101",
	    "::ffff:127.0.0.1",
	    "::ffff:10.1.2.3",
	    "::ffff:169.254.169.254",
	    "::ffff:0.0.0.0",
	    "64:ff9b::127.0.0.1",
	    "64:ff9b::a9fe:a9fe",
	    "64:ff9b::192.168.0.1",
	    "2002:7f00:1::1",	/* 6to4 of 127.0.0.1 */
	    "2002:c0a8:101::1", /* 6to4 of 192.168.1.1 */
	    "::127.0.0.1",	/* IPv4-compatible, deprecated */
	    "::2",
	    "100::1",
	    "64:ff9b:1::1",
	    "2001:db8::1",
	    "3fff::1",
	    "2001::1",
	    "2001:2::1",
	    "4000::1",
	};
	static const char *const public[] = {
	    "2001:4860:4860::8888",
	    "2606:4700:4700::1111",
	    "2a00:1450:4001:81b::200e",
	    "3ffe::1",
	    "2001:db9::1",
	    "::ffff:8.8.8.8",
	    "64:ff9b::8.8.8.8",
	    "2002:808:808::1",
	};
	size_t i;

	for (i = 0; i < N(refused); i++)
		ck_assert_msg(!is_public(refused[i]), "%s", refused[i]);
	for (i = 0; i < N(public); i++)
		ck_assert_msg(is_public(public[i]), "%s", public[i]);
}
END_TEST

START_TEST(test_addr_other)
{
	struct sockaddr_un un = {.sun_family = AF_UNIX};

	ck_assert_int_eq(outbound_addr_public(NULL), 0);
	ck_assert_int_eq(outbound_addr_public((const struct sockaddr *)&un), 0);
}
END_TEST

/*
 * Refusals made before anything is sent (no server needed: nothing is).
 */

START_TEST(test_refused_before_sending)
{
	static const struct {
		const char *url;
		const char *want;
	} cases[] = {
	    {"https://127.0.0.1/hook", "127.0.0.1 is a loopback (127.0.0.0/8) address"},
	    {"https://10.1.2.3/hook", "10.1.2.3 is a private (10.0.0.0/8) address"},
	    {"https://169.254.169.254/latest/meta-data", "link-local"},
	    {"https://100.64.0.1/", "CGNAT"},
	    {"https://0.0.0.0/", "unspecified"},
	    {"https://224.0.0.1/", "multicast"},
	    {"https://[::1]/hook", "::1 is the loopback (::1) address"},
	    {"https://[::ffff:127.0.0.1]/hook", "loopback"},
	    {"https://[fd00::1]/hook", "unique-local"},
	    {"https://[fe80::1]/hook", "link-local"},
	    {"https://[64:ff9b::a9fe:a9fe]/hook", "link-local"},
	    {"https://localhost/hook", "loopback"},
	    {"http://hooks.example/", "must start with https://"},
	    {"https://u@hooks.example/", "user info"},
	};
	struct outbound_resp r;
	size_t i;

	for (i = 0; i < N(cases); i++) {
		ck_assert_int_eq(outbound_post(cases[i].url, NULL, 0, LIT(BODY), NULL, &r), 0);
		assert_refused(&r, cases[i].want);
	}
}
END_TEST

START_TEST(test_headers_refused)
{
	static const struct {
		const char *h;
		const char *want;
	} cases[] = {
	    {"X-A: 1\r\nX-Injected: 2", "line break"},
	    {"X-A: 1\nX-Injected: 2", "line break"},
	    {"X-A: 1\r", "line break"},
	    {"X-A\r\n: 1", "line break"},
	    {"X-A: a\001b", "control"},
	    {"X-A: caf\xc3\xa9", "non-ascii"},
	    {"X-A: a\x7f", "control"},
	    {"X-A 1", "Name: value"},
	    {": 1", "Name: value"},
	    {"X A: 1", "Name: value"},
	    {"X-A(b): 1", "Name: value"},
	    {"X-A:", "empty value"},
	    {"X-A:  \t", "empty value"},
	    {"Host: evil.example", "framed"},
	    {"content-length: 0", "framed"},
	    {"Transfer-Encoding: chunked", "framed"},
	    {"Content-Type: text/plain", "framed"},
	    {"Connection: close", "framed"},
	    {"Expect: 100-continue", "framed"},
	    {"Proxy-Authorization: x", "framed"},
	};
	struct outbound_resp r;
	const char *h[2];
	const char *many[OUTBOUND_HEADERS_MAX + 1];
	size_t i;

	for (i = 0; i < N(cases); i++) {
		h[0] = "webhook-id: msg_1";
		h[1] = cases[i].h;
		ck_assert_int_eq(outbound_post("http://127.0.0.1:9/", h, 2, LIT(BODY), &local, &r),
				 0);
		assert_refused(&r, cases[i].want);
	}
	h[1] = NULL;
	ck_assert_int_eq(outbound_post("http://127.0.0.1:9/", h, 2, LIT(BODY), &local, &r), 0);
	assert_refused(&r, "missing");
	for (i = 0; i < N(many); i++)
		many[i] = "X-A: 1";
	ck_assert_int_eq(outbound_post("http://127.0.0.1:9/", many, N(many), LIT(BODY), &local, &r),
			 0);
	assert_refused(&r, "too many headers");
	ck_assert_int_eq(outbound_post("http://127.0.0.1:9/", NULL, 1, LIT(BODY), &local, &r), 0);
	assert_refused(&r, "too many headers");
	ck_assert_int_eq(outbound_post("http://127.0.0.1:9/", NULL, 0, NULL, 3, &local, &r), 0);
	assert_refused(&r, "no body");
	ck_assert_int_eq(
	    outbound_post("http://127.0.0.1:9/", NULL, 0, BODY, OUTBOUND_BODY_MAX + 1, &local, &r),
	    0);
	assert_refused(&r, "larger than 1 MiB");
}
END_TEST

/* A closed loopback port: no answer, not a refusal. */
START_TEST(test_connection_refused)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);
	struct outbound_resp r;
	char url[64];
	int s;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(s, 0);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &al), 0);
	close(s);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", ntohs(a.sin_port));
	ck_assert_int_eq(outbound_post(url, NULL, 0, LIT(BODY), &local, &r), 0);
	ck_assert_int_eq(r.status, 0);
	ck_assert_int_eq(r.refused, 0);
	ck_assert_msg(strncmp(r.error, "could not connect", 17) == 0, "%s", r.error);
	ck_assert_msg(strstr(r.error, "(curl 7)") != NULL, "%s", r.error);
	ck_assert_int_ge(r.latency_ms, 0);
	assert_clean(&r);
}
END_TEST

/*
 * Against tests/webhook_receiver.py.
 */

/* The "v1,<base64>" Standard Webhooks signature of BODY (into sig). */
static void sign(const char *id, const char *ts, char *sig, size_t sigsz)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char content[256];
	int n;

	n = snprintf(content, sizeof(content), "%s.%s.%s", id, ts, BODY);
	ck_assert(n > 0 && (size_t)n < sizeof(content));
	ck_assert_ptr_nonnull(HMAC(EVP_sha256(), key, sizeof(key), (unsigned char *)content,
				   (size_t)n, mac, &maclen));
	ck_assert_uint_le(3 + 4 * ((maclen + 2) / 3) + 1, sigsz);
	memcpy(sig, "v1,", 3);
	EVP_EncodeBlock((unsigned char *)sig + 3, mac, (int)maclen);
}

/* A signed webhook: 200, "ok"; the receiver verified it and got it whole. */
START_TEST(test_post_200)
{
	char ts[32], sig[64], h_ts[64], h_sig[96];
	const char *h[3];
	struct outbound_resp r;
	cJSON *j, *hd;

	ck_assert_int_eq(server_start(NULL), 0);
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	sign("msg_c1", ts, sig, sizeof(sig));
	snprintf(h_ts, sizeof(h_ts), "webhook-timestamp: %s", ts);
	snprintf(h_sig, sizeof(h_sig), "webhook-signature: %s", sig);
	h[0] = "webhook-id: msg_c1";
	h[1] = h_ts;
	h[2] = h_sig;
	ck_assert_int_eq(
	    outbound_post(url_for("127.0.0.1", "/hooks/a"), h, 3, LIT(BODY), &local, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "ok");
	ck_assert_str_eq(r.error, "");
	ck_assert_int_eq(r.refused, 0);
	ck_assert_int_ge(r.latency_ms, 0);

	ck_assert_int_eq(received(&j), 1);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "verified")));
	ck_assert_str_eq(cJSON_GetObjectItem(j, "path")->valuestring, "/hooks/a");
	ck_assert_str_eq(cJSON_GetObjectItem(j, "body")->valuestring, BODY);
	hd = cJSON_GetObjectItem(j, "headers");
	ck_assert_str_eq(cJSON_GetObjectItem(hd, "content-type")->valuestring, "application/json");
	ck_assert_str_eq(cJSON_GetObjectItem(hd, "webhook-id")->valuestring, "msg_c1");
	ck_assert_str_eq(cJSON_GetObjectItem(hd, "webhook-signature")->valuestring, sig);
	ck_assert_ptr_null(cJSON_GetObjectItem(hd, "expect"));
	cJSON_Delete(j);

	/* The same by name: localhost resolved, pinned, and answered. */
	ck_assert_int_eq(
	    outbound_post(url_for("localhost", "/hooks/b"), h, 3, LIT(BODY), &local, &r), 0);
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.error);
	ck_assert_int_eq(received(NULL), 2);
}
END_TEST

/* A long answer: cut at 1024 bytes, made printable. */
START_TEST(test_body_cut)
{
	char cfg[1700], want[OUTBOUND_BODY_SHOWN + 1];
	struct outbound_resp r;
	size_t n = 0, i;

	ck_assert_int_eq(server_start(NULL), 0);
	/* Bytes 0, 1: \001 and DEL; 2, 3: e-acute; 4..1022: 'a'; 1023..1025: the euro sign. */
	n += (size_t)snprintf(cfg, sizeof(cfg), "{\"body\": \"\\u0001\\u007f\\u00e9");
	for (i = 0; i < 1019; i++)
		cfg[n++] = 'a';
	n += (size_t)snprintf(cfg + n, sizeof(cfg) - n, "\\u20ac\\r\\nbbbbbbbbbbbbbbbb\"}");
	ck_assert_uint_lt(n, sizeof(cfg));
	configure(cfg);

	ck_assert_int_eq(outbound_post(url_for("127.0.0.1", "/h"), NULL, 0, LIT(BODY), &local, &r),
			 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(r.refused, 0);
	ck_assert_str_eq(r.error, "");
	memcpy(want, "  \xc3\xa9", 4);
	memset(want + 4, 'a', 1019);
	want[1023] = ' '; /* the euro sign's first byte, its rest cut off */
	want[1024] = '\0';
	ck_assert_uint_eq(strlen(r.body), OUTBOUND_BODY_SHOWN);
	ck_assert_str_eq(r.body, want);

	/* Newlines and tabs are kept; CR becomes a space. */
	configure("{\"body\": \"a\\r\\nb\\tc\\u0000d\\u0080e\"}");
	ck_assert_int_eq(outbound_post(url_for("127.0.0.1", "/h"), NULL, 0, LIT(BODY), &local, &r),
			 0);
	ck_assert_str_eq(r.body, "a \nb\tc d  e");
	ck_assert_int_eq(received(NULL), 2);
}
END_TEST

/* 500 answers are answers: status kept, not a refusal, no error. */
START_TEST(test_500)
{
	struct outbound_resp r;

	ck_assert_int_eq(server_start("--status", "500", NULL), 0);
	ck_assert_int_eq(outbound_post(url_for("127.0.0.1", "/h"), NULL, 0, LIT(BODY), &local, &r),
			 0);
	ck_assert_int_eq(r.status, 500);
	ck_assert_str_eq(r.body, "error");
	ck_assert_str_eq(r.error, "");
	ck_assert_int_eq(r.refused, 0);

	configure("{\"status\": 204, \"fail_first\": 1}");
	ck_assert_int_eq(outbound_post(url_for("127.0.0.1", "/h"), NULL, 0, LIT(BODY), &local, &r),
			 0);
	ck_assert_int_eq(r.status, 500);
	ck_assert_int_eq(outbound_post(url_for("127.0.0.1", "/h"), NULL, 0, "", 0, &local, &r), 0);
	ck_assert_int_eq(r.status, 204);
	ck_assert_str_eq(r.body, "");
	ck_assert_int_eq(received(NULL), 3);

	/* A redirect is reported, never followed. */
	configure("{\"status\": 307}");
	ck_assert_int_eq(outbound_post(url_for("127.0.0.1", "/h"), NULL, 0, LIT(BODY), &local, &r),
			 0);
	ck_assert_int_eq(r.status, 307);
	ck_assert_int_eq(received(NULL), 4);
}
END_TEST

/* A receiver slower than the timeout: no answer; it did receive the request. */
START_TEST(test_timeout)
{
	struct outbound_opts o = local;
	struct outbound_resp r;

	ck_assert_int_eq(server_start("--sleep-ms", "4000", NULL), 0);
	o.timeout_ms = 700;
	ck_assert_int_eq(outbound_post(url_for("127.0.0.1", "/h"), NULL, 0, LIT(BODY), &o, &r), 0);
	ck_assert_int_eq(r.status, 0);
	ck_assert_int_eq(r.refused, 0);
	ck_assert_msg(strncmp(r.error, "timed out", 9) == 0, "%s", r.error);
	ck_assert_msg(strstr(r.error, "(curl 28)") != NULL, "%s", r.error);
	ck_assert_int_ge(r.latency_ms, 600);
	ck_assert_int_lt(r.latency_ms, 3900);
	assert_clean(&r);
	ck_assert_int_eq(received(NULL), 1);
}
END_TEST

/* Loopback without allow_private: refused, and the receiver saw nothing. */
START_TEST(test_loopback_refused)
{
	struct outbound_opts o = local;
	struct outbound_resp r;

	ck_assert_int_eq(server_start(NULL), 0);
	o.allow_private = 0;
	ck_assert_int_eq(outbound_post(url_for("127.0.0.1", "/h"), NULL, 0, LIT(BODY), &o, &r), 0);
	assert_refused(&r, "refused: 127.0.0.1 is a loopback (127.0.0.0/8) address");
	ck_assert_int_eq(outbound_post(url_for("localhost", "/h"), NULL, 0, LIT(BODY), &o, &r), 0);
	assert_refused(&r, "loopback");
	ck_assert_int_eq(
	    outbound_post(url_for("[::ffff:127.0.0.1]", "/h"), NULL, 0, LIT(BODY), &o, &r), 0);
	ck_assert_int_eq(r.refused, 1);
	ck_assert_int_eq(received(NULL), 0);
	/* The same request with private addresses allowed arrives. */
	ck_assert_int_eq(outbound_post(url_for("127.0.0.1", "/h"), NULL, 0, LIT(BODY), &local, &r),
			 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(received(NULL), 1);
}
END_TEST

/* http:// without allow_http: refused, and the receiver saw nothing. */
START_TEST(test_http_refused)
{
	struct outbound_opts o = local;
	struct outbound_resp r;
	const char *h[] = {"X-Bad: 1\r\nX-Injected: 1"};

	ck_assert_int_eq(server_start(NULL), 0);
	o.allow_http = 0;
	ck_assert_int_eq(outbound_post(url_for("127.0.0.1", "/h"), NULL, 0, LIT(BODY), &o, &r), 0);
	assert_refused(&r, "refused: url must start with https://");
	ck_assert_int_eq(outbound_post(url_for("127.0.0.1", "/h"), NULL, 0, LIT(BODY), NULL, &r),
			 0);
	assert_refused(&r, "https://");
	/* A header with CR/LF: refused, nothing sent. */
	ck_assert_int_eq(outbound_post(url_for("127.0.0.1", "/h"), h, 1, LIT(BODY), &local, &r), 0);
	assert_refused(&r, "line break");
	ck_assert_int_eq(received(NULL), 0);
}
END_TEST

static Suite *outbound_suite(void)
{
	Suite *s = suite_create("outbound");
	TCase *tc = tcase_create("checks");
	TCase *net = tcase_create("receiver");

	tcase_add_test(tc, test_url_https_ok);
	tcase_add_test(tc, test_url_http);
	tcase_add_test(tc, test_url_userinfo);
	tcase_add_test(tc, test_url_no_host);
	tcase_add_test(tc, test_url_fragment);
	tcase_add_test(tc, test_url_too_long);
	tcase_add_test(tc, test_url_schemes);
	tcase_add_test(tc, test_url_hosts);
	tcase_add_test(tc, test_addr_v4);
	tcase_add_test(tc, test_addr_v6);
	tcase_add_test(tc, test_addr_other);
	tcase_add_test(tc, test_refused_before_sending);
	tcase_add_test(tc, test_headers_refused);
	tcase_add_test(tc, test_connection_refused);
	suite_add_tcase(s, tc);

	tcase_set_timeout(net, 120);
	tcase_add_checked_fixture(net, setup, teardown);
	tcase_add_test(net, test_post_200);
	tcase_add_test(net, test_body_cut);
	tcase_add_test(net, test_500);
	tcase_add_test(net, test_timeout);
	tcase_add_test(net, test_loopback_refused);
	tcase_add_test(net, test_http_refused);
	suite_add_tcase(s, net);
	return s;
}

int main(void)
{
	SRunner *sr;
	size_t i;
	int failed;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)i;
	memcpy(secret, "whsec_", 6);
	EVP_EncodeBlock((unsigned char *)secret + 6, key, (int)sizeof(key));
	sr = srunner_create(outbound_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed == 0 ? 0 : 1;
}
