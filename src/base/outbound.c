/*
 * outbound: guarded HTTP POSTs to an agency's own webhook endpoints.  See
 * outbound.h for the rules.  One request is:
 *   1. the URL, headers and body checked (nothing sent on a refusal);
 *   2. the URL parsed by libcurl (the host and port it will use), the host
 *      resolved with getaddrinfo() and every address judged by
 *      outbound_addr_public() unless private ones are allowed;
 *   3. a fresh easy handle with httpc's hardening, pinned to the addresses
 *      judged (CURLOPT_RESOLVE) and checking each socket it opens against
 *      them (CURLOPT_OPENSOCKETFUNCTION);
 *   4. the status and the first OUTBOUND_BODY_SHOWN bytes of the answer,
 *      made printable.
 *
 * libcurl's documentation of the pinning:
 *   - CURLOPT_RESOLVE, https://curl.se/libcurl/c/CURLOPT_RESOLVE.html:
 *     "[+]HOST:PORT:ADDRESS[,ADDRESS]" entries populate the DNS cache for
 *     HOST+PORT so operations against them use ADDRESS instead (IPv6 within
 *     [brackets]); entries without '+' never time out; the list is not
 *     copied and must outlive the transfer.  The handle is ours alone and
 *     cleaned up after the request, so the entries go with it.
 *   - CURLOPT_CONNECT_TO, https://curl.se/libcurl/c/CURLOPT_CONNECT_TO.html,
 *     would also redirect the connection ("HOST:PORT:CONNECT-TO-HOST:
 *     CONNECT-TO-PORT") while keeping the URL's name for Host and TLS, but to
 *     one host only; CURLOPT_RESOLVE keeps every address checked, so
 *     libcurl can still fall back from one to the next.
 */
#include "outbound.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <curl/curl.h>

#define OUTBOUND_UA	     "jetstack-client-accounts"
#define OUTBOUND_RESOLVE_MAX (256 + 8 + OUTBOUND_ADDRS_MAX * (INET6_ADDRSTRLEN + 3))

/* Set one option; on failure note it and jump to out. */
#define OUTBOUND_SETOPT(C, OPT, VAL)                                                               \
	do {                                                                                       \
		CURLcode setopt_rc_ = curl_easy_setopt((C), OPT, VAL);                             \
		if (setopt_rc_ != CURLE_OK) {                                                      \
			outbound_err(out, "http client setup failed (curl %d)", (int)setopt_rc_);  \
			goto out;                                                                  \
		}                                                                                  \
	} while (0)

/* The addresses a request may connect to, and whether curl tried another. */
struct outbound_pin {
	struct sockaddr_storage addr[OUTBOUND_ADDRS_MAX];
	size_t n;
	int allow_private;
	int stray; /* a socket to an address not in addr[] was refused */
};

/* Where the answer's body goes: the first OUTBOUND_BODY_SHOWN bytes. */
struct outbound_sink {
	char *dst;
	size_t len;
	int cut; /* more arrived; the transfer was stopped */
};

/*
 * Messages.
 */

/* Make s one line of printable ASCII, in place. */
static void outbound_ascii_line(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = ' ';
}

static void outbound_err(struct outbound_resp *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void outbound_err(struct outbound_resp *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out->error, sizeof(out->error), fmt, ap);
	va_end(ap);
	outbound_ascii_line(out->error);
}

static int outbound_why(char *why, size_t whylen, const char *text)
{
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "%s", text);
	return 0;
}

/*
 * Addresses.  The special-purpose blocks of RFC 6890 ("Special-Purpose IP
 * Address Registries") and the RFCs that updated its registries, kept by
 * IANA (iana-ipv4-special-registry, iana-ipv6-special-registry).  None of
 * them is a public unicast destination for a webhook.
 */

struct outbound_v4_block {
	uint32_t net, mask;
	const char *what;
};

