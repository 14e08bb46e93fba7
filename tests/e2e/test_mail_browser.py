"""Telling people, in a real browser: the Notifications settings page
(reached from the topbar; Off and a time zone, then back to Digest by
keyboard alone, with visible focus), the Needs attention page reached from
Client Accounts' banner (oldest problem first, the reason and "since", the
sidebar's count), and the worker's digest mailed through a real SMTP server
(tests/smtp_server.py, aiosmtpd): its portal link, opened in the browser,
lands on the portal's page with Reconnect, through the sign-in page when the
browser has no session.  The web program has no SMTP settings in the test
stack, so the settings page shows #mail-off; that is expected.  Screenshots
go to tests/output/mail-*.png, the digest's HTML part to
tests/output/mail-digest.html."""
import os
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from mail_helpers import mail_env, parts, smtp, team, yellow  # noqa: F401 (smtp: a fixture)
from test_browser import WAIT, browser, csp_violations, sign_in, wait_id, wait_path  # noqa: F401


def red(stack, pid, ago="3 hours", reason="The app was uninstalled."):
    stack.sql("UPDATE portals SET status = 'disconnected', status_reason_code = 'revoked_at_hubspot', "
              "status_reason = %s, status_changed_at = now() - %s::interval WHERE id = %s", (reason, ago, pid))


def portal(stack, c, name):
    """A Connected portal (the real flow), named name in JetStack."""
    hub, pid, _ = stack.connect_portal(c, "config_only")
    stack.sql("UPDATE portals SET name = %s WHERE id = %s", (name, pid))
    return hub, pid


class Links(HTMLParser):
    """Every <a href> of a document, in order."""

    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href"))


# -- the browser ------------------------------------------------------------------

def fits_the_window(d):
    """The page does not scroll sideways at 1280 pixels."""
    return d.execute_script("return document.documentElement.scrollWidth <= "
                            "document.documentElement.clientWidth")


def text_of(d, element_id):
    """An element's text, or None while it is missing or the page is being replaced."""
    try:
        return d.find_element(By.ID, element_id).text
    except (NoSuchElementException, StaleElementReferenceException):
        return None


def active_id(d):
    return d.execute_script("return document.activeElement ? document.activeElement.id : null;")


def focus_ring(d):
    """How the focused element shows its focus: (matches :focus-visible,
    outline style, outline width, box-shadow)."""
    return d.execute_script(
        "const e = document.activeElement, s = getComputedStyle(e);"
        "return [e.matches(':focus-visible'), s.outlineStyle, s.outlineWidth, s.boxShadow];")


def assert_visible_focus(d, element_id):
    assert active_id(d) == element_id, (active_id(d), element_id)
    visible, style, width, shadow = focus_ring(d)
    assert visible, (element_id, "not :focus-visible")
    assert (style != "none" and width not in ("0px", "")) or shadow not in ("none", ""), \
        (element_id, style, width, shadow)


def tab_until(d, element_id, limit=60):
    """Press Tab until element_id has the focus; returns the ids passed."""
    seen = []
    for _ in range(limit):
        ActionChains(d).send_keys(Keys.TAB).perform()
        now = active_id(d)
        seen.append(now)
        if now == element_id:
            return seen
    raise AssertionError("Tab never reached #%s: %r" % (element_id, seen))


def saved(stack, email):
    """(notify, time zone) of a user as stored."""
    return stack.sql("SELECT m.notify, u.time_zone FROM memberships m JOIN users u ON u.id = m.user_id "
                     "WHERE u.email = %s", (email,))[0]


# -- the tests ----------------------------------------------------------------------

