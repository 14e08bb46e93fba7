"""The operator contract of DESIGN §5: a missing or malformed setting stops
start-up with one clear line naming it, and nothing starts.  Each program
(the FastCGI program, the worker, the admin tool) is run with the test
stack's valid configuration and one setting broken through the environment
(which overrides the env file; an empty value counts as unset)."""
import os
import subprocess
import time

import pytest

EX_CONFIG = 78

WEB, WORKER, ADMIN = "web", "worker", "admin"

# (setting, broken value, programs that must refuse it)
CASES = [
    ("JETSTACK_DATABASE", "", (WEB, WORKER, ADMIN)),
    ("JETSTACK_BASE_URL", "ftp://jetstack.example", (WEB, WORKER, ADMIN)),
    ("JETSTACK_THREADS", "four", (WEB, WORKER, ADMIN)),
    ("JETSTACK_THREADS", "0", (WEB, WORKER, ADMIN)),
    ("JETSTACK_SCHED", "fast", (WEB, WORKER, ADMIN)),
    ("JETSTACK_TOKEN_KEY", "c2hvcnQ=", (WEB, WORKER)),
    ("JETSTACK_SESSION_KEY", "", (WEB,)),
    ("HUBSPOT_CLIENT_ID", "", (WEB, WORKER)),
    ("HUBSPOT_CLIENT_SECRET", "", (WEB, WORKER)),
    # plain http to anything but loopback would carry codes and tokens in
    # clear: refused at start-up, not at the first HubSpot call
    ("HUBSPOT_API_BASE", "http://api.hubapi.example", (WEB, WORKER, ADMIN)),
    ("HUBSPOT_AUTHORIZE_URL", "http://app.hubspot.example/oauth/authorize", (WEB, WORKER, ADMIN)),
    ("HUBSPOT_API_BASE", "https://api.hubapi.example/?x=1", (WEB, WORKER, ADMIN)),
    # issue 18: the HubSpot circuit breaker
    ("JETSTACK_BREAKER_PORTALS", "0", (WEB, WORKER, ADMIN)),
    ("JETSTACK_BREAKER_PROBE_SECONDS", "soon", (WEB, WORKER, ADMIN)),
]


def command(stack, prog, sock):
    if prog == WEB:
        return [os.path.join(stack.state, "app/lib/jetstack/cgi-bin/jetstack")], {"JETSTACK_SOCKET": sock}
    if prog == WORKER:
        return [os.path.join(stack.state, "app/bin/jetstack-worker"), "--once"], {}
    return [os.path.join(stack.state, "app/bin/jetstack-admin"), "org", "create", "never-made"], {}


@pytest.mark.parametrize("key,value,progs", CASES, ids=["%s=%s" % (k, v or "(unset)") for k, v, _ in CASES])
def test_bad_setting_stops_start_up_naming_it(stack, tmp_path, key, value, progs):
    for prog in progs:
        sock = str(tmp_path / ("%s.sock" % prog))
        argv, extra = command(stack, prog, sock)
        extra[key] = value
        r = subprocess.run(argv, capture_output=True, text=True, env=stack.env(extra), cwd=stack.state,
                           stdin=subprocess.DEVNULL, timeout=30)
        lines = r.stderr.splitlines()
        assert r.returncode == EX_CONFIG, (prog, key, r.returncode, r.stderr[-500:])
        assert len(lines) == 1 and key in lines[0] and "configuration" in lines[0], (prog, lines)
        assert r.stdout == "", (prog, r.stdout[:200])
        if "KEY" in key or "SECRET" in key:
            assert not value or value not in lines[0], (prog, lines)  # a secret is never echoed
        assert not os.path.exists(sock), prog  # the FastCGI program never listened
    assert stack.sql("SELECT count(*) FROM organisations WHERE name = 'never-made'")[0][0] == 0


@pytest.mark.parametrize("setting,sched", [("", "batch"), ("batch", "batch"), ("normal", "normal")],
                         ids=["unset", "batch", "normal"])
def test_sched_setting_is_applied_and_logged(stack, tmp_path, setting, sched):
    """JETSTACK_SCHED=batch (the default) makes the request threads
    SCHED_BATCH; normal leaves them SCHED_OTHER. The start line says which."""
    sock = str(tmp_path / "app.sock")
    argv, extra = command(stack, WEB, sock)
    extra["JETSTACK_SCHED"] = setting
    extra["JETSTACK_THREADS"] = "2"
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         env=stack.env(extra), cwd=stack.state, stdin=subprocess.DEVNULL)
    try:
        deadline = time.time() + 20
        while not os.path.exists(sock) and time.time() < deadline and p.poll() is None:
            time.sleep(0.05)
        assert os.path.exists(sock), p.poll()
        want = os.SCHED_BATCH if sched == "batch" else os.SCHED_OTHER
        tids = os.listdir("/proc/%d/task" % p.pid)
        assert len(tids) == 2 + os.cpu_count()  # and one page thread per processor
        for tid in tids:
            assert os.sched_getscheduler(int(tid)) == want, (sched, tid)
    finally:
        p.terminate()
        _, err = p.communicate(timeout=20)
    assert '"event":"started"' in err and '"sched":"%s"' % sched in err, err[-500:]

