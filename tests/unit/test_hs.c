/*
 * Unit tests for hs (HubSpot client) and httpc (the libcurl wrapper): every
 * documented success and error answer, malformed and hostile answers, the
 * classification of statuses, the URL policy, control-character stripping,
 * the admin check, and argument checks that must stop a request before it is
 * sent.  No network beyond loopback: transfers go to a closed loopback port,
 * or to a one-shot HTTP server on 127.0.0.1 run by the test in a thread
 * (struct fake_http), which answers one request with a canned response and
 * keeps the request head it received.
 */
#include <check.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <curl/curl.h>

#include "hs.h"
#include "httpc.h"

/* A string literal as (body, len). */
#define LIT(s) (s), (sizeof(s) - 1)

/* Parse a literal with a given status into fresh structs. */
#define TOK(st, s) hs_parse_tokens((st), LIT(s), &tok, &err)

static struct hs_tokens tok;
static struct hs_introspection ins;
static struct hs_user usr;
static struct hs_roles rls;
static struct hs_users uss;
static struct hs_properties prp;
static struct hs_groups grp;
static struct hs_error err;

static void setup(void)
{
	memset(&tok, 0, sizeof(tok));
	memset(&ins, 0, sizeof(ins));
	memset(&usr, 0, sizeof(usr));
	memset(&rls, 0, sizeof(rls));
	memset(&uss, 0, sizeof(uss));
	memset(&prp, 0, sizeof(prp));
	memset(&grp, 0, sizeof(grp));
	memset(&err, 0, sizeof(err));
}

static void teardown(void)
{
	hs_tokens_free(&tok);
	hs_introspection_free(&ins);
	hs_user_free(&usr);
	hs_roles_free(&rls);
	hs_users_free(&uss);
	hs_properties_free(&prp);
	hs_groups_free(&grp);
}

/* A JSON token answer with access_token of n characters. */
static char *token_body(size_t n)
{
	static const char pre[] = "{\"access_token\":\"";
	static const char post[] =
	    "\",\"refresh_token\":\"r\",\"expires_in\":1800,\"token_type\":\"bearer\","
	    "\"hub_id\":62515}";
	char *b = malloc(sizeof(pre) + n + sizeof(post));

	ck_assert_ptr_nonnull(b);
	memcpy(b, pre, sizeof(pre) - 1);
	memset(b + sizeof(pre) - 1, 'A', n);
	memcpy(b + sizeof(pre) - 1 + n, post, sizeof(post));
	return b;
}

/*
 * A one-shot HTTP/1.1 server on 127.0.0.1 (an ephemeral port), in a thread:
 * it accepts one connection, reads the request head (up to the blank line)
 * and the body its Content-Length announces, sends the canned response with
 * "Connection: close" and closes.  It gives up after FAKE_WAIT_MS without a
 * connection or a complete request.
 */
#define FAKE_WAIT_MS 10000

struct fake_http {
	int lfd;
	pthread_t thread;
	char base[64];	  /* "http://127.0.0.1:<port>", an api_base */
	char resp[65536]; /* the canned response */
	size_t resp_len;
	char req[32768]; /* the request head and body received, NUL-terminated */
	size_t req_len;
	const char *body; /* the request body, in req (after the head) */
	int served;	  /* 1 once the response was sent */
};

/* The Content-Length of the request head in f->req (0 when none). */
static size_t fake_content_length(const struct fake_http *f)
{
	const char *h = strcasestr(f->req, "\r\nContent-Length:");

	return h != NULL ? (size_t)strtoul(h + 17, NULL, 10) : 0;
}

