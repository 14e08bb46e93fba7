"""The C unit suites that need PostgreSQL and HubSpot (tests/unit/
dbsuite_core.c: the job queue's claiming, a refresh, the OAuth flow's first
step, the pool of connections the worker's threads share), run under
valgrind against this stack: the suite's checks and a clean memory report
must both hold."""
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_core_suites_under_valgrind(stack):
    c = stack.client()
    hub, pid, _ = stack.connect_portal(c, "config_only")
    org = stack.org_id(c.org)
    user = stack.sql("SELECT id FROM users WHERE email = %s", (c.email,))[0][0]
    # the claiming suite owns the queue while it runs
    stack.sql("DELETE FROM jobs")
    env = stack.env({"SUITE_PORTAL": str(pid), "SUITE_HUB": str(hub), "SUITE_ORG": str(org),
                     "SUITE_USER": str(user), "SUITE_SIM": stack.sim_url, "CK_FORK": "no"})
    p = subprocess.run(["valgrind", "-q", "--leak-check=full", "--show-leak-kinds=definite,indirect",
                        "--errors-for-leak-kinds=definite,indirect", "--error-exitcode=99",
                        os.path.join(ROOT, "build", "tests", "dbsuite_core")],
                       env=env, capture_output=True, text=True, timeout=300)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out[-3000:]
    assert "100%: Checks: 7, Failures: 0, Errors: 0" in out, out[-3000:]
    # what the refresh suite did is what a user sees: the portal is yellow, once
    assert stack.sql("SELECT status, status_reason_code FROM portals WHERE id = %s", (pid,)) == \
        [("needs_reconnection", "refresh_rejected")]
    assert stack.sql("SELECT count(*) FROM activity WHERE portal_id = %s AND kind = 'needs_reconnection'",
                     (pid,)) == [(1,)]
