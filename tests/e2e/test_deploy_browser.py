"""Deployments in a real browser: from the asset library (ticked assets, or
"Deploy all matching") to the deploy form, to the deployment page, which
follows the deployment by itself (static/follow.js under the CSP) until it
has finished; a deployment with mixed results filtered to its failures; and
a deployment to a yellow portal, which fails at its first HubSpot call with
a Reconnect button.  Screenshots go to tests/output/deploy-*.png."""
import os

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from test_browser import WAIT, browser, csp_violations, sign_in, wait_id, wait_path  # noqa: F401

GROUP = {"name": "agency_info", "label": "Agency info"}


def tier(label="Contract tier", options=("Gold", "Silver")):
    return {"name": "contract_tier", "label": label, "type": "enumeration", "fieldType": "select",
            "groupName": "agency_info",
            "options": [{"label": o, "value": o.lower(), "displayOrder": i, "hidden": False}
                        for i, o in enumerate(options)]}


def detail(type_="string", field="text"):
    return {"name": "lead_source_detail", "label": "Lead source detail", "type": type_,
            "fieldType": field, "groupName": "agency_info"}


RENEWAL = {"name": "renewal_date", "label": "Renewal date", "type": "date", "fieldType": "date",
           "groupName": "agency_info"}


def set_schema(stack, hub, props):
    stack.sim("POST", "/_sim/portals/%d/properties" % hub,
              {"object_type": "contacts", "groups": [GROUP], "properties": list(props),
               "replace": True})


def target_props(stack, hub):
    obj = stack.sim("GET", "/_sim/portals/%d/properties?object_type=contacts" % hub)
    o = obj["objects"]["contacts"]
    return {g["name"] for g in o["groups"]}, {p["name"]: p for p in o["properties"]}


def library(stack, c):
    """A source portal with a group and three custom contact properties,
    imported into the organisation's library through the product."""
    hub, pid, _ = stack.connect_portal(c, "config_only")
    set_schema(stack, hub, [tier(), detail(), RENEWAL])
    r = c.post("/portals/%d/imports" % pid, {"csrf": c.csrf("/portals/%d" % pid)})
    assert r.status_code == 303, r.status_code
    stack.worker_once()
    return hub


def tick(d, name):
    box = d.find_element(By.XPATH, "//table[@id='asset-table']//tr[td/code[text()='%s']]"
                                   "//input[@type='checkbox']" % name)
    box.click()
    assert box.is_selected()


def item_results(d):
    """{internal name: result label} of the items table."""
    out = {}
    for row in d.find_elements(By.CSS_SELECTOR, "#deploy-items tbody tr[id^=item-]"):
        cells = row.find_elements(By.TAG_NAME, "td")
        out[cells[1].text] = cells[4].text
    return out


def fits_the_window(d):
    """The page does not scroll sideways at 1280 pixels."""
    return d.execute_script("return document.documentElement.scrollWidth <= "
                            "document.documentElement.clientWidth")


def run_id(d):
    return int(d.current_url.split("/runs/", 1)[1].split("?", 1)[0])


def test_deploy_ticked_assets_and_the_page_follows_it(browser, stack, output_dir):
    d = browser
    c = stack.client()
    library(stack, c)
    thub, tpid, _ = stack.connect_portal(c, "config_audit")
    sign_in(d, stack, c.email, c.password)

    # the library: tick two properties
    d.get(stack.base + "/assets")
    wait_id(d, "asset-table")
    tick(d, "contract_tier")
    tick(d, "lead_source_detail")
    d.save_screenshot(os.path.join(output_dir, "deploy-1-library.png"))
    d.find_element(By.ID, "deploy-selected").click()

    # the deploy form: their group comes along
    wait_path(d, "/deploy")
    summary = wait_id(d, "deploy-summary").text
    assert summary.startswith("3 groups and properties: 2 properties and 1 property group ("), summary
    target = d.find_element(By.ID, "target-%d" % tpid)
    target.click()
    assert target.is_selected()
    assert fits_the_window(d)
    d.save_screenshot(os.path.join(output_dir, "deploy-2-form.png"))
    d.find_element(By.ID, "deploy-submit").click()

    # one target: its deployment page, queued (no worker yet) and followed
    WebDriverWait(d, WAIT).until(lambda drv: "/runs/" in drv.current_url)
    run = wait_id(d, "run")
    rid = run_id(d)
    assert run.get_attribute("data-follow") == "1"
    assert d.find_element(By.ID, "run-state").text == "Queued"
    assert d.find_element(By.ID, "run-refresh").is_displayed()
    assert d.find_element(By.ID, "deploy-progress").text == "0 of 3 items done"
    assert set(item_results(d).values()) == {"Not yet"}
    d.execute_script("window.__jst_mark = 1;")  # gone once the page reloads itself
    with stack.worker_proc(env={"JETSTACK_WORKER_POLL_SECONDS": "1"}):
        # the page reloads itself while this polls: a node read across a
        # reload is gone (stale, or chromedriver's "does not belong to the
        # document"), so those errors only mean "look again"
        WebDriverWait(d, 40, ignored_exceptions=(WebDriverException,)).until(
            lambda drv: drv.find_element(By.ID, "run-state").text == "Succeeded")
    assert d.execute_script("return window.__jst_mark === undefined;")  # follow.js reloaded it
    assert d.find_element(By.ID, "run").get_attribute("data-follow") is None
    assert not d.find_elements(By.ID, "run-refresh")
    assert d.find_element(By.ID, "deploy-progress").text == "3 of 3 items done"
    assert d.find_element(By.ID, "deploy-created").text == "3"
    assert d.find_element(By.ID, "deploy-failed").text == "0"
    assert item_results(d) == {"agency_info": "Created", "contract_tier": "Created",
                               "lead_source_detail": "Created"}
    d.save_screenshot(os.path.join(output_dir, "deploy-3-finished.png"))

    # HubSpot holds them
    groups, props = target_props(stack, thub)
    assert "agency_info" in groups
    assert {"contract_tier", "lead_source_detail"} <= set(props) and "renewal_date" not in props
    assert [o["value"] for o in props["contract_tier"]["options"]] == ["gold", "silver"]

    # the portal's page lists it
    d.find_element(By.CSS_SELECTOR, "#run .crumbs a[href='/portals/%d']" % tpid).click()
    wait_path(d, "/portals/%d" % tpid)
    row = wait_id(d, "deploy-row-%d" % rid)
    assert "Succeeded" in row.text and "3 created" in row.text
    assert csp_violations(d) == []