static void *fake_serve(void *arg)
{
	struct fake_http *f = arg;
	struct pollfd p = {.fd = f->lfd, .events = POLLIN};
	size_t off = 0, head;
	const char *end;
	ssize_t n;
	int fd;

	if (poll(&p, 1, FAKE_WAIT_MS) != 1)
		return NULL;
	fd = accept(f->lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	p.fd = fd;
	while (strstr(f->req, "\r\n\r\n") == NULL && f->req_len < sizeof(f->req) - 1) {
		if (poll(&p, 1, FAKE_WAIT_MS) != 1)
			goto out;
		n = read(fd, f->req + f->req_len, sizeof(f->req) - 1 - f->req_len);
		if (n <= 0)
			goto out;
		f->req_len += (size_t)n;
		f->req[f->req_len] = '\0';
	}
	end = strstr(f->req, "\r\n\r\n");
	if (end == NULL)
		goto out;
	head = (size_t)(end - f->req) + 4;
	f->body = f->req + head;
	while (f->req_len < head + fake_content_length(f) && f->req_len < sizeof(f->req) - 1) {
		if (poll(&p, 1, FAKE_WAIT_MS) != 1)
			goto out;
		n = read(fd, f->req + f->req_len, sizeof(f->req) - 1 - f->req_len);
		if (n <= 0)
			goto out;
		f->req_len += (size_t)n;
		f->req[f->req_len] = '\0';
	}
	while (off < f->resp_len) {
		n = write(fd, f->resp + off, f->resp_len - off);
		if (n <= 0)
			goto out;
		off += (size_t)n;
	}
	f->served = 1;
	shutdown(fd, SHUT_WR);
out:
	close(fd);
	return NULL;
}

/*
 * Start a server answering "HTTP/1.1 <status>", then headers (each ending
 * in \r\n, may be ""), Content-Length and Connection: close, then body.
 */
static void fake_start(struct fake_http *f, const char *status, const char *headers,
		       const char *body)
{
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	int n;

	memset(f, 0, sizeof(*f));
	n = snprintf(f->resp, sizeof(f->resp),
		     "HTTP/1.1 %s\r\n%sContent-Length: %zu\r\nConnection: close\r\n\r\n%s", status,
		     headers, strlen(body), body);
	ck_assert(n > 0 && (size_t)n < sizeof(f->resp));
	f->resp_len = (size_t)n;
	f->lfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(f->lfd, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = 0;
	ck_assert_int_eq(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(f->lfd, 1), 0);
	ck_assert_int_eq(getsockname(f->lfd, (struct sockaddr *)&sa, &salen), 0);
	snprintf(f->base, sizeof(f->base), "http://127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
	ck_assert_int_eq(pthread_create(&f->thread, NULL, fake_serve, f), 0);
}

/* Wait for the server's one exchange and close it. */
static void fake_finish(struct fake_http *f)
{
	ck_assert_int_eq(pthread_join(f->thread, NULL), 0);
	close(f->lfd);
}

/* f's request line and head, as received */
#define FAKE_REQ_HAS(f, s)                                                                         \
	ck_assert_msg(strstr((f)->req, (s)) != NULL, "no %s in %s", (s), (f)->req)

/* The rate-limit headers HubSpot sends with an OAuth call. */
#define RL_HEADERS                                                                                 \
	"X-HubSpot-RateLimit-Interval-Milliseconds: 10000\r\nX-HubSpot-RateLimit-Max: 110\r\n"     \
	"X-HubSpot-RateLimit-Remaining: 109\r\n"

/* An API base on a closed loopback port. */
static const struct hs_config cfg_local = {
    .api_base = "http://127.0.0.1:1", .client_id = "cid", .client_secret = "secret"};

/* Token answers. */

START_TEST(test_tokens_documented)
{
	/* HubSpot changelog example (new OAuth v3 endpoints, standardized errors). */
	ck_assert_int_eq(TOK(200,
			     "{\"token_type\":\"bearer\",\"refresh_token\":\"na1-ab12-cd34-ef56-"
			     "gh78-abcdef123456\",\"hub_id\":62515,\"user_id\":123456,"
			     "\"scopes\":[\"oauth\",\"crm.objects.contacts.write\","
			     "\"crm.objects.contacts.read\"],\"access_token\":\"AAA1234-TOKEN\","
			     "\"expires_in\":1800,\"token_use\":\"access_token\"}"),
			 HS_OK);
	ck_assert_int_eq(err.kind, HS_OK);
	ck_assert_int_eq(err.http_status, 200);
	ck_assert_str_eq(tok.access_token, "AAA1234-TOKEN");
	ck_assert_str_eq(tok.refresh_token, "na1-ab12-cd34-ef56-gh78-abcdef123456");
	ck_assert_str_eq(tok.token_type, "bearer");
	ck_assert_str_eq(tok.token_use, "access_token");
	ck_assert_int_eq(tok.expires_in, 1800);
	ck_assert_int_eq(tok.hub_id, 62515);
	ck_assert_int_eq(tok.user_id, 123456);
	ck_assert_uint_eq(tok.nscopes, 3);
	ck_assert_str_eq(tok.scopes[0], "oauth");
	ck_assert_str_eq(tok.scopes[2], "crm.objects.contacts.read");
	ck_assert_ptr_null(tok.scopes[3]);
}
END_TEST

START_TEST(test_tokens_without_refresh_token)
{
	ck_assert_int_eq(TOK(200, "{\"access_token\":\"a\",\"expires_in\":1800,"
				  "\"token_type\":\"bearer\",\"hub_id\":1}"),
			 HS_OK);
	ck_assert_ptr_null(tok.refresh_token);
	ck_assert_ptr_null(tok.scopes);
	ck_assert_uint_eq(tok.nscopes, 0);
	ck_assert_int_eq(tok.user_id, 0);
	hs_tokens_free(&tok);
	/* null is absent too */
	ck_assert_int_eq(TOK(200, "{\"access_token\":\"a\",\"refresh_token\":null,\"expires_in\":5,"
				  "\"token_type\":\"Bearer\",\"hub_id\":1}"),
			 HS_OK);
	ck_assert_ptr_null(tok.refresh_token);
}
END_TEST

START_TEST(test_tokens_unknown_fields_and_string_user_id)
{
	ck_assert_int_eq(TOK(200,
			     "{\"access_token\":\"a\",\"expires_in\":1800,\"id_token\":{\"x\":[1]},"
			     "\"token_type\":\"bearer\",\"hub_id\":7,\"user_id\":\"42\"}"),
			 HS_OK);
	ck_assert_int_eq(tok.user_id, 42);
}
END_TEST

START_TEST(test_tokens_missing_required)
{
	ck_assert_int_eq(TOK(200, "{\"expires_in\":1800,\"token_type\":\"bearer\",\"hub_id\":1}"),
			 HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message, "field \"access_token\" is missing");
	ck_assert_ptr_null(tok.token_type); /* freed on failure */
	ck_assert_int_eq(
	    TOK(200, "{\"access_token\":\"a\",\"token_type\":\"bearer\",\"hub_id\":1}"),
	    HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message, "field \"expires_in\" is missing");
	ck_assert_int_eq(
	    TOK(200, "{\"access_token\":\"a\",\"expires_in\":1,\"token_type\":\"bearer\"}"),
	    HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message, "field \"hub_id\" is missing");
	ck_assert_int_eq(TOK(200, "{\"access_token\":\"a\",\"expires_in\":1,\"hub_id\":1}"),
			 HS_ERR_MALFORMED);
	ck_assert_int_eq(TOK(200,
			     "{\"access_token\":null,\"expires_in\":1,\"token_type\":\"bearer\","
			     "\"hub_id\":1}"),
			 HS_ERR_MALFORMED);
	ck_assert_ptr_null(tok.access_token);
}
END_TEST

START_TEST(test_tokens_wrong_types)
{
	static const char *const bad[] = {
	    "{\"access_token\":12,\"expires_in\":1,\"token_type\":\"bearer\",\"hub_id\":1}",
	    "{\"access_token\":[\"a\"],\"expires_in\":1,\"token_type\":\"bearer\",\"hub_id\":1}",
	    "{\"access_token\":\"a b\",\"expires_in\":1,\"token_type\":\"bearer\",\"hub_id\":1}",
	    "{\"access_token\":\"a\\nb\",\"expires_in\":1,\"token_type\":\"bearer\",\"hub_id\":1}",
	    "{\"access_token\":\"\",\"expires_in\":1,\"token_type\":\"bearer\",\"hub_id\":1}",
	    "{\"access_token\":\"a\",\"expires_in\":\"1800\",\"token_type\":\"bearer\",\"hub_id\":"
	    "1}",
	    "{\"access_token\":\"a\",\"expires_in\":0,\"token_type\":\"bearer\",\"hub_id\":1}",
	    "{\"access_token\":\"a\",\"expires_in\":-5,\"token_type\":\"bearer\",\"hub_id\":1}",
	    "{\"access_token\":\"a\",\"expires_in\":1.5,\"token_type\":\"bearer\",\"hub_id\":1}",
	    "{\"access_token\":\"a\",\"expires_in\":1e300,\"token_type\":\"bearer\",\"hub_id\":1}",
	    "{\"access_token\":\"a\",\"expires_in\":true,\"token_type\":\"bearer\",\"hub_id\":1}",
	    "{\"access_token\":\"a\",\"expires_in\":1,\"token_type\":\"bearer\",\"hub_id\":"
	    "\"62515\"}",
	    "{\"access_token\":\"a\",\"expires_in\":1,\"token_type\":\"bearer\",\"hub_id\":0}",
	    "{\"access_token\":\"a\",\"expires_in\":1,\"token_type\":\"mac\",\"hub_id\":1}",
	    "{\"access_token\":\"a\",\"expires_in\":1,\"token_type\":1,\"hub_id\":1}",
	    "{\"access_token\":\"a\",\"expires_in\":1,\"token_type\":\"bearer\",\"hub_id\":1,"
	    "\"scopes\":\"oauth\"}",
	    "{\"access_token\":\"a\",\"expires_in\":1,\"token_type\":\"bearer\",\"hub_id\":1,"
	    "\"scopes\":[\"oauth\",5]}",
	    "{\"access_token\":\"a\",\"expires_in\":1,\"token_type\":\"bearer\",\"hub_id\":1,"
	    "\"scopes\":[[\"oauth\"]]}",
	    "{\"access_token\":\"a\",\"expires_in\":1,\"token_type\":\"bearer\",\"hub_id\":1,"
	    "\"user_id\":\"12x\"}",
	    "{\"access_token\":\"a\",\"expires_in\":1,\"token_type\":\"bearer\",\"hub_id\":1,"
	    "\"user_id\":-3}",
	    "{\"access_token\":\"a\",\"refresh_token\":{},\"expires_in\":1,\"token_type\":"
	    "\"bearer\","
	    "\"hub_id\":1}",
	    "{\"access_token\":\"a\",\"expires_in\":1,\"token_type\":\"bearer\",\"hub_id\":1,"
	    "\"token_use\":\"x\\u0007\"}",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(hs_parse_tokens(200, bad[i], strlen(bad[i]), &tok, &err) ==
				  HS_ERR_MALFORMED,
			      "accepted: %s", bad[i]);
		ck_assert_int_eq(err.kind, HS_ERR_MALFORMED);
		ck_assert_ptr_null(tok.access_token);
		ck_assert_ptr_null(tok.scopes);
		ck_assert_uint_eq(tok.nscopes, 0);
	}
	ck_assert_int_eq(TOK(200, "{\"access_token\":\"a\",\"expires_in\":\"1800\","
				  "\"token_type\":\"bearer\",\"hub_id\":1}"),
			 HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message, "field \"expires_in\" must be a positive integer");
}
END_TEST

/* expires_in is stored as an SQL int: a lifetime over a year is unusable. */
START_TEST(test_tokens_expires_in_bounded)
{
	ck_assert_int_eq(TOK(200, "{\"access_token\":\"a\",\"expires_in\":31536000,"
				  "\"token_type\":\"bearer\",\"hub_id\":1}"),
			 HS_OK);
	ck_assert_int_eq(tok.expires_in, HS_EXPIRES_MAX);
	hs_tokens_free(&tok);
	ck_assert_int_eq(TOK(200, "{\"access_token\":\"a\",\"expires_in\":31536001,"
				  "\"token_type\":\"bearer\",\"hub_id\":1}"),
			 HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message, "field \"expires_in\" is out of range");
	ck_assert_ptr_null(tok.access_token);
	/* past 2^31 - 1, which made the token write fail and the refresh retry
	 * forever */
	ck_assert_int_eq(TOK(200, "{\"access_token\":\"a\",\"expires_in\":2147483648,"
				  "\"token_type\":\"bearer\",\"hub_id\":1}"),
			 HS_ERR_MALFORMED);
	ck_assert_int_eq(err.kind, HS_ERR_MALFORMED);
	ck_assert_int_eq(TOK(200, "{\"access_token\":\"a\",\"expires_in\":9007199254740991,"
				  "\"token_type\":\"bearer\",\"hub_id\":1}"),
			 HS_ERR_MALFORMED);
	/* other integers keep their 2^53 - 1 limit */
	ck_assert_int_eq(TOK(200, "{\"access_token\":\"a\",\"expires_in\":1800,"
				  "\"token_type\":\"bearer\",\"hub_id\":9007199254740991}"),
			 HS_OK);
	ck_assert_int_eq(tok.hub_id, 9007199254740991LL);
}
END_TEST

START_TEST(test_tokens_sizes)
{
	char *b;

	b = token_body(HS_TOKEN_MAX);
	ck_assert_int_eq(hs_parse_tokens(200, b, strlen(b), &tok, &err), HS_OK);
	ck_assert_uint_eq(strlen(tok.access_token), HS_TOKEN_MAX);
	free(b);
	hs_tokens_free(&tok);

	b = token_body(HS_TOKEN_MAX + 1);
	ck_assert_int_eq(hs_parse_tokens(200, b, strlen(b), &tok, &err), HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message, "field \"access_token\" is too long");
	ck_assert_ptr_null(tok.access_token);
	free(b);

	/* a whole body over the cap */
	b = token_body(HS_BODY_MAX);
	ck_assert_int_eq(hs_parse_tokens(200, b, strlen(b), &tok, &err), HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message, "answer too large");
	free(b);
}
END_TEST

START_TEST(test_tokens_too_many_scopes)
{
	char *b = malloc(32 + (HS_SCOPES_MAX + 1) * 4 + 128);
	size_t i, n = 0;

	ck_assert_ptr_nonnull(b);
	n += (size_t)snprintf(b + n, 64, "{\"access_token\":\"a\",\"scopes\":[");
	for (i = 0; i <= HS_SCOPES_MAX; i++)
		n += (size_t)snprintf(b + n, 8, "%s\"s\"", i ? "," : "");
	n += (size_t)snprintf(b + n, 128,
			      "],\"expires_in\":1,\"token_type\":\"bearer\",\"hub_id\":1}");
	ck_assert_int_eq(hs_parse_tokens(200, b, n, &tok, &err), HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message, "field \"scopes\" is too long");
	free(b);
}
END_TEST

START_TEST(test_tokens_duplicate_field)
{
	ck_assert_int_eq(TOK(200, "{\"access_token\":\"a\",\"access_token\":\"b\",\"expires_in\":1,"
				  "\"token_type\":\"bearer\",\"hub_id\":1}"),
			 HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message, "field \"access_token\" is duplicated");
	ck_assert_int_eq(TOK(200, "{\"access_token\":\"a\",\"hub_id\":null,\"expires_in\":1,"
				  "\"token_type\":\"bearer\",\"hub_id\":1}"),
			 HS_ERR_MALFORMED);
}
END_TEST

START_TEST(test_malformed_json)
{
	static const char *const bad[] = {
	    "{",
	    "{\"access_token\":\"a\"",
	    "[]",
	    "null",
	    "\"string\"",
	    "42",
	    "{}x",
	    "{} {}",
	    "{\"access_token\":'a'}",
	    "<html><body>OK</body></html>",
	    "\xef\xbb\xbf{}",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(hs_parse_tokens(200, bad[i], strlen(bad[i]), &tok, &err) ==
				  HS_ERR_MALFORMED,
			      "accepted: %s", bad[i]);
		ck_assert_msg(hs_parse_roles(200, bad[i], strlen(bad[i]), &rls, &err) ==
				  HS_ERR_MALFORMED,
			      "accepted: %s", bad[i]);
	}
	ck_assert_int_eq(hs_parse_tokens(200, NULL, 0, &tok, &err), HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message, "empty answer");
	ck_assert_int_eq(hs_parse_tokens(200, "", 0, &tok, &err), HS_ERR_MALFORMED);
	/* an embedded NUL must not cut the document short */
	ck_assert_int_eq(hs_parse_tokens(200,
					 LIT("{\"access_token\":\"a\",\"expires_in\":1,"
					     "\"token_type\":\"bearer\",\"hub_id\":1}\0junk"),
					 &tok, &err),
			 HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message, "answer contains a nul byte");
	/* only len bytes are read: the rest of a larger buffer is ignored */
	ck_assert_int_eq(hs_parse_tokens(200,
					 "{\"access_token\":\"a\",\"expires_in\":1,"
					 "\"token_type\":\"bearer\",\"hub_id\":1}GARBAGE",
					 strlen("{\"access_token\":\"a\",\"expires_in\":1,"
						"\"token_type\":\"bearer\",\"hub_id\":1}"),
					 &tok, &err),
			 HS_OK);
	hs_tokens_free(&tok);
	/* trailing whitespace is fine */
	ck_assert_int_eq(TOK(200,
			     "{\"access_token\":\"a\",\"expires_in\":1,\"token_type\":\"bearer\","
			     "\"hub_id\":1}\r\n "),
			 HS_OK);
}
END_TEST

/* Error answers. */

START_TEST(test_error_bad_refresh_token)
{
	ck_assert_int_eq(TOK(400, "{\"error\":\"invalid_grant\",\"error_description\":\"missing or "
				  "invalid refresh token\",\"status\":\"BAD_REFRESH_TOKEN\","
				  "\"message\":\"missing or invalid refresh token\","
				  "\"correlationId\":\"aeb5f871-7f07-4993-9211-075dc63e7cbf\"}"),
			 HS_ERR_AUTH);
	ck_assert_int_eq(err.kind, HS_ERR_AUTH);
	ck_assert_int_eq(err.http_status, 400);
	ck_assert_str_eq(err.status, "BAD_REFRESH_TOKEN");
	ck_assert_str_eq(err.error, "invalid_grant");
	ck_assert_str_eq(err.message, "missing or invalid refresh token");
	ck_assert_str_eq(err.correlation_id, "aeb5f871-7f07-4993-9211-075dc63e7cbf");
	ck_assert_ptr_null(tok.access_token);

	/* the older shape, status and message only */
	ck_assert_int_eq(TOK(400, "{\"status\":\"BAD_REFRESH_TOKEN\",\"message\":\"missing or "
				  "invalid refresh token\"}"),
			 HS_ERR_AUTH);
	/* error alone */
	ck_assert_int_eq(
	    TOK(400, "{\"error\":\"invalid_grant\",\"error_description\":\"Token revoked\"}"),
	    HS_ERR_AUTH);
	ck_assert_str_eq(err.message, "Token revoked");
}
END_TEST

START_TEST(test_error_bad_auth_code)
{
	ck_assert_int_eq(TOK(400, "{\"status\":\"BAD_AUTH_CODE\",\"message\":\"missing or unknown "
				  "auth code\",\"correlationId\":\"c-1\"}"),
			 HS_ERR_AUTH);
	ck_assert_str_eq(err.status, "BAD_AUTH_CODE");
	ck_assert_str_eq(err.correlation_id, "c-1");
}
END_TEST

START_TEST(test_error_invalid_client)
{
	ck_assert_int_eq(TOK(400, "{\"error\":\"invalid_client\",\"error_description\":\"bad "
				  "client\",\"status\":\"BAD_CLIENT_ID\",\"message\":\"missing or "
				  "invalid client_id\"}"),
			 HS_ERR_CONFIG);
	ck_assert_int_eq(TOK(401, "{\"error\":\"invalid_client\"}"), HS_ERR_CONFIG);
	ck_assert_int_eq(TOK(400, "{\"status\":\"BAD_CLIENT_SECRET\",\"message\":\"x\"}"),
			 HS_ERR_CONFIG);
	ck_assert_int_eq(TOK(400, "{\"status\":\"BAD_REDIRECT_URI\",\"message\":\"x\"}"),
			 HS_ERR_CONFIG);
	ck_assert_int_eq(TOK(400, "{\"error\":\"invalid_grant\",\"status\":\"MISMATCH_REDIRECT_URI_"
				  "AUTH_CODE\"}"),
			 HS_ERR_CONFIG);
	ck_assert_int_eq(TOK(400, "{\"error\":\"unsupported_grant_type\"}"), HS_ERR_CONFIG);
	ck_assert_int_eq(
	    hs_parse_introspection(401, LIT("{\"error\":\"invalid_client\"}"), &ins, &err),
	    HS_ERR_CONFIG);
}
END_TEST

START_TEST(test_error_expired_authentication)
{
	ck_assert_int_eq(
	    hs_parse_user(401,
			  LIT("{\"status\":\"error\",\"message\":\"The OAuth token used to "
			      "make this call expired 1 minute(s) ago.\",\"correlationId\":"
			      "\"a1b2c3d4-e5f6-7890-abcd-ef1234567890\",\"category\":"
			      "\"EXPIRED_AUTHENTICATION\"}"),
			  &usr, &err),
	    HS_ERR_AUTH);
	ck_assert_str_eq(err.category, "EXPIRED_AUTHENTICATION");
	ck_assert_str_eq(err.status, "error");
	ck_assert_str_eq(err.correlation_id, "a1b2c3d4-e5f6-7890-abcd-ef1234567890");
	ck_assert_int_eq(err.http_status, 401);
	ck_assert_int_eq(hs_parse_roles(401,
					LIT("{\"status\":\"error\",\"message\":\"Authentication "
					    "credentials not found.\",\"category\":"
					    "\"INVALID_AUTHENTICATION\"}"),
					&rls, &err),
			 HS_ERR_AUTH);
	ck_assert_int_eq(hs_parse_roles(401, NULL, 0, &rls, &err), HS_ERR_AUTH);
}
END_TEST

START_TEST(test_error_missing_scopes)
{
	ck_assert_int_eq(
	    hs_parse_roles(
		403,
		LIT("{\"status\":\"error\",\"message\":\"This app hasn't been granted all "
		    "required scopes to make this call.\",\"correlationId\":\"7d3b-1\","
		    "\"errors\":[{\"message\":\"One or more of the following scopes are "
		    "required.\",\"context\":{\"requiredGranularScopes\":[\"settings.users."
		    "read\"]}}],\"links\":{\"scopes\":\"https://developers.hubspot.com/"
		    "scopes\"},\"category\":\"MISSING_SCOPES\"}"),
		&rls, &err),
	    HS_ERR_PERMISSION);
	ck_assert_str_eq(err.category, "MISSING_SCOPES");
	ck_assert_str_eq(err.correlation_id, "7d3b-1");
	ck_assert_ptr_null(rls.roles);
}
END_TEST

START_TEST(test_error_rate_limit)
{
	ck_assert_int_eq(hs_parse_user(429,
				       LIT("{\"status\":\"error\",\"message\":\"You have reached "
					   "your ten_secondly_rolling limit.\",\"errorType\":"
					   "\"RATE_LIMIT\",\"correlationId\":\"c5-429\","
					   "\"policyName\":\"TEN_SECONDLY_ROLLING\","
					   "\"groupName\":\"publicapi:app-id:1\"}"),
				       &usr, &err),
			 HS_ERR_TRANSIENT);
	ck_assert_str_eq(err.correlation_id, "c5-429");
	ck_assert_str_eq(err.message, "You have reached your ten_secondly_rolling limit.");
	ck_assert_str_eq(err.error_type, "RATE_LIMIT");
	ck_assert_str_eq(err.policy_name, "TEN_SECONDLY_ROLLING");
	/* a parser sees no headers */
	ck_assert_int_eq(err.rl_max, -1);
	ck_assert_int_eq(err.rl_remaining, -1);
	ck_assert_int_eq(err.rl_interval_ms, -1);
	ck_assert_int_eq(err.retry_after, 0);
	/* the daily policy, as HubSpot's usage guidelines show it */
	ck_assert_int_eq(
	    hs_parse_error(429,
			   LIT("{\"status\":\"error\",\"message\":\"You have reached "
			       "your daily limit.\",\"errorType\":\"RATE_LIMIT\","
			       "\"correlationId\":\"c033cdaa-2c40-4a64-ae48-b4cec88dad24\","
			       "\"policyName\":\"DAILY\",\"requestId\":\"3d3e35b7\"}"),
			   &err),
	    HS_ERR_TRANSIENT);
	ck_assert_str_eq(err.policy_name, "DAILY");
	/* bounded and cleaned like the other fields */
	ck_assert_int_eq(
	    hs_parse_error(429,
			   LIT("{\"errorType\":\"RATE\\nLIMIT_0123456789012345678901234567"
			       "89\",\"policyName\":7}"),
			   &err),
	    HS_ERR_TRANSIENT);
	ck_assert_str_eq(err.error_type, "RATELIMIT_012345678901234567890");
	ck_assert_str_eq(err.policy_name, "");
	ck_assert_int_eq(hs_parse_tokens(429,
					 LIT("{\"status\":\"error\",\"message\":\"x\","
					     "\"category\":\"RATE_LIMITS\"}"),
					 &tok, &err),
			 HS_ERR_TRANSIENT);
	ck_assert_str_eq(err.category, "RATE_LIMITS");
}
END_TEST

START_TEST(test_error_503)
{
	ck_assert_int_eq(TOK(503, "<html><head><title>503 Service Unavailable</title></head>"
				  "<body>down</body></html>"),
			 HS_ERR_TRANSIENT);
	ck_assert_str_eq(err.message, "http status 503");
	ck_assert_str_eq(err.status, "");
	ck_assert_int_eq(TOK(503,
			     "{\"status\":\"error\",\"message\":\"Service Unavailable\","
			     "\"correlationId\":\"c503\",\"category\":\"SERVICE_UNAVAILABLE\"}"),
			 HS_ERR_TRANSIENT);
	ck_assert_str_eq(err.message, "Service Unavailable");
	ck_assert_str_eq(err.correlation_id, "c503");
	ck_assert_int_eq(hs_parse_error(500, NULL, 0, &err), HS_ERR_TRANSIENT);
	ck_assert_int_eq(hs_parse_error(502, LIT(""), &err), HS_ERR_TRANSIENT);
	ck_assert_int_eq(hs_parse_error(504, LIT("{bad json"), &err), HS_ERR_TRANSIENT);
}
END_TEST

START_TEST(test_error_wrong_types_ignored)
{
	ck_assert_int_eq(hs_parse_error(400,
					LIT("{\"status\":5,\"error\":[\"invalid_grant\"],"
					    "\"message\":{},\"correlationId\":null}"),
					&err),
			 HS_ERR_MALFORMED);
	ck_assert_str_eq(err.status, "");
	ck_assert_str_eq(err.error, "");
	ck_assert_str_eq(err.message, "http status 400");
}
END_TEST

START_TEST(test_error_classification)
{
	static const struct {
		long status;
		enum hs_err kind;
	} cases[] = {
	    {0, HS_ERR_MALFORMED},   {200, HS_ERR_MALFORMED}, {201, HS_ERR_MALFORMED},
	    {204, HS_ERR_MALFORMED}, {301, HS_ERR_MALFORMED}, {302, HS_ERR_MALFORMED},
	    {400, HS_ERR_MALFORMED}, {401, HS_ERR_AUTH},      {403, HS_ERR_PERMISSION},
	    {404, HS_ERR_MALFORMED}, {405, HS_ERR_MALFORMED}, {408, HS_ERR_TRANSIENT},
	    {409, HS_ERR_MALFORMED}, {415, HS_ERR_MALFORMED}, {429, HS_ERR_TRANSIENT},
	    {500, HS_ERR_TRANSIENT}, {502, HS_ERR_TRANSIENT}, {503, HS_ERR_TRANSIENT},
	    {504, HS_ERR_TRANSIENT}, {599, HS_ERR_TRANSIENT}, {600, HS_ERR_MALFORMED},
	    {-1, HS_ERR_MALFORMED},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_msg(hs_parse_error(cases[i].status, NULL, 0, &err) == cases[i].kind,
			      "status %ld", cases[i].status);
		ck_assert_int_eq(err.http_status, cases[i].status);
	}
	/* 404 means "user not visible" for the users API only */
	ck_assert_int_eq(hs_parse_user(404,
				       LIT("{\"status\":\"error\",\"message\":\"not found\","
					   "\"category\":\"OBJECT_NOT_FOUND\"}"),
				       &usr, &err),
			 HS_ERR_PERMISSION);
	ck_assert_int_eq(err.kind, HS_ERR_PERMISSION);
	ck_assert_int_eq(hs_parse_tokens(404, NULL, 0, &tok, &err), HS_ERR_MALFORMED);
	/* only 200 is success, even with a perfect body */
	ck_assert_int_eq(TOK(201,
			     "{\"access_token\":\"a\",\"expires_in\":1,\"token_type\":\"bearer\","
			     "\"hub_id\":1}"),
			 HS_ERR_MALFORMED);
	ck_assert_ptr_null(tok.access_token);
	ck_assert_int_eq(hs_parse_introspection(204, NULL, 0, &ins, &err), HS_ERR_MALFORMED);
}
END_TEST

START_TEST(test_error_control_chars_stripped)
{
	ck_assert_int_eq(
	    hs_parse_error(
		400,
		LIT("{\"error\":\"invalid_grant\\r\\nSet-Cookie: x\",\"status\":"
		    "\"BAD_\\u0000REFRESH_TOKEN\",\"message\":\"line1\\nline2\\t\\u001b[31m"
		    "red\\u007f \\u0085next\\u202egnp.exe\\u2028end\",\"category\":"
		    "\"\\u0007CAT\",\"correlationId\":\"c\\u0001-1\"}"),
		&err),
	    HS_ERR_MALFORMED);
	ck_assert_str_eq(err.error, "invalid_grantSet-Cookie: x");
	/* \u0000 ends the string inside cJSON: "BAD_" is all that is left */
	ck_assert_str_eq(err.status, "BAD_");
	ck_assert_str_eq(err.message, "line1line2[31mred nextgnp.exeend");
	ck_assert_str_eq(err.category, "CAT");
	ck_assert_str_eq(err.correlation_id, "c-1");
	/* invalid UTF-8 bytes are dropped, valid ones kept */
	ck_assert_int_eq(
	    hs_parse_error(503, LIT("{\"message\":\"caf\xc3\xa9 \xff\xfe ok \xc3\"}"), &err),
	    HS_ERR_TRANSIENT);
	ck_assert_str_eq(err.message, "caf\xc3\xa9  ok ");
}
END_TEST

START_TEST(test_error_truncation)
{
	char body[1200];
	size_t n = 0, i;

	/* 300 x 'e-acute' (2 bytes each): cut at a character boundary */
	n += (size_t)snprintf(body, sizeof(body), "{\"message\":\"");
	for (i = 0; i < 300; i++) {
		body[n++] = (char)0xc3;
		body[n++] = (char)0xa9;
	}
	n += (size_t)snprintf(body + n, sizeof(body) - n, "\",\"correlationId\":\"");
	for (i = 0; i < 200; i++)
		body[n++] = 'x';
	n += (size_t)snprintf(body + n, sizeof(body) - n, "\"}");
	ck_assert_int_eq(hs_parse_error(500, body, n, &err), HS_ERR_TRANSIENT);
	ck_assert_uint_eq(strlen(err.message), 254);
	ck_assert_uint_eq((unsigned char)err.message[252], 0xc3);
	ck_assert_uint_eq((unsigned char)err.message[253], 0xa9);
	ck_assert_uint_eq(strlen(err.correlation_id), sizeof(err.correlation_id) - 1);
}
END_TEST

/* Introspection. */

START_TEST(test_introspection_active)
{
	ck_assert_int_eq(
	    hs_parse_introspection(
		200,
		LIT("{\"active\":true,\"token\":\"ignored\",\"user\":\"admin@example.com\","
		    "\"hub_domain\":\"demo.hubspot.com\",\"scopes\":[\"oauth\","
		    "\"settings.users.read\"],\"hub_id\":62515,\"app_id\":456,"
		    "\"expires_in\":1754,\"user_id\":123456,\"token_type\":\"access\","
		    "\"token_use\":\"access_token\"}"),
		&ins, &err),
	    HS_OK);
	ck_assert_int_eq(ins.active, 1);
	ck_assert_int_eq(ins.hub_id, 62515);
	ck_assert_str_eq(ins.hub_domain, "demo.hubspot.com");
	ck_assert_str_eq(ins.user, "admin@example.com");
	ck_assert_int_eq(ins.user_id, 123456);
	ck_assert_int_eq(ins.app_id, 456);
	ck_assert_int_eq(ins.expires_in, 1754);
	ck_assert_str_eq(ins.token_use, "access_token");
	ck_assert_uint_eq(ins.nscopes, 2);
	ck_assert_str_eq(ins.scopes[1], "settings.users.read");
}
END_TEST

START_TEST(test_introspection_inactive)
{
	ck_assert_int_eq(hs_parse_introspection(200, LIT("{\"active\":false}"), &ins, &err), HS_OK);
	ck_assert_int_eq(err.kind, HS_OK);
	ck_assert_int_eq(ins.active, 0);
	ck_assert_int_eq(hs_parse_introspection(200,
						LIT("{\"active\":false,\"hub_id\":5,\"scopes\":"
						    "[\"a\"],\"user\":\"x@y\"}"),
						&ins, &err),
			 HS_OK);
	ck_assert_int_eq(ins.active, 0);
	ck_assert_int_eq(ins.hub_id, 0);
	ck_assert_ptr_null(ins.scopes);
	ck_assert_ptr_null(ins.user);
}
END_TEST

START_TEST(test_introspection_malformed)
{
	ck_assert_int_eq(hs_parse_introspection(200, LIT("{\"hub_id\":1}"), &ins, &err),
			 HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message, "field \"active\" is missing");
	ck_assert_int_eq(
	    hs_parse_introspection(200, LIT("{\"active\":\"true\",\"hub_id\":1}"), &ins, &err),
	    HS_ERR_MALFORMED);
	ck_assert_int_eq(
	    hs_parse_introspection(200, LIT("{\"active\":1,\"hub_id\":1}"), &ins, &err),
	    HS_ERR_MALFORMED);
	ck_assert_int_eq(
	    hs_parse_introspection(200, LIT("{\"active\":true,\"user\":\"a@b\"}"), &ins, &err),
	    HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message, "field \"hub_id\" is missing");
	ck_assert_ptr_null(ins.user);
	ck_assert_int_eq(
	    hs_parse_introspection(200, LIT("{\"active\":true,\"hub_id\":1,\"expires_in\":-1}"),
				   &ins, &err),
	    HS_ERR_MALFORMED);
	ck_assert_int_eq(hs_parse_introspection(200,
						LIT("{\"active\":true,\"hub_id\":1,\"user\":"
						    "\"a\\nb@c\"}"),
						&ins, &err),
			 HS_ERR_MALFORMED);
}
END_TEST

/* Users and roles. */

START_TEST(test_user_documented)
{
	ck_assert_int_eq(
	    hs_parse_user(200,
			  LIT("{\"email\":\"newUser@email.com\",\"id\":\"123\","
			      "\"roleIds\":[\"100\",\"101\"],\"superAdmin\":false,"
			      "\"firstName\":\"A\",\"lastName\":\"B\",\"primaryTeamId\":"
			      "\"101\",\"roleId\":\"100\",\"secondaryTeamIds\":[\"102\"],"
			      "\"sendWelcomeEmail\":false}"),
			  &usr, &err),
	    HS_OK);
	ck_assert_str_eq(usr.id, "123");
	ck_assert_str_eq(usr.email, "newUser@email.com");
	ck_assert_str_eq(usr.role_id, "100");
	ck_assert_uint_eq(usr.nrole_ids, 2);
	ck_assert_str_eq(usr.role_ids[1], "101");
	ck_assert_int_eq(usr.super_admin, 0);
	hs_user_free(&usr);

	/* minimal, numeric id tolerated */
	ck_assert_int_eq(hs_parse_user(200,
				       LIT("{\"email\":\"a@b.c\",\"id\":456,\"superAdmin\":true}"),
				       &usr, &err),
			 HS_OK);
	ck_assert_str_eq(usr.id, "456");
	ck_assert_int_eq(usr.super_admin, 1);
	ck_assert_ptr_null(usr.role_ids);
	ck_assert_ptr_null(usr.role_id);
}
END_TEST

START_TEST(test_user_malformed)
{
	static const char *const bad[] = {
	    "{\"id\":\"1\"}",
	    "{\"email\":\"a@b\"}",
	    "{\"email\":\"a@b\",\"id\":\"\"}",
	    "{\"email\":\"a@b\",\"id\":\"1 2\"}",
	    "{\"email\":\"a@b\",\"id\":1.5}",
	    "{\"email\":\"a@b\",\"id\":true}",
	    "{\"email\":7,\"id\":\"1\"}",
	    "{\"email\":\"a@b\",\"id\":\"1\",\"superAdmin\":\"false\"}",
	    "{\"email\":\"a@b\",\"id\":\"1\",\"roleIds\":\"1\"}",
	    "{\"email\":\"a@b\",\"id\":\"1\",\"roleIds\":[{\"id\":\"1\"}]}",
	    "{\"email\":\"a@b\",\"id\":\"1\",\"roleIds\":[\"1\",\"\"]}",
	    "{\"email\":\"a@b\",\"id\":\"1\",\"roleId\":[]}",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(hs_parse_user(200, bad[i], strlen(bad[i]), &usr, &err) ==
				  HS_ERR_MALFORMED,
			      "accepted: %s", bad[i]);
		ck_assert_ptr_null(usr.id);
		ck_assert_ptr_null(usr.role_ids);
	}
}
END_TEST

START_TEST(test_roles_documented)
{
	ck_assert_int_eq(
	    hs_parse_roles(200,
			   LIT("{\"results\":[{\"id\":\"1234\",\"name\":\"a new role\","
			       "\"requiresBillingWrite\":false},{\"id\":\"100\",\"name\":"
			       "\"Admin\",\"requiresBillingWrite\":true},{\"id\":\"7\","
			       "\"name\":\"Sales\"}]}"),
			   &rls, &err),
	    HS_OK);
	ck_assert_uint_eq(rls.nroles, 3);
	ck_assert_str_eq(rls.roles[0].id, "1234");
	ck_assert_str_eq(rls.roles[0].name, "a new role");
	ck_assert_int_eq(rls.roles[0].requires_billing_write, 0);
	ck_assert_str_eq(rls.roles[1].name, "Admin");
	ck_assert_int_eq(rls.roles[1].requires_billing_write, 1);
	ck_assert_int_eq(rls.roles[2].requires_billing_write, 0);
	hs_roles_free(&rls);
	ck_assert_int_eq(hs_parse_roles(200, LIT("{\"results\":[]}"), &rls, &err), HS_OK);
	ck_assert_uint_eq(rls.nroles, 0);
}
END_TEST

START_TEST(test_roles_malformed)
{
	ck_assert_int_eq(hs_parse_roles(200, LIT("{\"roles\":[]}"), &rls, &err), HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message, "field \"results\" is missing");
	ck_assert_int_eq(hs_parse_roles(200, LIT("{\"results\":{}}"), &rls, &err),
			 HS_ERR_MALFORMED);
	ck_assert_int_eq(hs_parse_roles(200, LIT("{\"results\":[\"Admin\"]}"), &rls, &err),
			 HS_ERR_MALFORMED);
	ck_assert_int_eq(hs_parse_roles(200,
					LIT("{\"results\":[{\"id\":\"1\",\"name\":\"A\"},{\"id\":"
					    "\"2\"}]}"),
					&rls, &err),
			 HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message, "field \"results[1].name\" is missing");
	ck_assert_ptr_null(rls.roles);
	ck_assert_uint_eq(rls.nroles, 0);
	ck_assert_int_eq(hs_parse_roles(200,
					LIT("{\"results\":[{\"id\":\"1\",\"name\":\"A\","
					    "\"requiresBillingWrite\":\"no\"}]}"),
					&rls, &err),
			 HS_ERR_MALFORMED);
	ck_assert_int_eq(hs_parse_roles(200,
					LIT("{\"results\":[{\"id\":\"1\",\"name\":\"A\","
					    "\"name\":\"B\"}]}"),
					&rls, &err),
			 HS_ERR_MALFORMED);
}
END_TEST

/* CRM properties and property groups. */

/* A contacts property list as HubSpot sends it: a HubSpot-defined text
 * property, a HubSpot-defined enumeration and a custom enumeration. */
#define CONTACT_PROPERTIES                                                                         \
	"{\"results\":[{\"updatedAt\":\"2023-08-23T17:13:45.741Z\",\"createdAt\":\"2019-08-06T02:" \
	"41:08.029Z\",\"name\":\"email\",\"label\":\"Email\",\"type\":\"string\",\"fieldType\":"   \
	"\"text\",\"description\":\"A contact's email address\",\"groupName\":"                    \
	"\"contactinformation\",\"options\":[],\"displayOrder\":-1,\"calculated\":false,"          \
	"\"externalOptions\":false,\"hasUniqueValue\":false,\"hidden\":false,\"hubspotDefined\":"  \
	"true,\"modificationMetadata\":{\"archivable\":true,\"readOnlyDefinition\":true,"          \
	"\"readOnlyValue\":false},\"formField\":true,\"dataSensitivity\":\"non_sensitive\"},"      \
	"{\"name\":\"hs_lead_status\",\"label\":\"Lead Status\",\"type\":\"enumeration\","         \
	"\"fieldType\":\"radio\",\"description\":\"The contact's sales, prospecting or outreach "  \
	"status\",\"groupName\":\"sales_properties\",\"options\":[{\"label\":\"New\",\"value\":"   \
	"\"NEW\",\"displayOrder\":0,\"hidden\":false},{\"label\":\"Open\",\"value\":\"OPEN\","     \
	"\"displayOrder\":1,\"hidden\":false},{\"label\":\"In Progress\",\"value\":"               \
	"\"IN_PROGRESS\",\"displayOrder\":2,\"hidden\":false},{\"label\":\"Bad Timing\","          \
	"\"value\":\"BAD_TIMING\",\"displayOrder\":7,\"hidden\":true}],\"displayOrder\":-1,"       \
	"\"calculated\":false,\"externalOptions\":false,\"hasUniqueValue\":false,\"hidden\":"      \
	"false,\"hubspotDefined\":true,\"formField\":true},"                                       \
	"{\"updatedAt\":\"2024-02-01T10:00:00Z\",\"createdAt\":\"2024-02-01T10:00:00Z\","          \
	"\"name\":\"my_contact_property\",\"label\":\"My Contact Property\",\"type\":"             \
	"\"enumeration\",\"fieldType\":\"select\",\"description\":\"\",\"groupName\":"             \
	"\"contactinformation\",\"options\":[{\"label\":\"Option A\",\"value\":\"A\","             \
	"\"description\":\"Choice number one\",\"displayOrder\":1,\"hidden\":false},{\"label\":"   \
	"\"Option B\",\"value\":\"B\",\"description\":\"Choice number two\",\"displayOrder\":2,"   \
	"\"hidden\":false}],\"displayOrder\":2,\"hasUniqueValue\":false,\"hidden\":false,"         \
	"\"formField\":true,\"archived\":false,\"createdUserId\":\"9586504\",\"updatedUserId\":"   \
	"\"9586504\",\"modificationMetadata\":{\"archivable\":true,\"readOnlyDefinition\":false,"  \
	"\"readOnlyOptions\":false,\"readOnlyValue\":false}}]}"

#define CONTACT_GROUPS                                                                             \
	"{\"results\":[{\"name\":\"contactinformation\",\"label\":\"Contact information\","        \
	"\"displayOrder\":0,\"archived\":false},{\"name\":\"emailinformation\",\"label\":"         \
	"\"Email information\",\"displayOrder\":1,\"archived\":false},{\"name\":"                  \
	"\"sales_properties\",\"label\":\"Sales properties\",\"displayOrder\":3,\"archived\":"     \
	"false},{\"name\":\"jetstack\",\"label\":\"JetStack\",\"archived\":true}]}"

/* The documented error answers, each with the kind it must be for both calls. */
static const struct {
	long status;
	const char *body;
	enum hs_err kind;
	const char *category;
} prop_errors[] = {
    {401,
     "{\"status\":\"error\",\"message\":\"The OAuth token used to make this call expired 1 "
     "minute(s) ago.\",\"correlationId\":\"a1b2c3d4-e5f6-7890-abcd-ef1234567890\","
     "\"category\":\"EXPIRED_AUTHENTICATION\"}",
     HS_ERR_AUTH, "EXPIRED_AUTHENTICATION"},
    {403,
     "{\"status\":\"error\",\"message\":\"This app hasn't been granted all required scopes "
     "to make this call. Read more about required scopes here: https://developers.hubspot.com/"
     "scopes.\",\"correlationId\":\"9a8b7c6d\",\"errors\":[{\"message\":\"One or more of the "
     "following scopes are required.\",\"context\":{\"requiredGranularScopes\":["
     "\"crm.schemas.contacts.read\"]}}],\"links\":{\"scopes\":\"https://developers.hubspot.com/"
     "scopes\"},\"category\":\"MISSING_SCOPES\"}",
     HS_ERR_PERMISSION, "MISSING_SCOPES"},
    {404,
     "{\"status\":\"error\",\"message\":\"Unable to infer object type from: contact\","
     "\"correlationId\":\"c-404\",\"category\":\"OBJECT_NOT_FOUND\"}",
     HS_ERR_MALFORMED, "OBJECT_NOT_FOUND"},
    {429,
     "{\"status\":\"error\",\"message\":\"You have reached your ten_secondly_rolling limit.\","
     "\"errorType\":\"RATE_LIMIT\",\"correlationId\":\"c-429\",\"policyName\":"
     "\"TEN_SECONDLY_ROLLING\"}",
     HS_ERR_TRANSIENT, ""},
    {500,
     "{\"status\":\"error\",\"message\":\"internal error\",\"correlationId\":\"c-500\","
     "\"category\":\"INTERNAL_ERROR\"}",
     HS_ERR_TRANSIENT, "INTERNAL_ERROR"},
    {503,
     "<html><head><title>503 Service Temporarily Unavailable</title></head><body></body>"
     "</html>",
     HS_ERR_TRANSIENT, ""},
};

START_TEST(test_properties_documented)
{
	const struct hs_property *p;

	ck_assert_int_eq(hs_parse_properties(200, LIT(CONTACT_PROPERTIES), &prp, &err), HS_OK);
	ck_assert_int_eq(err.kind, HS_OK);
	ck_assert_int_eq(err.http_status, 200);
	ck_assert_int_eq(err.rl_remaining, -1);
	ck_assert_uint_eq(prp.n, 3);

	p = &prp.items[0];
	ck_assert_str_eq(p->name, "email");
	ck_assert_str_eq(p->label, "Email");
	ck_assert_str_eq(p->type, "string");
	ck_assert_str_eq(p->field_type, "text");
	ck_assert_str_eq(p->group_name, "contactinformation");
	ck_assert_str_eq(p->description, "A contact's email address");
	ck_assert_int_eq(p->hubspot_defined, 1);
	ck_assert_int_eq(p->archived, 0);
	ck_assert_int_eq(p->hidden, 0);
	ck_assert_int_eq(p->display_order, -1);
	ck_assert_ptr_null(p->options); /* [] */
	ck_assert_uint_eq(p->noptions, 0);
	/* the whole object, unknown fields included, compact */
	ck_assert_ptr_nonnull(strstr(p->json, "{\"updatedAt\":\"2023-08-23T17:13:45.741Z\","));
	ck_assert_ptr_nonnull(strstr(p->json, "\"modificationMetadata\":{\"archivable\":true,"
					      "\"readOnlyDefinition\":true,\"readOnlyValue\":"
					      "false},\"formField\":true,\"dataSensitivity\":"
					      "\"non_sensitive\"}"));

	p = &prp.items[1];
	ck_assert_str_eq(p->name, "hs_lead_status");
	ck_assert_str_eq(p->type, "enumeration");
	ck_assert_str_eq(p->field_type, "radio");
	ck_assert_int_eq(p->hubspot_defined, 1);
	ck_assert_uint_eq(p->noptions, 4);
	ck_assert_str_eq(p->options[2].label, "In Progress");
	ck_assert_str_eq(p->options[2].value, "IN_PROGRESS");
	ck_assert_ptr_null(p->options[2].description);
	ck_assert_int_eq(p->options[2].display_order, 2);
	ck_assert_int_eq(p->options[2].hidden, 0);
	ck_assert_int_eq(p->options[3].display_order, 7);
	ck_assert_int_eq(p->options[3].hidden, 1);

	/* a custom property: no hubspotDefined */
	p = &prp.items[2];
	ck_assert_str_eq(p->name, "my_contact_property");
	ck_assert_str_eq(p->label, "My Contact Property");
	ck_assert_str_eq(p->field_type, "select");
	ck_assert_str_eq(p->description, "");
	ck_assert_int_eq(p->hubspot_defined, 0);
	ck_assert_int_eq(p->display_order, 2);
	ck_assert_uint_eq(p->noptions, 2);
	ck_assert_str_eq(p->options[0].label, "Option A");
	ck_assert_str_eq(p->options[0].value, "A");
	ck_assert_str_eq(p->options[0].description, "Choice number one");
	ck_assert_int_eq(p->options[1].display_order, 2);
	ck_assert_ptr_nonnull(strstr(p->json, "\"createdUserId\":\"9586504\""));
	hs_properties_free(&prp);
	ck_assert_ptr_null(prp.items);

	/* an empty list; the minimal property */
	ck_assert_int_eq(hs_parse_properties(200, LIT("{\"results\":[]}"), &prp, &err), HS_OK);
	ck_assert_uint_eq(prp.n, 0);
	hs_properties_free(&prp);
	ck_assert_int_eq(hs_parse_properties(200,
					     LIT("{\"results\":[{\"name\":\"a\",\"label\":\"A\","
						 "\"type\":\"string\",\"fieldType\":\"text\"}]}"),
					     &prp, &err),
			 HS_OK);
	ck_assert_ptr_null(prp.items[0].group_name);
	ck_assert_ptr_null(prp.items[0].description);
	ck_assert_int_eq(prp.items[0].display_order, -1);
	ck_assert_str_eq(
	    prp.items[0].json,
	    "{\"name\":\"a\",\"label\":\"A\",\"type\":\"string\",\"fieldType\":\"text\"}");
}
END_TEST

/* Labels and descriptions are kept as shown; json and values as sent. */
START_TEST(test_properties_text)
{
	const struct hs_property *p;

	ck_assert_int_eq(
	    hs_parse_properties(
		200,
		LIT("{\"results\":[{\"name\":\"notes_x\",\"label\":\"Caf\xc3\xa9\\t\\u202eNotes\","
		    "\"type\":\"enumeration\",\"fieldType\":\"checkbox\",\"description\":\"line1"
		    "\\nline2\\r\\n\\u0007end\",\"options\":[{\"label\":\"\\u00e9t\\u00e9\","
		    "\"value\":\"Option \\u00e9 one\",\"description\":null}],\"extra\":{\"x\":[1,"
		    "2.5,true,null,\"a\\nb\"]}}]}"),
		&prp, &err),
	    HS_OK);
	p = &prp.items[0];
	ck_assert_str_eq(p->label, "Caf\xc3\xa9 Notes");
	ck_assert_str_eq(p->description, "line1 line2  end");
	ck_assert_str_eq(p->options[0].label, "\xc3\xa9t\xc3\xa9");
	ck_assert_str_eq(p->options[0].value, "Option \xc3\xa9 one");
	ck_assert_ptr_null(p->options[0].description);
	ck_assert_int_eq(p->options[0].display_order, -1);
	ck_assert_str_eq(p->json,
			 "{\"name\":\"notes_x\",\"label\":\"Caf\xc3\xa9\\t\xe2\x80\xaeNotes\","
			 "\"type\":\"enumeration\",\"fieldType\":\"checkbox\",\"description\":"
			 "\"line1\\nline2\\r\\n\\u0007end\",\"options\":[{\"label\":\"\xc3\xa9t"
			 "\xc3\xa9\",\"value\":\"Option \xc3\xa9 one\",\"description\":null}],"
			 "\"extra\":{\"x\":[1,2.5,true,null,\"a\\nb\"]}}");
	hs_properties_free(&prp);

	/* a value is exact: no control characters in it */
	ck_assert_int_eq(
	    hs_parse_properties(200,
				LIT("{\"results\":[{\"name\":\"a\",\"label\":\"A\","
				    "\"type\":\"enumeration\",\"fieldType\":\"select\","
				    "\"options\":[{\"label\":\"x\",\"value\":\"x\\ny\"}]}]}"),
				&prp, &err),
	    HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message,
			 "field \"results[0].options[0].value\" must be a string without control "
			 "characters");
	/* invalid UTF-8 anywhere in a property, even an unknown field: no jsonb */
	ck_assert_int_eq(hs_parse_properties(200,
					     LIT("{\"results\":[{\"name\":\"a\",\"label\":\"\xff\","
						 "\"type\":\"string\",\"fieldType\":\"text\"}]}"),
					     &prp, &err),
			 HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message, "field \"results[0].label\" must be a utf-8 string");
	ck_assert_int_eq(hs_parse_properties(200,
					     LIT("{\"results\":[{\"name\":\"a\",\"label\":\"A\","
						 "\"type\":\"string\",\"fieldType\":\"text\",\"x\":"
						 "\"\xc0\xaf\"}]}"),
					     &prp, &err),
			 HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message, "\"results[0]\" is not valid utf-8");
	ck_assert_ptr_null(prp.items);
}
END_TEST

START_TEST(test_properties_malformed)
{
	static const char *const bad[] = {
	    "{}",
	    "{\"results\":null}",
	    "{\"results\":{}}",
	    "{\"results\":[\"email\"]}",
	    "{\"results\":[[]]}",
	    "{\"results\":[{\"label\":\"A\",\"type\":\"string\",\"fieldType\":\"text\"}]}",
	    "{\"results\":[{\"name\":\"a\",\"type\":\"string\",\"fieldType\":\"text\"}]}",
	    "{\"results\":[{\"name\":\"a\",\"label\":\"A\",\"fieldType\":\"text\"}]}",
	    "{\"results\":[{\"name\":\"a\",\"label\":\"A\",\"type\":\"string\"}]}",
	    "{\"results\":[{\"name\":null,\"label\":\"A\",\"type\":\"string\",\"fieldType\":"
	    "\"text\"}]}",
	    "{\"results\":[{\"name\":5,\"label\":\"A\",\"type\":\"string\",\"fieldType\":\"text\"}]"
	    "}",
	    "{\"results\":[{\"name\":\"\",\"label\":\"A\",\"type\":\"string\",\"fieldType\":"
	    "\"text\"}]}",
	    "{\"results\":[{\"name\":\"my prop\",\"label\":\"A\",\"type\":\"string\",\"fieldType\":"
	    "\"text\"}]}",
	    "{\"results\":[{\"name\":\"a/../b\",\"label\":[],\"type\":\"string\",\"fieldType\":"
	    "\"text\"}]}",
	    "{\"results\":[{\"name\":\"a\",\"label\":\"A\",\"type\":\"string\",\"fieldType\":"
	    "\"text\",\"hubspotDefined\":\"true\"}]}",
	    "{\"results\":[{\"name\":\"a\",\"label\":\"A\",\"type\":\"string\",\"fieldType\":"
	    "\"text\",\"hidden\":1}]}",
	    "{\"results\":[{\"name\":\"a\",\"label\":\"A\",\"type\":\"string\",\"fieldType\":"
	    "\"text\",\"displayOrder\":1.5}]}",
	    "{\"results\":[{\"name\":\"a\",\"label\":\"A\",\"type\":\"string\",\"fieldType\":"
	    "\"text\",\"displayOrder\":2147483648}]}",
	    "{\"results\":[{\"name\":\"a\",\"label\":\"A\",\"type\":\"string\",\"fieldType\":"
	    "\"text\",\"displayOrder\":\"1\"}]}",
	    "{\"results\":[{\"name\":\"a\",\"label\":\"A\",\"type\":\"string\",\"fieldType\":"
	    "\"text\",\"groupName\":\"contact information\"}]}",
	    "{\"results\":[{\"name\":\"a\",\"label\":\"A\",\"type\":\"string\",\"fieldType\":"
	    "\"text\",\"options\":{}}]}",
	    "{\"results\":[{\"name\":\"a\",\"label\":\"A\",\"type\":\"string\",\"fieldType\":"
	    "\"text\",\"options\":[\"A\"]}]}",
	    "{\"results\":[{\"name\":\"a\",\"label\":\"A\",\"type\":\"enumeration\",\"fieldType\":"
	    "\"select\",\"options\":[{\"label\":\"A\"}]}]}",
	    "{\"results\":[{\"name\":\"a\",\"label\":\"A\",\"type\":\"enumeration\",\"fieldType\":"
	    "\"select\",\"options\":[{\"value\":\"A\"}]}]}",
	    "{\"results\":[{\"name\":\"a\",\"label\":\"A\",\"type\":\"enumeration\",\"fieldType\":"
	    "\"select\",\"options\":[{\"label\":\"A\",\"value\":\"A\",\"hidden\":\"false\"}]}]}",
	    "{\"results\":[{\"name\":\"a\",\"label\":\"A\",\"type\":\"enumeration\",\"fieldType\":"
	    "\"select\",\"options\":[{\"label\":\"A\",\"value\":1}]}]}",
	    "{\"results\":[{\"name\":\"a\",\"label\":\"A\",\"type\":\"string\",\"fieldType\":"
	    "\"text\",\"name\":\"b\"}]}",
	    /* the same name twice */
	    "{\"results\":[{\"name\":\"a\",\"label\":\"A\",\"type\":\"string\",\"fieldType\":"
	    "\"text\"},{\"name\":\"b\",\"label\":\"B\",\"type\":\"string\",\"fieldType\":\"text\"},"
	    "{\"name\":\"a\",\"label\":\"A2\",\"type\":\"string\",\"fieldType\":\"text\"}]}",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(hs_parse_properties(200, bad[i], strlen(bad[i]), &prp, &err) ==
				  HS_ERR_MALFORMED,
			      "accepted: %s", bad[i]);
		ck_assert_int_eq(err.kind, HS_ERR_MALFORMED);
		ck_assert_ptr_null(prp.items);
		ck_assert_uint_eq(prp.n, 0);
	}
	ck_assert_int_eq(hs_parse_properties(200,
					     LIT("{\"results\":[{\"name\":\"a\",\"label\":"
						 "\"A\",\"type\":\"string\"}]}"),
					     &prp, &err),
			 HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message, "field \"results[0].fieldType\" is missing");
	ck_assert_int_eq(hs_parse_properties(200, bad[27], strlen(bad[27]), &prp, &err),
			 HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message, "field \"results[].name\" is duplicated");
	ck_assert_int_eq(hs_parse_properties(200, bad[17], strlen(bad[17]), &prp, &err),
			 HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message, "field \"results[0].displayOrder\" is out of range");
	/* the 32-bit range itself is fine */
	ck_assert_int_eq(
	    hs_parse_properties(200,
				LIT("{\"results\":[{\"name\":\"a\",\"label\":\"A\","
				    "\"type\":\"enumeration\",\"fieldType\":\"select\","
				    "\"displayOrder\":-2147483648,\"options\":[{\"label\":"
				    "\"x\",\"value\":\"\",\"displayOrder\":2147483647}]}]}"),
				&prp, &err),
	    HS_OK);
	ck_assert_int_eq(prp.items[0].display_order, -2147483647 - 1);
	ck_assert_int_eq(prp.items[0].options[0].display_order, 2147483647);
	ck_assert_str_eq(prp.items[0].options[0].value, "");
}
END_TEST

/* A property list of n properties "p<i>", each with nopt options. */
static char *properties_body(size_t n, size_t nopt, size_t *len)
{
	struct buf b;
	size_t i, j;

	buf_init(&b, 0);
	buf_puts(&b, "{\"results\":[");
	for (i = 0; i < n; i++) {
		buf_printf(&b,
			   "%s{\"name\":\"p%zu\",\"label\":\"P\",\"type\":\"enumeration\","
			   "\"fieldType\":\"select\",\"options\":[",
			   i ? "," : "", i);
		for (j = 0; j < nopt; j++)
			buf_printf(&b, "%s{\"label\":\"L\",\"value\":\"%zu\"}", j ? "," : "", j);
		buf_puts(&b, "]}");
	}
	buf_puts(&b, "]}");
	ck_assert(!b.overflow && !b.oom);
	*len = b.len;
	return buf_take(&b);
}

START_TEST(test_properties_limits)
{
	char *body, *big;
	size_t len, n;

	body = properties_body(HS_PROPERTIES_MAX, 0, &len);
	ck_assert_int_eq(hs_parse_properties(200, body, len, &prp, &err), HS_OK);
	ck_assert_uint_eq(prp.n, HS_PROPERTIES_MAX);
	hs_properties_free(&prp);
	free(body);
	body = properties_body(HS_PROPERTIES_MAX + 1, 0, &len);
	ck_assert_int_eq(hs_parse_properties(200, body, len, &prp, &err), HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message, "field \"results\" is too long");
	ck_assert_ptr_null(prp.items);
	free(body);

	body = properties_body(1, HS_OPTIONS_MAX, &len);
	ck_assert_int_eq(hs_parse_properties(200, body, len, &prp, &err), HS_OK);
	ck_assert_uint_eq(prp.items[0].noptions, HS_OPTIONS_MAX);
	ck_assert_str_eq(prp.items[0].options[HS_OPTIONS_MAX - 1].value, "4999");
	hs_properties_free(&prp);
	free(body);
	body = properties_body(2, HS_OPTIONS_MAX + 1, &len);
	ck_assert_int_eq(hs_parse_properties(200, body, len, &prp, &err), HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message, "field \"results[0].options\" is too long");
	free(body);

	/* strings: name, label, value */
	n = HS_PROP_TEXT_MAX + 1;
	big = malloc(n + 1);
	ck_assert_ptr_nonnull(big);
	body = malloc(n + 256);
	ck_assert_ptr_nonnull(body);
	memset(big, 'n', n);
	big[HS_PROP_NAME_MAX] = '\0';
	len = (size_t)snprintf(body, n + 256,
			       "{\"results\":[{\"name\":\"%s\",\"label\":\"A\",\"type\":\"string\","
			       "\"fieldType\":\"text\"}]}",
			       big);
	ck_assert_int_eq(hs_parse_properties(200, body, len, &prp, &err), HS_OK);
	hs_properties_free(&prp);
	big[HS_PROP_NAME_MAX] = 'n';
	big[HS_PROP_NAME_MAX + 1] = '\0';
	len = (size_t)snprintf(body, n + 256,
			       "{\"results\":[{\"name\":\"%s\",\"label\":\"A\",\"type\":\"string\","
			       "\"fieldType\":\"text\"}]}",
			       big);
	ck_assert_int_eq(hs_parse_properties(200, body, len, &prp, &err), HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message, "field \"results[0].name\" is too long");
	memset(big, 'x', n);
	big[n - 1] = '\0';
	len = (size_t)snprintf(body, n + 256,
			       "{\"results\":[{\"name\":\"a\",\"label\":\"%s\",\"type\":\"string\","
			       "\"fieldType\":\"text\"}]}",
			       big);
	ck_assert_int_eq(hs_parse_properties(200, body, len, &prp, &err), HS_OK);
	ck_assert_uint_eq(strlen(prp.items[0].label), HS_PROP_TEXT_MAX);
	hs_properties_free(&prp);
	big[n - 1] = 'x';
	big[n] = '\0';
	len = (size_t)snprintf(body, n + 256,
			       "{\"results\":[{\"name\":\"a\",\"label\":\"%s\",\"type\":\"string\","
			       "\"fieldType\":\"text\"}]}",
			       big);
	ck_assert_int_eq(hs_parse_properties(200, body, len, &prp, &err), HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message, "field \"results[0].label\" is too long");
	len = (size_t)snprintf(
	    body, n + 256,
	    "{\"results\":[{\"name\":\"a\",\"label\":\"A\",\"type\":\"enumeration\","
	    "\"fieldType\":\"select\",\"options\":[{\"label\":\"A\",\"value\":"
	    "\"%s\"}]}]}",
	    big);
	ck_assert_int_eq(hs_parse_properties(200, body, len, &prp, &err), HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message, "field \"results[0].options[0].value\" is too long");
	free(big);
	free(body);

	/* the body: over HS_BODY_MAX is fine for a property list, over its own cap not */
	n = HS_BODY_MAX * 2;
	body = malloc(n + 256);
	ck_assert_ptr_nonnull(body);
	len = (size_t)snprintf(body, 256,
			       "{\"results\":[{\"name\":\"a\",\"label\":\"A\",\"type\":\"string\","
			       "\"fieldType\":\"text\",\"calculationFormula\":\"");
	memset(body + len, 'f', n);
	len += n;
	len += (size_t)snprintf(body + len, 16, "\"}]}");
	ck_assert_int_eq(hs_parse_properties(200, body, len, &prp, &err), HS_OK);
	ck_assert_uint_gt(strlen(prp.items[0].json), n);
	hs_properties_free(&prp);
	free(body);
	ck_assert_int_eq(hs_parse_properties(200, "{", HS_PROPERTIES_BODY_MAX + 1, &prp, &err),
			 HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message, "answer too large");
}
END_TEST

START_TEST(test_properties_errors)
{
	size_t i;

	for (i = 0; i < sizeof(prop_errors) / sizeof(prop_errors[0]); i++) {
		const char *b = prop_errors[i].body;

		ck_assert_int_eq(
		    hs_parse_properties(prop_errors[i].status, b, strlen(b), &prp, &err),
		    prop_errors[i].kind);
		ck_assert_int_eq(err.kind, prop_errors[i].kind);
		ck_assert_int_eq(err.http_status, prop_errors[i].status);
		ck_assert_str_eq(err.category, prop_errors[i].category);
		ck_assert_ptr_null(prp.items);
		ck_assert_int_eq(hs_parse_groups(prop_errors[i].status, b, strlen(b), &grp, &err),
				 prop_errors[i].kind);
		ck_assert_str_eq(err.category, prop_errors[i].category);
		ck_assert_ptr_null(grp.items);
	}
	ck_assert_int_eq(hs_parse_properties(401, LIT(""), &prp, &err), HS_ERR_AUTH);
	ck_assert_int_eq(
	    hs_parse_properties(403, prop_errors[1].body, strlen(prop_errors[1].body), &prp, &err),
	    HS_ERR_PERMISSION);
	ck_assert_str_eq(err.correlation_id, "9a8b7c6d");
	ck_assert_str_eq(err.status, "error");
	ck_assert_int_eq(
	    hs_parse_groups(429, prop_errors[3].body, strlen(prop_errors[3].body), &grp, &err),
	    HS_ERR_TRANSIENT);
	ck_assert_str_eq(err.error_type, "RATE_LIMIT");
	ck_assert_str_eq(err.policy_name, "TEN_SECONDLY_ROLLING");
	ck_assert_str_eq(err.message, "You have reached your ten_secondly_rolling limit.");
	ck_assert_int_eq(
	    hs_parse_properties(503, prop_errors[5].body, strlen(prop_errors[5].body), &prp, &err),
	    HS_ERR_TRANSIENT);
	ck_assert_str_eq(err.message, "http status 503");
	/* only 200 is success */
	ck_assert_int_eq(hs_parse_properties(201, LIT("{\"results\":[]}"), &prp, &err),
			 HS_ERR_MALFORMED);
	ck_assert_int_eq(hs_parse_groups(204, LIT(""), &grp, &err), HS_ERR_MALFORMED);
}
END_TEST

START_TEST(test_groups_documented)
{
	ck_assert_int_eq(hs_parse_groups(200, LIT(CONTACT_GROUPS), &grp, &err), HS_OK);
	ck_assert_uint_eq(grp.n, 4);
	ck_assert_str_eq(grp.items[0].name, "contactinformation");
	ck_assert_str_eq(grp.items[0].label, "Contact information");
	ck_assert_int_eq(grp.items[0].display_order, 0);
	ck_assert_int_eq(grp.items[0].archived, 0);
	ck_assert_str_eq(grp.items[0].json, "{\"name\":\"contactinformation\",\"label\":\"Contact "
					    "information\",\"displayOrder\":0,\"archived\":false}");
	ck_assert_int_eq(grp.items[2].display_order, 3);
	ck_assert_str_eq(grp.items[3].name, "jetstack");
	ck_assert_int_eq(grp.items[3].display_order, -1);
	ck_assert_int_eq(grp.items[3].archived, 1);
}
END_TEST

START_TEST(test_groups_malformed)
{
	static const char *const bad[] = {
	    "{\"groups\":[]}",
	    "{\"results\":[{\"label\":\"A\"}]}",
	    "{\"results\":[{\"name\":\"a\"}]}",
	    "{\"results\":[{\"name\":\"a b\",\"label\":\"A\"}]}",
	    "{\"results\":[{\"name\":\"a\",\"label\":7}]}",
	    "{\"results\":[{\"name\":\"a\",\"label\":\"A\",\"displayOrder\":true}]}",
	    "{\"results\":[{\"name\":\"a\",\"label\":\"A\",\"archived\":\"no\"}]}",
	    "{\"results\":[{\"name\":\"a\",\"label\":\"A\"},{\"name\":\"a\",\"label\":\"B\"}]}",
	    "{\"results\":[{\"name\":\"a\",\"label\":\"A\",\"x\":\"\xed\xa0\x80\"}]}",
	};
	char *body;
	size_t i, len;
	struct buf b;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(hs_parse_groups(200, bad[i], strlen(bad[i]), &grp, &err) ==
				  HS_ERR_MALFORMED,
			      "accepted: %s", bad[i]);
		ck_assert_ptr_null(grp.items);
		ck_assert_uint_eq(grp.n, 0);
	}
	ck_assert_int_eq(hs_parse_groups(200, LIT("{\"results\":[{\"name\":\"a\"}]}"), &grp, &err),
			 HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message, "field \"results[0].label\" is missing");

	/* HS_GROUPS_MAX groups, and one more */
	buf_init(&b, 0);
	buf_puts(&b, "{\"results\":[");
	for (i = 0; i <= HS_GROUPS_MAX; i++)
		buf_printf(&b, "%s{\"name\":\"g%zu\",\"label\":\"G\"}", i ? "," : "", i);
	buf_puts(&b, "]}");
	len = b.len;
	body = buf_take(&b);
	ck_assert_int_eq(hs_parse_groups(200, body, len, &grp, &err), HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message, "field \"results\" is too long");
	/* cut the last group off */
	len = (size_t)(strstr(body, ",{\"name\":\"g1000\"") - body);
	memcpy(body + len, "]}", 3);
	len += 2;
	ck_assert_int_eq(hs_parse_groups(200, body, len, &grp, &err), HS_OK);
	ck_assert_uint_eq(grp.n, HS_GROUPS_MAX);
	free(body);
}
END_TEST

START_TEST(test_properties_object_type)
{
	struct httpc h;
	struct hs_config cfg = cfg_local;
	static const char *const refused[] = {
	    "",	   "Contacts", "contact",  "contacts/", "contacts/../x", "contacts?archived=true",
	    "0-1", "p_custom", "CONTACTS", "deals\r\n", " tickets",
	};
	size_t i;

	ck_assert_int_eq(hs_object_type_ok("contacts"), 1);
	ck_assert_int_eq(hs_object_type_ok("companies"), 1);
	ck_assert_int_eq(hs_object_type_ok("deals"), 1);
	ck_assert_int_eq(hs_object_type_ok("tickets"), 1);
	ck_assert_int_eq(hs_object_type_ok(NULL), 0);
	ck_assert_int_eq(httpc_init(&h, NULL), HTTPC_OK);
	/* refused before anything is sent: the closed port would be transient */
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		ck_assert_int_eq(hs_object_type_ok(refused[i]), 0);
		ck_assert_int_eq(hs_get_properties(&h, &cfg, "at", refused[i], &prp, &err),
				 HS_ERR_CONFIG);
		ck_assert_str_eq(err.message, "invalid object type argument");
		ck_assert_int_eq(err.http_status, 0);
		ck_assert_int_eq(err.rl_remaining, -1);
		ck_assert_int_eq(hs_get_groups(&h, &cfg, "at", refused[i], &grp, &err),
				 HS_ERR_CONFIG);
		ck_assert_str_eq(err.message, "invalid object type argument");
	}
	ck_assert_int_eq(hs_get_properties(&h, &cfg, "at", NULL, &prp, &err), HS_ERR_CONFIG);
	ck_assert_int_eq(hs_get_groups(&h, &cfg, "at", NULL, &grp, &err), HS_ERR_CONFIG);
	ck_assert_int_eq(hs_get_properties(&h, &cfg, "a t", "contacts", &prp, &err), HS_ERR_CONFIG);
	ck_assert_int_eq(hs_get_properties(NULL, &cfg, "at", "contacts", &prp, &err),
			 HS_ERR_CONFIG);
	cfg.api_base = "http://example.com";
	ck_assert_int_eq(hs_get_groups(&h, &cfg, "at", "deals", &grp, &err), HS_ERR_CONFIG);
	cfg = cfg_local;
	ck_assert_int_eq(hs_get_properties(&h, &cfg, "at", "contacts", &prp, &err),
			 HS_ERR_TRANSIENT);
	ck_assert_int_eq(hs_get_groups(&h, &cfg, "at", "tickets", &grp, &err), HS_ERR_TRANSIENT);
	ck_assert_int_eq(err.rl_max, -1);
	httpc_cleanup(&h);
}
END_TEST

/* End to end against the local server. */
START_TEST(test_properties_network)
{
	struct httpc h;
	struct httpc_opts o = {.max_body = 256};
	struct hs_config cfg = cfg_local;
	struct fake_http f;

	/* a client with a small cap: a property list has its own */
	ck_assert_int_eq(httpc_init(&h, &o), HTTPC_OK);
	fake_start(&f, "200 OK", "Content-Type: application/json;charset=UTF-8\r\n" RL_HEADERS,
		   CONTACT_PROPERTIES);
	cfg.api_base = f.base;
	ck_assert_int_eq(hs_get_properties(&h, &cfg, "at-2", "contacts", &prp, &err), HS_OK);
	fake_finish(&f);
	FAKE_REQ_HAS(&f, "GET /crm/properties/2026-03/contacts HTTP/1.1\r\n");
	FAKE_REQ_HAS(&f, "\r\nAuthorization: Bearer at-2\r\n");
	ck_assert_int_eq(err.kind, HS_OK);
	ck_assert_int_eq(err.http_status, 200);
	ck_assert_int_eq(err.rl_max, 110);
	ck_assert_int_eq(err.rl_remaining, 109);
	ck_assert_int_eq(err.rl_interval_ms, 10000);
	ck_assert_uint_eq(prp.n, 3);
	ck_assert_str_eq(prp.items[1].options[3].value, "BAD_TIMING");
	hs_properties_free(&prp);

	/* groups keep the client's cap */
	fake_start(&f, "200 OK", "Content-Type: application/json\r\n" RL_HEADERS, CONTACT_GROUPS);
	cfg.api_base = f.base;
	ck_assert_int_eq(hs_get_groups(&h, &cfg, "at", "deals", &grp, &err), HS_ERR_MALFORMED);
	fake_finish(&f);
	FAKE_REQ_HAS(&f, "GET /crm/properties/2026-03/deals/groups HTTP/1.1\r\n");
	ck_assert_ptr_nonnull(strstr(err.message, "response body too large"));
	ck_assert_int_eq(err.rl_remaining, 109);
	httpc_cleanup(&h);

	ck_assert_int_eq(httpc_init(&h, NULL), HTTPC_OK);
	fake_start(&f, "200 OK", "Content-Type: application/json\r\n" RL_HEADERS, CONTACT_GROUPS);
	cfg.api_base = f.base;
	ck_assert_int_eq(hs_get_groups(&h, &cfg, "at", "companies", &grp, &err), HS_OK);
	fake_finish(&f);
	FAKE_REQ_HAS(&f, "GET /crm/properties/2026-03/companies/groups HTTP/1.1\r\n");
	ck_assert_uint_eq(grp.n, 4);
	ck_assert_int_eq(err.rl_remaining, 109);
	hs_groups_free(&grp);

	/* rate limited */
	fake_start(&f, "429 Too Many Requests",
		   "Content-Type: application/json;charset=utf-8\r\nRetry-After: 1\r\n"
		   "X-HubSpot-RateLimit-Interval-Milliseconds: 10000\r\n"
		   "X-HubSpot-RateLimit-Max: 110\r\nX-HubSpot-RateLimit-Remaining: 0\r\n",
		   prop_errors[3].body);
	cfg.api_base = f.base;
	ck_assert_int_eq(hs_get_properties(&h, &cfg, "at", "tickets", &prp, &err),
			 HS_ERR_TRANSIENT);
	fake_finish(&f);
	FAKE_REQ_HAS(&f, "GET /crm/properties/2026-03/tickets HTTP/1.1\r\n");
	ck_assert_int_eq(err.http_status, 429);
	ck_assert_int_eq(err.retry_after, 1);
	ck_assert_str_eq(err.error_type, "RATE_LIMIT");
	ck_assert_str_eq(err.policy_name, "TEN_SECONDLY_ROLLING");
	ck_assert_int_eq(err.rl_remaining, 0);
	ck_assert_ptr_null(prp.items);

	/* expired token, missing scopes */
	fake_start(&f, "401 Unauthorized", "Content-Type: application/json\r\n" RL_HEADERS,
		   prop_errors[0].body);
	cfg.api_base = f.base;
	ck_assert_int_eq(hs_get_properties(&h, &cfg, "at", "deals", &prp, &err), HS_ERR_AUTH);
	fake_finish(&f);
	ck_assert_str_eq(err.category, "EXPIRED_AUTHENTICATION");
	ck_assert_int_eq(err.rl_max, 110);
	fake_start(&f, "403 Forbidden", "Content-Type: application/json\r\n", prop_errors[1].body);
	cfg.api_base = f.base;
	ck_assert_int_eq(hs_get_groups(&h, &cfg, "at", "contacts", &grp, &err), HS_ERR_PERMISSION);
	fake_finish(&f);
	ck_assert_str_eq(err.category, "MISSING_SCOPES");
	ck_assert_int_eq(err.rl_max, -1);
	ck_assert_ptr_null(grp.items);

	/* a 200 that is not JSON */
	fake_start(&f, "200 OK", "Content-Type: text/plain\r\n", CONTACT_GROUPS);
	cfg.api_base = f.base;
	ck_assert_int_eq(hs_get_groups(&h, &cfg, "at", "contacts", &grp, &err), HS_ERR_MALFORMED);
	fake_finish(&f);
	ck_assert_str_eq(err.message, "answer is not application/json");
	httpc_cleanup(&h);
}
END_TEST

/* Retrieve users (2026-03): one page with paging.next, as HubSpot sends it
 * (ids are strings), then the last page. */
#define USERS_PAGE_1                                                                               \
	"{\"results\":[{\"id\":\"71000001\",\"email\":\"alex@agency.example\",\"roleIds\":[],"     \
	"\"superAdmin\":true,\"firstName\":\"Alex\",\"secondaryTeamIds\":[]},{\"id\":"             \
	"\"71000002\","                                                                            \
	"\"email\":\"sam@agency.example\",\"roleIds\":[\"2000100101\",\"2000100103\"],"            \
	"\"superAdmin\":false,\"roleId\":\"2000100101\",\"primaryTeamId\":\"81000001\","           \
	"\"secondaryTeamIds\":[\"81000002\"]}],\"paging\":{\"next\":{\"after\":\"71000002\","      \
	"\"link\":\"https://api.hubapi.com/settings/users/2026-03?after=71000002&limit=2\"}}}"
#define USERS_PAGE_2                                                                               \
	"{\"results\":[{\"id\":\"71000003\",\"email\":\"riley@agency.example\",\"roleIds\":[],"    \
	"\"superAdmin\":false,\"secondaryTeamIds\":[]}]}"

START_TEST(test_users_first_page)
{
	ck_assert_int_eq(hs_parse_users(200, LIT(USERS_PAGE_1), &uss, &err), HS_OK);
	ck_assert_int_eq(err.kind, HS_OK);
	ck_assert_int_eq(err.http_status, 200);
	ck_assert_uint_eq(uss.n, 2);
	ck_assert_str_eq(uss.next_after, "71000002");
	ck_assert_str_eq(uss.users[0].id, "71000001");
	ck_assert_str_eq(uss.users[0].email, "alex@agency.example");
	ck_assert_int_eq(uss.users[0].super_admin, 1);
	ck_assert_uint_eq(uss.users[0].nrole_ids, 0);
	ck_assert_ptr_null(uss.users[0].role_id);
	ck_assert_str_eq(uss.users[1].id, "71000002");
	ck_assert_int_eq(uss.users[1].super_admin, 0);
	ck_assert_str_eq(uss.users[1].role_id, "2000100101");
	ck_assert_uint_eq(uss.users[1].nrole_ids, 2);
	ck_assert_str_eq(uss.users[1].role_ids[0], "2000100101");
	ck_assert_str_eq(uss.users[1].role_ids[1], "2000100103");
	ck_assert_ptr_null(uss.users[1].role_ids[2]);
	hs_users_free(&uss);
	ck_assert_ptr_null(uss.users);
	ck_assert_ptr_null(uss.next_after);

	/* a cursor is any visible ASCII: HubSpot's are opaque */
	ck_assert_int_eq(hs_parse_users(200,
					LIT("{\"results\":[],\"paging\":{\"next\":{\"after\":"
					    "\"NTI1Cg%3D%3D/&x\"}}}"),
					&uss, &err),
			 HS_OK);
	ck_assert_str_eq(uss.next_after, "NTI1Cg%3D%3D/&x");
	ck_assert_uint_eq(uss.n, 0);
	ck_assert_ptr_nonnull(uss.users);
}
END_TEST

START_TEST(test_users_last_page)
{
	static const char *const last[] = {
	    USERS_PAGE_2,
	    "{\"results\":[{\"id\":\"71000003\",\"email\":\"riley@agency.example\"}],"
	    "\"paging\":{}}",
	    "{\"results\":[{\"id\":\"71000003\",\"email\":\"riley@agency.example\"}],"
	    "\"paging\":{\"next\":null}}",
	    "{\"results\":[{\"id\":\"71000003\",\"email\":\"riley@agency.example\"}],"
	    "\"paging\":null}",
	    "{\"results\":[{\"id\":71000003,\"email\":\"riley@agency.example\",\"roleId\":null,"
	    "\"roleIds\":null,\"superAdmin\":null}],\"paging\":{\"prev\":{\"before\":\"1\"}}}",
	};
	size_t i;

	for (i = 0; i < sizeof(last) / sizeof(last[0]); i++) {
		ck_assert_msg(hs_parse_users(200, last[i], strlen(last[i]), &uss, &err) == HS_OK,
			      "refused %s: %s", last[i], err.message);
		ck_assert_uint_eq(uss.n, 1);
		ck_assert_ptr_null(uss.next_after);
		/* a user with no role who is not a Super Admin: optional fields absent */
		ck_assert_str_eq(uss.users[0].id, "71000003");
		ck_assert_int_eq(uss.users[0].super_admin, 0);
		ck_assert_uint_eq(uss.users[0].nrole_ids, 0);
		ck_assert_ptr_null(uss.users[0].role_id);
		hs_users_free(&uss);
	}
	ck_assert_int_eq(hs_parse_users(200, LIT("{\"results\":[]}"), &uss, &err), HS_OK);
	ck_assert_uint_eq(uss.n, 0);
	ck_assert_ptr_null(uss.next_after);
}
END_TEST

/* A page of n users, each with the given id prefix, as a malloc'd body. */
static char *users_body(size_t n, size_t *len)
{
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	ck_assert_int_eq(buf_puts(&b, "{\"results\":["), 0);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(buf_printf(&b, "%s{\"id\":\"%zu\",\"email\":\"u%zu@x.example\"}",
					    i ? "," : "", i + 1, i + 1),
				 0);
	ck_assert_int_eq(buf_puts(&b, "]}"), 0);
	*len = b.len;
	return buf_take(&b);
}

START_TEST(test_users_malformed)
{
	static const struct {
		const char *body;
		const char *message; /* NULL: not checked */
	} bad[] = {
	    {"{\"users\":[]}", "field \"results\" is missing"},
	    {"{\"results\":{}}", "field \"results\" must be an array of objects"},
	    {"{\"results\":[\"71000001\"]}", NULL},
	    {"{\"results\":[],\"results\":[]}", "field \"results\" is duplicated"},
	    {"{\"results\":[{\"id\":\"1\",\"email\":\"a@b\"},{\"id\":\"2\"}]}",
	     "field \"results[1].email\" is missing"},
	    {"{\"results\":[{\"email\":\"a@b\"}]}", "field \"results[0].id\" is missing"},
	    {"{\"results\":[{\"id\":\"1\",\"email\":\"a@b\",\"superAdmin\":\"true\"}]}",
	     "field \"results[0].superAdmin\" must be a boolean"},
	    {"{\"results\":[{\"id\":\"1\",\"email\":\"a@b\",\"roleIds\":[\"1\",\"\"]}]}", NULL},
	    {"{\"results\":[{\"id\":\"1 2\",\"email\":\"a@b\"}]}", NULL},
	    {"{\"results\":[{\"id\":\"1\",\"email\":\"a\\u0007b\"}]}", NULL},
	    {"{\"results\":[{\"id\":\"1\",\"email\":\"a@b\"},{\"id\":1,\"email\":\"c@d\"}]}",
	     "field \"results[].id\" is duplicated"},
	    {"{\"results\":[],\"paging\":[]}", "field \"paging\" must be an object"},
	    {"{\"results\":[],\"paging\":{\"next\":\"x\"}}",
	     "field \"paging.next\" must be an object"},
	    {"{\"results\":[],\"paging\":{\"next\":{}}}", "field \"paging.next.after\" is missing"},
	    {"{\"results\":[],\"paging\":{\"next\":{\"link\":\"https://x\"}}}", NULL},
	    {"{\"results\":[],\"paging\":{\"next\":{\"after\":\"\"}}}", NULL},
	    {"{\"results\":[],\"paging\":{\"next\":{\"after\":\"a b\"}}}", NULL},
	    {"{\"results\":[],\"paging\":{\"next\":{\"after\":\"a\\nb\"}}}", NULL},
	    {"{\"results\":[],\"paging\":{\"next\":{\"after\":\"\\u00e9\"}}}", NULL},
	    {"{\"results\":[],\"paging\":{\"next\":{\"after\":12}}}",
	     "field \"paging.next.after\" must be a string of visible ascii characters"},
	    {"{\"results\":[],\"paging\":{\"next\":{\"after\":\"1\",\"after\":\"2\"}}}",
	     "field \"paging.next.after\" is duplicated"},
	    {"{\"results\":[]} x", "trailing data after json"},
	    {"[]", "answer is not a json object"},
	    {"", "empty answer"},
	};
	char after[HS_AFTER_MAX + 64];
	size_t i, len;
	char *body;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(hs_parse_users(200, bad[i].body, strlen(bad[i].body), &uss, &err) ==
				  HS_ERR_MALFORMED,
			      "accepted: %s", bad[i].body);
		ck_assert_int_eq(err.kind, HS_ERR_MALFORMED);
		if (bad[i].message != NULL)
			ck_assert_str_eq(err.message, bad[i].message);
		ck_assert_ptr_null(uss.users);
		ck_assert_ptr_null(uss.next_after);
		ck_assert_uint_eq(uss.n, 0);
	}

	/* HS_USERS_PAGE_MAX users, and one more */
	body = users_body(HS_USERS_PAGE_MAX, &len);
	ck_assert_int_eq(hs_parse_users(200, body, len, &uss, &err), HS_OK);
	ck_assert_uint_eq(uss.n, HS_USERS_PAGE_MAX);
	ck_assert_str_eq(uss.users[HS_USERS_PAGE_MAX - 1].id, "100");
	hs_users_free(&uss);
	free(body);
	body = users_body(HS_USERS_PAGE_MAX + 1, &len);
	ck_assert_int_eq(hs_parse_users(200, body, len, &uss, &err), HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message, "field \"results\" is too long");
	ck_assert_ptr_null(uss.users);
	free(body);

	/* a cursor of HS_AFTER_MAX characters, and one more */
	memset(after, 0, sizeof(after));
	snprintf(after, sizeof(after), "{\"results\":[],\"paging\":{\"next\":{\"after\":\"");
	len = strlen(after);
	memset(after + len, 'A', HS_AFTER_MAX);
	memcpy(after + len + HS_AFTER_MAX, "\"}}}", 5);
	ck_assert_int_eq(hs_parse_users(200, after, strlen(after), &uss, &err), HS_OK);
	ck_assert_uint_eq(strlen(uss.next_after), HS_AFTER_MAX);
	hs_users_free(&uss);
	memcpy(after + len + HS_AFTER_MAX, "A\"}}}", 6);
	ck_assert_int_eq(hs_parse_users(200, after, strlen(after), &uss, &err), HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message, "field \"paging.next.after\" is too long");
	ck_assert_ptr_null(uss.next_after);
}
END_TEST

