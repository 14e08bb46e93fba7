"""Client Accounts in a real browser: headless Chromium (Debian's chromium and
chromedriver) against the test stack (nginx, the FastCGI program, PostgreSQL
and the HubSpot simulator).  Chromium enforces the product's CSP, so a
redirect to HubSpot that the policy blocked would fail these tests.

Each test makes its own organisation, users, simulator portals and HubSpot
user (so the simulator's account chooser only lists that test's portals),
and a fresh browser profile."""
import secrets
import shutil
import tempfile
from urllib.parse import urlsplit

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

WAIT = 20  # seconds: an upper bound for a page to arrive, never a timing assertion


# -- the browser ---------------------------------------------------------------

@pytest.fixture
def browser():
    profile = tempfile.mkdtemp(prefix="jst-chromium.")
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run",
              "--window-size=1280,900", "--user-data-dir=" + profile):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    d.set_page_load_timeout(WAIT)
    try:
        yield d
    finally:
        d.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_path(d, path):
    WebDriverWait(d, WAIT).until(lambda drv: urlsplit(drv.current_url).path == path,
                                 "expected to reach %s" % path)


def wait_id(d, element_id):
    return WebDriverWait(d, WAIT).until(EC.presence_of_element_located((By.ID, element_id)),
                                        "expected #%s on %s" % (element_id, d.current_url))


def csp_violations(d):
    """Console messages about the Content Security Policy (drains the log)."""
    try:
        entries = d.get_log("browser")
    except WebDriverException:  # the log API is optional in chromedriver
        return []
    return [e["message"] for e in entries
            if "Content Security Policy" in e["message"] or "Content-Security-Policy" in e["message"]]


def sign_in(d, stack, email, password, landing="/portals"):
    """Sign in on the form; landing: where it leads (team: /orgs for a
    user of several organisations)."""
    d.get(stack.base + "/login")
    wait_id(d, "login-form")
    d.find_element(By.ID, "email").send_keys(email)
    d.find_element(By.ID, "password").send_keys(password)
    d.find_element(By.ID, "sign-in").click()
    wait_path(d, landing)
    wait_id(d, "sidebar")


def open_portals(d, stack):
    d.get(stack.base + "/portals")
    wait_path(d, "/portals")
    wait_id(d, "content")


def row_state(d, pid):
    """(data-status, label text, indicator classes, row element) of a row."""
    row = d.find_element(By.ID, "portal-%d" % pid)
    ind = row.find_element(By.CSS_SELECTOR, ".indicator")
    label = ind.text.strip()
    return row.get_attribute("data-status"), label, ind.get_attribute("class").split(), row


def assert_yellow(d, pid):
    status, label, classes, row = row_state(d, pid)
    assert (status, label) == ("needs_reconnection", "Needs Reconnection"), (status, label)
    assert "yellow" in classes, classes
    assert dot_colour(d, row) == YELLOW
    return row


YELLOW, GREEN, RED = "rgb(212, 161, 6)", "rgb(30, 142, 62)", "rgb(197, 34, 31)"


def dot_colour(d, row):
    """The background colour of the status dot (drawn by CSS before the label)."""
    ind = row.find_element(By.CSS_SELECTOR, ".indicator")
    style = d.execute_script("const s = getComputedStyle(arguments[0], '::before');"
                             "return [s.backgroundColor, s.width, s.height, s.display];", ind)
    assert style[1:3] == ["10px", "10px"] and style[3] != "none", style
    return style[0]


def action(d, what, pid):
    """Row action links by their target (they carry no ids, to keep rows small)."""
    return d.find_elements(By.CSS_SELECTOR, 'a[href="/portals/%d/%s"]' % (pid, what))


def db_status(stack, pid):
    return stack.sql("SELECT status, status_reason FROM portals WHERE id = %s", (pid,))[0]


def sim_valid_refresh_tokens(stack, hub):
    st = stack.sim("GET", "/_sim/stats?hub_id=%d" % hub)
    return st["tokens_by_hub"].get(str(hub), {}).get("valid_refresh_tokens", 0)


# -- setting up portals the real way ---------------------------------------------

def hs_user():
    return "hs-%s@agency.test" % secrets.token_hex(4)


def connected_portal(stack, hs_email, c=None, name=None):
    """A portal Connected through the HTTP flow; returns (client, hub, portal id,
    the portal's name in JetStack)."""
    c = c or stack.client()
    name = name or "Acme %s" % secrets.token_hex(3)
    hub, pid, location = stack.connect_portal(c, "config_audit", admin=hs_email, name=name)
    assert location.startswith("/portals"), location
    assert db_status(stack, pid)[0] == "connected"
    # the row's name is what the product learnt from HubSpot's token metadata
    shown = stack.sql("SELECT name FROM portals WHERE id = %s", (pid,))[0][0]
    return c, hub, pid, shown


