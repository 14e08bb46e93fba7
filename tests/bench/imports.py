"""Import benchmark (not a test; `make bench` runs it): the simulator at
100 ms latency with HubSpot's burst limit enforced (110 calls per 10 s per
portal), two workers of 16 threads.

  1. one portal with 2,000 custom properties across the four object types;
  2. 20 portals (100 custom properties each) imported at once, twice with
     the same two workers: their first work (every connection prepares
     its statements and compiles the triggers' functions as it meets
     them), then again (as a worker that has been running finds them);
     --pairs times (default 3), two new workers for each pair, and the
     median of each kind (a 2-core machine's noise moves one run by 10%).

Reports calls made, 429s met, wall time (first POST to the last run's end)
and the plan's bound: calls / min(11/s x portals, threads / latency).
Target: wall time <= 1.25 x the bound, no 429 after the first window, no
failed item.  Starts and stops its own stack.

--cpu adds, for each scenario, the CPU time (user + system, from
/proc/PID/stat) each part of the stack spent from the first POST to the
last run's end: the simulator, PostgreSQL (the postmaster, its live
children and those it reaped), the two workers, the FastCGI program, nginx
and this script, with the whole machine's busy time beside it (other
programs on the machine count there too)."""
import argparse
import concurrent.futures
import os
import shutil
import statistics
import sys
import tempfile
import time

import psycopg

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from conftest import Stack  # noqa: E402


TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid):
    """(utime + stime, cutime + cstime) of a process in seconds, or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # after the name: state ppid ... utime(12) stime(13) cutime(14) cstime(15)
    return ((int(fields[11]) + int(fields[12])) / TICK, (int(fields[13]) + int(fields[14])) / TICK,
            int(fields[1]))


def _tree(root):
    """CPU seconds of root, its live children and the children it reaped."""
    own = _stat(root)
    if own is None:
        return 0.0
    total = own[0] + own[1]
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = _stat(int(d))
            if st is not None and st[2] == root:
                total += st[0]
    return total


def _machine():
    """Busy CPU seconds of the whole machine (all processes)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v[:8]) - v[3] - v[4]) / TICK


def cpu_sample(stack, worker_pids):
    run = os.path.join(stack.state, "run")

    def pid(name):
        with open(os.path.join(run, name + ".pid")) as f:
            return int(f.read().split()[0])
    t = os.times()
    out = {"simulator": _tree(pid("sim")), "PostgreSQL": _tree(pid("pg")),
           "workers": sum(_tree(p) for p in worker_pids), "FastCGI program": _tree(pid("app")),
           "nginx": _tree(pid("nginx")), "this script": t.user + t.system, "machine": _machine()}
    return out


def cpu_report(label, before, after, wall):
    parts = ["%s %.2f s" % (k, after[k] - before[k]) for k in before if k != "machine"]
    own = sum(after[k] - before[k] for k in before if k != "machine")
    return ("  %s CPU: %s; stack total %.2f s in %.2f s wall; machine busy %.2f s"
            % (label, ", ".join(parts), own, wall, after["machine"] - before["machine"]))


def workers_start(stack, workers, threads, db_connections):
    env = {"JETSTACK_WORKER_CONCURRENCY": str(threads), "JETSTACK_WORKER_POLL_SECONDS": "1",
           "JETSTACK_WORKER_DB_CONNECTIONS": str(db_connections)}
    return [stack.worker_popen(env=env) for _ in range(workers)]


def workers_ready(stack, workers, threads, db_connections, timeout=60):
    """Wait until each worker listens for jobs (its listening connection
    idle on LISTEN) and its threads have claimed from the connections they
    share (db_connections, at most the threads, idle after the claim or the
    circuit breaker's look): the state a running worker is in when work
    comes."""
    pooled = min(db_connections, threads)
    t0 = time.time()
    while time.time() - t0 < timeout:
        (listening, idle) = stack.sql(
            "SELECT count(*) FILTER (WHERE query = 'LISTEN jetstack_jobs'), "
            "count(*) FILTER (WHERE query LIKE 'UPDATE jobs SET %' "
            "OR query LIKE 'SELECT state, coalesce(probe_until%') "
            "FROM pg_stat_activity WHERE state = 'idle'")[0]
        if listening >= workers and idle >= workers * pooled:
            return
        time.sleep(0.2)
    raise SystemExit("the workers were not all waiting after %d s" % timeout)


