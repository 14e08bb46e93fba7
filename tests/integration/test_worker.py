"""The token lifecycle driven by the worker (jetstack-worker): refresh,
health checks, status transitions, retries with backoff, the refresh/reconnect
race, several workers, crashes and shutdown, and what /metrics and /portals
show about it.

Every portal here is created through the real connect flow.  Other tests'
portals live in the same database and a `--once` pass processes all due work,
so every assertion is scoped to this test's own portals and hubs."""
import concurrent.futures
import re
import secrets
import signal
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from conftest import wait_until
from jsclient import csrf_of

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ADMIN = "alex@agency.test"


# ---------------------------------------------------------------- helpers
@pytest.fixture(autouse=True)
def clean_sim(stack):
    """No simulator fault or latency leaks into or out of a test."""
    stack.sim("DELETE", "/_sim/faults")
    stack.sim("POST", "/_sim/config", {"latency_ms": 0})
    yield
    stack.sim("DELETE", "/_sim/faults")
    stack.sim("POST", "/_sim/config", {"latency_ms": 0})


def hs_user():
    """A HubSpot user of this test only (deactivating the shared one would
    kill every other test's grants)."""
    return "hs-%s@agency.test" % secrets.token_hex(5)


def connect(stack, c, ctype="config_audit", admin=ADMIN, hub=None):
    hub, pid, location = stack.connect_portal(c, ctype, admin=admin, hub=hub)
    assert location.endswith("/portals")
    return hub, pid


def portal(stack, pid):
    rows = stack.sql("SELECT status, status_reason, status_changed_at, last_refreshed_at, "
                     "next_check_at, removed_at FROM portals WHERE id = %s", (pid,))
    return dict(zip(("status", "reason", "changed_at", "refreshed_at", "next_check_at",
                     "removed_at"), rows[0]))


def tokens(stack, pid):
    """(version, access ciphertext, refresh ciphertext) or None."""
    rows = stack.sql("SELECT version, access_token_enc, refresh_token_enc FROM portal_tokens "
                     "WHERE portal_id = %s", (pid,))
    return (rows[0][0], bytes(rows[0][1]), bytes(rows[0][2])) if rows else None


def version(stack, pid):
    return tokens(stack, pid)[0]


def activity(stack, pid):
    return stack.sql("SELECT id, kind, message, correlation_id FROM activity "
                     "WHERE portal_id = %s ORDER BY id", (pid,))


def new_activity(stack, pid, before):
    seen = {a[0] for a in before}
    return [a for a in activity(stack, pid) if a[0] not in seen]


def refresh_due(stack, pids):
    """Make the refresh of these portals due (and any refresh job an earlier
    pass already queued for them)."""
    stack.sql("UPDATE portal_tokens SET access_expires_at = now() WHERE portal_id = ANY(%s)",
              (list(pids),))
    stack.sql("UPDATE jobs SET run_after = now() WHERE kind = 'refresh' AND state = 'queued' "
              "AND portal_id = ANY(%s)", (list(pids),))


def health_due(stack, pids):
    stack.sql("UPDATE portals SET next_health_at = now() WHERE id = ANY(%s)", (list(pids),))
    stack.sql("UPDATE jobs SET run_after = now() WHERE kind = 'health' AND state = 'queued' "
              "AND portal_id = ANY(%s)", (list(pids),))


def refresh_job(stack, pid):
    rows = stack.sql("SELECT state, attempts, run_after > now() AS later, last_error, "
                     "extract(epoch FROM run_after - updated_at)::float AS delay "
                     "FROM jobs WHERE kind = 'refresh' AND portal_id = %s", (pid,))
    assert len(rows) <= 1, rows
    return dict(zip(("state", "attempts", "later", "last_error", "delay"), rows[0])) if rows else None


def hub_stats(stack, hub):
    s = stack.sim("GET", "/_sim/stats?hub_id=%d" % hub)
    calls = s["token_calls"]["by_hub_id"].get(str(hub), {})
    ok = s["token_successes"]["by_hub_id"].get(str(hub), {})
    return {"refresh_calls": calls.get("refresh_token", 0),
            "refresh_ok": ok.get("refresh_token", 0),
            "code_calls": calls.get("authorization_code", 0),
            "code_ok": ok.get("authorization_code", 0)}


def grants(stack, hub):
    """The hub's grants at the simulator, oldest first."""
    gs = stack.sim("GET", "/_sim/state?hub_id=%d" % hub)["grants"]
    return sorted(gs, key=lambda g: int(g["grant_id"][1:]))


def portals_row(c, pid):
    page = c.get("/portals").text
    m = re.search(r'<tr id="portal-%d"[^>]*>.*?</tr>' % pid, page, re.S)
    return m.group(0) if m else None


