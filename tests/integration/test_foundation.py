"""The foundation, as a user and an operator see it: sign-in and sessions,
sign-out and revocation, forged cookies, CSRF, the request gate (404, 405,
413, 415, 400), security and cache headers, static files, health and
metrics, HTML escaping, the same program run as plain CGI, the admin tool,
and surviving a PostgreSQL restart."""
import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import secrets
import subprocess
import time
from urllib.parse import urlencode

import psycopg
import requests

from jsclient import Client, csrf_of
from helpers_reconnect import user_id

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOGIN_FAILED = "The email or password is not correct."
CSRF_RE = re.compile(r'name="csrf" value="[^"]*"')


# -- helpers -------------------------------------------------------------------


def raw(stack, method, path, headers=None, body=None):
    """One request exactly as given (no client-side URL normalising)."""
    conn = http.client.HTTPConnection("127.0.0.1", stack.http_port, timeout=30)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        hdrs = dict(headers or {})
        if body is not None:
            if isinstance(body, str):
                body = body.encode()
            hdrs.setdefault("Content-Length", str(len(body)))
        for k, v in hdrs.items():
            conn.putheader(k, v)
        conn.endheaders(body)
        r = conn.getresponse()
        data = r.read()
        return r.status, r.headers, data.decode("utf-8", "replace")
    finally:
        conn.close()


def session_cookie(c):
    return c.s.cookies.get("js_session")


def cookie_header(c):
    return "; ".join("%s=%s" % (k.name, k.value) for k in c.s.cookies)


def set_cookies(resp):
    """All Set-Cookie header values of a requests response."""
    return resp.raw.headers.getlist("Set-Cookie") if resp.raw is not None else []


def live_sessions(stack, email):
    return stack.sql("SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id "
                     "WHERE u.email = %s AND s.ended_at IS NULL", (email,))[0][0]


def oauth_states(stack, org):
    return stack.sql("SELECT count(*) FROM oauth_states WHERE org_id = %s",
                     (stack.org_id(org),))[0][0]


