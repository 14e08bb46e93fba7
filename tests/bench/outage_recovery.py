#!/usr/bin/python3
"""Recovery after a long HubSpot outage (issue 18 item 2): 1,000 Connected
portals whose refreshes are all due (access tokens expiring over the next 5
minutes, the refresh margin), the simulator answering every call after 100 ms
-- and every call 503 for 10 minutes.  One worker (16 threads) runs
throughout.  The circuit breaker must open (the worker stops hammering: one
probe every JETSTACK_BREAKER_PROBE_SECONDS), and 30 s after HubSpot answers
again no portal may be past its access token's expiry.

Prints when the breaker opened, the HubSpot calls made while it was open, and
after HubSpot answered again: when the breaker closed, when the last expired
token was refreshed, and how many portals were past expiry 30 s later.  Exit
status 0 when none was.

Its own stack (PostgreSQL, simulator, FastCGI, nginx) is started with the
tests' Stack class (tests/conftest.py) and stopped at the end; the portals
are seeded the fast way (tests/portal_seed.py)."""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from conftest import Stack  # noqa: E402
from portal_seed import flow_scopes, seed_portals  # noqa: E402

ADMIN = "bench-admin@agency.test"


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def calls(stack):
    return sum(stack.sim("GET", "/_sim/stats")["calls_by_endpoint"].values())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--portals", type=int, default=1000)
    ap.add_argument("--outage-seconds", type=float, default=600)
    ap.add_argument("--latency-ms", type=float, default=100)
    ap.add_argument("--concurrency", type=int, default=16)
    args = ap.parse_args()

    state = tempfile.mkdtemp(prefix="jst-bench.", dir="/tmp")
    os.chmod(state, 0o755)
    stack = Stack(state)
    w = None
    try:
        stack.start()
        aes, scopes = flow_scopes(stack, ADMIN)
        hubs = [40000000 + i for i in range(args.portals)]
        # all due: expiring within the refresh margin, one every 0.3 s
        _, ids = seed_portals(stack, aes, hubs, scopes, ADMIN,
                              expires_sql="now() + make_interval(secs => n * 300.0 / %d)" % args.portals)
        log("seeded %d Connected portals, all due, expiring over the next 5 minutes" % len(ids))
        stack.sim("POST", "/_sim/config", {"latency_ms": args.latency_ms})
        stack.sim("POST", "/_sim/faults", {"endpoint": "all", "status": 503, "count": None})
        t_fault = time.monotonic()
        wlog = open(os.path.join(state, "bench-worker.log"), "w")
        w = subprocess.Popen([os.path.join(state, "app/bin/jetstack-worker")], stdout=wlog,
                             stderr=subprocess.STDOUT, cwd=state,
                             env=stack.env({"JETSTACK_WORKER_CONCURRENCY": str(args.concurrency)}))
        while stack.sql("SELECT state FROM hs_breaker")[0][0] == "closed":
            if time.monotonic() - t_fault > 120:
                log("FAILED: the breaker never opened")
                return 1
            time.sleep(0.2)
        t_open = time.monotonic() - t_fault
        c0 = calls(stack)
        log("HubSpot down; breaker open after %.1f s (%d HubSpot calls so far)" % (t_open, c0))
        while time.monotonic() - t_fault < args.outage_seconds:
            time.sleep(1)
        open_calls = calls(stack) - c0
        expired = stack.sql("SELECT count(*) FROM portal_tokens WHERE portal_id = ANY(%s) AND "
                            "access_expires_at <= now()", (ids,))[0][0]
        log("%.0f s outage: %d HubSpot calls while open; %d of %d access tokens expired"
            % (args.outage_seconds, open_calls, expired, len(ids)))

        stack.sim("DELETE", "/_sim/faults")
        t_heal = time.monotonic()
        t_closed = t_clear = None
        past_at_30 = None
        while time.monotonic() - t_heal < 120:
            now = time.monotonic() - t_heal
            if t_closed is None and stack.sql("SELECT state FROM hs_breaker")[0][0] == "closed":
                t_closed = now
            past = stack.sql("SELECT count(*) FROM portal_tokens WHERE portal_id = ANY(%s) AND "
                             "access_expires_at <= now()", (ids,))[0][0]
            if t_clear is None and past == 0:
                t_clear = now
            if past_at_30 is None and now >= 30:
                past_at_30 = past
            if t_clear is not None and past_at_30 is not None:
                break
            time.sleep(0.25)
        refreshed = stack.sql("SELECT count(*) FROM portal_tokens WHERE portal_id = ANY(%s) AND version > 1",
                              (ids,))[0][0]
        statuses = stack.sql("SELECT status, count(*) FROM portals WHERE id = ANY(%s) GROUP BY 1", (ids,))
        log("HubSpot answering again: breaker closed after %s s; no token past expiry after %s s; "
            "past expiry 30 s after: %s; refreshed %d of %d; statuses %s"
            % ("%.1f" % t_closed if t_closed is not None else "-",
               "%.1f" % t_clear if t_clear is not None else "-", past_at_30, refreshed, len(ids),
               dict(statuses)))
        ok = past_at_30 == 0 and dict(statuses) == {"connected": len(ids)}
        log("PASSED" if ok else "FAILED")
        return 0 if ok else 1
    finally:
        if w is not None and w.poll() is None:
            w.send_signal(signal.SIGTERM)
            try:
                w.wait(timeout=30)
            except subprocess.TimeoutExpired:
                w.kill()
                w.wait()
        stack.stop()
        if os.environ.get("JETSTACK_KEEP_TEST_STATE") != "1":
            shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
