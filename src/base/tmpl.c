/*
 * tmpl: Mustache-style templates compiled once, rendered from cJSON.
 * See tmpl.h for the language.
 *
 * Each template keeps a private copy of its source and a flat array of
 * nodes.  Text nodes point into the source; name nodes own a block holding
 * the name as written followed by a copy with every '.' turned into a NUL,
 * so a dotted lookup walks pre-split C strings.  A section node records the
 * index just past its body, so rendering a section is a recursive call on
 * a node range and skipping one is a jump.
 */
#define _POSIX_C_SOURCE 200809L

#include "tmpl.h"
#include "decimal.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "html.h"

#define TMPL_NAME_MAX 255 /* template and tag name length limit */
#define TMPL_CTX_MAX  ((TMPL_PARTIAL_DEPTH + 1) * (TMPL_NEST_MAX + 1) + 1)

enum tmpl_node_type {
	TMPL_NODE_TEXT,
	TMPL_NODE_VAR,
	TMPL_NODE_SECTION,
	TMPL_NODE_INVERTED,
	TMPL_NODE_PARTIAL,
};

struct tmpl_node {
	enum tmpl_node_type type;
	unsigned line;	   /* line of the tag in the source, from 1 */
	const char *text;  /* TEXT: bytes in the template's source */
	size_t len;	   /* TEXT: byte count */
	char *name;	   /* tags: the name as written (owned block) */
	const char *parts; /* VAR/SECTION/INVERTED: name split on '.', inside the block */
	size_t nparts;	   /* 0 for "." (the current context) */
	uint32_t hash;	   /* tmpl_hash() of parts (its first part) */
	size_t end;	   /* SECTION/INVERTED: index of the first node after the body */
};

struct tmpl {
	char *name;
	char *src;
	struct tmpl_node *nodes;
	size_t nnodes;
	size_t cap;
};

struct tmpl_set {
	struct tmpl *tmpls;
	size_t n;
	size_t cap;
};

struct tmpl_parser {
	struct tmpl *t;
	char *err;
	size_t errlen;
	size_t line_pos; /* source offset up to which newlines were counted */
	unsigned line;	 /* line number at line_pos */
	size_t stack[TMPL_NEST_MAX];
	size_t nstack;
};

/* FNV-1a of the string s: a tag's first name part, an object member's key. */
static uint32_t tmpl_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

/*
 * Where a tag's name was last found: its position among the members of the
 * innermost object context.  Rows of a table are objects built alike, so
 * the next row has the same member at the same position; a hit is checked
 * by the member's key pointer (keys of objects built by the same code are
 * the same string constants), a miss falls back to the full lookup.
 */
#define TMPL_HINTS 128
#define TMPL_KIDS  64
struct tmpl_hint {
	const struct tmpl_node *nd;
	const char *key;
	size_t pos;
};

#define TMPL_NO_OBJ ((size_t)-1)

/*
 * The members of the view itself (the page's own fields, 40 or more) by the
 * hash of their keys, built at the first tag that looks there: a page
 * renders each of its tags once, so their hints never hit, and a tag found
 * in the view, or in none of the contexts, scanned all of the view's
 * members.  Only the first member of a key is entered (as tmpl_member
 * finds it); a view of more than TMPL_ROOT_MAX members is scanned.
 */
#define TMPL_ROOT_MAX	64
#define TMPL_ROOT_SLOTS 128 /* a power of two, at least twice TMPL_ROOT_MAX */
#define TMPL_ROOT_MIN	8   /* fewer members: a scan is as quick */
struct tmpl_root_slot {
	const cJSON *member; /* NULL: empty */
	uint32_t hash;
	uint32_t pos;
};

