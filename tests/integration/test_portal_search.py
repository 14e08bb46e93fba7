"""Client Accounts at scale: one search box over display name, domain, Hub
ID and labels (a substring from 3 characters, a prefix below), combinable
with the status filter and a label, paged with a cursor, counted to 1,000;
labels added and removed by owners and admins only."""
import re

import pytest

from jsclient import csrf_of

ALL_SCOPES = "oauth settings.users.read automation forms tickets crm.objects.contacts.read " + " ".join(
    "crm.schemas.%s.%s" % (o, rw) for o in ("contacts", "companies", "deals") for rw in ("read", "write"))


@pytest.fixture(scope="module")
def org(stack):
    """130 portals: 'Client 000'..'Client 129' (hub 61000000 + i), every third
    Needs Reconnection, every fifth labelled 'EU', portal 7 also 'retainer'."""
    c = stack.client()
    oid = stack.org_id(c.org)
    with stack.db() as con:
        for i in range(130):
            status = "needs_reconnection" if i % 3 == 0 else "connected"
            pid = con.execute(
                "INSERT INTO portals (org_id, hub_id, hub_domain, name, connection_type, status, granted_scopes) "
                "VALUES (%s, %s, %s, %s, 'config_only', %s, %s) RETURNING id",
                (oid, 61000000 + i, "client%03d.example.com" % i, "Client %03d" % i, status, ALL_SCOPES)).fetchone()[0]
            if i % 5 == 0:
                con.execute("INSERT INTO portal_labels (portal_id, org_id, label) VALUES (%s, %s, 'EU')", (pid, oid))
            if i == 7:
                con.execute("INSERT INTO portal_labels (portal_id, org_id, label) VALUES (%s, %s, 'retainer')",
                            (pid, oid))
    ids = dict(stack.sql("SELECT name, id FROM portals WHERE org_id = %s", (oid,)))
    return c, ids


def names(page):
    return re.findall(r'<tr id="portal-\d+"[^>]*><td><a href="/portals/\d+">([^<]+)</a>', page)


def walk(c, url):
    out = []
    for _ in range(10):
        page = c.get(url).text
        out += names(page)
        nxt = re.search(r'<a href="(/portals\?[^"]*after=\d+)"', page)
        if not nxt:
            return out, page
        url = nxt.group(1).replace("&amp;", "&")
    raise AssertionError("too many pages")


def test_search_each_field_prefix_and_substring(org):
    c, ids = org
    got, page = walk(c, "/portals?q=lient%2012")  # a substring of the name
    assert got == ["Client %03d" % i for i in range(120, 130)], got
    assert "10 portals found" in page
    got, _ = walk(c, "/portals?q=client007.example")  # the domain
    assert got == ["Client 007"]
    got, _ = walk(c, "/portals?q=61000042")  # the Hub ID
    assert got == ["Client 042"]
    got, _ = walk(c, "/portals?q=retain")  # a label
    assert got == ["Client 007"]
    got, _ = walk(c, "/portals?q=Cl")  # under 3 characters: a prefix
    assert len(got) == 130
    got, _ = walk(c, "/portals?q=nt")  # ... so not a substring
    assert got == []
    assert "0 portals found" in c.get("/portals?q=nt").text


def test_search_across_pages_with_filters_and_labels(org):
    c, ids = org
    got, page = walk(c, "/portals?q=client")  # 130: three pages, in name order
    assert got == ["Client %03d" % i for i in range(130)]
    got, _ = walk(c, "/portals?q=client&status=needs_reconnection")
    assert got == ["Client %03d" % i for i in range(0, 130, 3)]
    got, page = walk(c, "/portals?label=EU")
    assert got == ["Client %03d" % i for i in range(0, 130, 5)]
    assert "26 portals found" in page
    got, _ = walk(c, "/portals?label=EU&status=needs_reconnection")
    assert got == ["Client %03d" % i for i in range(0, 130, 15)]
    row = c.get("/portals?q=Client%20010").text
    assert '<small class="labels"><span class="sr-only">Labels: </span>EU</small>' in row
    assert c.get("/portals?label=" + "x" * 41).status_code == 400


