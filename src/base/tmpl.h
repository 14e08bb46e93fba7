/*
 * tmpl: Mustache-style templates rendered from a cJSON view model.
 *
 * Templates are compiled once (at start-up) into a flat node array and are
 * read-only afterwards; rendering walks the nodes and appends to a struct
 * buf without re-parsing and without allocating.
 *
 * Supported tags:
 *   {{name}}  {{a.b.c}}  {{.}}   variable, always HTML-escaped (html_escape)
 *   {{#name}}...{{/name}}        section
 *   {{^name}}...{{/name}}        inverted section
 *   {{! comment }}               comment
 *   {{> partial}}                another template of the same set
 * There is no unescaped output: {{{name}}} and {{&name}} are parse errors,
 * as is the set-delimiter tag {{=...=}}.  Names are made of A-Z a-z 0-9
 * _ - and dots (no empty dotted parts); whitespace inside the braces is
 * ignored.
 *
 * Values: strings are escaped; numbers that are integral (|x| < 1e21) print
 * without a decimal point, others with %g; true/false print as
 * "true"/"false"; null, missing, arrays and objects print nothing.
 * Sections: missing, null, false, "" and [] skip the body; an array renders
 * it once per element with the element pushed on the context stack; any
 * other value (object, true, number including 0, non-empty string) renders
 * it once with the value pushed.  Inverted sections render exactly when a
 * section would not.  A name is looked up from the innermost context
 * outwards; in a dotted name only the first part is looked up that way and
 * the rest descends from it (a broken chain is missing).
 *
 * Hooks: a view item made with tmpl_hook_set() is code, not data.  As a
 * variable or as a section it renders by calling its write(), which
 * appends its own bytes (the section's body is not rendered); an inverted
 * section over a hook renders nothing.  A hook must escape whatever data it
 * writes (html_escape): it is the one way around the escaping, kept for
 * parts of a page that are rendered elsewhere (the Client Accounts rows,
 * held rendered by the page cache) or filled in per request.
 *
 * Section, inverted, closing, comment and partial tags that stand alone on
 * a line (only spaces/tabs around them) remove that whole line, newline
 * included.  Partials are not re-indented.  Partials nest at most
 * TMPL_PARTIAL_DEPTH deep (which stops recursion), sections at most
 * TMPL_NEST_MAX deep per template.
 *
 * Error messages have the form "template 'NAME' line N: what failed".
 */
#ifndef JS_TMPL_H
#define JS_TMPL_H

#include <stddef.h>

#include <cJSON.h>

#include "buf.h"

#define TMPL_PARTIAL_DEPTH 16 /* max nesting of {{> partial}} at render time */
#define TMPL_NEST_MAX	   32 /* max nesting of sections within one template */
#define TMPL_SRC_MAX	   ((size_t)4 * 1024 * 1024) /* max template source size */

struct tmpl_hook {
	/* append this spot's bytes to out: 0, or -1 (out refused them) */
	int (*write)(const struct tmpl_hook *h, struct buf *out);
};

/* Make item (a cJSON node the caller owns and keeps alive, with h, until
 * the render is done) the hook h.  cJSON_Delete() leaves h alone. */
static inline void tmpl_hook_set(cJSON *item, const struct tmpl_hook *h)
{
	item->type = cJSON_Raw | cJSON_IsReference;
	item->valuestring = (char *)(void *)h;
	item->child = NULL;
}

/*
 * A set of compiled templates, looked up by name.  Read-only once loaded:
 * tmpl_render() may be called on one set from many threads at once, but
 * tmpl_set_add() must not run concurrently with anything else on the set.
 */
struct tmpl_set;

/*
 * Allocate an empty set.  Returns NULL on OOM.  The caller frees it with
 * tmpl_set_free().
 */
struct tmpl_set *tmpl_set_new(void);

/*
 * Compile src under name and add it to set.  name must be 1-255 of
 * A-Z a-z 0-9 _ - . and not already in the set; src must be at most
 * TMPL_SRC_MAX bytes.  src is copied.  Partials are not checked here (they
 * may name templates added later); an unknown one fails at render time.
 * Returns 0, or -1 with a message in err (err may be NULL; errlen is its
 * size) and the set unchanged.
 */
int tmpl_set_add(struct tmpl_set *set, const char *name, const char *src, char *err, size_t errlen);

/*
 * Load every regular file named NAME.html directly in dir (not recursive;
 * other files and dot-files are ignored) as template NAME, compile them all,
 * then check that every {{> partial}} names a loaded template.
 * On success stores a new set in *out (caller frees with tmpl_set_free())
 * and returns 0.  On failure returns -1 with *out NULL and a message in err
 * naming the file or template and line.
 */
int tmpl_set_load(struct tmpl_set **out, const char *dir, char *err, size_t errlen);

/*
 * Render template name with view as the root context (view may be NULL),
 * appending to out.  Returns 0, or -1 with a message in err when the
 * template or a partial is unknown, partials nest deeper than
 * TMPL_PARTIAL_DEPTH, or out refused an append (full or OOM); on error out
 * is truncated back to its length before the call.  Allocates nothing
 * except inside out.  Safe to call concurrently on a shared set.
 */
int tmpl_render(const struct tmpl_set *set, const char *name, const cJSON *view, struct buf *out,
		char *err, size_t errlen);

/* Free a set and all its templates; NULL is ignored. */
void tmpl_set_free(struct tmpl_set *set);

#endif
