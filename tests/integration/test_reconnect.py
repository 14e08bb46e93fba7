"""Client Accounts: connect and reconnect through nginx against the HubSpot
simulator -- first connections, reconnects by another admin, token
replacement and encryption at rest, data kept across a reconnect, every
refusal path changing nothing, permissions, foreign ids, no secrets in
URLs, Disconnect / Remove, and the /portals table (sorting, filtering,
keyset paging)."""
import base64
import html
import re
import secrets

from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest

from jsclient import Client
from helpers_reconnect import (ACCESS_RE, REFRESH_RE, REQUIRED, assert_refusal, by_id, connected,
                               audit_history, deploy_history,
                               decrypt_tokens, error_message, error_title, flash, grants, hs_email,
                               introspect, log_mark, log_since, make_yellow_sql, make_yellow_worker,
                               next_href, org_portal_count, pg_dump, portal_row, seed_history,
                               snapshot, table_rows, token_row, user_id)

CONN_TYPES = ["config_only", "config_audit", "audit_only"]


# ====================================================================== first connect
@pytest.mark.parametrize("conn_type", CONN_TYPES)
def test_first_connect_each_type(stack, conn_type):
    c = stack.client()
    admin = hs_email()
    hub = stack.new_hub(admin=admin)
    url = c.start_connect(conn_type)
    assert set(parse_qs(urlsplit(url).query)["scope"][0].split()) == REQUIRED[conn_type]
    r = c.follow_callback(c.hubspot_choose(url, hub, as_user=admin))
    assert r.status_code == 303 and r.headers["Location"] == "/portals", r.text[:2000]

    pid = stack.portal_id(c.org, hub)
    row = portal_row(stack, pid)
    assert row["status"] == "connected" and row["status_reason"] == ""
    assert row["connection_type"] == conn_type
    assert REQUIRED[conn_type] <= set(row["granted_scopes"].split()), row["granted_scopes"]
    assert row["hs_user_email"] == admin
    assert row["connected_by"] == user_id(stack, c.email)
    assert row["removed_at"] is None
    tok = token_row(stack, pid)
    assert tok is not None and tok["version"] == 1
    acts = stack.sql("SELECT kind, user_id FROM activity WHERE portal_id = %s ORDER BY id", (pid,))
    assert acts == [("connected", user_id(stack, c.email))]

    page = c.get("/portals").text
    f = flash(page)
    assert f and row["name"] in f and "Hub ID %d" % hub in f and "connected" in f.lower(), f
    (rid, rhub, rstatus, body), = table_rows(page)
    assert (rid, rhub, rstatus) == (pid, hub, "connected")
    assert 'class="indicator green">Connected<' in body
    # the flash is shown once
    assert flash(c.get("/portals").text) is None

    detail = c.get("/portals/%d" % pid).text
    scopes = set(re.findall(r"<li><code>([^<]+)</code></li>", detail.split('id="scopes"', 1)[1]))
    assert REQUIRED[conn_type] <= scopes
    assert 'class="activity-connected"' in detail


@pytest.mark.parametrize("first,second", [("config_only", "config_audit"),
                                          ("audit_only", "config_audit"),
                                          ("config_audit", "config_audit")])
def test_connect_existing_hub_again_reconnects_same_row(stack, first, second):
    p = connected(stack, first)
    before = portal_row(stack, p.pid)
    v1 = token_row(stack, p.pid)["version"]
    r = p.c.connect(p.hub, second, as_user=p.admin)
    assert r.status_code == 303, (r.status_code, error_title(r.text), error_message(r.text))
    assert org_portal_count(stack, p.c.org) == 1
    after = portal_row(stack, p.pid)
    assert after["connection_type"] == first
    assert after["status"] == "connected"
    assert after["first_connected_at"] == before["first_connected_at"]
    assert token_row(stack, p.pid)["version"] == v1 + 1
    kinds = [k for (k,) in stack.sql("SELECT kind FROM activity WHERE portal_id = %s ORDER BY id", (p.pid,))]
    assert kinds == ["connected", "reconnected"]
    f = flash(p.c.get("/portals").text)
    assert f and "was reconnected" in f and "Hub ID %d" % p.hub in f, f


