"""Times for people (DESIGN §11): relative words beside the absolute time in
the user's zone (else the organisation's), in a <time> element, converted by
PostgreSQL per instant (so a July time in New York says -04:00 and a December
one -05:00)."""
import re

from jsclient import Client
from test_deployments import RUN_ENV, asset_ids, deploy, set_schema, tier
from test_reconnect_links import create_link


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


# Fixed instants, so that what each page shows can be asserted exactly: New
# York is at -05:00 in January and -04:00 in July.
WINTER, WINTER_ISO, WINTER_TEXT = ("2026-01-15 17:30:00+00", "2026-01-15T12:30:00-05:00",
                                   "2026-01-15 12:30 (UTC-05:00)")
SUMMER, SUMMER_ISO, SUMMER_TEXT = ("2026-07-04 16:00:00+00", "2026-07-04T12:00:00-04:00",
                                   "2026-07-04 12:00 (UTC-04:00)")


def shows(page, iso, text):
    """page has the time in a <time datetime> with its absolute text in the
    title, relative words inside, and the absolute text beside it."""
    m = re.search(r'<time datetime="%s" title="%s">([^<]+)</time>' % (re.escape(iso), re.escape(text)),
                  page)
    assert m, (iso, page[-3000:])
    assert re.fullmatch(r"just now|(in )?\d+ (minute|hour|day|week|month|year)s?( ago)?", m.group(1)), m.group(1)
    assert page.count(text) >= 2, (text, page[-3000:])  # the title and beside it
    says_no_utc(page)


def says_no_utc(page):
    """Every "UTC" a page says is an offset's: "(UTC-05:00)"."""
    bare = [page[max(0, m.start() - 60):m.end() + 20]
            for m in re.finditer(r"UTC(?![+-]\d\d:\d\d)", page)]
    assert not bare, bare


