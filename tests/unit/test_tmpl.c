/*
 * Unit tests for tmpl.c: the template language, errors, loading from a
 * directory and a large render.
 */
#define _POSIX_C_SOURCE 200809L

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "buf.h"
#include "tmpl.h"

/* Compile src as "t" and render it with the JSON text json (NULL = no view). */
static int render_str(const char *src, const char *json, struct buf *out, char *err, size_t errlen)
{
	struct tmpl_set *set;
	cJSON *view = NULL;
	int rc = -1;

	set = tmpl_set_new();
	ck_assert_ptr_nonnull(set);
	if (json != NULL) {
		view = cJSON_Parse(json);
		ck_assert_msg(view != NULL, "bad test json: %s", json);
	}
	if (tmpl_set_add(set, "t", src, err, errlen) < 0)
		goto out;
	rc = tmpl_render(set, "t", view, out, err, errlen);
out:
	cJSON_Delete(view);
	tmpl_set_free(set);
	return rc;
}

#define check_render(src, json, want)                                                              \
	do {                                                                                       \
		struct buf b_;                                                                     \
		char e_[256] = "";                                                                 \
		buf_init(&b_, 0);                                                                  \
		ck_assert_msg(render_str((src), (json), &b_, e_, sizeof(e_)) == 0,                 \
			      "render failed: %s", e_);                                            \
		ck_assert_str_eq(buf_str(&b_), (want));                                            \
		buf_free(&b_);                                                                     \
	} while (0)

/* Expect a compile or render error whose message contains every given piece. */
#define check_error(src, json, piece1, piece2)                                                     \
	do {                                                                                       \
		struct buf b_;                                                                     \
		char e_[256] = "";                                                                 \
		buf_init(&b_, 0);                                                                  \
		ck_assert_int_eq(render_str((src), (json), &b_, e_, sizeof(e_)), -1);              \
		ck_assert_msg(strstr(e_, (piece1)) != NULL, "'%s' not in '%s'", (piece1), e_);     \
		ck_assert_msg(strstr(e_, (piece2)) != NULL, "'%s' not in '%s'", (piece2), e_);     \
		ck_assert_uint_eq(b_.len, 0);                                                      \
		buf_free(&b_);                                                                     \
	} while (0)

START_TEST(test_text_only)
{
	check_render("", "{}", "");
	check_render("hello\nworld\n", "{}", "hello\nworld\n");
	check_render("a } b }} c { d", "{}", "a } b }} c { d");
	check_render("<b>{{x}}</b>", NULL, "<b></b>");
}
END_TEST

START_TEST(test_variables_escaped)
{
	check_render("{{x}}", "{\"x\":\"&<>\\\"'\"}", "&amp;&lt;&gt;&quot;&#39;");
	check_render("Hi {{ name }}!", "{\"name\":\"Ann\"}", "Hi Ann!");
	check_render("[{{missing}}]", "{}", "[]");
	check_render("[{{n}}]", "{\"n\":null}", "[]");
	check_render("[{{o}}][{{a}}]", "{\"o\":{\"k\":1},\"a\":[1]}", "[][]");
	check_render("{{t}} {{f}}", "{\"t\":true,\"f\":false}", "true false");
	check_render("{{x}}", "{\"x\":\"caf\xC3\xA9 \xFF\"}", "caf\xC3\xA9 \xEF\xBF\xBD");
}
END_TEST

START_TEST(test_xss)
{
	check_render("<p>{{c}}</p>", "{\"c\":\"<script>alert(1)</script>\"}",
		     "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>");
	check_render("<input value=\"{{v}}\">", "{\"v\":\"\\\" onmouseover=alert(1) x=\\\"\"}",
		     "<input value=\"&quot; onmouseover=alert(1) x=&quot;\">");
	check_render("<a title='{{v}}'>", "{\"v\":\"' onmouseover='alert(1)\"}",
		     "<a title='&#39; onmouseover=&#39;alert(1)'>");
	/* template syntax inside data is not interpreted */
	check_render("{{v}}", "{\"v\":\"{{x}}\",\"x\":\"no\"}", "{{x}}");
}
END_TEST

START_TEST(test_raw_rejected)
{
	check_error("ok\n{{{x}}}", "{}", "template 't' line 2", "'{{{'");
	check_error("{{&x}}", "{}", "template 't' line 1", "'{{&'");
	check_error("a\nb\n\n{{& x }}", "{}", "line 4", "not allowed");
	check_error("{{=<% %>=}}", "{}", "line 1", "set-delimiter");
}
END_TEST