# ====================================================================== reconnect success
def test_reconnect_by_another_admin_after_hubspot_invalidated_tokens(stack):
    owner = stack.client()
    p = connected(stack, "config_only", c=owner)
    admin2 = stack.client(owner.org, "admin")
    # a different HubSpot user: Admin role, not Super Admin
    hs2 = hs_email("hs-admin")
    stack.sim("POST", "/_sim/users", {"email": hs2, "portals": {str(p.hub): {"super_admin": False,
                                                                            "role_names": ["Admin"]}}})
    before = make_yellow_worker(stack, p.hub, p.pid)
    page = owner.get("/portals").text
    (_, _, st, body), = table_rows(page)
    assert st == "needs_reconnection"
    assert 'class="indicator yellow"' in body and 'id="reconnect-%d"' % p.pid in body
    assert by_id(page, "strong", "attention-count") == "1"
    tok_before = token_row(stack, p.pid)
    last_act = stack.sql("SELECT max(id) FROM activity WHERE portal_id = %s", (p.pid,))[0][0]

    r = admin2.reconnect(p.pid, p.hub, as_user=hs2)
    assert r.status_code == 303 and r.headers["Location"] == "/portals", (error_title(r.text), error_message(r.text))
    after = portal_row(stack, p.pid)
    assert after["status"] == "connected" and after["status_reason"] == ""
    assert after["connected_by"] == user_id(stack, admin2.email) != user_id(stack, owner.email)
    assert after["hs_user_email"] == hs2
    assert after["connection_type"] == "config_only"
    assert after["first_connected_at"] == before["first_connected_at"]
    assert after["last_connected_at"] > before["last_connected_at"]
    assert after["status_changed_at"] > before["status_changed_at"]
    new = stack.sql("SELECT kind, user_id FROM activity WHERE portal_id = %s AND id > %s ORDER BY id",
                    (p.pid, last_act))
    assert new == [("reconnected", user_id(stack, admin2.email))]
    tok_after = token_row(stack, p.pid)
    assert tok_after["version"] == tok_before["version"] + 1
    assert bytes(tok_after["access_token_enc"]) != bytes(tok_before["access_token_enc"])
    assert bytes(tok_after["refresh_token_enc"]) != bytes(tok_before["refresh_token_enc"])

    page = admin2.get("/portals").text
    f = flash(page)
    assert f == "%s was reconnected (Hub ID %d). It is Connected." % (after["name"], p.hub), f
    (_, _, st, body), = table_rows(page)
    assert st == "connected" and 'class="indicator green"' in body and 'class="reason"' not in body
    assert 'id="attention-count"' not in page
    detail = admin2.get("/portals/%d" % p.pid).text
    assert 'class="activity-reconnected"' in detail and admin2.email in detail
    # the stored tokens are the new grant's, live at HubSpot, for the second HubSpot user
    access, refresh = decrypt_tokens(stack, p.pid)
    info = introspect(stack, refresh, "refresh_token")
    assert info["active"] and info["hub_id"] == p.hub and info["user"] == hs2
    # and the worker is content with them
    stack.sql("UPDATE portal_tokens SET access_expires_at = now() WHERE portal_id = %s", (p.pid,))
    stack.worker_once()
    assert portal_row(stack, p.pid)["status"] == "connected"


def test_reconnect_replaces_tokens_and_dump_holds_none(stack):
    p = connected(stack, "config_audit")
    t1 = token_row(stack, p.pid)
    a1, r1 = decrypt_tokens(stack, p.pid)
    assert introspect(stack, a1, "access_token")["active"]
    make_yellow_sql(stack, p.pid)
    r = p.c.reconnect(p.pid, p.hub, as_user=p.admin)
    assert r.status_code == 303, error_message(r.text)
    t2 = token_row(stack, p.pid)
    a2, r2 = decrypt_tokens(stack, p.pid)
    assert t2["version"] == t1["version"] + 1
    assert bytes(t2["access_token_enc"]) != bytes(t1["access_token_enc"])
    assert bytes(t2["refresh_token_enc"]) != bytes(t1["refresh_token_enc"])
    assert a2 != a1 and r2 != r1
    assert introspect(stack, r2, "refresh_token")["active"]

    minted = []
    for _ in range(3):
        g = stack.sim("POST", "/_sim/grants", {"hub_id": p.hub, "user_email": p.admin,
                                               "scopes": sorted(REQUIRED["config_audit"])})
        minted += [g["access_token"], g["refresh_token"]]
    values = [a1, r1, a2, r2] + minted
    for v in values:  # the patterns below do describe the simulator's tokens
        assert ACCESS_RE.fullmatch(v) or REFRESH_RE.fullmatch(v), v

    dump = pg_dump(stack)
    assert "COPY public.portal_tokens" in dump
    # the dump does hold our encrypted row (hex bytea), so the search covers it
    assert bytes(t2["refresh_token_enc"]).hex() in dump
    for v in values:
        for form in (v, v.encode().hex(), base64.b64encode(v.encode()).decode(),
                     base64.urlsafe_b64encode(v.encode()).decode().rstrip("=")):
            assert form not in dump
    assert ACCESS_RE.search(dump) is None
    assert REFRESH_RE.search(dump) is None


def test_reconnect_keeps_assets_deployments_activity_and_type(stack):
    p = connected(stack, "audit_only")
    seed_history(stack, p.c.org, p.pid)
    make_yellow_worker(stack, p.hub, p.pid)
    before = snapshot(stack, p.pid)
    assert len(before["assets"]) == 3 and len(before["deployments"]["deployments"]) == 2
    assert len(before["deployments"]["items"]) == 2 and len(before["activity"]) == 5
    r = p.c.reconnect(p.pid, p.hub, as_user=p.admin)
    assert r.status_code == 303, error_message(r.text)
    after = snapshot(stack, p.pid)
    assert after["assets"] == before["assets"]
    assert after["asset_versions"] == before["asset_versions"] and len(before["asset_versions"]) == 6
    assert after["deployments"] == before["deployments"]
    assert after["audits"] == before["audits"] and len(before["audits"]["findings"]) == 2
    assert after["activity"][:len(before["activity"])] == before["activity"]
    extra = after["activity"][len(before["activity"]):]
    assert len(extra) == 1 and extra[0][4] == "reconnected", extra
    assert portal_row(stack, p.pid)["connection_type"] == "audit_only"
    # the portal page still lists the seeded history
    detail = p.c.get("/portals/%d" % p.pid).text
    for kind in ("import", "deploy", "audit", "needs_reconnection", "reconnected", "connected"):
        assert 'class="activity-%s"' % kind in detail, kind
    assert "c0ffee00-1111-2222-3333-444455556666" in detail


