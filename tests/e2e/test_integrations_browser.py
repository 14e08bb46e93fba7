"""Integrations and reconnect links in a real browser.

Webhooks: an owner adds an endpoint on the Integrations page (reached from
the sidebar) pointing at a receiver on a free loopback port
(tests/webhook_receiver.py, which checks signatures with its own code), copies
the signing secret shown once, and the receiver is started with it; a portal's
status change, after a worker pass, is a 200 attempt in the endpoint's
delivery log and a verified delivery at the receiver; Resend queues the same
delivery again: a second attempt with the same webhook-id.

Reconnect links: the owner creates a link on a yellow portal's page; a second
browser without a JetStack session (the client's HubSpot admin) opens it,
continues to the simulator's HubSpot chooser, picks the right hub as its Super
Admin and approves; the callback's "Reconnected" page; the owner's Client
Accounts shows the portal Connected.

Screenshots go to tests/output/integrations-*.png and links-*.png."""
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from urllib.parse import urlsplit

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from test_browser import (WAIT, assert_yellow, browser, csp_violations, row_state, sign_in,  # noqa: F401
                          wait_id, wait_path)

HERE = os.path.dirname(os.path.abspath(__file__))
RECEIVER = os.path.join(HERE, "..", "webhook_receiver.py")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fits_the_window(d):
    """The page does not scroll sideways at 1280 pixels."""
    return d.execute_script("return document.documentElement.scrollWidth <= "
                            "document.documentElement.clientWidth")


def yellow(stack, pid):
    """A status change (as tests/integration/test_webhooks.py's yellow())."""
    stack.sql("UPDATE portals SET status = 'needs_reconnection', status_reason_code = 'refresh_rejected', "
              "status_reason = 'HubSpot no longer accepts this portal''s sign-in. (HubSpot: BAD_REFRESH_TOKEN)', "
              "status_changed_at = now() WHERE id = %s", (pid,))


