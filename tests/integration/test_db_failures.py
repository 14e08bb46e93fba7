"""PostgreSQL failing under the FastCGI program: a page statement that fails
is that page's 500, a restart is a 503 while down, and afterwards every
thread's connection serves pages again; a running worker goes on after a
restart."""
import os
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import requests

from conftest import wait_until
from jsclient import Client
from helpers_foundation import assert_security_headers


def app_threads(stack):
    """How many threads the FastCGI program runs, as the kernel counts them
    (/proc/PID/task): one page thread per processor and the JETSTACK_THREADS
    other threads, the main thread being a page thread; an idle program has
    no others."""
    with open(os.path.join(stack.state, "run", "app.pid")) as f:
        return len(os.listdir("/proc/%d/task" % int(f.read())))


def blocked_behind(watch, holder):
    """The app's database connections (user jetstack) waiting for a lock
    that backend holder holds, by backend pid."""
    return sorted(pid for (pid,) in watch.execute(
        "SELECT pid FROM pg_stat_activity WHERE usename = 'jetstack' "
        "AND %s = ANY(pg_blocking_pids(pid))", (holder,)).fetchall())


def app_connections(watch):
    """Backend pids of every connection of user jetstack (the program's
    threads and the worker's)."""
    return {pid for (pid,) in watch.execute(
        "SELECT pid FROM pg_stat_activity WHERE usename = 'jetstack'").fetchall()}


def hold_requests(su, clients, revoke=False):
    """One GET /portals per client, all sent at once while portals is locked
    (ACCESS EXCLUSIVE; with revoke, SELECT on it is revoked from the app in
    the same transaction).  Each FastCGI thread has its own database
    connection, so the requests that reach PostgreSQL wait behind the lock,
    one per thread inside a request (a page thread serving several together
    takes them in turn).  Waits until as many wait as will (none more for a
    second), then commits, releasing the lock with the revoke in force.
    Returns (the responses, the pids of the waiting connections)."""
    with psycopg.connect(su, autocommit=True) as watch, \
            psycopg.connect(su, autocommit=True) as lock, \
            ThreadPoolExecutor(len(clients)) as pool:
        with lock.transaction():
            if revoke:
                lock.execute("REVOKE SELECT ON portals FROM jetstack")
            lock.execute("LOCK TABLE portals IN ACCESS EXCLUSIVE MODE")
            holder = lock.info.backend_pid
            futures = [pool.submit(x.get, "/portals") for x in clients]
            assert wait_until(lambda: len(blocked_behind(watch, holder)) >= 2, timeout=15), \
                ("fewer than 2 requests inside the program at once", blocked_behind(watch, holder))
            waiting = []
            while waiting != blocked_behind(watch, holder):
                waiting = blocked_behind(watch, holder)
                time.sleep(1)  # a thread still coming would have reached the lock by now
        return [f.result() for f in futures], waiting


def test_page_statement_failure_is_a_500_and_the_connection_recovers(stack):
    """The Client Accounts list fails (its table's SELECT is revoked) while
    the session check succeeds: the page answers 500 (not "database down"),
    and every connection that served a failure serves pages again (no
    pipeline left half read, none replaced).

    The failures are held inside the program at once on as many connections
    as its threads serve them with (each waits behind a lock), then
    released; afterwards twice as many requests as the program has threads
    come at once and every one is the page, and those connections are the
    same backends as before."""
    c = stack.client()
    assert c.get("/portals").status_code == 200
    n = app_threads(stack)
    clients = [c]
    for _ in range(2 * n):
        x = Client(stack.base)
        x.login(c.email, c.password)
        clients.append(x)
    su = stack.conninfo.replace("user=jetstack", "user=postgres")
    try:
        answers, failed_on = hold_requests(su, clients, revoke=True)
        for r in answers:
            assert r.status_code == 500, r.status_code
            assert "Something went wrong" in r.text and "Nothing was changed" in r.text
    finally:
        with psycopg.connect(su, autocommit=True) as db:
            db.execute("GRANT SELECT ON portals TO jetstack")
    answers, served_on = hold_requests(su, clients)
    assert [r.status_code for r in answers] == [200] * len(clients)
    assert all('<h1>Client Accounts</h1>' in r.text and 'id="org-name">%s<' % c.org in r.text
               for r in answers)
    with psycopg.connect(su, autocommit=True) as watch:
        assert set(failed_on) <= app_connections(watch), (failed_on, app_connections(watch))
    for _ in range(8):
        r = c.get("/portals?sort=status")
        assert r.status_code == 200, r.status_code
    assert c.get("/portals/new").status_code == 200


def test_postgres_restart(stack):
    c = stack.client()
    assert c.get("/portals").status_code == 200
    # warm every FastCGI thread's connection
    for _ in range(8):
        assert requests.get(stack.base + "/healthz", timeout=30).status_code == 200
    stopped = False
    try:
        stack.sh("pg-stop")
        stopped = True
        r = requests.get(stack.base + "/healthz", timeout=30)
        assert r.status_code == 503
        assert_security_headers(r.headers)
        p = c.get("/portals")
        assert p.status_code == 503, p.status_code
        assert "try again" in p.text.lower()
        stack.sh("pg-start", str(stack.pg_port))
        stopped = False
        for i in range(8):
            r = c.get("/portals")
            assert r.status_code == 200, (i, r.status_code, r.text[:300])
        assert requests.get(stack.base + "/healthz", timeout=30).status_code == 200
    finally:
        if stopped:
            stack.sh("pg-start", str(stack.pg_port))
    # the stack is usable for what comes next: a fresh sign-in and a form post
    d = stack.client()
    assert d.post("/portals/new", {"csrf": d.csrf("/portals/new"),
                                   "connection_type": "config_only"}).status_code == 303


def test_worker_goes_on_after_a_postgres_restart(stack):
    """A running worker whose shared connections and listening connection
    all broke (PostgreSQL restarted) takes the next import when it is
    queued: the listener listens again on a fresh connection, each pooled
    connection reconnects when next borrowed, and the worker never exits."""
    c = stack.client()
    hub, pid, _ = stack.connect_portal(c, "config_only")

    def import_done():
        r = c.post("/portals/%d/imports" % pid, {"csrf": c.csrf("/portals/%d" % pid)})
        assert r.status_code == 303, (r.status_code, r.text[-500:])
        run = int(r.headers["Location"].rsplit("/", 1)[1])
        assert wait_until(lambda: stack.sql("SELECT state FROM runs WHERE id = %s", (run,))[0][0]
                          not in ("queued", "running"), timeout=60), run
        return stack.sql("SELECT state FROM runs WHERE id = %s", (run,))[0][0]

    env = {"JETSTACK_WORKER_CONCURRENCY": "4", "JETSTACK_WORKER_DB_CONNECTIONS": "2",
           "JETSTACK_WORKER_POLL_SECONDS": "1"}
    with stack.worker_proc([], env=env) as w:
        assert import_done() == "succeeded"
        stopped = False
        try:
            stack.sh("pg-stop")
            stopped = True
            time.sleep(2)  # the worker's threads meet the dead connections meanwhile
            stack.sh("pg-start", str(stack.pg_port))
            stopped = False
        finally:
            if stopped:
                stack.sh("pg-start", str(stack.pg_port))
        assert import_done() == "succeeded"
        assert w.poll() is None, "the worker exited"
        # it listens again, on one connection
        assert wait_until(lambda: stack.sql(
            "SELECT count(*) FROM pg_stat_activity WHERE usename = 'jetstack' AND "
            "query = 'LISTEN jetstack_jobs'")[0][0] == 1, timeout=10)
