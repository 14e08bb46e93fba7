/*
 * libFuzzer target for tmpl.c and html.c.
 *
 * Input: template source, optionally followed by a NUL byte and a JSON view.
 * The source is compiled as "t" and also as "p" (so {{>p}} recurses), then
 * rendered into a size-capped buffer; the escaper and URL encoder also get
 * the raw bytes.  Build:
 *   clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *     $(pkg-config --cflags libcjson) tests/fuzz/fuzz_tmpl.c src/tmpl.c \
 *     src/html.c src/buf.c $(pkg-config --libs libcjson) -o /tmp/fuzz_tmpl
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "buf.h"
#include "html.h"
#include "tmpl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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

	(void)html_escape_n(&out, (const char *)data, size);
	(void)html_url_encode(&out, copy);
	buf_reset(&out);

	if (json != NULL)
		view = cJSON_Parse(json);
	set = tmpl_set_new();
	if (set == NULL)
		goto out;
	if (tmpl_set_add(set, "t", copy, err, sizeof(err)) < 0)
		goto out;
	(void)tmpl_set_add(set, "p", copy, err, sizeof(err));
	(void)tmpl_render(set, "t", view, &out, err, sizeof(err));
out:
	tmpl_set_free(set);
	cJSON_Delete(view);
	buf_free(&out);
	free(copy);
	return 0;
}