START_TEST(test_comments)
{
	check_render("a{{! hidden }}b", "{}", "ab");
	check_render("a{{!\nmulti\nline\n}}b", "{}", "ab");
	check_render("a\n{{! standalone }}\nb\n", "{}", "a\nb\n");
	check_render("a\n  {{! indented }}  \nb", "{}", "a\nb");
	check_render("{{! <b> {x} }}z", "{}", "z");
	/* a comment ends at the first }} */
	check_render("{{! {{x}} y }}z", "{}", " y }}z");
}
END_TEST

START_TEST(test_section_falsy)
{
	const char *src = "[{{#s}}X{{/s}}]";

	check_render(src, "{}", "[]");
	check_render(src, "{\"s\":null}", "[]");
	check_render(src, "{\"s\":false}", "[]");
	check_render(src, "{\"s\":[]}", "[]");
	check_render(src, "{\"s\":\"\"}", "[]");
}
END_TEST

START_TEST(test_section_truthy)
{
	check_render("[{{#s}}X{{/s}}]", "{\"s\":true}", "[X]");
	check_render("[{{#s}}X{{/s}}]", "{\"s\":{}}", "[X]");
	check_render("[{{#s}}{{.}}{{/s}}]", "{\"s\":0}", "[0]");
	check_render("[{{#s}}{{.}}{{/s}}]", "{\"s\":12}", "[12]");
	check_render("[{{#s}}{{.}}{{/s}}]", "{\"s\":\"a<b\"}", "[a&lt;b]");
	check_render("[{{#s}}{{.}}{{/s}}]", "{\"s\":true}", "[true]");
	check_render("{{#o}}{{a}}-{{b}}{{/o}}", "{\"o\":{\"a\":1,\"b\":\"x\"}}", "1-x");
}
END_TEST

START_TEST(test_section_arrays)
{
	check_render("{{#l}}<{{.}}>{{/l}}", "{\"l\":[1,\"two\",true,null]}", "<1><two><true><>");
	check_render("<ul>{{#rows}}<li id=\"r{{id}}\">{{name}}</li>{{/rows}}</ul>",
		     "{\"rows\":[{\"id\":1,\"name\":\"a\"},{\"id\":2,\"name\":\"<b>\"}]}",
		     "<ul><li id=\"r1\">a</li><li id=\"r2\">&lt;b&gt;</li></ul>");
	check_render("{{#l}}{{#.}}[{{.}}]{{/.}}{{/l}}", "{\"l\":[[1,2],[3]]}", "[1][2][3]");
}
END_TEST

START_TEST(test_inverted)
{
	const char *src = "[{{^s}}none{{/s}}]";

	check_render(src, "{}", "[none]");
	check_render(src, "{\"s\":null}", "[none]");
	check_render(src, "{\"s\":false}", "[none]");
	check_render(src, "{\"s\":[]}", "[none]");
	check_render(src, "{\"s\":\"\"}", "[none]");
	check_render(src, "{\"s\":[1]}", "[]");
	check_render(src, "{\"s\":0}", "[]");
	check_render(src, "{\"s\":{}}", "[]");
	check_render("{{#l}}{{x}},{{/l}}{{^l}}empty{{/l}}", "{\"l\":[{\"x\":1},{\"x\":2}]}",
		     "1,2,");
}
END_TEST

START_TEST(test_nesting_and_stack)
{
	/* outer names are visible inside sections; inner ones shadow them */
	check_render("{{#rows}}{{name}}@{{site}};{{/rows}}",
		     "{\"site\":\"S\",\"rows\":[{\"name\":\"a\"},{\"name\":\"b\",\"site\":\"T\"}]}",
		     "a@S;b@T;");
	check_render("{{#a}}{{#b}}{{#c}}{{x}}{{y}}{{z}}{{/c}}{{/b}}{{/a}}",
		     "{\"x\":1,\"a\":{\"y\":2,\"b\":{\"c\":{\"z\":3}}}}", "123");
	/* scalars on the stack do not hide names below them */
	check_render("{{#l}}{{.}}{{x}}{{/l}}", "{\"x\":\"!\",\"l\":[1,2]}", "1!2!");
	/* same-named nested sections */
	check_render("{{#a}}{{#a}}{{v}}{{/a}}{{/a}}", "{\"a\":{\"a\":{\"v\":7}}}", "7");
}
END_TEST

