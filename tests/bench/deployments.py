"""Deployment benchmark (not a test; `make bench` runs it): the simulator at
100 ms latency with HubSpot's burst limit enforced (110 calls per 10 s per
portal), two workers of 16 threads.

  A source portal's 500 custom properties (125 per object type, with their
  groups) are imported through the product (not timed); 10 target portals
  are connected through the real flow; then everything in the library is
  deployed to all 10 in one request (POST /deploy), which is timed.

Reports calls made (the runs' hs_calls, cross-checked with the simulator's
CRM calls), 429s met (the worker's counter and the simulator's), wall time
(the request's runs' created_at to the last run's finished_at), the bound
calls / min(11/s x portals, threads / latency), and the failed items.
Target: wall time <= 1.25 x the bound, zero failed items.  Afterwards every
target must hold the source's custom groups and properties.  Where the time
goes (the simulator's call log against the runs) is printed to stderr.
Starts and stops its own stack."""
import argparse
import datetime
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from conftest import Stack  # noqa: E402

OBJECT_TYPES = ("contacts", "companies", "deals", "tickets")
CRM = ("properties", "groups")


def say(*a):
    print(*a, file=sys.stderr, flush=True)


def ts(iso):
    """The simulator log's "time" (ISO 8601, ms, UTC) as epoch seconds."""
    return datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def n429(stack):
    return stack.sql("SELECT coalesce(sum(value), 0) FROM worker_counters "
                     "WHERE name = 'hubspot_429'")[0][0]


def crm_calls(stats):
    return sum(stats["calls_by_endpoint"].get(e, 0) for e in CRM)


def custom_schema(stack, hub):
    """{object type: (custom groups, custom properties)} the simulator holds."""
    objs = stack.sim("GET", "/_sim/portals/%d/properties" % hub)["objects"]
    return {ot: (len(o["groups"]), len(o["properties"])) for ot, o in objs.items()}


def library(stack, c, properties):
    """The source portal, its properties generated and imported (latency 0).
    Returns (hub, {object type: (groups, properties)})."""
    hub, pid, _ = stack.connect_portal(c, "config_only")
    for i, ot in enumerate(OBJECT_TYPES):
        n = properties // 4 + (1 if i < properties % 4 else 0)
        stack.sim("POST", "/_sim/portals/%d/properties/generate" % hub,
                  {"per_object": n, "seed": "bench-deploy", "object_types": [ot]})
    r = c.post("/portals/%d/imports" % pid, {"csrf": c.csrf("/portals/%d" % pid)})
    assert r.status_code == 303, (r.status_code, r.text[-1000:])
    run = int(r.headers["Location"].rsplit("/", 1)[1])
    stack.worker_once(env={"JETSTACK_WORKER_CONCURRENCY": "4"}, timeout=300)
    state = stack.sql("SELECT state FROM runs WHERE id = %s", (run,))[0][0]
    assert state == "succeeded", ("import", state)
    schema = custom_schema(stack, hub)
    org = stack.org_id(c.org)
    kinds = dict(stack.sql("SELECT kind, count(*) FROM assets WHERE org_id = %s AND gone_at IS NULL "
                           "GROUP BY kind", (org,)))
    want_p = sum(p for _, p in schema.values())
    want_g = sum(g for g, _ in schema.values())
    assert kinds.get("property") == want_p and kinds.get("group") == want_g, (kinds, schema)
    return hub, schema