struct tmpl_render_state {
	const struct tmpl_set *set;
	struct buf *out;
	char *err;
	size_t errlen;
	int depth;
	size_t nctx;
	size_t top_obj; /* index in ctx of the innermost object, or TMPL_NO_OBJ */
	const cJSON *ctx[TMPL_CTX_MAX];
	struct tmpl_hint hints[TMPL_HINTS];
	/* the first members of one object by position, for hints to index:
	 * filled once per row instead of walking the list on every tag */
	const cJSON *kids_of;
	size_t nkids;
	const cJSON *kids[TMPL_KIDS];
	/* ctx[0]'s members by key: 0 not built yet, 1 built, -1 not used */
	int root_index;
	struct tmpl_root_slot root[TMPL_ROOT_SLOTS];
};

static void tmpl_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void tmpl_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int tmpl_name_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

/* 1 when name (n bytes) is a valid template name. */
static int tmpl_valid_tmpl_name(const char *name, size_t n)
{
	size_t i;

	if (n == 0 || n > TMPL_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!tmpl_name_char((unsigned char)name[i]))
			return 0;
	return 1;
}

static void tmpl_free_tmpl(struct tmpl *t)
{
	size_t i;

	for (i = 0; i < t->nnodes; i++)
		free(t->nodes[i].name);
	free(t->nodes);
	free(t->src);
	free(t->name);
	memset(t, 0, sizeof(*t));
}

static const struct tmpl *tmpl_find(const struct tmpl_set *set, const char *name)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (strcmp(set->tmpls[i].name, name) == 0)
			return &set->tmpls[i];
	return NULL;
}

/* Line number of source offset pos (pos never moves backwards). */
static unsigned tmpl_line_at(struct tmpl_parser *p, size_t pos)
{
	const char *s = p->t->src;

	for (; p->line_pos < pos; p->line_pos++)
		if (s[p->line_pos] == '\n')
			p->line++;
	return p->line;
}

/* Append a zeroed node; returns it, or NULL on OOM (message set). */
static struct tmpl_node *tmpl_node_add(struct tmpl_parser *p, enum tmpl_node_type type,
				       unsigned line)
{
	struct tmpl *t = p->t;
	struct tmpl_node *nodes, *nd;
	size_t ncap;

	if (t->nnodes == t->cap) {
		ncap = t->cap ? t->cap * 2 : 16;
		nodes = realloc(t->nodes, ncap * sizeof(*nodes));
		if (nodes == NULL) {
			tmpl_errf(p->err, p->errlen, "template '%s': out of memory", t->name);
			return NULL;
		}
		t->nodes = nodes;
		t->cap = ncap;
	}
	nd = &t->nodes[t->nnodes++];
	memset(nd, 0, sizeof(*nd));
	nd->type = type;
	nd->line = line;
	return nd;
}

static int tmpl_add_text(struct tmpl_parser *p, size_t start, size_t end)
{
	struct tmpl_node *nd;

	if (end <= start)
		return 0;
	nd = tmpl_node_add(p, TMPL_NODE_TEXT, 0);
	if (nd == NULL)
		return -1;
	nd->text = p->t->src + start;
	nd->len = end - start;
	return 0;
}

/*
 * Check the tag name s (n bytes, already trimmed) and store it in nd.
 * Partial names are template names; other names may be "." or dotted.
 */
static int tmpl_node_name(struct tmpl_parser *p, struct tmpl_node *nd, const char *s, size_t n)
{
	const char *what = NULL;
	char *block, *split;
	size_t i;

	if (n == 0)
		what = "empty tag name";
	else if (n > TMPL_NAME_MAX)
		what = "tag name too long";
	for (i = 0; what == NULL && i < n; i++)
		if (!tmpl_name_char((unsigned char)s[i]))
			what = "invalid character in tag name";
	if (what == NULL && nd->type != TMPL_NODE_PARTIAL && !(n == 1 && s[0] == '.')) {
		if (s[0] == '.' || s[n - 1] == '.')
			what = "empty part in dotted name";
		for (i = 1; what == NULL && i < n; i++)
			if (s[i] == '.' && s[i - 1] == '.')
				what = "empty part in dotted name";
	}
	if (what != NULL) {
		tmpl_errf(p->err, p->errlen, "template '%s' line %u: %s", p->t->name, nd->line,
			  what);
		return -1;
	}
	block = malloc(2 * (n + 1));
	if (block == NULL) {
		tmpl_errf(p->err, p->errlen, "template '%s': out of memory", p->t->name);
		return -1;
	}
	memcpy(block, s, n);
	block[n] = '\0';
	split = block + n + 1;
	memcpy(split, block, n + 1);
	nd->name = block;
	nd->parts = split;
	if (n == 1 && s[0] == '.') {
		nd->nparts = 0;
		return 0;
	}
	nd->nparts = 1;
	for (i = 0; i < n; i++) {
		if (split[i] == '.') {
			split[i] = '\0';
			nd->nparts++;
		}
	}
	nd->hash = tmpl_hash(split);
	return 0;
}