START_TEST(test_dotted)
{
	check_render("{{a.b.c}}", "{\"a\":{\"b\":{\"c\":\"deep\"}}}", "deep");
	check_render("[{{a.b.x}}]", "{\"a\":{\"b\":{\"c\":1}}}", "[]");
	check_render("[{{a.b.c}}]", "{\"a\":{\"b\":5}}", "[]");
	check_render("[{{a.b}}]", "{\"a\":[1]}", "[]");
	/* first part resolves up the stack, then descends */
	check_render("{{#r}}{{u.name}}{{/r}}", "{\"u\":{\"name\":\"ann\"},\"r\":{\"x\":1}}", "ann");
	/* context precedence: a.b found, the chain is broken, no fallback */
	check_render("[{{#a}}{{b.c}}{{/a}}]", "{\"a\":{\"b\":{}},\"b\":{\"c\":\"ERROR\"}}", "[]");
	check_render("{{#a.b}}{{c}}{{/a.b}}", "{\"a\":{\"b\":{\"c\":\"in\"}}}", "in");
	check_render("[{{^a.b}}no{{/a.b}}]", "{\"a\":{}}", "[no]");
}
END_TEST

START_TEST(test_dot_current)
{
	check_render("{{.}}", "\"<root>\"", "&lt;root&gt;");
	check_render("{{.}}", "5", "5");
	check_render("[{{.}}]", NULL, "[]");
	check_render("[{{.}}]", "{}", "[]");
}
END_TEST

START_TEST(test_numbers)
{
	check_render("{{n}}", "{\"n\":10000}", "10000");
	check_render("{{n}}", "{\"n\":20001001}", "20001001");
	check_render("{{n}}", "{\"n\":1e15}", "1000000000000000");
	check_render("{{n}}", "{\"n\":9007199254740993}", "9007199254740992");
	check_render("{{n}}", "{\"n\":123456789012345678901}", "123456789012345683968");
	check_render("{{n}}", "{\"n\":1e21}", "1e+21");
	check_render("{{n}}", "{\"n\":-42}", "-42");
	check_render("{{n}}", "{\"n\":0}", "0");
	check_render("{{n}}", "{\"n\":-0.0}", "0");
	check_render("{{n}}", "{\"n\":3.5}", "3.5");
	check_render("{{n}}", "{\"n\":0.1}", "0.1");
	check_render("{{n}}", "{\"n\":-2.25}", "-2.25");
	check_render("{{n}}", "{\"n\":3.14159265}", "3.14159");
	check_render("{{n}}", "{\"n\":1.5e300}", "1.5e+300");
	check_render("{{n}}", "{\"n\":1e-7}", "1e-07");
}
END_TEST

START_TEST(test_standalone)
{
	check_render("<ul>\n{{#l}}\n<li>{{.}}</li>\n{{/l}}\n</ul>\n", "{\"l\":[1,2]}",
		     "<ul>\n<li>1</li>\n<li>2</li>\n</ul>\n");
	check_render("<ul>\n  {{#l}}  \n<li>{{.}}</li>\n\t{{/l}}\n</ul>", "{\"l\":[1]}",
		     "<ul>\n<li>1</li>\n</ul>");
	check_render("a\r\n{{^x}}\r\nb\r\n{{/x}}\r\nc", "{}", "a\r\nb\r\nc");
	/* at the very start and at EOF without a newline */
	check_render("{{#x}}\nin\n{{/x}}", "{\"x\":1}", "in\n");
	/* not standalone: other content on the line */
	check_render(" {{#x}}y{{/x}} \n", "{\"x\":1}", " y \n");
	check_render("a {{#x}}\nb\n{{/x}}", "{\"x\":1}", "a \nb\n");
	check_render("{{v}}\n{{#x}}\nb\n{{/x}}\n", "{\"v\":1,\"x\":1}", "1\nb\n");
	/* variables are never standalone */
	check_render("a\n{{v}}\nb", "{}", "a\n\nb");
	/* two tags on a line: neither is standalone */
	check_render("{{#x}}{{/x}}\nz", "{\"x\":1}", "\nz");
}
END_TEST

