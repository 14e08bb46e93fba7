"""Reconnect links: an owner or admin sends the client's HubSpot admin a
link that reconnects one portal without a JetStack account.  Opening it
uses nothing up; only a successful reconnect does; it is refused once
expired, used, revoked, for another organisation, or when its creator may
no longer manage portals; the callback makes every check but the JetStack
session (the right hub, a HubSpot admin, the scopes) and revokes the grant
of a refused attempt; it never connects a new portal; at most 10 starts
an hour."""
import re

import pytest

from helpers_reconnect import grants, make_yellow_worker, portal_row
from jsclient import Client, csrf_of


def create_link(stack, c, pid, email=""):
    r = c.post("/portals/%d/links" % pid, {"csrf": c.csrf("/portals/%d" % pid), "email": email})
    assert r.status_code == 200, (r.status_code, r.text[-800:])
    url = re.search(r'id="link-url" value="([^"]+)"', r.text).group(1)
    assert url.startswith(stack.base + "/reconnect?t=")
    return url[len(stack.base):]


def client_side(stack, path, hub, as_user="alex@agency.test", action="connect"):
    """The client's browser: no JetStack session.  Opens the link, starts
    the flow, chooses hub at HubSpot.  Returns the callback's answer."""
    b = Client(stack.base)
    page = b.get(path)
    assert page.status_code == 200, (page.status_code, page.text[-500:])
    token = re.search(r'name="t" value="([^"]+)"', page.text).group(1)
    r = b.post("/reconnect", {"csrf": csrf_of(page.text), "t": token})
    assert r.status_code == 303, (r.status_code, r.text[-500:])
    cb = b.hubspot_choose(r.headers["Location"], hub, action, as_user=as_user)
    return b.follow_callback(cb)


def test_the_clients_admin_reconnects_without_an_account(stack):
    c = stack.client()
    hub, pid, _ = stack.connect_portal(c, "config_only")
    make_yellow_worker(stack, hub, pid)
    path = create_link(stack, c, pid)
    page = c.get("/portals/%d" % pid).text
    assert re.search(r'id="link-\d+"', page) and c.email in page  # listed with its creator
    # opening it (a mail scanner, the client) uses nothing up
    anon = Client(stack.base)
    for _ in range(3):
        got = anon.get(path)
        assert got.status_code == 200 and "Continue to HubSpot" in got.text and str(hub) in got.text
    r = client_side(stack, path, hub)
    assert r.status_code == 200 and 'id="link-done"' in r.text, r.text[-800:]
    row = portal_row(stack, pid)
    assert row["status"] == "connected"
    (kind, msg), = stack.sql("SELECT kind, message FROM activity WHERE portal_id = %s AND kind = 'reconnected'",
                             (pid,))
    assert c.email in msg and "reconnect link" in msg and "alex@agency.test" in msg
    # used up
    assert Client(stack.base).get(path).status_code == 410
    assert 'id="link-' not in c.get("/portals/%d" % pid).text.split('id="links"')[1].split("</table>")[0]


def test_refused_links(stack):
    c = stack.client()
    hub, pid, _ = stack.connect_portal(c, "config_only")
    # revoked
    path = create_link(stack, c, pid)
    (lid,), = stack.sql("SELECT max(id) FROM reconnect_links WHERE portal_id = %s", (pid,))
    assert c.post("/links/%d/revoke" % lid, {"csrf": c.csrf("/portals/%d" % pid)}).status_code == 303
    r = Client(stack.base).get(path)
    assert r.status_code == 410 and "revoked" in r.text
    # expired
    path = create_link(stack, c, pid)
    stack.sql("UPDATE reconnect_links SET expires_at = now() - interval '1 second' WHERE portal_id = %s "
              "AND revoked_at IS NULL", (pid,))
    r = Client(stack.base).get(path)
    assert r.status_code == 410 and "expired" in r.text
    # unknown
    assert Client(stack.base).get("/reconnect?t=" + "A" * 43).status_code == 404
    # voided: the creator is no longer an owner or admin
    admin = stack.client(org=c.org, role="admin")
    path = create_link(stack, admin, pid)
    stack.admin("user", "role", "--org", c.org, "--email", admin.email, "--role", "member")
    r = Client(stack.base).get(path)
    assert r.status_code == 410 and "can no longer manage" in r.text
    # another organisation cannot revoke it; members cannot create one
    other = stack.client()
    assert other.post("/links/%d/revoke" % lid, {"csrf": other.csrf()}).status_code == 404
    member = stack.client(org=c.org, role="member")
    page = member.get("/portals/%d" % pid).text
    assert 'id="link-create"' not in page
    assert member.post("/portals/%d/links" % pid, {"csrf": csrf_of(page)}).status_code == 403


def test_wrong_portal_and_non_admin_are_refused_with_the_grant_revoked(stack):
    c = stack.client()
    hub, pid, _ = stack.connect_portal(c, "config_only")
    other_hub = stack.new_hub()
    before = stack.sql("SELECT status, status_reason FROM portals WHERE id = %s", (pid,))
    path = create_link(stack, c, pid)
    r = client_side(stack, path, other_hub)
    assert r.status_code in (400, 409) and "nothing was changed" in r.text.lower(), r.text[-500:]
    assert all(g["status"] == "revoked" for g in grants(stack, other_hub).values())
    assert stack.sql("SELECT status, status_reason FROM portals WHERE id = %s", (pid,)) == before
    # it never connects a new portal
    assert stack.sql("SELECT count(*) FROM portals WHERE hub_id = %s", (other_hub,)) == [(0,)]
    # a HubSpot user who is not an admin of the portal
    stack.sim("POST", "/_sim/users", {"email": "intern@client.test", "portals": {str(hub): {"super_admin": False}}})
    r = client_side(stack, path, hub, as_user="intern@client.test")
    assert r.status_code == 403 and "nothing was changed" in r.text.lower(), (r.status_code, r.text[-500:])
    # neither attempt used the link up
    assert Client(stack.base).get(path).status_code == 200


def test_at_most_ten_starts_an_hour(stack):
    c = stack.client()
    hub, pid, _ = stack.connect_portal(c, "config_only")
    path = create_link(stack, c, pid)
    b = Client(stack.base)
    page = b.get(path).text
    token = re.search(r'name="t" value="([^"]+)"', page).group(1)
    codes = [b.post("/reconnect", {"csrf": csrf_of(page), "t": token}).status_code for _ in range(11)]
    assert codes[:10] == [303] * 10 and codes[10] == 429, codes
    # a forged POST without the page's token is refused
    assert Client(stack.base).post("/reconnect", {"t": token}).status_code == 403