static const struct outbound_v4_block outbound_v4_blocks[] = {
    {0x00000000u, 0xff000000u, "an unspecified (0.0.0.0/8)"},	     /* RFC 791, 6890 */
    {0x0a000000u, 0xff000000u, "a private (10.0.0.0/8)"},	     /* RFC 1918 */
    {0x64400000u, 0xffc00000u, "a shared CGNAT (100.64.0.0/10)"},    /* RFC 6598 */
    {0x7f000000u, 0xff000000u, "a loopback (127.0.0.0/8)"},	     /* RFC 1122 */
    {0xa9fe0000u, 0xffff0000u, "a link-local (169.254.0.0/16)"},     /* RFC 3927 */
    {0xac100000u, 0xfff00000u, "a private (172.16.0.0/12)"},	     /* RFC 1918 */
    {0xc0000000u, 0xffffff00u, "an IETF protocol (192.0.0.0/24)"},   /* RFC 6890 */
    {0xc0000200u, 0xffffff00u, "a documentation (192.0.2.0/24)"},    /* RFC 5737 */
    {0xc0a80000u, 0xffff0000u, "a private (192.168.0.0/16)"},	     /* RFC 1918 */
    {0xc6120000u, 0xfffe0000u, "a benchmarking (198.18.0.0/15)"},    /* RFC 2544 */
    {0xc6336400u, 0xffffff00u, "a documentation (198.51.100.0/24)"}, /* RFC 5737 */
    {0xcb007100u, 0xffffff00u, "a documentation (203.0.113.0/24)"},  /* RFC 5737 */
    {0xe0000000u, 0xf0000000u, "a multicast (224.0.0.0/4)"},	     /* RFC 5771 */
    {0xffffffffu, 0xffffffffu, "the broadcast (255.255.255.255)"},   /* RFC 919 */
    {0xf0000000u, 0xf0000000u, "a reserved (240.0.0.0/4)"},	     /* RFC 1112 */
};

/* What kind of non-public address a (network order) is, or NULL. */
static const char *outbound_v4_class(const unsigned char *a)
{
	uint32_t v = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
	size_t i;

	for (i = 0; i < sizeof(outbound_v4_blocks) / sizeof(outbound_v4_blocks[0]); i++)
		if ((v & outbound_v4_blocks[i].mask) == outbound_v4_blocks[i].net)
			return outbound_v4_blocks[i].what;
	return NULL;
}

/* Whether the first bits bits of a equal those of p (bits a multiple of 8). */
static int outbound_prefix(const unsigned char *a, const unsigned char *p, size_t bits)
{
	return memcmp(a, p, bits / 8) == 0;
}

/*
 * What kind of non-public address a (16 bytes) is, or NULL.  IPv6 global
 * unicast is 2000::/3 (RFC 4291 2.4, IANA's IPv6 address space); everything
 * outside it is refused except the prefixes that embed an IPv4 address,
 * which are judged by it.
 */
static const char *outbound_v6_class(const unsigned char *a)
{
	static const unsigned char zero[16] = {0};
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b};
	static const unsigned char doc[4] = {0x20, 0x01, 0x0d, 0xb8};
	static const unsigned char teredo[4] = {0x20, 0x01, 0, 0};
	static const unsigned char bench[6] = {0x20, 0x01, 0, 0x02, 0, 0};

	if (memcmp(a, zero, 15) == 0 && a[15] == 0)
		return "the unspecified (::)"; /* RFC 4291 2.5.2 */
	if (memcmp(a, zero, 15) == 0 && a[15] == 1)
		return "the loopback (::1)"; /* RFC 4291 2.5.3 */
	if (outbound_prefix(a, mapped, 96))  /* ::ffff:0:0/96, RFC 4291 2.5.5.2 */
		return outbound_v4_class(a + 12);
	if (outbound_prefix(a, nat64, 96)) /* 64:ff9b::/96, RFC 6052 */
		return outbound_v4_class(a + 12);
	if (a[0] == 0x20 && a[1] == 0x02) /* 2002::/16 6to4, RFC 3056: bits 16..47 */
		return outbound_v4_class(a + 2);
	if ((a[0] & 0xfe) == 0xfc)
		return "a unique-local (fc00::/7)"; /* RFC 4193 */
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return "a link-local (fe80::/10)"; /* RFC 4291 2.5.6 */
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0)
		return "a site-local (fec0::/10)"; /* RFC 3879 */
	if (a[0] == 0xff)
		return "a multicast (ff00::/8)"; /* RFC 4291 2.7 */
	if ((a[0] & 0xe0) != 0x20)
		return "a reserved (outside 2000::/3)"; /* ::/96, 100::/64, 64:ff9b:1::/48 ... */
	if (outbound_prefix(a, doc, 32) || (a[0] == 0x3f && a[1] == 0xff && (a[2] & 0xf0) == 0))
		return "a documentation (2001:db8::/32, 3fff::/20)"; /* RFC 3849, 9637 */
	if (outbound_prefix(a, teredo, 32))
		return "a Teredo tunnel (2001::/32)"; /* RFC 4380: the IPv4 inside is hidden */
	if (outbound_prefix(a, bench, 48))
		return "a benchmarking (2001:2::/48)"; /* RFC 5180 */
	return NULL;
}

