"""The request gate in front of every handler: unknown paths 404, wrong
methods 405 with Allow, bodies over 64 KiB 413, non-form bodies 415, bad
encoding and invalid query or form fields 400, and nothing changed by any."""
import http.client
import json
from urllib.parse import urlencode

import requests

from jsclient import Client, csrf_of
from helpers_foundation import (assert_security_headers, cookie_header, live_sessions,
                                login_form_body, oauth_states, set_cookies)


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
