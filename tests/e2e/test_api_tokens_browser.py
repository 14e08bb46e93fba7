"""API tokens in a real browser (issue 17 item 2): an owner opens "API
tokens" from the sidebar, creates a token, sees it once (with a curl line to
try), the token reads the organisation's portals over the API, the list page
shows it by prefix only with its last use, and Revoke refuses it from then
on.  axe-core finds no serious or critical issue on the list and on the
page that shows the token.  Screenshots go to tests/output/api-tokens-*.png."""
import os

import requests
from selenium.webdriver.common.by import By

from test_browser import browser, csp_violations, sign_in, wait_id, wait_path  # noqa: F401
from test_scale_browser import axe_problems


def fits_the_window(d):
    return d.execute_script("return document.documentElement.scrollWidth <= "
                            "document.documentElement.clientWidth")


def test_create_see_once_use_and_revoke_a_token(browser, stack, output_dir):
    d = browser
    c = stack.client()
    oid = stack.org_id(c.org)
    stack.sql("INSERT INTO portals (org_id, hub_id, hub_domain, name, connection_type, status) "
              "VALUES (%s, 41999001, 'browser.example.com', 'Browser Client', 'config_only', "
              "'connected')", (oid,))
    sign_in(d, stack, c.email, c.password)

    nav = wait_id(d, "nav-api-tokens")
    nav.click()
    wait_path(d, "/settings/api")
    assert d.find_element(By.ID, "nav-api-tokens").get_attribute("aria-current") == "page"
    assert "No tokens yet." in d.find_element(By.ID, "api-tokens").text
    d.find_element(By.ID, "api-token-name").send_keys("Reporting dashboard")
    d.find_element(By.ID, "api-token-create").click()

    # shown once, with a line to try it
    box = wait_id(d, "api-token")
    token = box.get_attribute("value")
    assert token.startswith("jsk_") and len(token) == 47, token
    assert box.get_attribute("readonly") is not None
    assert token in d.find_element(By.ID, "api-token-curl").text
    assert fits_the_window(d)
    assert axe_problems(d) == []
    d.save_screenshot(os.path.join(output_dir, "api-tokens-1-shown-once.png"))

    r = requests.get(stack.base + "/api/v1/portals", headers={"Authorization": "Bearer " + token},
                     timeout=10)
    assert r.status_code == 200 and [p["name"] for p in r.json()["data"]] == ["Browser Client"]

    d.find_element(By.ID, "api-token-done").click()
    wait_path(d, "/settings/api")
    assert token not in d.page_source  # never shown again
    table = d.find_element(By.ID, "api-tokens")
    row = table.find_element(By.CSS_SELECTOR, "tbody tr[id^=api-token-]")
    cells = [td.text for td in row.find_elements(By.TAG_NAME, "td")]
    assert cells[0] == "Reporting dashboard" and cells[1] == token[:8] + "…", cells
    assert c.email in cells[2] and cells[3] != "never", cells  # its last use is shown
    assert row.find_element(By.CSS_SELECTOR, "td:nth-child(4) time").get_attribute("datetime")
    assert fits_the_window(d)
    assert axe_problems(d) == []
    d.save_screenshot(os.path.join(output_dir, "api-tokens-2-list.png"))

    # revoke: a flash, the row moves to Revoked, the API refuses the token
    tid = row.get_attribute("id").rsplit("-", 1)[1]
    d.find_element(By.ID, "revoke-" + tid).click()
    wait_path(d, "/settings/api")
    assert "revoked" in wait_id(d, "flash").text
    assert "No tokens yet." in d.find_element(By.ID, "api-tokens").text
    assert "Reporting dashboard" in d.find_element(By.ID, "api-tokens-revoked").text
    r = requests.get(stack.base + "/api/v1/portals", headers={"Authorization": "Bearer " + token},
                     timeout=10)
    assert r.status_code == 401 and "Browser Client" not in r.text
    assert not csp_violations(d)
    d.save_screenshot(os.path.join(output_dir, "api-tokens-3-revoked.png"))