def test_notification_settings_off_with_a_time_zone_then_digest_by_keyboard(browser, stack, output_dir):
    d = browser
    c = stack.client()
    sign_in(d, stack, c.email, c.password)

    # the topbar's Notifications link
    wait_id(d, "nav-notify").click()
    wait_path(d, "/settings/notifications")
    wait_id(d, "notify-form")
    assert d.find_element(By.ID, "mail-off").is_displayed()  # the web program has no SMTP settings
    assert not d.find_elements(By.ID, "mail-problem")
    assert d.find_element(By.ID, "by-role").is_displayed()  # an owner who has not chosen yet
    assert d.find_element(By.ID, "notify-digest").is_selected()
    assert not d.find_element(By.ID, "notify-off").is_selected()
    tz = d.find_element(By.ID, "time_zone")
    assert tz.get_attribute("value") == ""

    # Off, Europe/Paris, Save
    d.find_element(By.ID, "notify-off").click()
    tz.send_keys("Europe/Paris")
    d.find_element(By.ID, "notify-save").click()
    flash = wait_id(d, "flash")
    assert flash.text == "Saved: you get no mail about portal status changes.", flash.text
    wait_path(d, "/settings/notifications")
    assert d.find_element(By.ID, "notify-off").is_selected()
    assert not d.find_element(By.ID, "notify-digest").is_selected()
    assert d.find_element(By.ID, "time_zone").get_attribute("value") == "Europe/Paris"
    assert not d.find_elements(By.ID, "by-role")
    assert saved(stack, c.email)[0] == "off"
    assert fits_the_window(d)
    d.save_screenshot(os.path.join(output_dir, "mail-1-settings.png"))

    # back to Digest with the keyboard alone: Tab reaches the chosen radio,
    # an arrow key chooses the other, Tab reaches the time zone and Save
    d.execute_script("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0);")
    before = active_id(d)
    passed = tab_until(d, "notify-off")
    assert "notify-digest" not in passed  # a radio group is one Tab stop: its chosen radio
    assert active_id(d) != before
    assert_visible_focus(d, "notify-off")
    ActionChains(d).send_keys(Keys.ARROW_UP).perform()
    assert_visible_focus(d, "notify-digest")
    assert d.find_element(By.ID, "notify-digest").is_selected()
    ActionChains(d).send_keys(Keys.TAB).perform()
    assert_visible_focus(d, "time_zone")
    assert d.find_element(By.ID, "time_zone").get_attribute("value") == "Europe/Paris"
    ActionChains(d).send_keys(Keys.TAB).perform()
    assert_visible_focus(d, "notify-save")
    ActionChains(d).send_keys(Keys.ENTER).perform()
    WebDriverWait(d, WAIT).until(lambda drv: "a digest" in (text_of(drv, "flash") or ""),
                                 "expected the Digest flash")
    assert d.find_element(By.ID, "flash").text == "Saved: you get a digest when portals change status."
    assert d.find_element(By.ID, "notify-digest").is_selected()
    assert d.find_element(By.ID, "time_zone").get_attribute("value") == "Europe/Paris"
    assert saved(stack, c.email) == ("digest", "Europe/Paris")
    assert csp_violations(d) == []


def test_needs_attention_from_the_banner_oldest_first_with_the_count(browser, stack, output_dir):
    d = browser
    c = stack.client()
    yhub, ypid = portal(stack, c, "Yellow Co")
    rhub, rpid = portal(stack, c, "Red Co")
    ghub, gpid = portal(stack, c, "Green Co")
    reason = stack.make_yellow(yhub, ypid)  # now
    red(stack, rpid, "3 hours")             # three hours ago: listed first
    sign_in(d, stack, c.email, c.password)

    # Client Accounts: the banner, the sidebar's count
    assert wait_id(d, "attention-count").text == "2"
    assert d.find_element(By.ID, "attention-n").text == "2"
    link = d.find_element(By.ID, "attention-link")
    assert link.is_displayed()
    link.click()
    wait_path(d, "/attention")
    table = wait_id(d, "attention-table")
    assert d.find_element(By.ID, "attention-n").text == "2"
    assert d.find_element(By.ID, "nav-attention").get_attribute("aria-current") == "page"

    rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert [r.get_attribute("id") for r in rows] == ["attention-%d" % rpid, "attention-%d" % ypid]
    assert not d.find_elements(By.ID, "attention-%d" % gpid)
    cells = {r.get_attribute("id"): [td.text for td in r.find_elements(By.TAG_NAME, "td")] for r in rows}
    rc = cells["attention-%d" % rpid]
    assert rc[0].startswith("Red Co") and "Hub ID %d" % rhub in rc[0], rc
    assert rc[1] == "Disconnected", rc
    assert "HubSpot revoked access." in rc[2] and "The app was uninstalled." in rc[2], rc
    # since when: relative, beside the absolute time in the user's zone (the organisation's: UTC)
    assert re.fullmatch(r"3 hours ago \d{4}-\d\d-\d\d \d\d:\d\d \(UTC\+00:00\)", rc[3]), rc
    yc = cells["attention-%d" % ypid]
    assert yc[0].startswith("Yellow Co") and yc[1] == "Needs Reconnection", yc
    assert "HubSpot no longer accepts this portal's sign-in." in yc[2] and reason in yc[2], (reason, yc)
    assert re.fullmatch(r"(just now|\d+ minutes? ago) \d{4}-\d\d-\d\d \d\d:\d\d \(UTC\+00:00\)", yc[3]), yc
    assert "BAD_REFRESH_TOKEN" not in rc[2]
    for pid in (rpid, ypid):
        b = d.find_element(By.ID, "attention-reconnect-%d" % pid)
        assert b.is_displayed() and b.is_enabled() and b.text == "Reconnect"
    assert fits_the_window(d)
    d.save_screenshot(os.path.join(output_dir, "mail-2-attention.png"))

    # a portal's name links to its page
    d.find_element(By.CSS_SELECTOR, "#attention-%d a[href='/portals/%d']" % (ypid, ypid)).click()
    wait_path(d, "/portals/%d" % ypid)
    assert wait_id(d, "reconnect").is_displayed()
    assert csp_violations(d) == []


