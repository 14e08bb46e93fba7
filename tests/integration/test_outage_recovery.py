"""Recovery after a HubSpot outage (issue 18 item 2): the circuit breaker in
PostgreSQL (src/jobs/breaker.c, sql/0022).

200 Connected portals with due refreshes (half of them with a due health
check too) are seeded the fast way (tests/portal_seed.py); HubSpot answers
every call 503 for 60 s while a worker with 16 threads runs.  The breaker
must open (the worker stops hammering: one probe every few seconds), and once
HubSpot answers again every refresh must be done within 30 s, no status may
change, and a portal that was failing on its own before the outage keeps its
backoff (DESIGN section 8).

Other tests' portals live in the same database and the worker processes all
due work, so every assertion is scoped to this test's own portals."""
import os
import signal
import subprocess
import time

import pytest
import requests

import conftest
from conftest import wait_until
from portal_seed import flow_scopes, seed_portals

ADMIN = "outage-admin@agency.test"
OUTAGE_S = 60
N = 200


@pytest.fixture(autouse=True)
def clean_sim(stack):
    stack.sim("DELETE", "/_sim/faults")
    stack.sim("POST", "/_sim/config", {"latency_ms": 0})
    yield
    stack.sim("DELETE", "/_sim/faults")
    stack.sim("POST", "/_sim/config", {"latency_ms": 0})


def metrics(stack):
    r = requests.get(stack.base + "/metrics", timeout=10)
    assert r.status_code == 200
    return dict(line.rsplit(" ", 1) for line in r.text.splitlines() if line and line[0] != "#")


def breaker(stack):
    return stack.sql("SELECT state, opens, probes_ok, probes_failed FROM hs_breaker")[0]


def hubspot_calls(stack):
    """Every HubSpot-facing request the simulator has served."""
    return sum(stack.sim("GET", "/_sim/stats")["calls_by_endpoint"].values())