def test_labels_added_and_removed_by_owners_and_admins(org, stack):
    c, ids = org
    pid = ids["Client 001"]
    r = c.post("/portals/%d/labels" % pid, {"csrf": c.csrf("/portals/%d" % pid), "label": "VIP", "action": "add"})
    assert r.status_code == 303
    assert "VIP" in c.get("/portals/%d" % pid).text
    assert walk(c, "/portals?label=VIP")[0] == ["Client 001"]
    r = c.post("/portals/%d/labels" % pid, {"csrf": c.csrf("/portals/%d" % pid), "label": "VIP", "action": "remove"})
    assert r.status_code == 303
    assert walk(c, "/portals?label=VIP")[0] == []
    viewer = stack.client(org=c.org, role="member")
    page = viewer.get("/portals/%d" % pid).text
    assert 'id="label-form"' not in page
    assert viewer.post("/portals/%d/labels" % pid, {"csrf": csrf_of(page), "label": "X", "action": "add"}).status_code == 403
    other = stack.client()
    assert other.post("/portals/%d/labels" % pid, {"csrf": other.csrf(), "label": "X", "action": "add"}).status_code == 404


def test_counts_stop_at_a_thousand(stack):
    c = stack.client()
    oid = stack.org_id(c.org)
    with stack.db() as con:
        with con.cursor() as cur:
            cur.executemany("INSERT INTO portals (org_id, hub_id, hub_domain, name, connection_type, status, "
                            "granted_scopes) VALUES (%s, %s, %s, %s, 'config_only', 'connected', %s)",
                            [(oid, 62000000 + i, "big%d.example.com" % i, "Big %04d" % i, ALL_SCOPES)
                             for i in range(1001)])
    page = c.get("/portals?q=big").text
    assert "1,000+ portals found" in page and len(names(page)) == 50
    assert "1 portal found" in c.get("/portals?q=Big%200999").text
    # past 1,000 found the page walks the name order (not the found few):
    # the next page and the last page continue it
    nxt = link(page, "next-page")
    assert nxt, page
    assert names(c.get(nxt).text) == ["Big %04d" % i for i in range(50, 100)]
    last = c.get(link(page, "last-page")).text
    assert names(last) == ["Big %04d" % i for i in range(951, 1001)]
    assert "1,000+ portals found" in last
    # 1,000 found exactly: read from the found ones, the same rows
    with stack.db() as con:
        con.execute("UPDATE portals SET removed_at = now() WHERE org_id = %s AND name = 'Big 1000'", (oid,))
    page = c.get("/portals?q=big").text
    assert "1,000 portals found" in page
    assert names(c.get(link(page, "last-page")).text) == ["Big %04d" % i for i in range(950, 1000)]
    # a label alone is counted exactly, from its rows, which follow their
    # portal's status and removal (sql/0028)
    with stack.db() as con:
        con.execute("INSERT INTO portal_labels (portal_id, org_id, label) SELECT id, org_id, 'bulk' "
                    "FROM portals WHERE org_id = %s AND name LIKE 'Big %%'", (oid,))
        con.execute("UPDATE portals SET status = 'needs_reconnection' WHERE org_id = %s AND name IN "
                    "('Big 0001', 'Big 0002', 'Big 0003')", (oid,))
    assert "1,000 portals found" in c.get("/portals?label=bulk").text
    needs = "/portals?label=bulk&status=needs_reconnection"
    page = c.get(needs).text
    assert "3 portals found" in page and names(page) == ["Big 0001", "Big 0002", "Big 0003"]
    with stack.db() as con:
        con.execute("UPDATE portals SET status = 'connected' WHERE org_id = %s AND name = 'Big 0002'", (oid,))
        con.execute("UPDATE portals SET removed_at = NULL WHERE org_id = %s AND name = 'Big 1000'", (oid,))
        con.execute("UPDATE portals SET removed_at = now() WHERE org_id = %s AND name = 'Big 0003'", (oid,))
    assert "1 portal found" in c.get(needs).text
    assert "1,000 portals found" in c.get("/portals?label=bulk").text
    with stack.db() as con:
        con.execute("UPDATE portals SET removed_at = NULL WHERE org_id = %s AND name = 'Big 0003'", (oid,))
    assert "1,001 portals found" in c.get("/portals?label=bulk").text
    assert "2 portals found" in c.get(needs).text


