"""Helpers used by more than one of the files split out of the old
test_foundation.py (test_login, test_sessions, test_csrf, test_request_gate,
test_security_headers, test_html_output, test_cgi_mode, test_admin_tool,
test_db_failures): cookies, live session and OAuth state counts, base64url,
the security-header check, a connected portal, the sign-in form body."""
import base64
import os
import re

from jsclient import csrf_of

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOGIN_FAILED = "The email or password is not correct."
CSRF_RE = re.compile(r'name="csrf" value="[^"]*"')


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


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


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