def test_reconnect_disconnected_portal(stack):
    p = connected(stack, "config_only")
    r = p.c.post("/portals/%d/disconnect" % p.pid, {"csrf": p.c.csrf(), "confirm": "yes"})
    assert r.status_code == 303 and portal_row(stack, p.pid)["status"] == "disconnected"
    assert token_row(stack, p.pid) is None
    r = p.c.reconnect(p.pid, p.hub, as_user=p.admin)
    assert r.status_code == 303, error_message(r.text)
    row = portal_row(stack, p.pid)
    assert row["status"] == "connected" and row["status_reason"] == "" and row["connection_type"] == "config_only"
    assert token_row(stack, p.pid) is not None
    _, refresh = decrypt_tokens(stack, p.pid)
    assert introspect(stack, refresh, "refresh_token")["active"]
    kinds = [k for (k,) in stack.sql("SELECT kind FROM activity WHERE portal_id = %s ORDER BY id", (p.pid,))]
    assert kinds == ["connected", "disconnected", "reconnected"]
    assert org_portal_count(stack, p.c.org) == 1


def test_same_hub_in_two_orgs_is_two_rows_and_reconnect_touches_one(stack):
    admin = hs_email()
    a = connected(stack, "config_only", admin=admin)
    b = stack.client()
    assert b.connect(a.hub, "audit_only", as_user=admin).status_code == 303
    bpid = stack.portal_id(b.org, a.hub)
    assert bpid != a.pid and portal_row(stack, bpid)["connection_type"] == "audit_only"
    make_yellow_sql(stack, a.pid)
    bsnap = snapshot(stack, bpid)
    assert a.c.reconnect(a.pid, a.hub, as_user=admin).status_code == 303
    assert portal_row(stack, a.pid)["status"] == "connected"
    assert snapshot(stack, bpid) == bsnap


def test_reconnect_post_needs_csrf(stack):
    p = _yellow(stack)
    states = stack.sql("SELECT count(*) FROM oauth_states")[0][0]
    r = p.c.post("/portals/%d/reconnect" % p.pid, {"csrf": secrets.token_urlsafe(32)})
    assert r.status_code == 403 and error_title(r.text) == "Form expired"
    r = p.c.post("/portals/%d/reconnect" % p.pid, {})
    assert r.status_code in (400, 403) and "Location" not in r.headers
    assert stack.sql("SELECT count(*) FROM oauth_states")[0][0] == states


# ====================================================================== refusals
def _yellow(stack, conn_type="config_audit", **kw):
    p = connected(stack, conn_type, **kw)
    make_yellow_sql(stack, p.pid)
    return p


def _refused(stack, p, attempt, status, title, grant_hub=None, obtained=True):
    """Run attempt() -> response; assert the refusal page and that nothing changed."""
    grant_hub = grant_hub or p.hub
    snap = snapshot(stack, p.pid)
    g_before = grants(stack, grant_hub)
    own_before = {gid: g["status"] for gid, g in grants(stack, p.hub).items()}
    r = attempt()
    msg = assert_refusal(r, status, title)
    assert snapshot(stack, p.pid) == snap
    g_after = grants(stack, grant_hub)
    new = [g for gid, g in g_after.items() if gid not in g_before]
    if obtained:
        assert len(new) == 1 and new[0]["status"] == "revoked", new
        assert new[0]["valid_access_tokens"] == 0 and not new[0]["refresh_token_valid"], new
    else:
        assert new == [], new
    # the portal's existing grants are untouched
    assert {gid: grants(stack, p.hub)[gid]["status"] for gid in own_before} == own_before
    # still yellow on the page, with its reason
    (_, _, st, body), = [row for row in table_rows(p.c.get("/portals").text) if row[0] == p.pid]
    assert st == "needs_reconnection" and 'class="reason"' in body
    return msg


def test_refused_cancel_at_hubspot(stack):
    p = _yellow(stack)
    msg = _refused(stack, p, lambda: p.c.reconnect(p.pid, p.hub, action="cancel", as_user=p.admin),
                   200, "Connection cancelled", obtained=False)
    assert "cancel" in msg.lower()


@pytest.mark.parametrize("other_in_org", [False, True])
def test_refused_wrong_portal_selected(stack, other_in_org):
    admin = hs_email()
    p = _yellow(stack, admin=admin)
    if other_in_org:
        o = connected(stack, "config_only", c=p.c, admin=admin)
        other, other_snap = o.hub, snapshot(stack, o.pid)
        other_grants = {gid: g["status"] for gid, g in grants(stack, other).items()}
    else:
        other = stack.new_hub("Other Client", admin=admin)
    msg = _refused(stack, p, lambda: p.c.reconnect(p.pid, other, as_user=admin),
                   400, "Wrong portal selected", grant_hub=other)
    name = portal_row(stack, p.pid)["name"]
    assert str(p.hub) in msg and str(other) in msg, msg
    assert name in msg and "p%d.example.com" % other in msg, msg
    assert org_portal_count(stack, p.c.org) == (2 if other_in_org else 1)
    if other_in_org:  # the selected portal's own row and grant are untouched too
        assert snapshot(stack, o.pid) == other_snap
        assert {gid: grants(stack, other)[gid]["status"] for gid in other_grants} == other_grants


