"""The stack answers: sign-in page, a signed-in Client Accounts page with the
sidebar, and a first connection through the simulator."""


def test_signed_in_layout_and_first_connect(stack):
    c = stack.client()
    r = c.get("/portals")
    assert r.status_code == 200
    assert 'id="nav-client-accounts"' in r.text
    assert "No client portals yet" in r.text
    hub = stack.new_hub("Smoke Portal")
    r = c.connect(hub, "config_only", as_user="alex@agency.test")
    assert r.status_code == 303, r.text[:2000]
    page = c.get("/portals").text
    assert "Connected" in page and str(hub) in page
