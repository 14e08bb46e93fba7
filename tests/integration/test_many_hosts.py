"""Many hosts (issue 18, item 4): two FastCGI programs, each on a 127.0.0.1
port of its own as two hosts would be, behind one nginx upstream, and two
workers, all on one PostgreSQL.  A stack of its own (conftest's
running_stack), since its hosts, workers and database are killed and
restarted here.

nginx listens on three ports: the balanced one (upstream jetstack, both
programs, `fastcgi_next_upstream error timeout`) and one pinned to each
program, so a test can send the next request to "the other host" for sure.
Which program served a request is read back from its own log."""
import ctypes
import json
import os
import signal
import socket
import struct
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import psycopg
import pytest
import requests

from conftest import free_port, running_stack, wait_until
from jsclient import Client, csrf_of

ADMIN = "alex@agency.test"
LEASE = 4  # JETSTACK_JOB_LEASE_SECONDS of this stack's workers


@pytest.fixture(scope="module")
def hosts():
    with running_stack(hosts=2, workers=2, env={"JETSTACK_JOB_LEASE_SECONDS": str(LEASE)}) as s:
        yield s


@pytest.fixture(autouse=True)
def clean_sim(hosts):
    hosts.sim("DELETE", "/_sim/faults")
    yield
    hosts.sim("DELETE", "/_sim/faults")


# ---------------------------------------------------------------- helpers
def served(hosts, n, route, method="GET"):
    """How many requests for route program n has answered (its log)."""
    count = 0
    for line in hosts.log("app", n).splitlines():
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if e.get("event") == "request" and e.get("route") == route and e.get("method") == method:
            count += 1
    return count


def alive(pid):
    """The process exists and is not a zombie (what the stack started is
    re-parented to PID 1, which may reap it late)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def versions(hosts, pids):
    return dict(hosts.sql("SELECT portal_id, version FROM portal_tokens WHERE portal_id = ANY(%s)",
                          (list(pids),)))


def refresh_due(hosts, pids):
    """Make these portals' refreshes due now, queueing the job the way the
    workers' sweep does (it runs only every 30 s)."""
    hosts.sql("UPDATE portal_tokens SET access_expires_at = now() WHERE portal_id = ANY(%s)",
              (list(pids),))
    hosts.sql("INSERT INTO jobs (kind, portal_id, run_after) SELECT 'refresh', p, now() "
              "FROM unnest(%s::bigint[]) AS p "
              "ON CONFLICT (kind, portal_id) WHERE state IN ('queued', 'running') "
              "AND kind IN ('refresh', 'health') "
              "DO UPDATE SET run_after = now() WHERE jobs.state = 'queued'", (list(pids),))


def refreshed(hosts, pids, v0):
    """All of pids refreshed once more than v0 says, Connected, no job running."""
    v = versions(hosts, pids)
    running = hosts.sql("SELECT count(*) FROM jobs WHERE state = 'running' AND portal_id = ANY(%s)",
                        (list(pids),))[0][0]
    status = {s for (s,) in hosts.sql("SELECT status FROM portals WHERE id = ANY(%s)", (list(pids),))}
    return running == 0 and status == {"connected"} and all(v[p] == v0[p] + 1 for p in pids)


def fcgi_request(path, keep=0):
    """A FastCGI GET: BEGIN_REQUEST (responder, FCGI_KEEP_CONN when keep),
    PARAMS, end of PARAMS, end of STDIN."""
    def record(kind, content):  # version 1, request id 1, no padding
        return struct.pack("!BBHHBx", 1, kind, 1, len(content), 0) + content
    params = b"".join(bytes([len(k), len(v)]) + k + v for k, v in (
        (b"REQUEST_METHOD", b"GET"), (b"DOCUMENT_URI", path), (b"REQUEST_URI", path)))
    return record(1, struct.pack("!HB5x", 1, keep)) + record(4, params) + record(4, b"") + record(5, b"")


def fcgi_get(port, path):
    """One FastCGI GET sent straight to the program on 127.0.0.1:port (no
    nginx): the bytes it answered, b"" when it closed the connection."""
    out = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(fcgi_request(path))
        try:
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                out += data
        except ConnectionResetError:
            pass
    return out