def test_refused_portal_removed_while_at_hubspot(stack):
    p = _yellow(stack)
    cb = p.c.hubspot_choose(p.c.start_reconnect(p.pid), p.hub, as_user=p.admin)
    assert p.c.post("/portals/%d/remove" % p.pid, {"csrf": p.c.csrf(), "confirm": "yes"}).status_code == 303
    snap = snapshot(stack, p.pid)
    g_before = grants(stack, p.hub)
    seq = log_mark(stack)
    assert_refusal(p.c.follow_callback(cb), 404, "Portal not found")
    assert snapshot(stack, p.pid) == snap and portal_row(stack, p.pid)["removed_at"] is not None
    assert stack.sql("SELECT count(*) FROM portals WHERE org_id = %s AND removed_at IS NULL",
                     (stack.org_id(p.c.org),)) == [(0,)]
    assert grants(stack, p.hub) == g_before and log_since(stack, seq, "token") == []


def test_refused_missing_required_scope_on_reconnect(stack):
    p = _yellow(stack)
    stack.sim("POST", "/_sim/portals", {"hub_id": p.hub, "withheld_scopes": ["automation"]})
    msg = _refused(stack, p, lambda: p.c.reconnect(p.pid, p.hub, as_user=p.admin),
                   403, "Missing HubSpot permissions")
    assert "automation" in msg


def test_refused_missing_required_scope_on_first_connect(stack):
    c = stack.client()
    admin = hs_email()
    hub = stack.new_hub(admin=admin, withheld=["automation"])
    r = c.connect(hub, "config_only", as_user=admin)
    msg = assert_refusal(r, 403, "Missing HubSpot permissions")
    assert "automation" in msg
    assert org_portal_count(stack, c.org) == 0
    assert [g["status"] for g in grants(stack, hub).values()] == ["revoked"]


def test_refused_hubspot_user_not_admin_on_reconnect(stack):
    p = _yellow(stack)
    rep = hs_email("rep")
    stack.sim("POST", "/_sim/users", {"email": rep, "portals": {str(p.hub): {"super_admin": False,
                                                                            "role_names": ["Sales Rep"]}}})
    msg = _refused(stack, p, lambda: p.c.reconnect(p.pid, p.hub, as_user=rep),
                   403, "Insufficient HubSpot permissions")
    assert rep in msg


def test_refused_hubspot_user_not_admin_on_first_connect(stack):
    c = stack.client()
    rep = hs_email("rep")
    hub = stack.new_hub(admin=rep, super_admin=False, role_names=["Sales Rep"])
    assert_refusal(c.connect(hub, "config_audit", as_user=rep), 403, "Insufficient HubSpot permissions")
    assert org_portal_count(stack, c.org) == 0
    assert [g["status"] for g in grants(stack, hub).values()] == ["revoked"]


def test_refused_jetstack_role_lost_during_flow(stack):
    p = _yellow(stack)

    def attempt():
        cb = p.c.hubspot_choose(p.c.start_reconnect(p.pid), p.hub, as_user=p.admin)
        stack.admin("user", "role", "--org", p.c.org, "--email", p.c.email, "--role", "member")
        return p.c.follow_callback(cb)

    _refused(stack, p, attempt, 403, "Permission needed")


def test_refused_hubspot_token_endpoint_unavailable(stack):
    p = _yellow(stack)
    seq = log_mark(stack)
    try:
        stack.sim("POST", "/_sim/faults", {"endpoint": "token", "status": 503, "count": 1})
        _refused(stack, p, lambda: p.c.reconnect(p.pid, p.hub, as_user=p.admin),
                 503, "HubSpot is unavailable", obtained=False)
    finally:
        stack.sim("DELETE", "/_sim/faults")
    assert [e["status"] for e in log_since(stack, seq, "token")] == [503]
    # once HubSpot answers again, the same user reconnects
    assert p.c.reconnect(p.pid, p.hub, as_user=p.admin).status_code == 303
    assert portal_row(stack, p.pid)["status"] == "connected"


@pytest.mark.parametrize("endpoint", ["introspect", "users"])
def test_refused_hubspot_unavailable_after_code_exchange_revokes_new_tokens(stack, endpoint):
    p = _yellow(stack)
    try:
        stack.sim("POST", "/_sim/faults", {"endpoint": endpoint, "status": 503, "count": None})
        _refused(stack, p, lambda: p.c.reconnect(p.pid, p.hub, as_user=p.admin),
                 503, "HubSpot is unavailable")
    finally:
        stack.sim("DELETE", "/_sim/faults")


def test_refused_state_replay(stack):
    p = _yellow(stack)
    cb = p.c.hubspot_choose(p.c.start_reconnect(p.pid), p.hub, as_user=p.admin)
    assert p.c.follow_callback(cb).status_code == 303
    p.c.get("/portals")  # consume the flash
    make_yellow_sql(stack, p.pid)
    seq = log_mark(stack)
    _refused(stack, p, lambda: p.c.follow_callback(cb), 400, "Authorization link already used", obtained=False)
    assert log_since(stack, seq, "token") == []


def test_refused_expired_state(stack):
    p = _yellow(stack)
    seq = log_mark(stack)

    def attempt():
        cb = p.c.hubspot_choose(p.c.start_reconnect(p.pid), p.hub, as_user=p.admin)
        n = stack.sql("UPDATE oauth_states SET expires_at = now() - interval '1 minute' "
                      "WHERE user_id = %s AND used_at IS NULL RETURNING 1", (user_id(stack, p.c.email),))
        assert len(n) == 1
        return p.c.follow_callback(cb)

    _refused(stack, p, attempt, 400, "Authorization link expired", obtained=False)
    assert log_since(stack, seq, "token") == []