def signed_out(r):
    return r.status_code == 303 and r.headers["Location"].startswith("/login")


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64url_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def hs256(key, header, payload):
    h = b64url(json.dumps(header, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = hmac.new(key, ("%s.%s" % (h, p)).encode(), hashlib.sha256).digest()
    return "%s.%s.%s" % (h, p, b64url(sig))


def get_with_cookie(stack, path, jwt):
    c = Client(stack.base)
    c.s.cookies.set("js_session", jwt)
    return c.get(path)


def assert_security_headers(h, private=True, what=""):
    csp = h.get("Content-Security-Policy", "")
    assert csp, ("no CSP", what)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, (csp, what)
    assert "frame-ancestors 'none'" in csp, (csp, what)
    assert re.search(r"(script-src|default-src) 'self'", csp), (csp, what)
    assert h.get("X-Content-Type-Options") == "nosniff", what
    assert h.get("Referrer-Policy") == "no-referrer", what
    if private:
        assert "no-store" in h.get("Cache-Control", ""), (h.get("Cache-Control"), what)


def connected_portal(stack, c, name=None):
    hub, pid, _ = stack.connect_portal(c, "config_only", admin="alex@agency.test", name=name)
    return hub, pid


def login_form_body(c, email, password, **extra):
    page = c.get("/login").text
    data = {"email": email, "password": password, "csrf": csrf_of(page)}
    data.update(extra)
    return data


# -- sign-in -------------------------------------------------------------------


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


# -- next= ---------------------------------------------------------------------


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


# -- session expiry, sign-out, revocation ----------------------------------------------


def test_session_idle_timeout(stack):
    c = stack.client()
    uid = user_id(stack, c.email)
    # 1700 s idle: still inside the 30-minute window, and the visit renews it
    stack.sql("UPDATE sessions SET last_seen_at = now() - interval '1700 seconds' "
              "WHERE user_id = %s", (uid,))
    assert c.get("/portals").status_code == 200
    idle = stack.sql("SELECT extract(epoch FROM now() - last_seen_at) FROM sessions "
                     "WHERE user_id = %s", (uid,))[0][0]
    assert idle < 60
    stack.sql("UPDATE sessions SET last_seen_at = now() - interval '1801 seconds' "
              "WHERE user_id = %s", (uid,))
    r = c.get("/portals")
    assert r.status_code == 303
    assert r.headers["Location"] == "/login?next=/portals"
    # it stays expired: a page view does not revive an idle session
    assert signed_out(c.get("/portals"))
    r = c.post("/portals/new", {"csrf": "A" * 43, "connection_type": "config_only"})
    assert r.status_code == 303 and r.headers["Location"] == "/login"


def test_session_absolute_expiry(stack):
    c = stack.client()
    uid = user_id(stack, c.email)
    left = stack.sql("SELECT extract(epoch FROM expires_at - created_at) FROM sessions "
                     "WHERE user_id = %s", (uid,))[0][0]
    assert 3600 <= left <= 90 * 86400
    stack.sql("UPDATE sessions SET expires_at = now() - interval '1 second' "
              "WHERE user_id = %s", (uid,))
    r = c.get("/portals")
    assert r.status_code == 303
    assert r.headers["Location"] == "/login?next=/portals"


def test_logout_ends_session(stack):
    c = stack.client()
    jwt = session_cookie(c)
    csrf = c.csrf()
    r = c.post("/logout", {"csrf": csrf})
    assert r.status_code == 303
    assert r.headers["Location"] == "/login"
    gone = [v for v in set_cookies(r) if v.startswith("js_session=")]
    assert gone and ("max-age=0" in gone[0].lower() or "expires=" in gone[0].lower()), gone
    assert live_sessions(stack, c.email) == 0
    # the old cookie, replayed, no longer signs anyone in
    r = get_with_cookie(stack, "/portals", jwt)
    assert r.status_code == 303
    assert r.headers["Location"] == "/login?next=/portals"
    assert signed_out(c.get("/portals"))


def test_logout_without_valid_csrf_refused(stack):
    c = stack.client()
    other = stack.client()
    for data in [{"csrf": "A" * 43}, {"csrf": b64url(os.urandom(32))}, {"csrf": other.csrf()}]:
        r = c.post("/logout", data)
        assert r.status_code == 403, (data, r.status_code)
        assert "Form expired" in r.text
        assert not any(v.startswith("js_session=") for v in set_cookies(r))
    assert live_sessions(stack, c.email) == 1
    assert c.get("/portals").status_code == 200


def test_admin_disable_ends_sessions_at_once(stack):
    org = stack.new_org()
    email, pw = stack.new_user(org, "owner")
    c1, c2 = Client(stack.base), Client(stack.base)
    c1.login(email, pw)
    c2.login(email, pw)
    assert c1.get("/portals").status_code == 200
    assert live_sessions(stack, email) == 2
    r = stack.admin("user", "disable", "--email", email)
    assert email in r.stdout
    for c in (c1, c2):
        r = c.get("/portals")
        assert r.status_code == 303
        assert r.headers["Location"] == "/login?next=/portals"
    assert live_sessions(stack, email) == 0
    r = Client(stack.base).login(email, pw, expect_ok=False)
    assert r.status_code == 403
    assert LOGIN_FAILED in r.text


def test_forged_or_tampered_session_cookie_is_signed_out(stack):
    c = stack.client()
    jwt = session_cookie(c)
    h, p, s = jwt.split(".")
    header = json.loads(b64url_dec(h))
    payload = json.loads(b64url_dec(p))
    assert header.get("alg") == "HS256"
    assert "sid" in payload
    key = base64.b64decode(stack.session_key)
    # control: a token built here with the real key is accepted, so the
    # refusals below are about the forgeries, not the construction
    good = hs256(key, {"alg": "HS256", "typ": "JWT"}, payload)
    assert get_with_cookie(stack, "/portals", good).status_code == 200

    now = int(time.time())
    none_h = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    other_sid = dict(payload, sid=b64url(os.urandom(32)))
    forgeries = {
        "alg none": "%s.%s." % (none_h, p),
        "alg none with old signature": "%s.%s.%s" % (none_h, p, s),
        "wrong signature": "%s.%s.%s" % (h, p, b64url(os.urandom(32))),
        "signature flipped": "%s.%s.%s" % (h, p, s[:-2] + ("A" if s[-2] != "A" else "B") + s[-1]),
        "payload changed": "%s.%s.%s" % (h, b64url(json.dumps(other_sid).encode()), s),
        "other key": hs256(os.urandom(32), {"alg": "HS256", "typ": "JWT"}, payload),
        "HS512 with real key": "%s.%s.%s" % (
            b64url(b'{"alg":"HS512","typ":"JWT"}'), p,
            b64url(hmac.new(key, ("%s.%s" % (b64url(b'{"alg":"HS512","typ":"JWT"}'), p)).encode(),
                            hashlib.sha512).digest())),
        "expired, real key": hs256(key, {"alg": "HS256", "typ": "JWT"},
                                   dict(payload, exp=now - 10)),
        "unknown session, real key": hs256(key, {"alg": "HS256", "typ": "JWT"}, other_sid),
        "truncated": jwt[:-5],
        "garbage": "not.a.jwt",
        "empty": "",
    }
    for what, token in forgeries.items():
        r = get_with_cookie(stack, "/portals", token)
        assert r.status_code == 303, (what, r.status_code)
        assert r.headers["Location"] == "/login?next=/portals", what
        assert c.email not in r.text, what
    # the genuine cookie still works afterwards
    assert c.get("/portals").status_code == 200


# -- CSRF on state-changing forms ------------------------------------------------------


def test_csrf_refused_on_connect(stack):
    c = stack.client()
    other_user = stack.client(org=c.org)
    same_user_other_session = Client(stack.base)
    same_user_other_session.login(c.email, c.password)
    before = oauth_states(stack, c.org)
    bad = [
        ("wrong", {"csrf": b64url(os.urandom(32)), "connection_type": "config_only"}),
        ("other user's", {"csrf": other_user.csrf(), "connection_type": "config_only"}),
        ("own other session's", {"csrf": same_user_other_session.csrf(),
                                 "connection_type": "config_only"}),
        ("login form's", {"csrf": csrf_of(c.get("/login").text),
                          "connection_type": "config_only"}),
    ]
    for what, data in bad:
        r = c.post("/portals/new", data)
        assert r.status_code == 403, (what, r.status_code, r.text[:300])
        assert "Form expired" in r.text, what
        assert "Location" not in r.headers, what
        assert_security_headers(r.headers, what=what)
    assert oauth_states(stack, c.org) == before
    # control: the page's own token works and adds one state
    r = c.post("/portals/new", {"csrf": c.csrf("/portals/new"), "connection_type": "config_only"})
    assert r.status_code == 303
    assert oauth_states(stack, c.org) == before + 1


def test_csrf_refused_on_reconnect(stack):
    c = stack.client()
    hub, pid = connected_portal(stack, c)
    stack.sql("UPDATE portals SET status = 'needs_reconnection', status_reason = 'test' "
              "WHERE id = %s", (pid,))
    other_user = stack.client(org=c.org)
    before = oauth_states(stack, c.org)
    for what, data in [("wrong", {"csrf": b64url(os.urandom(32))}),
                       ("other session's", {"csrf": other_user.csrf()})]:
        r = c.post("/portals/%d/reconnect" % pid, data)
        assert r.status_code == 403, (what, r.status_code, r.text[:300])
        assert "Form expired" in r.text, what
        assert "Location" not in r.headers, what
    assert oauth_states(stack, c.org) == before
    assert stack.sql("SELECT status FROM portals WHERE id = %s", (pid,))[0][0] == \
        "needs_reconnection"
    r = c.post("/portals/%d/reconnect" % pid, {"csrf": c.csrf()})
    assert r.status_code == 303
    assert oauth_states(stack, c.org) == before + 1


def test_missing_csrf_is_refused_as_expired_form(stack):
    """A form posted without its token (or with an empty one) is the same
    refusal as a wrong token: 403 "Form expired", nothing changed."""
    c = stack.client()
    hub, pid = connected_portal(stack, c)
    stack.sql("UPDATE portals SET status = 'needs_reconnection', status_reason = 'test' "
              "WHERE id = %s", (pid,))
    before = oauth_states(stack, c.org)
    results = {}
    for path, data in [("/logout", {}),
                       ("/logout", {"csrf": ""}),
                       ("/portals/new", {"connection_type": "config_only"}),
                       ("/portals/new", {"csrf": "", "connection_type": "config_only"}),
                       ("/portals/%d/reconnect" % pid, {}),
                       ("/portals/%d/reconnect" % pid, {"csrf": ""})]:
        r = c.post(path, data)
        results["%s %s" % (path, sorted(data))] = (r.status_code, "Form expired" in r.text)
    assert oauth_states(stack, c.org) == before
    assert live_sessions(stack, c.email) == 1
    assert all(v == (403, True) for v in results.values()), results


# -- the gate: 404, 405, 413, 415, 400 --------------------------------------------------


def test_unknown_paths_404(stack):
    c = stack.client()
    cookie = cookie_header(c)
    paths = ["/nope", "/portals/", "/portals/abc", "/portals/0", "/portals/007",
             "/portals/99999999999999999999", "/portals/1/unknown", "/PORTALS", "/login/",
             "/portals/%3Cscript%3E", "/%27%22", "/caf%C3%A9", "/a%20b", "/portals/1%3Bx",
             "/portals/new.json", "/static.css", "/portals/1/reconnect/2", "/help/nope"]
    for path in paths:
        for hdrs in ({}, {"Cookie": cookie}):
            status, h, body = raw(stack, "GET", path, hdrs)
            assert status == 404, (path, status)
            assert "Page not found" in body, path
            assert "<script" not in body.lower(), path
            assert_security_headers(h, what=path)


def test_wrong_method_405_with_allow(stack):
    c = stack.client()
    cookie = cookie_header(c)
    csrf = c.csrf()
    cases = [("POST", "/portals", "GET, HEAD"),
             ("GET", "/logout", "POST"),
             ("PUT", "/login", "GET, HEAD, POST"),
             ("DELETE", "/portals/1", "GET, HEAD"),
             ("POST", "/healthz", "GET, HEAD"),
             ("GET", "/portals/1/reconnect", "POST")]
    for method, path, allow in cases:
        body = "csrf=%s" % csrf if method == "POST" else None
        hdrs = {"Cookie": cookie}
        if body:
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        status, h, text = raw(stack, method, path, hdrs, body)
        assert status == 405, (method, path, status)
        allowed = sorted(m.strip() for m in h.get("Allow", "").split(","))
        assert allowed == sorted(allow.split(", ")), (method, path, h.get("Allow"))
        assert_security_headers(h, what=path)
    # still signed in: GET /logout did not sign out
    assert c.get("/portals").status_code == 200
    assert live_sessions(stack, c.email) == 1


def test_body_over_64k_413(stack):
    org = stack.new_org()
    email, pw = stack.new_user(org, "owner")
    c = Client(stack.base)
    data = login_form_body(c, email, pw)
    data["pad"] = "x" * (70 * 1024)
    r = c.post("/login", data)
    assert r.status_code == 413
    assert "too large" in r.text.lower()
    assert_security_headers(r.headers)
    assert not any(v.startswith("js_session=") for v in set_cookies(r))
    assert live_sessions(stack, email) == 0
    # signed in, on a state-changing form: refused and nothing changed
    s = stack.client()
    before = oauth_states(stack, s.org)
    r = s.post("/portals/new", {"csrf": s.csrf("/portals/new"), "connection_type": "config_only",
                                "pad": "y" * (70 * 1024)})
    assert r.status_code == 413
    assert oauth_states(stack, s.org) == before


def test_body_just_under_64k_processed(stack):
    org = stack.new_org()
    email, pw = stack.new_user(org, "owner")
    c = Client(stack.base)
    data = login_form_body(c, email, pw)
    data["pad"] = ""
    data["pad"] = "x" * (64 * 1024 - len(urlencode(data)) - 16)
    r = c.post("/login", data)
    assert 60 * 1024 < len(r.request.body) <= 64 * 1024
    assert r.status_code == 303, (r.status_code, r.text[:300])
    assert r.headers["Location"] == "/portals"
    assert c.get("/portals").status_code == 200


def test_non_urlencoded_post_415(stack):
    org = stack.new_org()
    email, pw = stack.new_user(org, "owner")
    c = Client(stack.base)
    data = login_form_body(c, email, pw)
    r = c.post("/login", data=json.dumps(data), headers={"Content-Type": "application/json"})
    assert r.status_code == 415
    assert "urlencoded" in r.text
    assert_security_headers(r.headers)
    r = c.post("/login", files={"email": (None, email), "password": (None, pw),
                                "csrf": (None, data["csrf"])})
    assert r.status_code == 415
    r = c.post("/login", data="email=x", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
    assert live_sessions(stack, email) == 0


def test_bad_encoding_and_invalid_fields_400(stack):
    org = stack.new_org()
    email, pw = stack.new_user(org, "owner")
    c = Client(stack.base)
    page = c.get("/login").text
    cookie = cookie_header(c)
    csrf = csrf_of(page)
    form = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    qemail = requests.utils.quote(email, safe="")
    qpw = requests.utils.quote(pw, safe="")
    bodies = ["email=%s&password=%s&csrf=%s&x=%%zz" % (qemail, qpw, csrf),
              "email=%s&password=%s%%&csrf=%s" % (qemail, qpw, csrf),
              "email=%s&password=%%C0%%AF&csrf=%s" % (qemail, csrf),
              "email=%s&password=%%ED%%A0%%80&csrf=%s" % (qemail, csrf),
              "email=%s&password=a%%00b&csrf=%s" % (qemail, csrf),
              "email=%s&password=%s&csrf=%s&csrf=%s" % (qemail, qpw, csrf, csrf),
              "email=not-an-email&password=%s&csrf=%s" % (qpw, csrf)]
    for body in bodies:
        status, h, text = raw(stack, "POST", "/login", form, body)
        assert status == 400, (body, status)
        assert "Set-Cookie" not in h or "js_session" not in h.get("Set-Cookie", ""), body
        assert_security_headers(h, what=body)
    assert live_sessions(stack, email) == 0
    # the same form, well encoded, signs in: the 400s were about the encoding
    status, h, _ = raw(stack, "POST", "/login", form,
                       "email=%s&password=%s&csrf=%s" % (qemail, qpw, csrf))
    assert status == 303


def test_invalid_query_fields_400(stack):
    c = stack.client()
    cookie = {"Cookie": cookie_header(c)}
    for path, field in [("/portals?sort=evil", "sort"),
                        ("/portals?status=all", "status"),
                        ("/portals?after=01", "after"),
                        ("/portals?after=-5", "after"),
                        ("/portals?sort=name&sort=status", None),
                        ("/portals?sort=%zz", None),
                        ("/portals?after=%C3%28", None),
                        ("/portals/1?before=abc", "before")]:
        status, h, body = raw(stack, "GET", path, cookie)
        assert status == 400, (path, status)
        if field:
            assert '&quot;%s&quot;' % field in body or '"%s"' % field in body, (path, body[:500])
        assert_security_headers(h, what=path)
    assert c.get("/portals?sort=name&status=connected").status_code == 200


def test_invalid_form_field_changes_nothing(stack):
    c = stack.client()
    before = oauth_states(stack, c.org)
    csrf = c.csrf("/portals/new")
    for data in [{"csrf": csrf, "connection_type": "evil"},
                 {"csrf": csrf, "connection_type": ""},
                 {"csrf": csrf},
                 "csrf=%s&connection_type=config_only&connection_type=audit_only" % csrf,
                 "csrf=%s&connection_type=config%%zz" % csrf]:
        headers = {"Content-Type": "application/x-www-form-urlencoded"} \
            if isinstance(data, str) else None
        r = c.post("/portals/new", data, headers=headers)
        assert r.status_code == 400, (data, r.status_code)
        assert "Location" not in r.headers
        if isinstance(data, dict):
            assert "nothing was changed" in r.text.lower()
    assert oauth_states(stack, c.org) == before


# -- headers, static files, health, metrics ---------------------------------------------


def test_security_headers_everywhere(stack):
    c = stack.client()
    anon = Client(stack.base)
    responses = {
        "login page": anon.get("/login"),
        "help page": anon.get("/help"),
        "home redirect": anon.get("/"),
        "sign-in redirect": anon.get("/portals"),
        "portals page": c.get("/portals"),
        "connect page": c.get("/portals/new"),
        "404 page": c.get("/does-not-exist"),
        "400 page": c.get("/portals?sort=evil"),
        "403 page": c.post("/portals/new", {"csrf": "A" * 43, "connection_type": "config_only"}),
        "405 page": c.get("/logout"),
        "413 page": anon.post("/login", {"pad": "z" * 70000}),
        "connect redirect": c.post("/portals/new", {"csrf": c.csrf("/portals/new"),
                                                    "connection_type": "config_only"}),
    }
    for what, r in responses.items():
        assert_security_headers(r.headers, what=what)
    assert responses["home redirect"].status_code == 303
    assert responses["connect redirect"].status_code == 303
    assert responses["portals page"].headers["Content-Type"].startswith("text/html")
    csp = responses["portals page"].headers["Content-Security-Policy"]
    assert "object-src 'none'" in csp or "default-src 'none'" in csp or "default-src 'self'" in csp


def test_static_css_served_with_long_cache(stack):
    r = requests.get(stack.base + "/static/app.css", timeout=30)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/css")
    with open(os.path.join(ROOT, "static", "app.css"), "rb") as f:
        assert r.content == f.read()
    cc = r.headers.get("Cache-Control", "")
    assert "no-store" not in cc
    ages = [int(a) for a in re.findall(r"max-age=(\d+)", cc)]
    assert ages and min(ages) >= 86400, cc
    assert "Expires" in r.headers
    assert r.headers.get("X-Content-Type-Options") == "nosniff"
    # nginx's own static file answers: validators and conditional requests
    assert "ETag" in r.headers and "Last-Modified" in r.headers
    r2 = requests.get(stack.base + "/static/app.css", timeout=30,
                      headers={"If-None-Match": r.headers["ETag"]})
    assert r2.status_code == 304


def test_healthz_and_metrics(stack):
    r = requests.get(stack.base + "/healthz", timeout=30)
    assert r.status_code == 200
    assert r.text.strip() == "ok"
    assert "no-store" in r.headers.get("Cache-Control", "")

    def count():
        m = requests.get(stack.base + "/metrics", timeout=30)
        assert m.status_code == 200
        assert m.headers["Content-Type"].startswith("text/plain")
        found = 0
        for line in m.text.splitlines():
            if line.startswith("jetstack_http_requests_total{") and 'route="portals"' in line \
                    and 'status="200"' in line:
                found += int(float(line.rsplit(" ", 1)[1]))
        return found, m.text

    c = stack.client()
    assert c.get("/portals").status_code == 200
    n1, text = count()
    assert n1 >= 1, text
    assert "# TYPE jetstack_http_requests_total counter" in text
    for name in ("jetstack_portals", "jetstack_jobs", "jetstack_oldest_due_job_seconds",
                 "jetstack_token_refreshes_total"):
        assert re.search(r"^# TYPE %s (counter|gauge)$" % name, text, re.M), name
    assert c.get("/portals").status_code == 200
    n2, _ = count()
    assert n2 == n1 + 1


# -- HTML escaping ---------------------------------------------------------------------


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


# -- CGI mode --------------------------------------------------------------------------


def run_cgi(stack, path, query="", cookie=None, method="GET"):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "GATEWAY_INTERFACE": "CGI/1.1",
           "SERVER_PROTOCOL": "HTTP/1.1",
           "SERVER_SOFTWARE": "test",
           "REMOTE_ADDR": "127.0.0.1",
           "REQUEST_METHOD": method,
           "DOCUMENT_URI": path,
           "REQUEST_URI": path + ("?" + query if query else ""),
           "SCRIPT_NAME": path,
           "QUERY_STRING": query,
           "JETSTACK_ENV_FILE": os.path.join(stack.state, "jetstack.env"),
           "JETSTACK_TEMPLATE_DIR": os.path.join(stack.state, "app/share/jetstack/templates")}
    if cookie:
        env["HTTP_COOKIE"] = cookie
    p = subprocess.run([os.path.join(stack.state, "app/lib/jetstack/cgi-bin/jetstack")],
                       stdin=subprocess.DEVNULL, capture_output=True, env=env, cwd=stack.state,
                       timeout=60)
    assert p.returncode == 0, (p.returncode, p.stderr[-2000:])
    head, sep, body = p.stdout.partition(b"\r\n\r\n")
    assert sep, p.stdout[:500]
    lines = head.decode().split("\r\n")
    m = re.match(r"Status: (\d{3}) ", lines[0])
    assert m, lines[0]
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(": ")
        headers.setdefault(k.lower(), []).append(v)
    return int(m.group(1)), headers, body.decode()


def normalise(page):
    return CSRF_RE.sub('name="csrf" value=""', page)


def structure(page):
    ids = re.findall(r'\bid="([^"]+)"', page)
    forms = re.findall(r'<form [^>]*action="([^"]+)"', page)
    return ids, forms


def test_cgi_mode_answers_like_fastcgi(stack):
    # GET /login, anonymous
    status, headers, body = run_cgi(stack, "/login")
    r = requests.get(stack.base + "/login", timeout=30)
    assert status == r.status_code == 200
    assert headers["content-type"][0] == r.headers["Content-Type"]
    for name in ("content-security-policy", "x-content-type-options", "referrer-policy",
                 "cache-control"):
        assert headers[name][0] == r.headers[name], name
    assert any(v.startswith("js_pre=") for v in headers.get("set-cookie", []))
    assert normalise(body) == normalise(r.text)
    assert 'id="login-form"' in body

    # GET /portals, signed in through nginx, the same cookie to the CGI program
    c = stack.client()
    hub, pid = connected_portal(stack, c, "CGI Portal")
    assert 'id="flash"' in c.get("/portals").text  # the one-time confirmation, now shown
    r = c.get("/portals")
    status, headers, body = run_cgi(stack, "/portals", cookie=cookie_header(c))
    assert status == r.status_code == 200
    assert 'id="portal-table"' in body and 'id="sidebar"' in body
    assert 'id="portal-%d"' % pid in body
    assert structure(body) == structure(r.text)
    assert normalise(body) == normalise(r.text)

    # a query string and a 400 and a redirect, the same way
    status, _, body = run_cgi(stack, "/portals", query="sort=name", cookie=cookie_header(c))
    assert status == 200 and 'id="portal-%d"' % pid in body
    status, _, body = run_cgi(stack, "/portals", query="sort=evil", cookie=cookie_header(c))
    assert status == 400
    status, headers, _ = run_cgi(stack, "/portals")
    assert status == 303 and headers["location"] == ["/login?next=/portals"]
    status, _, body = run_cgi(stack, "/nope")
    assert status == 404 and "Page not found" in body


# -- the admin tool --------------------------------------------------------------------


def admin_db(stack):
    """A fresh, empty database in the test cluster; returns (conninfo, drop)."""
    name = "jst_migrate_%s" % secrets.token_hex(4)
    su = re.sub(r"user=\S+", "user=postgres", re.sub(r"dbname=\S+", "dbname=postgres",
                                                      stack.conninfo))
    with psycopg.connect(su, autocommit=True) as conn:
        conn.execute("CREATE DATABASE %s OWNER jetstack" % name)

    def drop():
        with psycopg.connect(su, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
    return re.sub(r"dbname=\S+", "dbname=" + name, stack.conninfo), drop


def test_admin_migrate_twice_is_safe(stack):
    conninfo, drop = admin_db(stack)
    try:
        env = {"JETSTACK_DATABASE": conninfo}
        r1 = stack.admin("migrate", env=env)
        n = len([f for f in os.listdir(os.path.join(ROOT, "sql")) if f.endswith(".sql")])
        assert re.search(r"\b%d applied" % n, r1.stdout), r1.stdout
        r2 = stack.admin("migrate", env=env)
        assert re.search(r"\b0 applied", r2.stdout), r2.stdout
        with psycopg.connect(conninfo, autocommit=True) as conn:
            tables = {t for (t,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()}
        assert {"organisations", "users", "memberships", "sessions", "portals",
                "portal_tokens", "oauth_states", "jobs"} <= tables
    finally:
        drop()
    # and on the live database too
    r = stack.admin("migrate")
    assert re.search(r"\b0 applied", r.stdout), r.stdout


def test_admin_bad_arguments(stack):
    org = stack.new_org()
    email = "adm-%s@example.test" % secrets.token_hex(3)
    cases = [
        (["user", "create", "--org", org, "--email", email, "--role", "god"], "role"),
        (["user", "create", "--org", org, "--role", "owner"], "--email"),
        (["user", "create", "--org", org, "--email", "not-an-email", "--role", "owner"],
         "email"),
        (["user", "create", "--org", "no-such-org-%s" % secrets.token_hex(3), "--email", email,
          "--role", "owner"], "no organisation named"),
        (["user", "create", "--org", org, "--email", email, "--role", "owner", "--bogus", "x"],
         "--bogus"),
        (["portal", "list", "--org", "no-such-org-%s" % secrets.token_hex(3)],
         "no organisation named"),
        (["portal", "list"], "--org"),
        (["user", "disable"], "--email"),
        (["user", "disable", "--email", "nobody-%s@example.test" % secrets.token_hex(3)],
         "no user"),
        (["org", "create", org], "exists"),
        (["org", "create", ""], "organisation name"),
        (["frobnicate"], "usage"),
        ([], "usage"),
    ]
    for args, words in cases:
        r = stack.admin(*args, input="pw-123456\n", check=False)
        assert r.returncode != 0, (args, r.stdout)
        assert words in r.stderr, (args, r.stderr)
        assert len(r.stderr.strip()) > 0
    assert stack.sql("SELECT count(*) FROM users WHERE email = %s", (email,))[0][0] == 0


def test_admin_user_create_reads_password_from_stdin(stack):
    org = stack.new_org()
    email = "stdin-%s@example.test" % secrets.token_hex(3)
    pw = "correct horse \u00fc %s" % secrets.token_hex(4)
    r = stack.admin("user", "create", "--org", org, "--email", email, "--role", "admin",
                    input=pw + "\n")
    assert email in r.stdout
    assert pw not in r.stdout + r.stderr
    stored = stack.sql("SELECT password_hash FROM users WHERE email = %s", (email,))[0][0]
    assert pw not in stored and stored.startswith("$y$"), stored[:10]
    c = Client(stack.base)
    c.login(email, pw)
    page = c.get("/portals").text
    assert email in page and "admin" in page
    # no password on stdin: refused, nothing created
    other = "nopw-%s@example.test" % secrets.token_hex(3)
    r = stack.admin("user", "create", "--org", org, "--email", other, "--role", "owner",
                    input="", check=False)
    assert r.returncode != 0
    assert "password" in r.stderr
    assert stack.sql("SELECT count(*) FROM users WHERE email = %s", (other,))[0][0] == 0
    # the same email twice: refused
    r = stack.admin("user", "create", "--org", org, "--email", email, "--role", "owner",
                    input="x\n", check=False)
    assert r.returncode != 0 and "exists" in r.stderr


def test_admin_portal_list(stack):
    c = stack.client()
    name = "Listed Portal %s" % secrets.token_hex(3)
    hub, pid = connected_portal(stack, c, name)
    other = stack.client()
    other_hub, _ = connected_portal(stack, other)
    r = stack.admin("portal", "list", "--org", c.org)
    lines = r.stdout.splitlines()
    assert "HUB ID" in lines[0] and "STATUS" in lines[0]
    rows = [line for line in lines[1:] if str(hub) in line]
    assert len(rows) == 1
    shown = stack.sql("SELECT name FROM portals WHERE id = %s", (pid,))[0][0]
    assert shown in rows[0] and "connected" in rows[0]
    assert rows[0].split()[0] == str(pid)
    assert str(other_hub) not in r.stdout
    empty = stack.admin("portal", "list", "--org", stack.new_org())
    assert len(empty.stdout.strip().splitlines()) == 1


def test_page_read_with_the_session_follows_the_session_not_the_token(stack):
    """The Client Accounts page is read in the same round trip as the
    session check, for the organisation named in the session token's signed
    "org" grant.  What the page shows must still come from the session: a
    token whose grant names another organisation (possible only with the
    key) shows the session's own portals, and a token without the grant
    (issued before it existed) works too."""
    mine, theirs = stack.client(), stack.client()
    for c, name in ((mine, "Mine %s" % os.urandom(3).hex()), (theirs, "Theirs %s" % os.urandom(3).hex())):
        stack.sql("INSERT INTO portals (org_id, hub_id, name, connection_type, status, granted_scopes) "
                  "VALUES (%s, %s, %s, 'config_only', 'connected', '')",
                  (stack.org_id(c.org), 880000000 + int.from_bytes(os.urandom(3), "big"), name))
        c.portal_name = name
    jwt = mine.s.cookies.get("js_session")
    h, p, _ = jwt.split(".")
    payload = json.loads(b64url_dec(p))
    assert payload.get("org") == stack.org_id(mine.org)  # sign-in puts the grant in
    key = base64.b64decode(stack.session_key)
    hdr = {"alg": "HS256", "typ": "JWT"}
    tokens = {
        "as issued": jwt,
        "grant names another organisation": hs256(key, hdr, dict(payload, org=stack.org_id(theirs.org))),
        "no grant": hs256(key, hdr, {k: v for k, v in payload.items() if k != "org"}),
        "grant names no organisation": hs256(key, hdr, dict(payload, org=987654321)),
    }
    for what, token in tokens.items():
        for query in ("", "?sort=status", "?sort=last&status=connected"):
            r = get_with_cookie(stack, "/portals" + query, token)
            assert r.status_code == 200, (what, query, r.status_code)
            assert mine.portal_name in r.text, (what, query)
            assert theirs.portal_name not in r.text, (what, query)


def test_page_statement_failure_is_a_500_and_the_connection_recovers(stack):
    """The session check and the page's list are sent in one pipeline.  When
    the list alone fails, the page answers 500 (not "database down"), and
    every FastCGI thread's connection is usable again afterwards (no
    pipeline left half read)."""
    c = stack.client()
    assert c.get("/portals").status_code == 200
    su = stack.conninfo.replace("user=jetstack", "user=postgres")
    with psycopg.connect(su, autocommit=True) as db:
        db.execute("REVOKE SELECT ON portals FROM jetstack")
        try:
            for _ in range(6):  # reaches every thread
                r = c.get("/portals")
                assert r.status_code == 500, r.status_code
                assert "Something went wrong" in r.text and "Nothing was changed" in r.text
        finally:
            db.execute("GRANT SELECT ON portals TO jetstack")
    for _ in range(8):
        r = c.get("/portals?sort=status")
        assert r.status_code == 200, r.status_code
    assert c.get("/portals/new").status_code == 200


# -- PostgreSQL restart ----------------------------------------------------------------


def test_postgres_restart(stack):
    c = stack.client()
    assert c.get("/portals").status_code == 200
    # warm every FastCGI thread's connection
    for _ in range(8):
        assert requests.get(stack.base + "/healthz", timeout=30).status_code == 200
    stopped = False
    try:
        stack.sh("pg-stop")
        stopped = True
        r = requests.get(stack.base + "/healthz", timeout=30)
        assert r.status_code == 503
        assert_security_headers(r.headers)
        p = c.get("/portals")
        assert p.status_code == 503, p.status_code
        assert "try again" in p.text.lower()
        stack.sh("pg-start", str(stack.pg_port))
        stopped = False
        for i in range(8):
            r = c.get("/portals")
            assert r.status_code == 200, (i, r.status_code, r.text[:300])
        assert requests.get(stack.base + "/healthz", timeout=30).status_code == 200
    finally:
        if stopped:
            stack.sh("pg-start", str(stack.pg_port))
    # the stack is usable for what comes next: a fresh sign-in and a form post
    d = stack.client()
    assert d.post("/portals/new", {"csrf": d.csrf("/portals/new"),
                                   "connection_type": "config_only"}).status_code == 303


# -- pages: no inline script, every form has a CSRF token ---------------------------------


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
