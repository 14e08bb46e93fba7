"""Lost answers are not lost tokens (issue 18 item 3).

Every refresh records its intent (the token version it is made with) before
the call (portal_tokens.refresh_intent_version, sql/0022).  A worker SIGKILLed
with refreshes in flight leaves those intents unfinished; when the next
attempt's refresh token is refused right after one, the worker introspects
the stored refresh token before deciding: still active keeps the portal
Connected (retried later), inactive turns it Needs Reconnection with the
reason refresh_answer_lost, whose text says what happened.

The simulator rotates refresh tokens on every refresh with /_sim/config
{"rotate_refresh_tokens": true} (HubSpot does not document rotation and does
not rule it out).  Without rotation a replay is harmless: see
test_worker.py::test_worker_killed_mid_pass_loses_nothing.

Portals are seeded the fast way (tests/portal_seed.py); other tests' portals
live in the same database, so assertions are scoped to this test's own."""
import signal
import time

import pytest
import requests

import conftest
from conftest import wait_until
from portal_seed import flow_scopes, seed_portals, stored_tokens

ADMIN = "lost-admin@agency.test"
LEASE_S = 3
TIMEOUT_MS = 3000  # an unanswered refresh may still be answered for 3 + 2 s
LOST_TEXT = "A refresh's answer was lost (the worker stopped"


@pytest.fixture(autouse=True)
def clean_sim(stack):
    stack.sim("DELETE", "/_sim/faults")
    stack.sim("POST", "/_sim/config", {"latency_ms": 0, "rotate_refresh_tokens": False})
    yield
    stack.sim("DELETE", "/_sim/faults")
    stack.sim("POST", "/_sim/config", {"latency_ms": 0, "rotate_refresh_tokens": False})


def seed(stack, n):
    """n Connected portals whose refreshes are due (unexpired access tokens)."""
    aes, scopes = flow_scopes(stack, ADMIN)
    hubs = [next(conftest._hub_ids) for _ in range(n)]
    _, ids = seed_portals(stack, aes, hubs, scopes, ADMIN,
                          expires_sql="now() + make_interval(secs => 200 + n)")
    return aes, dict(zip(ids, hubs))


def refresh_calls(stack, hubs, which="token_calls"):
    by_hub = stack.sim("GET", "/_sim/stats")[which]["by_hub_id"]
    return {h: by_hub.get(str(h), {}).get("refresh_token", 0) for h in hubs}


def kill_mid_pass(stack, portals):
    """A --once worker with 16 threads sends the due refreshes of portals;
    it is SIGKILLed once they are at HubSpot (held there by latency: 16, or
    a few fewer when other tests' due jobs took threads), and HubSpot then
    answers them to nobody.  Returns the portals whose answers were lost."""
    hubs = list(portals.values())
    stack.sim("POST", "/_sim/faults", {"endpoint": "token", "latency_ms": 1500, "count": None})
    env = {"JETSTACK_WORKER_CONCURRENCY": "16", "JETSTACK_JOB_LEASE_SECONDS": str(LEASE_S),
           "JETSTACK_HUBSPOT_TIMEOUT_MS": str(TIMEOUT_MS)}
    with stack.worker_proc(["--once"], env=env) as w:
        assert wait_until(lambda: sum(refresh_calls(stack, hubs).values()) >= 12, timeout=30), \
            refresh_calls(stack, hubs)
        time.sleep(0.5)  # the stragglers
        w.send_signal(signal.SIGKILL)
        w.communicate(timeout=10)
    assert w.returncode == -signal.SIGKILL
    stack.sim("DELETE", "/_sim/faults")
    sent = {h for h, n in refresh_calls(stack, hubs).items() if n}
    assert 12 <= len(sent) <= 16, sent
    # HubSpot answered them all, to nobody; none of those answers was stored
    assert wait_until(lambda: sum(refresh_calls(stack, sent, "token_successes").values()) == len(sent),
                      timeout=15)
    lost = [p for p, h in portals.items() if h in sent]
    assert stack.sql("SELECT count(*) FROM portal_tokens WHERE portal_id = ANY(%s) AND version = 1 "
                     "AND refresh_intent_version = 1", (lost,))[0][0] == len(lost)
    # after the lease, and after the time an answer could still come
    time.sleep(TIMEOUT_MS / 1000 + 3)
    return lost