START_TEST(test_partials)
{
	struct tmpl_set *set = tmpl_set_new();
	cJSON *view = cJSON_Parse("{\"title\":\"T&C\",\"rows\":[{\"n\":\"a\"},{\"n\":\"b\"}]}");
	struct buf b;
	char err[256] = "";

	ck_assert_ptr_nonnull(set);
	ck_assert_ptr_nonnull(view);
	buf_init(&b, 0);
	/* the page refers to "row" before it exists: resolved at render time */
	ck_assert_int_eq(
	    tmpl_set_add(set, "page",
			 "<h1>{{title}}</h1>\n<ul>\n{{#rows}}\n  {{> row}}\n{{/rows}}\n</ul>\n",
			 err, sizeof(err)),
	    0);
	ck_assert_int_eq(
	    tmpl_set_add(set, "row", "<li>{{n}} of {{title}}</li>\n", err, sizeof(err)), 0);
	ck_assert_int_eq(tmpl_render(set, "page", view, &b, err, sizeof(err)), 0);
	ck_assert_str_eq(
	    buf_str(&b),
	    "<h1>T&amp;C</h1>\n<ul>\n<li>a of T&amp;C</li>\n<li>b of T&amp;C</li>\n</ul>\n");

	/* inline partial */
	buf_reset(&b);
	ck_assert_int_eq(tmpl_set_add(set, "inl", "[{{>row}}]", err, sizeof(err)), 0);
	ck_assert_int_eq(tmpl_render(set, "inl", view, &b, err, sizeof(err)), 0);
	ck_assert_str_eq(buf_str(&b), "[<li> of T&amp;C</li>\n]");

	/* duplicate and invalid names */
	ck_assert_int_eq(tmpl_set_add(set, "row", "x", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "already exists"));
	ck_assert_int_eq(tmpl_set_add(set, "bad name", "x", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "invalid template name"));
	ck_assert_int_eq(tmpl_set_add(set, "", "x", err, sizeof(err)), -1);
	ck_assert_int_eq(tmpl_set_add(NULL, "x", "x", err, sizeof(err)), -1);

	/* unknown template */
	ck_assert_int_eq(tmpl_render(set, "nope", view, &b, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "unknown template 'nope'"));

	buf_free(&b);
	cJSON_Delete(view);
	tmpl_set_free(set);
}
END_TEST

START_TEST(test_partial_errors)
{
	struct tmpl_set *set = tmpl_set_new();
	cJSON *view = cJSON_Parse("{\"node\":{\"name\":\"a\",\"kids\":[{\"name\":\"b\",\"kids\":"
				  "[{\"name\":\"c\",\"kids\":[]}]}]}}");
	struct buf b;
	char err[256] = "";

	ck_assert_ptr_nonnull(set);
	buf_init(&b, 0);
	buf_puts(&b, "keep");
	check_error("a\n{{> missing}}", "{}", "template 't' line 2", "unknown partial 'missing'");

	/* unbounded recursion is stopped */
	ck_assert_int_eq(tmpl_set_add(set, "loop", "x{{>loop}}", err, sizeof(err)), 0);
	ck_assert_int_eq(tmpl_render(set, "loop", view, &b, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "nested deeper than 16"));
	ck_assert_str_eq(buf_str(&b), "keep"); /* output rolled back */

	/* mutual recursion too */
	ck_assert_int_eq(tmpl_set_add(set, "ping", "{{>pong}}", err, sizeof(err)), 0);
	ck_assert_int_eq(tmpl_set_add(set, "pong", "{{>ping}}", err, sizeof(err)), 0);
	ck_assert_int_eq(tmpl_render(set, "ping", view, &b, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "nested deeper than"));

	/* data-bounded recursion (a tree) is fine */
	ck_assert_int_eq(
	    tmpl_set_add(set, "tree", "({{name}}{{#kids}}{{>tree}}{{/kids}})", err, sizeof(err)),
	    0);
	ck_assert_int_eq(tmpl_set_add(set, "root", "{{#node}}{{>tree}}{{/node}}", err, sizeof(err)),
			 0);
	buf_reset(&b);
	ck_assert_int_eq(tmpl_render(set, "root", view, &b, err, sizeof(err)), 0);
	ck_assert_str_eq(buf_str(&b), "(a(b(c)))");

	buf_free(&b);
	cJSON_Delete(view);
	tmpl_set_free(set);
}
END_TEST

START_TEST(test_parse_errors)
{
	check_error("a\n{{#s}}\nb\n", "{}", "line 2", "unclosed section 's'");
	check_error("{{#a}}\n{{#b}}\n{{/a}}\n{{/b}}", "{}", "line 3",
		    "closing tag 'a' does not match section 'b' opened on line 2");
	check_error("x\n\n{{/a}}", "{}", "line 3", "without an open section");
	check_error("{{}}", "{}", "line 1", "empty tag name");
	check_error("\n{{ }}", "{}", "line 2", "empty tag name");
	check_error("{{#}}{{/}}", "{}", "line 1", "empty tag name");
	check_error("{{^ }}", "{}", "line 1", "empty tag name");
	check_error("{{>}}", "{}", "line 1", "empty tag name");
	check_error("ab\ncd {{x", "{}", "line 2", "unclosed tag");
	check_error("{{", "{}", "line 1", "unclosed tag");
	check_error("{{a b}}", "{}", "line 1", "invalid character");
	check_error("{{a..b}}", "{}", "line 1", "empty part");
	check_error("{{.a}}", "{}", "line 1", "empty part");
	check_error("{{a.}}", "{}", "line 1", "empty part");
	check_error("{{#a}}{{/a}}{{/a}}", "{}", "line 1", "without an open section");
}
END_TEST

