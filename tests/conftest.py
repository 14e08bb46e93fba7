"""The test stack: a private PostgreSQL cluster, the HubSpot simulator, the
FastCGI program and nginx (with nginx/dev.conf.in), all on free 127.0.0.1
ports in a temporary directory, started once per pytest session by
scripts/stack.sh and stopped by PID afterwards, even on failure.

Tests isolate themselves by creating their own organisation, users and
simulator portals (unique hub ids) through the helpers below."""
import base64
import contextlib
import itertools
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import psycopg
import pytest
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from jsclient import Client  # noqa: E402

STACK = os.path.join(ROOT, "scripts", "stack.sh")
OUTPUT = os.path.join(ROOT, "tests", "output")
_hub_ids = itertools.count(30000000 + (os.getpid() % 1000) * 10000)
_names = itertools.count(1)


_ports_given = set()


def free_port():
    """A free 127.0.0.1 port below the kernel's range for outgoing
    connections (ip_local_port_range), never the same twice in this
    process.  A port from that range (what binding port 0 gives) can
    become the local end of some client's connection between this check
    and the server's bind: nginx then failed to start once, more likely
    now that it keeps its connections to FastCGI hosts open."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            first_outgoing = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        first_outgoing = 32768
    low, high = 20000, max(21000, first_outgoing - 1)
    rng = random.Random(os.getpid() ^ time.monotonic_ns())
    for _ in range(500):
        port = rng.randint(low, high)
        if port in _ports_given:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _ports_given.add(port)
        return port
    raise RuntimeError("no free port between %d and %d" % (low, high))


class Stack:
    """hosts: how many FastCGI programs.  One listens on a unix socket; several
    each listen on a 127.0.0.1 port of their own, as separate hosts would, and
    nginx balances over them on self.base while self.host_base[i] reaches
    program i + 1 alone.  workers: how many workers run for the whole session
    (the tests' usual worker is worker_once).  env: settings added to
    jetstack.env."""

    def __init__(self, state, hosts=1, workers=0, env=None):
        self.state = state
        self.hosts = hosts
        self.workers = workers
        self.http_port = free_port()
        self.host_ports = [free_port() for _ in range(hosts)] if hosts > 1 else []
        self.fcgi_ports = [free_port() for _ in range(hosts)] if hosts > 1 else []
        self.host_base = ["http://127.0.0.1:%d" % p for p in self.host_ports]
        self.pg_port = free_port()
        self.client_id = "test-client-" + secrets.token_hex(4)
        self.client_secret = secrets.token_urlsafe(24)
        self.token_key = base64.b64encode(os.urandom(32)).decode()
        self.session_key = base64.b64encode(os.urandom(32)).decode()
        self.base = "http://127.0.0.1:%d" % self.http_port
        self.sim_url = None
        self.conninfo = None
        self.extra_env = dict(env or {})

    # -- process control -------------------------------------------------
    def sh(self, *args, env=None, check=True):
        e = dict(os.environ)
        e.update(env or {})
        r = subprocess.run([STACK, args[0], self.state] + list(args[1:]), env=e,
                           capture_output=True, text=True, timeout=120)
        if check and r.returncode != 0:
            # what the script said, and the part's own log when it names one
            logs = ""
            for name in sorted(os.listdir(os.path.join(self.state, "logs"))
                               if os.path.isdir(os.path.join(self.state, "logs")) else []):
                with open(os.path.join(self.state, "logs", name), errors="replace") as f:
                    logs += "\n--- logs/%s (end) ---\n%s" % (name, f.read()[-1500:])
            raise RuntimeError("stack.sh %s failed (exit %d)\nstdout: %s\nstderr: %s%s"
                               % (" ".join(args), r.returncode, r.stdout[-1500:], r.stderr[-3000:],
                                  logs))
        return r

    def write_env(self):
        lines = {
            "JETSTACK_DATABASE": self.conninfo,
            "JETSTACK_BASE_URL": self.base,
            "JETSTACK_TOKEN_KEY": self.token_key,
            "JETSTACK_SESSION_KEY": self.session_key,
            "HUBSPOT_CLIENT_ID": self.client_id,
            "HUBSPOT_CLIENT_SECRET": self.client_secret,
            "HUBSPOT_AUTHORIZE_URL": self.sim_url + "/oauth/authorize",
            "HUBSPOT_API_BASE": self.sim_url,
            "JETSTACK_TEMPLATE_DIR": os.path.join(self.state, "app/share/jetstack/templates"),
            "JETSTACK_WORKER_POLL_SECONDS": "1",
            # webhook receivers in the tests listen on loopback, over http
            "JETSTACK_WEBHOOK_ALLOW_HTTP": "yes",
            "JETSTACK_WEBHOOK_ALLOW_PRIVATE": "yes",
        }
        lines.update(self.extra_env)
        path = os.path.join(self.state, "jetstack.env")
        with open(path, "w") as f:
            for k, v in lines.items():
                f.write("%s=%s\n" % (k, v))
        os.chmod(path, 0o640)
        return path

    def start(self):
        self.conninfo = self.sh("pg-start", str(self.pg_port)).stdout.strip()
        port = self.sh("sim-start", "empty", env={"HUBSPOT_CLIENT_ID": self.client_id,
                                                  "HUBSPOT_CLIENT_SECRET": self.client_secret}).stdout.strip()
        self.sim_url = "http://127.0.0.1:%s" % port
        self.write_env()
        self.sh("install")
        self.sh("migrate")
        for n in range(1, self.hosts + 1):
            self.start_app(n)
        self.sh("nginx-start", str(self.http_port), *map(str, self.host_ports))
        for n in range(1, self.workers + 1):
            self.start_worker(n)

    def restart_app(self):
        self.sh("stop", "app")
        self.write_env()
        self.start_app(1)

    @staticmethod
    def part(kind, n):
        """scripts/stack.sh's name for instance n of a part: app, app2, worker2..."""
        return kind if n == 1 else "%s%d" % (kind, n)

    def start_app(self, n=1):
        """(Re)start FastCGI program n where it listened before."""
        port = [str(self.fcgi_ports[n - 1])] if self.fcgi_ports else []
        self.sh("app-start", str(n), *port)

    def start_worker(self, n=1):
        self.sh("worker-start", str(n))

    def pid(self, kind, n=1):
        """The PID of a part the stack started (scripts/stack.sh's pid file)."""
        with open(os.path.join(self.state, "run", self.part(kind, n) + ".pid")) as f:
            return int(f.read())

    def log(self, kind, n=1):
        """The log of a part the stack started, one string."""
        with open(os.path.join(self.state, "logs", self.part(kind, n) + ".log")) as f:
            return f.read()

    def stop(self):
        self.sh("down", check=False)

    # -- programs ----------------------------------------------------------
    def env(self, extra=None):
        e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
             "JETSTACK_ENV_FILE": os.path.join(self.state, "jetstack.env"),
             "JETSTACK_SQL_DIR": os.path.join(self.state, "app/share/jetstack/sql")}
        e.update(extra or {})
        return e

    def admin(self, *args, input=None, check=True, env=None):
        r = subprocess.run([os.path.join(self.state, "app/bin/jetstack-admin")] + list(args),
                           input=input, capture_output=True, text=True, env=self.env(env),
                           cwd=self.state, timeout=60)
        if check:
            assert r.returncode == 0, (args, r.returncode, r.stdout, r.stderr)
        return r

    def worker_once(self, env=None, check=True, timeout=120):
        r = subprocess.run([os.path.join(self.state, "app/bin/jetstack-worker"), "--once"],
                           capture_output=True, text=True, env=self.env(env), cwd=self.state,
                           timeout=timeout)
        if check:
            assert r.returncode == 0, (r.returncode, r.stderr[-2000:])
        return r

    def worker_popen(self, args=(), env=None):
        return subprocess.Popen([os.path.join(self.state, "app/bin/jetstack-worker")] + list(args),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=self.env(env), cwd=self.state)

    @contextlib.contextmanager
    def worker_proc(self, args=(), env=None):
        """worker_popen for a with block: a worker still running when the block
        ends (a failed assertion, a timeout) is killed and waited for."""
        w = self.worker_popen(args, env=env)
        try:
            yield w
        finally:
            if w.poll() is None:
                w.kill()
                w.communicate()

    # -- data --------------------------------------------------------------
    def db(self):
        return psycopg.connect(self.conninfo, autocommit=True)

    def sql(self, query, params=None):
        with self.db() as c:
            cur = c.execute(query, params)
            return cur.fetchall() if cur.description else None

    def new_org(self, prefix="org"):
        name = "%s-%d-%s" % (prefix, next(_names), secrets.token_hex(3))
        self.admin("org", "create", name)
        return name

    def org_id(self, name):
        return self.sql("SELECT id FROM organisations WHERE name = %s", (name,))[0][0]

    def new_user(self, org, role="owner", email=None, password=None):
        email = email or "u%d-%s@example.test" % (next(_names), secrets.token_hex(3))
        password = password or secrets.token_urlsafe(12)
        self.admin("user", "create", "--org", org, "--email", email, "--role", role,
                   input=password + "\n")
        return email, password

    def client(self, org=None, role="owner"):
        """A signed-in client in org (a new org when None)."""
        org = org or self.new_org()
        email, pw = self.new_user(org, role)
        c = Client(self.base)
        c.login(email, pw)
        c.org, c.email, c.password = org, email, pw
        return c

    # -- the HubSpot simulator ------------------------------------------------
    def sim(self, method, path, json=None):
        r = requests.request(method, self.sim_url + path, json=json, timeout=30)
        assert r.status_code < 300, (path, r.status_code, r.text[:300])
        return r.json() if r.content else None

    def new_hub(self, name=None, admin="alex@agency.test", withheld=None, **member):
        """A simulator portal with a fresh hub id; admin is a Super Admin on it."""
        hub = next(_hub_ids)
        name = name or "Portal %d" % hub
        self.sim("POST", "/_sim/portals", {"hub_id": hub, "name": name,
                                           "domain": "p%d.example.com" % hub,
                                           "withheld_scopes": withheld or []})
        m = {"super_admin": True}
        m.update(member)
        self.sim("POST", "/_sim/users", {"email": admin, "portals": {str(hub): m}})
        return hub

    def portal_id(self, org, hub):
        return self.sql("SELECT id FROM portals WHERE org_id = %s AND hub_id = %s "
                        "AND removed_at IS NULL", (self.org_id(org), hub))[0][0]

    def connect_portal(self, c, conn_type="config_audit", admin="alex@agency.test", name=None, hub=None):
        """Client c connects a portal through the real flow as HubSpot user admin
        (on a new simulator portal named name unless hub is given).  Returns
        (hub, portal id, the redirect's Location) for the caller to check."""
        hub = hub or self.new_hub(name, admin=admin)
        r = c.connect(hub, conn_type, as_user=admin)
        assert r.status_code == 303, (r.status_code, r.text[:2000])
        return hub, self.portal_id(c.org, hub), r.headers.get("Location")

    def make_yellow(self, hub, pid):
        """Turn portal pid (on simulator portal hub) yellow the real way: HubSpot
        invalidates the refresh tokens, the access token is due, and one worker
        pass's refresh gets BAD_REFRESH_TOKEN.  Returns the status reason."""
        self.sim("POST", "/_sim/portals/%d/invalidate_refresh_tokens" % hub)
        self.sql("UPDATE portal_tokens SET access_expires_at = now() WHERE portal_id = %s", (pid,))
        self.worker_once()

        def decided():  # a running worker (workers > 0) may hold the job
            row = self.sql("SELECT status, status_reason FROM portals WHERE id = %s", (pid,))[0]
            return row if row[0] != "connected" else None
        status, reason = wait_until(decided) or ("connected", None)
        assert status == "needs_reconnection", (status, reason)
        return reason


@contextlib.contextmanager
def running_stack(**opts):
    """A Stack(**opts) started in a new temporary directory; stopped by PID
    and removed afterwards, even on failure."""
    state = tempfile.mkdtemp(prefix="jst.", dir="/tmp")
    os.chmod(state, 0o755)
    s = Stack(state, **opts)
    try:
        s.start()
        yield s
    finally:
        s.stop()
        if os.environ.get("JETSTACK_KEEP_TEST_STATE") != "1":
            shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="session")
def stack():
    with running_stack() as s:
        yield s


@pytest.fixture(scope="session")
def output_dir():
    os.makedirs(OUTPUT, exist_ok=True)
    return OUTPUT


def wait_until(fn, timeout=10.0, interval=0.1):
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(interval)
    return fn()