@pytest.mark.parametrize("who", ["same_org_user", "other_org_user", "same_user_new_session"])
def test_refused_state_from_another_session(stack, who):
    p = _yellow(stack)
    if who == "same_org_user":
        b = stack.client(p.c.org, "owner")
    elif who == "other_org_user":
        b = stack.client()
    else:
        b = Client(stack.base)
        b.login(p.c.email, p.c.password)
        b.org = p.c.org
    seq = log_mark(stack)
    cb = p.c.hubspot_choose(p.c.start_reconnect(p.pid), p.hub, as_user=p.admin)
    _refused(stack, p, lambda: b.follow_callback(cb), 403, "Authorization started elsewhere", obtained=False)
    assert log_since(stack, seq, "token") == []
    assert org_portal_count(stack, b.org) == (1 if b.org == p.c.org else 0)


@pytest.mark.parametrize("query", ["code=%s&state=%s" % ("7b6a1c0e-0d5c-4a59-9a0e-2f1f3c1d9b11",
                                                           secrets.token_urlsafe(32)),
                                   "code=7b6a1c0e-0d5c-4a59-9a0e-2f1f3c1d9b11",
                                   "error=access_denied",
                                   ""])
def test_refused_unknown_or_missing_state(stack, query):
    p = _yellow(stack)
    seq = log_mark(stack)
    _refused(stack, p, lambda: p.c.get("/oauth/callback" + ("?" + query if query else "")),
             400, "Authorization link not valid", obtained=False)
    assert log_since(stack, seq) == []


# ====================================================================== permissions
@pytest.mark.parametrize("role", ["member", "viewer"])
def test_member_and_viewer_cannot_manage(stack, role):
    green = connected(stack, "config_only")
    owner = green.c
    yellow = connected(stack, "config_audit", c=owner)
    make_yellow_sql(stack, yellow.pid)
    u = stack.client(owner.org, role)
    page = u.get("/portals").text
    rows = {r[0]: r for r in table_rows(page)}
    assert set(rows) == {green.pid, yellow.pid}
    assert 'action="/portals/%d/reconnect"' % yellow.pid not in page
    assert "/reconnect" not in page and "/disconnect" not in page and "/remove" not in page
    assert 'href="/portals/new"' not in page
    assert re.search(r"<button[^>]*disabled[^>]*>Reconnect</button>", rows[yellow.pid][3])
    assert re.search(r"<button[^>]*disabled[^>]*>Remove</button>", rows[yellow.pid][3])
    assert re.search(r"<button[^>]*disabled[^>]*>Disconnect</button>", rows[green.pid][3])
    detail = u.get("/portals/%d" % yellow.pid).text
    assert "/reconnect" not in detail and 'id="reconnect"' not in detail

    csrf = u.csrf()
    snaps = {pid: snapshot(stack, pid) for pid in (green.pid, yellow.pid)}
    states = stack.sql("SELECT count(*) FROM oauth_states")[0][0]
    g_before = {h: grants(stack, h) for h in (green.hub, yellow.hub)}
    for pid in (green.pid, yellow.pid):
        for path, data in [("/portals/%d/reconnect" % pid, {"csrf": csrf}),
                           ("/portals/%d/disconnect" % pid, {"csrf": csrf, "confirm": "yes"}),
                           ("/portals/%d/remove" % pid, {"csrf": csrf, "confirm": "yes"})]:
            r = u.post(path, data)
            assert r.status_code == 403, (path, r.status_code, r.text[:500])
    r = u.post("/portals/new", {"csrf": csrf, "connection_type": "config_only"})
    assert r.status_code == 403
    for path in ("/portals/new", "/portals/%d/disconnect" % green.pid, "/portals/%d/remove" % yellow.pid):
        r = u.get(path)
        assert r.status_code == 403 and 'id="confirm-form"' not in r.text, path
    assert {pid: snapshot(stack, pid) for pid in (green.pid, yellow.pid)} == snaps
    assert stack.sql("SELECT count(*) FROM oauth_states")[0][0] == states
    assert {h: grants(stack, h) for h in (green.hub, yellow.hub)} == g_before
    assert org_portal_count(stack, owner.org) == 2


def test_foreign_portal_id_is_404_everywhere(stack):
    victim = connected(stack, "config_audit")
    seed_history(stack, victim.c.org, victim.pid)
    other = stack.client()
    snap = snapshot(stack, victim.pid)
    states = stack.sql("SELECT count(*) FROM oauth_states")[0][0]
    g_before = grants(stack, victim.hub)
    csrf = other.csrf()
    pid = victim.pid
    calls = [("GET", "/portals/%d" % pid, None),
             ("POST", "/portals/%d/reconnect" % pid, {"csrf": csrf}),
             ("GET", "/portals/%d/disconnect" % pid, None),
             ("POST", "/portals/%d/disconnect" % pid, {"csrf": csrf, "confirm": "yes"}),
             ("GET", "/portals/%d/remove" % pid, None),
             ("POST", "/portals/%d/remove" % pid, {"csrf": csrf, "confirm": "yes"})]
    for method, path, data in calls:
        r = other.get(path) if method == "GET" else other.post(path, data)
        assert r.status_code == 404, (method, path, r.status_code)
        assert victim.c.org not in r.text and portal_row(stack, pid)["name"] not in r.text
    assert snapshot(stack, victim.pid) == snap
    assert stack.sql("SELECT count(*) FROM oauth_states")[0][0] == states
    assert grants(stack, victim.hub) == g_before
    assert "/portals/%d" % pid not in other.get("/portals").text