def assert_one_new(stack, pid, before, kind):
    new = new_activity(stack, pid, before)
    assert [a[1] for a in new] == [kind], new
    return new[0]


# ---------------------------------------------------------------- transitions
def test_refresh_rejected_needs_reconnection(stack):
    c = stack.client()
    hub, pid = connect(stack, c)
    before_tok, before_act = tokens(stack, pid), activity(stack, pid)
    stack.sim("POST", "/_sim/portals/%d/invalidate_refresh_tokens" % hub)
    refresh_due(stack, [pid])
    stack.worker_once()

    p = portal(stack, pid)
    assert p["status"] == "needs_reconnection"
    assert "BAD_REFRESH_TOKEN" in p["reason"]
    entry = assert_one_new(stack, pid, before_act, "needs_reconnection")
    assert entry[3] and UUID_RE.match(entry[3]), entry  # HubSpot's correlationId kept
    assert tokens(stack, pid) == before_tok  # nothing replaced
    assert hub_stats(stack, hub)["refresh_calls"] == 1

    stack.worker_once()  # recorded once
    assert_one_new(stack, pid, before_act, "needs_reconnection")
    assert portal(stack, pid)["status"] == "needs_reconnection"

    row = portals_row(c, pid)
    assert 'data-status="needs_reconnection"' in row and "Needs Reconnection" in row
    # the row says the reason's short text; the portal's page the long
    # text with HubSpot's code
    assert "HubSpot no longer accepts this portal" in row and "BAD_REFRESH_TOKEN" not in row
    assert 'id="reconnect-%d"' % pid in row
    page = c.get("/portals/%d" % pid).text
    assert entry[3] in page and "BAD_REFRESH_TOKEN" in page


def test_required_scopes_grow_needs_reconnection(stack):
    c = stack.client()
    url = c.start_connect("config_only")
    default = parse_qs(urlsplit(url).query)["scope"][0]
    assert "crm.objects.deals.read" not in default.split()
    ids = {}
    for t in ("config_only", "config_audit", "audit_only"):
        ids[t] = connect(stack, c, t)[1]
    before = {t: (activity(stack, p), tokens(stack, p), portal(stack, p)) for t, p in ids.items()}
    env = {"JETSTACK_SCOPES_CONFIG_ONLY": default + " crm.objects.deals.read"}

    stack.worker_once(env=env)
    p = portal(stack, ids["config_only"])
    assert p["status"] == "needs_reconnection"
    assert p["reason"].startswith("New permissions required"), p["reason"]
    assert "crm.objects.deals.read" in p["reason"]
    # only what the portal lacks is named, not the scopes it already granted
    assert "automation" not in p["reason"] and "forms" not in p["reason"]
    act, tok, _ = before["config_only"]
    entry = assert_one_new(stack, ids["config_only"], act, "needs_reconnection")
    assert entry[2].startswith("New permissions required")
    assert tokens(stack, ids["config_only"]) == tok
    for t in ("config_audit", "audit_only"):  # other connection types untouched
        act, tok, prev = before[t]
        now = portal(stack, ids[t])
        assert (now["status"], now["reason"], now["changed_at"]) == \
            ("connected", prev["reason"], prev["changed_at"])
        assert new_activity(stack, ids[t], act) == []
        assert tokens(stack, ids[t]) == tok

    stack.worker_once(env=env)  # recorded once
    assert_one_new(stack, ids["config_only"], before["config_only"][0], "needs_reconnection")
    row = portals_row(c, ids["config_only"])
    assert "New permissions required" in row and 'id="reconnect-%d"' % ids["config_only"] in row


def test_admin_downgraded_found_by_health_check(stack):
    email = hs_user()
    c = stack.client()
    hub, pid = connect(stack, c, admin=email)
    before_tok, before_act = tokens(stack, pid), activity(stack, pid)

    # an Admin role without Super Admin is still an admin: stays Connected
    stack.sim("POST", "/_sim/users/%s/role" % email,
              {"hub_id": hub, "super_admin": False, "role_names": ["Admin"]})
    health_due(stack, [pid])
    stack.worker_once()
    assert portal(stack, pid)["status"] == "connected"
    assert new_activity(stack, pid, before_act) == []

    stack.sim("POST", "/_sim/users/%s/role" % email,
              {"hub_id": hub, "super_admin": False, "role_names": ["Sales Rep"]})
    health_due(stack, [pid])
    stack.worker_once()
    p = portal(stack, pid)
    assert p["status"] == "needs_reconnection"
    assert "no longer a Super Admin or Admin" in p["reason"] and email in p["reason"]
    assert_one_new(stack, pid, before_act, "needs_reconnection")
    assert tokens(stack, pid) == before_tok

    health_due(stack, [pid])
    stack.worker_once()  # recorded once
    assert_one_new(stack, pid, before_act, "needs_reconnection")
    assert portal(stack, pid)["status"] == "needs_reconnection"