static int tmpl_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int tmpl_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Compile p->t->src into p->t->nodes.  0 ok, -1 with message. */
static int tmpl_parse(struct tmpl_parser *p)
{
	struct tmpl *t = p->t;
	const char *src = t->src, *open, *close, *sigils = "#^/!>";
	struct tmpl_node *nd, *top;
	size_t text_start = 0, ts, body, te, nb, ne, text_end, next, i, j;
	unsigned line;
	char sigil;
	int result = -1;

	for (;;) {
		open = strstr(src + text_start, "{{");
		if (open == NULL) {
			if (tmpl_add_text(p, text_start, strlen(src)) < 0)
				goto out;
			break;
		}
		ts = (size_t)(open - src);
		line = tmpl_line_at(p, ts);
		sigil = src[ts + 2];
		if (sigil == '{' || sigil == '&') {
			tmpl_errf(p->err, p->errlen,
				  "template '%s' line %u: unescaped output '{{%c' is not allowed",
				  t->name, line, sigil);
			goto out;
		}
		if (sigil == '=') {
			tmpl_errf(p->err, p->errlen,
				  "template '%s' line %u: set-delimiter tags are not supported",
				  t->name, line);
			goto out;
		}
		if (sigil == '\0' || strchr(sigils, sigil) == NULL)
			sigil = '\0';
		body = ts + 2 + (sigil ? 1 : 0);
		close = strstr(src + body, "}}");
		if (close == NULL) {
			tmpl_errf(p->err, p->errlen, "template '%s' line %u: unclosed tag '{{'",
				  t->name, line);
			goto out;
		}
		te = (size_t)(close - src) + 2;
		nb = body;
		ne = te - 2;
		while (nb < ne && tmpl_is_space(src[nb]))
			nb++;
		while (ne > nb && tmpl_is_space(src[ne - 1]))
			ne--;

		/* A standalone tag takes its whole line with it. */
		text_end = ts;
		next = te;
		if (sigil != '\0') {
			i = ts;
			while (i > text_start && tmpl_is_blank(src[i - 1]))
				i--;
			j = te;
			while (tmpl_is_blank(src[j]))
				j++;
			if (i == 0 || src[i - 1] == '\n') {
				if (src[j] == '\n' || src[j] == '\0') {
					text_end = i;
					next = j + (src[j] == '\n');
				} else if (src[j] == '\r' && src[j + 1] == '\n') {
					text_end = i;
					next = j + 2;
				}
			}
		}
		if (tmpl_add_text(p, text_start, text_end) < 0)
			goto out;

		switch (sigil) {
		case '!':
			break;
		case '/':
			if (p->nstack == 0) {
				tmpl_errf(p->err, p->errlen,
					  "template '%s' line %u: closing tag '%.*s' without an "
					  "open section",
					  t->name, line, (int)(ne - nb), src + nb);
				goto out;
			}
			top = &t->nodes[p->stack[p->nstack - 1]];
			if (strlen(top->name) != ne - nb ||
			    memcmp(top->name, src + nb, ne - nb) != 0) {
				tmpl_errf(
				    p->err, p->errlen,
				    "template '%s' line %u: closing tag '%.*s' does not match "
				    "section '%s' opened on line %u",
				    t->name, line, (int)(ne - nb), src + nb, top->name, top->line);
				goto out;
			}
			top->end = t->nnodes;
			p->nstack--;
			break;
		default:
			nd = tmpl_node_add(p,
					   sigil == '#'	  ? TMPL_NODE_SECTION
					   : sigil == '^' ? TMPL_NODE_INVERTED
					   : sigil == '>' ? TMPL_NODE_PARTIAL
							  : TMPL_NODE_VAR,
					   line);
			if (nd == NULL)
				goto out;
			if (tmpl_node_name(p, nd, src + nb, ne - nb) < 0)
				goto out;
			if (sigil == '#' || sigil == '^') {
				if (p->nstack == TMPL_NEST_MAX) {
					tmpl_errf(p->err, p->errlen,
						  "template '%s' line %u: sections nested deeper "
						  "than %d",
						  t->name, line, TMPL_NEST_MAX);
					goto out;
				}
				p->stack[p->nstack++] = t->nnodes - 1;
			}
			break;
		}
		text_start = next;
	}
	if (p->nstack > 0) {
		top = &t->nodes[p->stack[p->nstack - 1]];
		tmpl_errf(p->err, p->errlen, "template '%s' line %u: unclosed section '%s'",
			  t->name, top->line, top->name);
		goto out;
	}
	result = 0;
out:
	return result;
}