def test_search_text_follows_names_labels_and_wildcards(stack):
    """The search reads a text kept by triggers (sql/0026): it follows a
    rename and labels at once, never matches across two fields, and takes
    %, _ and \\ as themselves."""
    c = stack.client()
    oid = stack.org_id(c.org)
    with stack.db() as con:
        for i, name in enumerate(["Rate 100% Dental", "Rate 1000 Dental", "snake_case co", "snakeXcase co",
                                  "back\\slash"]):
            con.execute("INSERT INTO portals (org_id, hub_id, hub_domain, name, connection_type, status, "
                        "granted_scopes) VALUES (%s, %s, %s, %s, 'config_only', 'connected', %s)",
                        (oid, 64000000 + i, "w%d.example.com" % i, name, ALL_SCOPES))
    assert walk(c, "/portals?q=100%25")[0] == ["Rate 100% Dental"]
    assert walk(c, "/portals?q=e_c")[0] == ["snake_case co"]
    assert walk(c, "/portals?q=k%5Cs")[0] == ["back\\slash"]
    # name, domain and Hub ID are separate fields: no match across them
    assert walk(c, "/portals?q=dental%20w0")[0] == []
    pid = stack.sql("SELECT id FROM portals WHERE org_id = %s AND hub_id = 64000001", (oid,))[0][0]
    r = c.post("/portals/%d/name" % pid, {"csrf": c.csrf("/portals/%d" % pid), "name": "Quokka Farms"})
    assert r.status_code == 303, r.text
    assert walk(c, "/portals?q=quokka")[0] == ["Quokka Farms"]
    assert walk(c, "/portals?q=1000%20dental")[0] == []
    c.post("/portals/%d/labels" % pid, {"csrf": c.csrf("/portals/%d" % pid), "label": "Wombat", "action": "add"})
    assert walk(c, "/portals?q=ombat")[0] == ["Quokka Farms"]
    c.post("/portals/%d/labels" % pid, {"csrf": c.csrf("/portals/%d" % pid), "label": "Wombat",
                                       "action": "remove"})
    assert walk(c, "/portals?q=ombat")[0] == []
    with stack.db() as con:  # a removed portal is not found
        con.execute("UPDATE portals SET removed_at = now() WHERE id = %s", (pid,))
    assert walk(c, "/portals?q=quokka")[0] == []


def test_name_order_is_natural(stack):
    c = stack.client()
    oid = stack.org_id(c.org)
    with stack.db() as con:
        for i, name in enumerate(["client-1040", "client-105", "Client-2", "client-20", "client-3a"]):
            con.execute("INSERT INTO portals (org_id, hub_id, hub_domain, name, connection_type, status, "
                        "granted_scopes) VALUES (%s, %s, %s, %s, 'config_only', 'connected', %s)",
                        (oid, 63000000 + i, "n%d.example.com" % i, name, ALL_SCOPES))
    assert names(c.get("/portals?sort=name").text) == ["Client-2", "client-3a", "client-20", "client-105",
                                                        "client-1040"]
    # and a search pages in the same order
    assert walk(c, "/portals?q=client")[0] == ["Client-2", "client-3a", "client-20", "client-105", "client-1040"]


def link(page, ident):
    m = re.search(r'<a href="([^"]+)" id="%s"' % ident, page)
    return m.group(1).replace("&amp;", "&") if m else None


@pytest.mark.parametrize("start", ["/portals?sort=name", "/portals?sort=status", "/portals?sort=last",
                                   "/portals?sort=name&status=needs_reconnection", "/portals?q=client",
                                   "/portals?q=client&label=EU"])
def test_previous_and_last_pages_walk_back_the_same_rows(org, start):
    """First, next, previous and last: walking forward then backward gives the
    same pages; the last page is the forward walk's last page."""
    c, _ = org
    forward, url = [], start
    for _ in range(10):
        page = c.get(url).text
        forward.append(names(page))
        assert (link(page, "prev-page") is None) == (len(forward) == 1)
        url = link(page, "next-page")
        if url is None:
            assert link(page, "last-page") is None
            break
    else:
        raise AssertionError("too many pages")
    # the last page, from the first
    first = c.get(start).text
    if len(forward) == 1:
        assert link(first, "last-page") is None
        return
    last = c.get(link(first, "last-page")).text
    everything = [n for p in forward for n in p]
    # keyset pages: the last page is the last 50 rows (not aligned with the
    # forward walk), ending where the forward walk ends
    assert names(last) == everything[-50:]
    assert link(last, "next-page") is None and link(last, "last-page") is None
    # and back to the start with "Previous page": every row once, in order
    backward, page = [names(last)], last
    while link(page, "prev-page"):
        page = c.get(link(page, "prev-page")).text
        backward.append(names(page))
    assert [n for p in backward[::-1] for n in p] == everything
    assert link(page, "first-page") is None
    # a page reached backwards links forward to the very next rows
    second = c.get(link(last, "prev-page")).text
    after = names(c.get(link(second, "next-page")).text)
    k = everything.index(names(second)[-1])
    assert after == everything[k + 1:k + 51]


def test_a_foreign_or_stale_cursor_answers_an_empty_page_with_a_way_back(org, stack):
    c, ids = org
    other = stack.client()
    other_hub, _, _ = stack.connect_portal(other, "config_only")
    page = other.get("/portals?sort=name&before=%d" % ids["Client 100"]).text
    assert names(page) == [] and link(page, "first-page")
    assert "Client 0" not in page
    assert c.get("/portals?last=2").status_code == 400
    assert c.get("/portals?before=0").status_code == 400