/* What kind of non-public address sa is, or NULL when it is public. */
static const char *outbound_addr_class(const struct sockaddr *sa)
{
	if (sa == NULL)
		return "a missing";
	if (sa->sa_family == AF_INET)
		return outbound_v4_class(
		    (const unsigned char *)&((const struct sockaddr_in *)(const void *)sa)
			->sin_addr);
	if (sa->sa_family == AF_INET6)
		return outbound_v6_class(
		    ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr);
	return "a non-IP";
}

int outbound_addr_public(const struct sockaddr *sa)
{
	return outbound_addr_class(sa) == NULL;
}

/* The address of sa as text ("?" for another family). */
static void outbound_ntop(const struct sockaddr *sa, char *dst, size_t dstsz)
{
	const void *a = NULL;

	if (sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	if (a == NULL || inet_ntop(sa->sa_family, a, dst, (socklen_t)dstsz) == NULL)
		snprintf(dst, dstsz, "?");
}

/* Whether a and b are the same IP address (ports and scopes aside). */
static int outbound_addr_eq(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return 0;
	if (a->sa_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)(const void *)a)->sin_addr,
			      &((const struct sockaddr_in *)(const void *)b)->sin_addr,
			      sizeof(struct in_addr)) == 0;
	if (a->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)(const void *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)(const void *)b)->sin6_addr,
			      sizeof(struct in6_addr)) == 0;
	return 0;
}

/*
 * The URL check.
 */

static int outbound_port_ok(const char *p, size_t n)
{
	long v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		v = v * 10 + (p[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

/* A DNS name of labels 1..63 (letters, digits, inner '-'), or a dotted quad. */
static int outbound_name_ok(const char *p, size_t n)
{
	char tmp[INET_ADDRSTRLEN];
	struct in_addr a4;
	size_t i, start = 0;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i <= n; i++) {
		if (i == n || p[i] == '.') {
			size_t l = i - start;

			if (l == 0 || l > 63 || p[start] == '-' || p[i - 1] == '-')
				return 0;
			start = i + 1;
			continue;
		}
		if (!isalnum((unsigned char)p[i]) && p[i] != '-')
			return 0;
	}
	/* A last label that starts with a digit: only a dotted quad. */
	for (i = n; i > 0 && p[i - 1] != '.'; i--)
		;
	if (isdigit((unsigned char)p[i])) {
		if (n >= sizeof(tmp))
			return 0;
		memcpy(tmp, p, n);
		tmp[n] = '\0';
		return inet_pton(AF_INET, tmp, &a4) == 1;
	}
	return 1;
}

/* "[" an IPv6 address "]", no zone. */
static int outbound_ipv6_ok(const char *p, size_t n)
{
	char tmp[INET6_ADDRSTRLEN];
	struct in6_addr a6;

	if (n < 4 || p[0] != '[' || p[n - 1] != ']' || n - 2 >= sizeof(tmp))
		return 0;
	memcpy(tmp, p + 1, n - 2);
	tmp[n - 2] = '\0';
	return inet_pton(AF_INET6, tmp, &a6) == 1;
}

/* Whether libcurl's parser sees no user info and the host (hostlen bytes). */
static int outbound_curl_agrees(const char *url, const char *host, size_t hostlen)
{
	CURLU *u = NULL;
	char *chost = NULL, *cuser = NULL, *cpw = NULL;
	int result = 0;

	u = curl_url();
	if (u == NULL)
		goto out;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_USER, &cuser, 0) != CURLUE_NO_USER ||
	    curl_url_get(u, CURLUPART_PASSWORD, &cpw, 0) != CURLUE_NO_PASSWORD)
		goto out;
	if (curl_url_get(u, CURLUPART_HOST, &chost, 0) != CURLUE_OK)
		goto out;
	if (strlen(chost) != hostlen || strncasecmp(chost, host, hostlen) != 0)
		goto out;
	result = 1;
out:
	curl_free(chost);
	curl_free(cuser);
	curl_free(cpw);
	curl_url_cleanup(u);
	return result;
}