def yellow_portal(stack):
    """An owner's portal in Needs Reconnection, and the simulator's browser
    user set to the HubSpot user who can reconnect it."""
    hs = hs_user()
    c, hub, pid, name = connected_portal(stack, hs)
    reason = stack.make_yellow(hub, pid)
    stack.sim("POST", "/_sim/browser_user", {"email": hs})
    return c, hs, hub, pid, name, reason


def click_reconnect_to_chooser(d, pid):
    d.find_element(By.ID, "reconnect-%d" % pid).click()
    wait_id(d, "connect-app")  # HubSpot's screen: the redirect was not blocked


# -- tests ---------------------------------------------------------------------

def test_sign_in_shows_client_accounts_with_sidebar(stack, browser):
    org = stack.new_org()
    email, pw = stack.new_user(org, "owner")
    d = browser
    sign_in(d, stack, email, pw)
    assert d.find_element(By.TAG_NAME, "h1").text == "Client Accounts"
    assert d.title.startswith("Client Accounts")
    entries = d.find_elements(By.CSS_SELECTOR, "#sidebar li a")
    assert entries and entries[0].text.strip() == "Client Accounts"
    assert entries[0].get_attribute("aria-current") == "page"
    assert urlsplit(entries[0].get_attribute("href")).path == "/portals"
    assert d.find_element(By.ID, "org-name").text == org
    assert d.find_element(By.ID, "me-email").text == email
    assert d.find_element(By.ID, "empty-state").is_displayed()
    cookies = {ck["name"]: ck for ck in d.get_cookies()}
    assert cookies["js_session"]["httpOnly"] is True
    assert csp_violations(d) == []


# the row's reason: the short text (the portal's page has the long one)
SHORT_REASON = "HubSpot no longer accepts this portal's sign-in"


def test_reconnect_end_to_end(stack, browser, output_dir):
    c, hs, hub, pid, name, reason = yellow_portal(stack)
    d = browser
    sign_in(d, stack, c.email, c.password)
    row = assert_yellow(d, pid)
    assert row.find_element(By.CSS_SELECTOR, ".reason").text.strip().endswith(SHORT_REASON)
    assert d.find_element(By.ID, "attention-count").text == "1"
    d.find_element(By.ID, "portal-table").screenshot(output_dir + "/client-accounts.png")

    click_reconnect_to_chooser(d, pid)
    assert urlsplit(d.current_url).path == "/oauth/authorize"
    assert d.find_element(By.ID, "signed-in-user").text == hs
    d.find_element(By.ID, "portal-%d" % hub).click()
    d.find_element(By.ID, "connect-app").click()

    wait_path(d, "/portals")
    flash = wait_id(d, "flash").text
    assert name in flash and str(hub) in flash and "Connected" in flash, flash
    status, label, classes, row = row_state(d, pid)
    assert (status, label) == ("connected", "Connected")
    assert "green" in classes, classes
    assert dot_colour(d, row) == GREEN
    assert not row.find_elements(By.CSS_SELECTOR, ".reason")
    assert not d.find_elements(By.ID, "reconnect-%d" % pid)
    assert action(d, "disconnect", pid)
    assert not d.find_elements(By.ID, "attention-count")
    d.find_element(By.ID, "portal-table").screenshot(output_dir + "/client-accounts-reconnected.png")
    assert db_status(stack, pid)[0] == "connected"
    assert sim_valid_refresh_tokens(stack, hub) == 1
    # the flash is shown once
    open_portals(d, stack)
    assert not d.find_elements(By.ID, "flash")
    assert csp_violations(d) == []


def test_reconnect_with_wrong_portal_selected(stack, browser):
    c, hs, hub, pid, name, reason = yellow_portal(stack)
    other_name = "Other %s" % secrets.token_hex(3)
    other = stack.new_hub(other_name, admin=hs)
    d = browser
    sign_in(d, stack, c.email, c.password)
    assert_yellow(d, pid)
    click_reconnect_to_chooser(d, pid)
    d.find_element(By.ID, "portal-%d" % other).click()
    d.find_element(By.ID, "connect-app").click()

    wait_path(d, "/oauth/callback")
    assert wait_id(d, "error-title").text == "Wrong portal selected"
    msg = d.find_element(By.ID, "error-message").text
    assert str(hub) in msg and str(other) in msg and name in msg, msg
    assert "nothing was changed" in msg.lower()
    hrefs = {urlsplit(a.get_attribute("href")).path for a in d.find_elements(By.CSS_SELECTOR, "#content a")}
    assert {"/help/oauth-connection-flow", "/help/connection-troubleshooting"} <= hrefs, hrefs

    open_portals(d, stack)
    assert_yellow(d, pid)
    assert len(d.find_elements(By.CSS_SELECTOR, "#portal-table tbody tr[id^=portal-]")) == 1
    assert db_status(stack, pid) == ("needs_reconnection", reason)
    assert stack.sql("SELECT count(*) FROM portals WHERE org_id = %s AND hub_id = %s",
                     (stack.org_id(c.org), other))[0][0] == 0
    # the tokens HubSpot issued for the refused attempt were revoked
    assert sim_valid_refresh_tokens(stack, other) == 0
    assert csp_violations(d) == []


