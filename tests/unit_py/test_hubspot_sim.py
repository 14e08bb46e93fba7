"""Tests of the HubSpot simulator itself (tests/hubspot_sim.py).

Run: /usr/bin/python3 -m pytest tests/unit_py -q
The simulator is started as a subprocess on a free port and stopped by PID (SIGTERM).
"""

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
SIM = os.path.join(os.path.dirname(HERE), "hubspot_sim.py")
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable

CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret-0123456789"
REDIRECT = "http://127.0.0.1:8080/oauth/callback"
SCOPES = "oauth settings.users.read"
ACME, GLOBEX, INITECH, UMBRELLA, STARK, WAYNE = 20001001, 20001002, 20001003, 20001004, 20001005, 20001006
ALEX, SAM, RILEY = "71000001", "71000002", "71000003"
BAD_REFRESH_KEYS = {"status", "message", "correlationId", "error", "error_description"}


def start_sim(tmp_path, *extra):
    port_file = tmp_path / "sim.port"
    pid_file = tmp_path / "sim.pid"
    proc = subprocess.Popen(
        [PYTHON, SIM, "--port", "0", "--port-file", str(port_file), "--pid-file", str(pid_file),
         "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET, "--seed", "demo", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = {}

    def reader():
        line["v"] = proc.stdout.readline()

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    t.join(15)
    assert "v" in line, "simulator did not print its ready line"
    m = re.fullmatch(r"hubspot-sim listening on http://127\.0\.0\.1:(\d+)\n", line["v"])
    assert m, line["v"]
    port = int(m.group(1))
    assert int(port_file.read_text().strip()) == port
    pid = int(pid_file.read_text().strip())
    assert pid == proc.pid
    return proc, port, pid, port_file, pid_file


def stop_sim(proc, pid):
    os.kill(pid, signal.SIGTERM)
    try:
        return proc.wait(10)
    except subprocess.TimeoutExpired:  # pragma: no cover
        proc.kill()
        raise


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sim")
    proc, port, pid, _, _ = start_sim(tmp)
    yield "http://127.0.0.1:%d" % port
    assert stop_sim(proc, pid) == 0


@pytest.fixture()
def base(sim):
    r = requests.post(sim + "/_sim/reset", json={"seed": "demo"})
    assert r.status_code == 200
    return sim


# ------------------------------------------------------------------ helpers
def authorize_url(base, **kw):
    params = {"client_id": CLIENT_ID, "redirect_uri": REDIRECT, "scope": SCOPES, "state": "st-123"}
    params.update(kw)
    return base + "/oauth/authorize", params


def decide(base, hub_id, action="connect", scope=SCOPES, optional_scope=None, state="st-123", as_user=None,
           redirect_uri=REDIRECT, client_id=CLIENT_ID):
    form = {"client_id": client_id, "redirect_uri": redirect_uri, "scope": scope, "state": state, "action": action}
    if hub_id is not None:
        form["hub_id"] = str(hub_id)
    if optional_scope is not None:
        form["optional_scope"] = optional_scope
    if as_user:
        form["as_user"] = as_user
    return requests.post(base + "/oauth/authorize/decision", data=form, allow_redirects=False)


def get_code(base, hub_id=ACME, **kw):
    r = decide(base, hub_id, **kw)
    assert r.status_code == 302, r.text
    loc = urlsplit(r.headers["Location"])
    q = parse_qs(loc.query)
    assert q["state"] == [kw.get("state", "st-123")]
    return q["code"][0]


def token(base, **form):
    return requests.post(base + "/oauth/2026-03/token", data=form)


def exchange(base, code, redirect_uri=REDIRECT):
    return token(base, grant_type="authorization_code", client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                 redirect_uri=redirect_uri, code=code)


def refresh(base, rt):
    return token(base, grant_type="refresh_token", client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                 refresh_token=rt)


def connect(base, hub_id=ACME, **kw):
    r = exchange(base, get_code(base, hub_id, **kw))
    assert r.status_code == 200, r.text
    return r.json()


def introspect(base, tok, hint=None):
    form = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "token": tok}
    if hint:
        form["token_type_hint"] = hint
    return requests.post(base + "/oauth/2026-03/token/introspect", data=form)


def revoke(base, tok):
    return requests.post(base + "/oauth/2026-03/token/revoke",
                         data={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "token": tok,
                               "token_type_hint": "refresh_token"})


def get_user(base, at, user_id, **params):
    return requests.get(base + "/settings/users/2026-03/%s" % user_id, params=params,
                        headers={"Authorization": "Bearer " + at})


def assert_bad_refresh(r):
    assert r.status_code == 400
    body = r.json()
    assert set(body) == BAD_REFRESH_KEYS
    assert body["status"] == "BAD_REFRESH_TOKEN"
    assert body["error"] == "invalid_grant"
    uuid.UUID(body["correlationId"])


def assert_api_error(r, status, category):
    assert r.status_code == status, r.text
    body = r.json()
    assert body["status"] == "error"
    assert body["category"] == category
    assert body["message"]
    uuid.UUID(body["correlationId"])
    return body


# ------------------------------------------------------------------ process / CLI
def test_cli_files_and_sigterm(tmp_path):
    proc, port, pid, port_file, pid_file = start_sim(tmp_path, "--seed", "empty")
    r = requests.get("http://127.0.0.1:%d/_sim/state" % port)
    assert r.status_code == 200 and r.json()["portals"] == []
    assert stop_sim(proc, pid) == 0
    assert not port_file.exists() and not pid_file.exists()
    with pytest.raises(requests.ConnectionError):
        requests.get("http://127.0.0.1:%d/_sim/health" % port, timeout=2)


def test_listens_on_loopback_only(base):
    port = urlsplit(base).port
    out = subprocess.run(["ss", "-ltnH", "sport = :%d" % port], capture_output=True, text=True)
    if out.returncode == 0 and out.stdout.strip():
        local = [line.split()[3] for line in out.stdout.strip().splitlines()]
        assert local == ["127.0.0.1:%d" % port]


# ------------------------------------------------------------------ authorize page
def test_authorize_page_content(base):
    url, params = authorize_url(base, optional_scope="crm.objects.contacts.read",
                                state='<script>alert("x")</script>')
    r = requests.get(url, params=params)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")
    t = r.text
    assert "JetStack AI" in re.search(r"<h1[^>]*>(.*?)</h1>", t).group(1)
    assert "Choose an account" in t
    radios = re.findall(r'<input type="radio" name="hub_id" value="(\d+)" id="portal-(\d+)"', t)
    assert [(int(a), int(b)) for a, b in radios] == [(h, h) for h in (ACME, GLOBEX, INITECH, UMBRELLA, STARK, WAYNE)]
    for name, domain, hub in (("Acme Corp", "acme-corp.com", ACME), ("Globex Marketing", "globex-marketing.com",
                                                                     GLOBEX)):
        label = re.search(r'<label for="portal-%d">(.*?)</label>' % hub, t).group(1)
        assert name in label and domain in label and str(hub) in label
    assert re.search(r'<button[^>]*id="connect-app"[^>]*>Connect app</button>', t)
    assert re.search(r'<button[^>]*id="cancel"[^>]*>Cancel</button>', t)
    assert 'action="/oauth/authorize/decision"' in t and 'method="post"' in t
    for field in ("client_id", "redirect_uri", "scope", "optional_scope", "state"):
        assert re.search(r'<input type="hidden" name="%s" value="[^"]*">' % field, t), field
    for s in ("oauth", "settings.users.read", "crm.objects.contacts.read"):
        assert ">%s</li>" % s in t
    assert "<script>" not in t and "&lt;script&gt;" in t
    assert "alex@agency.example" in t


def test_authorize_page_shows_only_users_portals(base):
    url, params = authorize_url(base, as_user="sam@agency.example")
    t = requests.get(url, params=params).text
    hubs = re.findall(r'id="portal-(\d+)"', t)
    assert hubs == [str(ACME), str(GLOBEX), str(INITECH), str(UMBRELLA)]
    assert '<input type="hidden" name="as_user" value="sam@agency.example">' in t
    requests.post(base + "/_sim/browser_user", json={"email": "riley@agency.example"}).raise_for_status()
    t = requests.get(*authorize_url(base)).text
    assert "riley@agency.example" in t and len(re.findall(r'type="radio"', t)) == 6


def test_authorize_rejects_unknown_client_and_empty_scope(base):
    url, params = authorize_url(base, client_id="nope")
    r = requests.get(url, params=params, allow_redirects=False)
    assert r.status_code == 400 and "Location" not in r.headers
    assert "client_id" in r.text and r.headers["Content-Type"].startswith("text/html")
    url, params = authorize_url(base, scope="")
    r = requests.get(url, params=params, allow_redirects=False)
    assert r.status_code == 400 and "Location" not in r.headers
    r = decide(base, ACME, client_id="nope")
    assert r.status_code == 400 and "Location" not in r.headers


def test_connect_redirects_with_code_and_state(base):
    r = decide(base, ACME, state="a b&c")
    assert r.status_code == 302
    loc = urlsplit(r.headers["Location"])
    assert "%s://%s%s" % (loc.scheme, loc.netloc, loc.path) == REDIRECT
    q = parse_qs(loc.query)
    assert q["state"] == ["a b&c"] and len(q["code"][0]) >= 20


def test_cancel_redirects_access_denied(base):
    r = decide(base, None, action="cancel")
    assert r.status_code == 302
    q = parse_qs(urlsplit(r.headers["Location"]).query)
    assert q["error"] == ["access_denied"] and q["state"] == ["st-123"] and q["error_description"][0]
    assert "code" not in q


def test_connect_to_foreign_portal_is_forbidden(base):
    r = decide(base, STARK, as_user="sam@agency.example")
    assert r.status_code == 403 and "Location" not in r.headers
    r = decide(base, 99999999)
    assert r.status_code == 403


def test_uninstalled_portal_is_reinstalled_by_connect(base):
    connect(base, ACME)
    requests.post(base + "/_sim/portals/%d/uninstall" % ACME).raise_for_status()
    st = requests.get(base + "/_sim/state", params={"hub_id": ACME}).json()
    assert st["portals"][0]["app_state"] == "uninstalled"
    tok = connect(base, ACME)
    assert tok["hub_id"] == ACME
    st = requests.get(base + "/_sim/state", params={"hub_id": ACME}).json()
    assert st["portals"][0]["app_state"] == "installed"


# ------------------------------------------------------------------ token endpoint
def test_code_exchange_success_and_single_use(base):
    code = get_code(base, GLOBEX)
    r = exchange(base, code)
    assert r.status_code == 200
    assert "no-store" in r.headers.get("Cache-Control", "")
    body = r.json()
    assert body["token_type"] == "bearer" and body["token_use"] == "access_token"
    assert body["expires_in"] == 1800 and body["hub_id"] == GLOBEX and body["user_id"] == int(ALEX)
    assert body["scopes"] == ["oauth", "settings.users.read"]
    assert 100 <= len(body["access_token"]) <= 300 and body["refresh_token"]
    r2 = exchange(base, code)
    assert r2.status_code == 400
    b2 = r2.json()
    assert b2["status"] == "BAD_AUTH_CODE" and b2["error"] == "invalid_grant"
    assert set(b2) == BAD_REFRESH_KEYS


def test_code_expires_after_five_minutes(base):
    code = get_code(base)
    requests.post(base + "/_sim/clock", json={"advance_seconds": 301}).raise_for_status()
    assert exchange(base, code).json()["status"] == "BAD_AUTH_CODE"


def test_token_errors_client_and_redirect(base):
    code = get_code(base)
    r = token(base, grant_type="authorization_code", client_id=CLIENT_ID, client_secret="wrong",
              redirect_uri=REDIRECT, code=code)
    assert r.status_code == 400 and r.json()["status"] == "BAD_CLIENT_ID" and r.json()["error"] == "invalid_client"
    r = token(base, grant_type="authorization_code", client_id="other", client_secret=CLIENT_SECRET,
              redirect_uri=REDIRECT, code=code)
    assert r.json()["status"] == "BAD_CLIENT_ID"
    r = exchange(base, code, redirect_uri="http://127.0.0.1:8080/elsewhere")
    assert r.status_code == 400 and r.json()["status"] == "BAD_REDIRECT_URI"
    r = exchange(base, "not-a-code")
    assert r.json()["status"] == "BAD_AUTH_CODE"
    r = token(base, grant_type="password", client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"


def test_token_endpoint_is_form_only(base):
    code = get_code(base)
    payload = {"grant_type": "authorization_code", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
               "redirect_uri": REDIRECT, "code": code}
    r = requests.post(base + "/oauth/2026-03/token", json=payload)
    assert r.status_code == 415
    body = r.json()
    assert body["category"] == "VALIDATION_ERROR" and body["error"] == "invalid_request"
    uuid.UUID(body["correlationId"])
    r = requests.post(base + "/oauth/2026-03/token", params=payload)
    assert r.status_code in (400, 415)
    r = requests.post(base + "/oauth/2026-03/token", params={"code": code}, data=payload)
    assert r.status_code == 400 and "query" in r.json()["message"]
    for path in ("/oauth/2026-03/token/introspect", "/oauth/2026-03/token/revoke"):
        assert requests.post(base + path, json={"token": "x"}).status_code == 415
    # the code was never consumed by the rejected requests
    assert exchange(base, code).status_code == 200


def test_refresh_success_keeps_refresh_token(base):
    tok = connect(base)
    r = refresh(base, tok["refresh_token"])
    assert r.status_code == 200
    b = r.json()
    assert b["refresh_token"] == tok["refresh_token"] and b["access_token"] != tok["access_token"]
    assert b["expires_in"] == 1800 and b["hub_id"] == ACME and b["scopes"] == tok["scopes"]
    assert get_user(base, tok["access_token"], ALEX).status_code == 200  # old access token still valid
    assert get_user(base, b["access_token"], ALEX).status_code == 200


def test_bad_refresh_token_unknown(base):
    assert_bad_refresh(refresh(base, "na1-0000-unknown"))
    assert_bad_refresh(token(base, grant_type="refresh_token", client_id=CLIENT_ID, client_secret=CLIENT_SECRET))


def test_bad_refresh_token_after_invalidate(base):
    tok = connect(base)
    other = connect(base, GLOBEX)
    r = requests.post(base + "/_sim/portals/%d/invalidate_refresh_tokens" % ACME)
    assert r.json()["invalidated"] == 1
    assert_bad_refresh(refresh(base, tok["refresh_token"]))
    assert introspect(base, tok["refresh_token"]).json() == {"active": False}
    assert introspect(base, tok["access_token"]).json()["active"] is True  # access token lives until expiry
    assert refresh(base, other["refresh_token"]).status_code == 200  # other portals untouched
    new = connect(base)  # a reconnect works
    assert refresh(base, new["refresh_token"]).status_code == 200


def test_bad_refresh_token_after_uninstall(base):
    tok = connect(base)
    requests.post(base + "/_sim/portals/%d/uninstall" % ACME).raise_for_status()
    assert_bad_refresh(refresh(base, tok["refresh_token"]))
    assert introspect(base, tok["refresh_token"]).json() == {"active": False}
    assert introspect(base, tok["access_token"]).json() == {"active": False}
    assert_api_error(get_user(base, tok["access_token"], ALEX), 401, "INVALID_AUTHENTICATION")


def test_bad_refresh_token_after_deactivate(base):
    tok = connect(base, as_user="sam@agency.example")
    assert tok["user_id"] == int(SAM)
    admin = connect(base, GLOBEX)
    requests.post(base + "/_sim/users/%s/deactivate" % SAM).raise_for_status()
    assert_bad_refresh(refresh(base, tok["refresh_token"]))
    assert introspect(base, tok["refresh_token"]).json() == {"active": False}
    assert_api_error(get_user(base, admin["access_token"], SAM), 404, "OBJECT_NOT_FOUND")
    r = decide(base, ACME, as_user="sam@agency.example")
    assert r.status_code == 403


def test_role_change_and_removal(base):
    tok = connect(base, as_user="sam@agency.example")
    admin = connect(base)
    assert get_user(base, admin["access_token"], SAM).json()["roleIds"] == ["%d01" % ACME]
    r = requests.post(base + "/_sim/users/%s/role" % SAM, json={"hub_id": ACME, "super_admin": False,
                                                               "role_names": ["Sales Rep"]})
    assert r.status_code == 200
    u = get_user(base, admin["access_token"], SAM).json()
    assert u["roleIds"] == ["%d02" % ACME] and u["roleId"] == "%d02" % ACME and u["superAdmin"] is False
    assert refresh(base, tok["refresh_token"]).status_code == 200  # role change alone keeps tokens
    requests.post(base + "/_sim/users/%s/role" % SAM, json={"hub_id": ACME, "role_ids": ["%d01" % ACME],
                                                           "invalidate_refresh_tokens": True}).raise_for_status()
    assert_bad_refresh(refresh(base, tok["refresh_token"]))
    requests.post(base + "/_sim/users/%s/role" % SAM, json={"hub_id": ACME, "member": False}).raise_for_status()
    assert_api_error(get_user(base, admin["access_token"], SAM), 404, "OBJECT_NOT_FOUND")


# ------------------------------------------------------------------ introspect / revoke
def test_introspect_active_and_inactive(base):
    tok = connect(base, optional_scope="crm.objects.contacts.read")
    a = introspect(base, tok["access_token"], "access_token").json()
    assert a["active"] is True and a["token_use"] == "access_token"
    assert a["hub_id"] == ACME and a["hub_domain"] == "acme-corp.com" and a["user"] == "alex@agency.example"
    assert a["user_id"] == int(ALEX) and a["client_id"] == CLIENT_ID and isinstance(a["app_id"], int)
    assert set(a["scopes"]) == {"oauth", "settings.users.read", "crm.objects.contacts.read"}
    assert 0 < a["expires_in"] <= 1800 and a["token_type"]
    rt = introspect(base, tok["refresh_token"], "refresh_token").json()
    assert rt["active"] is True and rt["token_use"] == "refresh_token" and rt["hub_id"] == ACME
    assert rt["user"] == "alex@agency.example" and "expires_in" not in rt
    assert introspect(base, "garbage").json() == {"active": False}
    requests.post(base + "/_sim/clock", json={"advance_seconds": 1801}).raise_for_status()
    assert introspect(base, tok["access_token"]).json() == {"active": False}
    assert introspect(base, tok["refresh_token"]).json()["active"] is True
    r = requests.post(base + "/oauth/2026-03/token/introspect",
                      data={"client_id": CLIENT_ID, "client_secret": "bad", "token": tok["access_token"]})
    assert r.status_code == 400 and r.json()["status"] == "BAD_CLIENT_ID"


def test_revoke(base):
    tok = connect(base)
    r = revoke(base, tok["refresh_token"])
    assert r.status_code == 204 and r.content == b""
    assert_bad_refresh(refresh(base, tok["refresh_token"]))
    assert introspect(base, tok["refresh_token"]).json() == {"active": False}
    assert introspect(base, tok["access_token"]).json() == {"active": False}
    assert_api_error(get_user(base, tok["access_token"], ALEX), 401, "INVALID_AUTHENTICATION")
    assert revoke(base, tok["refresh_token"]).status_code == 204  # idempotent for a known token
    assert revoke(base, "unknown-token").status_code == 400
    stats = requests.get(base + "/_sim/stats").json()
    assert stats["tokens_by_hub"][str(ACME)]["valid_refresh_tokens"] == 0


# ------------------------------------------------------------------ settings users API
def test_users_and_roles_with_bearer(base):
    at = connect(base)["access_token"]
    alex = get_user(base, at, ALEX).json()
    assert alex["id"] == ALEX and isinstance(alex["id"], str) and alex["email"] == "alex@agency.example"
    assert alex["superAdmin"] is True and alex["roleIds"] == []
    sam = get_user(base, at, SAM).json()
    assert sam["superAdmin"] is False and sam["roleIds"] == ["%d01" % ACME] and sam["roleId"] == "%d01" % ACME
    riley = get_user(base, at, "riley@agency.example", idProperty="EMAIL").json()
    assert riley["id"] == RILEY and riley["roleIds"] == ["%d02" % ACME] and riley["primaryTeamId"]
    roles = requests.get(base + "/settings/users/2026-03/roles", headers={"Authorization": "Bearer " + at}).json()
    assert roles["results"] == [
        {"id": "%d01" % ACME, "name": "Admin", "requiresBillingWrite": False},
        {"id": "%d02" % ACME, "name": "Sales Rep", "requiresBillingWrite": True},
        {"id": "%d03" % ACME, "name": "Marketing Manager", "requiresBillingWrite": False}]
    lst = requests.get(base + "/settings/users/2026-03", headers={"Authorization": "Bearer " + at}).json()
    assert [u["id"] for u in lst["results"]] == [ALEX, SAM, RILEY]


def test_users_scoped_to_token_portal(base):
    at = connect(base, STARK)["access_token"]
    assert_api_error(get_user(base, at, SAM), 404, "OBJECT_NOT_FOUND")
    riley = get_user(base, at, RILEY).json()
    assert riley["roleIds"] == ["%d02" % STARK]


def test_users_auth_errors(base):
    tok = connect(base)
    r = requests.get(base + "/settings/users/2026-03/%s" % ALEX)
    assert_api_error(r, 401, "INVALID_AUTHENTICATION")
    assert_api_error(get_user(base, "C-not-a-token", ALEX), 401, "INVALID_AUTHENTICATION")
    requests.post(base + "/_sim/clock", json={"advance_seconds": 1801}).raise_for_status()
    body = assert_api_error(get_user(base, tok["access_token"], ALEX), 401, "EXPIRED_AUTHENTICATION")
    assert "expired" in body["message"]
    fresh = refresh(base, tok["refresh_token"]).json()
    assert get_user(base, fresh["access_token"], ALEX).status_code == 200


def test_missing_scope_is_403(base):
    tok = connect(base, scope="oauth crm.objects.contacts.read")
    body = assert_api_error(get_user(base, tok["access_token"], ALEX), 403, "MISSING_SCOPES")
    assert "settings.users.read" in json.dumps(body["errors"])
    r = requests.get(base + "/settings/users/2026-03/roles", headers={"Authorization": "Bearer " +
                                                                      tok["access_token"]})
    assert r.status_code == 403


def test_withheld_and_optional_scopes(base):
    requests.post(base + "/_sim/portals", json={"hub_id": INITECH, "withheld_scopes": ["settings.users.read",
                                                                                       "crm.objects.deals.read"]}
                  ).raise_for_status()
    tok = connect(base, INITECH, optional_scope="crm.objects.deals.read crm.objects.contacts.read")
    assert tok["scopes"] == ["crm.objects.contacts.read", "oauth"]
    tok2 = connect(base, ACME, optional_scope="crm.objects.deals.read")
    assert tok2["scopes"] == ["crm.objects.deals.read", "oauth", "settings.users.read"]


# ------------------------------------------------------------------ faults
def test_fault_503_count(base):
    tok = connect(base)
    r = requests.post(base + "/_sim/faults", json={"endpoint": "token", "status": 503, "count": 2})
    assert r.status_code == 200
    for _ in range(2):
        body = assert_api_error(refresh(base, tok["refresh_token"]), 503, "SERVICE_UNAVAILABLE")
        assert body["correlationId"]
    assert refresh(base, tok["refresh_token"]).status_code == 200
    # other endpoints unaffected, faults clearable
    requests.post(base + "/_sim/faults", json={"endpoint": "users", "status": 500, "count": None}
                  ).raise_for_status()
    assert get_user(base, tok["access_token"], ALEX).status_code == 500
    assert get_user(base, tok["access_token"], ALEX).status_code == 500
    assert requests.delete(base + "/_sim/faults").json()["cleared"] == 1
    assert get_user(base, tok["access_token"], ALEX).status_code == 200


def test_fault_429_body(base):
    tok = connect(base)
    requests.post(base + "/_sim/faults", json={"endpoint": "all", "status": 429, "count": 1}).raise_for_status()
    r = get_user(base, tok["access_token"], ALEX)
    assert r.status_code == 429
    b = r.json()
    assert b["status"] == "error" and b["errorType"] == "RATE_LIMIT" and b["policyName"] == "TEN_SECONDLY_ROLLING"
    uuid.UUID(b["correlationId"])
    assert get_user(base, tok["access_token"], ALEX).status_code == 200


def test_fault_latency_and_config_latency(base):
    tok = connect(base)
    requests.post(base + "/_sim/faults", json={"endpoint": "introspect", "latency_ms": 300, "count": 1}
                  ).raise_for_status()
    t0 = time.monotonic()
    assert introspect(base, tok["access_token"]).status_code == 200
    assert time.monotonic() - t0 >= 0.29
    t0 = time.monotonic()
    introspect(base, tok["access_token"])
    assert time.monotonic() - t0 < 0.25
    requests.post(base + "/_sim/config", json={"latency_ms": 200}).raise_for_status()
    t0 = time.monotonic()
    introspect(base, tok["access_token"])
    assert time.monotonic() - t0 >= 0.19
    t0 = time.monotonic()
    requests.get(base + "/_sim/state")  # controls are never delayed
    assert time.monotonic() - t0 < 0.19


def test_fault_disconnect(base):
    tok = connect(base)
    requests.post(base + "/_sim/faults", json={"endpoint": "token", "disconnect": True, "count": 1}
                  ).raise_for_status()
    with pytest.raises(requests.ConnectionError):
        refresh(base, tok["refresh_token"])
    assert refresh(base, tok["refresh_token"]).status_code == 200


def test_authorize_fault_pages(base):
    requests.post(base + "/_sim/faults", json={"endpoint": "authorize", "status": 503, "count": 1}
                  ).raise_for_status()
    r = requests.get(*authorize_url(base))
    assert r.status_code == 503 and r.headers["Content-Type"].startswith("text/html")
    requests.post(base + "/_sim/faults", json={"endpoint": "authorize", "redirect_error": "server_error",
                                               "count": 1}).raise_for_status()
    r = decide(base, ACME)
    q = parse_qs(urlsplit(r.headers["Location"]).query)
    assert r.status_code == 302 and q["error"] == ["server_error"] and q["state"] == ["st-123"]


def test_omit_and_rotate_refresh_token(base):
    tok = connect(base)
    requests.post(base + "/_sim/faults", json={"endpoint": "token", "omit_refresh_token": True, "count": 1}
                  ).raise_for_status()
    b = refresh(base, tok["refresh_token"]).json()
    assert "refresh_token" not in b and b["access_token"]
    b = refresh(base, tok["refresh_token"]).json()
    assert b["refresh_token"] == tok["refresh_token"]
    requests.post(base + "/_sim/faults", json={"endpoint": "token", "rotate_refresh_token": True, "count": 1}
                  ).raise_for_status()
    b = refresh(base, tok["refresh_token"]).json()
    assert b["refresh_token"] != tok["refresh_token"]
    assert_bad_refresh(refresh(base, tok["refresh_token"]))
    assert introspect(base, tok["refresh_token"]).json() == {"active": False}
    assert refresh(base, b["refresh_token"]).status_code == 200


# ------------------------------------------------------------------ controls: grants, stats, log
def test_sim_grants_and_bulk_and_stats(base):
    g = requests.post(base + "/_sim/grants", json={"hub_id": ACME, "user_email": "sam@agency.example",
                                                   "scopes": ["oauth", "settings.users.read"]}).json()
    assert g["hub_id"] == ACME and g["user_id"] == int(SAM) and g["expires_in"] == 1800
    assert get_user(base, g["access_token"], SAM).json()["roleIds"] == ["%d01" % ACME]
    items = [{"hub_id": 30000000 + i, "name": "Client %d" % i} for i in range(2000)]
    t0 = time.monotonic()
    r = requests.post(base + "/_sim/grants/bulk", json={"grants": items, "user_email": "alex@agency.example",
                                                        "scopes": ["oauth", "settings.users.read"]})
    assert r.status_code == 200 and time.monotonic() - t0 < 10
    out = r.json()["grants"]
    assert len(out) == 2000 and len({x["refresh_token"] for x in out}) == 2000
    for x in out[:50]:
        assert refresh(base, x["refresh_token"]).status_code == 200
    assert refresh(base, out[0]["refresh_token"]).status_code == 200
    st = requests.get(base + "/_sim/stats").json()
    assert st["token_calls"]["by_grant_type"]["refresh_token"] == 51
    assert st["token_calls"]["by_hub_id"]["30000000"] == {"refresh_token": 2}
    assert st["token_calls"]["by_hub_id"]["30000001"] == {"refresh_token": 1}
    assert st["tokens_by_hub"]["30000001"] == {"valid_refresh_tokens": 1, "valid_access_tokens": 2, "grants": 1}
    st1 = requests.get(base + "/_sim/stats", params={"hub_id": "30000000"}).json()
    assert list(st1["tokens_by_hub"]) == ["30000000"]
    state = requests.get(base + "/_sim/state", params={"hub_id": 30000000}).json()
    assert state["portals"][0]["name"] == "Client 0" and state["grants"][0]["refresh_count"] == 2


def test_control_users_portals_roles(base):
    r = requests.post(base + "/_sim/portals", json={"hub_id": 40000001, "name": "Tyrell Corp",
                                                    "domain": "tyrell.example"})
    assert r.json()["roles"][0]["name"] == "Admin"
    r = requests.post(base + "/_sim/roles", json={"hub_id": 40000001, "roles": [{"id": "900", "name": "Admin"},
                                                                                {"id": "901", "name": "Viewer"}]})
    assert [x["id"] for x in r.json()["roles"]] == ["900", "901"]
    r = requests.post(base + "/_sim/users", json={"user_id": "71000050", "email": "dana@client.example",
                                                  "portals": {"40000001": {"super_admin": False,
                                                                           "role_ids": ["901"]}}})
    assert r.status_code == 200 and r.json()["portals"]["40000001"]["role_ids"] == ["901"]
    assert requests.post(base + "/_sim/users", json={"email": "x@y.example",
                                                     "portals": {"40000001": {"role_ids": ["nope"]}}}
                         ).status_code == 400
    tok = connect(base, 40000001, as_user="dana@client.example")
    u = get_user(base, tok["access_token"], "71000050").json()
    assert u["roleIds"] == ["901"] and u["superAdmin"] is False
    assert requests.post(base + "/_sim/nope").status_code == 404


def test_log_holds_no_values(base):
    requests.delete(base + "/_sim/log").raise_for_status()
    secret_state = "state-" + uuid.uuid4().hex
    code = get_code(base, state=secret_state, as_user="sam@agency.example")
    tok = exchange(base, code).json()
    r2 = refresh(base, tok["refresh_token"]).json()
    introspect(base, tok["access_token"], "access_token")
    get_user(base, r2["access_token"], SAM)
    get_user(base, r2["access_token"], "riley@agency.example", idProperty="EMAIL")
    requests.get(base + "/settings/users/2026-03/" + tok["access_token"],
                 headers={"Authorization": "Bearer " + tok["access_token"]})
    requests.get(base + "/oauth/v1/refresh-tokens/" + tok["refresh_token"])
    revoke(base, tok["refresh_token"])
    log = requests.get(base + "/_sim/log").json()
    text = json.dumps(log)
    for value in (tok["access_token"], r2["access_token"], tok["refresh_token"], code, CLIENT_SECRET, secret_state,
                  "sam@agency.example", "riley@agency.example"):
        assert value not in text
    entries = log["entries"]
    assert len(entries) == 9  # controls (/_sim/...) are not logged
    tok_entry = [e for e in entries if e["path"] == "/oauth/2026-03/token"][0]
    assert tok_entry["form_fields"] == ["client_id", "client_secret", "code", "grant_type", "redirect_uri"]
    assert tok_entry["has_query"] is False and tok_entry["query_params"] == []
    assert tok_entry["content_type"].startswith("application/x-www-form-urlencoded")
    assert tok_entry["status"] == 200 and tok_entry["authorization"] is False
    users_entry = [e for e in entries if e["path"] == "/settings/users/2026-03/%s" % SAM][0]
    assert users_entry["authorization"] is True and users_entry["method"] == "GET"
    assert any(e["path"] == "/oauth/v1/refresh-tokens/{redacted}" and e["status"] == 410 for e in entries)
    email_entry = [e for e in entries if e["path"] == "/settings/users/2026-03/{email}"][0]
    assert email_entry["query_params"] == ["idProperty"] and email_entry["has_query"] is True
    for e in entries:
        assert {"method", "path", "has_query", "query_params", "content_type", "form_fields", "authorization",
                "status", "time"} <= set(e)


# ------------------------------------------------------------------ HTTP behaviour
def test_keep_alive_reuses_connection(base):
    u = urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
    body = "grant_type=refresh_token&client_id=x&client_secret=y&refresh_token=z"
    for _ in range(5):
        conn.request("POST", "/oauth/2026-03/token", body=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        r = conn.getresponse()
        assert r.status == 400 and r.getheader("Content-Length")
        r.read()
        conn.request("GET", "/_sim/health")
        r = conn.getresponse()
        assert r.status == 200
        r.read()
    sock = conn.sock
    assert sock is not None
    conn.close()


def test_throughput_with_latency(base):
    tok = connect(base)
    requests.post(base + "/_sim/config", json={"latency_ms": 100}).raise_for_status()
    n = 600
    local = threading.local()

    def one(_):
        s = getattr(local, "s", None)
        if s is None:
            s = local.s = requests.Session()
        r = s.post(base + "/oauth/2026-03/token/introspect",
                   data={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "token": tok["access_token"]})
        return r.status_code

    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=100) as ex:
        codes = list(ex.map(one, range(n)))
    elapsed = time.monotonic() - t0
    assert codes == [200] * n
    assert n / elapsed >= 300, "only %.0f req/s" % (n / elapsed)