def in_rotation(hosts, n, timeout=20):
    """Wait until the balanced port sends requests to program n again: nginx
    leaves a host that failed out for fail_timeout (10 s by default)."""
    def reached():
        before = served(hosts, n, "login")
        for _ in range(4):
            requests.get(hosts.base + "/login", timeout=10)
        return served(hosts, n, "login") > before
    assert wait_until(reached, timeout=timeout, interval=0.5), "program %d gets no requests" % n


def kill_app(hosts, n):
    """SIGKILL program n; returns its FastCGI address (host:port)."""
    pid = hosts.pid("app", n)
    os.kill(pid, signal.SIGKILL)
    assert wait_until(lambda: not alive(pid), timeout=10)
    return "127.0.0.1:%d" % hosts.fcgi_ports[n - 1]


def connect_many(hosts, c, n):
    return [hosts.connect_portal(c, admin=ADMIN)[1] for _ in range(n)]


class Load:
    """GETs of the signed-in Client Accounts page (and /healthz) from
    `threads` threads through the balanced port until stopped; every answer
    recorded as (start, end, status or the exception's name)."""

    def __init__(self, hosts, c, threads=8):
        self.hosts, self.threads = hosts, threads
        self.clients = []
        for _ in range(threads):
            x = Client(hosts.base)
            x.login(c.email, c.password)
            self.clients.append(x)
        self.results = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.pool = ThreadPoolExecutor(threads)

    def _run(self, i):
        x = self.clients[i]
        k = 0
        while not self.stop.is_set():
            path = "/healthz" if k % 4 == 3 else "/portals"
            k += 1
            t0 = time.monotonic()
            try:
                r = x.get(path)
                outcome = r.status_code
            except requests.RequestException as e:
                outcome = type(e).__name__
            with self.lock:
                self.results.append((t0, time.monotonic(), outcome))

    def __enter__(self):
        self.futures = [self.pool.submit(self._run, i) for i in range(self.threads)]
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for f in self.futures:
            f.result()
        self.pool.shutdown()

    def between(self, t0, t1=float("inf")):
        """The answers to requests sent from t0 until t1."""
        return [r for r in self.results if t0 <= r[0] < t1]


# ---------------------------------------------------------------- sessions
def test_each_port_reaches_one_host_and_the_balanced_port_both(hosts):
    for n in (1, 2):
        before = [served(hosts, k, "login") for k in (1, 2)]
        assert requests.get(hosts.host_base[n - 1] + "/login", timeout=10).status_code == 200
        after = [served(hosts, k, "login") for k in (1, 2)]
        assert after[n - 1] == before[n - 1] + 1 and after[2 - n] == before[2 - n], (n, before, after)
    before = [served(hosts, k, "login") for k in (1, 2)]
    for _ in range(20):
        assert requests.get(hosts.base + "/login", timeout=10).status_code == 200
    after = [served(hosts, k, "login") for k in (1, 2)]
    # round robin over both programs
    assert after[0] > before[0] and after[1] > before[1], (before, after)
    assert sum(after) - sum(before) == 20


@pytest.mark.parametrize("first,other", [(1, 2), (2, 1)])
def test_sign_in_on_one_host_next_request_on_the_other(hosts, first, other):
    org = hosts.new_org()
    email, pw = hosts.new_user(org, "owner")
    c = Client(hosts.host_base[first - 1])
    logins = served(hosts, first, "login", "POST")
    c.login(email, pw)
    assert served(hosts, first, "login", "POST") == logins + 1
    csrf = c.csrf()  # read on the first host

    # the next request, on the other host: signed in, same CSRF token
    pages = served(hosts, other, "portals")
    c.base = hosts.host_base[other - 1]
    r = c.get("/portals")
    assert r.status_code == 200, (r.status_code, r.headers.get("Location"))
    assert served(hosts, other, "portals") == pages + 1
    assert c.csrf() == csrf
    # a form read on one host and posted on the other: the connect flow starts
    c.base = hosts.host_base[first - 1]
    page = c.get("/portals/new").text
    c.base = hosts.host_base[other - 1]
    r = c.post("/portals/new", {"csrf": csrf_of(page), "connection_type": "config_only"})
    assert r.status_code == 303 and r.headers["Location"].startswith(hosts.sim_url), r.status_code

    # signing out on the other host ends the session on the first one too
    c.post("/logout", {"csrf": c.csrf()})
    c.base = hosts.host_base[first - 1]
    r = c.get("/portals")
    assert r.status_code == 303 and urlsplit(r.headers["Location"]).path == "/login", \
        (r.status_code, r.headers.get("Location"))