START_TEST(test_users_errors)
{
	/* 401, 403, 429, 5xx as for the other Bearer calls; 404 is not special */
	ck_assert_int_eq(hs_parse_users(prop_errors[0].status, prop_errors[0].body,
					strlen(prop_errors[0].body), &uss, &err),
			 HS_ERR_AUTH);
	ck_assert_int_eq(err.http_status, 401);
	ck_assert_str_eq(err.category, "EXPIRED_AUTHENTICATION");
	ck_assert_str_eq(err.correlation_id, "a1b2c3d4-e5f6-7890-abcd-ef1234567890");
	ck_assert_ptr_null(uss.users);

	ck_assert_int_eq(
	    hs_parse_users(401,
			   LIT("{\"status\":\"error\",\"message\":\"The OAuth token used to make "
			       "this call is invalid.\",\"correlationId\":\"c-401\",\"category\":"
			       "\"INVALID_AUTHENTICATION\"}"),
			   &uss, &err),
	    HS_ERR_AUTH);
	ck_assert_str_eq(err.category, "INVALID_AUTHENTICATION");

	ck_assert_int_eq(
	    hs_parse_users(
		403,
		LIT("{\"status\":\"error\",\"message\":\"This app hasn't been granted "
		    "all required scopes to make this call.\",\"correlationId\":\"c-403\","
		    "\"errors\":[{\"message\":\"One or more of the following scopes are "
		    "required.\",\"context\":{\"requiredScopes\":[\"settings.users.read\","
		    "\"settings.users.write\"]}}],\"category\":\"MISSING_SCOPES\"}"),
		&uss, &err),
	    HS_ERR_PERMISSION);
	ck_assert_int_eq(err.http_status, 403);
	ck_assert_str_eq(err.category, "MISSING_SCOPES");
	ck_assert_ptr_null(uss.users);

	ck_assert_int_eq(
	    hs_parse_users(429, prop_errors[3].body, strlen(prop_errors[3].body), &uss, &err),
	    HS_ERR_TRANSIENT);
	ck_assert_int_eq(err.http_status, 429);
	ck_assert_str_eq(err.error_type, "RATE_LIMIT");
	ck_assert_str_eq(err.policy_name, "TEN_SECONDLY_ROLLING");
	ck_assert_str_eq(err.correlation_id, "c-429");
	ck_assert_ptr_null(uss.users);

	ck_assert_int_eq(
	    hs_parse_users(503, prop_errors[5].body, strlen(prop_errors[5].body), &uss, &err),
	    HS_ERR_TRANSIENT);
	ck_assert_int_eq(hs_parse_users(404,
					LIT("{\"status\":\"error\",\"category\":"
					    "\"OBJECT_NOT_FOUND\",\"message\":\"Resource not "
					    "found\"}"),
					&uss, &err),
			 HS_ERR_MALFORMED);
	ck_assert_int_eq(err.http_status, 404);
	/* a success status other than 200 is not one */
	ck_assert_int_eq(hs_parse_users(204, LIT(USERS_PAGE_2), &uss, &err), HS_ERR_MALFORMED);
	ck_assert_ptr_null(uss.users);
	ck_assert_int_eq(err.rl_max, -1);
}
END_TEST