struct tmpl_set *tmpl_set_new(void)
{
	return calloc(1, sizeof(struct tmpl_set));
}

int tmpl_set_add(struct tmpl_set *set, const char *name, const char *src, char *err, size_t errlen)
{
	struct tmpl_parser p;
	struct tmpl t, *tmpls;
	size_t nlen, slen, ncap;
	int result = -1;

	memset(&t, 0, sizeof(t));
	if (set == NULL || name == NULL || src == NULL) {
		tmpl_errf(err, errlen, "tmpl_set_add: missing argument");
		goto out;
	}
	nlen = strlen(name);
	if (!tmpl_valid_tmpl_name(name, nlen)) {
		tmpl_errf(err, errlen, "invalid template name '%.64s'", name);
		goto out;
	}
	if (tmpl_find(set, name) != NULL) {
		tmpl_errf(err, errlen, "template '%s' already exists", name);
		goto out;
	}
	slen = strlen(src);
	if (slen > TMPL_SRC_MAX) {
		tmpl_errf(err, errlen, "template '%s' is larger than %zu bytes", name,
			  TMPL_SRC_MAX);
		goto out;
	}
	t.name = malloc(nlen + 1);
	t.src = malloc(slen + 1);
	if (t.name == NULL || t.src == NULL) {
		tmpl_errf(err, errlen, "template '%s': out of memory", name);
		goto out;
	}
	memcpy(t.name, name, nlen + 1);
	memcpy(t.src, src, slen + 1);

	memset(&p, 0, sizeof(p));
	p.t = &t;
	p.err = err;
	p.errlen = errlen;
	p.line = 1;
	if (tmpl_parse(&p) < 0)
		goto out;

	if (set->n == set->cap) {
		ncap = set->cap ? set->cap * 2 : 16;
		tmpls = realloc(set->tmpls, ncap * sizeof(*tmpls));
		if (tmpls == NULL) {
			tmpl_errf(err, errlen, "template '%s': out of memory", name);
			goto out;
		}
		set->tmpls = tmpls;
		set->cap = ncap;
	}
	set->tmpls[set->n++] = t;
	memset(&t, 0, sizeof(t));
	result = 0;
out:
	tmpl_free_tmpl(&t);
	return result;
}