def test_user_deactivated_refresh_rejected(stack):
    """Deactivation kills the grant: the next refresh is rejected
    (BAD_REFRESH_TOKEN) -> Needs Reconnection (DESIGN §2)."""
    email = hs_user()
    c = stack.client()
    hub, pid = connect(stack, c, admin=email)
    before_tok, before_act = tokens(stack, pid), activity(stack, pid)
    stack.sim("POST", "/_sim/users/%s/deactivate" % email)
    refresh_due(stack, [pid])
    stack.worker_once()
    p = portal(stack, pid)
    assert p["status"] == "needs_reconnection"
    assert "BAD_REFRESH_TOKEN" in p["reason"]
    entry = assert_one_new(stack, pid, before_act, "needs_reconnection")
    assert entry[3] and UUID_RE.match(entry[3])
    assert tokens(stack, pid) == before_tok
    stack.worker_once()
    assert_one_new(stack, pid, before_act, "needs_reconnection")


def test_user_deactivated_found_by_health_check(stack):
    """Only the health check is due.  The simulator answers introspect
    {"active": false} for a deactivated user's grant, exactly as for an
    uninstall, so the product cannot tell them apart; it must leave
    Connected, record it once and keep the tokens.  (Observed: Disconnected
    with the "connection revoked" reason; see the report.)"""
    email = hs_user()
    c = stack.client()
    hub, pid = connect(stack, c, admin=email)
    before_tok, before_act = tokens(stack, pid), activity(stack, pid)
    stack.sim("POST", "/_sim/users/%s/deactivate" % email)
    health_due(stack, [pid])
    stack.worker_once()
    p = portal(stack, pid)
    assert p["status"] in ("needs_reconnection", "disconnected"), p
    assert p["reason"]
    assert len(new_activity(stack, pid, before_act)) == 1
    assert new_activity(stack, pid, before_act)[0][1] == p["status"]
    assert tokens(stack, pid) == before_tok
    health_due(stack, [pid])
    stack.worker_once()
    assert len(new_activity(stack, pid, before_act)) == 1


def test_uninstalled_found_by_health_check_disconnected(stack):
    c = stack.client()
    hub, pid = connect(stack, c)
    before_tok, before_act = tokens(stack, pid), activity(stack, pid)
    stack.sim("POST", "/_sim/portals/%d/uninstall" % hub)
    health_due(stack, [pid])
    stack.worker_once()
    p = portal(stack, pid)
    assert p["status"] == "disconnected"
    assert "revoked" in p["reason"]
    assert_one_new(stack, pid, before_act, "disconnected")
    assert tokens(stack, pid) == before_tok
    assert hub_stats(stack, hub)["refresh_calls"] == 0

    health_due(stack, [pid])
    refresh_due(stack, [pid])
    stack.worker_once()  # recorded once; a red portal is left alone
    assert_one_new(stack, pid, before_act, "disconnected")
    assert hub_stats(stack, hub)["refresh_calls"] == 0
    row = portals_row(c, pid)
    assert 'data-status="disconnected"' in row and "indicator red" in row
    assert 'id="reconnect-%d"' % pid in row