def introspect_active(stack, token):
    r = requests.post(stack.sim_url + "/oauth/2026-03/token/introspect", timeout=10, data={
        "client_id": stack.client_id, "client_secret": stack.client_secret, "token": token,
        "token_type_hint": "refresh_token"})
    assert r.status_code == 200, r.text
    return r.json()["active"]


def last_activity(stack, pid):
    rows = stack.sql("SELECT kind, message FROM activity WHERE portal_id = %s ORDER BY id DESC LIMIT 1",
                     (pid,))
    return rows[0] if rows else None


def test_rotated_refresh_tokens_lost_with_their_answers(stack):
    aes, portals = seed(stack, 20)
    stack.sim("POST", "/_sim/config", {"rotate_refresh_tokens": True})
    lost = kill_mid_pass(stack, portals)
    # HubSpot rotated the lost ones: the stored refresh tokens are dead
    assert not any(introspect_active(stack, stored_tokens(stack, aes, p)[1]) for p in lost)

    r = stack.worker_once(env={"JETSTACK_HUBSPOT_TIMEOUT_MS": str(TIMEOUT_MS)})
    yellow = []
    for p in portals:
        status, code, reason = stack.sql("SELECT status, status_reason_code, status_reason FROM portals "
                                         "WHERE id = %s", (p,))[0]
        active = introspect_active(stack, stored_tokens(stack, aes, p)[1])
        if active:  # a stored refresh token HubSpot still takes: never yellow
            assert status == "connected", (p, status, reason)
        if status != "connected":
            yellow.append(p)
            assert (status, code) == ("needs_reconnection", "refresh_answer_lost"), (p, status, code)
            assert reason.startswith(LOST_TEXT), reason
            kind, message = last_activity(stack, p)
            assert kind == "needs_reconnection" and message.startswith(LOST_TEXT), message
            assert "answer was lost" in message.split("Evidence:")[1], message
    # exactly the portals whose answers were lost; the others refreshed
    assert sorted(yellow) == sorted(lost), (yellow, lost)
    for p in set(portals) - set(lost):
        assert stack.sql("SELECT version FROM portal_tokens WHERE portal_id = %s", (p,))[0][0] == 2
    assert r.stderr.count('"refresh_answer_lost"') >= len(lost)


def test_refused_after_a_lost_answer_while_still_active_stays_connected(stack):
    """No rotation: the lost answers' tokens still work.  HubSpot then refuses
    each replay once (BAD_REFRESH_TOKEN) although introspection calls the
    token active: the portals stay Connected and are retried."""
    aes, portals = seed(stack, 16)
    lost = kill_mid_pass(stack, portals)
    assert all(introspect_active(stack, stored_tokens(stack, aes, p)[1]) for p in lost)
    refusal = {"status": "BAD_REFRESH_TOKEN", "message": "missing or invalid refresh token",
               "error": "invalid_grant", "error_description": "missing or invalid refresh token"}
    stack.sim("POST", "/_sim/faults", {"endpoint": "token", "status": 400, "body": refusal,
                                       "count": len(lost)})
    # one thread: the dead worker's jobs are claimed first, so the refusals
    # are theirs
    r = stack.worker_once(env={"JETSTACK_WORKER_CONCURRENCY": "1",
                               "JETSTACK_HUBSPOT_TIMEOUT_MS": str(TIMEOUT_MS)})
    assert stack.sim("GET", "/_sim/faults")["faults"] == []
    for p in lost:
        status, code = stack.sql("SELECT status, status_reason_code FROM portals WHERE id = %s", (p,))[0]
        assert (status, code) == ("connected", ""), (p, status, code)
        assert last_activity(stack, p) is None
        state, attempts, err = stack.sql("SELECT state, attempts, last_error FROM jobs WHERE kind = 'refresh' "
                                         "AND portal_id = %s", (p,))[0]
        assert state == "queued" and "HTTP 400 BAD_REFRESH_TOKEN" in err, (state, err)
    assert r.stderr.count('"refresh_refused_token_active"') == len(lost), r.stderr[-2000:]

    # retried: the stored tokens work
    stack.sql("UPDATE jobs SET run_after = now() WHERE kind = 'refresh' AND portal_id = ANY(%s)", (lost,))
    stack.worker_once()
    for p in lost:
        assert stack.sql("SELECT p.status, t.version FROM portals p JOIN portal_tokens t ON "
                         "t.portal_id = p.id WHERE p.id = %s", (p,))[0] == ("connected", 2)
    lost_hubs = [portals[p] for p in lost]
    assert refresh_calls(stack, lost_hubs, "token_successes") == {h: 2 for h in lost_hubs}