def test_reconnect_whose_callback_lands_on_the_other_host(hosts):
    c = hosts.client()
    hub, pid, _ = hosts.connect_portal(c, admin=ADMIN)
    hosts.make_yellow(hub, pid)
    grant_seq = hosts.sql("SELECT grant_seq FROM portal_tokens WHERE portal_id = %s", (pid,))[0][0]

    c.base = hosts.host_base[0]
    authorize = c.start_reconnect(pid)  # the state is stored by host 1
    callback = c.hubspot_choose(authorize, hub, as_user=ADMIN)
    callbacks = [served(hosts, k, "oauth_callback") for k in (1, 2)]
    c.base = hosts.host_base[1]
    r = c.follow_callback(callback)  # HubSpot's redirect reaches host 2
    assert r.status_code == 303 and r.headers["Location"].endswith("/portals"), \
        (r.status_code, r.text[:500])
    assert [served(hosts, k, "oauth_callback") for k in (1, 2)] == [callbacks[0], callbacks[1] + 1]
    status, = hosts.sql("SELECT status FROM portals WHERE id = %s", (pid,))[0]
    assert status == "connected"
    # the tokens stored are the new grant's
    assert hosts.sql("SELECT grant_seq FROM portal_tokens WHERE portal_id = %s", (pid,))[0][0] \
        > grant_seq
    # and host 1 shows it Connected
    c.base = hosts.host_base[0]
    assert 'id="portal-%d"' % pid in c.get("/portals").text


def test_a_host_takes_fastcgi_only_from_the_addresses_it_names(hosts):
    """README's advice for a program listening on a network port:
    FCGI_WEB_SERVER_ADDRS (libfcgi's, from the process environment) names
    who may connect; anyone else is cut off unanswered."""
    for allowed, answered in (("127.0.0.1", True), ("192.0.2.1", False)):
        port = free_port()
        hosts.sh("app-start", "3", str(port), env={"FCGI_WEB_SERVER_ADDRS": allowed})
        try:
            answer = fcgi_get(port, b"/healthz")
        finally:
            hosts.sh("stop", "app3")
        assert (b"Status: 200" in answer) == answered and (answer != b"") == answered, \
            (allowed, answer[:100])


def app_socket(pid, peer):
    """A duplicate (pidfd_getfd) of process pid's end of the TCP connection
    whose other end is the local address peer."""
    want = "%08X:%04X" % (struct.unpack("<I", socket.inet_aton(peer[0]))[0], peer[1])
    with open("/proc/%d/net/tcp" % pid) as f:
        inode = next(c[9] for c in (line.split() for line in f.readlines()[1:]) if c[2] == want)
    fd = next(int(n) for n in os.listdir("/proc/%d/fd" % pid)
              if os.readlink("/proc/%d/fd/%s" % (pid, n)) == "socket:[%s]" % inode)
    pidfd = os.pidfd_open(pid)
    try:
        dup = ctypes.CDLL(None, use_errno=True).syscall(438, pidfd, fd, 0)  # pidfd_getfd, x86-64
        assert dup >= 0, os.strerror(ctypes.get_errno())
    finally:
        os.close(pidfd)
    return socket.socket(fileno=dup)


def test_a_host_sends_its_answers_over_tcp_without_delay(hosts):
    """A program on a TCP port turns Nagle's algorithm off on every connection
    (TCP_NODELAY, as libfcgi's own accept did): a streamed answer's writes
    would otherwise each wait for nginx's delayed acknowledgement of the
    last (up to 40 ms) on a kept connection."""
    port = free_port()
    hosts.sh("app-start", "3", str(port))
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(fcgi_request(b"/healthz", keep=1))
            assert b"Status: 200" in sock.recv(65536)  # a kept connection: still open
            with app_socket(hosts.pid("app", 3), sock.getsockname()) as theirs:
                assert theirs.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        hosts.sh("stop", "app3")


