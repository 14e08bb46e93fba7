"""Audits in a real browser: Run audit on a portal's page, the report page
following the audit by itself (static/follow.js under the CSP) while a
background worker reads the portal, then the findings grouped by severity
(High before Medium before Low, each rule with its explanation and fix); a
second audit after HubSpot changed, with New badges and the Resolved section;
and a yellow portal, whose Run audit buttons (its page, its Client Accounts
row) are disabled with the reason beside them.  Screenshots go to
tests/output/audit-*.png."""
import os

import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from test_browser import WAIT, browser, csp_violations, sign_in, wait_id, wait_path  # noqa: F401

FOLLOW = {"JETSTACK_WORKER_POLL_SECONDS": "1"}
GROUP = {"name": "agency_info", "label": "Agency info"}
EMPTY = {"name": "old_stuff", "label": "Old stuff"}


@pytest.fixture(autouse=True)
def clean_sim(stack):
    stack.sim("DELETE", "/_sim/faults")
    yield
    stack.sim("DELETE", "/_sim/faults")


def prop(name, label, type_="string", field="text", description="", options=None):
    p = {"name": name, "label": label, "type": type_, "fieldType": field, "groupName": "agency_info",
         "description": description}
    if options is not None:
        p["options"] = [{"label": o, "value": o.lower(), "displayOrder": i, "hidden": False}
                        for i, o in enumerate(options)]
    return p


def schema(stack, hub, props):
    stack.sim("POST", "/_sim/portals/%d/properties" % hub,
              {"object_type": "contacts", "groups": [GROUP, EMPTY], "properties": list(props),
               "replace": True})


def portal_users(stack, hub):
    """With the connecting Alex, 4 Super Admins (the organisation allows 3),
    one user with no role and one Sales Rep."""
    for i in range(3):
        stack.sim("POST", "/_sim/users", {"email": "sa%d-%d@client.test" % (i, hub),
                                          "portals": {str(hub): {"super_admin": True}}})
    stack.sim("POST", "/_sim/users", {"email": "norole-%d@client.test" % hub,
                                      "portals": {str(hub): {"super_admin": False}}})
    stack.sim("POST", "/_sim/users", {"email": "rep-%d@client.test" % hub,
                                      "portals": {str(hub): {"role_names": ["Sales Rep"]}}})


def fits_the_window(d):
    """The page does not scroll sideways at 1280 pixels."""
    return d.execute_script("return document.documentElement.scrollWidth <= "
                            "document.documentElement.clientWidth")


def text_of(d, element_id):
    """An element's text, or None while the page is being replaced."""
    try:
        return d.find_element(By.ID, element_id).text
    except (NoSuchElementException, StaleElementReferenceException):
        return None


def wait_state(d, label, timeout=40, also=lambda drv: True):
    WebDriverWait(d, timeout).until(lambda drv: text_of(drv, "run-state") == label and also(drv),
                                    "expected the audit to be %s on %s" % (label, d.current_url))


def click_run_audit(d, stack, pid):
    d.get(stack.base + "/portals/%d" % pid)
    button = wait_id(d, "run-audit")
    assert button.is_enabled()
    assert button.find_element(By.XPATH, "./ancestor::form").get_attribute("id") == "audit-form"
    button.click()
    WebDriverWait(d, WAIT).until(lambda drv: "/audits/" in drv.current_url)
    wait_id(d, "run")
    return int(d.current_url.split("/audits/", 1)[1].split("?", 1)[0])


def counts(d):
    return {k: int(d.find_element(By.ID, "count-" + k).text) for k in ("high", "medium", "low", "info")}


def shown(d):
    """The number of findings listed in each severity's section."""
    return {k: len(d.find_elements(By.CSS_SELECTOR, "#severity-%s tr.finding" % k))
            for k in ("high", "medium", "low", "info")}


