"""Imports in a real browser: from a portal's page to its run page (which
follows the run by itself, through static/follow.js under the CSP), to the
asset library and an asset's versions side by side; and on a yellow portal,
the import that fails at once.  Screenshots go to tests/output/."""
import os
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from test_browser import WAIT, browser, csp_violations, sign_in, wait_id, wait_path  # noqa: F401

GROUP = {"name": "agency_info", "label": "Agency info"}


def tier(label):
    return {"name": "contract_tier", "label": label, "type": "enumeration", "fieldType": "select",
            "groupName": "agency_info",
            "options": [{"label": o, "value": o.lower(), "displayOrder": i, "hidden": False}
                        for i, o in enumerate(("Gold", "Silver"))]}


def set_schema(stack, hub, label):
    stack.sim("POST", "/_sim/portals/%d/properties" % hub,
              {"object_type": "contacts", "groups": [GROUP],
               "properties": [tier(label), {"name": "renewal_date", "label": "Renewal date",
                                            "type": "date", "fieldType": "date",
                                            "groupName": "agency_info"}]})


def click_import(d, stack, pid):
    d.get(stack.base + "/portals/%d" % pid)
    wait_id(d, "import").click()
    WebDriverWait(d, WAIT).until(lambda drv: "/runs/" in drv.current_url)
    return wait_id(d, "run")


def test_import_run_page_library_and_versions(browser, stack, output_dir):
    d = browser
    c = stack.client()
    hub, pid, _ = stack.connect_portal(c, "config_audit")
    set_schema(stack, hub, "Contract tier")
    sign_in(d, stack, c.email, c.password)
    env = {"JETSTACK_WORKER_POLL_SECONDS": "1"}
    with stack.worker_proc(env=env):
        click_import(d, stack, pid)
        # the page follows the run by itself until it has finished
        WebDriverWait(d, 40).until(
            lambda drv: drv.find_element(By.ID, "run-state").text == "Succeeded")
        assert "4 of 4 object types" in d.find_element(By.ID, "run-steps").text
        assert d.find_element(By.ID, "run-new").text == "3"
        d.save_screenshot(os.path.join(output_dir, "import-run.png"))
        # HubSpot changes a label; a second import makes version 2
        set_schema(stack, hub, "Contract level")
        click_import(d, stack, pid)
        WebDriverWait(d, 40).until(
            lambda drv: drv.find_element(By.ID, "run-state").text == "Succeeded")
    assert d.find_element(By.ID, "run-changed").text == "1"
    d.find_element(By.ID, "run-library").click()
    wait_path(d, "/assets")
    table = wait_id(d, "asset-table")
    assert "Contract level" in table.text and "Renewal date" in table.text
    d.save_screenshot(os.path.join(output_dir, "asset-library.png"))
    d.find_element(By.LINK_TEXT, "Contract level").click()
    wait_id(d, "versions")
    assert d.find_element(By.ID, "asset-version").text == "2"
    v2, v1 = d.find_element(By.ID, "version-2"), d.find_element(By.ID, "version-1")
    assert "Contract level" in v2.text and "Contract tier" in v1.text
    assert v1.location["y"] == v2.location["y"]  # side by side
    d.save_screenshot(os.path.join(output_dir, "asset-versions.png"))
    assert csp_violations(d) == []


def test_import_on_a_yellow_portal_fails_at_once(browser, stack, output_dir):
    d = browser
    c = stack.client()
    hub, pid, _ = stack.connect_portal(c, "config_only")
    set_schema(stack, hub, "Contract tier")
    stack.make_yellow(hub, pid)
    sign_in(d, stack, c.email, c.password)
    d.get(stack.base + "/portals/%d" % pid)
    assert wait_id(d, "import-hint").is_displayed()
    t0 = time.time()
    run = click_import(d, stack, pid)
    failure = wait_id(d, "run-failure")
    assert d.find_element(By.ID, "run-state").text == "Failed"
    assert "Authentication error" in failure.text and "Needs Reconnection" in failure.text
    assert d.find_element(By.ID, "run-reconnect").is_displayed()
    assert run.get_attribute("data-follow") is None  # nothing to follow: it is over
    assert time.time() - t0 < WAIT
    d.save_screenshot(os.path.join(output_dir, "import-failed-yellow.png"))