START_TEST(test_users_network)
{
	struct httpc h;
	struct hs_config cfg = cfg_local;
	struct fake_http f;

	ck_assert_int_eq(httpc_init(&h, NULL), HTTPC_OK);

	/* the first page: no after */
	fake_start(&f, "200 OK", "Content-Type: application/json;charset=utf-8\r\n" RL_HEADERS,
		   USERS_PAGE_1);
	cfg.api_base = f.base;
	ck_assert_int_eq(hs_list_users(&h, &cfg, "at-u", NULL, 2, &uss, &err), HS_OK);
	fake_finish(&f);
	FAKE_REQ_HAS(&f, "GET /settings/users/2026-03?limit=2 HTTP/1.1\r\n");
	FAKE_REQ_HAS(&f, "\r\nAuthorization: Bearer at-u\r\n");
	ck_assert_int_eq(err.http_status, 200);
	ck_assert_int_eq(err.rl_max, 110);
	ck_assert_int_eq(err.rl_remaining, 109);
	ck_assert_int_eq(err.rl_interval_ms, 10000);
	ck_assert_uint_eq(uss.n, 2);
	ck_assert_str_eq(uss.next_after, "71000002");
	hs_users_free(&uss);

	/* the next one: the cursor goes into the query percent-encoded */
	fake_start(&f, "200 OK", "Content-Type: application/json\r\n" RL_HEADERS, USERS_PAGE_2);
	cfg.api_base = f.base;
	ck_assert_int_eq(hs_list_users(&h, &cfg, "at-u", "NTI=/&x#y%?", 100, &uss, &err), HS_OK);
	fake_finish(&f);
	FAKE_REQ_HAS(&f, "GET /settings/users/2026-03?limit=100&after=NTI%3D%2F%26x%23y%25%3F "
			 "HTTP/1.1\r\n");
	ck_assert_uint_eq(uss.n, 1);
	ck_assert_ptr_null(uss.next_after);
	hs_users_free(&uss);

	/* a cursor that does not move would loop for ever */
	fake_start(&f, "200 OK", "Content-Type: application/json\r\n" RL_HEADERS, USERS_PAGE_1);
	cfg.api_base = f.base;
	ck_assert_int_eq(hs_list_users(&h, &cfg, "at-u", "71000002", 2, &uss, &err),
			 HS_ERR_MALFORMED);
	fake_finish(&f);
	ck_assert_str_eq(err.message, "paging cursor did not advance");
	ck_assert_int_eq(err.rl_remaining, 109);
	ck_assert_ptr_null(uss.users);
	ck_assert_ptr_null(uss.next_after);

	/* rate limited: Retry-After and the headers kept */
	fake_start(&f, "429 Too Many Requests",
		   "Content-Type: application/json;charset=utf-8\r\nRetry-After: 2\r\n"
		   "X-HubSpot-RateLimit-Interval-Milliseconds: 10000\r\n"
		   "X-HubSpot-RateLimit-Max: 110\r\nX-HubSpot-RateLimit-Remaining: 0\r\n",
		   prop_errors[3].body);
	cfg.api_base = f.base;
	ck_assert_int_eq(hs_list_users(&h, &cfg, "at-u", NULL, 100, &uss, &err), HS_ERR_TRANSIENT);
	fake_finish(&f);
	ck_assert_int_eq(err.http_status, 429);
	ck_assert_int_eq(err.retry_after, 2);
	ck_assert_int_eq(err.rl_remaining, 0);
	ck_assert_str_eq(err.policy_name, "TEN_SECONDLY_ROLLING");
	ck_assert_ptr_null(uss.users);

	/* expired token; missing scopes */
	fake_start(&f, "401 Unauthorized", "Content-Type: application/json\r\n",
		   prop_errors[0].body);
	cfg.api_base = f.base;
	ck_assert_int_eq(hs_list_users(&h, &cfg, "at-u", NULL, 100, &uss, &err), HS_ERR_AUTH);
	fake_finish(&f);
	ck_assert_str_eq(err.category, "EXPIRED_AUTHENTICATION");
	ck_assert_int_eq(err.rl_max, -1);
	fake_start(&f, "403 Forbidden", "Content-Type: application/json\r\n" RL_HEADERS,
		   prop_errors[1].body);
	cfg.api_base = f.base;
	ck_assert_int_eq(hs_list_users(&h, &cfg, "at-u", NULL, 100, &uss, &err), HS_ERR_PERMISSION);
	fake_finish(&f);
	ck_assert_str_eq(err.category, "MISSING_SCOPES");
	ck_assert_int_eq(err.rl_max, 110);

	/* a 200 that is not JSON */
	fake_start(&f, "200 OK", "Content-Type: text/html\r\n", USERS_PAGE_2);
	cfg.api_base = f.base;
	ck_assert_int_eq(hs_list_users(&h, &cfg, "at-u", NULL, 100, &uss, &err), HS_ERR_MALFORMED);
	fake_finish(&f);
	ck_assert_str_eq(err.message, "answer is not application/json");
	ck_assert_ptr_null(uss.users);
	httpc_cleanup(&h);
}
END_TEST