def test_disconnect_and_remove_buttons(stack):
    c = stack.client()
    org = stack.org_id(c.org)
    hub, pid = connect(stack, c)
    hub2, pid2 = connect(stack, c)
    for p in (pid, pid2):
        stack.sql("INSERT INTO assets (org_id, source_hub_id, source_portal_id, object_type, kind, name, "
                  "label) SELECT %s, hub_id, id, 'contacts', 'property', %s, %s FROM portals WHERE id = %s",
                  (org, "asset_of_%d" % p, "asset of %d" % p, p))
    before_act = activity(stack, pid)
    assert [g["status"] for g in grants(stack, hub)] == ["active"]

    page = c.get("/portals/%d/disconnect" % pid)
    assert page.status_code == 200 and 'id="confirm-form"' in page.text
    csrf = csrf_of(page.text)
    r = c.post("/portals/%d/disconnect" % pid, {"csrf": csrf, "confirm": "yes"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/portals"), r.text[:500]
    assert [g["status"] for g in grants(stack, hub)] == ["revoked"]  # revoked at HubSpot
    p = portal(stack, pid)
    assert p["status"] == "disconnected" and p["removed_at"] is None
    assert tokens(stack, pid) is None
    assert_one_new(stack, pid, before_act, "disconnected")
    assert stack.sql("SELECT count(*) FROM assets WHERE source_portal_id = %s", (pid,))[0][0] == 1
    row = portals_row(c, pid)
    assert 'data-status="disconnected"' in row and 'id="reconnect-%d"' % pid in row
    refresh_due(stack, [pid])
    stack.worker_once()  # nothing left to refresh
    assert portal(stack, pid)["status"] == "disconnected"
    assert hub_stats(stack, hub)["refresh_calls"] == 0

    # Remove a connected portal: revoked, gone from the list, data kept
    acts2 = activity(stack, pid2)
    page = c.get("/portals/%d/remove" % pid2)
    assert page.status_code == 200
    csrf = csrf_of(page.text)
    r = c.post("/portals/%d/remove" % pid2, {"csrf": csrf, "confirm": "yes"})
    assert r.status_code == 303, r.text[:500]
    assert [g["status"] for g in grants(stack, hub2)] == ["revoked"]
    assert portals_row(c, pid2) is None
    assert portal(stack, pid2)["removed_at"] is not None
    assert tokens(stack, pid2) is None
    assert stack.sql("SELECT count(*) FROM assets WHERE source_portal_id = %s", (pid2,))[0][0] == 1
    assert_one_new(stack, pid2, acts2, "removed")
    assert [a[0] for a in acts2] == [a[0] for a in activity(stack, pid2)][:len(acts2)]

    # and removing the disconnected one
    csrf = c.csrf("/portals/%d/remove" % pid)
    assert c.post("/portals/%d/remove" % pid, {"csrf": csrf, "confirm": "yes"}).status_code == 303
    assert portals_row(c, pid) is None
    assert stack.sql("SELECT count(*) FROM assets WHERE source_portal_id = %s", (pid,))[0][0] == 1
    assert len(activity(stack, pid)) == len(before_act) + 2


# ---------------------------------------------------------------- transient failures
@pytest.mark.parametrize("fault,env", [
    ({"endpoint": "token", "status": 503, "count": None}, None),
    ({"endpoint": "token", "status": 429, "count": None}, None),
    ({"endpoint": "token", "latency_ms": 2500, "count": None}, {"JETSTACK_HUBSPOT_TIMEOUT_MS": "500"}),
], ids=["503", "429", "timeout"])
def test_transient_failure_retried_later(stack, fault, env):
    c = stack.client()
    hub, pid = connect(stack, c)
    before_tok, before_act, before = tokens(stack, pid), activity(stack, pid), portal(stack, pid)
    refresh_due(stack, [pid])
    stack.sim("POST", "/_sim/faults", fault)
    stack.worker_once(env=env)

    p = portal(stack, pid)
    assert (p["status"], p["reason"], p["changed_at"]) == \
        ("connected", before["reason"], before["changed_at"])
    assert tokens(stack, pid) == before_tok
    assert new_activity(stack, pid, before_act) == []
    job = refresh_job(stack, pid)
    assert job["state"] == "queued" and job["attempts"] == 1 and job["later"], job
    assert job["last_error"], job
    if "latency_ms" in fault:  # curl's own words for a timeout
        assert "timed out" in job["last_error"], job
    else:
        assert str(fault["status"]) in job["last_error"], job
    assert hub_stats(stack, hub)["refresh_calls"] == 1

    stack.sim("DELETE", "/_sim/faults")
    stack.sql("UPDATE jobs SET run_after = now() WHERE kind = 'refresh' AND portal_id = %s", (pid,))
    stack.worker_once(env=env)
    assert version(stack, pid) == before_tok[0] + 1
    p = portal(stack, pid)
    assert p["status"] == "connected"
    assert p["refreshed_at"] is not None and p["refreshed_at"] > before["refreshed_at"]
    assert hub_stats(stack, hub)["refresh_ok"] == 1
    job = refresh_job(stack, pid)  # the next refresh is scheduled for the new expiry
    assert job is None or (job["state"] == "queued" and job["later"] and job["attempts"] == 0)
    assert new_activity(stack, pid, before_act) == []


def test_backoff_grows_and_one_call_per_pass(stack):
    c = stack.client()
    hub, pid = connect(stack, c)
    refresh_due(stack, [pid])
    stack.sim("POST", "/_sim/faults", {"endpoint": "token", "status": 503, "count": None})
    delays = []
    for n in range(1, 6):
        stack.sql("UPDATE jobs SET run_after = now() WHERE kind = 'refresh' AND portal_id = %s",
                  (pid,))
        stack.worker_once()
        job = refresh_job(stack, pid)
        assert job["state"] == "queued" and job["attempts"] == n, job
        delays.append(job["delay"])
        base = 30 * 2 ** (n - 1)
        assert 0.8 * base - 1 <= job["delay"] <= 1.2 * base + 1, (n, delays)
        assert hub_stats(stack, hub)["refresh_calls"] == n  # one attempt per pass, no tight loop
    assert all(a < b for a, b in zip(delays, delays[1:])), delays
    assert portal(stack, pid)["status"] == "connected"


def test_hubspot_down_for_a_while_changes_no_status(stack):
    c = stack.client()
    ids = [connect(stack, c)[1] for _ in range(3)]
    before = {p: (portal(stack, p), tokens(stack, p), activity(stack, p)) for p in ids}
    stack.sim("POST", "/_sim/faults", {"endpoint": "all", "status": 503, "count": None})
    for _ in range(3):
        refresh_due(stack, ids)
        health_due(stack, ids)
        stack.worker_once()
    for p in ids:
        prev, tok, act = before[p]
        now = portal(stack, p)
        assert (now["status"], now["reason"], now["changed_at"]) == \
            ("connected", prev["reason"], prev["changed_at"])
        assert tokens(stack, p) == tok
        assert new_activity(stack, p, act) == []
    stack.sim("DELETE", "/_sim/faults")
    # recovered: the retried refreshes succeed...
    stack.sql("UPDATE jobs SET run_after = now() WHERE kind = 'refresh' AND portal_id = ANY(%s)",
              (ids,))
    stack.worker_once()
    for p in ids:
        assert portal(stack, p)["status"] == "connected"
        assert version(stack, p) == before[p][1][0] + 1
        job = refresh_job(stack, p)
        assert job is None or (job["attempts"] == 0 and job["later"]), job
    # ...and so do the retried health checks (fresh tokens: no refresh needed)
    stack.sql("UPDATE jobs SET run_after = now() WHERE kind = 'health' AND portal_id = ANY(%s)",
              (ids,))
    stack.worker_once()
    for p in ids:
        assert portal(stack, p)["status"] == "connected"
        assert version(stack, p) == before[p][1][0] + 1
        assert new_activity(stack, p, before[p][2]) == []
        assert stack.sql("SELECT next_health_at > now() + interval '1 hour' FROM portals "
                         "WHERE id = %s", (p,))[0][0]
        assert stack.sql("SELECT count(*) FROM jobs WHERE kind = 'health' AND portal_id = %s "
                         "AND run_after <= now()", (p,))[0][0] == 0


def test_yellow_portal_stays_yellow(stack):
    c = stack.client()
    hub, pid = connect(stack, c)
    stack.sim("POST", "/_sim/portals/%d/invalidate_refresh_tokens" % hub)
    refresh_due(stack, [pid])
    stack.worker_once()
    before = portal(stack, pid)
    assert before["status"] == "needs_reconnection"
    before_tok, before_act, calls = tokens(stack, pid), activity(stack, pid), hub_stats(stack, hub)
    for _ in range(3):
        refresh_due(stack, [pid])
        health_due(stack, [pid])
        stack.worker_once()
    assert portal(stack, pid) == before
    assert tokens(stack, pid) == before_tok
    assert activity(stack, pid) == before_act
    assert hub_stats(stack, hub) == calls  # not even tried


# ---------------------------------------------------------------- refresh answers
def test_refresh_without_refresh_token_keeps_stored_one(stack):
    c = stack.client()
    hub, pid = connect(stack, c)
    v0 = version(stack, pid)
    stack.sim("POST", "/_sim/faults", {"endpoint": "token", "omit_refresh_token": True, "count": 1})
    refresh_due(stack, [pid])
    stack.worker_once()
    assert version(stack, pid) == v0 + 1
    assert hub_stats(stack, hub)["refresh_ok"] == 1
    assert stack.sim("GET", "/_sim/faults")["faults"] == []  # the omission was served

    refresh_due(stack, [pid])
    stack.worker_once()  # must use the refresh token stored before the omission
    assert version(stack, pid) == v0 + 2
    assert portal(stack, pid)["status"] == "connected"
    s = hub_stats(stack, hub)
    assert (s["refresh_calls"], s["refresh_ok"]) == (2, 2)
    [g] = grants(stack, hub)
    assert g["status"] == "active" and g["refresh_count"] == 2


# ---------------------------------------------------------------- refresh vs reconnect
def only_grant(stack, hub):
    [g] = grants(stack, hub)
    return g["grant_id"]


def test_reconnect_during_slow_refresh_wins(stack):
    """The refresh reads version v, waits on HubSpot, the reconnect writes
    v+1 meanwhile: the refresh's compare-and-swap must lose."""
    c = stack.client()
    hub, pid = connect(stack, c)
    old = only_grant(stack, hub)
    refresh_due(stack, [pid])
    stack.sim("POST", "/_sim/faults", {"endpoint": "token", "latency_ms": 2500, "count": None})
    with stack.worker_proc(["--once"]) as w:
        # the refresh of this hub has reached HubSpot (its latency is planned)
        assert wait_until(lambda: hub_stats(stack, hub)["refresh_calls"] == 1, timeout=15), \
            "the worker never sent the refresh"
        stack.sim("DELETE", "/_sim/faults")  # the reconnect runs at full speed
        r = c.reconnect(pid, hub, as_user=ADMIN)
        assert r.status_code == 303, r.text[:1000]
        v_reconnect = version(stack, pid)
        # the race really happened: HubSpot has not answered the refresh yet
        assert hub_stats(stack, hub)["refresh_ok"] == 0, "refresh finished before the reconnect"
        out, err = w.communicate(timeout=60)
        assert w.returncode == 0, err[-2000:]
    # HubSpot refreshed the old grant -- unless the revoke job of the grant
    # the reconnect replaced got there first, and HubSpot refused it
    assert hub_stats(stack, hub)["refresh_ok"] in (0, 1)
    assert version(stack, pid) == v_reconnect  # either way those tokens were not stored
    assert portal(stack, pid)["status"] == "connected"
    gs = {g["grant_id"]: g for g in grants(stack, hub)}
    new = [gid for gid in gs if gid != old]
    assert len(new) == 1
    new = new[0]
    old_count, new_count = gs[old]["refresh_count"], gs[new]["refresh_count"]

    refresh_due(stack, [pid])
    stack.worker_once()
    assert version(stack, pid) == v_reconnect + 1
    assert portal(stack, pid)["status"] == "connected"
    gs = {g["grant_id"]: g for g in grants(stack, hub)}
    assert gs[new]["refresh_count"] == new_count + 1  # the stored token is the reconnect's
    assert gs[old]["refresh_count"] == old_count


def test_refresh_during_slow_reconnect_loses(stack):
    """The reconnect's code exchange is slow; a refresh completes meanwhile
    (v -> v+1); the reconnect then stores its tokens on top (v+2)."""
    c = stack.client()
    hub, pid = connect(stack, c)
    old = only_grant(stack, hub)
    v0 = version(stack, pid)
    s0 = hub_stats(stack, hub)  # the first connect's code exchange is counted
    stack.sim("POST", "/_sim/faults", {"endpoint": "token", "latency_ms": 2500, "count": None})
    result = {}

    def do_reconnect():
        try:
            result["r"] = c.reconnect(pid, hub, as_user=ADMIN)
        except Exception as e:  # reported below
            result["e"] = e

    t = threading.Thread(target=do_reconnect)
    t.start()
    try:
        assert wait_until(lambda: hub_stats(stack, hub)["code_calls"] == s0["code_calls"] + 1,
                          timeout=15), \
            "the reconnect never exchanged its code"
        stack.sim("DELETE", "/_sim/faults")
        refresh_due(stack, [pid])
        stack.worker_once()
        assert version(stack, pid) == v0 + 1  # the refresh stored its tokens first
        assert hub_stats(stack, hub)["code_ok"] == s0["code_ok"], \
            "reconnect finished before the refresh"
    finally:
        t.join(60)
    assert "e" not in result, result.get("e")
    assert result["r"].status_code == 303, result["r"].text[:1000]
    assert version(stack, pid) == v0 + 2
    assert portal(stack, pid)["status"] == "connected"
    gs = {g["grant_id"]: g for g in grants(stack, hub)}
    [new] = [gid for gid in gs if gid != old]
    old_count, new_count = gs[old]["refresh_count"], gs[new]["refresh_count"]
    assert new_count == 0

    refresh_due(stack, [pid])
    stack.worker_once()
    assert version(stack, pid) == v0 + 3
    assert portal(stack, pid)["status"] == "connected"
    gs = {g["grant_id"]: g for g in grants(stack, hub)}
    assert gs[new]["refresh_count"] == 1
    assert gs[old]["refresh_count"] == old_count


# ---------------------------------------------------------------- several workers, crashes
def _communicate_all(procs, timeout):
    with concurrent.futures.ThreadPoolExecutor(len(procs)) as ex:
        futs = [ex.submit(p.communicate, timeout=timeout) for p in procs]
        return [f.result() for f in futs]


def _connect_many(stack, n, threads=8):
    org = stack.new_org()
    clients = [stack.client(org) for _ in range(threads)]
    hubs = [stack.new_hub() for _ in range(n)]

    def work(i):
        c = clients[i % threads]
        out = []
        for hub in hubs[i::threads]:
            r = c.connect(hub, "config_audit", as_user=ADMIN)
            assert r.status_code == 303, r.text[:500]
            out.append(hub)
        return out

    with concurrent.futures.ThreadPoolExecutor(threads) as ex:
        list(ex.map(work, range(threads)))
    oid = stack.org_id(org)
    rows = stack.sql("SELECT hub_id, id FROM portals WHERE org_id = %s AND removed_at IS NULL",
                     (oid,))
    assert len(rows) == n
    return dict(rows)  # hub -> portal id


def test_two_workers_refresh_each_portal_once(stack):
    by_hub = _connect_many(stack, 200)
    pids = list(by_hub.values())
    stack.sim("DELETE", "/_sim/stats")
    refresh_due(stack, pids)
    t0 = stack.sql("SELECT now()")[0][0]
    env = {"JETSTACK_WORKER_CONCURRENCY": "8"}
    with stack.worker_proc(["--once"], env=env) as w1, stack.worker_proc(["--once"], env=env) as w2:
        procs = [w1, w2]
        outs = _communicate_all(procs, 120)
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-2000:]
    calls = stack.sim("GET", "/_sim/stats")["token_calls"]["by_hub_id"]
    wrong = {h: calls.get(str(h), {}).get("refresh_token", 0) for h in by_hub
             if calls.get(str(h), {}).get("refresh_token", 0) != 1}
    assert wrong == {}, wrong
    rows = stack.sql("SELECT p.status, p.last_refreshed_at > %s, t.version FROM portals p "
                     "JOIN portal_tokens t ON t.portal_id = p.id WHERE p.id = ANY(%s)", (t0, pids))
    assert len(rows) == 200
    assert all(r == ("connected", True, 2) for r in rows), [r for r in rows if r != ("connected", True, 2)][:5]
    assert stack.sql("SELECT count(*) FROM jobs WHERE kind = 'refresh' AND portal_id = ANY(%s) "
                     "AND (state <> 'queued' OR run_after <= now())", (pids,))[0][0] == 0


def test_worker_killed_mid_pass_loses_nothing(stack):
    c = stack.client()
    conn = [connect(stack, c) for _ in range(5)]
    hubs, pids = [h for h, _ in conn], [p for _, p in conn]
    v0 = {p: version(stack, p) for p in pids}
    stack.sim("POST", "/_sim/faults", {"endpoint": "token", "latency_ms": 2000, "count": None})
    refresh_due(stack, pids)

    def running():
        return stack.sql("SELECT count(*) FROM jobs WHERE kind = 'refresh' AND state = 'running' "
                         "AND portal_id = ANY(%s)", (pids,))[0][0]

    with stack.worker_proc(["--once"], env={"JETSTACK_JOB_LEASE_SECONDS": "3"}) as w:
        assert wait_until(lambda: running() == len(pids), timeout=15), running()
        w.send_signal(signal.SIGKILL)
        w.communicate(timeout=10)
    assert w.returncode == -signal.SIGKILL
    stack.sim("DELETE", "/_sim/faults")
    assert running() == len(pids)  # left behind by the dead worker
    assert all(version(stack, p) == v0[p] for p in pids)
    assert wait_until(lambda: stack.sql(
        "SELECT bool_and(locked_until < now()) FROM jobs WHERE kind = 'refresh' "
        "AND portal_id = ANY(%s)", (pids,))[0][0], timeout=15)
    stack.worker_once()
    for p in pids:
        assert portal(stack, p)["status"] == "connected"
        assert version(stack, p) == v0[p] + 1
    assert running() == 0

    refresh_due(stack, pids)  # the stored refresh tokens still work
    before = {h: hub_stats(stack, h)["refresh_ok"] for h in hubs}
    stack.worker_once()
    for h, p in conn:
        assert version(stack, p) == v0[p] + 2
        assert portal(stack, p)["status"] == "connected"
        assert hub_stats(stack, h)["refresh_ok"] == before[h] + 1


def test_sigterm_finishes_job_in_hand_and_exits_cleanly(stack):
    c = stack.client()
    hub, pid = connect(stack, c)
    v0 = version(stack, pid)
    with stack.worker_proc([]) as w:
        time.sleep(0.5)  # let it start and go idle (not a timing assertion)
        stack.sim("POST", "/_sim/faults", {"endpoint": "token", "latency_ms": 1500, "count": None})
        refresh_due(stack, [pid])
        # the forever worker sweeps every second: wait until its refresh is at HubSpot
        assert wait_until(lambda: hub_stats(stack, hub)["refresh_calls"] == 1, timeout=15)
        stack.sim("DELETE", "/_sim/faults")
        assert refresh_job(stack, pid)["state"] == "running"
        t0 = time.monotonic()
        w.send_signal(signal.SIGTERM)
        out, err = w.communicate(timeout=10)
        elapsed = time.monotonic() - t0
    assert w.returncode == 0, err[-2000:]
    assert elapsed < 5, elapsed
    assert version(stack, pid) == v0 + 1  # the job in hand was finished
    assert stack.sql("SELECT count(*) FROM jobs WHERE state = 'running' AND locked_by LIKE %s",
                     ("%%:%d" % w.pid,))[0][0] == 0
    job = refresh_job(stack, pid)
    assert job is None or job["state"] == "queued"


# ---------------------------------------------------------------- what operators and users see
def _metrics(stack):
    r = requests.get(stack.base + "/metrics", timeout=10)
    assert r.status_code == 200
    out = {}
    for line in r.text.splitlines():
        if line and not line.startswith("#"):
            k, v = line.rsplit(" ", 1)
            out[k] = float(v)
    return out


def test_metrics_and_portals_page(stack):
    c = stack.client()
    hub_ok, p_ok = connect(stack, c)
    hub_bad, p_bad = connect(stack, c)
    hub_retry, p_retry = connect(stack, c)
    m0 = _metrics(stack)
    stack.sim("POST", "/_sim/portals/%d/invalidate_refresh_tokens" % hub_bad)
    refresh_due(stack, [p_ok, p_bad])
    stack.worker_once()
    refresh_due(stack, [p_retry])
    stack.sim("POST", "/_sim/faults", {"endpoint": "token", "status": 503, "count": None})
    stack.worker_once()
    stack.sim("DELETE", "/_sim/faults")
    # an old due job shows in the backlog gauges
    stack.sql("UPDATE jobs SET run_after = now() - interval '100 seconds' "
              "WHERE kind = 'refresh' AND portal_id = %s", (p_retry,))
    m1 = _metrics(stack)
    key = 'jetstack_token_refreshes_total{outcome="%s"}'
    for outcome in ("ok", "rejected", "retry", "superseded", "error"):
        assert key % outcome in m0 and key % outcome in m1, outcome
    assert m1[key % "ok"] >= m0.get(key % "ok", 0) + 1
    assert m1[key % "rejected"] >= m0.get(key % "rejected", 0) + 1
    assert m1[key % "retry"] >= m0.get(key % "retry", 0) + 1
    for s in ("connected", "needs_reconnection", "disconnected"):
        assert 'jetstack_portals{status="%s"}' % s in m1
    assert m1['jetstack_portals{status="needs_reconnection"}'] >= 1
    assert m1['jetstack_portals{status="connected"}'] >= 2
    for s in ("due", "queued", "running"):
        assert 'jetstack_jobs{state="%s"}' % s in m1
    assert m1['jetstack_jobs{state="due"}'] >= 1
    assert m1["jetstack_oldest_due_job_seconds"] >= 100
    total = stack.sql("SELECT count(*) FILTER (WHERE status = 'connected') FROM portals "
                      "WHERE removed_at IS NULL")[0][0]
    assert m1['jetstack_portals{status="connected"}'] == total

    page_row = portals_row(c, p_ok)
    assert re.search(r'Refreshed <time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00" '
                     r'title="\d{4}-\d\d-\d\d \d\d:\d\d \(UTC\+00:00\)">[^<]*(ago|now)</time>',
                     page_row), page_row
    assert re.search(r'Next check <time datetime="[^"]+" title="[^"]+">[^<]+</time>', page_row), page_row
    row = portals_row(c, p_bad)
    assert "Needs Reconnection" in row and "indicator yellow" in row

    stack.worker_once()  # the backlog drains
    assert refresh_job(stack, p_retry) is None or refresh_job(stack, p_retry)["later"]


def test_worker_threads_share_a_few_database_connections(stack):
    """A worker of 12 threads opens JETSTACK_WORKER_DB_CONNECTIONS (2)
    connections for its jobs, one that listens and the sweep's, whatever the
    threads do:
    a thread holds a connection for a statement or a transaction, never
    while it waits on HubSpot.  The work still runs side by side (the
    simulator sees several refresh calls in flight) and ends well."""
    by_hub = _connect_many(stack, 24)
    pids = list(by_hub.values())
    stack.sim("DELETE", "/_sim/stats")
    stack.sim("POST", "/_sim/faults", {"endpoint": "token", "latency_ms": 400, "count": None})
    refresh_due(stack, pids)
    env = {"JETSTACK_WORKER_CONCURRENCY": "12", "JETSTACK_WORKER_DB_CONNECTIONS": "2",
           "JETSTACK_WORKER_POLL_SECONDS": "1"}
    most, done = 0, False
    with stack.db() as watch:
        def backends():
            return watch.execute("SELECT count(*) FROM pg_stat_activity WHERE usename = "
                                 "current_user AND pid <> pg_backend_pid()").fetchone()[0]
        before = backends()
        with stack.worker_proc([], env=env):
            for _ in range(600):
                most = max(most, backends() - before)
                done = watch.execute(
                    "SELECT bool_and(t.version = 2) FROM portal_tokens t "
                    "WHERE t.portal_id = ANY(%s)", (pids,)).fetchone()[0]
                if done:
                    break
                time.sleep(0.05)
            most = max(most, backends() - before)
    assert done, "not every portal was refreshed"
    assert most == 4, most  # 2 for the jobs, 1 listening, 1 for the sweep
    assert all(portal(stack, p)["status"] == "connected" for p in pids)
    # the threads' 400 ms calls overlapped: more in flight at once than
    # the worker has connections
    peak = stack.sim("GET", "/_sim/stats")["in_flight_max"].get("token", 0)
    assert peak > 2, peak