# ====================================================================== HubSpot calls
def test_no_token_or_secret_in_hubspot_urls(stack):
    seq = log_mark(stack)
    p = connected(stack, "config_audit")
    make_yellow_worker(stack, p.hub, p.pid)  # one refresh_token call (rejected)
    assert p.c.reconnect(p.pid, p.hub, as_user=p.admin).status_code == 303
    csrf = p.c.csrf("/portals/%d/disconnect" % p.pid)
    assert p.c.post("/portals/%d/disconnect" % p.pid, {"csrf": csrf, "confirm": "yes"}).status_code == 303
    entries = log_since(stack, seq)
    by_ep = {}
    for e in entries:
        assert "{redacted}" not in e["path"], e
        by_ep.setdefault(e["endpoint"], []).append(e)
    assert len(by_ep.get("token", [])) >= 3 and by_ep.get("introspect") and by_ep.get("revoke") \
        and by_ep.get("users"), {k: len(v) for k, v in by_ep.items()}
    code_fields = ["client_id", "client_secret", "code", "grant_type", "redirect_uri"]
    refresh_fields = ["client_id", "client_secret", "grant_type", "refresh_token"]
    hint_fields = ["client_id", "client_secret", "token", "token_type_hint"]
    for ep in ("token", "introspect", "revoke", "users"):
        for e in by_ep[ep]:
            assert e["has_query"] is False and e["query_params"] == [], e
            if ep == "users":
                assert e["method"] == "GET" and e["authorization"] is True, e
            else:
                assert e["method"] == "POST" and e["authorization"] is False, e
                assert (e["content_type"] or "").startswith("application/x-www-form-urlencoded"), e
                assert e["path"] == {"token": "/oauth/2026-03/token",
                                     "introspect": "/oauth/2026-03/token/introspect",
                                     "revoke": "/oauth/2026-03/token/revoke"}[ep], e
    token_sets = [e["form_fields"] for e in by_ep["token"]]
    assert token_sets.count(code_fields) == 2 and token_sets.count(refresh_fields) >= 1, token_sets
    assert all(s in (code_fields, refresh_fields) for s in token_sets), token_sets
    for e in by_ep["introspect"] + by_ep["revoke"]:
        assert e["form_fields"] == hint_fields, e
    # Disconnect revokes the stored grant and the one the reconnect replaced
    # (and the worker pass may revoke other tests' replaced grants): all 204
    statuses = [e["status"] for e in by_ep["revoke"]]
    assert len(statuses) >= 2 and set(statuses) == {204}, statuses


# ====================================================================== disconnect / remove
def test_disconnect_then_remove(stack):
    p = connected(stack, "config_only")
    seed_history(stack, p.c.org, p.pid)
    assets = stack.sql("SELECT *, definition::text FROM assets WHERE source_portal_id = %s ORDER BY id", (p.pid,))
    deps = deploy_history(stack, p.pid)
    audits = audit_history(stack, p.pid)
    (gid, g), = grants(stack, p.hub).items()
    assert g["status"] == "active"

    page = p.c.get("/portals/%d/disconnect" % p.pid)
    assert page.status_code == 200
    assert 'action="/portals/%d/disconnect"' % p.pid in page.text
    assert 'name="confirm" value="yes"' in page.text
    # without confirm=yes nothing happens
    r = p.c.post("/portals/%d/disconnect" % p.pid, {"csrf": p.c.csrf()})
    assert r.status_code == 400
    assert portal_row(stack, p.pid)["status"] == "connected"
    assert grants(stack, p.hub)[gid]["status"] == "active"

    r = p.c.post("/portals/%d/disconnect" % p.pid, {"csrf": p.c.csrf(), "confirm": "yes"})
    assert r.status_code == 303 and r.headers["Location"] == "/portals"
    row = portal_row(stack, p.pid)
    assert row["status"] == "disconnected" and row["status_reason"] and row["removed_at"] is None
    assert grants(stack, p.hub)[gid]["status"] == "revoked"
    listing = p.c.get("/portals").text
    assert flash(listing) and "disconnected" in flash(listing)
    (_, _, st, body), = table_rows(listing)
    assert st == "disconnected" and 'class="indicator red"' in body
    assert 'class="indicator red">Disconnected<' in body and 'class="reason"' in body
    assert 'id="reconnect-%d"' % p.pid in body and 'href="/portals/%d/disconnect"' % p.pid not in body
    assert stack.sql("SELECT kind FROM activity WHERE portal_id = %s ORDER BY id DESC LIMIT 1",
                     (p.pid,)) == [("disconnected",)]
    assert stack.sql("SELECT *, definition::text FROM assets WHERE source_portal_id = %s ORDER BY id", (p.pid,)) == assets
    assert deploy_history(stack, p.pid) == deps and audit_history(stack, p.pid) == audits

    page = p.c.get("/portals/%d/remove" % p.pid)
    assert page.status_code == 200 and 'action="/portals/%d/remove"' % p.pid in page.text
    r = p.c.post("/portals/%d/remove" % p.pid, {"csrf": p.c.csrf(), "confirm": "yes"})
    assert r.status_code == 303 and r.headers["Location"] == "/portals"
    row = portal_row(stack, p.pid)
    assert row["removed_at"] is not None
    assert token_row(stack, p.pid) is None
    listing = p.c.get("/portals").text
    assert flash(listing) and "removed" in flash(listing)
    assert table_rows(listing) == [] and 'id="empty-state"' in listing
    assert stack.sql("SELECT *, definition::text FROM assets WHERE source_portal_id = %s ORDER BY id", (p.pid,)) == assets
    assert deploy_history(stack, p.pid) == deps and audit_history(stack, p.pid) == audits
    kinds = [k for (k,) in stack.sql("SELECT kind FROM activity WHERE portal_id = %s ORDER BY id", (p.pid,))]
    assert kinds == ["connected", "import", "deploy", "audit", "disconnected", "removed"]
    assert p.c.get("/portals/%d" % p.pid).status_code == 404
    # the hub can be connected again as a new row
    assert p.c.connect(p.hub, "config_only", as_user=p.admin).status_code == 303
    assert stack.portal_id(p.c.org, p.hub) != p.pid