START_TEST(test_users_refused_before_sending)
{
	static const char *const bad_after[] = {"", "a b", "a\r\nb", "\xc3\xa9", "a\tb"};
	char long_after[HS_AFTER_MAX + 2], base[1025];
	struct hs_config cfg = cfg_local;
	struct httpc h;
	size_t i;

	ck_assert_int_eq(httpc_init(&h, NULL), HTTPC_OK);
	ck_assert_int_eq(hs_list_users(&h, &cfg, "at", NULL, 0, &uss, &err), HS_ERR_CONFIG);
	ck_assert_str_eq(err.message, "invalid limit argument");
	ck_assert_int_eq(hs_list_users(&h, &cfg, "at", NULL, -1, &uss, &err), HS_ERR_CONFIG);
	ck_assert_int_eq(hs_list_users(&h, &cfg, "at", NULL, HS_USERS_PAGE_MAX + 1, &uss, &err),
			 HS_ERR_CONFIG);
	for (i = 0; i < sizeof(bad_after) / sizeof(bad_after[0]); i++) {
		ck_assert_int_eq(hs_list_users(&h, &cfg, "at", bad_after[i], 10, &uss, &err),
				 HS_ERR_CONFIG);
		ck_assert_str_eq(err.message, "invalid after argument");
		ck_assert_int_eq(err.rl_max, -1);
	}
	memset(long_after, 'a', sizeof(long_after) - 1);
	long_after[sizeof(long_after) - 1] = '\0';
	ck_assert_int_eq(hs_list_users(&h, &cfg, "at", long_after, 10, &uss, &err), HS_ERR_CONFIG);
	ck_assert_int_eq(hs_list_users(&h, &cfg, "a t", NULL, 10, &uss, &err), HS_ERR_CONFIG);
	ck_assert_int_eq(hs_list_users(&h, &cfg, NULL, NULL, 10, &uss, &err), HS_ERR_CONFIG);
	ck_assert_int_eq(hs_list_users(NULL, &cfg, "at", NULL, 10, &uss, &err), HS_ERR_CONFIG);
	cfg.api_base = "http://example.com";
	ck_assert_int_eq(hs_list_users(&h, &cfg, "at", NULL, 10, &uss, &err), HS_ERR_CONFIG);
	ck_assert_ptr_null(uss.users);

	/* the longest cursor, every byte encoded, still fits a base of 1024 bytes
	 * (the longest hs.c takes) */
	memset(base, 'a', sizeof(base) - 1);
	base[sizeof(base) - 1] = '\0';
	memcpy(base, "http://127.0.0.1:1/", 19);
	cfg.api_base = base;
	memset(long_after, '/', HS_AFTER_MAX);
	long_after[HS_AFTER_MAX] = '\0';
	ck_assert_int_eq(hs_list_users(&h, &cfg, "at", long_after, 100, &uss, &err),
			 HS_ERR_TRANSIENT);
	/* sent, to a closed port */
	ck_assert_int_eq(err.http_status, 0);
	ck_assert_ptr_null(strstr(err.message, "127.0.0.1"));
	httpc_cleanup(&h);
}
END_TEST

/* CRM writes: the create input, one definition, batch answers, the calls. */

/* A custom enumeration property as HubSpot reads it, with read-only and
 * unknown fields. */
#define DEF_ENUM                                                                                   \
	"{\"updatedAt\":\"2024-01-02T03:04:05.678Z\",\"createdAt\":\"2024-01-02T03:04:05.678Z\","  \
	"\"name\":\"lead_source_detail\",\"label\":\"Lead\\tsource detail\",\"type\":"             \
	"\"enumeration\",\"fieldType\":\"select\",\"description\":\"Where the lead came from\","   \
	"\"groupName\":\"jetstack\",\"options\":[{\"label\":\"Web\",\"value\":\"web\","            \
	"\"description\":\"\",\"displayOrder\":0,\"hidden\":false},{\"label\":\"Event\","          \
	"\"value\":\"event\",\"hidden\":true},{\"label\":\"Referral\",\"value\":\"referral\","     \
	"\"description\":null,\"displayOrder\":5}],\"displayOrder\":-1,\"calculated\":false,"      \
	"\"externalOptions\":false,\"hasUniqueValue\":false,\"hidden\":false,\"hubspotDefined\":"  \
	"false,\"modificationMetadata\":{\"archivable\":true,\"readOnlyDefinition\":false,"        \
	"\"readOnlyValue\":false},\"formField\":true,\"dataSensitivity\":\"non_sensitive\","       \
	"\"archived\":false,\"createdUserId\":\"9586504\",\"updatedUserId\":\"9586504\","          \
	"\"unknownFutureField\":{\"x\":1},\"referencedObjectType\":null}"

/* Its PropertyCreate: only the schema's fields, in the schema's order. */
#define DEF_ENUM_INPUT                                                                             \
	"{\"name\":\"lead_source_detail\",\"label\":\"Lead\\tsource detail\",\"type\":"            \
	"\"enumeration\",\"fieldType\":\"select\",\"groupName\":\"jetstack\",\"description\":"     \
	"\"Where the lead came from\",\"displayOrder\":-1,\"hidden\":false,\"formField\":true,"    \
	"\"hasUniqueValue\":false,\"options\":[{\"label\":\"Web\",\"value\":\"web\","              \
	"\"description\":\"\",\"displayOrder\":0,\"hidden\":false},{\"label\":\"Event\","          \
	"\"value\":\"event\",\"displayOrder\":1,\"hidden\":true},{\"label\":\"Referral\","         \
	"\"value\":\"referral\",\"displayOrder\":5,\"hidden\":false}],\"externalOptions\":false,"  \
	"\"dataSensitivity\":\"non_sensitive\"}"

#define DEF_TEXT                                                                                   \
	"{\"name\":\"renewal_note\",\"label\":\"Renewal note\",\"type\":\"string\",\"fieldType\":" \
	"\"text\",\"groupName\":\"jetstack\",\"description\":\"\",\"options\":[]}"

/* A 207 as HubSpot documents it: results, then StandardErrors. */
#define BATCH_207                                                                                  \
	"{\"status\":\"COMPLETE\",\"results\":[{\"name\":\"renewal_note\",\"label\":\"Renewal "    \
	"note\",\"type\":\"string\",\"fieldType\":\"text\",\"groupName\":\"jetstack\"}],"          \
	"\"numErrors\":2,\"errors\":[{\"status\":\"error\",\"category\":\"VALIDATION_ERROR\","     \
	"\"message\":\"Property values were not valid\",\"context\":{\"names\":[\"score_calc\"]}," \
	"\"errors\":[{\"message\":\"A calculation_equation property needs a "                      \
	"calculationFormula\",\"code\":\"INVALID\",\"in\":\"calculationFormula\"}],\"links\":{}}," \
	"{\"status\":\"error\",\"category\":\"OBJECT_ALREADY_EXISTS\",\"message\":\"Property "     \
	"lead_source_detail already exists\",\"context\":{\"name\":[\"lead_source_detail\"]},"     \
	"\"errors\":[],\"links\":{}}],\"startedAt\":\"2026-03-01T10:00:00.000Z\",\"completedAt\":" \
	"\"2026-03-01T10:00:00.120Z\"}"

/* The simulator's 400 for more than HS_BATCH_MAX inputs, and its 409. */
#define BATCH_400                                                                                  \
	"{\"status\":\"error\",\"message\":\"The maximum number of inputs supported in a batch "   \
	"request is 100. Please reduce the number of items and try again\",\"correlationId\":"     \
	"\"c-400\",\"category\":\"VALIDATION_ERROR\",\"errors\":[{\"message\":\"The maximum "      \
	"number of inputs supported in a batch request is 100. Please reduce the number of items " \
	"and try again\",\"in\":\"inputs\",\"code\":\"INVALID\"}]}"
#define GROUP_409                                                                                  \
	"{\"status\":\"error\",\"message\":\"Property group jetstack already exists\","            \
	"\"correlationId\":\"c-409\",\"category\":\"OBJECT_ALREADY_EXISTS\",\"context\":{"         \
	"\"name\":[\"jetstack\"]}}"

START_TEST(test_create_input_whitelist)
{
	struct buf b;

	buf_init(&b, 0);
	ck_assert_int_eq(hs_property_create_input(LIT(DEF_ENUM), &b, &err), HS_OK);
	ck_assert_int_eq(err.kind, HS_OK);
	ck_assert_int_eq(err.http_status, 0);
	ck_assert_str_eq(buf_str(&b), DEF_ENUM_INPUT);
	buf_reset(&b);

	/* a calculation property: its formula and number fields, not "calculated" */
	ck_assert_int_eq(hs_property_create_input(
			     LIT("{\"name\":\"score_calc\",\"label\":\"Score\",\"type\":\"number\","
				 "\"fieldType\":\"calculation_equation\",\"groupName\":\"g\","
				 "\"calculated\":true,\"currencyPropertyName\":\"hs_currency\","
				 "\"numberDisplayHint\":\"formatted\",\"showCurrencySymbol\":false,"
				 "\"calculationFormula\":\"a + b\"}"),
			     &b, &err),
			 HS_OK);
	ck_assert_str_eq(buf_str(&b),
			 "{\"name\":\"score_calc\",\"label\":\"Score\",\"type\":\"number\","
			 "\"fieldType\":\"calculation_equation\",\"groupName\":\"g\","
			 "\"calculationFormula\":\"a + b\",\"showCurrencySymbol\":false,"
			 "\"numberDisplayHint\":\"formatted\",\"currencyPropertyName\":"
			 "\"hs_currency\"}");
	buf_reset(&b);
	/* an owner property with external options */
	ck_assert_int_eq(
	    hs_property_create_input(
		LIT("{\"name\":\"csm\",\"label\":\"CSM\",\"type\":\"enumeration\",\"fieldType\":"
		    "\"select\",\"groupName\":\"g\",\"externalOptions\":true,"
		    "\"referencedObjectType\":\"OWNER\",\"options\":[],\"hasUniqueValue\":true}"),
		&b, &err),
	    HS_OK);
	ck_assert_str_eq(buf_str(&b),
			 "{\"name\":\"csm\",\"label\":\"CSM\",\"type\":\"enumeration\","
			 "\"fieldType\":\"select\",\"groupName\":\"g\","
			 "\"hasUniqueValue\":true,\"options\":[],"
			 "\"referencedObjectType\":\"OWNER\",\"externalOptions\":true}");
	buf_reset(&b);
	/* appended to what is there */
	buf_puts(&b, "[");
	ck_assert_int_eq(hs_property_create_input(LIT(DEF_TEXT), &b, &err), HS_OK);
	ck_assert_str_eq(buf_str(&b), "[{\"name\":\"renewal_note\",\"label\":\"Renewal note\","
				      "\"type\":\"string\",\"fieldType\":\"text\",\"groupName\":"
				      "\"jetstack\",\"description\":\"\",\"options\":[]}");
	buf_free(&b);
}
END_TEST

START_TEST(test_create_input_refused)
{
	static const struct {
		const char *def;
		const char *message;
	} bad[] = {
	    {"", "empty answer"},
	    {"{\"name\":\"a\"", "answer is not valid json"},
	    {"[]", "answer is not a json object"},
	    {"{\"label\":\"A\",\"type\":\"string\",\"fieldType\":\"text\",\"groupName\":\"g\"}",
	     "field \"name\" is missing"},
	    {"{\"name\":\"a\",\"label\":\"A\",\"type\":\"string\",\"fieldType\":\"text\"}",
	     "field \"groupName\" is missing"},
	    {"{\"name\":\"a b\",\"label\":\"A\",\"type\":\"string\",\"fieldType\":\"text\","
	     "\"groupName\":\"g\"}",
	     "field \"name\" must be a string of visible ascii characters"},
	    {"{\"name\":\"a\",\"label\":\"A\",\"type\":\"string\",\"fieldType\":\"text\","
	     "\"groupName\":\"g\",\"formField\":\"yes\"}",
	     "field \"formField\" must be a boolean"},
	    {"{\"name\":\"a\",\"label\":\"A\",\"type\":\"string\",\"fieldType\":\"text\","
	     "\"groupName\":\"g\",\"calculationFormula\":1}",
	     "field \"calculationFormula\" must be a string"},
	    {"{\"name\":\"a\",\"label\":\"A\",\"type\":\"string\",\"fieldType\":\"text\","
	     "\"groupName\":\"g\",\"hidden\":false,\"formField\":true,\"formField\":false}",
	     "field \"formField\" is duplicated"},
	    {"{\"name\":\"a\",\"label\":\"A\",\"type\":\"enumeration\",\"fieldType\":\"select\","
	     "\"groupName\":\"g\",\"options\":[{\"label\":\"X\"}]}",
	     "field \"options[0].value\" is missing"},
	    {"{\"name\":\"a\",\"label\":\"A\",\"type\":\"enumeration\",\"fieldType\":\"select\","
	     "\"groupName\":\"g\",\"options\":[{\"label\":\"X\",\"value\":\"x\",\"hidden\":1}]}",
	     "field \"options[0].hidden\" must be a boolean"},
	};
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	buf_puts(&b, "kept");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(hs_property_create_input(bad[i].def, strlen(bad[i].def), &b, &err) ==
				  HS_ERR_MALFORMED,
			      "accepted: %s", bad[i].def);
		ck_assert_int_eq(err.kind, HS_ERR_MALFORMED);
		ck_assert_str_eq(err.message, bad[i].message);
		ck_assert_str_eq(buf_str(&b), "kept");
	}
	buf_free(&b);
	/* past the buffer's maximum: nothing appended */
	buf_init(&b, 16);
	ck_assert_int_eq(hs_property_create_input(LIT(DEF_TEXT), &b, &err), HS_ERR_CONFIG);
	ck_assert_str_eq(err.message, "output buffer too small");
	ck_assert_uint_eq(b.len, 0);
	buf_free(&b);
}
END_TEST

START_TEST(test_property_group_json)
{
	struct hs_property p;
	struct hs_group g;

	ck_assert_int_eq(hs_parse_property_json(LIT(DEF_ENUM), &p, &err), HS_OK);
	ck_assert_int_eq(err.kind, HS_OK);
	ck_assert_int_eq(err.http_status, 0);
	ck_assert_str_eq(p.name, "lead_source_detail");
	ck_assert_str_eq(p.label, "Lead source detail"); /* cleaned, as in a list */
	ck_assert_str_eq(p.group_name, "jetstack");
	ck_assert_uint_eq(p.noptions, 3);
	ck_assert_int_eq(p.options[1].display_order, -1);
	ck_assert_int_eq(p.options[1].hidden, 1);
	ck_assert_ptr_null(p.options[2].description);
	ck_assert_ptr_nonnull(strstr(p.json, "\"unknownFutureField\":{\"x\":1}"));
	hs_property_free(&p);
	ck_assert_ptr_null(p.name);
	hs_property_free(&p);

	/* the list's rules, with messages naming the field alone */
	ck_assert_int_eq(hs_parse_property_json(LIT("{\"name\":\"a\",\"label\":\"A\"}"), &p, &err),
			 HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message, "field \"type\" is missing");
	ck_assert_ptr_null(p.name);
	ck_assert_int_eq(
	    hs_parse_property_json(LIT("{\"name\":\"a\",\"label\":\"A\",\"type\":\"string\","
				       "\"fieldType\":\"text\",\"options\":[{\"label\":\"x\","
				       "\"value\":\"a\\u0001\"}]}"),
				   &p, &err),
	    HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message,
			 "field \"options[0].value\" must be a string without control characters");
	ck_assert_int_eq(
	    hs_parse_property_json(
		LIT("{\"name\":\"a\",\"label\":\"A\",\"type\":\"string\",\"fieldType\":"
		    "\"text\",\"x\":\"\xed\xa0\x80\"}"),
		&p, &err),
	    HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message, "object is not valid utf-8");
	ck_assert_int_eq(hs_parse_property_json(LIT("{} x"), &p, &err), HS_ERR_MALFORMED);
	ck_assert_int_eq(hs_parse_property_json(NULL, 0, &p, &err), HS_ERR_MALFORMED);

	ck_assert_int_eq(hs_parse_group_json(LIT("{\"name\":\"jetstack\",\"label\":\"JetStack\","
						 "\"displayOrder\":4,\"archived\":false}"),
					     &g, &err),
			 HS_OK);
	ck_assert_str_eq(g.name, "jetstack");
	ck_assert_str_eq(g.label, "JetStack");
	ck_assert_int_eq(g.display_order, 4);
	ck_assert_str_eq(g.json, "{\"name\":\"jetstack\",\"label\":\"JetStack\",\"displayOrder\":4,"
				 "\"archived\":false}");
	hs_group_free(&g);
	ck_assert_ptr_null(g.name);
	ck_assert_int_eq(hs_parse_group_json(LIT("{\"name\":\"jetstack\"}"), &g, &err),
			 HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message, "field \"label\" is missing");
	ck_assert_ptr_null(g.name);
	ck_assert_int_eq(
	    hs_parse_group_json(LIT("{\"name\":\"a\",\"label\":\"A\",\"archived\":1}"), &g, &err),
	    HS_ERR_MALFORMED);
	hs_group_free(&g);
}
END_TEST

static const char *const batch_names[] = {"lead_source_detail", "renewal_note", "score_calc",
					  "forgotten"};

START_TEST(test_batch_201)
{
	struct hs_batch_result r;
	size_t i;

	/* every input created; the body is not needed */
	ck_assert_int_eq(
	    hs_parse_batch_create(201, LIT("{\"status\":\"COMPLETE\"}"), batch_names, 4, &r, &err),
	    HS_OK);
	ck_assert_int_eq(err.kind, HS_OK);
	ck_assert_int_eq(err.http_status, 201);
	ck_assert_uint_eq(r.n, 4);
	for (i = 0; i < 4; i++) {
		ck_assert_str_eq(r.items[i].name, batch_names[i]);
		ck_assert_int_eq(r.items[i].ok, 1);
		ck_assert_str_eq(r.items[i].message, "");
		ck_assert_str_eq(r.items[i].category, "");
	}
	hs_batch_result_free(&r);
	ck_assert_ptr_null(r.items);
	ck_assert_uint_eq(r.n, 0);
	hs_batch_result_free(&r);
	ck_assert_int_eq(hs_parse_batch_create(201, NULL, 0, batch_names, 1, &r, &err), HS_OK);
	ck_assert_int_eq(r.items[0].ok, 1);
	hs_batch_result_free(&r);
}
END_TEST

