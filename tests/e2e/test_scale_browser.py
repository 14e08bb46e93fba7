"""Client Accounts at scale in a real browser, at 1440 and 390 pixels wide:
search, the label filter, paging, renaming and labelling a portal; the
small-screen layout keeps each row's status and actions on screen without
sideways scrolling; axe-core (npm's accessibility engine, installed by
scripts/axe.sh) finds no serious or critical issue on Client Accounts or the
portal page at either width.

Screenshots go to tests/output/scale-*.png."""
import os

import pytest
from selenium.webdriver.common.by import By
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.support.ui import WebDriverWait

from test_browser import WAIT, browser, sign_in, wait_id  # noqa: F401

HERE = os.path.dirname(os.path.abspath(__file__))
AXE = os.path.join(HERE, "..", "..", "build", "axe", "node_modules", "axe-core", "axe.min.js")
SCOPES = "oauth crm.objects.contacts.read crm.schemas.contacts.read crm.schemas.contacts.write"


def axe_problems(d):
    """axe-core's serious and critical violations on the current page."""
    with open(AXE) as f:
        d.execute_script(f.read())
    d.set_script_timeout(60)
    found = d.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(function (r) {"
        "  done(r.violations.map(function (v) { return {id: v.id, impact: v.impact, help: v.help,"
        "    nodes: v.nodes.slice(0, 3).map(function (n) { return n.target.join(' '); })}; }));"
        "}, function (e) { done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]); });")
    return [v for v in found if v["impact"] in ("serious", "critical")]


def no_sideways_scroll(d):
    wide = d.execute_script("var w = document.documentElement.clientWidth, out = [];"
                            "document.querySelectorAll('body *').forEach(function (e) {"
                            "  var r = e.getBoundingClientRect();"
                            "  if (r.right > w + 1 && out.length < 8) out.push(e.tagName + '#' + e.id + '.' +"
                            "    e.className + ' ' + Math.round(r.left) + '-' + Math.round(r.right)); });"
                            "return out;")
    ok = d.execute_script("return document.documentElement.scrollWidth <= "
                          "document.documentElement.clientWidth")
    assert ok, "the page scrolls sideways; wider than the window: %s" % wide
    return ok


def on_screen(d, el):
    """The element lies inside the viewport's width."""
    return d.execute_script("var r = arguments[0].getBoundingClientRect();"
                            "return r.width > 0 && r.left >= 0 && r.right <= "
                            "document.documentElement.clientWidth;", el)


@pytest.fixture
def agency(stack):
    """An organisation with 70 named, labelled portals in mixed statuses and
    one real connection."""
    email, pw = stack.new_user(stack.new_org("scale"), "owner")
    org = stack.sql("SELECT org_id FROM memberships m JOIN users u ON u.id = m.user_id "
                    "WHERE u.email = %s", (email,))[0][0]
    with stack.db() as con:
        for i in range(70):
            status, code, reason = "connected", "", ""
            if i % 7 == 0:
                status, code = "needs_reconnection", "refresh_rejected"
                reason = "HubSpot no longer accepts this portal's sign-in. (HubSpot: BAD_REFRESH_TOKEN)"
            elif i % 11 == 0:
                status, code, reason = "disconnected", "disconnected_here", "Disconnected by an admin."
            pid = con.execute(
                "INSERT INTO portals (org_id, hub_id, hub_domain, name, connection_type, status, "
                "status_reason_code, status_reason, granted_scopes, last_connected_at, last_refreshed_at) "
                "VALUES (%s, %s, %s, %s, 'config_only', %s, %s, %s, %s, now() - make_interval(hours => %s), "
                "now() - interval '4 minutes') RETURNING id",
                (org, 71000000 + i, "client-%d.example.com" % i, "Client %d" % i, status, code, reason,
                 SCOPES, i)).fetchone()[0]
            for label, every in (("EU", 3), ("retainer", 4)):
                if i % every == 0:
                    con.execute("INSERT INTO portal_labels (portal_id, org_id, label) VALUES (%s, %s, %s)",
                                (pid, org, label))
    return email, pw


def shot(d, output_dir, name):
    d.save_screenshot(os.path.join(output_dir, "scale-%s.png" % name))


def test_find_name_label_and_page_at_two_widths(stack, browser, agency, output_dir):
    d = browser
    email, pw = agency
    d.set_window_size(1440, 900)
    sign_in(d, stack, email, pw)
    # problems first, 50 a page, previous and last links
    first_row = d.find_element(By.CSS_SELECTOR, "tbody tr")
    assert first_row.get_attribute("data-status") == "needs_reconnection"
    assert len(d.find_elements(By.CSS_SELECTOR, "tbody tr")) == 50
    shot(d, output_dir, "accounts-1440")
    assert axe_problems(d) == []
    d.find_element(By.ID, "last-page").click()
    wait_id(d, "prev-page")
    assert len(d.find_elements(By.CSS_SELECTOR, "tbody tr")) == 50
    d.find_element(By.ID, "prev-page").click()
    wait_id(d, "next-page")

    # search: "Client 6" (3+ characters: anywhere) with the EU label
    box = d.find_element(By.ID, "q")
    box.clear()
    box.send_keys("Client 6")
    d.find_element(By.CSS_SELECTOR, "#label option[value='EU']").click()
    d.find_element(By.ID, "search-go").click()
    WebDriverWait(d, WAIT).until(lambda drv: "portals found" in drv.page_source or "portal found" in drv.page_source)
    names = [a.text for a in d.find_elements(By.CSS_SELECTOR, "tbody tr td:first-child a")]
    assert names == ["Client 6", "Client 60", "Client 63", "Client 66", "Client 69"], names
    shot(d, output_dir, "search-1440")

    # rename a portal and label it on its page
    d.find_element(By.LINK_TEXT, "Client 63").click()
    wait_id(d, "rename-form")
    name = d.find_element(By.ID, "portal-name")
    name.clear()
    name.send_keys("Globex EU (retainer)")
    d.find_element(By.CSS_SELECTOR, "#rename-form button[type=submit]").click()
    # the page reloads after each POST: wait for the new page, and read
    # through nodes that go away with the old one
    WebDriverWait(d, WAIT).until(lambda drv: "Globex EU (retainer)" in drv.title + drv.page_source
                                 and drv.find_elements(By.ID, "label-form"))
    d.find_element(By.ID, "new-label").send_keys("priority")
    d.find_element(By.ID, "label-add").click()
    WebDriverWait(d, WAIT, ignored_exceptions=(StaleElementReferenceException, NoSuchElementException)).until(
        lambda drv: "priority" in drv.find_element(By.ID, "portal-labels").text)
    assert "Globex EU (retainer)" in d.page_source
    shot(d, output_dir, "portal-1440")
    assert axe_problems(d) == []

    # on a phone: stacked rows, status and actions on screen, no sideways scroll
    d.set_window_size(390, 844)
    d.get(stack.base + "/portals")
    wait_id(d, "portal-search")
    assert no_sideways_scroll(d)
    row = d.find_element(By.CSS_SELECTOR, "tbody tr[data-status='needs_reconnection']")
    assert on_screen(d, row.find_element(By.CSS_SELECTOR, ".indicator"))
    assert on_screen(d, row.find_element(By.CSS_SELECTOR, "button.primary"))
    assert "Needs Reconnection" in row.text
    shot(d, output_dir, "accounts-390")
    assert axe_problems(d) == []
    d.get(stack.base + "/portals?q=globex")
    wait_id(d, "portal-search")
    d.find_element(By.LINK_TEXT, "Globex EU (retainer)").click()
    wait_id(d, "portal-labels")
    assert no_sideways_scroll(d)
    shot(d, output_dir, "portal-390")
    assert axe_problems(d) == []