def analyse(stack, runs, entries, threads_total, latency_ms, post_s):
    """Where the time goes: the simulator's call log against the runs."""
    created, started_max, finished, started_avg = stack.sql(
        "SELECT extract(epoch FROM min(created_at)), extract(epoch FROM max(started_at)), "
        "extract(epoch FROM max(finished_at)), extract(epoch FROM avg(started_at - created_at)) "
        "FROM runs WHERE id = ANY(%s)", (runs,))[0]
    created, started_max, finished = float(created), float(started_max), float(finished)
    if not entries:
        say("  no CRM call in the simulator's log")
        return
    calls = sorted(((ts(e["time"]), e["duration_ms"] / 1000.0, e) for e in entries), key=lambda x: x[0])
    first, last_end = calls[0][0], max(t + d for t, d, _ in calls)
    say("  POST /deploy answered in %.2f s (10 runs, their items and jobs in one transaction)" % post_s)
    say("  runs created -> first CRM call %.2f s; runs' started_at - created_at avg %.2f s, last %.2f s"
        % (first - created, float(started_avg), started_max - created))
    say("  first -> last CRM call's end %.2f s; last call's end -> last run finished %.2f s"
        % (last_end - first, finished - last_end))
    kinds = {}
    for _, d, e in calls:
        p = e["path"]
        k = ("%s %s" % (e["method"], "batch/create" if p.endswith("/batch/create") else
                        "groups" if e["endpoint"] == "groups" else "properties"))
        kinds.setdefault(k, []).append(d)
    say("  calls: " + "; ".join("%s %d (avg %.0f ms)" % (k, len(v), 1000 * sum(v) / len(v))
                                for k, v in sorted(kinds.items())))
    per_ot = {}
    for _, _, e in calls:
        ot = e["path"].split("/")[4] if e["path"].count("/") >= 4 else "?"
        per_ot[ot] = per_ot.get(ot, 0) + 1
    say("  calls per object type (all targets): %s" % ", ".join("%s %d" % kv for kv in sorted(per_ot.items())))
    batches = [e["body_bytes"] for _, _, e in calls if e["path"].endswith("/batch/create")]
    if batches:
        say("  batch/create bodies: %d, %d..%d bytes" % (len(batches), min(batches), max(batches)))
    statuses = {}
    for _, _, e in calls:
        statuses[e["status"]] = statuses.get(e["status"], 0) + 1
    say("  answers: %s" % ", ".join("%s x%d" % kv for kv in sorted(statuses.items())))
    # calls in flight: how much of the 32 threads' time is spent waiting on HubSpot
    busy = sum(d for _, d, _ in calls)
    span = finished - created
    say("  HubSpot time %.1f thread-s over %.2f s wall = %.1f calls in flight on average "
        "(%d threads; %.0f ms latency)" % (busy, span, busy / span, threads_total, latency_ms))
    ev = sorted([(t, 1) for t, _, _ in calls] + [(t + d, -1) for t, d, _ in calls])
    cur = peak = 0
    for _, k in ev:
        cur += k
        peak = max(peak, cur)
    say("  peak calls in flight %d" % peak)
    # calls started per half second from the runs' creation
    buckets = {}
    for t, _, _ in calls:
        b = int((t - created) / 0.5)
        buckets[b] = buckets.get(b, 0) + 1
    say("  calls started per 0.5 s from the POST: " +
        " ".join("%d" % buckets.get(b, 0) for b in range(max(buckets) + 1)))
    # per job (run, step): when its items were recorded, against the run's creation
    rows = stack.sql("SELECT run_id, step, count(*), extract(epoch FROM min(done_at)), "
                     "extract(epoch FROM max(done_at)) FROM deployment_items WHERE run_id = ANY(%s) "
                     "GROUP BY run_id, step ORDER BY 5", (runs,))
    ends = sorted(float(r[4]) - created for r in rows)
    if ends:
        say("  jobs' last item recorded (s after the POST): first %.2f, median %.2f, last %.2f "
            "(%d jobs)" % (ends[0], ends[len(ends) // 2], ends[-1], len(ends)))
    # each write's result is recorded in its own transaction (done_at = its
    # start): the gap between two records of a job is one write's cost
    # (checks, mark sent, pacing, the call, the record)
    recs = stack.sql("SELECT run_id, step, min(kind), count(*), extract(epoch FROM done_at) "
                     "FROM deployment_items WHERE run_id = ANY(%s) GROUP BY run_id, step, done_at "
                     "ORDER BY run_id, step, done_at", (runs,))
    gaps = {"group": [], "property": []}
    prev = None
    for run, step, kind, _, t in recs:
        if prev is not None and prev[:2] == (run, step):
            gaps[kind].append(float(t) - prev[2])
        prev = (run, step, float(t))

    def med(v):
        return sorted(v)[len(v) // 2] * 1000 if v else 0
    say("  per write, record to record: group create median %.0f ms (%d), batch create median %.0f ms "
        "(%d)" % (med(gaps["group"]), len(gaps["group"]), med(gaps["property"]), len(gaps["property"])))


def scenario(stack, args):
    c = stack.client()
    org = stack.org_id(c.org)
    src_hub, src = library(stack, c, args.properties)
    targets = []
    for _ in range(args.targets):
        hub, pid, _ = stack.connect_portal(c, "config_only")
        targets.append((hub, pid))
    items = stack.sql("SELECT count(*) FROM assets WHERE org_id = %s AND gone_at IS NULL", (org,))[0][0]

    c429, s0 = n429(stack), stack.sim("GET", "/_sim/stats")
    mark = stack.sim("GET", "/_sim/log?limit=0")["last_seq"]
    stack.sim("POST", "/_sim/config", {"latency_ms": args.latency_ms})
    env = {"JETSTACK_WORKER_CONCURRENCY": str(args.threads), "JETSTACK_WORKER_POLL_SECONDS": "1"}
    procs = [stack.worker_popen(env=env) for _ in range(args.workers)]
    try:
        # the workers are up and idle (as in production) before the request
        time.sleep(2)
        form = {"csrf": c.csrf("/assets"), "all": "yes", "portal[]": [str(p) for _, p in targets]}
        t0 = time.time()
        r = c.post("/deploy", form)
        post_s = time.time() - t0
        assert r.status_code == 303, (r.status_code, r.text[-1500:])
        assert args.targets == 1 or r.headers["Location"] == "/deployments", r.headers["Location"]
        runs = [i for (i,) in stack.sql("SELECT id FROM runs WHERE kind = 'deploy' AND org_id = %s",
                                        (org,))]
        assert len(runs) == args.targets, runs
        while True:
            rows = stack.sql("SELECT state FROM runs WHERE id = ANY(%s)", (runs,))
            if all(s not in ("queued", "running") for (s,) in rows):
                break
            if time.time() - t0 > 900:
                raise SystemExit("deployments did not finish in 15 minutes")
            time.sleep(0.1)
        (wall,) = stack.sql("SELECT extract(epoch FROM max(finished_at) - min(created_at)) "
                            "FROM runs WHERE id = ANY(%s)", (runs,))[0]
    finally:
        for p in procs:
            p.terminate()
        logs = []
        for p in procs:
            try:
                logs.append(p.communicate(timeout=30)[1])
            except Exception:  # noqa: BLE001 - a stuck worker is killed, by its own pid
                p.kill()
                logs.append(p.communicate()[1])
        stack.sim("POST", "/_sim/config", {"latency_ms": 0})
    s1 = stack.sim("GET", "/_sim/stats")
    entries = [e for e in stack.sim("GET", "/_sim/log?since=%d" % mark)["entries"] if e["endpoint"] in CRM]

    calls, states = stack.sql("SELECT sum(hs_calls), array_agg(DISTINCT state) FROM runs "
                              "WHERE id = ANY(%s)", (runs,))[0]
    sim_calls = crm_calls(s1) - crm_calls(s0)
    w429 = n429(stack) - c429
    s429 = s1["rate_limited"]["total"] - s0["rate_limited"]["total"]
    failed = stack.sql("SELECT count(*) FROM deployment_items WHERE run_id = ANY(%s) "
                       "AND result <> 'created'", (runs,))[0][0]
    n_items = stack.sql("SELECT count(*) FROM deployment_items WHERE run_id = ANY(%s)", (runs,))[0][0]
    threads_total = args.workers * args.threads
    bound = calls / min(11.0 * args.targets, threads_total / (args.latency_ms / 1000.0))
    wall = float(wall)

    # every target holds what the source holds
    wrong = [hub for hub, _ in targets if custom_schema(stack, hub) != src]
    retries = sum(log.count('"job_retry"') for log in logs)
    ok = (wall <= 1.25 * bound and failed == 0 and states == ["succeeded"] and not wrong
          and n_items == items * args.targets)
    print("| scenario | targets | items | HubSpot calls (runs / simulator) | 429s (worker / simulator) "
          "| wall time | bound | wall / bound | failed items | target |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    print("| %d properties (+%d groups) to %d portals, one request | %d | %d | %d / %d | %d / %d "
          "| %.2f s | %.2f s | %.2f | %d | %s |"
          % (sum(p for _, p in src.values()), sum(g for g, _ in src.values()), args.targets,
             args.targets, n_items, calls, sim_calls, w429, s429, wall, bound, wall / bound, failed,
             "met" if ok else "NOT met"), flush=True)
    say("  runs: %s; items %d (want %d); targets whose schema differs from the source's: %s; "
        "job retries logged: %d" % (",".join(states), n_items, items * args.targets,
                                    wrong or "none", retries))
    if calls != sim_calls:
        say("  the runs' hs_calls (%d) and the simulator's CRM calls (%d) differ by %d"
            % (calls, sim_calls, sim_calls - calls))
    say("  bound: %d calls / min(11/s x %d portals, %d threads / %.3f s) = %.2f s"
        % (calls, args.targets, threads_total, args.latency_ms / 1000.0, bound))
    analyse(stack, runs, entries, threads_total, args.latency_ms, post_s)
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--latency-ms", type=int, default=100)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=16, help="threads per worker (default 16)")
    ap.add_argument("--targets", type=int, default=10)
    ap.add_argument("--properties", type=int, default=500, help="custom properties in the source")
    ap.add_argument("--keep", action="store_true", help="keep the stack's state directory")
    args = ap.parse_args()
    state = tempfile.mkdtemp(prefix="jst.", dir="/tmp")
    os.chmod(state, 0o755)
    stack = Stack(state)
    try:
        stack.start()
        scenario(stack, args)
    finally:
        stack.stop()
        if args.keep:
            say("state kept in %s" % state)
        else:
            shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