START_TEST(test_batch_207_partial)
{
	struct hs_batch_result r;

	ck_assert_int_eq(hs_parse_batch_create(207, LIT(BATCH_207), batch_names, 3, &r, &err),
			 HS_OK);
	ck_assert_int_eq(err.kind, HS_OK);
	ck_assert_int_eq(err.http_status, 207);
	ck_assert_uint_eq(r.n, 3);
	/* in input order, whatever the answer's order */
	ck_assert_str_eq(r.items[0].name, "lead_source_detail");
	ck_assert_int_eq(r.items[0].ok, 0);
	ck_assert_str_eq(r.items[0].category, "OBJECT_ALREADY_EXISTS");
	ck_assert_str_eq(r.items[0].message, "Property lead_source_detail already exists");
	ck_assert_str_eq(r.items[1].name, "renewal_note");
	ck_assert_int_eq(r.items[1].ok, 1);
	ck_assert_str_eq(r.items[1].message, "");
	/* "names" as context key; the first sub-error's message follows */
	ck_assert_str_eq(r.items[2].name, "score_calc");
	ck_assert_int_eq(r.items[2].ok, 0);
	ck_assert_str_eq(r.items[2].category, "VALIDATION_ERROR");
	ck_assert_str_eq(r.items[2].message,
			 "Property values were not valid: A calculation_equation property needs "
			 "a calculationFormula");
	ck_assert_str_eq(r.correlation_id, "");
	hs_batch_result_free(&r);

	/* as the simulator sends it, every input failed: still a 207 and HS_OK;
	 * "propertyName" as a string; a sub-error saying the same is not repeated */
	ck_assert_int_eq(
	    hs_parse_batch_create(
		207,
		LIT("{\"status\":\"COMPLETE\",\"results\":[],\"numErrors\":2,"
		    "\"errors\":[{\"status\":\"error\",\"category\":\"VALIDATION_ERROR\","
		    "\"message\":\"Property group nope does not exist\","
		    "\"context\":{\"propertyName\":\"renewal_note\"},"
		    "\"errors\":[{\"message\":\"Property group nope does not exist\","
		    "\"in\":\"groupName\"}],\"links\":{}},{\"status\":\"error\","
		    "\"category\":\"VALIDATION_ERROR\","
		    "\"context\":{\"name\":[\"lead_source_detail\"]},"
		    "\"errors\":[{\"message\":\"label \\u0007must be a non-empty string\"}]}],"
		    "\"correlationId\":\"c-207\"}"),
		batch_names, 2, &r, &err),
	    HS_OK);
	ck_assert_int_eq(r.items[0].ok, 0);
	ck_assert_str_eq(r.items[0].message, "label must be a non-empty string");
	ck_assert_int_eq(r.items[1].ok, 0);
	ck_assert_str_eq(r.items[1].message, "Property group nope does not exist");
	ck_assert_str_eq(r.correlation_id, "c-207");
	hs_batch_result_free(&r);
}
END_TEST

START_TEST(test_batch_207_not_mentioned)
{
	struct hs_batch_result r;

	/* "forgotten" is in neither list; an error naming no input is ignored;
	 * an input in results and named by an error was created */
	ck_assert_int_eq(
	    hs_parse_batch_create(
		207,
		LIT("{\"results\":[{\"name\":\"renewal_note\"},{\"name\":7},{\"label\":\"x\"}],"
		    "\"errors\":[{\"category\":\"OBJECT_ALREADY_EXISTS\",\"message\":\"Property x "
		    "already exists\",\"context\":{\"name\":[\"x\"]}},{\"message\":\"no context\"},"
		    "{\"category\":\"CONFLICT\",\"message\":\"m\",\"context\":{\"name\":["
		    "\"renewal_note\",\"lead_source_detail\",3]}},{\"category\":\"LATER\","
		    "\"message\":\"second\",\"context\":{\"names\":[\"lead_source_detail\"]}}]}"),
		batch_names, 4, &r, &err),
	    HS_OK);
	ck_assert_int_eq(r.items[0].ok, 0);
	ck_assert_str_eq(r.items[0].category, "CONFLICT"); /* the first error naming it */
	ck_assert_str_eq(r.items[0].message, "m");
	ck_assert_int_eq(r.items[1].ok, 1);
	ck_assert_str_eq(r.items[1].category, "");
	ck_assert_str_eq(r.items[1].message, "");
	ck_assert_int_eq(r.items[2].ok, 0);
	ck_assert_str_eq(r.items[2].category, "");
	ck_assert_str_eq(r.items[2].message, "HubSpot's answer did not mention this property");
	ck_assert_int_eq(r.items[3].ok, 0);
	ck_assert_str_eq(r.items[3].message, "HubSpot's answer did not mention this property");
	hs_batch_result_free(&r);

	/* an empty 207 */
	ck_assert_int_eq(hs_parse_batch_create(207, LIT("{}"), batch_names, 1, &r, &err), HS_OK);
	ck_assert_int_eq(r.items[0].ok, 0);
	ck_assert_str_eq(r.items[0].message, "HubSpot's answer did not mention this property");
	hs_batch_result_free(&r);

	/* an error without any message */
	ck_assert_int_eq(hs_parse_batch_create(
			     207, LIT("{\"errors\":[{\"context\":{\"name\":[\"forgotten\"]}}]}"),
			     batch_names + 3, 1, &r, &err),
			 HS_OK);
	ck_assert_str_eq(r.items[0].message, "HubSpot gave no reason");
	hs_batch_result_free(&r);
}
END_TEST

START_TEST(test_batch_errors)
{
	static const char *const malformed[] = {
	    "",
	    "{\"results\":[",
	    "[]",
	    "{\"results\":{}}",
	    "{\"results\":[\"renewal_note\"]}",
	    "{\"errors\":[1]}",
	    "{\"errors\":[],\"errors\":[]}",
	};
	struct hs_batch_result r;
	struct buf b;
	char *body;
	size_t i, len;

	/* the whole batch refused: a failure of the call */
	ck_assert_int_eq(hs_parse_batch_create(400, LIT(BATCH_400), batch_names, 2, &r, &err),
			 HS_ERR_MALFORMED);
	ck_assert_int_eq(err.kind, HS_ERR_MALFORMED);
	ck_assert_int_eq(err.http_status, 400);
	ck_assert_str_eq(err.category, "VALIDATION_ERROR");
	ck_assert_str_eq(err.correlation_id, "c-400");
	ck_assert_ptr_nonnull(strstr(err.message, "The maximum number of inputs supported"));
	ck_assert_ptr_null(r.items);
	ck_assert_uint_eq(r.n, 0);
	/* a conflict keeps its status and category */
	ck_assert_int_eq(hs_parse_batch_create(409, LIT(GROUP_409), batch_names, 1, &r, &err),
			 HS_ERR_MALFORMED);
	ck_assert_int_eq(err.http_status, 409);
	ck_assert_str_eq(err.category, "OBJECT_ALREADY_EXISTS");
	ck_assert_str_eq(err.message, "Property group jetstack already exists");
	ck_assert_str_eq(err.correlation_id, "c-409");
	/* the documented error answers, as for the reads */
	for (i = 0; i < sizeof(prop_errors) / sizeof(prop_errors[0]); i++) {
		const char *e = prop_errors[i].body;

		ck_assert_int_eq(hs_parse_batch_create(prop_errors[i].status, e, strlen(e),
						       batch_names, 1, &r, &err),
				 prop_errors[i].kind);
		ck_assert_int_eq(err.http_status, prop_errors[i].status);
		ck_assert_str_eq(err.category, prop_errors[i].category);
		ck_assert_ptr_null(r.items);
	}
	ck_assert_int_eq(hs_parse_batch_create(200, LIT("{}"), batch_names, 1, &r, &err),
			 HS_ERR_MALFORMED);
	ck_assert_ptr_null(r.items);
	/* a 207 that is not usable */
	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		ck_assert_msg(hs_parse_batch_create(207, malformed[i], strlen(malformed[i]),
						    batch_names, 2, &r, &err) == HS_ERR_MALFORMED,
			      "accepted: %s", malformed[i]);
		ck_assert_int_eq(err.http_status, 207);
		ck_assert_ptr_null(r.items);
		ck_assert_uint_eq(r.n, 0);
	}
	/* more results than a batch holds */
	buf_init(&b, 0);
	buf_puts(&b, "{\"results\":[");
	for (i = 0; i <= HS_BATCH_MAX; i++)
		buf_printf(&b, "%s{\"name\":\"p%zu\"}", i ? "," : "", i);
	buf_puts(&b, "]}");
	len = b.len;
	body = buf_take(&b);
	ck_assert_int_eq(hs_parse_batch_create(207, body, len, batch_names, 1, &r, &err),
			 HS_ERR_MALFORMED);
	ck_assert_str_eq(err.message, "field \"results\" is too long");
	free(body);
	/* bad names */
	ck_assert_int_eq(hs_parse_batch_create(201, LIT("{}"), NULL, 1, &r, &err), HS_ERR_CONFIG);
	ck_assert_int_eq(
	    hs_parse_batch_create(201, LIT("{}"), batch_names, HS_BATCH_MAX + 1, &r, &err),
	    HS_ERR_CONFIG);
	ck_assert_ptr_null(r.items);
}
END_TEST

/* Arguments refused before anything is sent (the closed port would be
 * transient). */
START_TEST(test_writes_refused_before_sending)
{
	static const char *const bad_names[] = {"", ".", "..", "a b", "a\r\n", NULL};
	struct httpc h;
	struct hs_config cfg = cfg_local;
	struct hs_batch_result r;
	struct hs_property_option opt = {.label = "A", .value = "a", .display_order = -1};
	struct hs_property_update u = {.label = "L"};
	const char *defs[HS_BATCH_MAX + 1];
	char long_name[HS_PROP_NAME_MAX + 2];
	size_t i;

	for (i = 0; i <= HS_BATCH_MAX; i++)
		defs[i] = DEF_TEXT;
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	ck_assert_int_eq(httpc_init(&h, NULL), HTTPC_OK);

	ck_assert_int_eq(hs_create_properties(&h, &cfg, "at", "contact", defs, 1, &r, &err),
			 HS_ERR_CONFIG);
	ck_assert_str_eq(err.message, "invalid object type argument");
	ck_assert_int_eq(hs_create_properties(&h, &cfg, "at", "contacts", defs, 0, &r, &err),
			 HS_ERR_CONFIG);
	ck_assert_str_eq(err.message, "a batch holds 1 to 100 definitions");
	ck_assert_int_eq(
	    hs_create_properties(&h, &cfg, "at", "contacts", defs, HS_BATCH_MAX + 1, &r, &err),
	    HS_ERR_CONFIG);
	ck_assert_int_eq(hs_create_properties(&h, &cfg, "at", "contacts", NULL, 1, &r, &err),
			 HS_ERR_CONFIG);
	/* the same name twice, a definition that is not usable, or none */
	ck_assert_int_eq(hs_create_properties(&h, &cfg, "at", "contacts", defs, 2, &r, &err),
			 HS_ERR_CONFIG);
	ck_assert_str_eq(err.message, "definitions[0] and [1] have the same name");
	defs[1] = "{\"name\":\"x\",\"label\":\"X\",\"type\":\"string\",\"fieldType\":\"text\"}";
	ck_assert_int_eq(hs_create_properties(&h, &cfg, "at", "contacts", defs, 2, &r, &err),
			 HS_ERR_CONFIG);
	ck_assert_str_eq(err.message, "definitions[1]: field \"groupName\" is missing");
	defs[1] = NULL;
	ck_assert_int_eq(hs_create_properties(&h, &cfg, "at", "contacts", defs, 2, &r, &err),
			 HS_ERR_CONFIG);
	ck_assert_str_eq(err.message, "definitions[1] is missing");
	ck_assert_ptr_null(r.items);
	ck_assert_int_eq(hs_create_properties(&h, &cfg, "a t", "contacts", defs, 1, &r, &err),
			 HS_ERR_CONFIG);
	ck_assert_str_eq(err.message, "invalid access token argument");
	ck_assert_int_eq(hs_create_properties(NULL, &cfg, "at", "contacts", defs, 1, &r, &err),
			 HS_ERR_CONFIG);
	cfg.api_base = "http://example.com";
	ck_assert_int_eq(hs_create_properties(&h, &cfg, "at", "contacts", defs, 1, &r, &err),
			 HS_ERR_CONFIG);
	ck_assert_str_eq(err.message, "api base url not allowed");
	cfg = cfg_local;
	ck_assert_int_eq(err.rl_max, -1);
	ck_assert_int_eq(err.http_status, 0);

	for (i = 0; bad_names[i] != NULL; i++) {
		ck_assert_int_eq(
		    hs_create_group(&h, &cfg, "at", "contacts", bad_names[i], "L", -1, &err),
		    HS_ERR_CONFIG);
		ck_assert_str_eq(err.message, "invalid group name argument");
		ck_assert_int_eq(hs_update_group(&h, &cfg, "at", "deals", bad_names[i], "L", &err),
				 HS_ERR_CONFIG);
		ck_assert_int_eq(
		    hs_update_property(&h, &cfg, "at", "deals", bad_names[i], &u, &err),
		    HS_ERR_CONFIG);
		ck_assert_str_eq(err.message, "invalid property name argument");
	}
	ck_assert_int_eq(hs_create_group(&h, &cfg, "at", "contacts", long_name, "L", -1, &err),
			 HS_ERR_CONFIG);
	ck_assert_int_eq(hs_update_property(&h, &cfg, "at", "deals", NULL, &u, &err),
			 HS_ERR_CONFIG);
	ck_assert_int_eq(hs_create_group(&h, &cfg, "at", "contacts", "g", "", -1, &err),
			 HS_ERR_CONFIG);
	ck_assert_str_eq(err.message, "invalid group label argument");
	ck_assert_int_eq(hs_create_group(&h, &cfg, "at", "contacts", "g", "\xc3(", -1, &err),
			 HS_ERR_CONFIG);
	ck_assert_int_eq(hs_update_group(&h, &cfg, "at", "contacts", "g", NULL, &err),
			 HS_ERR_CONFIG);
	ck_assert_int_eq(hs_create_group(&h, &cfg, "at", "Contacts", "g", "L", -1, &err),
			 HS_ERR_CONFIG);
	ck_assert_str_eq(err.message, "invalid object type argument");
	ck_assert_int_eq(hs_update_group(&h, &cfg, "at", "contacts/x", "g", "L", &err),
			 HS_ERR_CONFIG);

	/* an update with nothing to change, or a bad field */
	memset(&u, 0, sizeof(u));
	ck_assert_int_eq(hs_update_property(&h, &cfg, "at", "deals", "p", &u, &err), HS_ERR_CONFIG);
	ck_assert_str_eq(err.message, "no property field to update");
	ck_assert_int_eq(hs_update_property(&h, &cfg, "at", "deals", "p", NULL, &err),
			 HS_ERR_CONFIG);
	u.group_name = "a b";
	ck_assert_int_eq(hs_update_property(&h, &cfg, "at", "deals", "p", &u, &err), HS_ERR_CONFIG);
	ck_assert_str_eq(err.message, "invalid property field argument");
	u.group_name = NULL;
	u.description = "\xff";
	ck_assert_int_eq(hs_update_property(&h, &cfg, "at", "deals", "p", &u, &err), HS_ERR_CONFIG);
	u.description = NULL;
	u.send_options = 1;
	u.noptions = 1;
	ck_assert_int_eq(hs_update_property(&h, &cfg, "at", "deals", "p", &u, &err), HS_ERR_CONFIG);
	ck_assert_str_eq(err.message, "invalid property options argument");
	opt.value = NULL;
	u.options = &opt;
	ck_assert_int_eq(hs_update_property(&h, &cfg, "at", "deals", "p", &u, &err), HS_ERR_CONFIG);
	ck_assert_str_eq(err.message, "invalid property option 0 argument");
	u.noptions = HS_OPTIONS_MAX + 1;
	ck_assert_int_eq(hs_update_property(&h, &cfg, "at", "deals", "p", &u, &err), HS_ERR_CONFIG);

	/* well-formed: sent, and the closed port is transient */
	opt.value = "a";
	u.noptions = 1;
	ck_assert_int_eq(hs_update_property(&h, &cfg, "at", "deals", "p", &u, &err),
			 HS_ERR_TRANSIENT);
	ck_assert_int_eq(err.http_status, 0);
	ck_assert_int_eq(hs_create_group(&h, &cfg, "at", "deals", "g", "G", 2, &err),
			 HS_ERR_TRANSIENT);
	defs[1] = DEF_ENUM;
	ck_assert_int_eq(hs_create_properties(&h, &cfg, "at", "tickets", defs, 2, &r, &err),
			 HS_ERR_TRANSIENT);
	ck_assert_ptr_null(r.items);
	ck_assert_int_eq(err.rl_max, -1);
	httpc_cleanup(&h);
}
END_TEST

/* The writes against the local server: what is sent, what is kept. */
START_TEST(test_writes_network)
{
	struct httpc h;
	struct hs_config cfg = cfg_local;
	struct hs_batch_result r;
	struct fake_http f;
	const char *defs[] = {DEF_ENUM, DEF_TEXT,
			      "{\"name\":\"score_calc\",\"label\":\"Score\","
			      "\"type\":\"number\",\"fieldType\":\"number\","
			      "\"groupName\":\"jetstack\"}"};
	const struct hs_property_option opts[] = {
	    {.label = "A", .value = "a", .display_order = -1},
	    {.label = "B", .value = "b", .description = "d", .display_order = 3, .hidden = 1},
	};
	struct hs_property_update u = {
	    .label = "New label", .group_name = "jetstack", .options = opts, .noptions = 2};

	ck_assert_int_eq(httpc_init(&h, NULL), HTTPC_OK);

	/* a batch create, partly refused */
	fake_start(&f, "207 Multi-Status",
		   "Content-Type: application/json;charset=utf-8\r\n" RL_HEADERS
		   "X-HubSpot-Correlation-Id: 6d1c0a9e-8f5b-4c1e-9a57-0f3b2d4e5a6b\r\n",
		   BATCH_207);
	cfg.api_base = f.base;
	ck_assert_int_eq(hs_create_properties(&h, &cfg, "at-3", "contacts", defs, 3, &r, &err),
			 HS_OK);
	fake_finish(&f);
	FAKE_REQ_HAS(&f, "POST /crm/properties/2026-03/contacts/batch/create HTTP/1.1\r\n");
	FAKE_REQ_HAS(&f, "\r\nAuthorization: Bearer at-3\r\n");
	FAKE_REQ_HAS(&f, "\r\nContent-Type: application/json\r\n");
	FAKE_REQ_HAS(&f, "\r\nAccept: application/json\r\n");
	ck_assert_ptr_null(strstr(f.req, "Expect:"));
	ck_assert_str_eq(f.body, "{\"inputs\":[" DEF_ENUM_INPUT ",{\"name\":\"renewal_note\","
				 "\"label\":\"Renewal note\",\"type\":\"string\",\"fieldType\":"
				 "\"text\",\"groupName\":\"jetstack\",\"description\":\"\","
				 "\"options\":[]},{\"name\":\"score_calc\",\"label\":\"Score\","
				 "\"type\":\"number\",\"fieldType\":\"number\",\"groupName\":"
				 "\"jetstack\"}]}");
	ck_assert_int_eq(err.kind, HS_OK);
	ck_assert_int_eq(err.http_status, 207);
	ck_assert_int_eq(err.rl_remaining, 109);
	ck_assert_str_eq(err.correlation_id, "6d1c0a9e-8f5b-4c1e-9a57-0f3b2d4e5a6b");
	ck_assert_str_eq(r.correlation_id, "6d1c0a9e-8f5b-4c1e-9a57-0f3b2d4e5a6b");
	ck_assert_uint_eq(r.n, 3);
	ck_assert_int_eq(r.items[0].ok, 0);
	ck_assert_str_eq(r.items[0].category, "OBJECT_ALREADY_EXISTS");
	ck_assert_int_eq(r.items[1].ok, 1);
	ck_assert_int_eq(r.items[2].ok, 0);
	hs_batch_result_free(&r);

	/* all created: the 201's body is not read */
	fake_start(&f, "201 Created", "Content-Type: text/plain\r\n" RL_HEADERS, "created");
	cfg.api_base = f.base;
	ck_assert_int_eq(hs_create_properties(&h, &cfg, "at", "deals", defs + 1, 1, &r, &err),
			 HS_OK);
	fake_finish(&f);
	ck_assert_int_eq(err.http_status, 201);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_int_eq(r.items[0].ok, 1);
	ck_assert_str_eq(r.items[0].name, "renewal_note");
	ck_assert_str_eq(r.correlation_id, "");
	hs_batch_result_free(&r);

	/* a 207 must be JSON */
	fake_start(&f, "207 Multi-Status", "Content-Type: text/html\r\n", BATCH_207);
	cfg.api_base = f.base;
	ck_assert_int_eq(hs_create_properties(&h, &cfg, "at", "deals", defs, 1, &r, &err),
			 HS_ERR_MALFORMED);
	fake_finish(&f);
	ck_assert_str_eq(err.message, "answer is not application/json");
	ck_assert_ptr_null(r.items);

	/* the whole batch refused; the header's correlation id does not
	 * replace the body's */
	fake_start(&f, "400 Bad Request",
		   "Content-Type: application/json\r\nX-HubSpot-Correlation-Id: other\r\n",
		   BATCH_400);
	cfg.api_base = f.base;
	ck_assert_int_eq(hs_create_properties(&h, &cfg, "at", "deals", defs, 1, &r, &err),
			 HS_ERR_MALFORMED);
	fake_finish(&f);
	ck_assert_int_eq(err.http_status, 400);
	ck_assert_str_eq(err.category, "VALIDATION_ERROR");
	ck_assert_str_eq(err.correlation_id, "c-400");
	ck_assert_ptr_null(r.items);

	/* rate limited: transient, Retry-After and the headers kept */
	fake_start(&f, "429 Too Many Requests",
		   "Content-Type: application/json\r\nRetry-After: 2\r\n"
		   "X-HubSpot-RateLimit-Interval-Milliseconds: 10000\r\n"
		   "X-HubSpot-RateLimit-Max: 110\r\nX-HubSpot-RateLimit-Remaining: 0\r\n",
		   prop_errors[3].body);
	cfg.api_base = f.base;
	ck_assert_int_eq(hs_create_properties(&h, &cfg, "at", "deals", defs, 1, &r, &err),
			 HS_ERR_TRANSIENT);
	fake_finish(&f);
	ck_assert_int_eq(err.http_status, 429);
	ck_assert_int_eq(err.retry_after, 2);
	ck_assert_str_eq(err.error_type, "RATE_LIMIT");
	ck_assert_str_eq(err.policy_name, "TEN_SECONDLY_ROLLING");
	ck_assert_int_eq(err.rl_remaining, 0);

	/* a group created */
	fake_start(&f, "201 Created", "Content-Type: application/json\r\n" RL_HEADERS,
		   "{\"name\":\"jetstack\",\"label\":\"JetStack \\\"tools\\\"\",\"displayOrder\":3,"
		   "\"archived\":false}");
	cfg.api_base = f.base;
	ck_assert_int_eq(
	    hs_create_group(&h, &cfg, "at", "companies", "jetstack", "JetStack \"tools\"", 3, &err),
	    HS_OK);
	fake_finish(&f);
	FAKE_REQ_HAS(&f, "POST /crm/properties/2026-03/companies/groups HTTP/1.1\r\n");
	FAKE_REQ_HAS(&f, "\r\nContent-Type: application/json\r\n");
	ck_assert_str_eq(
	    f.body,
	    "{\"name\":\"jetstack\",\"label\":\"JetStack \\\"tools\\\"\",\"displayOrder\":3}");
	ck_assert_int_eq(err.kind, HS_OK);
	ck_assert_int_eq(err.http_status, 201);
	ck_assert_int_eq(err.rl_max, 110);

	/* already there: 409 kept */
	fake_start(&f, "409 Conflict", "Content-Type: application/json\r\n" RL_HEADERS, GROUP_409);
	cfg.api_base = f.base;
	ck_assert_int_eq(hs_create_group(&h, &cfg, "at", "companies", "jetstack", "J", -1, &err),
			 HS_ERR_MALFORMED);
	fake_finish(&f);
	ck_assert_str_eq(f.body, "{\"name\":\"jetstack\",\"label\":\"J\"}");
	ck_assert_int_eq(err.http_status, 409);
	ck_assert_str_eq(err.category, "OBJECT_ALREADY_EXISTS");
	ck_assert_str_eq(err.correlation_id, "c-409");
	ck_assert_int_eq(err.rl_remaining, 109);

	/* a group renamed: PATCH, the name percent-encoded in the path */
	fake_start(&f, "200 OK", "Content-Type: application/json\r\n", "{}");
	cfg.api_base = f.base;
	ck_assert_int_eq(hs_update_group(&h, &cfg, "at", "tickets", "odd/name?x", "Label", &err),
			 HS_OK);
	fake_finish(&f);
	FAKE_REQ_HAS(&f,
		     "PATCH /crm/properties/2026-03/tickets/groups/odd%2Fname%3Fx HTTP/1.1\r\n");
	ck_assert_str_eq(f.body, "{\"label\":\"Label\"}");
	ck_assert_int_eq(err.http_status, 200);

	/* a property updated: only the given fields, the whole option list */
	fake_start(&f, "200 OK", "Content-Type: application/json\r\n", "{}");
	cfg.api_base = f.base;
	ck_assert_int_eq(hs_update_property(&h, &cfg, "at", "deals", "renewal_note", &u, &err),
			 HS_OK);
	fake_finish(&f);
	FAKE_REQ_HAS(&f, "PATCH /crm/properties/2026-03/deals/renewal_note HTTP/1.1\r\n");
	ck_assert_str_eq(f.body, "{\"label\":\"New label\",\"groupName\":\"jetstack\"}");
	u.send_options = 1;
	u.label = NULL;
	u.group_name = NULL;
	u.description = "";
	fake_start(&f, "200 OK", "Content-Type: application/json\r\n", "{}");
	cfg.api_base = f.base;
	ck_assert_int_eq(hs_update_property(&h, &cfg, "at", "deals", "renewal_note", &u, &err),
			 HS_OK);
	fake_finish(&f);
	ck_assert_str_eq(f.body, "{\"description\":\"\",\"options\":[{\"label\":\"A\",\"value\":"
				 "\"a\",\"displayOrder\":0,\"hidden\":false},{\"label\":\"B\","
				 "\"value\":\"b\",\"description\":\"d\",\"displayOrder\":3,"
				 "\"hidden\":true}]}");

	/* refused: 400 VALIDATION_ERROR, 404, 401, 403 */
	fake_start(&f, "400 Bad Request",
		   "Content-Type: application/json\r\nX-HubSpot-Correlation-Id: c-hdr\r\n",
		   "{\"status\":\"error\",\"message\":\"Invalid input JSON on line 1, column 1: "
		   "Unrecognized field \\\"x\\\" (class PropertyUpdate), not marked as ignorable\","
		   "\"category\":\"VALIDATION_ERROR\",\"errors\":[{\"message\":\"Invalid input\","
		   "\"in\":\"x\",\"code\":\"UNRECOGNIZED_FIELD\"}]}");
	cfg.api_base = f.base;
	ck_assert_int_eq(hs_update_property(&h, &cfg, "at", "deals", "renewal_note", &u, &err),
			 HS_ERR_MALFORMED);
	fake_finish(&f);
	ck_assert_int_eq(err.http_status, 400);
	ck_assert_str_eq(err.category, "VALIDATION_ERROR");
	ck_assert_str_eq(err.correlation_id, "c-hdr"); /* none in the body */
	ck_assert_ptr_nonnull(strstr(err.message, "Unrecognized field \"x\""));
	fake_start(&f, "404 Not Found", "Content-Type: application/json\r\n",
		   "{\"status\":\"error\",\"message\":\"Property group g does not exist\","
		   "\"correlationId\":\"c-404\",\"category\":\"OBJECT_NOT_FOUND\"}");
	cfg.api_base = f.base;
	ck_assert_int_eq(hs_update_group(&h, &cfg, "at", "deals", "g", "G", &err),
			 HS_ERR_MALFORMED);
	fake_finish(&f);
	ck_assert_int_eq(err.http_status, 404);
	ck_assert_str_eq(err.category, "OBJECT_NOT_FOUND");
	fake_start(&f, "401 Unauthorized", "Content-Type: application/json\r\n",
		   prop_errors[0].body);
	cfg.api_base = f.base;
	ck_assert_int_eq(hs_create_group(&h, &cfg, "at", "deals", "g", "G", -1, &err), HS_ERR_AUTH);
	fake_finish(&f);
	ck_assert_str_eq(err.category, "EXPIRED_AUTHENTICATION");
	fake_start(&f, "403 Forbidden", "Content-Type: application/json\r\n", prop_errors[1].body);
	cfg.api_base = f.base;
	ck_assert_int_eq(hs_create_properties(&h, &cfg, "at", "deals", defs, 1, &r, &err),
			 HS_ERR_PERMISSION);
	fake_finish(&f);
	ck_assert_str_eq(err.category, "MISSING_SCOPES");
	ck_assert_ptr_null(r.items);
	/* a success status other than the documented one */
	fake_start(&f, "200 OK", "Content-Type: application/json\r\n", "{}");
	cfg.api_base = f.base;
	ck_assert_int_eq(hs_create_group(&h, &cfg, "at", "deals", "g", "G", -1, &err),
			 HS_ERR_MALFORMED);
	fake_finish(&f);
	ck_assert_int_eq(err.http_status, 200);
	httpc_cleanup(&h);
}
END_TEST