int outbound_url_ok(const char *url, const struct outbound_opts *o, char *why, size_t whylen)
{
	const char *auth, *end, *host;
	size_t len, i, hostlen;
	int allow_http = o != NULL && o->allow_http;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (url == NULL || url[0] == '\0')
		return outbound_why(why, whylen, "url is empty");
	len = strlen(url);
	if (len > OUTBOUND_URL_MAX)
		return outbound_why(why, whylen, "url is longer than 2048 bytes");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)url[i];

		if (c <= 0x20 || c >= 0x7f)
			return outbound_why(why, whylen,
					    "url has spaces, control or non-ascii characters");
		if (c == '\\')
			return outbound_why(why, whylen, "url has a backslash");
		if (c == '#')
			return outbound_why(why, whylen, "url has a fragment (#)");
	}
	if (strncmp(url, "https://", 8) == 0) {
		auth = url + 8;
	} else if (strncmp(url, "http://", 7) == 0) {
		if (!allow_http)
			return outbound_why(why, whylen, "url must start with https://");
		auth = url + 7;
	} else {
		return outbound_why(why, whylen,
				    allow_http ? "url must start with https:// or http://"
					       : "url must start with https://");
	}

	/* The authority runs to the first '/' or '?'. */
	end = auth + strcspn(auth, "/?");
	if (memchr(auth, '@', (size_t)(end - auth)) != NULL)
		return outbound_why(why, whylen, "url has user info (user@)");
	if (end == auth)
		return outbound_why(why, whylen, "url has no host");
	host = auth;
	if (host[0] == '[') {
		const char *rb = memchr(host, ']', (size_t)(end - host));

		if (rb == NULL)
			return outbound_why(why, whylen, "url host is not a valid ipv6 address");
		hostlen = (size_t)(rb - host) + 1;
	} else {
		const char *colon = memchr(host, ':', (size_t)(end - host));

		hostlen = colon ? (size_t)(colon - host) : (size_t)(end - host);
	}
	if (hostlen == 0)
		return outbound_why(why, whylen, "url has no host");
	if (host + hostlen < end &&
	    (host[hostlen] != ':' ||
	     !outbound_port_ok(host + hostlen + 1, (size_t)(end - host - hostlen - 1))))
		return outbound_why(why, whylen, "url port is not 1..65535");
	if (host[0] == '[' ? !outbound_ipv6_ok(host, hostlen) : !outbound_name_ok(host, hostlen))
		return outbound_why(why, whylen,
				    host[0] == '['
					? "url host is not a valid ipv6 address"
					: "url host is not a valid name or ipv4 address");
	if (!outbound_curl_agrees(url, host, hostlen))
		return outbound_why(why, whylen, "url is malformed");
	return 1;
}

/*
 * Headers.
 */