# ---------------------------------------------------------------- kills and restarts
def test_fastcgi_host_killed_under_load(hosts):
    """SIGKILL one program while 8 threads load the balanced port: nginx sends
    what that host refused or dropped to the other (GETs are idempotent), so
    at most the requests in flight at the kill may fail, and none after."""
    c = hosts.client()
    survivor = hosts.pid("app", 2)
    in_rotation(hosts, 1)
    try:
        with Load(hosts, c) as load:
            time.sleep(1.5)
            t_kill = time.monotonic()
            victim = kill_app(hosts, 1)
            time.sleep(3)
        before = load.between(0, t_kill)
        after = load.between(t_kill)
        in_flight = [r for r in before if r[1] > t_kill]
        failed = [r for r in load.results if r[2] != 200]
        print("kill under load: %d requests before the kill, %d after, %d in flight at the kill, "
              "%d failed" % (len(before), len(after), len(in_flight), len(failed)))
        assert len(before) > 50 and len(after) > 50, (len(before), len(after))
        assert all(r[2] == 200 for r in after), [r for r in after if r[2] != 200][:5]
        assert len(failed) <= min(len(in_flight), load.threads), failed
        assert alive(survivor)
        # nginx met the dead host (and, as every answer was good, went on
        # to the other one)
        with open(os.path.join(hosts.state, "nginx/logs/error.log")) as f:
            assert 'upstream: "fastcgi://%s' % victim in f.read()
    finally:
        hosts.start_app(1)  # back where it listened before
    assert requests.get(hosts.host_base[0] + "/healthz", timeout=10).status_code == 200
    in_rotation(hosts, 1)


def test_post_in_flight_on_a_killed_host_is_not_resent(hosts):
    """Six sign-outs (POST) held inside both programs (the sessions table
    locked), then program 1 killed: nginx does not resend a POST it has sent,
    so the ones program 1 held fail (502) and their sessions live on, while
    program 2's complete; none is done twice."""
    org = hosts.new_org()
    email, pw = hosts.new_user(org, "owner")
    clients = []
    for _ in range(6):
        x = Client(hosts.base)
        x.login(email, pw)
        x.token = x.csrf()
        clients.append(x)
    in_rotation(hosts, 1)
    su = hosts.conninfo.replace("user=jetstack", "user=postgres")
    logouts = served(hosts, 2, "logout", "POST")
    try:
        with psycopg.connect(su, autocommit=True) as watch, \
                psycopg.connect(su, autocommit=True) as lock, ThreadPoolExecutor(6) as pool:
            with lock.transaction():
                lock.execute("LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE")
                holder = lock.info.backend_pid

                def blocked():
                    return watch.execute("SELECT count(*) FROM pg_stat_activity WHERE %s = "
                                         "ANY(pg_blocking_pids(pid))", (holder,)).fetchone()[0]
                futures = [pool.submit(x.post, "/logout", {"csrf": x.token}) for x in clients]
                # each program has 4 threads: six requests reach both
                assert wait_until(lambda: blocked() >= 4, timeout=15), blocked()
                time.sleep(1)
                held = blocked()
                kill_app(hosts, 1)
            answers = [f.result().status_code for f in futures]
        print("POST in flight on a killed host: %d held, answers %s" % (held, sorted(answers)))
        assert sorted(set(answers)) == [303, 502], answers
        assert answers.count(303) == served(hosts, 2, "logout", "POST") - logouts
        for x, status in zip(clients, answers):
            x.base = hosts.host_base[1]
            r = x.get("/portals")
            assert r.status_code == (200 if status == 502 else 303), (status, r.status_code)
    finally:
        hosts.start_app(1)
    in_rotation(hosts, 1)


