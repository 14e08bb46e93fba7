/*
 * libFuzzer target for tmpl.c and html.c.
 *
 * Input: template source, optionally followed by a NUL byte and a JSON view.
 * The source is compiled as "t" and also as "p" (so {{>p}} recurses), then
 * rendered into a size-capped buffer; the escaper and URL encoder also get
 * the raw bytes.
 *
 * Then the contracts of tmpl.h and html.h are checked: html_escape_n()
 * leaves none of & < > " ' unescaped and only well-formed UTF-8;
 * html_url_encode() leaves only unreserved characters and %XX; a failed
 * render leaves the buffer as it was before the call; and since every value
 * is escaped, a source without '<' renders without '<' whatever the view.
 */
#include <string.h>

#include <cJSON.h>

#include "buf.h"
#include "fuzz.h"
#include "html.h"
#include "req.h"
#include "tmpl.h"

#define PREFIX "<!-- before -->"

/* html_escape's output: no markup character, & only in an entity. */
static void escaped_check(const char *s, size_t n)
{
	static const char *const ent[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};

	FUZZ_CHECK(n == 0 || req_utf8_valid(s, n));
	for (size_t i = 0; i < n; i++) {
		size_t k;

		FUZZ_CHECK(s[i] != '<' && s[i] != '>' && s[i] != '"' && s[i] != '\'');
		if (s[i] != '&')
			continue;
		for (k = 0; k < sizeof(ent) / sizeof(ent[0]); k++)
			if (strncmp(s + i, ent[k], strlen(ent[k])) == 0)
				break;
		FUZZ_CHECK(k < sizeof(ent) / sizeof(ent[0]));
	}
}

static int upper_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

/* html_url_encode's output for in: unreserved characters and %XX, one
 * for each byte of in. */
static void urlencoded_check(const char *s, size_t n, const char *in)
{
	size_t bytes = 0;

	for (size_t i = 0; i < n; i++, bytes++) {
		char c = s[i];

		if (c == '%') {
			FUZZ_CHECK(i + 2 < n && upper_hex(s[i + 1]) && upper_hex(s[i + 2]));
			i += 2;
			continue;
		}
		FUZZ_CHECK((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			   (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~');
	}
	FUZZ_CHECK(bytes == strlen(in));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tmpl_set *set = NULL;
	cJSON *view = NULL;
	struct buf out;
	char *copy, *json, err[256];
	size_t srclen;

	buf_init(&out, (size_t)1 << 20);
	copy = malloc(size + 1);
	if (copy == NULL)
		goto out;
	memcpy(copy, data, size);
	copy[size] = '\0';
	srclen = strlen(copy);
	json = srclen < size ? copy + srclen + 1 : NULL;

	if (html_escape_n(&out, (const char *)data, size) == 0)
		escaped_check(out.data, out.len);
	buf_reset(&out);
	if (html_url_encode(&out, copy) == 0)
		urlencoded_check(out.data != NULL ? out.data : "", out.len, copy);
	buf_reset(&out);

	if (json != NULL)
		view = cJSON_Parse(json);
	set = tmpl_set_new();
	if (set == NULL)
		goto out;
	if (tmpl_set_add(set, "t", copy, err, sizeof(err)) < 0)
		goto out;
	(void)tmpl_set_add(set, "p", copy, err, sizeof(err));
	if (buf_puts(&out, PREFIX) < 0)
		goto out;
	if (tmpl_render(set, "t", view, &out, err, sizeof(err)) < 0) {
		FUZZ_CHECK(out.len == strlen(PREFIX) && strcmp(out.data, PREFIX) == 0);
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL && err[0] != '\0');
	} else if (strchr(copy, '<') == NULL) {
		FUZZ_CHECK(memchr(out.data + strlen(PREFIX), '<', out.len - strlen(PREFIX)) ==
			   NULL);
	}
out:
	tmpl_set_free(set);
	cJSON_Delete(view);
	buf_free(&out);
	free(copy);
	return 0;
}