def test_mixed_results_filtered_and_a_yellow_target_failing_at_its_first_call(browser, stack, output_dir):
    d = browser
    c = stack.client()
    library(stack, c)
    mhub, mpid, _ = stack.connect_portal(c, "config_only")
    yhub, ypid, _ = stack.connect_portal(c, "config_audit")
    stack.make_yellow(yhub, ypid)
    # the target already has the tier with other options, and the detail as a number
    set_schema(stack, mhub, [tier("Contract tier", ("Gold", "Platinum")), detail("number", "number")])
    sign_in(d, stack, c.email, c.password)

    # "Deploy all matching" -> both targets ticked -> two deployments
    d.get(stack.base + "/assets")
    wait_id(d, "deploy-all").click()
    wait_path(d, "/deploy")
    assert wait_id(d, "deploy-summary").text.startswith("4 groups and properties")
    ytarget = d.find_element(By.ID, "target-%d" % ypid)
    yitem = ytarget.find_element(By.XPATH, "./..")
    assert "Needs Reconnection" in yitem.text and "first HubSpot call" in yitem.text, yitem.text
    d.find_element(By.ID, "target-%d" % mpid).click()
    ytarget.click()
    d.save_screenshot(os.path.join(output_dir, "deploy-4-form-two-targets.png"))
    d.find_element(By.ID, "deploy-submit").click()
    wait_path(d, "/deployments")
    assert "2 deployments queued" in wait_id(d, "flash").text

    stack.worker_once()
    d.get(stack.base + "/deployments")
    rows = {}  # portal id -> (deployment id, row text)
    for row in wait_id(d, "deployments").find_elements(By.CSS_SELECTOR, "tbody tr[id^=deploy-row-]"):
        to = row.find_elements(By.TAG_NAME, "td")[1].find_element(By.TAG_NAME, "a")
        rows[int(to.get_attribute("pathname").rsplit("/", 1)[1])] = (
            int(row.get_attribute("id").rsplit("-", 1)[1]), row.text)
    assert set(rows) == {mpid, ypid}, rows
    assert "Partly failed" in rows[mpid][1], rows
    assert "Failed" in rows[ypid][1] and "Partly" not in rows[ypid][1], rows
    d.save_screenshot(os.path.join(output_dir, "deploy-5-deployments.png"))

    # the mixed one: created, updated, unchanged and failed; filtered to Failed
    d.find_element(By.CSS_SELECTOR, "#deploy-row-%d a[href='/runs/%d']" % ((rows[mpid][0],) * 2)).click()
    wait_id(d, "deploy-items")
    assert d.find_element(By.ID, "run-state").text == "Partly failed"
    assert item_results(d) == {"agency_info": "Unchanged", "contract_tier": "Updated",
                               "lead_source_detail": "Failed", "renewal_date": "Created"}
    for k, n in (("created", "1"), ("updated", "1"), ("unchanged", "1"), ("failed", "1")):
        assert d.find_element(By.ID, "deploy-" + k).text == n, k
    d.find_element(By.XPATH, "//nav[@id='item-filters']/a[starts-with(normalize-space(.), 'Failed')]").click()
    WebDriverWait(d, WAIT).until(lambda drv: drv.current_url.endswith("?result=failed"))
    wait_id(d, "deploy-items")
    current = d.find_element(By.CSS_SELECTOR, "#item-filters a[aria-current=page]")
    assert current.text.startswith("Failed (1)"), current.text
    assert item_results(d) == {"lead_source_detail": "Failed"}
    failed_row = d.find_element(By.CSS_SELECTOR, "#deploy-items tbody tr[id^=item-]")
    assert "never changes a property's type" in failed_row.text, failed_row.text
    assert fits_the_window(d)
    d.save_screenshot(os.path.join(output_dir, "deploy-6-mixed-failed-filter.png"))
    _, props = target_props(stack, mhub)
    assert props["lead_source_detail"]["type"] == "number"  # never changed
    assert [o["value"] for o in props["contract_tier"]["options"]] == ["gold", "platinum", "silver"]
    assert "renewal_date" in props

    # the yellow one: failed at its first call, the rest not attempted, Reconnect offered
    d.get(stack.base + "/runs/%d" % rows[ypid][0])
    failure = wait_id(d, "run-failure")
    assert d.find_element(By.ID, "run-state").text == "Failed"
    assert "Needs Reconnection" in failure.text and "first call" in failure.text, failure.text
    assert d.find_element(By.ID, "run-reconnect").is_displayed()
    assert d.find_element(By.ID, "run").get_attribute("data-follow") is None
    results = item_results(d)
    assert list(results.values()).count("Failed") == 1, results
    assert set(results.values()) == {"Failed", "Not attempted"}, results
    d.save_screenshot(os.path.join(output_dir, "deploy-7-yellow-failed.png"))
    _, yprops = target_props(stack, yhub)
    assert not {"contract_tier", "lead_source_detail", "renewal_date"} & set(yprops)
    assert csp_violations(d) == []
