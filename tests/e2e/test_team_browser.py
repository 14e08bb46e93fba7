"""The team in a real browser: an owner reaches the Team page from the
sidebar (members with role and last sign-in, pending invitations), invites
someone by email (this server sends no mail: the link is shown once to
copy), changes a member's role; then the invited person, in a browser
without a session, opens the link, sets a password and lands in the
organisation; and a user of two organisations chooses one after sign-in and
switches from the header.

Screenshots go to tests/output/team-*.png."""
import os
import re

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from test_browser import browser, csp_violations, sign_in, wait_id, wait_path  # noqa: F401


def test_team_page_invite_and_acceptance(stack, browser, output_dir):
    d = browser
    owner = stack.client()
    admin = stack.client(org=owner.org, role="admin")
    viewer = stack.client(org=owner.org, role="viewer")
    invited = "colleague-%s@example.test" % os.urandom(3).hex()
    sign_in(d, stack, owner.email, owner.password)
    d.find_element(By.ID, "nav-team").click()
    wait_path(d, "/team")
    members = wait_id(d, "members")
    for c, role in ((owner, "Owner"), (admin, "Admin"), (viewer, "Viewer")):
        assert c.email in members.text
    # the owner's own row shows a last sign-in time
    (oid,), = stack.sql("SELECT id FROM users WHERE email = %s", (owner.email,))
    assert d.find_element(By.CSS_SELECTOR, "#member-%d time" % oid).get_attribute("datetime")
    # change the viewer to a member
    (vid,), = stack.sql("SELECT id FROM users WHERE email = %s", (viewer.email,))
    Select(d.find_element(By.ID, "member-%d-role" % vid)).select_by_value("member")
    d.find_element(By.ID, "member-%d-save" % vid).click()
    wait_id(d, "flash")
    assert "Member" in d.find_element(By.ID, "flash").text
    # invite by email
    d.find_element(By.ID, "invite-email").send_keys(invited)
    Select(d.find_element(By.ID, "invite-role")).select_by_value("admin")
    d.find_element(By.ID, "invite-send").click()
    url = wait_id(d, "invite-url").get_attribute("value")
    assert re.fullmatch(re.escape(stack.base) + r"/invite\?t=[A-Za-z0-9_-]{43}", url), url
    d.save_screenshot(os.path.join(output_dir, "team-2-invite-link.png"))
    d.find_element(By.ID, "invite-back").click()
    wait_path(d, "/team")
    assert invited in wait_id(d, "invites").text
    d.save_screenshot(os.path.join(output_dir, "team-1-page.png"))
    assert csp_violations(d) == []
    # the invited person: no session, opens the link
    d.delete_all_cookies()
    d.get(url)
    wait_id(d, "invite-accept-form")
    assert invited in d.find_element(By.ID, "invite-email").text
    assert d.find_element(By.ID, "invite-role").text == "Admin"
    d.find_element(By.ID, "password").send_keys("a long enough password")
    d.find_element(By.ID, "password2").send_keys("a long enough password")
    d.save_screenshot(os.path.join(output_dir, "team-3-accept.png"))
    d.find_element(By.ID, "invite-accept").click()
    wait_path(d, "/portals")
    assert d.find_element(By.ID, "me-email").text == invited
    assert d.find_element(By.ID, "org-name").text == owner.org
    d.find_element(By.ID, "nav-team").click()  # an admin now
    wait_path(d, "/team")
    d.save_screenshot(os.path.join(output_dir, "team-4-joined.png"))
    assert invited in wait_id(d, "members").text
    assert "No pending invitations" in d.find_element(By.ID, "invites").text
    assert csp_violations(d) == []


def test_two_organisations_choose_and_switch(stack, browser, output_dir):
    d = browser
    a, b = stack.new_org(), stack.new_org()
    email, pw = stack.new_user(a, "owner")
    stack.admin("user", "create", "--org", b, "--email", email, "--role", "viewer", input="unused\n")
    sign_in(d, stack, email, pw, landing="/orgs")
    wait_id(d, "orgs")
    d.save_screenshot(os.path.join(output_dir, "team-5-choose.png"))
    d.find_element(By.ID, "org-%d-choose" % stack.org_id(b)).click()
    wait_path(d, "/portals")
    assert d.find_element(By.ID, "org-name").text == b
    assert not d.find_elements(By.ID, "nav-team")  # a viewer there
    d.find_element(By.ID, "switch-org").click()
    wait_path(d, "/orgs")
    d.find_element(By.ID, "org-%d-choose" % stack.org_id(a)).click()
    wait_path(d, "/portals")
    assert d.find_element(By.ID, "org-name").text == a
    assert d.find_elements(By.ID, "nav-team")
    assert csp_violations(d) == []