/* Admin check. */

static char *role_ids_admin[] = {"7", "100", NULL};
static struct hs_role roles_v[] = {
    {.id = "100", .name = "Admin"},
    {.id = "7", .name = "Sales"},
    {.id = "8", .name = "admin"},
    {.id = "9", .name = "Portal Admin"},
};
static const struct hs_roles roles = {.roles = roles_v, .nroles = 4};

START_TEST(test_is_admin)
{
	struct hs_user u;

	memset(&u, 0, sizeof(u));
	ck_assert_int_eq(hs_user_is_admin(&u, &roles, "Admin"), 0);
	u.super_admin = 1;
	ck_assert_int_eq(hs_user_is_admin(&u, NULL, NULL), 1);
	u.super_admin = 0;

	u.role_ids = role_ids_admin;
	u.nrole_ids = 2;
	ck_assert_int_eq(hs_user_is_admin(&u, &roles, "Admin"), 1);
	ck_assert_int_eq(hs_user_is_admin(&u, &roles, "Owner, Admin"), 1);
	ck_assert_int_eq(hs_user_is_admin(&u, &roles, " Admin ,"), 1);
	ck_assert_int_eq(hs_user_is_admin(&u, &roles, "admin"), 0);
	ck_assert_int_eq(hs_user_is_admin(&u, &roles, "Admins"), 0);
	ck_assert_int_eq(hs_user_is_admin(&u, &roles, "Adm"), 0);
	ck_assert_int_eq(hs_user_is_admin(&u, &roles, "Admin X"), 0);
	ck_assert_int_eq(hs_user_is_admin(&u, &roles, ""), 0);
	ck_assert_int_eq(hs_user_is_admin(&u, &roles, ",,"), 0);
	ck_assert_int_eq(hs_user_is_admin(&u, &roles, NULL), 0);
	ck_assert_int_eq(hs_user_is_admin(&u, NULL, "Admin"), 0);
	ck_assert_int_eq(hs_user_is_admin(NULL, &roles, "Admin"), 0);

	/* only the Sales role */
	u.nrole_ids = 1;
	ck_assert_int_eq(hs_user_is_admin(&u, &roles, "Admin"), 0);
	ck_assert_int_eq(hs_user_is_admin(&u, &roles, "Sales"), 1);

	/* via roleId alone */
	u.role_ids = NULL;
	u.nrole_ids = 0;
	u.role_id = "9";
	ck_assert_int_eq(hs_user_is_admin(&u, &roles, "Admin"), 0);
	ck_assert_int_eq(hs_user_is_admin(&u, &roles, "Admin,Portal Admin"), 1);
	/* an id that is no role */
	u.role_id = "10";
	ck_assert_int_eq(hs_user_is_admin(&u, &roles, "Admin"), 0);
	/* ids compare exactly */
	u.role_id = "1000";
	ck_assert_int_eq(hs_user_is_admin(&u, &roles, "Admin"), 0);
}
END_TEST

/* URL policy. */

/* The one visible-ASCII check, shared by hs and httpc. */
START_TEST(test_visible_ascii)
{
	ck_assert_int_eq(httpc_visible_ascii("abc-_.~!", 8), 1);
	ck_assert_int_eq(httpc_visible_ascii("abc", 3), 1);
	ck_assert_int_eq(httpc_visible_ascii("abcd", 3), 0);
	ck_assert_int_eq(httpc_visible_ascii("", 8), 0);
	ck_assert_int_eq(httpc_visible_ascii(NULL, 8), 0);
	ck_assert_int_eq(httpc_visible_ascii("a b", 8), 0);
	ck_assert_int_eq(httpc_visible_ascii("a\tb", 8), 0);
	ck_assert_int_eq(httpc_visible_ascii("a\x7f", 8), 0);
	ck_assert_int_eq(httpc_visible_ascii("caf\xc3\xa9", 8), 0);
}
END_TEST

START_TEST(test_url_allowed)
{
	static const char *const ok[] = {
	    "https://api.hubapi.com",
	    "https://api.hubapi.com/",
	    "https://api.hubapi.com/oauth/2026-03/token",
	    "https://api.hubapi.com:443/settings/users/2026-03/roles?x=1",
	    "https://[2001:db8::1]/x",
	    "http://127.0.0.1",
	    "http://127.0.0.1:8089/oauth/2026-03/token",
	    "http://[::1]:9/",
	    "http://localhost/x",
	    "http://localhost:8080",
	};
	static const char *const refused[] = {
	    "",
	    "http://example.com/",
	    "http://api.hubapi.com/",
	    "file:///etc/passwd",
	    "file://localhost/etc/passwd",
	    "gopher://127.0.0.1:70/_x",
	    "ftp://127.0.0.1/",
	    "dict://127.0.0.1:11211/",
	    "ldap://127.0.0.1/",
	    "javascript:alert(1)",
	    "//api.hubapi.com/",
	    "api.hubapi.com/oauth",
	    "HTTPS://api.hubapi.com/",
	    "Http://127.0.0.1/",
	    "https:/api.hubapi.com",
	    "https://",
	    "https:///x",
	    "https://:443/",
	    "http://127.0.0.1.evil.com/",
	    "http://127.0.0.1.evil.com:80/",
	    "http://localhost.evil.com/",
	    "http://localhost./",
	    "http://127.0.0.1@evil.com/",
	    "http://evil.com@127.0.0.1/",
	    "http://user:pw@127.0.0.1/",
	    "https://user:pw@api.hubapi.com/",
	    "https://user@api.hubapi.com/",
	    "https://api.hubapi.com\\@evil.com/",
	    "https://api.hubapi.com#@evil.com",
	    "https://api.hubapi.com/#frag",
	    "http://127.0.0.1:0/",
	    "http://127.0.0.1:99999/",
	    "http://127.0.0.1:80a/",
	    "http://127.0.0.1:/",
	    "http://2130706433/",
	    "http://127.1/",
	    "http://0x7f.0.0.1/",
	    "http://0177.0.0.1/",
	    "http://127.0.0.2/",
	    "http://0.0.0.0/",
	    "http://[::ffff:127.0.0.1]/",
	    "http://[::1%25lo]/",
	    "http://[::1/",
	    "https://api.hubapi.com/ x",
	    "https://api.hubapi.com/\r\nHost: evil",
	    "https://api.hubapi.com\t/",
	    "https://\xc3\xa4pi.com/",
	    "https://api_hub.com/",
	    "https://-api.hubapi.com/",
	};
	char *longurl;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		ck_assert_msg(httpc_url_allowed(ok[i]) == 1, "refused: %s", ok[i]);
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		ck_assert_msg(httpc_url_allowed(refused[i]) == 0, "allowed: %s", refused[i]);
	ck_assert_int_eq(httpc_url_allowed(NULL), 0);

	longurl = malloc(HTTPC_URL_MAX + 2);
	ck_assert_ptr_nonnull(longurl);
	memcpy(longurl, "https://a.com/", 14);
	memset(longurl + 14, 'x', HTTPC_URL_MAX + 1 - 14);
	longurl[HTTPC_URL_MAX + 1] = '\0';
	ck_assert_int_eq(httpc_url_allowed(longurl), 0);
	longurl[HTTPC_URL_MAX] = '\0';
	ck_assert_int_eq(httpc_url_allowed(longurl), 1);
	free(longurl);
}
END_TEST

/* httpc and the network calls, stopped before (or at) the network. */

START_TEST(test_httpc_lifecycle)
{
	struct httpc h;
	struct httpc_resp r;
	struct httpc_opts o = {.connect_timeout_ms = 2000,
			       .timeout_ms = 3000,
			       .max_body = 4096,
			       .user_agent = "test/1"};
	static const char *const form[] = {"a", "b c&d=é", NULL};
	static const char *const odd[] = {"a", NULL};

	memset(&h, 0, sizeof(h));
	httpc_cleanup(&h); /* safe on zeroed */
	memset(&r, 0, sizeof(r));
	httpc_resp_free(&r);

	o.user_agent = "bad\r\nX: y";
	ck_assert_int_eq(httpc_init(&h, &o), HTTPC_ERR_ARG);
	httpc_cleanup(&h);
	o.user_agent = "test/1";
	ck_assert_int_eq(httpc_init(&h, &o), HTTPC_OK);
	ck_assert_uint_eq(h.max_body, 4096);

	ck_assert_int_eq(httpc_post_form(&h, "http://example.com/", form, &r), HTTPC_ERR_URL);
	ck_assert_int_eq(r.status, 0);
	httpc_resp_free(&r);
	ck_assert_int_eq(httpc_post_form(&h, "file:///etc/passwd", form, &r), HTTPC_ERR_URL);
	httpc_resp_free(&r);
	ck_assert_int_eq(httpc_post_form(&h, "https://api.hubapi.com/", odd, &r), HTTPC_ERR_ARG);
	httpc_resp_free(&r);
	ck_assert_int_eq(httpc_get_bearer(&h, "https://api.hubapi.com/", "tok\r\nX-Evil: 1", &r),
			 HTTPC_ERR_ARG);
	httpc_resp_free(&r);
	ck_assert_int_eq(httpc_get_bearer(&h, "https://api.hubapi.com/", "", &r), HTTPC_ERR_ARG);
	httpc_resp_free(&r);
	ck_assert_int_eq(httpc_get_bearer(&h, "gopher://127.0.0.1/", "tok", &r), HTTPC_ERR_URL);
	httpc_resp_free(&r);

	/* a closed loopback port: every option is accepted, the connect fails */
	ck_assert_int_eq(httpc_post_form(&h, "http://127.0.0.1:1/x", form, &r), HTTPC_ERR_NETWORK);
	ck_assert_int_eq(r.status, 0);
	httpc_resp_free(&r);
	ck_assert_int_eq(httpc_get_bearer(&h, "http://[::1]:1/x", "tok", &r), HTTPC_ERR_NETWORK);
	httpc_resp_free(&r);

	httpc_cleanup(&h);
	httpc_cleanup(&h); /* twice is fine */
}
END_TEST

/* httpc against the local server: the request sent, the rate-limit headers kept. */

START_TEST(test_httpc_ratelimit_headers)
{
	struct httpc h;
	struct httpc_resp r;
	struct fake_http f;
	char url[128];

	ck_assert_int_eq(httpc_init(&h, NULL), HTTPC_OK);

	fake_start(&f, "200 OK", "Content-Type: application/json\r\n" RL_HEADERS, "{}");
	snprintf(url, sizeof(url), "%s/crm/x", f.base);
	ck_assert_int_eq(httpc_get_bearer(&h, url, "tok-1", &r), HTTPC_OK);
	fake_finish(&f);
	ck_assert_int_eq(f.served, 1);
	FAKE_REQ_HAS(&f, "GET /crm/x HTTP/1.1\r\n");
	FAKE_REQ_HAS(&f, "\r\nAuthorization: Bearer tok-1\r\n");
	FAKE_REQ_HAS(&f, "\r\nAccept: application/json\r\n");
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(buf_str(&r.body), "{}");
	ck_assert_str_eq(r.content_type, "application/json");
	ck_assert_int_eq(r.rl_max, 110);
	ck_assert_int_eq(r.rl_remaining, 109);
	ck_assert_int_eq(r.rl_interval_ms, 10000);
	ck_assert_int_eq(r.retry_after, 0);
	httpc_resp_free(&r);
	ck_assert_int_eq(r.rl_max, 0); /* freed: all zero */

	/* names in any case (HTTP/2 sends them in lower case), spaces around values */
	fake_start(&f, "429 Too Many Requests",
		   "x-hubspot-ratelimit-max:  190 \r\nX-HUBSPOT-RATELIMIT-REMAINING:\t0\r\n"
		   "x-hubspot-ratelimit-interval-milliseconds: 10000\r\nRetry-After: 3\r\n",
		   "{}");
	ck_assert_int_eq(httpc_get_bearer(&h, f.base, "tok", &r), HTTPC_OK);
	fake_finish(&f);
	ck_assert_int_eq(r.status, 429);
	ck_assert_int_eq(r.rl_max, 190);
	ck_assert_int_eq(r.rl_remaining, 0);
	ck_assert_int_eq(r.rl_interval_ms, 10000);
	ck_assert_int_eq(r.retry_after, 3);
	httpc_resp_free(&r);

	/* absent */
	fake_start(&f, "200 OK", "", "x");
	ck_assert_int_eq(httpc_get_bearer(&h, f.base, "tok", &r), HTTPC_OK);
	fake_finish(&f);
	ck_assert_int_eq(r.rl_max, -1);
	ck_assert_int_eq(r.rl_remaining, -1);
	ck_assert_int_eq(r.rl_interval_ms, -1);
	httpc_resp_free(&r);

	/* digits only, at most HTTPC_RATELIMIT_DIGITS, and only once */
	fake_start(&f, "200 OK",
		   "X-HubSpot-RateLimit-Max: 12a\r\nX-HubSpot-RateLimit-Remaining: 5\r\n"
		   "X-HubSpot-RateLimit-Remaining: 4\r\n"
		   "X-HubSpot-RateLimit-Interval-Milliseconds: 1234567890\r\n",
		   "x");
	ck_assert_int_eq(httpc_get_bearer(&h, f.base, "tok", &r), HTTPC_OK);
	fake_finish(&f);
	ck_assert_int_eq(r.rl_max, -1);
	ck_assert_int_eq(r.rl_remaining, -1);
	ck_assert_int_eq(r.rl_interval_ms, -1);
	httpc_resp_free(&r);
	fake_start(&f, "200 OK",
		   "X-HubSpot-RateLimit-Max: -1\r\nX-HubSpot-RateLimit-Remaining:\r\n"
		   "X-HubSpot-RateLimit-Interval-Milliseconds: 999999999\r\n",
		   "x");
	ck_assert_int_eq(httpc_get_bearer(&h, f.base, "tok", &r), HTTPC_OK);
	fake_finish(&f);
	ck_assert_int_eq(r.rl_max, -1);
	ck_assert_int_eq(r.rl_remaining, -1);
	ck_assert_int_eq(r.rl_interval_ms, 999999999);
	httpc_resp_free(&r);

	/* and on forms too */
	{
		static const char *const form[] = {"a", "b", NULL};

		fake_start(&f, "200 OK", RL_HEADERS, "{}");
		ck_assert_int_eq(httpc_post_form(&h, f.base, form, &r), HTTPC_OK);
		fake_finish(&f);
		FAKE_REQ_HAS(&f, "POST / HTTP/1.1\r\n");
		ck_assert_int_eq(r.rl_remaining, 109);
		httpc_resp_free(&r);
	}

	/* no answer: -1 */
	ck_assert_int_eq(httpc_get_bearer(&h, "http://127.0.0.1:1/x", "tok", &r),
			 HTTPC_ERR_NETWORK);
	ck_assert_int_eq(r.rl_max, -1);
	ck_assert_int_eq(r.rl_remaining, -1);
	ck_assert_int_eq(r.rl_interval_ms, -1);
	httpc_resp_free(&r);
	httpc_cleanup(&h);
}
END_TEST

/* JSON bodies with POST and PATCH; the correlation id header. */
START_TEST(test_httpc_send_json)
{
	struct httpc h;
	struct httpc_resp r;
	struct fake_http f;
	char url[128];
	static const char body[] = "{\"inputs\":[]}";

	ck_assert_int_eq(httpc_init(&h, NULL), HTTPC_OK);

	fake_start(&f, "201 Created",
		   "Content-Type: application/json\r\n" RL_HEADERS
		   "X-HubSpot-Correlation-Id:  c0ffee-1 \r\n",
		   "{}");
	snprintf(url, sizeof(url), "%s/crm/y", f.base);
	ck_assert_int_eq(
	    httpc_send_json_bearer(&h, HTTPC_POST, url, "tok-1", body, strlen(body), 0, &r),
	    HTTPC_OK);
	fake_finish(&f);
	FAKE_REQ_HAS(&f, "POST /crm/y HTTP/1.1\r\n");
	FAKE_REQ_HAS(&f, "\r\nAuthorization: Bearer tok-1\r\n");
	FAKE_REQ_HAS(&f, "\r\nContent-Type: application/json\r\n");
	FAKE_REQ_HAS(&f, "\r\nAccept: application/json\r\n");
	FAKE_REQ_HAS(&f, "\r\nContent-Length: 13\r\n");
	ck_assert_str_eq(f.body, body);
	ck_assert_int_eq(r.status, 201);
	ck_assert_int_eq(r.rl_remaining, 109);
	ck_assert_str_eq(r.correlation_id, "c0ffee-1");
	httpc_resp_free(&r);

	/* PATCH; a correlation id that is too long, repeated or not a token is dropped */
	fake_start(&f, "200 OK",
		   "X-HubSpot-Correlation-Id: "
		   "0123456789012345678901234567890123456789012345678901234567890123456789012345678"
		   "9\r\n",
		   "{}");
	ck_assert_int_eq(httpc_send_json_bearer(&h, HTTPC_PATCH, f.base, "tok", "{}", 2, 0, &r),
			 HTTPC_OK);
	fake_finish(&f);
	FAKE_REQ_HAS(&f, "PATCH / HTTP/1.1\r\n");
	ck_assert_str_eq(f.body, "{}");
	ck_assert_str_eq(r.correlation_id, "");
	httpc_resp_free(&r);
	fake_start(&f, "200 OK", "X-HubSpot-Correlation-Id: a\r\nX-HubSpot-Correlation-Id: b\r\n",
		   "{}");
	ck_assert_int_eq(httpc_send_json_bearer(&h, HTTPC_PATCH, f.base, "tok", "{}", 2, 0, &r),
			 HTTPC_OK);
	fake_finish(&f);
	ck_assert_str_eq(r.correlation_id, "");
	httpc_resp_free(&r);
	fake_start(&f, "200 OK", "X-HubSpot-Correlation-Id: a b\r\n", "{}");
	ck_assert_int_eq(httpc_get_bearer(&h, f.base, "tok", &r), HTTPC_OK);
	fake_finish(&f);
	ck_assert_str_eq(r.correlation_id, "");
	httpc_resp_free(&r);
	/* and on a GET */
	fake_start(&f, "200 OK", "x-hubspot-correlation-id: abc-1\r\n", "{}");
	ck_assert_int_eq(httpc_get_bearer(&h, f.base, "tok", &r), HTTPC_OK);
	fake_finish(&f);
	FAKE_REQ_HAS(&f, "GET / HTTP/1.1\r\n");
	ck_assert_ptr_null(strstr(f.req, "Content-Type"));
	ck_assert_str_eq(r.correlation_id, "abc-1");
	httpc_resp_free(&r);

	/* the answer's cap, this request's */
	fake_start(&f, "200 OK", "", "0123456789");
	ck_assert_int_eq(httpc_send_json_bearer(&h, HTTPC_POST, f.base, "tok", "{}", 2, 9, &r),
			 HTTPC_ERR_TOO_LARGE);
	fake_finish(&f);
	ck_assert_int_eq(r.status, 200);
	httpc_resp_free(&r);

	/* refused before sending */
	ck_assert_int_eq(
	    httpc_send_json_bearer(&h, HTTPC_POST, "http://127.0.0.1:1/", "a b", "{}", 2, 0, &r),
	    HTTPC_ERR_ARG);
	httpc_resp_free(&r);
	ck_assert_int_eq(
	    httpc_send_json_bearer(&h, HTTPC_POST, "http://127.0.0.1:1/", "t", NULL, 0, 0, &r),
	    HTTPC_ERR_ARG);
	httpc_resp_free(&r);
	ck_assert_int_eq(httpc_send_json_bearer(&h, (enum httpc_method)7, "http://127.0.0.1:1/",
						"t", "{}", 2, 0, &r),
			 HTTPC_ERR_ARG);
	httpc_resp_free(&r);
	ck_assert_int_eq(
	    httpc_send_json_bearer(&h, HTTPC_PATCH, "http://example.com/", "t", "{}", 2, 0, &r),
	    HTTPC_ERR_URL);
	ck_assert_str_eq(r.correlation_id, "");
	ck_assert_int_eq(r.rl_max, -1);
	httpc_resp_free(&r);
	ck_assert_int_eq(
	    httpc_send_json_bearer(&h, HTTPC_PATCH, "http://127.0.0.1:1/", "t", "{}", 2, 0, &r),
	    HTTPC_ERR_NETWORK);
	httpc_resp_free(&r);
	httpc_cleanup(&h);
}
END_TEST