def rule_rows(d, rule):
    """[(name, row text, has a New badge)] of a rule's findings table."""
    out = []
    for row in d.find_elements(By.CSS_SELECTOR, "#rule-%s table.findings tbody tr.finding" % rule):
        cells = row.find_elements(By.TAG_NAME, "td")
        out.append((cells[1].text, row.text, bool(row.find_elements(By.CSS_SELECTOR, ".badge.new"))))
    return out


def test_run_audit_the_report_follows_it_then_new_and_resolved(browser, stack, output_dir):
    d = browser
    c = stack.client()
    hub, pid, _ = stack.connect_portal(c, "config_audit")
    schema(stack, hub, [
        prop("region", "Region", description="Sales region"),            # duplicate label ...
        prop("region_2", "region ", description="Old region field"),     # ... with this one
        prop("tier", "Tier", "enumeration", "select", "Contract tier", ["Gold"]),  # one option
        prop("notes_x", "Notes X"),                                       # no description
    ])
    portal_users(stack, hub)
    sign_in(d, stack, c.email, c.password)

    # Run audit -> the report page, queued and followed
    run = click_run_audit(d, stack, pid)
    assert d.find_element(By.ID, "run").get_attribute("data-follow") == "1"
    assert d.find_element(By.ID, "run-state").text == "Queued"
    assert d.find_element(By.ID, "audit-progress").is_displayed()
    assert d.find_element(By.ID, "run-refresh").get_attribute("pathname") == "/audits/%d" % run
    assert not d.find_elements(By.ID, "audit-summary")
    d.execute_script("window.__jst_mark = 1;")  # gone once the page reloads itself
    # HubSpot answers the users read slowly, so that the page shows the
    # audit running, with the four object types read
    stack.sim("POST", "/_sim/faults", {"endpoint": "users", "latency_ms": 5000, "count": 1})
    with stack.worker_proc(env=FOLLOW):
        wait_state(d, "Running", also=lambda drv: "tickets" in (text_of(drv, "audit-progress") or ""))
        assert d.execute_script("return window.__jst_mark === undefined;")  # follow.js reloaded it
        progress = d.find_element(By.ID, "audit-progress").text
        assert all(t in progress for t in ("contacts", "companies", "deals", "tickets")), progress
        assert d.find_element(By.ID, "run").get_attribute("data-follow") == "1"
        d.save_screenshot(os.path.join(output_dir, "audit-1-running.png"))
        d.execute_script("window.__jst_mark = 1;")
        wait_state(d, "Succeeded")
    assert d.execute_script("return window.__jst_mark === undefined;")
    assert d.find_element(By.ID, "run").get_attribute("data-follow") is None
    assert not d.find_elements(By.ID, "run-refresh") and not d.find_elements(By.ID, "audit-progress")

    # the report: the counts, then the findings by severity, then by rule
    first = counts(d)
    assert first == shown(d), (first, shown(d))
    assert first["high"] == 1 and first["medium"] == 3, first
    assert first["low"] >= 3, first  # and the empty HubSpot-defined groups (see empty_group below)
    assert "The first audit of this portal" in d.find_element(By.ID, "audit-compare").text
    csv_link = d.find_element(By.ID, "audit-csv")
    assert csv_link.get_attribute("pathname") == "/audits/%d/findings.csv" % run
    sections = [d.find_element(By.ID, "severity-" + k) for k in ("high", "medium", "low")]
    ys = [s.location["y"] for s in sections]
    assert ys == sorted(ys) and len(set(ys)) == 3, ys
    assert not d.find_elements(By.ID, "severity-info")  # no informational finding: no section
    for sev, rules in (("high", {"too_many_super_admins"}),
                       ("medium", {"duplicate_label", "enumeration_options"}),
                       ("low", {"property_no_description", "empty_group", "user_without_role"})):
        got = {a.get_attribute("id")[len("rule-"):]
               for a in d.find_elements(By.CSS_SELECTOR, "#severity-%s article.rule" % sev)}
        assert got == rules, (sev, got)
    high = d.find_element(By.ID, "rule-too_many_super_admins")
    assert high.find_element(By.TAG_NAME, "h3").text == "More Super Admins than your organisation allows"
    assert "widens what a lost password can expose" in high.text  # the explanation
    fix = high.find_element(By.CSS_SELECTOR, "p.fix")
    assert fix.is_displayed() and fix.text.startswith("How to fix:") and "Settings > Users & Teams" in fix.text
    assert {r[0] for r in rule_rows(d, "duplicate_label")} == {"region", "region_2"}
    assert {r[0] for r in rule_rows(d, "enumeration_options")} == {"tier"}
    assert {r[0] for r in rule_rows(d, "property_no_description")} == {"notes_x"}
    # the simulator's HubSpot-defined groups that hold none of its default
    # properties count as empty too
    assert "old_stuff" in {r[0] for r in rule_rows(d, "empty_group")}
    assert "norole-%d@client.test" % hub in d.find_element(By.ID, "rule-user_without_role").text
    assert not any(r[2] for r in rule_rows(d, "duplicate_label"))  # no New badge on a first audit
    assert not d.find_elements(By.ID, "resolved")
    assert fits_the_window(d)
    d.save_screenshot(os.path.join(output_dir, "audit-2-report.png"))

    # HubSpot: the tier gets a second option and notes_x a description (two
    # findings fixed); a new property has no description (a new finding)
    schema(stack, hub, [
        prop("region", "Region", description="Sales region"),
        prop("region_2", "region ", description="Old region field"),
        prop("tier", "Tier", "enumeration", "select", "Contract tier", ["Gold", "Silver"]),
        prop("notes_x", "Notes X", description="Free notes"),
        prop("fresh", "Fresh"),
    ])
    d.find_element(By.CSS_SELECTOR, "#run .crumbs a[href='/portals/%d']" % pid).click()
    wait_path(d, "/portals/%d" % pid)
    assert "Succeeded" in wait_id(d, "audit-row-%d" % run).text
    with stack.worker_proc(env=FOLLOW):
        run2 = click_run_audit(d, stack, pid)
        assert run2 != run
        wait_state(d, "Succeeded")
    compare = d.find_element(By.ID, "audit-compare")
    assert compare.find_element(By.CSS_SELECTOR, "a[href='/audits/%d']" % run)
    assert d.find_element(By.ID, "count-new").text == "1"
    assert d.find_element(By.ID, "count-resolved").text == "2"
    assert counts(d) == dict(first, medium=2) == shown(d), (first, counts(d), shown(d))
    assert not d.find_elements(By.ID, "rule-enumeration_options")
    news = [(r[0], rule) for rule in ("too_many_super_admins", "duplicate_label", "property_no_description",
                                      "empty_group", "user_without_role")
            for r in rule_rows(d, rule) if r[2]]
    assert news == [("fresh", "property_no_description")], news
    badge = d.find_element(By.CSS_SELECTOR, "#rule-property_no_description .badge.new")
    assert badge.text == "New" and badge.is_displayed()
    resolved = d.find_element(By.ID, "resolved")
    assert "Resolved since the previous audit" in resolved.text
    rows = resolved.find_elements(By.CSS_SELECTOR, "tbody tr.resolved")
    got = {r.find_elements(By.TAG_NAME, "td")[3].text: [td.text for td in r.find_elements(By.TAG_NAME, "td")]
           for r in rows}
    assert set(got) == {"tier", "notes_x"}, got
    assert got["tier"][0].startswith("Choice property with fewer than two options"), got
    # the severity column (today the key, "medium", where the report's sections say "Medium")
    assert got["tier"][1].lower() == "medium" and got["notes_x"][1].lower() == "low", got
    assert resolved.location["y"] > d.find_element(By.ID, "severity-low").location["y"]
    assert fits_the_window(d)
    d.execute_script("arguments[0].scrollIntoView({block: 'center'});", badge)
    d.save_screenshot(os.path.join(output_dir, "audit-3-compared.png"))

    # the organisation's audits list both
    d.get(stack.base + "/audits")
    for r in (run, run2):
        assert "Succeeded" in wait_id(d, "audit-row-%d" % r).text
    assert d.find_element(By.ID, "limit-form").is_displayed()
    assert csp_violations(d) == []


