"""The Client Accounts page cache (issue 19): each FastCGI program keeps the
rows of recent views, and serves them only while the organisation's change
counter (sql/0023), read with the session, is the one they were read under.
Proof that it is never stale: on a stack of two programs on one database,
a change made through the other program, by the worker, by the admin tool
or by a direct SQL UPDATE shows on the very next request to the first one;
sign-out and role changes take effect on the next request; another
organisation's (or another time zone's) rows are never served.

Every test first warms program 1 (two views of the page, the second a
hit), makes the change, then asks program 1 once."""
import re

import pytest

from conftest import running_stack
from jsclient import Client

ADMIN = "alex@agency.test"


@pytest.fixture(scope="module")
def hosts():
    with running_stack(hosts=2) as s:
        yield s


def on(c, n, hosts):
    """Client c's session, its requests sent to program n alone."""
    x = Client(hosts.host_base[n - 1])
    x.s = c.s
    x.org, x.email, x.password = c.org, c.email, c.password
    return x


def metric(hosts, n, name):
    text = Client(hosts.host_base[n - 1]).get("/metrics").text
    m = re.search(r"^%s (\d+)$" % name, text, re.M)
    assert m, name
    return int(m.group(1))


def rows(page):
    """{portal id: its row's HTML, the relative words ("3 minutes ago") left
    out}; the page must be a 200 Client Accounts page."""
    out = {}
    for pid, body in re.findall(r'<tr id="portal-(\d+)"[^>]*>(.*?)</tr>', page, re.S):
        out[int(pid)] = re.sub(r"(<time [^>]*>)[^<]*</time>", r"\1</time>", body)
    return out


def view(x, path="/portals"):
    r = x.get(path)
    assert r.status_code == 200, (path, r.status_code, r.headers.get("Location"))
    return r.text


def warm(hosts, x, path="/portals"):
    """Two views of path on x's program; the second must be a hit."""
    n = 1 if x.base == hosts.host_base[0] else 2
    view(x, path)
    before = metric(hosts, n, "jetstack_page_cache_hits_total")
    page = view(x, path)
    assert metric(hosts, n, "jetstack_page_cache_hits_total") == before + 1, path
    return page


@pytest.fixture
def org(hosts):
    """A signed-in owner with three connected portals; the same session on
    program 1 (h1) and program 2 (h2)."""
    c = hosts.client()
    pids = [hosts.connect_portal(c, admin=ADMIN, name="Cache %d" % i)[1] for i in range(3)]
    return c, on(c, 1, hosts), on(c, 2, hosts), pids


def test_repeated_views_are_hits_and_the_same_page(hosts, org):
    c, h1, _, pids = org
    first = view(h1)
    h0 = metric(hosts, 1, "jetstack_page_cache_hits_total")
    m0 = metric(hosts, 1, "jetstack_page_cache_misses_total")
    for _ in range(3):
        assert rows(view(h1)) == rows(first)
    assert metric(hosts, 1, "jetstack_page_cache_hits_total") == h0 + 3
    assert metric(hosts, 1, "jetstack_page_cache_misses_total") == m0
    assert metric(hosts, 1, "jetstack_page_cache_bytes") > 0
    assert metric(hosts, 1, "jetstack_page_cache_entries") >= 1
    assert set(rows(first)) == set(pids)


def test_a_rename_through_the_other_program_shows_at_once(hosts, org):
    c, h1, h2, pids = org
    warm(hosts, h1)
    r = h2.post("/portals/%d/name" % pids[0], {"csrf": h2.csrf(), "name": "Renamed on two"})
    assert r.status_code == 303, r.status_code
    assert "Renamed on two" in rows(view(h1))[pids[0]]