static int outbound_tchar(unsigned char c)
{
	return isalnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Why the header line h may not be sent, or NULL when it may. */
static const char *outbound_header_refusal(const char *h)
{
	static const char *const framing[] = {
	    "host",   "content-type", "content-length", "transfer-encoding", "connection",
	    "expect", "te",	      "upgrade",	"trailer",	     "keep-alive",
	};
	size_t n, i, len;
	const char *v;

	if (h == NULL)
		return "a header is missing";
	len = strlen(h);
	if (len > OUTBOUND_HEADER_MAX)
		return "a header is too long";
	if (strchr(h, '\r') != NULL || strchr(h, '\n') != NULL)
		return "a header has a line break (CR or LF)";
	for (n = 0; outbound_tchar((unsigned char)h[n]); n++)
		;
	if (n == 0 || h[n] != ':')
		return "a header is not \"Name: value\"";
	for (v = h + n + 1; *v == ' ' || *v == '\t'; v++)
		;
	if (*v == '\0')
		return "a header has an empty value";
	for (; *v != '\0'; v++)
		if (((unsigned char)*v < 0x20 && *v != '\t') || (unsigned char)*v >= 0x7f)
			return "a header has a control or non-ascii character";
	for (i = 0; i < sizeof(framing) / sizeof(framing[0]); i++)
		if (strlen(framing[i]) == n && strncasecmp(h, framing[i], n) == 0)
			return "a header would change how the request is framed";
	if (n >= 6 && strncasecmp(h, "proxy-", 6) == 0)
		return "a header would change how the request is framed";
	return NULL;
}

/*
 * The answer's body.
 */

/* The length of the valid UTF-8 sequence of 2..4 bytes at s (n left), or 0. */
static size_t outbound_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t k, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0; /* no overlong forms */
	else if (s[0] == 0xed)
		hi = 0x9f; /* no surrogates */
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f; /* nothing above U+10FFFF */
	if (n < k || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < k; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	/* U+0080..U+009F are control characters too. */
	if (s[0] == 0xc2 && s[1] <= 0x9f)
		return 0;
	return k;
}

/* Make the n bytes at s printable text (see struct outbound_resp), in place. */
static void outbound_printable(char *s, size_t n)
{
	unsigned char *u = (unsigned char *)s;
	size_t i = 0, k;

	while (i < n) {
		if (u[i] < 0x80) {
			if ((u[i] < 0x20 && u[i] != '\n' && u[i] != '\t') || u[i] == 0x7f)
				u[i] = ' ';
			i++;
		} else if ((k = outbound_utf8_len(u + i, n - i)) > 0) {
			i += k;
		} else {
			u[i++] = ' ';
		}
	}
}

static size_t outbound_write(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct outbound_sink *sink = userdata;
	size_t n = size * nmemb, room = OUTBOUND_BODY_SHOWN - sink->len;

	if (n <= room) {
		memcpy(sink->dst + sink->len, data, n);
		sink->len += n;
		return n;
	}
	memcpy(sink->dst + sink->len, data, room);
	sink->len += room;
	sink->cut = 1;
	return 0; /* enough: libcurl stops with CURLE_WRITE_ERROR */
}

/*
 * Connections.
 */

/*
 * libcurl's CURLOPT_OPENSOCKETFUNCTION: open the socket only for an
 * address that was resolved and judged before the transfer.
 */
static curl_socket_t outbound_open_socket(void *clientp, curlsocktype purpose,
					  struct curl_sockaddr *a)
{
	struct outbound_pin *pin = clientp;
	size_t i;

	if (purpose != CURLSOCKTYPE_IPCXN)
		goto refuse;
	if (!pin->allow_private && !outbound_addr_public(&a->addr))
		goto refuse;
	for (i = 0; i < pin->n; i++)
		if (outbound_addr_eq(&a->addr, (const struct sockaddr *)&pin->addr[i]))
			return socket(a->family, a->socktype, a->protocol);
refuse:
	pin->stray = 1;
	return CURL_SOCKET_BAD;
}

static long outbound_ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (long)(t1.tv_sec - t0->tv_sec) * 1000L + (t1.tv_nsec - t0->tv_nsec) / 1000000L;
}

