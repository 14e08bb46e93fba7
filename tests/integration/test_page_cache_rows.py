"""The Client Accounts rows held rendered (issue 19 item 3): a page cache hit
writes the rows the process holds rendered, with the relative times of the
request's own clock and the buttons of the viewer's role; nothing of one
viewer's request is held for another."""
import re
import time

from jsclient import Client

ADMIN = "alex@agency.test"


def hits(stack):
    text = Client(stack.base).get("/metrics").text
    return int(re.search(r"^jetstack_page_cache_hits_total (\d+)$", text, re.M).group(1))


def row(page, pid):
    m = re.search(r'<tr id="portal-%d"[^>]*>(.*?)</tr>' % pid, page, re.S)
    assert m, page[:500]
    return m.group(1)


def refreshed(page, pid):
    m = re.search(r'Refreshed <time [^>]*>([^<]*)</time>', row(page, pid))
    assert m, row(page, pid)
    return m.group(1)


def test_relative_times_move_on_while_the_rows_are_held(stack):
    c = stack.client()
    _, pid, _ = stack.connect_portal(c, admin=ADMIN)
    # refreshed 45 seconds ago: "just now" until it is a minute old
    stack.sql("UPDATE portals SET last_refreshed_at = now() - interval '45 seconds' "
              "WHERE id = %s", (pid,))
    assert refreshed(c.get("/portals").text, pid) == "just now"  # read and held
    h = hits(stack)
    assert refreshed(c.get("/portals").text, pid) == "just now"
    assert hits(stack) == h + 1
    time.sleep(16)
    # nothing changed, so the held rows are served, with this request's words
    assert refreshed(c.get("/portals").text, pid) == "1 minute ago"
    assert hits(stack) == h + 2


def test_each_role_gets_its_own_buttons_from_the_held_rows(stack):
    owner = stack.client()
    _, pid, _ = stack.connect_portal(owner, admin=ADMIN)
    member = stack.client(owner.org, role="member")
    viewer = stack.client(owner.org, role="viewer")
    remove = 'href="/portals/%d/remove"' % pid
    audit = 'formaction="/portals/%d/audits"' % pid
    for _ in range(2):
        r = row(owner.get("/portals").text, pid)
        assert remove in r and audit in r
    h = hits(stack)
    r = row(member.get("/portals").text, pid)
    assert remove not in r and audit in r and "Removing needs the Owner" in r
    r = row(viewer.get("/portals").text, pid)
    assert remove not in r and audit not in r and "Removing needs the Owner" in r
    r = row(owner.get("/portals").text, pid)
    assert remove in r and audit in r
    # every one of them a hit: the same page, rendered for each role
    assert hits(stack) == h + 3
    page = viewer.get("/portals").text
    assert owner.csrf() not in page