def test_labels_through_the_other_program_show_in_every_view(hosts, org):
    c, h1, h2, pids = org
    def label(pid):
        r = h2.post("/portals/%d/labels" % pid, {"csrf": h2.csrf(), "label": "eu", "action": "add"})
        assert r.status_code == 303, r.status_code

    label(pids[0])
    warm(hosts, h1)
    assert set(rows(warm(hosts, h1, "/portals?label=eu"))) == {pids[0]}
    warm(hosts, h1, "/portals?q=example")
    label(pids[1])
    page = view(h1)
    assert "eu" in rows(page)[pids[1]]
    # the label picker too (read with the session on a hit, never cached)
    warm(hosts, h1)
    r = h2.post("/portals/%d/labels" % pids[2], {"csrf": h2.csrf(), "label": "apac", "action": "add"})
    assert r.status_code == 303
    assert '<option value="apac"' in view(h1)
    assert set(rows(view(h1, "/portals?label=eu"))) == {pids[0], pids[1]}
    assert "eu" in rows(view(h1, "/portals?q=example"))[pids[1]]
    # a search's rows, and a rename that takes a portal out of it
    h2.post("/portals/%d/name" % pids[2], {"csrf": h2.csrf(), "name": "Zebra one"})
    page = warm(hosts, h1, "/portals?q=zebra")
    assert set(rows(page)) == {pids[2]} and "1 portal found" in page
    # its count is held beside its rows: a second match counts at once
    h2.post("/portals/%d/name" % pids[1], {"csrf": h2.csrf(), "name": "Zebra two"})
    page = view(h1, "/portals?q=zebra")
    assert set(rows(page)) == {pids[1], pids[2]} and "2 portals found" in page, page
    h2.post("/portals/%d/name" % pids[2], {"csrf": h2.csrf(), "name": "Yak"})
    page = view(h1, "/portals?q=zebra")
    assert pids[2] not in rows(page) and "1 portal found" in page
    # and a label's count (counted from the label's portals)
    assert "2 portals found" in view(h1, "/portals?label=eu")
    hosts.sql("DELETE FROM portal_labels WHERE portal_id = %s", (pids[0],))
    assert "1 portal found" in view(h1, "/portals?label=eu")


def test_a_direct_sql_update_of_a_shown_column_shows_at_once(hosts, org):
    c, h1, _, pids = org
    warm(hosts, h1)
    hosts.sql("UPDATE portals SET connected_by_email = 'sql@example.test' WHERE id = %s", (pids[0],))
    assert "sql@example.test" in rows(view(h1))[pids[0]]
    # in a transaction with a savepoint rolled back after the change: still seen
    with hosts.db() as db:
        with db.transaction():
            db.execute("UPDATE portals SET hub_domain = 'sql.example.com' WHERE id = %s", (pids[1],))
            try:
                with db.transaction():
                    db.execute("UPDATE portals SET hub_domain = 'no.example.com' WHERE id = %s",
                               (pids[2],))
                    raise RuntimeError("roll back")
            except RuntimeError:
                pass
    page = rows(view(h1))
    assert "sql.example.com" in page[pids[1]] and "no.example.com" not in page[pids[2]]
    # the newest deployment's state, written straight into runs
    hosts.sql("INSERT INTO runs (org_id, portal_id, kind, state) VALUES (%s, %s, 'deploy', "
              "'running')", (hosts.org_id(c.org), pids[0]))
    warm(hosts, h1)
    running = rows(view(h1))[pids[0]]
    assert "Last deployment" in running
    hosts.sql("UPDATE runs SET state = 'failed' WHERE portal_id = %s AND kind = 'deploy'", (pids[0],))
    assert rows(view(h1))[pids[0]] != running


def test_an_import_or_audit_ending_keeps_the_held_pages(hosts, org):
    """A run's end numbers its event on the portal row (sql/0013), which no
    page shows (sql/0029): the organisation's counter stays, the next view
    is a hit.  A deployment's end is shown ("Last deployment") and moves it."""
    c, h1, _, pids = org
    oid = hosts.org_id(c.org)

    def counter():
        return hosts.sql("SELECT v FROM org_versions WHERE org_id = %s", (oid,))[0][0]
    page = warm(hosts, h1)
    v0 = counter()
    for kind in ("import", "audit"):
        hosts.sql("INSERT INTO runs (org_id, portal_id, kind, state, finished_at) VALUES "
                  "(%s, %s, %s, 'succeeded', now())", (oid, pids[1], kind))
    assert hosts.sql("SELECT count(*) FROM events WHERE portal_id = %s AND kind = "
                     "'run_finished'", (pids[1],))[0][0] >= 2
    assert counter() == v0
    h0 = metric(hosts, 1, "jetstack_page_cache_hits_total")
    assert rows(view(h1)) == rows(page)
    assert metric(hosts, 1, "jetstack_page_cache_hits_total") == h0 + 1
    hosts.sql("INSERT INTO runs (org_id, portal_id, kind, state, finished_at) VALUES "
              "(%s, %s, 'deploy', 'succeeded', now())", (oid, pids[1]))
    assert counter() > v0
    assert "Last deployment" in rows(view(h1))[pids[1]]


def test_the_worker_refresh_and_status_change_show_at_once(hosts, org):
    c, h1, _, pids = org
    before = warm(hosts, h1)
    hosts.sql("UPDATE portal_tokens SET access_expires_at = now() WHERE portal_id = %s", (pids[0],))
    hosts.sql("UPDATE portals SET last_refreshed_at = NULL WHERE id = %s", (pids[0],))
    warm(hosts, h1)
    hosts.worker_once()
    assert hosts.sql("SELECT last_refreshed_at IS NOT NULL FROM portals WHERE id = %s",
                     (pids[0],))[0][0]
    assert "Refreshed <time" in rows(view(h1))[pids[0]]
    # a status change decided by the worker
    warm(hosts, h1)
    hub = hosts.sql("SELECT hub_id FROM portals WHERE id = %s", (pids[1],))[0][0]
    hosts.make_yellow(hub, pids[1])
    assert 'data-status="needs_reconnection"' in view(h1).split('id="portal-%d"' % pids[1])[1][:40]
    assert before != view(h1)


