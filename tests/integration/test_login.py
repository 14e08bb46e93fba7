"""Signing in: the session cookie and its attributes, one answer for every
failed sign-in, the sign-in form's own CSRF token, and where next= may send
the user afterwards."""
import secrets

from jsclient import Client, csrf_of
from helpers_foundation import (CSRF_RE, LOGIN_FAILED, assert_security_headers, live_sessions,
                                login_form_body, set_cookies)


def test_login_success_sets_session_cookie(stack):
    org = stack.new_org()
    email, pw = stack.new_user(org, "owner")
    c = Client(stack.base)
    page = c.get("/login")
    assert page.status_code == 200
    assert 'id="login-form"' in page.text
    r = c.post("/login", {"email": email, "password": pw, "csrf": csrf_of(page.text)})
    assert r.status_code == 303
    assert r.headers["Location"] == "/portals"
    cookies = [v for v in set_cookies(r) if v.startswith("js_session=")]
    assert len(cookies) == 1, set_cookies(r)
    attrs = [a.strip().lower() for a in cookies[0].split(";")[1:]]
    assert "httponly" in attrs
    assert "samesite=lax" in attrs
    assert "path=/" in attrs
    assert "secure" not in attrs  # served over http
    assert not any(a.startswith("domain=") for a in attrs)
    assert not any("__host-" in v.lower() for v in set_cookies(r))
    p = c.get("/portals")
    assert p.status_code == 200
    assert 'id="nav-client-accounts"' in p.text
    assert email in p.text
    assert live_sessions(stack, email) == 1


def test_login_email_is_case_insensitive(stack):
    org = stack.new_org()
    email, pw = stack.new_user(org, "owner")
    c = Client(stack.base)
    r = c.login(email.upper(), pw, expect_ok=False)
    assert r.status_code == 303, r.text[:500]


def _failed_login(stack, email, password):
    c = Client(stack.base)
    r = c.login(email, password, expect_ok=False)
    body = CSRF_RE.sub('name="csrf" value=""', r.text).replace(email, "EMAIL")
    return r, body


def test_login_failure_same_answer_for_unknown_email_wrong_password_disabled(stack):
    org = stack.new_org()
    email, pw = stack.new_user(org, "owner")
    gone, gone_pw = stack.new_user(org, "member")
    stack.admin("user", "disable", "--email", gone)
    unknown = "nobody-%s@example.test" % secrets.token_hex(4)

    answers = [_failed_login(stack, unknown, "whatever-password"),
               _failed_login(stack, email, pw + "x"),
               _failed_login(stack, email, pw.swapcase() if pw.swapcase() != pw else pw + "Y"),
               _failed_login(stack, gone, gone_pw)]
    for r, body in answers:
        assert r.status_code == 403, r.status_code
        assert LOGIN_FAILED in r.text
        assert 'id="login-error"' in r.text
        assert not any(v.startswith("js_session=") for v in set_cookies(r)), set_cookies(r)
        assert_security_headers(r.headers)
    # the pages are the same apart from the email typed
    assert len({body for _, body in answers}) == 1
    assert live_sessions(stack, email) == 0
    assert live_sessions(stack, gone) == 0


def test_login_failure_keeps_user_signed_out(stack):
    c = Client(stack.base)
    c.login("nobody-%s@example.test" % secrets.token_hex(3), "pw", expect_ok=False)
    r = c.get("/portals")
    assert r.status_code == 303
    assert r.headers["Location"] == "/login?next=/portals"


def test_login_csrf_from_another_browser_refused(stack):
    org = stack.new_org()
    email, pw = stack.new_user(org, "owner")
    other = Client(stack.base)
    token = csrf_of(other.get("/login").text)
    c = Client(stack.base)
    c.get("/login")  # has its own js_pre cookie
    r = c.post("/login", {"email": email, "password": pw, "csrf": token})
    assert r.status_code == 403
    assert "Form expired" in r.text
    assert not any(v.startswith("js_session=") for v in set_cookies(r))
    assert live_sessions(stack, email) == 0


def test_login_next_local_path_honoured(stack):
    org = stack.new_org()
    email, pw = stack.new_user(org, "owner")
    c = Client(stack.base)
    r = c.get("/portals/new")
    assert r.status_code == 303
    assert r.headers["Location"] == "/login?next=/portals/new"
    page = c.get(r.headers["Location"])
    assert page.status_code == 200
    assert '<input type="hidden" name="next" value="/portals/new">' in page.text
    r = c.post("/login", {"email": email, "password": pw, "csrf": csrf_of(page.text),
                          "next": "/portals/new"})
    assert r.status_code == 303
    assert r.headers["Location"] == "/portals/new"
    assert c.get("/portals/new").status_code == 200

    c2 = Client(stack.base)
    r = c2.post("/login", login_form_body(c2, email, pw, next="/portals?sort=name"))
    assert r.status_code == 303
    assert r.headers["Location"] == "/portals?sort=name"


def test_login_next_offsite_refused(stack):
    org = stack.new_org()
    email, pw = stack.new_user(org, "owner")
    for bad in ["//evil.example", "https://evil.example/portals", "/\\evil.example",
                "http:/evil.example", "javascript:alert(1)", "evil.example"]:
        c = Client(stack.base)
        r = c.post("/login", login_form_body(c, email, pw, next=bad))
        assert r.status_code == 400, (bad, r.status_code, r.headers.get("Location"))
        assert "evil" not in r.headers.get("Location", "")
        assert not any(v.startswith("js_session=") for v in set_cookies(r))
        g = c.get("/login", params={"next": bad})
        assert g.status_code == 400, bad
        assert 'name="next"' not in g.text
    assert live_sessions(stack, email) == 0