class Receiver:
    """tests/webhook_receiver.py on a given port with a given secret."""

    def __init__(self, port, secret):
        self.port = port
        self.proc = subprocess.Popen(["/usr/bin/python3", RECEIVER, "--port", str(port), "--secret", secret],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert "listening" in line, (line, self.proc.stderr.read() if self.proc.poll() is not None else "")

    def log(self):
        return requests.get("http://127.0.0.1:%d/_log" % self.port, timeout=5).json()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for f in (self.proc.stdout, self.proc.stderr):
            f.close()


@pytest.fixture
def receivers():
    made = []

    def make(port, secret):
        r = Receiver(port, secret)
        made.append(r)
        return r
    yield make
    for r in made:
        r.stop()


@pytest.fixture
def client_browser():
    """A second Chromium with its own fresh profile: the client's browser,
    which never signed in to JetStack."""
    profile = tempfile.mkdtemp(prefix="jst-chromium-client.")
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


def log_rows(d):
    """[(attempt id, cells' texts)] of the delivery log, newest first as shown."""
    out = []
    for row in d.find_elements(By.CSS_SELECTOR, "#delivery-log tbody tr[id^=attempt-]"):
        out.append((int(row.get_attribute("id").split("-", 1)[1]),
                    [td.text for td in row.find_elements(By.TAG_NAME, "td")]))
    return out


def test_an_endpoint_added_in_the_browser_gets_signed_deliveries_and_resends(browser, stack, receivers,
                                                                              output_dir):
    d = browser
    c = stack.client()
    hub, pid, _ = stack.connect_portal(c, "config_only")
    sign_in(d, stack, c.email, c.password)

    # the sidebar's Integrations: no endpoints yet
    nav = wait_id(d, "nav-integrations")
    assert nav.is_displayed()
    nav.click()
    wait_path(d, "/integrations")
    form = wait_id(d, "endpoint-form")
    assert d.find_element(By.ID, "nav-integrations").get_attribute("aria-current") == "page"
    assert "No endpoints yet." in d.find_element(By.ID, "endpoints").text
    assert fits_the_window(d)

    # add one pointing at a receiver to be started on this port, for both kinds
    port = free_port()
    url = "http://127.0.0.1:%d/jetstack" % port
    form.find_element(By.ID, "url").send_keys(url)
    for kind in ("portal.status_changed", "run.finished"):
        box = d.find_element(By.ID, "kind-" + kind)
        assert box.is_selected()  # both are ticked by default
    d.find_element(By.ID, "endpoint-add").click()

    # the answer page shows the signing secret once
    secret_box = wait_id(d, "secret")
    secret = secret_box.get_attribute("value")
    assert secret.startswith("whsec_") and len(secret) > 20, secret
    assert secret_box.get_attribute("readonly") is not None
    assert url in d.find_element(By.ID, "content").text
    assert fits_the_window(d)
    d.save_screenshot(os.path.join(output_dir, "integrations-1-secret.png"))
    done = d.find_element(By.ID, "secret-done")
    eid = int(urlsplit(done.get_attribute("href")).path.rsplit("/", 1)[1])
    done.click()
    wait_path(d, "/integrations/%d" % eid)
    assert "Nothing sent yet" in wait_id(d, "delivery-log").text
    assert secret not in d.page_source  # never shown again
    assert d.find_element(By.ID, "endpoint-state").text == "Enabled"

    # the receiver, with the copied secret; an event; a worker pass
    rec = receivers(port, secret)
    yellow(stack, pid)
    stack.worker_once()
    got = rec.log()
    assert len(got) == 1, got
    assert got[0]["verified"] and got[0]["reason"] == "ok", got[0]
    assert got[0]["path"] == "/jetstack"
    msg_id = got[0]["headers"]["webhook-id"]
    assert '"portal.status_changed"' in got[0]["body"]

    # the endpoint's page: the 200 attempt in the delivery log
    d.refresh()
    log = wait_id(d, "delivery-log")
    rows = log_rows(d)
    assert len(rows) == 1, rows
    first, cells = rows[0]
    assert cells[1] == "portal.status_changed" and cells[2] == msg_id, cells
    assert cells[3].startswith("200"), cells
    ok = d.find_element(By.CSS_SELECTOR, "#attempt-%d .indicator" % first)
    assert "green" in ok.get_attribute("class").split()
    assert "1 delivered, 0 waiting, 0 failed" in d.find_element(By.ID, "content").text
    assert fits_the_window(d)
    d.execute_script("arguments[0].scrollIntoView({block: 'center'});", log)
    d.save_screenshot(os.path.join(output_dir, "integrations-2-log.png"))

    # Resend: a flash, then after a worker pass a second attempt, the same webhook-id
    d.find_element(By.ID, "resend-%d" % first).click()
    wait_path(d, "/integrations/%d" % eid)
    flash = wait_id(d, "flash").text
    assert "queued again" in flash and "same webhook-id" in flash, flash
    stack.worker_once()
    got = rec.log()
    assert len(got) == 2 and all(g["verified"] for g in got), got
    assert got[1]["headers"]["webhook-id"] == msg_id
    assert got[1]["body"] == got[0]["body"]
    d.refresh()
    wait_id(d, "delivery-log")
    rows = log_rows(d)
    assert len(rows) == 2, rows
    assert {r[1][2] for r in rows} == {msg_id}
    assert all(r[1][3].startswith("200") for r in rows), rows
    assert first in [r[0] for r in rows]
    assert not d.find_elements(By.ID, "flash")  # shown once
    assert fits_the_window(d)

    # Integrations lists the endpoint with its count
    d.find_element(By.ID, "nav-integrations").click()
    wait_path(d, "/integrations")
    row = wait_id(d, "endpoint-%d" % eid)
    assert url in row.text and "Enabled" in row.text and "1 delivered" in row.text, row.text
    assert fits_the_window(d)
    assert csp_violations(d) == []


def test_the_clients_admin_reconnects_through_a_link_without_an_account(browser, client_browser, stack,
                                                                         output_dir):
    d = browser
    hs = "hs-%s@client.test" % secrets.token_hex(4)
    c = stack.client()
    name = "Client Co %s" % secrets.token_hex(3)
    hub, pid, _ = stack.connect_portal(c, "config_only", admin=hs, name=name)
    shown = stack.sql("SELECT name FROM portals WHERE id = %s", (pid,))[0][0]
    reason = stack.make_yellow(hub, pid)
    # the client's HubSpot admin is also admin of another hub: the chooser lists both
    other = stack.new_hub("Other %s" % secrets.token_hex(3), admin=hs)

    # the owner: the yellow portal's page, Create a reconnect link
    sign_in(d, stack, c.email, c.password)
    assert_yellow(d, pid)
    d.get(stack.base + "/portals/%d" % pid)
    wait_id(d, "link-create-form")
    assert "No open links." in d.find_element(By.ID, "links").text
    d.find_element(By.ID, "link-create").click()
    box = wait_id(d, "link-url")
    link = box.get_attribute("value")
    assert link.startswith(stack.base + "/reconnect?t="), link
    assert box.get_attribute("readonly") is not None
    assert shown in d.find_element(By.TAG_NAME, "h1").text
    assert fits_the_window(d)
    d.save_screenshot(os.path.join(output_dir, "links-1-created.png"))
    d.find_element(By.ID, "link-back").click()
    wait_path(d, "/portals/%d" % pid)
    rows = d.find_elements(By.CSS_SELECTOR, "#links tbody tr[id^=link-]")
    assert len(rows) == 1 and c.email in rows[0].text, [r.text for r in rows]
    lid = int(rows[0].get_attribute("id").split("-", 1)[1])
    assert d.find_element(By.ID, "link-revoke-%d" % lid).is_displayed()
    assert csp_violations(d) == []

    # the client's browser: no JetStack session
    stack.sim("POST", "/_sim/browser_user", {"email": hs})
    b = client_browser
    b.get(link)
    cont = wait_id(b, "link-continue")
    assert not [ck for ck in b.get_cookies() if ck["name"] == "js_session"]
    assert not b.find_elements(By.ID, "sidebar")
    text = b.find_element(By.ID, "content").text
    assert shown in text and str(hub) in text and c.email in text, text
    assert "Continue to HubSpot" == cont.text
    assert fits_the_window(b)
    b.save_screenshot(os.path.join(output_dir, "links-2-client-page.png"))
    # opening it used nothing up: the portal is still yellow, the link still open
    assert stack.sql("SELECT status FROM portals WHERE id = %s", (pid,)) == [("needs_reconnection",)]
    cont.click()

    # HubSpot's (the simulator's) chooser: the redirect was not blocked
    wait_id(b, "connect-app")
    assert urlsplit(b.current_url).path == "/oauth/authorize"
    assert b.find_element(By.ID, "signed-in-user").text == hs
    assert b.find_elements(By.ID, "portal-%d" % other)  # another hub offered, not chosen
    b.find_element(By.ID, "portal-%d" % hub).click()
    b.find_element(By.ID, "connect-app").click()

    # the callback: Reconnected
    done = wait_id(b, "link-done")
    assert urlsplit(b.current_url).path == "/oauth/callback"
    assert shown in done.text and str(hub) in done.text and "connected to JetStack AI again" in done.text, \
        done.text
    assert not [ck for ck in b.get_cookies() if ck["name"] == "js_session"]  # still no session
    assert fits_the_window(b)
    b.save_screenshot(os.path.join(output_dir, "links-3-done.png"))
    assert csp_violations(b) == []
    # the link is used up
    b.get(link)
    WebDriverWait(b, WAIT).until(lambda drv: not drv.find_elements(By.ID, "link-continue")
                                 and drv.find_elements(By.ID, "content"))
    assert not b.find_elements(By.ID, "link-continue")

    # the owner's Client Accounts: Connected
    d.get(stack.base + "/portals")
    wait_id(d, "portal-%d" % pid)
    status, label, classes, row = row_state(d, pid)
    assert (status, label) == ("connected", "Connected"), (status, label, reason)
    assert "green" in classes
    assert not d.find_elements(By.ID, "reconnect-%d" % pid)
    assert fits_the_window(d)
    # the portal's page lists no open link any more
    d.get(stack.base + "/portals/%d" % pid)
    assert "No open links." in wait_id(d, "links").text
    assert stack.sql("SELECT count(*) FROM portals WHERE hub_id = %s", (other,)) == [(0,)]
    assert csp_violations(d) == []