def workers_stop(procs):
    for p in procs:
        p.terminate()
    for p in procs:
        p.wait(timeout=30)


def scenario(stack, label, portals, per_object, latency_ms, workers, threads, db_connections,
             cpu=False, procs=None):
    """procs: workers already running (kept running), else `workers` are
    started for this scenario (and waited for) and stopped after it.
    Returns the measures (row() prints them)."""
    c = stack.client()
    pids = []
    for _ in range(portals):
        hub, pid, _ = stack.connect_portal(c, "config_only")
        stack.sim("POST", "/_sim/portals/%d/properties/generate" % hub,
                  {"per_object": per_object, "seed": "bench-%d" % hub})
        pids.append(pid)
    n429_before = stack.sql("SELECT coalesce(sum(value), 0) FROM worker_counters "
                            "WHERE name = 'hubspot_429'")[0][0]
    stack.sim("POST", "/_sim/config", {"latency_ms": latency_ms})
    own = procs is None
    if own:
        procs = workers_start(stack, workers, threads, db_connections)
        workers_ready(stack, workers, threads, db_connections)
    try:
        # the imports are asked for at once (as 20 people would), so the
        # wall time measures the product, not this script's requests
        csrf = c.csrf()
        poll = psycopg.connect(stack.conninfo, autocommit=True)  # one connection for polling
        cpu0 = cpu_sample(stack, [p.pid for p in procs]) if cpu else None
        t0 = time.time()

        def start(pid):
            r = c.post("/portals/%d/imports" % pid, {"csrf": csrf})
            assert r.status_code == 303, r.status_code
            return int(r.headers["Location"].rsplit("/", 1)[1])
        with concurrent.futures.ThreadPoolExecutor(len(pids)) as ex:
            runs = list(ex.map(start, pids))
        while True:
            rows = poll.execute("SELECT state FROM runs WHERE id = ANY(%s)", (runs,)).fetchall()
            if all(s not in ("queued", "running") for (s,) in rows):
                break
            if time.time() - t0 > 900:
                raise SystemExit("imports did not finish in 15 minutes")
            time.sleep(0.2)
        cpu1 = cpu_sample(stack, [p.pid for p in procs]) if cpu else None
        poll.close()
        (wall,) = stack.sql("SELECT extract(epoch FROM max(finished_at) - min(created_at)) "
                            "FROM runs WHERE id = ANY(%s)", (runs,))[0]
    finally:
        if own:
            workers_stop(procs)
        stack.sim("POST", "/_sim/config", {"latency_ms": 0})
    waits = stack.sql("SELECT extract(epoch FROM avg(started_at - created_at)), "
                      "extract(epoch FROM avg(finished_at - started_at)) FROM runs WHERE id = ANY(%s)",
                      (runs,))[0]
    print("  %s: queued-to-started %.2f s, started-to-finished %.2f s on average"
          % (label, float(waits[0]), float(waits[1])), file=sys.stderr)
    if cpu:
        print(cpu_report(label, cpu0, cpu1, float(wall)), file=sys.stderr)
    calls, items, failed, states = stack.sql(
        "SELECT sum(hs_calls), sum(items_seen), sum(items_failed), array_agg(DISTINCT state) "
        "FROM runs WHERE id = ANY(%s)", (runs,))[0]
    n429 = stack.sql("SELECT coalesce(sum(value), 0) FROM worker_counters "
                     "WHERE name = 'hubspot_429'")[0][0] - n429_before
    bound = calls / min(11.0 * portals, workers * threads / (latency_ms / 1000.0))
    wall = float(wall)
    return {"label": label, "portals": portals, "items": items, "calls": calls, "n429": n429,
            "failed": failed, "ok_states": states == ["succeeded"], "wall": wall, "bound": bound}


def row(m):
    ok = (m["wall"] <= 1.25 * m["bound"] and m["n429"] == 0 and m["failed"] == 0
          and m["ok_states"])
    return ("| %s | %d | %d | %d | %d | %.2f s | %.2f s | %.2f | %s |"
            % (m["label"], m["portals"], m["items"], m["calls"], m["n429"], m["wall"], m["bound"],
               m["wall"] / m["bound"], "met" if ok else "NOT met"))


