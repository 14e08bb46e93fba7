"""What pages contain: stored data (organisation names, emails) HTML-escaped,
no inline script, handlers, javascript: URLs or style attributes, and a CSRF
token in every POST form."""
import re
import secrets

from jsclient import Client
from helpers_foundation import connected_portal


def test_org_name_and_email_escaped(stack):
    evil = "<script>alert(1)</script> Org %s" % secrets.token_hex(3)
    stack.admin("org", "create", evil)
    c = stack.client(org=evil)
    page = c.get("/portals").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Org" in page
    m = re.search(r'<span class="org" id="org-name">([^<]*)</span>', page)
    assert m and "&lt;script&gt;" in m.group(1)
    # an email with quotes and angle brackets, as stored, renders inert
    odd = "q\"o'<b>%s@example.test" % secrets.token_hex(3)
    stack.sql("UPDATE users SET email = %s WHERE email = %s", (odd, c.email))
    page = c.get("/portals").text
    assert odd not in page
    assert "<b>" not in page
    m = re.search(r'<span id="me-email">([^<]*)</span>', page)
    assert m, page[:2000]
    assert m.group(1) in ("q&quot;o&#39;&lt;b&gt;" + odd.split(">", 1)[1],
                          "q&#34;o&#39;&lt;b&gt;" + odd.split(">", 1)[1],
                          "q&quot;o&#x27;&lt;b&gt;" + odd.split(">", 1)[1]), m.group(1)


def test_email_with_apostrophe_can_be_created_and_sign_in(stack):
    org = stack.new_org()
    email = "o'brien.%s@example.test" % secrets.token_hex(3)
    pw = secrets.token_urlsafe(12)
    r = stack.admin("user", "create", "--org", org, "--email", email, "--role", "owner",
                    input=pw + "\n", check=False)
    assert r.returncode == 0, r.stderr
    c = Client(stack.base)
    r = c.login(email, pw, expect_ok=False)
    assert r.status_code == 303, r.status_code
    page = c.get("/portals").text
    assert "o&#39;brien." in page or "o&#x27;brien." in page
    assert email not in page


def forms_of(page):
    return re.findall(r"<form\b([^>]*)>(.*?)</form>", page, re.S)


def assert_page_hygiene(page, what):
    assert not re.search(r"<script\b(?![^>]*\bsrc=)", page, re.I), what
    assert not re.search(r"\son[a-z]+\s*=", page, re.I), what
    assert "javascript:" not in page.lower(), what
    assert not re.search(r"\sstyle\s*=", page, re.I), what
    for attrs, inner in forms_of(page):
        if 'method="post"' in attrs.lower():
            assert re.search(r'<input type="hidden" name="csrf" value="[A-Za-z0-9_-]{43}">',
                             inner), (what, attrs)


def test_pages_have_no_inline_script_and_forms_carry_csrf(stack):
    anon = Client(stack.base)
    login = anon.get("/login").text
    assert_page_hygiene(login, "/login")
    assert len(forms_of(login)) == 1
    assert "<script" not in login.lower()

    c = stack.client()
    hub, pid = connected_portal(stack, c)
    hub2, pid2 = connected_portal(stack, c)
    stack.sql("UPDATE portals SET status = 'needs_reconnection', status_reason = 'test' "
              "WHERE id = %s", (pid2,))
    pages = ["/portals", "/portals/new", "/portals/%d" % pid, "/portals/%d" % pid2,
             "/portals/%d/disconnect" % pid, "/portals/%d/remove" % pid, "/help",
             "/does-not-exist"]
    total_forms = 0
    for path in pages:
        r = c.get(path)
        assert r.status_code in (200, 404), (path, r.status_code)
        assert_page_hygiene(r.text, path)
        total_forms += len([f for f in forms_of(r.text) if 'method="post"' in f[0]])
    # sign-out on every page, a reconnect on the yellow row, connect and confirm forms
    assert total_forms >= len(pages) + 3
    assert 'action="/portals/%d/reconnect"' % pid2 in c.get("/portals").text