/* libcurl's code as a short class for resp->error. */
static const char *outbound_curl_class(CURLcode rc)
{
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return "timed out";
	case CURLE_COULDNT_CONNECT:
		return "could not connect";
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_ISSUER_ERROR:
		return "tls failed";
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return "network error";
	case CURLE_OUT_OF_MEMORY:
		return "out of memory";
	default:
		return "transfer failed";
	}
}

/*
 * Step 2: resolve host (curl's form: an IPv6 literal in brackets) for port,
 * judge every address and keep them in *pin.  0 when all are allowed;
 * 1 with out filled (refused, or the name did not resolve); -1 when memory
 * ran out.
 */
static int outbound_resolve(const char *host, const char *port, const struct outbound_opts *o,
			    struct outbound_pin *pin, struct outbound_resp *out)
{
	struct addrinfo hints, *res = NULL, *ai;
	char name[256], text[INET6_ADDRSTRLEN];
	const char *what;
	size_t n = strlen(host), i;
	struct in_addr a4;
	int rc, result = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	if (host[0] == '[' && n >= 2) {
		host++;
		n -= 2;
		hints.ai_flags = AI_NUMERICHOST;
	}
	if (n >= sizeof(name)) {
		outbound_err(out, "host name is too long");
		out->refused = 1;
		goto out;
	}
	memcpy(name, host, n);
	name[n] = '\0';
	if (inet_pton(AF_INET, name, &a4) == 1)
		hints.ai_flags = AI_NUMERICHOST;
	rc = getaddrinfo(name, port, &hints, &res);
	if (rc == EAI_MEMORY) {
		result = -1;
		outbound_err(out, "out of memory");
		goto out;
	}
	if (rc != 0 || res == NULL) {
		outbound_err(out, "could not resolve the host: %s",
			     rc == EAI_NONAME ? "no such name" : gai_strerror(rc));
		goto out;
	}
	pin->n = 0;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		what = outbound_addr_class(ai->ai_addr);
		if (what != NULL && !o->allow_private) {
			outbound_ntop(ai->ai_addr, text, sizeof(text));
			outbound_err(out, "refused: %s is %s address", text, what);
			out->refused = 1;
			goto out;
		}
		for (i = 0; i < pin->n; i++)
			if (outbound_addr_eq(ai->ai_addr, (struct sockaddr *)&pin->addr[i]))
				break;
		if (i == pin->n && pin->n < OUTBOUND_ADDRS_MAX &&
		    ai->ai_addrlen <= sizeof(pin->addr[0]))
			memcpy(&pin->addr[pin->n++], ai->ai_addr, ai->ai_addrlen);
	}
	if (pin->n == 0) {
		outbound_err(out, "could not resolve the host: no ip address");
		goto out;
	}
	result = 0;
out:
	if (res != NULL)
		freeaddrinfo(res);
	return result;
}

/* The CURLOPT_RESOLVE entry "host:port:addr[,addr...]" for a name. */
static int outbound_resolve_entry(const char *host, const char *port,
				  const struct outbound_pin *pin, char *dst, size_t dstsz)
{
	char text[INET6_ADDRSTRLEN];
	size_t len, i;
	int w;

	w = snprintf(dst, dstsz, "%s:%s:", host, port);
	if (w < 0 || (size_t)w >= dstsz)
		return -1;
	len = (size_t)w;
	for (i = 0; i < pin->n; i++) {
		const struct sockaddr *sa = (const struct sockaddr *)&pin->addr[i];

		outbound_ntop(sa, text, sizeof(text));
		w = snprintf(dst + len, dstsz - len, sa->sa_family == AF_INET6 ? "%s[%s]" : "%s%s",
			     i > 0 ? "," : "", text);
		if (w < 0 || (size_t)w >= dstsz - len)
			return -1;
		len += (size_t)w;
	}
	return 0;
}