def test_cancel_on_hubspot_screen(stack, browser):
    c, hs, hub, pid, name, reason = yellow_portal(stack)
    d = browser
    sign_in(d, stack, c.email, c.password)
    click_reconnect_to_chooser(d, pid)
    d.find_element(By.ID, "cancel").click()

    wait_path(d, "/oauth/callback")
    assert wait_id(d, "error-title").text == "Connection cancelled"
    assert "nothing was changed" in d.find_element(By.ID, "error-message").text.lower()
    open_portals(d, stack)
    row = assert_yellow(d, pid)
    assert row.find_element(By.CSS_SELECTOR, ".reason").text.strip().endswith(SHORT_REASON)
    assert d.find_elements(By.ID, "reconnect-%d" % pid)
    assert db_status(stack, pid) == ("needs_reconnection", reason)
    assert csp_violations(d) == []


def test_viewer_sees_disabled_actions(stack, browser):
    hs = hs_user()
    c, hub, pid, _ = connected_portal(stack, hs)
    _, hub2, green, _ = connected_portal(stack, hs, c=c)
    stack.make_yellow(hub, pid)
    email, pw = stack.new_user(c.org, "viewer")
    d = browser
    sign_in(d, stack, email, pw)
    assert not d.find_elements(By.ID, "connect-portal")

    row = assert_yellow(d, pid)
    assert not d.find_elements(By.ID, "row-action")
    assert [a.get_attribute("pathname") for a in row.find_elements(By.TAG_NAME, "a")] == ["/portals/%d" % pid]
    assert not d.find_elements(By.ID, "reconnect-%d" % pid)
    assert not action(d, "remove", pid)
    buttons = row.find_elements(By.CSS_SELECTOR, "td:last-child button")
    assert sorted(b.text for b in buttons) == ["Reconnect", "Remove"]
    assert all(not b.is_enabled() for b in buttons)

    status, label, classes, grow = row_state(d, green)
    assert (status, label) == ("connected", "Connected") and "green" in classes
    assert not action(d, "disconnect", green)
    gbuttons = grow.find_elements(By.CSS_SELECTOR, "td:last-child button")
    assert sorted(b.text for b in gbuttons) == ["Disconnect", "Remove"]
    assert all(not b.is_enabled() for b in gbuttons)
    assert not d.find_elements(By.CSS_SELECTOR, "[formaction*='/reconnect']")
    assert csp_violations(d) == []


def test_disconnect_through_confirmation_turns_row_red(stack, browser):
    hs = hs_user()
    c, hub, pid, name = connected_portal(stack, hs)
    d = browser
    sign_in(d, stack, c.email, c.password)
    status, label, classes, _ = row_state(d, pid)
    assert (status, label) == ("connected", "Connected") and "green" in classes

    action(d, "disconnect", pid)[0].click()
    wait_path(d, "/portals/%d/disconnect" % pid)
    wait_id(d, "confirm-title")
    assert name in d.find_element(By.ID, "content").text
    assert db_status(stack, pid)[0] == "connected"  # the confirmation page changes nothing
    d.find_element(By.ID, "confirm-button").click()

    wait_path(d, "/portals")
    flash = wait_id(d, "flash").text
    assert name in flash and "disconnected" in flash, flash
    status, label, classes, row = row_state(d, pid)
    assert (status, label) == ("disconnected", "Disconnected"), (status, label)
    assert "red" in classes, classes
    assert dot_colour(d, row) == RED
    assert d.find_elements(By.ID, "reconnect-%d" % pid)
    assert not action(d, "disconnect", pid)
    assert db_status(stack, pid)[0] == "disconnected"
    assert sim_valid_refresh_tokens(stack, hub) == 0  # revoked at HubSpot
    assert csp_violations(d) == []


def test_table_actions_fit_a_1280_pixel_window(stack, browser):
    """At 1280x900 the row actions are on screen: the page does not scroll
    sideways and no action button is cut off at the window's edge."""
    hs = hs_user()
    c, hub, pid, _ = connected_portal(stack, hs)
    d = browser
    sign_in(d, stack, c.email, c.password)
    width = d.execute_script("return document.documentElement.clientWidth")
    for bid in ("disconnect", "remove"):
        r = action(d, bid, pid)[0].rect
        assert r["x"] + r["width"] <= width, (bid, r, width)
    assert d.execute_script("return document.documentElement.scrollWidth") <= width
