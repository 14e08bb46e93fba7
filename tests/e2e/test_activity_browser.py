"""The activity log in a real browser: a viewer (every role reads it) opens
Activity from the sidebar and sees the organisation's entries newest first --
a portal connected through the real flow, a removed portal's entries still
named, the organisation's own (a webhook endpoint added) -- with times in
their zone (Europe/Berlin) as relative words beside the absolute time;
filters by kind and date range with the form, pages with Older entries and
Newest, and the Download CSV link carries the filters; axe-core finds no
serious or critical issue; at 390 pixels the table is stacked rows with
no sideways scrolling.  Screenshots go to
tests/output/activity-*.png."""
import csv
import io
from urllib.parse import parse_qs, urlsplit

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from test_browser import browser, csp_violations, sign_in, wait_id, wait_path  # noqa: F401
from test_scale_browser import axe_problems

TZ = "Europe/Berlin"


def fits_the_window(d):
    return d.execute_script("return document.documentElement.scrollWidth <= "
                            "document.documentElement.clientWidth")


def entry_ids(d):
    return [int(r.get_attribute("id")[len("entry-"):])
            for r in d.find_elements(By.CSS_SELECTOR, "#activity-log tbody tr[id^='entry-']")]


def test_activity_log_in_the_browser(stack, browser, output_dir):
    owner = stack.client()
    org = stack.org_id(owner.org)
    hub, pid, _ = stack.connect_portal(owner, "config_only", name="Acme Ltd")
    (name,), = stack.sql("SELECT name FROM portals WHERE id = %s", (pid,))
    # the organisation's own entry, the real way
    r = owner.post("/integrations", {"csrf": owner.csrf("/integrations"), "url": "http://127.0.0.1:9/hooks",
                                     "kinds[]": ["portal.status_changed"]})
    assert r.status_code == 200
    (gone,), = stack.sql("INSERT INTO portals (org_id, hub_id, name, connection_type, status, removed_at) "
                         "VALUES (%s, %s, 'Old Client', 'config_only', 'disconnected', now()) RETURNING id",
                         (org, hub + 500000))
    # two days of history in Berlin (CET, +01:00), enough for two pages
    stack.sql("INSERT INTO activity (org_id, portal_id, kind, message, correlation_id, created_at) "
              "SELECT %s, CASE WHEN g %% 2 = 0 THEN %s ELSE %s END, "
              "CASE WHEN g %% 3 = 0 THEN 'import_finished' ELSE 'renamed' END, "
              "'History entry ' || g, 'corr-' || g, "
              "timestamptz '2026-11-02 08:00+01' + make_interval(mins => 45 * g) FROM generate_series(1, 70) g",
              (org, pid, gone))
    email, password = stack.new_user(owner.org, "viewer")
    stack.sql("UPDATE users SET time_zone = %s WHERE lower(email) = lower(%s)", (TZ, email))

    d = browser
    sign_in(d, stack, email, password)
    d.find_element(By.ID, "nav-activity").click()
    wait_path(d, "/activity")
    wait_id(d, "activity-log")
    assert d.find_element(By.ID, "nav-activity").get_attribute("aria-current") == "page"
    rows = d.find_elements(By.CSS_SELECTOR, "#activity-log tbody tr[id^='entry-']")
    assert len(rows) == 50
    # newest first: the webhook (organisation) and the connection (Acme)
    text = d.find_element(By.ID, "activity-log").text
    assert "Organisation" in text and "Webhook endpoint http://127.0.0.1:9/hooks added" in text
    assert name in text and "Hub ID %d" % hub in text
    first_time = d.find_element(By.CSS_SELECTOR, "#activity-log time")
    assert first_time.get_attribute("datetime").endswith("+01:00")
    assert first_time.text.endswith("ago") or first_time.text == "just now"
    assert "(UTC+01:00)" in first_time.get_attribute("title")
    assert fits_the_window(d)
    assert axe_problems(d) == []  # no serious or critical accessibility issue
    d.save_screenshot(output_dir + "/activity-log.png")

    # older entries, then back to the newest
    first_page = entry_ids(d)
    d.find_element(By.ID, "activity-older").click()
    wait_id(d, "activity-newest")
    second_page = entry_ids(d)
    assert second_page and not set(first_page) & set(second_page)
    assert "Old Client" in d.find_element(By.ID, "activity-log").text  # removed, still named
    assert d.find_elements(By.CSS_SELECTOR, "#activity-log small.removed")
    d.find_element(By.ID, "activity-newest").click()
    wait_id(d, "activity-log")
    assert entry_ids(d) == first_page

    # filter: one kind, one Berlin day (the date inputs set as a person would pick them)
    Select(d.find_element(By.ID, "f-kind")).select_by_value("import_finished")
    d.execute_script("document.getElementById('f-from').value = '2026-11-03';"
                     "document.getElementById('f-to').value = '2026-11-03';")
    d.find_element(By.ID, "activity-apply").click()
    wait_id(d, "activity-clear")
    q = parse_qs(urlsplit(d.current_url).query)
    assert q["kind"] == ["import_finished"] and q["from"] == ["2026-11-03"] and q["to"] == ["2026-11-03"]
    want = [i for (i,) in stack.sql(
        "SELECT id FROM activity WHERE org_id = %s AND kind = 'import_finished' AND created_at >= "
        "'2026-11-03 00:00+01' AND created_at < '2026-11-04 00:00+01' ORDER BY created_at DESC, id DESC", (org,))]
    assert want and entry_ids(d) == want
    for t in d.find_elements(By.CSS_SELECTOR, "#activity-log time"):
        assert t.get_attribute("datetime").startswith("2026-11-03T")
    d.save_screenshot(output_dir + "/activity-filtered.png")

    # the CSV link carries the filters; fetched with the browser's session
    link = d.find_element(By.ID, "activity-csv")
    href = link.get_attribute("href")
    assert parse_qs(urlsplit(href).query) == q
    jar = {c["name"]: c["value"] for c in d.get_cookies()}
    r = requests.get(href, cookies=jar, timeout=30)
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(r.text, newline="")))
    assert len(rows) == len(want) + 1 and all(row[5] == "import_finished" for row in rows[1:])
    assert all(row[0].startswith("2026-11-03T") and row[0].endswith("+01:00") for row in rows[1:])
    assert csp_violations(d) == []
    # a phone: no sideways scrolling, the filters and rows still usable
    d.set_window_size(390, 844)
    d.get(stack.base + "/activity")
    wait_id(d, "activity-log")
    assert fits_the_window(d)
    assert axe_problems(d) == []
    d.save_screenshot(output_dir + "/activity-log-390.png")