static int tmpl_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read the regular file path (at most TMPL_SRC_MAX bytes, no NUL) into *out. */
static int tmpl_read_file(const char *path, char **out, char *err, size_t errlen)
{
	struct stat st;
	FILE *f = NULL;
	char *data = NULL;
	size_t size, got;
	int result = -1;

	*out = NULL;
	f = fopen(path, "rb");
	if (f == NULL) {
		tmpl_errf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fileno(f), &st) < 0) {
		tmpl_errf(err, errlen, "cannot stat %s: %s", path, strerror(errno));
		goto out;
	}
	if (st.st_size < 0 || (unsigned long long)st.st_size > TMPL_SRC_MAX) {
		tmpl_errf(err, errlen, "%s is larger than %zu bytes", path, TMPL_SRC_MAX);
		goto out;
	}
	size = (size_t)st.st_size;
	data = malloc(size + 1);
	if (data == NULL) {
		tmpl_errf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	got = fread(data, 1, size, f);
	if (got != size || ferror(f)) {
		tmpl_errf(err, errlen, "cannot read %s", path);
		goto out;
	}
	data[size] = '\0';
	if (memchr(data, '\0', size) != NULL) {
		tmpl_errf(err, errlen, "%s contains a NUL byte", path);
		goto out;
	}
	*out = data;
	data = NULL;
	result = 0;
out:
	free(data);
	if (f != NULL)
		fclose(f);
	return result;
}

/* Check that every partial in set names a template of set. */
static int tmpl_check_partials(const struct tmpl_set *set, char *err, size_t errlen)
{
	const struct tmpl *t;
	size_t i, k;

	for (i = 0; i < set->n; i++) {
		t = &set->tmpls[i];
		for (k = 0; k < t->nnodes; k++) {
			if (t->nodes[k].type != TMPL_NODE_PARTIAL)
				continue;
			if (tmpl_find(set, t->nodes[k].name) == NULL) {
				tmpl_errf(err, errlen,
					  "template '%s' line %u: unknown partial '%s'", t->name,
					  t->nodes[k].line, t->nodes[k].name);
				return -1;
			}
		}
	}
	return 0;
}

int tmpl_set_load(struct tmpl_set **out, const char *dir, char *err, size_t errlen)
{
	struct tmpl_set *set = NULL;
	struct dirent *de;
	struct stat st;
	DIR *d = NULL;
	char **names = NULL, **nn, *src = NULL, path[4096];
	size_t nnames = 0, cap = 0, len, i;
	int n, result = -1;

	*out = NULL;
	d = opendir(dir);
	if (d == NULL) {
		tmpl_errf(err, errlen, "cannot open template directory %s: %s", dir,
			  strerror(errno));
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= 5 || strcmp(de->d_name + len - 5, ".html") != 0)
			continue;
		if (nnames == cap) {
			cap = cap ? cap * 2 : 32;
			nn = realloc(names, cap * sizeof(*names));
			if (nn == NULL) {
				tmpl_errf(err, errlen, "out of memory");
				goto out;
			}
			names = nn;
		}
		names[nnames] = strdup(de->d_name);
		if (names[nnames] == NULL) {
			tmpl_errf(err, errlen, "out of memory");
			goto out;
		}
		nnames++;
	}
	if (nnames > 1)
		qsort(names, nnames, sizeof(*names), tmpl_cmp_str);

	set = tmpl_set_new();
	if (set == NULL) {
		tmpl_errf(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < nnames; i++) {
		n = snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			tmpl_errf(err, errlen, "template path too long in %s", dir);
			goto out;
		}
		if (stat(path, &st) < 0) {
			tmpl_errf(err, errlen, "cannot stat %s: %s", path, strerror(errno));
			goto out;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		len = strlen(names[i]) - 5;
		names[i][len] = '\0';
		if (!tmpl_valid_tmpl_name(names[i], len)) {
			tmpl_errf(err, errlen, "%s: invalid template name", path);
			goto out;
		}
		if (tmpl_read_file(path, &src, err, errlen) < 0)
			goto out;
		if (tmpl_set_add(set, names[i], src, err, errlen) < 0)
			goto out;
		free(src);
		src = NULL;
	}
	if (tmpl_check_partials(set, err, errlen) < 0)
		goto out;
	*out = set;
	set = NULL;
	result = 0;
out:
	free(src);
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	if (d != NULL)
		closedir(d);
	tmpl_set_free(set);
	return result;
}

void tmpl_set_free(struct tmpl_set *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++)
		tmpl_free_tmpl(&set->tmpls[i]);
	free(set->tmpls);
	free(set);
}