START_TEST(test_nest_limit)
{
	struct buf src, b;
	char err[256] = "";
	int i;

	buf_init(&src, 0);
	for (i = 0; i < TMPL_NEST_MAX; i++)
		buf_puts(&src, "{{#a}}");
	buf_puts(&src, "{{v}}");
	for (i = 0; i < TMPL_NEST_MAX; i++)
		buf_puts(&src, "{{/a}}");
	buf_init(&b, 0);
	ck_assert_int_eq(render_str(buf_str(&src), "{\"a\":true,\"v\":1}", &b, err, sizeof(err)),
			 0);
	ck_assert_str_eq(buf_str(&b), "1");
	buf_reset(&src);
	for (i = 0; i <= TMPL_NEST_MAX; i++)
		buf_puts(&src, "{{#a}}");
	buf_reset(&b);
	ck_assert_int_eq(render_str(buf_str(&src), "{}", &b, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "nested deeper"));
	buf_free(&src);
	buf_free(&b);
}
END_TEST

START_TEST(test_garbage_no_crash)
{
	static const char *srcs[] = {
	    "{{",
	    "{{{",
	    "{{#",
	    "{{/",
	    "{{!",
	    "{{>",
	    "}}",
	    "{{}}}",
	    "{{#a}",
	    "{{#a}}",
	    "{{/a}}",
	    "{{^a}}{{/b}}",
	    "{{!}}",
	    "{{! }",
	    "{{{{}}}}",
	    "{{\n}}",
	    "\n\n{{#a}}\n{{#b}}\n",
	    "{{a}}{{",
	    "{{&}}",
	    "{{=}}",
	    "{{#.}}{{/.}}",
	};
	struct buf b;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
		buf_init(&b, 0);
		err[0] = '\0';
		(void)render_str(srcs[i], "{\"a\":[1,2]}", &b, err, sizeof(err));
		buf_free(&b);
	}
	/* a NULL or zero-size err is allowed */
	buf_init(&b, 0);
	ck_assert_int_eq(render_str("{{#a}}", "{}", &b, NULL, 0), -1);
	buf_free(&b);
}
END_TEST

/* Write data to dir/name. */
static void write_file(const char *dir, const char *name, const char *data)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(data, f);
	fclose(f);
}