/* The body cap, the client's or the request's; headers are kept past it. */
START_TEST(test_httpc_body_cap)
{
	struct httpc h;
	struct httpc_resp r;
	struct httpc_opts o = {.max_body = 16};
	struct fake_http f;

	ck_assert_int_eq(httpc_init(&h, &o), HTTPC_OK);
	fake_start(&f, "200 OK", RL_HEADERS, "0123456789abcdefX");
	ck_assert_int_eq(httpc_get_bearer(&h, f.base, "tok", &r), HTTPC_ERR_TOO_LARGE);
	fake_finish(&f);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(r.rl_remaining, 109);
	httpc_resp_free(&r);

	fake_start(&f, "200 OK", RL_HEADERS, "0123456789abcdefX");
	ck_assert_int_eq(httpc_get_bearer_max(&h, f.base, "tok", 17, &r), HTTPC_OK);
	fake_finish(&f);
	ck_assert_str_eq(buf_str(&r.body), "0123456789abcdefX");
	httpc_resp_free(&r);

	fake_start(&f, "200 OK", "", "0123456789abcdefX");
	ck_assert_int_eq(httpc_get_bearer_max(&h, f.base, "tok", 0, &r), HTTPC_ERR_TOO_LARGE);
	fake_finish(&f);
	httpc_resp_free(&r);

	fake_start(&f, "200 OK", "", "0123456789abcdefXY");
	ck_assert_int_eq(httpc_get_bearer_max(&h, f.base, "tok", 17, &r), HTTPC_ERR_TOO_LARGE);
	fake_finish(&f);
	httpc_resp_free(&r);
	httpc_cleanup(&h);
}
END_TEST

START_TEST(test_hs_calls_refused_before_sending)
{
	struct httpc h;
	struct hs_config cfg = cfg_local;

	ck_assert_int_eq(httpc_init(&h, NULL), HTTPC_OK);

	cfg.api_base = "http://example.com";
	ck_assert_int_eq(hs_refresh(&h, &cfg, "rt", &tok, &err), HS_ERR_CONFIG);
	ck_assert_str_eq(err.message, "api base url not allowed");
	cfg.api_base = "https://api.hubapi.com?x=";
	ck_assert_int_eq(hs_refresh(&h, &cfg, "rt", &tok, &err), HS_ERR_CONFIG);
	cfg.api_base = NULL;
	ck_assert_int_eq(hs_exchange_code(&h, &cfg, "c", "https://x/cb", &tok, &err),
			 HS_ERR_CONFIG);
	ck_assert_int_eq(hs_exchange_code(&h, NULL, "c", "https://x/cb", &tok, &err),
			 HS_ERR_CONFIG);

	cfg = cfg_local;
	cfg.client_secret = "";
	ck_assert_int_eq(hs_refresh(&h, &cfg, "rt", &tok, &err), HS_ERR_CONFIG);
	cfg = cfg_local;
	ck_assert_int_eq(hs_refresh(&h, &cfg, "rt\r\n", &tok, &err), HS_ERR_CONFIG);
	ck_assert_int_eq(hs_refresh(&h, &cfg, NULL, &tok, &err), HS_ERR_CONFIG);
	ck_assert_int_eq(hs_exchange_code(&h, &cfg, "c d", "https://x/cb", &tok, &err),
			 HS_ERR_CONFIG);
	ck_assert_int_eq(hs_introspect(&h, &cfg, "t", "id_token", &ins, &err), HS_ERR_CONFIG);
	ck_assert_int_eq(hs_revoke(&h, &cfg, "t", "Refresh_Token", &err), HS_ERR_CONFIG);

	/* user ids are digits only, before they reach a path */
	ck_assert_int_eq(hs_get_user(&h, &cfg, "at", "../roles", &usr, &err), HS_ERR_CONFIG);
	ck_assert_str_eq(err.message, "invalid user id argument");
	ck_assert_int_eq(hs_get_user(&h, &cfg, "at", "12?x=1", &usr, &err), HS_ERR_CONFIG);
	ck_assert_int_eq(hs_get_user(&h, &cfg, "at", "", &usr, &err), HS_ERR_CONFIG);
	ck_assert_int_eq(hs_get_user(&h, &cfg, "at", "123456789012345678901", &usr, &err),
			 HS_ERR_CONFIG);
	ck_assert_int_eq(hs_get_user(&h, &cfg, "a t", "1", &usr, &err), HS_ERR_CONFIG);
	ck_assert_int_eq(hs_get_roles(&h, &cfg, "", &rls, &err), HS_ERR_CONFIG);
	ck_assert_int_eq(hs_get_roles(NULL, &cfg, "at", &rls, &err), HS_ERR_CONFIG);

	/* the real thing against a closed port: transient, nothing leaked in the message */
	ck_assert_int_eq(hs_refresh(&h, &cfg, "secret-refresh-token", &tok, &err),
			 HS_ERR_TRANSIENT);
	ck_assert_int_eq(err.http_status, 0);
	ck_assert_ptr_null(strstr(err.message, "secret"));
	ck_assert_ptr_null(strstr(err.message, "127.0.0.1"));
	ck_assert_ptr_null(tok.access_token);
	ck_assert_int_eq(hs_get_user(&h, &cfg, "at", "42", &usr, &err), HS_ERR_TRANSIENT);
	ck_assert_int_eq(hs_revoke(&h, &cfg, "t", "refresh_token", &err), HS_ERR_TRANSIENT);
	ck_assert_int_eq(hs_introspect(&h, &cfg, "t", NULL, &ins, &err), HS_ERR_TRANSIENT);
	ck_assert_int_eq(hs_get_roles(&h, &cfg, "at", &rls, &err), HS_ERR_TRANSIENT);

	httpc_cleanup(&h);
}
END_TEST

/* Every call keeps the answer's rate-limit headers in *err, on success too. */
START_TEST(test_hs_calls_keep_ratelimit)
{
	struct httpc h;
	struct hs_config cfg = cfg_local;
	struct fake_http f;

	ck_assert_int_eq(httpc_init(&h, NULL), HTTPC_OK);

	fake_start(&f, "200 OK", "Content-Type: application/json;charset=utf-8\r\n" RL_HEADERS,
		   "{\"results\":[{\"id\":\"100\",\"name\":\"Admin\"}]}");
	cfg.api_base = f.base;
	ck_assert_int_eq(hs_get_roles(&h, &cfg, "at-1", &rls, &err), HS_OK);
	fake_finish(&f);
	FAKE_REQ_HAS(&f, "GET /settings/users/2026-03/roles HTTP/1.1\r\n");
	FAKE_REQ_HAS(&f, "\r\nAuthorization: Bearer at-1\r\n");
	ck_assert_int_eq(err.kind, HS_OK);
	ck_assert_int_eq(err.http_status, 200);
	ck_assert_int_eq(err.rl_max, 110);
	ck_assert_int_eq(err.rl_remaining, 109);
	ck_assert_int_eq(err.rl_interval_ms, 10000);
	ck_assert_uint_eq(rls.nroles, 1);
	hs_roles_free(&rls);

	/* over the limit: transient, Retry-After, errorType and policyName kept */
	fake_start(&f, "429 Too Many Requests",
		   "Content-Type: application/json\r\nRetry-After: 2\r\n"
		   "X-HubSpot-RateLimit-Interval-Milliseconds: 10000\r\n"
		   "X-HubSpot-RateLimit-Max: 110\r\nX-HubSpot-RateLimit-Remaining: 0\r\n",
		   "{\"status\":\"error\",\"message\":\"You have reached your ten_secondly_rolling "
		   "limit.\",\"errorType\":\"RATE_LIMIT\",\"correlationId\":\"c-429\","
		   "\"policyName\":\"TEN_SECONDLY_ROLLING\"}");
	cfg.api_base = f.base;
	ck_assert_int_eq(hs_get_user(&h, &cfg, "at", "42", &usr, &err), HS_ERR_TRANSIENT);
	fake_finish(&f);
	FAKE_REQ_HAS(&f, "GET /settings/users/2026-03/42 HTTP/1.1\r\n");
	ck_assert_int_eq(err.http_status, 429);
	ck_assert_int_eq(err.retry_after, 2);
	ck_assert_str_eq(err.error_type, "RATE_LIMIT");
	ck_assert_str_eq(err.policy_name, "TEN_SECONDLY_ROLLING");
	ck_assert_str_eq(err.correlation_id, "c-429");
	ck_assert_int_eq(err.rl_max, 110);
	ck_assert_int_eq(err.rl_remaining, 0);
	ck_assert_int_eq(err.rl_interval_ms, 10000);
	ck_assert_ptr_null(usr.id);

	/* the OAuth calls too (form posts) */
	fake_start(&f, "200 OK", "Content-Type: application/json\r\n" RL_HEADERS,
		   "{\"access_token\":\"a\",\"expires_in\":1800,\"token_type\":\"bearer\","
		   "\"hub_id\":62515}");
	cfg.api_base = f.base;
	ck_assert_int_eq(hs_refresh(&h, &cfg, "rt", &tok, &err), HS_OK);
	fake_finish(&f);
	FAKE_REQ_HAS(&f, "POST /oauth/2026-03/token HTTP/1.1\r\n");
	ck_assert_int_eq(err.rl_remaining, 109);
	hs_tokens_free(&tok);
	fake_start(&f, "204 No Content", RL_HEADERS, "");
	cfg.api_base = f.base;
	ck_assert_int_eq(hs_revoke(&h, &cfg, "rt", "refresh_token", &err), HS_OK);
	fake_finish(&f);
	ck_assert_int_eq(err.rl_max, 110);

	/* a 401 without the headers, and a 200 that is not JSON: -1, kind kept */
	fake_start(&f, "401 Unauthorized", "Content-Type: application/json\r\n",
		   "{\"status\":\"error\",\"message\":\"The OAuth token used to make this call "
		   "expired 1 minute(s) ago.\",\"correlationId\":\"c-401\",\"category\":"
		   "\"EXPIRED_AUTHENTICATION\"}");
	cfg.api_base = f.base;
	ck_assert_int_eq(hs_get_roles(&h, &cfg, "at", &rls, &err), HS_ERR_AUTH);
	fake_finish(&f);
	ck_assert_str_eq(err.category, "EXPIRED_AUTHENTICATION");
	ck_assert_int_eq(err.rl_max, -1);
	ck_assert_int_eq(err.rl_remaining, -1);
	fake_start(&f, "200 OK", "Content-Type: text/html\r\n" RL_HEADERS, "<html></html>");
	cfg.api_base = f.base;
	ck_assert_int_eq(hs_get_roles(&h, &cfg, "at", &rls, &err), HS_ERR_MALFORMED);
	fake_finish(&f);
	ck_assert_str_eq(err.message, "answer is not application/json");
	ck_assert_int_eq(err.rl_remaining, 109);

	/* nothing sent, or nothing received: -1 */
	cfg = cfg_local;
	ck_assert_int_eq(hs_get_roles(&h, &cfg, "a t", &rls, &err), HS_ERR_CONFIG);
	ck_assert_int_eq(err.rl_max, -1);
	ck_assert_int_eq(err.rl_remaining, -1);
	ck_assert_int_eq(err.rl_interval_ms, -1);
	ck_assert_int_eq(hs_get_roles(&h, &cfg, "at", &rls, &err), HS_ERR_TRANSIENT);
	ck_assert_int_eq(err.rl_max, -1);
	ck_assert_int_eq(err.rl_remaining, -1);
	ck_assert_int_eq(err.rl_interval_ms, -1);
	httpc_cleanup(&h);
}
END_TEST

/* The admin check stops where its first call stops, and never says admin. */
START_TEST(test_check_admin_failures)
{
	struct httpc h;
	struct hs_config cfg = cfg_local;
	int admin = 1;

	ck_assert_int_eq(httpc_init(&h, NULL), HTTPC_OK);
	ck_assert_int_eq(hs_check_admin(&h, &cfg, "at", "0x1", "Admin", &admin, &err),
			 HS_ERR_CONFIG);
	ck_assert_str_eq(err.message, "invalid user id argument");
	ck_assert_int_eq(admin, 0);
	admin = 1;
	ck_assert_int_eq(hs_check_admin(&h, &cfg, "a t", "1", "Admin", &admin, &err),
			 HS_ERR_CONFIG);
	ck_assert_int_eq(admin, 0);
	admin = 1;
	ck_assert_int_eq(hs_check_admin(&h, &cfg, "at", "42", NULL, &admin, &err),
			 HS_ERR_TRANSIENT);
	ck_assert_int_eq(err.kind, HS_ERR_TRANSIENT);
	ck_assert_int_eq(admin, 0);
	httpc_cleanup(&h);
}
END_TEST

START_TEST(test_strerror)
{
	int i;

	for (i = 0; i < HS_ERR__MAX; i++)
		ck_assert_ptr_nonnull(hs_strerror((enum hs_err)i));
	ck_assert_str_eq(hs_strerror(HS_ERR__MAX), "unknown error");
	ck_assert_str_eq(hs_strerror((enum hs_err) - 1), "unknown error");
	for (i = 0; i < HTTPC_ERR__MAX; i++)
		ck_assert_str_ne(httpc_strerror((enum httpc_err)i), "unknown error");
	ck_assert_str_eq(httpc_strerror(HTTPC_ERR__MAX), "unknown error");
}
END_TEST

START_TEST(test_free_safe)
{
	/* zeroed, twice */
	hs_tokens_free(&tok);
	hs_tokens_free(&tok);
	hs_introspection_free(&ins);
	hs_user_free(&usr);
	hs_roles_free(&rls);
	hs_users_free(&uss);
	hs_users_free(&uss);
	{
		struct hs_property p = {0};
		struct hs_group g = {0};
		struct hs_batch_result b = {0};

		hs_property_free(&p);
		hs_property_free(&p);
		hs_group_free(&g);
		hs_batch_result_free(&b);
		b.items = calloc(2, sizeof(*b.items));
		b.n = 2;
		hs_batch_result_free(&b);
		hs_batch_result_free(&b);
		ck_assert_ptr_null(b.items);
	}
	/* half-filled by hand */
	tok.access_token = malloc(4);
	memcpy(tok.access_token, "abc", 4);
	tok.scopes = calloc(3, sizeof(char *));
	tok.scopes[0] = malloc(2);
	memcpy(tok.scopes[0], "s", 2);
	tok.nscopes = 1;
	hs_tokens_free(&tok);
	ck_assert_ptr_null(tok.access_token);
	rls.roles = calloc(2, sizeof(*rls.roles));
	rls.roles[0].id = malloc(2);
	memcpy(rls.roles[0].id, "1", 2);
	rls.nroles = 1;
	hs_roles_free(&rls);
	ck_assert_ptr_null(rls.roles);
	uss.users = calloc(3, sizeof(*uss.users));
	uss.users[0].id = malloc(2);
	memcpy(uss.users[0].id, "1", 2);
	uss.n = 2;
	uss.next_after = malloc(2);
	memcpy(uss.next_after, "x", 2);
	hs_users_free(&uss);
	ck_assert_ptr_null(uss.users);
	ck_assert_ptr_null(uss.next_after);
}
END_TEST

START_TEST(test_error_text_in_plain_words)
{
	struct hs_error e;
	char out[300];

	memset(&e, 0, sizeof(e));
	e.kind = HS_ERR_TRANSIENT;
	e.http_status = 503;
	snprintf(e.category, sizeof(e.category), "SERVICE_UNAVAILABLE");
	snprintf(e.correlation_id, sizeof(e.correlation_id), "c0ffee");
	hs_error_text(&e, out, sizeof(out));
	ck_assert_str_eq(out, "HTTP 503 SERVICE_UNAVAILABLE, correlation id c0ffee");
	memset(&e, 0, sizeof(e));
	e.kind = HS_ERR_TRANSIENT;
	snprintf(e.message, sizeof(e.message), "timeout (Timeout was reached)");
	hs_error_text(&e, out, sizeof(out));
	ck_assert_str_eq(out, "hubspot temporarily unavailable: timeout (Timeout was reached)");
	hs_error_text(&e, out, 6);
	ck_assert_uint_eq(strlen(out), 5);
}
END_TEST

/* The failures the circuit breaker counts: HubSpot failing, not a portal. */
START_TEST(test_error_outage_kinds)
{
	struct hs_error e;
	const char *rl = "{\"status\":\"error\",\"errorType\":\"RATE_LIMIT\","
			 "\"policyName\":\"TEN_SECONDLY_ROLLING\"}";
	const char *edge = "{\"status\":\"error\",\"message\":\"slow down\"}";
	const char *bad = "{\"status\":\"BAD_REFRESH_TOKEN\",\"error\":\"invalid_grant\"}";

	hs_parse_error(503, "{}", 2, &e);
	ck_assert_int_eq(hs_error_outage(&e), 1);
	hs_parse_error(502, "<html>", 6, &e);
	ck_assert_int_eq(hs_error_outage(&e), 1);
	hs_parse_error(408, NULL, 0, &e);
	ck_assert_int_eq(hs_error_outage(&e), 1);
	hs_parse_error(429, edge, strlen(edge), &e);
	ck_assert_int_eq(hs_error_outage(&e), 1);
	/* the portal's own rate limit, a refused token, a permission */
	hs_parse_error(429, rl, strlen(rl), &e);
	ck_assert_int_eq(hs_error_outage(&e), 0);
	hs_parse_error(400, bad, strlen(bad), &e);
	ck_assert_int_eq(hs_error_outage(&e), 0);
	hs_parse_error(403, "{}", 2, &e);
	ck_assert_int_eq(hs_error_outage(&e), 0);
	/* no answer at all: a connect failure or a timeout */
	memset(&e, 0, sizeof(e));
	e.kind = HS_ERR_TRANSIENT;
	ck_assert_int_eq(hs_error_outage(&e), 1);
	/* ours: a TLS or URL problem is no outage */
	e.kind = HS_ERR_CONFIG;
	ck_assert_int_eq(hs_error_outage(&e), 0);
}
END_TEST

static Suite *hs_suite(void)
{
	Suite *s = suite_create("hs");
	TCase *tc;

	tc = tcase_create("tokens");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_error_text_in_plain_words);
	tcase_add_test(tc, test_error_outage_kinds);
	tcase_add_test(tc, test_tokens_documented);
	tcase_add_test(tc, test_tokens_without_refresh_token);
	tcase_add_test(tc, test_tokens_unknown_fields_and_string_user_id);
	tcase_add_test(tc, test_tokens_missing_required);
	tcase_add_test(tc, test_tokens_wrong_types);
	tcase_add_test(tc, test_tokens_expires_in_bounded);
	tcase_add_test(tc, test_tokens_sizes);
	tcase_add_test(tc, test_tokens_too_many_scopes);
	tcase_add_test(tc, test_tokens_duplicate_field);
	tcase_add_test(tc, test_malformed_json);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_error_bad_refresh_token);
	tcase_add_test(tc, test_error_bad_auth_code);
	tcase_add_test(tc, test_error_invalid_client);
	tcase_add_test(tc, test_error_expired_authentication);
	tcase_add_test(tc, test_error_missing_scopes);
	tcase_add_test(tc, test_error_rate_limit);
	tcase_add_test(tc, test_error_503);
	tcase_add_test(tc, test_error_wrong_types_ignored);
	tcase_add_test(tc, test_error_classification);
	tcase_add_test(tc, test_error_control_chars_stripped);
	tcase_add_test(tc, test_error_truncation);
	suite_add_tcase(s, tc);

	tc = tcase_create("introspection");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_introspection_active);
	tcase_add_test(tc, test_introspection_inactive);
	tcase_add_test(tc, test_introspection_malformed);
	suite_add_tcase(s, tc);

	tc = tcase_create("users");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_user_documented);
	tcase_add_test(tc, test_user_malformed);
	tcase_add_test(tc, test_roles_documented);
	tcase_add_test(tc, test_roles_malformed);
	tcase_add_test(tc, test_users_first_page);
	tcase_add_test(tc, test_users_last_page);
	tcase_add_test(tc, test_users_malformed);
	tcase_add_test(tc, test_users_errors);
	tcase_add_test(tc, test_users_network);
	tcase_add_test(tc, test_users_refused_before_sending);
	tcase_add_test(tc, test_is_admin);
	suite_add_tcase(s, tc);

	tc = tcase_create("properties");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_properties_documented);
	tcase_add_test(tc, test_properties_text);
	tcase_add_test(tc, test_properties_malformed);
	tcase_add_test(tc, test_properties_limits);
	tcase_add_test(tc, test_properties_errors);
	tcase_add_test(tc, test_groups_documented);
	tcase_add_test(tc, test_groups_malformed);
	tcase_add_test(tc, test_properties_object_type);
	tcase_add_test(tc, test_properties_network);
	tcase_add_test(tc, test_create_input_whitelist);
	tcase_add_test(tc, test_create_input_refused);
	tcase_add_test(tc, test_property_group_json);
	tcase_add_test(tc, test_batch_201);
	tcase_add_test(tc, test_batch_207_partial);
	tcase_add_test(tc, test_batch_207_not_mentioned);
	tcase_add_test(tc, test_batch_errors);
	tcase_add_test(tc, test_writes_refused_before_sending);
	tcase_add_test(tc, test_writes_network);
	suite_add_tcase(s, tc);

	tc = tcase_create("httpc");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_visible_ascii);
	tcase_add_test(tc, test_url_allowed);
	tcase_add_test(tc, test_httpc_lifecycle);
	tcase_add_test(tc, test_httpc_ratelimit_headers);
	tcase_add_test(tc, test_httpc_send_json);
	tcase_add_test(tc, test_httpc_body_cap);
	tcase_add_test(tc, test_hs_calls_refused_before_sending);
	tcase_add_test(tc, test_hs_calls_keep_ratelimit);
	tcase_add_test(tc, test_check_admin_failures);
	tcase_add_test(tc, test_strerror);
	tcase_add_test(tc, test_free_safe);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	sr = srunner_create(hs_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed == 0 ? 0 : 1;
}
