"""Times for people (DESIGN §11): relative words beside the absolute time in
the user's zone (else the organisation's), in a <time> element, converted by
PostgreSQL per instant (so a July time in New York says -04:00 and a December
one -05:00)."""
import re


def row_of(page, pid):
    m = re.search(r'<tr id="portal-%d".*?</tr>' % pid, page, re.S)
    assert m, page[-2000:]
    return m.group(0)


def set_tz(c, tz):
    r = c.post("/settings/notifications",
               {"csrf": c.csrf("/settings/notifications"), "notify": "off", "time_zone": tz})
    assert r.status_code == 303, r.text[-400:]


def test_rows_and_portal_page_show_times_in_the_users_zone(stack):
    c = stack.client()
    hub, pid, _ = stack.connect_portal(c, "config_only")
    # connected three days ago, in July (daylight saving time in New York)
    stack.sql("UPDATE portals SET last_connected_at = now() - interval '3 days', "
              "first_connected_at = '2026-07-04 16:00:00+00' WHERE id = %s", (pid,))
    set_tz(c, "America/New_York")
    row = row_of(c.get("/portals").text, pid)
    m = re.search(r'<time datetime="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)([+-]\d\d:\d\d)" '
                  r'title="([^"]+)">3 days ago</time>', row)
    assert m, row
    assert m.group(2) in ("-05:00", "-04:00") and "(UTC%s)" % m.group(2) in m.group(3)
    # the refresh time is there and relative
    assert re.search(r'Refreshed <time datetime="[^"]+-0[45]:00" title="[^"]+">[^<]+</time>', row), row
    page = c.get("/portals/%d" % pid).text
    # the portal's activity too: the connection's entry, in the user's zone
    entry = re.search(r'<tr class="activity-connected"><td>(.*?)</td>', page, re.S).group(1)
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-0[45]:00" title="[^"]+\(UTC-0[45]:00\)">'
                     r'(just now|\d+ minutes? ago)</time>', entry), entry
    # First connected: July 4 16:00 UTC is 12:00 EDT (-04:00), whatever today's offset is
    assert '<time datetime="2026-07-04T12:00:00-04:00">' in page, page
    assert "2026-07-04 12:00 (UTC-04:00)" in page

    # without a zone of their own, the organisation's
    set_tz(c, "")
    stack.sql("UPDATE organisations SET time_zone = 'Asia/Kolkata' WHERE name = %s", (c.org,))
    page = c.get("/portals/%d" % pid).text
    assert '<time datetime="2026-07-04T21:30:00+05:30">' in page, page
    row = row_of(c.get("/portals").text, pid)
    assert "+05:30" in row and "(UTC+05:30)" in row


def test_a_portal_that_is_not_connected_shows_no_token_times(stack):
    c = stack.client()
    hub, pid, _ = stack.connect_portal(c, "config_only")
    stack.make_yellow(hub, pid)
    row = row_of(c.get("/portals").text, pid)
    assert "Refreshed" not in row and "Next check" not in row
    page = c.get("/portals/%d" % pid).text
    assert "Token last refreshed" not in page and "Next check" not in page


def test_owners_and_admins_set_the_organisations_zone(stack):
    c = stack.client()
    hub, pid, _ = stack.connect_portal(c, "config_only")
    stack.sql("UPDATE portals SET first_connected_at = '2026-07-04 16:00:00+00' WHERE id = %s", (pid,))
    page = c.get("/settings/notifications").text
    assert 'id="org-tz-form"' in page
    r = c.post("/settings/organisation", {"csrf": c.csrf("/settings/notifications"), "time_zone": "Europe/Paris"})
    assert r.status_code == 303
    assert '<time datetime="2026-07-04T18:00:00+02:00">' in c.get("/portals/%d" % pid).text
    assert stack.sql("SELECT kind FROM activity WHERE org_id = (SELECT org_id FROM portals WHERE id = %s) "
                     "AND portal_id IS NULL ORDER BY id DESC LIMIT 1", (pid,)) == [("org_time_zone_changed",)]
    # an unknown zone changes nothing; members cannot set it
    r = c.post("/settings/organisation", {"csrf": c.csrf("/settings/notifications"), "time_zone": "Mars/Olympus"})
    assert r.status_code == 400
    m = stack.client(org=c.org, role="member")
    assert 'id="org-tz-form"' not in m.get("/settings/notifications").text
    r = m.post("/settings/organisation", {"csrf": m.csrf("/settings/notifications"), "time_zone": "UTC"})
    assert r.status_code == 403
    assert '2026-07-04T18:00:00+02:00' in c.get("/portals/%d" % pid).text