def test_outage_then_all_refreshed_within_30_s(stack, output_dir):
    aes, scopes = flow_scopes(stack, ADMIN)
    hubs = [next(conftest._hub_ids) for _ in range(N + 2)]
    # due (the refresh margin is 5 minutes), none expiring during the outage
    _, ids = seed_portals(stack, aes, hubs, scopes, ADMIN,
                          expires_sql="now() + make_interval(secs => 100 + n)",
                          health_sql="CASE WHEN n %% 2 = 0 THEN now() ELSE now() + interval '6 hours' END")
    ids, own = ids[:N], ids[N:]
    health = ids[1::2]
    # two portals failing on their own before the outage: one for two hours
    # (5xx), one with a portal-specific answer (403) since just now
    stack.sql("INSERT INTO jobs (kind, portal_id, run_after, attempts, failing_since, outage, last_error) "
              "VALUES ('refresh', %s, now() + interval '50 minutes', 7, now() - interval '2 hours', true, "
              "'HTTP 503'), ('refresh', %s, now() + interval '50 minutes', 3, now(), false, 'HTTP 403')",
              (own[0], own[1]))
    before = stack.sql("SELECT id, status, status_changed_at FROM portals WHERE id = ANY(%s) ORDER BY id",
                       (ids + own,))
    acts = stack.sql("SELECT count(*) FROM activity WHERE portal_id = ANY(%s)", (ids + own,))[0][0]
    opens0 = breaker(stack)[1]

    stack.sim("POST", "/_sim/faults", {"endpoint": "all", "status": 503, "count": None})
    t_fault = time.monotonic()
    log = os.path.join(stack.state, "outage-worker.log")
    with open(log, "w") as f:
        w = subprocess.Popen([os.path.join(stack.state, "app/bin/jetstack-worker")],
                             stdout=f, stderr=subprocess.STDOUT, cwd=stack.state,
                             env=stack.env({"JETSTACK_WORKER_CONCURRENCY": "16"}))
    try:
        assert wait_until(lambda: breaker(stack)[0] != "closed", timeout=20), breaker(stack)
        t_open = time.monotonic() - t_fault
        assert breaker(stack)[1] == opens0 + 1
        m = metrics(stack)
        assert m['jetstack_hubspot_breaker_state{state="closed"}'] == "0"
        # the worker stopped hammering: from now on, about one probe every 3 s
        time.sleep(2)
        calls0, t0 = hubspot_calls(stack), time.monotonic()
        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - t_fault)))
        open_calls, open_for = hubspot_calls(stack) - calls0, time.monotonic() - t0
        assert open_calls <= open_for / 3 + 3, (open_calls, open_for)
        # no portal of ours was refreshed, none changed status
        assert stack.sql("SELECT count(*) FROM portal_tokens WHERE portal_id = ANY(%s) AND version > 1",
                         (ids,))[0][0] == 0

        stack.sim("DELETE", "/_sim/faults")  # HubSpot answers again
        t_heal = time.monotonic()

        def refreshed():
            return stack.sql("SELECT count(*) FROM portal_tokens WHERE portal_id = ANY(%s) AND version > 1",
                             (ids,))[0][0] == N
        assert wait_until(refreshed, timeout=60, interval=0.2), "not every portal was refreshed"
        t_refreshed = time.monotonic() - t_heal

        def checked():
            return stack.sql("SELECT count(*) FROM portals WHERE id = ANY(%s) AND "
                             "next_health_at > now() + interval '1 hour'", (health,))[0][0] == len(health)
        assert wait_until(checked, timeout=60, interval=0.2), "not every health check was done"
        t_checked = time.monotonic() - t_heal
    finally:
        w.send_signal(signal.SIGTERM)
        try:
            w.wait(timeout=20)
        finally:
            if w.poll() is None:
                w.kill()
                w.wait()
    with open(output_dir + "/outage_recovery.txt", "w") as f:
        f.write("breaker open %.1f s after the outage began; %d HubSpot calls in %.0f s while open; "
                "%d refreshes done %.1f s and %d health checks %.1f s after HubSpot answered again\n"
                % (t_open, open_calls, open_for, N, t_refreshed, len(health), t_checked))
    print(open(output_dir + "/outage_recovery.txt").read())
    assert w.returncode == 0
    assert t_refreshed < 30, t_refreshed

    state, opens, probes_ok, probes_failed = breaker(stack)
    assert state == "closed" and probes_ok >= 1 and probes_failed >= 1
    # an outage never changes a status
    assert stack.sql("SELECT id, status, status_changed_at FROM portals WHERE id = ANY(%s) ORDER BY id",
                     (ids + own,)) == before
    assert stack.sql("SELECT count(*) FROM activity WHERE portal_id = ANY(%s)", (ids + own,))[0][0] == acts
    # the portals failing on their own kept their backoff
    for p, attempts in ((own[0], 7), (own[1], 3)):
        row = stack.sql("SELECT attempts, run_after > now() + interval '40 minutes' FROM jobs "
                        "WHERE kind = 'refresh' AND portal_id = %s", (p,))[0]
        assert row == (attempts, True), (p, row)
    # the refreshes went in the order of the access tokens' expiry (ids were
    # seeded in that order): the first half refreshed is mostly the half
    # expiring first (16 threads at once blur the edge; at random, about half)
    order = [r[0] for r in stack.sql("SELECT id FROM portals WHERE id = ANY(%s) "
                                     "ORDER BY last_refreshed_at, id", (ids,))]
    first = set(ids[:N // 2])
    in_order = sum(1 for p in order[:N // 2] if p in first) / (N // 2)
    assert in_order >= 0.8, in_order

    out = open(log).read()
    opened = [ln for ln in out.splitlines() if '"hubspot_breaker_open"' in ln]
    closed = [ln for ln in out.splitlines() if '"hubspot_breaker_closed"' in ln]
    assert opened and '"level":"warn"' in opened[0] and "HTTP 503" in opened[0], opened
    assert closed and '"level":"info"' in closed[0] and "HTTP 503" in closed[0], closed
    m = metrics(stack)
    assert m['jetstack_hubspot_breaker_state{state="closed"}'] == "1"
    assert int(m["jetstack_hubspot_breaker_opens_total"]) >= opens
    assert int(m['jetstack_hubspot_breaker_probes_total{result="ok"}']) >= 1
    assert int(m['jetstack_hubspot_breaker_probes_total{result="failed"}']) >= 1