/* cJSON type test without a library call (as cJSON_IsObject() etc. do). */
#define TMPL_IS(v, t) ((v) != NULL && ((v)->type & 0xFF) == (t))

/* The first member of obj named key, or NULL; *pos gets its position. */
static const cJSON *tmpl_member(const cJSON *obj, const char *key, size_t *pos)
{
	const cJSON *c;
	size_t i = 0;

	for (c = obj->child; c != NULL; c = c->next, i++)
		if (c->string != NULL && c->string[0] == key[0] && strcmp(c->string, key) == 0) {
			*pos = i;
			return c;
		}
	return NULL;
}

/* Build r->root from ctx[0] (an object), or mark it not used. */
static void tmpl_root_build(struct tmpl_render_state *r)
{
	const cJSON *c;
	uint32_t i = 0;

	r->root_index = -1;
	for (c = r->ctx[0]->child; c != NULL; c = c->next)
		if (++i > TMPL_ROOT_MAX)
			return;
	if (i < TMPL_ROOT_MIN)
		return;
	for (i = 0; i < TMPL_ROOT_SLOTS; i++)
		r->root[i].member = NULL;
	for (c = r->ctx[0]->child, i = 0; c != NULL; c = c->next, i++) {
		uint32_t h, at;

		if (c->string == NULL)
			continue;
		h = tmpl_hash(c->string);
		for (at = h & (TMPL_ROOT_SLOTS - 1); r->root[at].member != NULL;
		     at = (at + 1) & (TMPL_ROOT_SLOTS - 1))
			if (r->root[at].hash == h &&
			    strcmp(r->root[at].member->string, c->string) == 0)
				break; /* a later member of the same key: the first stays */
		if (r->root[at].member == NULL)
			r->root[at] = (struct tmpl_root_slot){.member = c, .hash = h, .pos = i};
	}
	r->root_index = 1;
}

/* The first member of the view (ctx[0], an object) named by nd's first
 * part, as tmpl_member() finds it; *pos gets its position. */
static const cJSON *tmpl_root_member(struct tmpl_render_state *r, const struct tmpl_node *nd,
				     size_t *pos)
{
	uint32_t at;

	if (r->root_index == 0)
		tmpl_root_build(r);
	if (r->root_index < 0)
		return tmpl_member(r->ctx[0], nd->parts, pos);
	for (at = nd->hash & (TMPL_ROOT_SLOTS - 1); r->root[at].member != NULL;
	     at = (at + 1) & (TMPL_ROOT_SLOTS - 1))
		if (r->root[at].hash == nd->hash &&
		    strcmp(r->root[at].member->string, nd->parts) == 0) {
			*pos = r->root[at].pos;
			return r->root[at].member;
		}
	return NULL;
}

/* The full lookup of a name node (after its hint missed); records where
 * the name was found for the next row. */
static __attribute__((noinline)) const cJSON *
tmpl_lookup_slow(struct tmpl_render_state *r, const struct tmpl_node *nd, struct tmpl_hint *h)
{
	const cJSON *v = NULL, *c;
	const char *part = nd->parts;
	size_t k, i, pos = 0;

	for (k = r->nctx; v == NULL && k-- > 0;) {
		c = r->ctx[k];
		if (TMPL_IS(c, cJSON_Object)) {
			v = k == 0 ? tmpl_root_member(r, nd, &pos) : tmpl_member(c, part, &pos);
			if (v != NULL && k == r->top_obj) {
				h->nd = nd;
				h->key = v->string;
				h->pos = pos;
			}
		}
	}
	for (i = 1; v != NULL && i < nd->nparts; i++) {
		part += strlen(part) + 1;
		v = TMPL_IS(v, cJSON_Object) ? tmpl_member(v, part, &pos) : NULL;
	}
	return v;
}

/* Resolve a name node against the context stack; NULL when missing.  The
 * hint is tried inline; only a miss pays for the full lookup. */