def test_worker_killed_the_other_finishes_its_jobs_after_the_lease(hosts):
    c = hosts.client()
    pids = connect_many(hosts, c, 10)
    v0 = versions(hosts, pids)
    workers = {hosts.pid("worker", n): n for n in (1, 2)}
    # each refresh takes 2 s at HubSpot: the jobs are held while we look
    hosts.sim("POST", "/_sim/faults", {"endpoint": "token", "latency_ms": 2000, "count": None})
    refresh_due(hosts, pids)

    def held():
        rows = hosts.sql("SELECT portal_id, locked_by, locked_until FROM jobs WHERE kind = 'refresh' "
                         "AND state = 'running' AND portal_id = ANY(%s)", (pids,))
        return rows if len(rows) == len(pids) else None
    rows = wait_until(held, timeout=15)
    assert rows, "the two workers did not take the 10 refreshes"
    by_worker = {}
    for portal, locked_by, until in rows:
        by_worker.setdefault(int(locked_by.rsplit(":", 1)[1]), []).append((portal, until))
    assert set(by_worker) <= set(workers), (by_worker, workers)
    victim = max(by_worker, key=lambda w: len(by_worker[w]))
    survivor = [w for w in workers if w != victim][0]
    lost = dict(by_worker[victim])  # portal -> the end of its lease
    os.kill(victim, signal.SIGKILL)
    hosts.sim("DELETE", "/_sim/faults")
    try:
        assert wait_until(lambda: not alive(victim), timeout=10)
        assert wait_until(lambda: refreshed(hosts, pids, v0), timeout=LEASE + 20), \
            (versions(hosts, pids), v0)
        # the dead worker's jobs were done again once their lease had run out
        done = dict(hosts.sql("SELECT id, last_refreshed_at FROM portals WHERE id = ANY(%s)",
                              (list(lost),)))
        early = {p: (done[p], lost[p]) for p in lost if done[p] < lost[p]}
        assert early == {}, early
        assert alive(survivor)
        print("worker killed holding %d of %d refreshes; the other finished them after the %d s "
              "lease" % (len(lost), len(pids), LEASE))
    finally:
        hosts.start_worker(workers[victim])


def test_postgres_restarted_under_load(hosts):
    """PostgreSQL stopped and started again under load: the same FastCGI
    programs and workers (no restart) answer and work again within seconds."""
    c = hosts.client()
    pids = connect_many(hosts, c, 3)
    apps = [hosts.pid("app", n) for n in (1, 2)]
    workers = [hosts.pid("worker", n) for n in (1, 2)]
    stopped = False
    try:
        with Load(hosts, c, threads=6) as load:
            time.sleep(1)
            t_stop = time.monotonic()
            hosts.sh("pg-stop")
            stopped = True
            time.sleep(1)
            hosts.sh("pg-start", str(hosts.pg_port))
            stopped = False
            t_up = time.monotonic()
            time.sleep(6)
    finally:
        if stopped:
            hosts.sh("pg-start", str(hosts.pg_port))
    during = load.between(t_stop, t_up)
    after = load.between(t_up)
    # while it was down, the programs said so (503) and did not fall over (no 502)
    assert {r[2] for r in during} <= {200, 500, 503}, {r[2] for r in during}
    assert 503 in {r[2] for r in during}
    # the first moment from which every request succeeded
    bad = [r for r in after if r[2] != 200]
    recovered = max([r[1] for r in bad], default=t_up) - t_up
    ok_after = [r for r in after if r[0] > t_up + recovered]
    print("PostgreSQL restart under load: %d answers while down (%d x 503), all good %.2f s "
          "after it was up again, %d good answers after that" % (
              len(during), sum(r[2] == 503 for r in during), recovered, len(ok_after)))
    assert recovered < 3, bad[-5:]
    assert len(ok_after) > 50
    # no program or worker was restarted, and each host serves pages
    assert [hosts.pid("app", n) for n in (1, 2)] == apps and all(map(alive, apps))
    assert [hosts.pid("worker", n) for n in (1, 2)] == workers and all(map(alive, workers))
    for base in hosts.host_base:
        c.base = base
        assert c.get("/portals").status_code == 200
        assert requests.get(base + "/healthz", timeout=10).status_code == 200
    # the workers take new due jobs
    v0 = versions(hosts, pids)
    refresh_due(hosts, pids)
    t0 = time.monotonic()
    assert wait_until(lambda: refreshed(hosts, pids, v0), timeout=20), (versions(hosts, pids), v0)
    print("refreshes due after the restart done in %.2f s" % (time.monotonic() - t0))
