"""A portal's display name: the domain at first, then what an owner or admin
sets; a reconnect never overwrites it; members and viewers cannot change
it; another organisation's ids answer 404."""
from jsclient import csrf_of


def rename(c, pid, name, expect=303):
    r = c.post("/portals/%d/name" % pid, {"csrf": c.csrf("/portals/%d" % pid), "name": name})
    assert r.status_code == expect, (r.status_code, r.text[-500:])
    return r


def test_rename_survives_a_reconnect(stack):
    c = stack.client()
    hub, pid, _ = stack.connect_portal(c, "config_only")
    domain = stack.sql("SELECT hub_domain FROM portals WHERE id = %s", (pid,))[0][0]
    assert stack.sql("SELECT name FROM portals WHERE id = %s", (pid,)) == [(domain,)]
    rename(c, pid, "Acme <EU> & Co")
    page = c.get("/portals").text
    assert "Acme &lt;EU&gt; &amp; Co" in page
    assert stack.sql("SELECT kind FROM activity WHERE portal_id = %s ORDER BY id DESC LIMIT 1",
                     (pid,)) == [("renamed",)]
    r = c.reconnect(pid, hub, as_user="alex@agency.test")
    assert r.status_code == 303
    assert stack.sql("SELECT name FROM portals WHERE id = %s", (pid,)) == [("Acme <EU> & Co",)]
    # blank or too long names change nothing
    rename(c, pid, "   ", expect=400)
    rename(c, pid, "x" * 201, expect=400)
    assert stack.sql("SELECT name FROM portals WHERE id = %s", (pid,)) == [("Acme <EU> & Co",)]


def test_only_owners_and_admins_rename(stack):
    c = stack.client()
    hub, pid, _ = stack.connect_portal(c, "config_only")
    for role in ("member", "viewer"):
        u = stack.client(org=c.org, role=role)
        page = u.get("/portals/%d" % pid).text
        assert 'id="rename-form"' not in page
        assert u.post("/portals/%d/name" % pid, {"csrf": csrf_of(page), "name": "Nope"}).status_code == 403
    other = stack.client()
    assert other.post("/portals/%d/name" % pid, {"csrf": other.csrf(), "name": "Nope"}).status_code == 404
    admin = stack.client(org=c.org, role="admin")
    rename(admin, pid, "Renamed by an admin")