def test_remove_connected_portal_revokes_and_deletes_tokens(stack):
    p = connected(stack, "audit_only")
    seed_history(stack, p.c.org, p.pid)
    (gid, _), = grants(stack, p.hub).items()
    r = p.c.post("/portals/%d/remove" % p.pid, {"csrf": p.c.csrf(), "confirm": "yes"})
    assert r.status_code == 303
    assert grants(stack, p.hub)[gid]["status"] == "revoked"
    assert token_row(stack, p.pid) is None and portal_row(stack, p.pid)["removed_at"] is not None
    assert stack.sql("SELECT count(*) FROM assets WHERE source_portal_id = %s", (p.pid,)) == [(3,)]
    assert stack.sql("SELECT kind FROM activity WHERE portal_id = %s ORDER BY id DESC LIMIT 1",
                     (p.pid,)) == [("removed",)]


@pytest.mark.parametrize("what", ["disconnect", "remove"])
def test_disconnect_or_remove_while_revoke_unavailable_changes_nothing(stack, what):
    p = connected(stack, "config_audit")
    seed_history(stack, p.c.org, p.pid)
    snap = snapshot(stack, p.pid)
    g_before = grants(stack, p.hub)
    csrf = p.c.csrf()
    try:
        stack.sim("POST", "/_sim/faults", {"endpoint": "revoke", "status": 503, "count": None})
        r = p.c.post("/portals/%d/%s" % (p.pid, what), {"csrf": csrf, "confirm": "yes"})
    finally:
        stack.sim("DELETE", "/_sim/faults")
    assert r.status_code == 503, r.status_code
    assert error_title(r.text) == "HubSpot is unavailable"
    assert "nothing was changed" in error_message(r.text).lower()
    assert snapshot(stack, p.pid) == snap
    assert grants(stack, p.hub) == g_before
    (_, _, st, _), = table_rows(p.c.get("/portals").text)
    assert st == "connected"


@pytest.mark.parametrize("what", ["disconnect", "remove"])
def test_disconnect_or_remove_that_cannot_be_saved_says_hubspot_was_revoked(stack, what):
    """HubSpot has revoked the grant by the time the change is saved here;
    when saving fails the page must not claim that nothing was changed."""
    p = connected(stack, "config_audit")
    csrf = p.c.csrf()
    su = stack.conninfo.replace("user=jetstack", "user=postgres")
    with psycopg.connect(su, autocommit=True) as db:
        db.execute("REVOKE DELETE ON portal_tokens FROM jetstack")
        try:
            r = p.c.post("/portals/%d/%s" % (p.pid, what), {"csrf": csrf, "confirm": "yes"})
        finally:
            db.execute("GRANT DELETE ON portal_tokens TO jetstack")
    assert r.status_code == 500, r.status_code
    assert error_title(r.text) == "Only partly done"
    msg = error_message(r.text)
    assert "revoked at HubSpot" in msg and "nothing was changed" not in msg.lower(), msg
    assert "Location" not in r.headers
    assert portal_row(stack, p.pid)["status"] == "connected"  # the transaction was rolled back


# ====================================================================== the table
def test_empty_state_for_new_org(stack):
    c = stack.client()
    page = c.get("/portals").text
    assert 'id="empty-state"' in page and 'id="portal-table"' not in page
    assert 'id="attention-count"' not in page and table_rows(page) == []
    assert 'id="connect-portal"' in page
    viewer = stack.client(c.org, "viewer")
    vpage = viewer.get("/portals").text
    assert 'id="empty-state"' in vpage and 'id="connect-portal"' not in vpage


STATUSES = ["connected", "needs_reconnection", "disconnected"]
RANK = {"needs_reconnection": 0, "disconnected": 1, "connected": 2}
LABEL = {"connected": ("green", "Connected"), "needs_reconnection": ("yellow", "Needs Reconnection"),
         "disconnected": ("red", "Disconnected")}


@pytest.fixture(scope="module")
def big_org(stack):
    """A fresh organisation with 120 portals inserted directly: mixed statuses,
    names with duplicates in different case, ties in last_connected_at."""
    c = stack.client()
    oid = stack.org_id(c.org)
    # every name has a character that must survive the next-page link (URL + HTML escaping)
    words = ["acme & co ", "Bravo's ", "charlie+", "DELTA #", "echo 100%", "Foxtrot?x=y&", "golf/caf\u00e9",
             "hotel <\u00fc>"]
    with stack.db() as con:
        for i in range(120):
            status = STATUSES[(i * 7) % 3]
            name = "%s%02d" % (words[i % 8], (i * 13) % 17)
            if i % 5 == 0:
                name = name.upper()
            reason = "" if status == "connected" else "Reason %d for %s" % (i, status)
            con.execute(
                "INSERT INTO portals (org_id, hub_id, hub_domain, name, connection_type, status, "
                "status_reason, granted_scopes, last_connected_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, "
                "timestamptz '2026-01-01 00:00:00+00' - make_interval(mins => %s))",
                (oid, 50000000 + i, "d%d.example.com" % i, name, CONN_TYPES[i % 3], status, reason,
                 # all scopes, so a worker pass elsewhere in the session leaves these rows alone
                 " ".join(sorted(set().union(*REQUIRED.values()) | {"content"})), (i * 11) % 40))
    rows = stack.sql("SELECT id, name, status, status_reason, last_connected_at FROM portals "
                     "WHERE org_id = %s", (oid,))
    return c, {r[0]: r for r in rows}