def median_row(label, ms):
    """The pairs' median wall time (the other columns: every pair's worst)."""
    out = dict(ms[0], label=label, wall=statistics.median(m["wall"] for m in ms),
               n429=max(m["n429"] for m in ms), failed=max(m["failed"] for m in ms),
               ok_states=all(m["ok_states"] for m in ms))
    return row(out)


def library(stack, n=20000):
    """The asset library with n assets in one organisation: median time of
    20 requests for each kind of page, through nginx."""
    c = stack.client()
    org = stack.org_id(c.org)
    stack.sql("INSERT INTO assets (org_id, source_hub_id, object_type, kind, name, label, definition) "
              "SELECT %s, 70000000 + i %% 20, (ARRAY['contacts','companies','deals','tickets'])[1 + i %% 4], "
              "'property', 'prop_' || i, 'Field ' || lpad(i::text, 6, '0'), '{}' "
              "FROM generate_series(1, %s) i", (org, n))
    stack.sql("ANALYZE assets")
    last = stack.sql("SELECT id FROM assets WHERE org_id = %s ORDER BY sort_name, id OFFSET 10000 LIMIT 1",
                     (org,))[0][0]
    pages = [("first page", "/assets"), ("a page 10,000 in", "/assets?after=%d" % last),
             ("search (substring)", "/assets?q=field+0123"), ("object type filter", "/assets?object_type=deals"),
             ("source portal filter", "/assets?source=70000007")]
    out = ["| %d assets: page | median ms (20 requests) |" % n, "|---|---:|"]
    for label, path in pages:
        times = []
        for _ in range(20):
            t = time.time()
            r = c.get(path)
            times.append((time.time() - t) * 1000)
            assert r.status_code == 200, (path, r.status_code)
        times.sort()
        out.append("| %s | %.1f |" % (label, times[10]))
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--latency-ms", type=int, default=100)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--threads", type=int, default=16, help="threads per worker (default 16)")
    ap.add_argument("--db-connections", type=int, default=2,
                    help="JETSTACK_WORKER_DB_CONNECTIONS of each worker (default 2, the product's)")
    ap.add_argument("--cpu", action="store_true",
                    help="print each part's CPU time per scenario (on stderr)")
    ap.add_argument("--only", choices=("one", "twenty"),
                    help="run one scenario only, without the library")
    ap.add_argument("--pairs", type=int, default=3,
                    help="20-portal pairs (first work, again), each with two new workers "
                         "(default 3); their medians decide the target")
    args = ap.parse_args()
    state = tempfile.mkdtemp(prefix="jst.", dir="/tmp")
    os.chmod(state, 0o755)
    stack = Stack(state)
    try:
        stack.start()
        print("| scenario | portals | assets read | HubSpot calls | 429s | wall time | bound | "
              "wall / bound | target |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
        if args.only in (None, "one"):
            print(row(scenario(stack, "one portal, 2,000 custom properties", 1, 500,
                               args.latency_ms, 2, 16, args.db_connections, args.cpu)), flush=True)
        if args.only in (None, "twenty"):
            # each pair: two workers started for both runs; the first is
            # their first work (each connection prepares its statements,
            # compiles the triggers' functions), the second finds them as a
            # worker that has been running finds them
            firsts, agains = [], []
            for k in range(args.pairs):
                procs = workers_start(stack, 2, args.threads, args.db_connections)
                try:
                    workers_ready(stack, 2, args.threads, args.db_connections)
                    firsts.append(scenario(
                        stack, "20 portals at once, the workers' first work (pair %d)" % (k + 1),
                        20, 25, args.latency_ms, 2, args.threads, args.db_connections, args.cpu,
                        procs=procs))
                    print(row(firsts[-1]), flush=True)
                    agains.append(scenario(
                        stack, "20 portals at once, again (pair %d)" % (k + 1), 20, 25,
                        args.latency_ms, 2, args.threads, args.db_connections, args.cpu,
                        procs=procs))
                    print(row(agains[-1]), flush=True)
                finally:
                    workers_stop(procs)
            if args.pairs > 1:
                print(median_row("20 portals at once, the workers' first work: median of %d"
                                 % args.pairs, firsts), flush=True)
                print(median_row("20 portals at once, again: median of %d" % args.pairs, agains),
                      flush=True)
        if args.only is None:
            print()
            print(library(stack), flush=True)
    finally:
        stack.stop()
        if not args.keep:
            shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