def test_the_digest_link_lands_on_the_portals_page_with_reconnect(browser, stack, output_dir, smtp):
    d = browser
    people = team(stack)
    c = people["owner"]
    yhub, ypid = portal(stack, c, "Mailed Yellow")
    rhub, rpid = portal(stack, c, "Mailed Red")
    server = smtp().start()
    yellow(stack, ypid)
    red(stack, rpid, "0 seconds")
    stack.worker_once(env=mail_env(server))
    got = server.messages(c.email)
    assert len(got) == 1, len(got)
    msg, env = got[0]
    assert env["rcpt_tos"] == [c.email]
    assert msg["Subject"] == "[JetStack AI] 2 portals need attention", msg["Subject"]
    text, html = parts(msg)
    assert "Mailed Yellow" in html and "Mailed Red" in html
    with open(os.path.join(output_dir, "mail-digest.html"), "w", encoding="utf-8") as f:
        f.write(html)

    # the first link to a portal's page
    p = Links()
    p.feed(html)
    portal_links = [h for h in p.hrefs if h and urlsplit(h).path.startswith("/portals/")]
    assert portal_links, p.hrefs
    href = portal_links[0]
    assert href.startswith(stack.base + "/portals/"), (href, stack.base)
    pid = int(urlsplit(href).path.rsplit("/", 1)[1])
    assert pid in (ypid, rpid), (pid, ypid, rpid)

    # a browser without a session: the sign-in page, then the portal's page
    d.get(href)
    wait_path(d, "/login")
    assert urlsplit(d.current_url).query == "next=/portals/%d" % pid, d.current_url
    wait_id(d, "login-form")
    d.find_element(By.ID, "email").send_keys(c.email)
    d.find_element(By.ID, "password").send_keys(c.password)
    d.find_element(By.ID, "sign-in").click()
    wait_path(d, "/portals/%d" % pid)
    button = wait_id(d, "reconnect")
    assert button.is_displayed() and button.is_enabled() and button.text == "Reconnect"
    assert d.find_element(By.ID, "reconnect-form").get_attribute("action").endswith("/portals/%d/reconnect" % pid)
    assert fits_the_window(d)
    d.save_screenshot(os.path.join(output_dir, "mail-3-link-landing.png"))

    # signed in now: the link lands straight on the page
    d.get(href)
    wait_path(d, "/portals/%d" % pid)
    assert wait_id(d, "reconnect").is_displayed()
    # the settings page shows no delivery problem: the digest went out
    d.get(stack.base + "/settings/notifications")
    wait_id(d, "notify-form")
    assert not d.find_elements(By.ID, "mail-problem")
    assert csp_violations(d) == []

    # the digest as a mail reader would show it
    d.get("file://" + os.path.join(os.path.abspath(output_dir), "mail-digest.html"))
    WebDriverWait(d, WAIT).until(lambda drv: "Mailed Yellow" in drv.find_element(By.TAG_NAME, "body").text)
    body = d.find_element(By.TAG_NAME, "body").text
    assert "Mailed Red" in body and "Change your notification settings" in body
    d.save_screenshot(os.path.join(output_dir, "mail-4-digest.png"))
