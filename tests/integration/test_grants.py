"""No grant left behind (the first item of the reliability issue): every
refresh token the product stops using is revoked at HubSpot by a job of its
own -- on reconnect, when HubSpot rotates a refresh token, and for a refused
attempt HubSpot could not be reached for -- and Disconnect revokes every
grant the product still knows of.  The simulator's list of grants per hub
is the witness: exactly one live grant while Connected, none after
Disconnect."""
import concurrent.futures

import pytest

from jsclient import csrf_of

ENV = {"JETSTACK_WORKER_CONCURRENCY": "4"}


@pytest.fixture(autouse=True)
def clean_sim(stack):
    stack.sim("DELETE", "/_sim/faults")
    yield
    stack.sim("DELETE", "/_sim/faults")


def live(stack, hub):
    """Grants of the hub whose refresh token HubSpot still accepts."""
    return [g for g in stack.sim("GET", "/_sim/state?hub_id=%d" % hub)["grants"]
            if g["refresh_token_valid"]]


def pending(stack, pid):
    return stack.sql("SELECT count(*) FROM revocations WHERE portal_id = %s AND done_at IS NULL",
                     (pid,))[0][0]


def reconnect(c, pid, hub, admin):
    r = c.reconnect(pid, hub, as_user=admin)
    assert r.status_code == 303, r.text[-600:]


def test_reconnects_then_disconnect_leave_one_then_none(stack):
    c = stack.client()
    admin = "alex@agency.test"
    hub, pid, _ = stack.connect_portal(c, "config_only", admin=admin)
    for _ in range(3):
        reconnect(c, pid, hub, admin)
    assert len(live(stack, hub)) == 4 and pending(stack, pid) == 3  # queued, not yet done
    stack.worker_once(env=ENV)
    assert len(live(stack, hub)) == 1 and pending(stack, pid) == 0
    # the one left is the one stored
    stack.sql("UPDATE portal_tokens SET access_expires_at = now() WHERE portal_id = %s", (pid,))
    stack.worker_once(env=ENV)
    assert stack.sql("SELECT status FROM portals WHERE id = %s", (pid,)) == [("connected",)]
    # two more reconnects, then Disconnect before any worker pass
    for _ in range(2):
        reconnect(c, pid, hub, admin)
    assert pending(stack, pid) == 2
    page = c.get("/portals/%d/disconnect" % pid).text
    assert "stay valid until they expire, at most 30 minutes" in page
    r = c.post("/portals/%d/disconnect" % pid, {"csrf": csrf_of(page), "confirm": "yes"})
    assert r.status_code == 303
    assert live(stack, hub) == [] and pending(stack, pid) == 0


def test_two_admins_reconnecting_at_once_leave_one(stack):
    owner = stack.client()
    admin2 = stack.client(org=owner.org, role="admin")
    hs_admin = "alex@agency.test"
    hub, pid, _ = stack.connect_portal(owner, "config_only", admin=hs_admin)
    for _ in range(3):
        callbacks = [cl.hubspot_choose(cl.start_reconnect(pid), hub, as_user=hs_admin)
                     for cl in (owner, admin2)]
        with concurrent.futures.ThreadPoolExecutor(2) as ex:
            answers = list(ex.map(lambda a: a[0].follow_callback(a[1]), zip((owner, admin2), callbacks)))
        assert [r.status_code for r in answers] == [303, 303]
    stack.worker_once(env=ENV)
    assert len(live(stack, hub)) == 1 and pending(stack, pid) == 0


def test_a_rotated_refresh_token_is_revoked_and_the_new_one_kept(stack):
    c = stack.client()
    hub, pid, _ = stack.connect_portal(c, "config_only")
    stack.sim("POST", "/_sim/faults", {"endpoint": "token", "rotate_refresh_token": True, "count": 1})
    stack.sql("UPDATE portal_tokens SET access_expires_at = now() WHERE portal_id = %s", (pid,))
    stack.worker_once(env=ENV)  # the refresh rotates; the old token is queued
    stack.worker_once(env=ENV)  # and revoked
    assert stack.sql("SELECT count(*) FROM revocations WHERE portal_id = %s AND done_at IS NOT NULL",
                     (pid,)) == [(1,)]
    assert len(live(stack, hub)) == 1
    # the stored (new) token still works: the next refresh succeeds
    stack.sql("UPDATE portal_tokens SET access_expires_at = now() WHERE portal_id = %s", (pid,))
    stack.worker_once(env=ENV)
    assert stack.sql("SELECT status FROM portals WHERE id = %s", (pid,)) == [("connected",)]


def test_a_revoke_hubspot_does_not_answer_is_retried(stack):
    c = stack.client()
    admin = "alex@agency.test"
    hub, pid, _ = stack.connect_portal(c, "config_only", admin=admin)
    reconnect(c, pid, hub, admin)
    stack.sim("POST", "/_sim/faults", {"endpoint": "revoke", "status": 503, "count": None})
    stack.worker_once(env=ENV)
    assert pending(stack, pid) == 1 and len(live(stack, hub)) == 2
    err = stack.sql("SELECT last_error FROM jobs WHERE kind = 'revoke' AND portal_id = %s", (pid,))
    assert err and "revoke" in err[0][0] and "503" in err[0][0], err  # what HubSpot answered
    stack.sim("DELETE", "/_sim/faults")
    stack.sql("UPDATE jobs SET run_after = now() WHERE kind = 'revoke' AND portal_id = %s", (pid,))
    stack.worker_once(env=ENV)
    assert pending(stack, pid) == 0 and len(live(stack, hub)) == 1
