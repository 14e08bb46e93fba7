"""PostgreSQL failing under the FastCGI program: a page statement that fails
is that page's 500, a restart is a 503 while down, and afterwards every
thread's connection serves pages again."""
import psycopg
import requests

from helpers_foundation import assert_security_headers


def test_page_statement_failure_is_a_500_and_the_connection_recovers(stack):
    """The session check and the page's list are sent in one pipeline.  When
    the list alone fails, the page answers 500 (not "database down"), and
    every FastCGI thread's connection is usable again afterwards (no
    pipeline left half read)."""
    c = stack.client()
    assert c.get("/portals").status_code == 200
    su = stack.conninfo.replace("user=jetstack", "user=postgres")
    with psycopg.connect(su, autocommit=True) as db:
        db.execute("REVOKE SELECT ON portals FROM jetstack")
        try:
            for _ in range(6):  # reaches every thread
                r = c.get("/portals")
                assert r.status_code == 500, r.status_code
                assert "Something went wrong" in r.text and "Nothing was changed" in r.text
        finally:
            db.execute("GRANT SELECT ON portals TO jetstack")
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