def test_yellow_portal_disables_run_audit_with_its_reason(browser, stack, output_dir):
    d = browser
    c = stack.client()
    ghub, gpid, _ = stack.connect_portal(c, "config_audit")
    yhub, ypid, _ = stack.connect_portal(c, "config_audit")
    reason = stack.make_yellow(yhub, ypid)
    sign_in(d, stack, c.email, c.password)

    # its page: the button disabled, the reason beside it, and Reconnect
    d.get(stack.base + "/portals/%d" % ypid)
    disabled = wait_id(d, "audit-disabled")
    assert disabled.is_displayed()
    assert not d.find_elements(By.ID, "audit-form")
    button = d.find_element(By.ID, "run-audit")
    assert not button.is_enabled()
    assert button.get_attribute("aria-describedby") == "audit-disabled-why"
    why = d.find_element(By.ID, "audit-disabled-why")
    assert why.is_displayed()
    assert why.text.startswith("Audits cannot be started while the portal is Needs Reconnection."), why.text
    assert reason in why.text, (reason, why.text)
    link = d.find_element(By.ID, "audit-reconnect")
    assert link.is_displayed() and "Reconnect" in link.text
    assert d.find_element(By.ID, "reconnect-form").is_displayed()  # where the link leads
    assert fits_the_window(d)
    d.execute_script("arguments[0].scrollIntoView({block: 'center'});", disabled)
    d.save_screenshot(os.path.join(output_dir, "audit-4-yellow-portal.png"))
    link.click()
    WebDriverWait(d, WAIT).until(lambda drv: drv.current_url.endswith("/portals/%d#reconnect-form" % ypid))
    button.click()  # a disabled button does nothing
    assert d.current_url.endswith("/portals/%d#reconnect-form" % ypid)
    assert stack.sql("SELECT count(*) FROM runs WHERE portal_id = %s AND kind = 'audit'", (ypid,)) == [(0,)]

    # Client Accounts: the yellow row's button is disabled with "Reconnect
    # first"; the green row's starts an audit
    d.get(stack.base + "/portals")
    yrow = wait_id(d, "portal-%d" % ypid)
    assert not d.find_elements(By.ID, "audit-%d" % ypid)
    ybutton = yrow.find_element(By.XPATH, ".//button[normalize-space(.)='Run audit']")
    assert not ybutton.is_enabled()
    note = d.find_element(By.ID, "audit-why-%d" % ypid)
    assert note.text == "Reconnect first" and note.is_displayed()
    assert ybutton.get_attribute("aria-describedby") == "audit-why-%d" % ypid
    assert d.find_element(By.ID, "reconnect-%d" % ypid).is_enabled()
    gbutton = d.find_element(By.ID, "audit-%d" % gpid)
    assert gbutton.is_enabled() and gbutton.text == "Run audit"
    assert not d.find_elements(By.ID, "audit-why-%d" % gpid)
    assert fits_the_window(d)
    d.save_screenshot(os.path.join(output_dir, "audit-5-client-accounts.png"))
    gbutton.click()
    WebDriverWait(d, WAIT).until(lambda drv: "/audits/" in drv.current_url)
    assert wait_id(d, "run-title").text.startswith("Audit of ")
    assert stack.sql("SELECT count(*) FROM runs WHERE portal_id = %s AND kind = 'audit'", (gpid,)) == [(1,)]
    stack.worker_once()  # leaves no job behind for the session's other tests
    d.refresh()
    assert wait_id(d, "run-state").text == "Succeeded"
    assert csp_violations(d) == []