def test_sign_out_and_role_changes_take_effect_on_the_next_request(hosts, org):
    c, h1, h2, pids = org
    viewer = hosts.client(c.org, role="owner")
    v1 = on(viewer, 1, hosts)
    assert "/portals/%d/remove" % pids[0] in warm(hosts, v1)
    # the admin tool makes them a viewer: the next page offers no Remove
    hosts.admin("user", "role", "--org", c.org, "--email", viewer.email, "--role", "viewer")
    page = view(v1)
    assert "/portals/%d/remove" % pids[0] not in page and "Removing needs the Owner" in page
    # signing out through the other program ends the session on this one
    warm(hosts, h1)
    r = h2.post("/logout", {"csrf": h2.csrf()})
    assert r.status_code == 303
    r = h1.get("/portals")
    assert r.status_code == 303 and "/login" in r.headers["Location"]
    # a disabled user (admin tool) is signed out
    warm(hosts, v1)
    hosts.admin("user", "disable", "--email", viewer.email)
    r = v1.get("/portals")
    assert r.status_code == 303 and "/login" in r.headers["Location"]


def test_another_organisations_view_is_never_served(hosts):
    a = hosts.client()
    b = hosts.client()
    pa = [hosts.connect_portal(a, admin=ADMIN)[1] for i in range(2)]
    pb = [hosts.connect_portal(b, admin=ADMIN)[1] for i in range(2)]
    a1, b1 = on(a, 1, hosts), on(b, 1, hosts)
    for path in ("/portals", "/portals?sort=status", "/portals?sort=last", "/portals?q=example",
                 "/portals?status=connected"):
        warm(hosts, a1, path)
        assert set(rows(view(b1, path))) == set(pb), path
        assert set(rows(warm(hosts, b1, path))) == set(pb), path
        assert set(rows(view(a1, path))) == set(pa), path


def test_each_viewers_time_zone_gets_its_own_rows(hosts, org):
    c, h1, _, pids = org
    other = hosts.client(c.org)
    o1 = on(other, 1, hosts)
    utc = warm(hosts, h1)
    hosts.sql("UPDATE users SET time_zone = 'Asia/Kolkata' WHERE email = %s", (other.email,))
    page = view(o1)
    assert "+05:30" in page and rows(page) != rows(utc)
    # the organisation's zone changes: the first user's rows move with it
    warm(hosts, h1)
    hosts.sql("UPDATE organisations SET time_zone = 'America/New_York' WHERE name = %s", (c.org,))
    page = view(h1)
    assert re.search(r'datetime="[^"]*-0[45]:00"', page), page[:300]
    assert "+05:30" in view(o1)


def test_never_stale_while_other_requests_fill_the_cache(hosts, org):
    """Eight threads keep asking program 1 for the page (so misses store
    rows while changes commit) while a ninth renames a portal by SQL 40
    times; after each commit the very next request of the checker shows
    the new name, and so does every request the threads send after it."""
    import threading
    c, h1, _, pids = org
    stop = threading.Event()
    seen_after = []  # (name committed before the request began, page row)
    committed = {"name": None}
    lock = threading.Lock()

    def hammer():
        x = on(c, 1, hosts)
        x.s = type(c.s)()
        x.s.cookies.update(c.s.cookies)
        while not stop.is_set():
            with lock:
                before = committed["name"]
            r = x.get("/portals")
            if r.status_code == 200 and before is not None:
                seen_after.append((before, rows(r.text).get(pids[0], "")))

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    try:
        for i in range(40):
            name = "Stress %02d" % i
            hosts.sql("UPDATE portals SET name = %s WHERE id = %s", (name, pids[0]))
            with lock:
                committed["name"] = name
            assert name in rows(view(h1))[pids[0]], i
    finally:
        stop.set()
        for t in threads:
            t.join()
    # a request that began after a rename's commit never showed an older name
    order = ["Stress %02d" % i for i in range(40)]
    for before, row in seen_after:
        shown = re.search(r">(Stress \d\d)</a>", row)
        assert shown and order.index(shown.group(1)) >= order.index(before), (before, row[:120])
    assert len(seen_after) > 40
    assert metric(hosts, 1, "jetstack_page_cache_hits_total") > 0