def test_run_asset_deploy_audit_webhook_link_and_settings_pages_show_local_times(stack):
    c = stack.client()
    org = stack.org_id(c.org)
    user = stack.sql("SELECT id FROM users WHERE email = %s", (c.email,))[0][0]
    # the organisation is in Paris, the user in New York: pages for the user
    # show New York's times, the reconnect link's page (no session) Paris's
    stack.sql("UPDATE organisations SET time_zone = 'Europe/Paris' WHERE id = %s", (org,))
    set_tz(c, "America/New_York")

    # an import (through the worker), a deployment and an audit
    hub, src, _ = stack.connect_portal(c, "config_only")
    set_schema(stack, hub, [tier()])
    r = c.post("/portals/%d/imports" % src, {"csrf": c.csrf("/portals/%d" % src)})
    assert r.status_code == 303
    imp = int(r.headers["Location"].rsplit("/", 1)[1])
    stack.worker_once(env=RUN_ENV)
    thub, target, _ = stack.connect_portal(c, "config_audit")
    asset = asset_ids(stack, hub, ["contract_tier"])[0]
    dep = deploy(c, [target], ids=[asset])
    r = c.post("/portals/%d/audits" % target, {"csrf": c.csrf("/portals/%d" % target)})
    assert r.status_code == 303, r.text[-500:]
    aud = int(r.headers["Location"].rsplit("/", 1)[1])
    stack.worker_once(env=RUN_ENV)
    stack.sql("UPDATE runs SET created_at = %s, finished_at = %s WHERE id IN (%s, %s, %s)",
              (WINTER, SUMMER, imp, dep, aud))
    assert stack.sql("SELECT count(*) FROM runs WHERE id IN (%s, %s, %s) AND state <> 'succeeded'",
                     (imp, dep, aud)) == [(0,)]

    for path in ("/runs/%d" % imp, "/runs/%d" % dep, "/audits/%d" % aud):
        page = c.get(path).text
        shows(page, WINTER_ISO, WINTER_TEXT)  # queued
        shows(page, SUMMER_ISO, SUMMER_TEXT)  # finished
    for path, row in (("/portals/%d" % src, "run-row-%d" % imp), ("/portals/%d" % target, "deploy-row-%d" % dep),
                      ("/portals/%d" % target, "audit-row-%d" % aud), ("/deployments", "deploy-row-%d" % dep),
                      ("/audits", "audit-row-%d" % aud)):
        page = c.get(path).text
        says_no_utc(page)
        shows(re.search(r'<tr id="%s">.*?</tr>' % row, page, re.S).group(0), WINTER_ISO, WINTER_TEXT)

    # the library and an asset with its versions
    stack.sql("UPDATE assets SET last_imported_at = %s WHERE id = %s", (WINTER, asset))
    stack.sql("UPDATE asset_versions SET created_at = %s WHERE asset_id = %s", (SUMMER, asset))
    page = c.get("/assets").text
    shows(re.search(r'<tr id="asset-%d">.*?</tr>' % asset, page, re.S).group(0), WINTER_ISO, WINTER_TEXT)
    says_no_utc(page)
    page = c.get("/assets/%d" % asset).text
    shows(page, WINTER_ISO, WINTER_TEXT)  # last imported
    shows(re.search(r'<article class="version" id="version-1".*?</article>', page, re.S).group(0),
          SUMMER_ISO, SUMMER_TEXT)

    # a webhook endpoint (disabled: nothing goes out) with a delivery
    eid = stack.sql("INSERT INTO webhook_endpoints (org_id, url, kinds, secret_key_id, secret_enc, "
                    "created_by, created_at, last_success_at, disabled_at, disabled_reason) VALUES "
                    "(%s, 'https://hooks.example.test/in', '{run.finished}', 1, '\\x00', %s, %s, %s, now(), "
                    "'Disabled for the test.') RETURNING id", (org, user, WINTER, SUMMER))[0][0]
    did = stack.sql("INSERT INTO webhook_deliveries (endpoint_id, msg_id, kind, payload, state, attempts) "
                    "VALUES (%s, 'msg_times', 'run.finished', '{}', 'delivered', 1) RETURNING id", (eid,))[0][0]
    att = stack.sql("INSERT INTO webhook_attempts (delivery_id, endpoint_id, at, status, latency_ms) "
                    "VALUES (%s, %s, %s, 204, 12) RETURNING id", (did, eid, SUMMER))[0][0]
    page = c.get("/integrations").text
    shows(re.search(r'<tr id="endpoint-%d">.*?</tr>' % eid, page, re.S).group(0), WINTER_ISO, WINTER_TEXT)
    says_no_utc(page)
    page = c.get("/integrations/%d" % eid).text
    assert "When (UTC)" not in page
    shows(page, WINTER_ISO, WINTER_TEXT)  # added
    shows(re.search(r'<tr id="attempt-%d">.*?</tr>' % att, page, re.S).group(0), SUMMER_ISO, SUMMER_TEXT)

    # a reconnect link: on the portal page in the user's zone, on the
    # link's own page (no session) in the organisation's
    path = create_link(stack, c, target)
    stack.sql("UPDATE reconnect_links SET expires_at = '2027-01-15 17:30:00+00' WHERE portal_id = %s", (target,))
    page = c.get("/portals/%d" % target).text
    link = re.search(r'<tr id="link-\d+">.*?</tr>', page, re.S).group(0)
    shows(link, "2027-01-15T12:30:00-05:00", "2027-01-15 12:30 (UTC-05:00)")
    assert re.search(r'>in (1 month|\d+ weeks)</time>', link), link
    page = Client(stack.base).get(path).text
    shows(page, "2027-01-15T18:30:00+01:00", "2027-01-15 18:30 (UTC+01:00)")

    # the notification settings' last delivery problem, and Needs attention
    stack.sql("UPDATE memberships SET mail_problem = 'The mail server refused the address.', "
              "mail_problem_at = %s WHERE org_id = %s AND user_id = %s", (WINTER, org, user))
    shows(c.get("/settings/notifications").text, WINTER_ISO, WINTER_TEXT)
    stack.sql("UPDATE portals SET status = 'needs_reconnection', status_reason_code = 'refresh_rejected', "
              "status_reason = 'HubSpot no longer accepts this portal''s sign-in.', status_changed_at = %s "
              "WHERE id = %s", (SUMMER, src))
    page = c.get("/attention").text
    shows(re.search(r'<tr id="attention-%d">.*?</tr>' % src, page, re.S).group(0), SUMMER_ISO, SUMMER_TEXT)


def test_a_disconnect_reason_names_who_and_the_status_time_says_when(stack):
    c = stack.client()
    hub, pid, _ = stack.connect_portal(c, "config_only")
    set_tz(c, "America/New_York")
    r = c.post("/portals/%d/disconnect" % pid, {"csrf": c.csrf("/portals/%d/disconnect" % pid), "confirm": "yes"})
    assert r.status_code == 303, r.text[-500:]
    reason = stack.sql("SELECT status_reason FROM portals WHERE id = %s", (pid,))[0][0]
    assert reason.startswith("Disconnected in JetStack AI by %s;" % c.email), reason
    row = row_of(c.get("/portals").text, pid)
    assert c.email in row
    says_no_utc(row)
    page = c.get("/portals/%d" % pid).text
    says_no_utc(page)
    since = re.search(r"<dt>Status since</dt><dd>(.*?)</dd>", page, re.S).group(1)
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-0[45]:00">(just now|1 minute ago)</time> '
                     r'<small>\d{4}-\d\d-\d\d \d\d:\d\d \(UTC-0[45]:00\)</small>', since), since