def _walk(c, start):
    """Follow next-page links; returns the list of pages' row lists."""
    pages, url = [], start
    for _ in range(10):
        r = c.get(url)
        assert r.status_code == 200, (url, r.status_code, r.text[:500])
        pages.append(table_rows(r.text))
        if len(pages) > 1:
            assert 'id="first-page"' in r.text
        url = next_href(r.text)
        if url is None:
            return pages
    raise AssertionError("paging does not end")


def _expected(portals, sort, status=None):
    rows = [r for r in portals.values() if status is None or r[2] == status]
    if sort == "name":
        key = lambda r: (r[1].lower(), r[0])  # noqa: E731
    elif sort == "status":
        key = lambda r: ((0 if status else RANK[r[2]]), r[1].lower(), r[0])  # noqa: E731
    else:
        return [r[0] for r in sorted(rows, key=lambda r: (r[4], r[0]), reverse=True)]
    return [r[0] for r in sorted(rows, key=key)]


@pytest.mark.parametrize("sort", ["name", "status", "last"])
@pytest.mark.parametrize("status", [None] + STATUSES)
def test_table_sort_filter_and_keyset_paging(stack, big_org, sort, status):
    c, portals = big_org
    start = "/portals?sort=%s" % sort + ("&status=%s" % status if status else "")
    pages = _walk(c, start)
    ids = [r[0] for pg in pages for r in pg]
    expected = _expected(portals, sort, status)
    assert len(ids) == len(set(ids)), "a portal appears twice"
    assert ids == expected
    sizes = [len(pg) for pg in pages]
    assert all(s == 50 for s in sizes[:-1]) and 0 < sizes[-1] <= 50, sizes
    if status is None:
        assert sizes == [50, 50, 20]
    for pg in pages:
        for pid, hub, st, body in pg:
            assert st == portals[pid][2] and (status is None or st == status)
            cls, label = LABEL[st]
            assert '<span class="indicator %s">%s</span>' % (cls, label) in body
            reason = re.search(r'<small class="reason">(?:<span class="sr-only">Reason: </span>)?(.*?)</small>',
                               body)
            if st == "connected":
                assert reason is None
            else:
                assert reason and html.unescape(reason.group(1)) == portals[pid][3]


def test_table_counts_and_filters(stack, big_org):
    c, portals = big_org
    page = c.get("/portals").text
    n = {s: sum(1 for r in portals.values() if r[2] == s) for s in STATUSES}
    assert by_id(page, "strong", "attention-count") == str(n["needs_reconnection"] + n["disconnected"])
    for key, count in [("all", 120)] + list(n.items()):
        m = re.search(r'id="filter-%s"[^>]*>[^<]*<span class="count">(\d+)</span>' % key, page)
        assert m and int(m.group(1)) == count, key
    # problems first by default, then by name
    assert table_rows(page)[0][0] == _expected(portals, "status")[0]
    assert 'id="sort-status" class="sorted"' in page
    # the filter links keep the sort
    page = c.get("/portals?sort=last").text
    assert 'href="/portals?sort=last&amp;status=disconnected"' in page


@pytest.mark.parametrize("query", [
    "sort=last&after=junk",
    "sort=last&after=0",
    "sort=name&after=-5",
    "sort=status&after=07",
    "sort=status&status=connected&after=1e3",
    "sort=name&after=1234567890123456789",
    "sort=name&after=%27%29%20OR%201%3D1--",
])
def test_forged_cursors_are_400(stack, big_org, query):
    c, _ = big_org
    r = c.get("/portals?" + query)
    assert r.status_code == 400, (query, r.status_code, r.text[:500])
    # the connection is still usable afterwards
    assert c.get("/portals?sort=last").status_code == 200


@pytest.mark.parametrize("sort", ["name", "status", "last"])
def test_cursor_of_another_organisation_shows_the_first_page(stack, big_org, sort):
    """A cursor is only a portal id; its sort key is read inside the
    organisation, so another organisation's id (or no such portal) reveals
    nothing and simply starts from the top."""
    c, portals = big_org
    other = stack.client()
    foreign = stack.sql("INSERT INTO portals (org_id, hub_id, name, connection_type, status, "
                        "granted_scopes) VALUES (%s, 777000111, 'Aaaa foreign', 'config_only', "
                        "'connected', '') RETURNING id", (stack.org_id(other.org),))[0][0]
    first = [row[0] for row in table_rows(c.get("/portals?sort=" + sort).text)]
    for after in (foreign, 999999999):
        r = c.get("/portals?sort=%s&after=%d" % (sort, after))
        assert r.status_code == 200
        assert [row[0] for row in table_rows(r.text)] == first
        assert "Aaaa foreign" not in r.text