int outbound_post(const char *url, const char *const *headers, size_t nheaders, const char *body,
		  size_t len, const struct outbound_opts *o, struct outbound_resp *out)
{
	static const struct outbound_opts defaults = {0};
	struct outbound_pin pin;
	struct outbound_sink sink;
	struct timespec t0;
	struct curl_slist *hdrs = NULL, *resolve = NULL, *tmp;
	CURLU *u = NULL;
	CURL *curl = NULL;
	CURLUcode uc;
	CURLcode rc;
	char *host = NULL, *port = NULL;
	char entry[OUTBOUND_RESOLVE_MAX], errbuf[CURL_ERROR_SIZE];
	const char *why_h;
	char why[128];
	long connect_ms, total_ms, status = 0;
	size_t i;
	int result = 0, r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(out, 0, sizeof(*out));
	memset(&pin, 0, sizeof(pin));
	memset(&sink, 0, sizeof(sink));
	errbuf[0] = '\0';
	if (o == NULL)
		o = &defaults;
	pin.allow_private = o->allow_private;
	sink.dst = out->body;

	/* 1. Nothing is sent unless the URL, the headers and the body pass. */
	out->refused = 1;
	if (!outbound_url_ok(url, o, why, sizeof(why))) {
		outbound_err(out, "refused: %s", why);
		goto out;
	}
	if (nheaders > OUTBOUND_HEADERS_MAX || (nheaders > 0 && headers == NULL)) {
		outbound_err(out, "refused: too many headers");
		goto out;
	}
	for (i = 0; i < nheaders; i++) {
		why_h = outbound_header_refusal(headers[i]);
		if (why_h != NULL) {
			outbound_err(out, "refused: %s", why_h);
			goto out;
		}
	}
	if ((body == NULL && len > 0) || len > OUTBOUND_BODY_MAX) {
		outbound_err(out, "refused: %s",
			     body == NULL ? "no body" : "body is larger than 1 MiB");
		goto out;
	}
	out->refused = 0;

	/* 2. The host and port libcurl will use, resolved and judged. */
	u = curl_url();
	if (u == NULL) {
		result = -1;
		goto nomem;
	}
	uc = curl_url_set(u, CURLUPART_URL, url, 0);
	if (uc == CURLUE_OK)
		uc = curl_url_get(u, CURLUPART_HOST, &host, 0);
	if (uc == CURLUE_OK)
		uc = curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
	if (uc == CURLUE_OUT_OF_MEMORY) {
		result = -1;
		goto nomem;
	}
	if (uc != CURLUE_OK) {
		out->refused = 1;
		outbound_err(out, "refused: url is malformed");
		goto out;
	}
	r = outbound_resolve(host, port, o, &pin, out);
	if (r != 0) {
		result = r < 0 ? -1 : 0;
		goto out;
	}
	if (host[0] != '[' && pin.n > 0) {
		struct in_addr a4;

		/* A name (not a literal): pin it to the addresses judged. */
		if (inet_pton(AF_INET, host, &a4) != 1) {
			if (outbound_resolve_entry(host, port, &pin, entry, sizeof(entry)) != 0) {
				outbound_err(out, "refused: host name is too long");
				out->refused = 1;
				goto out;
			}
			resolve = curl_slist_append(NULL, entry);
			if (resolve == NULL) {
				result = -1;
				goto nomem;
			}
		}
	}

	/* 3. One easy handle, httpc's hardening, pinned. */
	tmp = curl_slist_append(hdrs, "Content-Type: application/json");
	if (tmp == NULL) {
		result = -1;
		goto nomem;
	}
	hdrs = tmp;
	tmp = curl_slist_append(hdrs, "Expect:");
	if (tmp == NULL) {
		result = -1;
		goto nomem;
	}
	hdrs = tmp;
	for (i = 0; i < nheaders; i++) {
		tmp = curl_slist_append(hdrs, headers[i]);
		if (tmp == NULL) {
			result = -1;
			goto nomem;
		}
		hdrs = tmp;
	}
	curl = curl_easy_init();
	if (curl == NULL) {
		result = -1;
		goto nomem;
	}
	connect_ms =
	    o->connect_timeout_ms > 0 ? o->connect_timeout_ms : OUTBOUND_DEFAULT_CONNECT_TIMEOUT_MS;
	total_ms = o->timeout_ms > 0 ? o->timeout_ms : OUTBOUND_DEFAULT_TIMEOUT_MS;
	OUTBOUND_SETOPT(curl, CURLOPT_ERRORBUFFER, errbuf);
	OUTBOUND_SETOPT(curl, CURLOPT_URL, url);
	OUTBOUND_SETOPT(curl, CURLOPT_PROTOCOLS_STR,
			strncmp(url, "https:", 6) == 0 ? "https" : "http");
	OUTBOUND_SETOPT(curl, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	OUTBOUND_SETOPT(curl, CURLOPT_FOLLOWLOCATION, 0L);
	OUTBOUND_SETOPT(curl, CURLOPT_MAXREDIRS, 0L);
	OUTBOUND_SETOPT(curl, CURLOPT_PROXY, ""); /* never a proxy from the environment */
	OUTBOUND_SETOPT(curl, CURLOPT_NOSIGNAL, 1L);
	OUTBOUND_SETOPT(curl, CURLOPT_NOPROGRESS, 1L);
	OUTBOUND_SETOPT(curl, CURLOPT_VERBOSE, 0L);
	OUTBOUND_SETOPT(curl, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	OUTBOUND_SETOPT(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	OUTBOUND_SETOPT(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	OUTBOUND_SETOPT(curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	OUTBOUND_SETOPT(curl, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	OUTBOUND_SETOPT(curl, CURLOPT_TIMEOUT_MS, total_ms);
	OUTBOUND_SETOPT(curl, CURLOPT_USERAGENT, OUTBOUND_UA);
	OUTBOUND_SETOPT(curl, CURLOPT_FORBID_REUSE, 1L);
	if (resolve != NULL)
		OUTBOUND_SETOPT(curl, CURLOPT_RESOLVE, resolve);
	OUTBOUND_SETOPT(curl, CURLOPT_OPENSOCKETFUNCTION, outbound_open_socket);
	OUTBOUND_SETOPT(curl, CURLOPT_OPENSOCKETDATA, &pin);
	OUTBOUND_SETOPT(curl, CURLOPT_WRITEFUNCTION, outbound_write);
	OUTBOUND_SETOPT(curl, CURLOPT_WRITEDATA, &sink);
	OUTBOUND_SETOPT(curl, CURLOPT_POST, 1L);
	OUTBOUND_SETOPT(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	OUTBOUND_SETOPT(curl, CURLOPT_POSTFIELDS, len > 0 ? body : "");
	OUTBOUND_SETOPT(curl, CURLOPT_HTTPHEADER, hdrs);

	/* 4. The exchange; the status is kept even when the body was cut. */
	rc = curl_easy_perform(curl);
	if (curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK || status < 100)
		status = 0;
	out->status = status;
	sink.dst[sink.len] = '\0';
	outbound_printable(sink.dst, sink.len);
	if (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && sink.cut && status != 0))
		goto out;
	if (pin.stray && status == 0) {
		out->refused = 1;
		outbound_err(out, "refused: a connection to an address not checked");
		goto out;
	}
	if (rc == CURLE_OUT_OF_MEMORY)
		result = -1;
	outbound_err(out, "%s%s%s (curl %d)", outbound_curl_class(rc), errbuf[0] ? ": " : "",
		     errbuf[0] ? errbuf : curl_easy_strerror(rc), (int)rc);
	goto out;
nomem:
	outbound_err(out, "out of memory");
out:
	if (curl != NULL)
		curl_easy_cleanup(curl);
	curl_slist_free_all(hdrs);
	curl_slist_free_all(resolve);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	out->latency_ms = outbound_ms_since(&t0);
	return result;
}