static inline const cJSON *tmpl_lookup(struct tmpl_render_state *r, const struct tmpl_node *nd)
{
	struct tmpl_hint *h;

	if (nd->nparts == 0)
		return r->ctx[r->nctx - 1];
	h = &r->hints[((uintptr_t)nd / sizeof(*nd)) % TMPL_HINTS];
	if (h->nd == nd && r->top_obj != TMPL_NO_OBJ && nd->nparts == 1) {
		const cJSON *o = r->ctx[r->top_obj], *c;

		if (r->kids_of != o) {
			r->nkids = 0;
			for (c = o->child; c != NULL && r->nkids < TMPL_KIDS; c = c->next)
				r->kids[r->nkids++] = c;
			r->kids_of = o;
		}
		if (h->pos < r->nkids && r->kids[h->pos]->string == h->key)
			return r->kids[h->pos];
	}
	return tmpl_lookup_slow(r, nd, h);
}

/* Mustache truthiness, with numbers (0 included) true. */
static int tmpl_truthy(const cJSON *v)
{
	if (v == NULL)
		return 0;
	switch (v->type & 0xFF) {
	case cJSON_Invalid:
	case cJSON_NULL:
	case cJSON_False:
		return 0;
	case cJSON_Array:
		return v->child != NULL;
	case cJSON_String:
		return v->valuestring != NULL && v->valuestring[0] != '\0';
	default:
		return 1;
	}
}

/* Append a number: integral values without a decimal point, others %g. */
static int tmpl_put_number(struct buf *out, double d)
{
	char tmp[64], *p;
	long long ll;
	int n;

	/* Most numbers are ids and counts: format those without printf. */
	if (d >= -9e18 && d <= 9e18 && d == (double)(ll = (long long)d)) {
		p = decimal_ll(ll, tmp + sizeof(tmp));
		return buf_append(out, p, (size_t)(tmp + sizeof(tmp) - p));
	}
	/* Doubles beyond 2^53 have no fraction; print them whole below 1e21. */
	if ((d > 9e18 && d < 1e21) || (d < -9e18 && d > -1e21))
		n = snprintf(tmp, sizeof(tmp), "%.0f", d);
	else
		n = snprintf(tmp, sizeof(tmp), "%g", d);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -1;
	return buf_append(out, tmp, (size_t)n);
}

/* The hook v is (tmpl_hook_set), or NULL: a cJSON_Raw item made any other
 * way is data and renders nothing. */
static const struct tmpl_hook *tmpl_hook_of(const cJSON *v)
{
	return TMPL_IS(v, cJSON_Raw) && (v->type & cJSON_IsReference) && v->valuestring != NULL
		   ? (const struct tmpl_hook *)(const void *)v->valuestring
		   : NULL;
}

static int tmpl_put_value(struct buf *out, const cJSON *v)
{
	const struct tmpl_hook *h;

	if (v == NULL)
		return 0;
	switch (v->type & 0xFF) {
	case cJSON_Raw:
		h = tmpl_hook_of(v);
		return h != NULL ? h->write(h, out) : 0;
	case cJSON_String:
		return html_escape(out, v->valuestring);
	case cJSON_Number:
		return tmpl_put_number(out, v->valuedouble);
	case cJSON_True:
		return buf_append(out, "true", 4);
	case cJSON_False:
		return buf_append(out, "false", 5);
	default:
		return 0;
	}
}

static int tmpl_out_err(struct tmpl_render_state *r, const struct tmpl *t)
{
	tmpl_errf(r->err, r->errlen, "template '%s': %s", t->name,
		  r->out->oom ? "out of memory" : "output larger than the buffer limit");
	return -1;
}

static int tmpl_render_range(struct tmpl_render_state *r, const struct tmpl *t, size_t begin,
			     size_t end);

/* Render the body of section nd with v pushed on the context stack. */
static int tmpl_render_with(struct tmpl_render_state *r, const struct tmpl *t, size_t at,
			    const cJSON *v)
{
	int rc;

	if (r->nctx == TMPL_CTX_MAX) {
		tmpl_errf(r->err, r->errlen, "template '%s' line %u: context stack too deep",
			  t->name, t->nodes[at].line);
		return -1;
	}
	size_t top = r->top_obj;

	if (TMPL_IS(v, cJSON_Object))
		r->top_obj = r->nctx;
	r->ctx[r->nctx++] = v;
	rc = tmpl_render_range(r, t, at + 1, t->nodes[at].end);
	r->nctx--;
	r->top_obj = top;
	return rc;
}

