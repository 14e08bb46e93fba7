"""CSRF on state-changing forms (connect, reconnect, sign-out): a wrong,
foreign or missing token is 403 "Form expired" and changes nothing."""
import os

from jsclient import Client, csrf_of
from helpers_foundation import (assert_security_headers, b64url, connected_portal,
                                live_sessions, oauth_states)


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
