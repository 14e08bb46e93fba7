#!/usr/bin/python3
"""Worker refresh throughput: 10,000 Connected portals whose access tokens are
all due, the simulator answering every HubSpot call after 100 ms; one
`jetstack-worker --once` and then two at once (JETSTACK_WORKER_CONCURRENCY=16
each) refresh them all.  Prints refreshes per second against the ceiling
concurrency / latency (160/s per worker).

Its own stack (PostgreSQL, simulator, FastCGI, nginx) is started with the
tests' Stack class (tests/conftest.py) and stopped at the end.

Seeding: a connection through the real OAuth flow costs several HTTP round
trips; the rate is measured on a sample and extrapolated.  The 10,000 portals
are then seeded the fast way (tests/portal_seed.py), its token format checked
first on the tokens the product itself stored for flow-connected portals; the
bench then checks every seeded portal was refreshed by the product (which has
to decrypt them)."""
import argparse
import concurrent.futures
import os
import shutil
import subprocess
import sys
import tempfile
import time
from urllib.parse import parse_qs, urlsplit

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from conftest import Stack  # noqa: E402

from portal_seed import aes_of, check_format, seed_portals  # noqa: E402

ADMIN = "bench-admin@agency.test"


def log(*a):
    print(*a, flush=True)


def flow_sample(stack, n, threads=8):
    """Connect n portals through the real flow; returns portals per second."""
    org = stack.new_org("bench-flow")
    clients = [stack.client(org) for _ in range(threads)]
    hubs = [stack.new_hub(admin=ADMIN) for _ in range(n)]

    def work(i):
        for hub in hubs[i::threads]:
            r = clients[i].connect(hub, "config_audit", as_user=ADMIN)
            assert r.status_code == 303, r.text[:300]

    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(threads) as ex:
        list(ex.map(work, range(threads)))
    rate = n / (time.monotonic() - t0)
    ids = stack.sql("SELECT id FROM portals WHERE org_id = %s", (stack.org_id(org),))
    return rate, [r[0] for r in ids], clients[0]


def seed(stack, n, aes, scopes):
    hubs = [40000000 + i for i in range(n)]
    t0 = time.monotonic()
    _, ids = seed_portals(stack, aes, hubs, scopes, ADMIN)
    return ids, time.monotonic() - t0


def run_workers(stack, count, concurrency, tag, db_connections=None):
    """db_connections: JETSTACK_WORKER_DB_CONNECTIONS, None for the product's default."""
    extra = {"JETSTACK_WORKER_CONCURRENCY": str(concurrency)}
    if db_connections is not None:
        extra["JETSTACK_WORKER_DB_CONNECTIONS"] = str(db_connections)
    env = stack.env(extra)
    procs, logs = [], []
    t0 = time.monotonic()
    for i in range(count):
        f = open(os.path.join(stack.state, "bench-%s-%d.log" % (tag, i)), "w")
        logs.append(f)
        procs.append(subprocess.Popen([os.path.join(stack.state, "app/bin/jetstack-worker"), "--once"],
                                      stdout=f, stderr=subprocess.STDOUT, env=env, cwd=stack.state))
    for p in procs:
        p.wait(timeout=600)
    elapsed = time.monotonic() - t0
    for f in logs:
        f.close()
    assert all(p.returncode == 0 for p in procs), [p.returncode for p in procs]
    return elapsed


def check_all_refreshed(stack, ids, want_version):
    rows = stack.sql("SELECT count(*) FILTER (WHERE p.status = 'connected' AND t.version = %s), "
                     "count(*) FROM portals p JOIN portal_tokens t ON t.portal_id = p.id "
                     "WHERE p.id = ANY(%s)", (want_version, ids))
    running = stack.sql("SELECT count(*) FROM jobs WHERE state = 'running'")[0][0]
    return rows[0][0], rows[0][1], running


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--portals", type=int, default=10000)
    ap.add_argument("--latency-ms", type=float, default=100)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--flow-sample", type=int, default=200)
    ap.add_argument("--db-connections", type=int,
                    help="JETSTACK_WORKER_DB_CONNECTIONS of each worker (default: the product's, 2)")
    ap.add_argument("--without-org-version", action="store_true",
                    help="what-if: disable the page cache's change-counter triggers on portals "
                         "(sql/0023) to measure what every refresh's bump costs")
    args = ap.parse_args()

    state = tempfile.mkdtemp(prefix="jst-bench.", dir="/tmp")
    os.chmod(state, 0o755)
    stack = Stack(state)
    try:
        t0 = time.monotonic()
        stack.start()
        log("stack up in %.1f s (%s)" % (time.monotonic() - t0, state))
        aes = aes_of(stack)

        rate, flow_ids, c = flow_sample(stack, args.flow_sample)
        log("real connect flow: %.0f portals/s with 8 clients -> %d portals would take %.0f s"
            % (rate, args.portals, args.portals / rate))
        check_format(stack, aes, flow_ids[:5])  # the product's token format
        stack.sql("UPDATE portals SET status = 'disconnected' WHERE id = ANY(%s)", (flow_ids,))
        stack.sql("DELETE FROM portal_tokens WHERE portal_id = ANY(%s)", (flow_ids,))
        scopes = parse_qs(urlsplit(c.start_connect("config_audit")).query)["scope"][0].split()

        ids, t_seed = seed(stack, args.portals, aes, scopes)
        log("seeded %d Connected portals with due tokens in %.1f s" % (len(ids), t_seed))

        if args.without_org_version:
            for t in ("portals_org_version", "portals_org_version_u"):
                stack.sql("ALTER TABLE portals DISABLE TRIGGER %s" % t)
            log("what-if: the change counter's triggers on portals are disabled")
        stack.sim("POST", "/_sim/config", {"latency_ms": args.latency_ms})
        limit = args.concurrency / (max(args.latency_ms, 0.001) / 1000.0)
        results = []
        for n, version in ((1, 2), (2, 3)):
            if n == 2:
                stack.sql("UPDATE portal_tokens SET access_expires_at = now() WHERE portal_id = ANY(%s)",
                          (ids,))
                stack.sql("DELETE FROM jobs WHERE kind = 'refresh' AND portal_id = ANY(%s)", (ids,))
            stack.sim("DELETE", "/_sim/stats")
            elapsed = run_workers(stack, n, args.concurrency, "w%d" % n, args.db_connections)
            ok, total, running = check_all_refreshed(stack, ids, version)
            st = stack.sim("GET", "/_sim/stats")
            sim_ok = st["token_successes"]["by_grant_type"].get("refresh_token", 0)
            sim_calls = st["token_calls"]["by_grant_type"].get("refresh_token", 0)
            r = ok / elapsed
            results.append((n, elapsed, r))
            log("%d worker%s x %d threads: %d/%d portals refreshed in %.1f s = %.0f refreshes/s "
                "(limit %.0f/s = %.0f%%); HubSpot refresh calls %d, successes %d; jobs running %d"
                % (n, "" if n == 1 else "s", args.concurrency, ok, total, elapsed, r, n * limit,
                   100.0 * r / (n * limit), sim_calls, sim_ok, running))
            if ok != total or sim_ok != total or sim_calls != total or running:
                log("FAILED: not every portal was refreshed exactly once")
                return 1
        log("speed-up with two workers: %.2fx" % (results[1][2] / results[0][2]))
        return 0
    finally:
        stack.stop()
        if os.environ.get("JETSTACK_KEEP_TEST_STATE") != "1":
            shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