static int tmpl_render_range(struct tmpl_render_state *r, const struct tmpl *t, size_t begin,
			     size_t end)
{
	const struct tmpl_node *nd;
	const struct tmpl *pt;
	const cJSON *v, *el;
	size_t i = begin;
	int rc;

	while (i < end) {
		nd = &t->nodes[i];
		switch (nd->type) {
		case TMPL_NODE_TEXT:
			if (buf_append(r->out, nd->text, nd->len) < 0)
				return tmpl_out_err(r, t);
			i++;
			break;
		case TMPL_NODE_VAR:
			if (tmpl_put_value(r->out, tmpl_lookup(r, nd)) < 0)
				return tmpl_out_err(r, t);
			i++;
			break;
		case TMPL_NODE_SECTION:
			v = tmpl_lookup(r, nd);
			if (TMPL_IS(v, cJSON_Raw)) {
				/* a hook writes the whole section */
				if (tmpl_put_value(r->out, v) < 0)
					return tmpl_out_err(r, t);
			} else if (TMPL_IS(v, cJSON_Array)) {
				for (el = v->child; el != NULL; el = el->next)
					if (tmpl_render_with(r, t, i, el) < 0)
						return -1;
			} else if (tmpl_truthy(v)) {
				if (tmpl_render_with(r, t, i, v) < 0)
					return -1;
			}
			i = nd->end;
			break;
		case TMPL_NODE_INVERTED:
			if (!tmpl_truthy(tmpl_lookup(r, nd)) &&
			    tmpl_render_range(r, t, i + 1, nd->end) < 0)
				return -1;
			i = nd->end;
			break;
		case TMPL_NODE_PARTIAL:
			pt = tmpl_find(r->set, nd->name);
			if (pt == NULL) {
				tmpl_errf(r->err, r->errlen,
					  "template '%s' line %u: unknown partial '%s'", t->name,
					  nd->line, nd->name);
				return -1;
			}
			if (r->depth >= TMPL_PARTIAL_DEPTH) {
				tmpl_errf(r->err, r->errlen,
					  "template '%s' line %u: partials nested deeper than %d "
					  "(recursive partial '%s'?)",
					  t->name, nd->line, TMPL_PARTIAL_DEPTH, nd->name);
				return -1;
			}
			r->depth++;
			rc = tmpl_render_range(r, pt, 0, pt->nnodes);
			r->depth--;
			if (rc < 0)
				return -1;
			i++;
			break;
		}
	}
	return 0;
}

int tmpl_render(const struct tmpl_set *set, const char *name, const cJSON *view, struct buf *out,
		char *err, size_t errlen)
{
	struct tmpl_render_state r;
	const struct tmpl *t;
	size_t start;
	int result = -1;

	if (set == NULL || name == NULL || out == NULL) {
		tmpl_errf(err, errlen, "tmpl_render: missing argument");
		return -1;
	}
	start = out->len;
	t = tmpl_find(set, name);
	if (t == NULL) {
		tmpl_errf(err, errlen, "unknown template '%.64s'", name);
		goto out;
	}
	r.set = set;
	r.out = out;
	r.err = err;
	r.errlen = errlen;
	r.depth = 0;
	r.nctx = 1;
	r.ctx[0] = view;
	r.top_obj = TMPL_IS(view, cJSON_Object) ? 0 : TMPL_NO_OBJ;
	memset(r.hints, 0, sizeof(r.hints));
	r.kids_of = NULL;
	r.nkids = 0;
	r.root_index = 0;
	if (tmpl_render_range(&r, t, 0, t->nnodes) < 0)
		goto out;
	result = 0;
out:
	if (result < 0) {
		out->len = start;
		if (out->data != NULL)
			out->data[start] = '\0';
	}
	return result;
}
