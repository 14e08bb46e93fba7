"""The stack answers: sign-in page, a signed-in Client Accounts page with the
sidebar, and a first connection through the simulator."""
import re


def test_signed_in_layout_and_first_connect(stack):
    c = stack.client()
    r = c.get("/portals")
    assert r.status_code == 200
    assert 'id="nav-client-accounts"' in r.text
    assert "No client portals yet" in r.text
    hub = stack.new_hub("Smoke Portal")
    r = c.connect(hub, "config_only", as_user="alex@agency.test")
    assert r.status_code == 303, r.text[:2000]
    pid = stack.portal_id(c.org, hub)
    page = c.get("/portals").text
    # the new portal's own row, green: "Connected" alone is always on the
    # page (the status filter's label)
    rows = re.findall(r'<tr id="portal-%d"([^>]*)>(.*?)</tr>' % pid, page, re.S)
    assert len(rows) == 1, page[:3000]
    attrs, cells = rows[0]
    assert 'data-status="connected"' in attrs, attrs
    assert "<td>%d</td>" % hub in cells, cells
    assert re.search(r'<span class="indicator green">\s*Connected\s*</span>', cells), cells


def test_logs_hold_no_secrets(stack):
    """Logs never contain the client secret, passwords, cookies, OAuth codes
    or states, or tokens (DESIGN §6)."""
    import os
    from urllib.parse import parse_qs, urlsplit

    c = stack.client()
    hub = stack.new_hub("Log Check Portal")
    callback = c.hubspot_choose(c.start_connect("config_audit"), hub, as_user="alex@agency.test")
    q = parse_qs(urlsplit(callback).query)
    assert c.follow_callback(callback).status_code == 303
    c.login(c.email, "wrong-" + c.password, expect_ok=False)
    grant = stack.sim("POST", "/_sim/grants", {"hub_id": hub, "user_email": "alex@agency.test",
                                               "scopes": ["oauth"]})
    stack.worker_once()
    secrets_seen = [stack.client_secret, c.password, "wrong-" + c.password, q["code"][0], q["state"][0],
                    c.s.cookies.get("js_session"), stack.token_key, stack.session_key,
                    grant["access_token"], grant["refresh_token"]]
    logs = ""
    for name in os.listdir(os.path.join(stack.state, "logs")):
        with open(os.path.join(stack.state, "logs", name), errors="replace") as f:
            logs += f.read()
    assert '"event":"portal_connected"' in logs  # the logs were read
    for s in secrets_seen:
        assert s and s not in logs


def test_favicon_is_served_by_nginx_not_the_app(stack):
    """Browsers fetch /favicon.ico on every page: nginx answers it from
    static/, so it never costs a FastCGI request (or a 404 page)."""
    import requests

    def unknown_404s():
        text = requests.get(stack.base + "/metrics", timeout=10).text
        for line in text.splitlines():
            if line.startswith('jetstack_http_requests_total{route="unknown",status="404"}'):
                return int(line.split()[-1])
        return 0

    before = unknown_404s()
    r = requests.get(stack.base + "/favicon.ico", timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("image/svg+xml")
    assert "<svg" in r.text
    assert unknown_404s() == before
    page = requests.get(stack.base + "/login", timeout=10).text
    assert 'rel="icon" href="/static/favicon.svg"' in page