static void remove_file(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

START_TEST(test_load_dir)
{
	char dir[] = "/tmp/test_tmpl_XXXXXX", err[256] = "";
	struct tmpl_set *set = NULL;
	struct buf b;
	cJSON *view;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	write_file(dir, "layout.html", "<main>\n{{> nav}}\n<p>{{msg}}</p>\n</main>\n");
	write_file(dir, "nav.html", "<nav>{{user.name}}</nav>\n");
	write_file(dir, "notes.txt", "{{{ignored}}}");
	write_file(dir, ".hidden.html", "{{{ignored}}}");

	ck_assert_msg(tmpl_set_load(&set, dir, err, sizeof(err)) == 0, "load: %s", err);
	ck_assert_ptr_nonnull(set);
	view = cJSON_Parse("{\"msg\":\"<hi>\",\"user\":{\"name\":\"O'Neil\"}}");
	buf_init(&b, 0);
	ck_assert_int_eq(tmpl_render(set, "layout", view, &b, err, sizeof(err)), 0);
	ck_assert_str_eq(buf_str(&b),
			 "<main>\n<nav>O&#39;Neil</nav>\n<p>&lt;hi&gt;</p>\n</main>\n");
	ck_assert_int_eq(tmpl_render(set, "notes", view, &b, err, sizeof(err)), -1);
	ck_assert_int_eq(tmpl_render(set, ".hidden", view, &b, err, sizeof(err)), -1);
	tmpl_set_free(set);
	set = NULL;

	/* a partial missing from the directory fails the load */
	remove_file(dir, "nav.html");
	ck_assert_int_eq(tmpl_set_load(&set, dir, err, sizeof(err)), -1);
	ck_assert_ptr_null(set);
	ck_assert_msg(strstr(err, "template 'layout' line 2: unknown partial 'nav'") != NULL, "%s",
		      err);

	/* a parse error names the template and line */
	write_file(dir, "nav.html", "ok\n{{#open}}\n");
	ck_assert_int_eq(tmpl_set_load(&set, dir, err, sizeof(err)), -1);
	ck_assert_ptr_null(set);
	ck_assert_msg(strstr(err, "template 'nav' line 2: unclosed section 'open'") != NULL, "%s",
		      err);

	remove_file(dir, "nav.html");
	remove_file(dir, "layout.html");
	remove_file(dir, "notes.txt");
	remove_file(dir, ".hidden.html");

	/* an empty directory is an empty set */
	ck_assert_int_eq(tmpl_set_load(&set, dir, err, sizeof(err)), 0);
	ck_assert_int_eq(tmpl_render(set, "layout", view, &b, err, sizeof(err)), -1);
	tmpl_set_free(set);
	set = NULL;
	rmdir(dir);

	ck_assert_int_eq(tmpl_set_load(&set, dir, err, sizeof(err)), -1);
	ck_assert_ptr_null(set);
	ck_assert_ptr_nonnull(strstr(err, "cannot open template directory"));

	buf_free(&b);
	cJSON_Delete(view);
}
END_TEST

START_TEST(test_large_render)
{
	struct tmpl_set *set = tmpl_set_new();
	cJSON *view, *rows, *row;
	struct buf b;
	char err[256] = "", name[64];
	int i, k;

	ck_assert_ptr_nonnull(set);
	ck_assert_int_eq(
	    tmpl_set_add(set, "table",
			 "<table>\n{{#rows}}\n<tr><td>{{id}}</td><td><a href=\"/c/{{id}}\" "
			 "title=\"{{name}}\">{{name}}</a></td><td>{{email}}</td>"
			 "<td>{{#active}}yes{{/active}}{{^active}}no{{/active}}</td>"
			 "<td>{{amount}}</td><td>{{owner.name}}</td><td>{{site}}</td></tr>\n"
			 "{{/rows}}\n{{^rows}}<tr><td>none</td></tr>\n{{/rows}}\n</table>\n",
			 err, sizeof(err)),
	    0);
	view = cJSON_CreateObject();
	cJSON_AddStringToObject(view, "site", "JetStack");
	rows = cJSON_AddArrayToObject(view, "rows");
	for (i = 0; i < 50; i++) {
		row = cJSON_CreateObject();
		cJSON_AddNumberToObject(row, "id", 20001001 + i);
		snprintf(name, sizeof(name), "Client <%d> & \"Sons\"", i);
		cJSON_AddStringToObject(row, "name", name);
		cJSON_AddStringToObject(row, "email", "someone@example.com");
		cJSON_AddBoolToObject(row, "active", i % 2);
		cJSON_AddNumberToObject(row, "amount", i * 1.25);
		cJSON_AddItemToObject(row, "owner", cJSON_CreateObject());
		cJSON_AddStringToObject(cJSON_GetObjectItem(row, "owner"), "name", "Owner");
		cJSON_AddItemToArray(rows, row);
	}
	buf_init(&b, 0);
	for (k = 0; k < 200; k++) {
		buf_reset(&b);
		ck_assert_int_eq(tmpl_render(set, "table", view, &b, err, sizeof(err)), 0);
	}
	ck_assert(b.len > 10000);
	ck_assert_ptr_nonnull(strstr(b.data, "<tr><td>20001001</td><td><a href=\"/c/20001001\" "
					     "title=\"Client &lt;0&gt; &amp; &quot;Sons&quot;\">"));
	ck_assert_ptr_nonnull(strstr(b.data, "<td>yes</td><td>61.25</td><td>Owner</td>"
					     "<td>JetStack</td></tr>\n</table>\n"));
	ck_assert_ptr_null(strstr(b.data, "none"));
	ck_assert_ptr_null(strstr(b.data, "<script"));

	/* a buffer limit below the page size fails cleanly and rolls back */
	buf_free(&b);
	buf_init(&b, 4096);
	buf_puts(&b, "prefix");
	ck_assert_int_eq(tmpl_render(set, "table", view, &b, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "buffer limit"));
	ck_assert_str_eq(buf_str(&b), "prefix");

	buf_free(&b);
	cJSON_Delete(view);
	tmpl_set_free(set);
}
END_TEST

/* Objects built with constant keys (as the pages build rows), so that
 * tmpl's per-render lookup hints can hit: every answer must still be the
 * innermost context's value, whatever the rows' shapes. */
static cJSON *row_cs(const char *const *kv)
{
	cJSON *o = cJSON_CreateObject();

	ck_assert_ptr_nonnull(o);
	for (; kv[0] != NULL; kv += 2)
		ck_assert(cJSON_AddItemToObjectCS(o, kv[0], cJSON_CreateStringReference(kv[1])));
	return o;
}

static void render_view(const char *src, cJSON *view, const char *want)
{
	struct tmpl_set *set = tmpl_set_new();
	struct buf b;
	char e[256] = "";

	ck_assert_ptr_nonnull(set);
	ck_assert_int_eq(tmpl_set_add(set, "t", src, e, sizeof(e)), 0);
	tmpl_set_add(set, "p", "<{{name}}:{{kind}}>", e, sizeof(e));
	buf_init(&b, 0);
	ck_assert_msg(tmpl_render(set, "t", view, &b, e, sizeof(e)) == 0, "%s", e);
	ck_assert_str_eq(buf_str(&b), want);
	buf_free(&b);
	tmpl_set_free(set);
}

START_TEST(test_lookup_hints_follow_row_shapes)
{
	static const char *const r1[] = {"id", "1", "name", "a", "kind", "x", NULL};
	/* same keys, same order */
	static const char *const r2[] = {"id", "2", "name", "b", "kind", "y", NULL};
	/* "name" missing: the outer context's name shows */
	static const char *const r3[] = {"id", "3", "kind", "z", NULL};
	/* another order */
	static const char *const r4[] = {"kind", "w", "name", "d", "id", "4", NULL};
	/* a key in the hinted position that is another key */
	static const char *const r5[] = {"id", "5", "kind", "v", "name", "e", NULL};
	static const char *const r6[] = {"id", "6", "name", "f", "kind", "u", NULL};
	const char *const *rows[] = {r1, r2, r3, r4, r5, r6};
	cJSON *view = cJSON_CreateObject(), *arr = cJSON_CreateArray(), *sub;

	ck_assert_ptr_nonnull(view);
	ck_assert_ptr_nonnull(arr);
	cJSON_AddItemToObjectCS(view, "name", cJSON_CreateStringReference("OUTER"));
	cJSON_AddItemToObjectCS(view, "kind", cJSON_CreateStringReference("K"));
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		cJSON_AddItemToArray(arr, row_cs(rows[i]));
	/* a nested object inside the last row that lacks "id" */
	sub = cJSON_CreateObject();
	cJSON_AddItemToObjectCS(sub, "kind", cJSON_CreateStringReference("inner"));
	cJSON_AddItemToObjectCS(cJSON_GetArrayItem(arr, 5), "sub", sub);
	cJSON_AddItemToObjectCS(view, "rows", arr);

	render_view(
	    "{{#rows}}[{{id}} {{name}} {{kind}}{{#sub}} ({{id}} {{kind}}){{/sub}}]{{/rows}}", view,
	    "[1 a x][2 b y][3 OUTER z][4 d w][5 e v][6 f u (6 inner)]");
	/* twice in one render, and through a partial seen with other objects */
	render_view(
	    "{{#rows}}{{> p}}{{/rows}}|{{> p}}|{{#rows}}{{> p}}{{/rows}}", view,
	    "<a:x><b:y><OUTER:z><d:w><e:v><f:u>|<OUTER:K>|<a:x><b:y><OUTER:z><d:w><e:v><f:u>");
	cJSON_Delete(view);

	/* rows wider than the positions tmpl keeps at hand (64) */
	{
		static char names[70][8];
		cJSON *wide = cJSON_CreateObject(), *list = cJSON_CreateArray();

		for (int i = 0; i < 70; i++)
			snprintf(names[i], sizeof(names[i]), "k%d", i);
		for (int row = 0; row < 3; row++) {
			cJSON *o = cJSON_CreateObject();
			char v[16];

			for (int i = 0; i < 70; i++) {
				snprintf(v, sizeof(v), "%d.%d", row, i);
				cJSON_AddItemToObjectCS(o, names[i], cJSON_CreateString(v));
			}
			cJSON_AddItemToArray(list, o);
		}
		cJSON_AddItemToObjectCS(wide, "rows", list);
		render_view("{{#rows}}{{k66}} {{k3}} {{k63}} {{k64}};{{/rows}}", wide,
			    "0.66 0.3 0.63 0.64;1.66 1.3 1.63 1.64;2.66 2.3 2.63 2.64;");
		cJSON_Delete(wide);
	}
}
END_TEST

/* Hooks (tmpl_hook_set): a variable or a section over a hook calls it
 * with the output as is (the section's body is not rendered), an inverted
 * section over one renders nothing; a cJSON_Raw item that is not a hook
 * renders nothing. */
struct test_hook {
	struct tmpl_hook h;
	const char *bytes;
	int calls;
	size_t at;
};

static int test_hook_write(const struct tmpl_hook *h, struct buf *out)
{
	struct test_hook *t = (struct test_hook *)(void *)h;

	t->calls++;
	t->at = out->len;
	return buf_puts(out, t->bytes);
}

START_TEST(test_hooks)
{
	struct tmpl_set *set = tmpl_set_new();
	struct test_hook hv = {.h = {.write = test_hook_write}, .bytes = "<b>v</b>"},
			 hs = {.h = {.write = test_hook_write}, .bytes = "<i>s</i>"};
	cJSON *view = cJSON_CreateObject(), *a = cJSON_CreateNull(), *b = cJSON_CreateNull();
	struct buf out;
	char err[256];

	ck_assert_int_eq(tmpl_set_add(set, "t",
				      "[{{a}}]({{#b}}body{{x}}{{/b}})({{^b}}none{{/b}})"
				      "({{^a}}none{{/a}})({{raw}})({{#raw}}body{{/raw}})",
				      err, sizeof(err)),
			 0);
	tmpl_hook_set(a, &hv.h);
	tmpl_hook_set(b, &hs.h);
	cJSON_AddItemToObject(view, "a", a);
	cJSON_AddItemToObject(view, "b", b);
	cJSON_AddStringToObject(view, "x", "<&>");
	cJSON_AddRawToObject(view, "raw", "<script>data</script>");
	buf_init(&out, 0);
	ck_assert_int_eq(tmpl_render(set, "t", view, &out, err, sizeof(err)), 0);
	ck_assert_str_eq(buf_str(&out), "[<b>v</b>](<i>s</i>)()()()()");
	ck_assert_int_eq(hv.calls, 1);
	ck_assert_int_eq(hs.calls, 1);
	ck_assert_uint_eq(hv.at, 1);
	ck_assert_uint_eq(hs.at, 11);
	cJSON_Delete(view); /* leaves the hooks alone */
	buf_free(&out);
	tmpl_set_free(set);
}
END_TEST

/* Names found in the view itself (indexed by key when it has 8 to 64
 * members, else scanned): every member, the first of a repeated key, a
 * missing name, dotted names, and names inside sections that fall back to
 * the view, for views either side of those bounds. */
START_TEST(test_view_members_by_key)
{
	static const int sizes[] = {3, 4, 8, 40, 59, 60, 61, 100};

	for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
		int n = sizes[z];
		struct buf json, src, want;

		buf_init(&json, 0);
		buf_init(&src, 0);
		buf_init(&want, 0);
		buf_puts(&json, "{");
		for (int i = 0; i < n; i++) {
			buf_printf(&json, "\"k%d\":\"v%d\",", i, i);
			buf_printf(&src, "{{k%d}},", i);
			buf_printf(&want, "v%d,", i);
		}
		/* 4 more members: n + 4 in all */
		buf_puts(&json, "\"k1\":\"dup\",\"obj\":{\"x\":\"in\"},"
				"\"list\":[{\"y\":1},{\"y\":2}],\"sec\":{\"z\":\"s\"}}");
		buf_puts(
		    &src,
		    "|{{k1}}|[{{missing}}]|{{obj.x}}|[{{obj.nope}}]|{{#list}}{{y}}{{k2}}{{/list}}"
		    "|{{#sec}}{{z}}{{k0}}[{{nope}}]{{obj.x}}{{/sec}}|{{^missing}}none{{/missing}}"
		    "|{{^k0}}never{{/k0}}");
		buf_puts(&want, "|v1|[]|in|[]|1v22v2|sv0[]in|none|");
		check_render(buf_str(&src), buf_str(&json), buf_str(&want));
		buf_free(&json);
		buf_free(&src);
		buf_free(&want);
	}
}
END_TEST

static Suite *tmpl_suite(void)
{
	Suite *s = suite_create("tmpl");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_text_only);
	tcase_add_test(tc, test_variables_escaped);
	tcase_add_test(tc, test_xss);
	tcase_add_test(tc, test_raw_rejected);
	tcase_add_test(tc, test_comments);
	tcase_add_test(tc, test_section_falsy);
	tcase_add_test(tc, test_section_truthy);
	tcase_add_test(tc, test_section_arrays);
	tcase_add_test(tc, test_inverted);
	tcase_add_test(tc, test_nesting_and_stack);
	tcase_add_test(tc, test_dotted);
	tcase_add_test(tc, test_dot_current);
	tcase_add_test(tc, test_numbers);
	tcase_add_test(tc, test_standalone);
	tcase_add_test(tc, test_partials);
	tcase_add_test(tc, test_partial_errors);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_nest_limit);
	tcase_add_test(tc, test_garbage_no_crash);
	tcase_add_test(tc, test_load_dir);
	tcase_add_test(tc, test_large_render);
	tcase_add_test(tc, test_lookup_hints_follow_row_shapes);
	tcase_add_test(tc, test_hooks);
	tcase_add_test(tc, test_view_members_by_key);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(tmpl_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
