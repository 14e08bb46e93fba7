"""The read API (issue 17 item 2): organisation API tokens made on
/settings/api by owners and admins (shown once, stored as a SHA-256,
capped, revocable, last use shown), sent as Authorization: Bearer -- never
a session cookie; /api/v1/portals with the Client Accounts filters and a
keyset cursor that neither repeats nor skips rows while they change;
/api/v1/portals/{id}; /api/v1/events after an id; JSON errors with stable
codes; a per-token rate limit kept in PostgreSQL, with Retry-After."""
import hashlib
import re
import secrets

import requests

from jsclient import Client

TOKEN = re.compile(r'id="api-token" value="(jsk_[A-Za-z0-9_-]{43})"')


def make_token(c, name="dashboard"):
    r = c.post("/settings/api", {"csrf": c.csrf("/settings/api"), "name": name})
    assert r.status_code == 200, (r.status_code, r.text[:500])
    m = TOKEN.search(r.text)
    assert m, r.text[:2000]
    return m.group(1)


def api(stack, path, token=None, **kw):
    headers = kw.pop("headers", {})
    if token:
        headers["Authorization"] = "Bearer " + token
    return requests.get(stack.base + path, headers=headers, timeout=30, allow_redirects=False,
                        **kw)


def add_portals(stack, org, names, status="connected", code="", reason=""):
    """Portal rows of org (no HubSpot grant behind them): [(id, name)]."""
    oid = stack.org_id(org)
    out = []
    for name in names:
        hub = 40000000 + secrets.randbelow(50000000)
        pid = stack.sql("INSERT INTO portals (org_id, hub_id, hub_domain, name, connection_type, "
                        "status, status_reason_code, status_reason) VALUES (%s, %s, %s, %s, "
                        "'config_only', %s, %s, %s) RETURNING id",
                        (oid, hub, "p%d.example.com" % hub, name, status, code, reason))[0][0]
        out.append((pid, name))
    return out


def pages(stack, token, query, limit, between=None):
    """Every portal of /api/v1/portals?query, limit a page, following
    "next"; between(portals so far) runs after each page but the last."""
    got, cursor = [], None
    while True:
        q = "%s&limit=%d" % (query, limit) + ("&cursor=" + cursor if cursor else "")
        r = api(stack, "/api/v1/portals?" + q, token)
        assert r.status_code == 200, (q, r.status_code, r.text)
        body = r.json()
        assert len(body["data"]) <= limit
        got += body["data"]
        cursor = body["next"]
        if cursor is None:
            return got
        if between:
            between(got)
        assert len(got) < 5000


def walk(stack, token, query, limit, between=None):
    return [p["id"] for p in pages(stack, token, query, limit, between)]


def test_token_is_shown_once_and_only_its_hash_is_kept(stack):
    c = stack.client()
    r = c.post("/settings/api", {"csrf": c.csrf("/settings/api"), "name": "Looker, EU"})
    assert r.status_code == 200
    token = TOKEN.search(r.text).group(1)
    assert 'curl -H "Authorization: Bearer %s"' % token in r.text
    oid = stack.org_id(c.org)
    rows = stack.sql("SELECT token_hash, prefix, name, created_by IS NOT NULL FROM api_tokens "
                     "WHERE org_id = %s", (oid,))
    assert rows == [(hashlib.sha256(token.encode()).hexdigest(), token[:8], "Looker, EU", True)]
    # nowhere else: the page lists its prefix only, and the logs never name it
    page = c.get("/settings/api").text
    assert token not in page and token[:8] + "…" in page and "Looker, EU" in page
    assert "never" in page.split('id="api-tokens"')[1].split("</table>")[0]
    dump = stack.sql("SELECT string_agg(t::text, ' ') FROM api_tokens t")[0][0]
    assert token not in dump
    # the organisation's activity: created, no portal
    assert stack.sql("SELECT kind, portal_id, message FROM activity WHERE org_id = %s AND kind "
                     "LIKE 'api_token%%'", (oid,)) == [
        ("api_token_created", None, 'API token "Looker, EU" (%s…) created by %s.' % (token[:8], c.email))]
    r = api(stack, "/api/v1/portals", token)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    assert r.json() == {"data": [], "next": None}
    # last use is shown
    assert stack.sql("SELECT last_used_at IS NOT NULL FROM api_tokens WHERE org_id = %s",
                     (oid,)) == [(True,)]
    assert '<time datetime=' in c.get("/settings/api").text.split('id="api-tokens"')[1].split("</tr>")[1]
    logs = stack.state + "/logs"
    import glob
    for f in glob.glob(logs + "/*"):
        with open(f, errors="replace") as fh:
            assert token[8:] not in fh.read(), f


def test_missing_wrong_and_revoked_tokens_are_refused_with_no_data(stack):
    c = stack.client()
    add_portals(stack, c.org, ["Secret Client"])
    token = make_token(c)
    assert api(stack, "/api/v1/portals", token).status_code == 200
    unknown = "jsk_" + secrets.token_urlsafe(32)
    cases = {
        "none": {},
        "unknown": {"Authorization": "Bearer " + unknown},
        "malformed": {"Authorization": "Bearer " + token[:-1]},
        "basic": {"Authorization": "Basic " + token},
        "no scheme": {"Authorization": token},
        "two tokens": {"Authorization": "Bearer %s %s" % (token, token)},
    }
    for what, h in cases.items():
        for path in ("/api/v1/portals", "/api/v1/events", "/api/v1/portals/1"):
            r = api(stack, path, headers=dict(h))
            assert r.status_code == 401, (what, path, r.status_code)
            assert r.headers["WWW-Authenticate"].startswith("Bearer"), what
            assert r.json()["error"]["code"] == "unauthorized" and "data" not in r.json()
            assert "Secret Client" not in r.text
    # the scheme's case does not matter (RFC 7235)
    assert api(stack, "/api/v1/portals", headers={"Authorization": "bearer " + token}).status_code == 200
    # revoked on the page: refused from the next request on
    tid = stack.sql("SELECT id FROM api_tokens WHERE token_hash = %s",
                    (hashlib.sha256(token.encode()).hexdigest(),))[0][0]
    r = c.post("/settings/api/%d/revoke" % tid, {"csrf": c.csrf("/settings/api")})
    assert r.status_code == 303 and r.headers["Location"] == "/settings/api"
    r = api(stack, "/api/v1/portals", token)
    assert r.status_code == 401 and "Secret Client" not in r.text
    assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]
    page = c.get("/settings/api").text
    assert 'id="api-tokens-revoked"' in page and "by %s" % c.email in page
    assert 'id="revoke-%d"' % tid not in page
    assert stack.sql("SELECT count(*) FROM activity WHERE org_id = %s AND kind = "
                     "'api_token_revoked' AND portal_id IS NULL", (stack.org_id(c.org),)) == [(1,)]
    # revoking it again, or another organisation's token: 404, nothing changes
    assert c.post("/settings/api/%d/revoke" % tid, {"csrf": c.csrf("/settings/api")}).status_code == 404
    other = stack.client()
    other_token = make_token(other)
    oid = stack.sql("SELECT id FROM api_tokens WHERE token_hash = %s",
                    (hashlib.sha256(other_token.encode()).hexdigest(),))[0][0]
    assert c.post("/settings/api/%d/revoke" % oid, {"csrf": c.csrf("/settings/api")}).status_code == 404
    assert api(stack, "/api/v1/portals", other_token).status_code == 200


def test_a_session_cookie_alone_is_refused(stack):
    c = stack.client()
    add_portals(stack, c.org, ["Cookie Client"])
    assert c.get("/portals").status_code == 200  # signed in
    for path in ("/api/v1/portals", "/api/v1/events"):
        r = c.get(path)
        assert r.status_code == 401, (path, r.status_code)
        assert r.json()["error"]["code"] == "unauthorized" and "Cookie Client" not in r.text


def test_another_organisations_ids_answer_404(stack):
    a, b = stack.client(), stack.client()
    (mine, _), = add_portals(stack, a.org, ["Mine"])
    (theirs, _), = add_portals(stack, b.org, ["Theirs"])
    token = make_token(a)
    r = api(stack, "/api/v1/portals/%d" % theirs, token)
    assert r.status_code == 404 and r.json() == {"error": {"code": "not_found", "message": r.json()["error"]["message"]}}
    assert "Theirs" not in r.text
    assert api(stack, "/api/v1/portals/99999999999", token).status_code == 404
    r = api(stack, "/api/v1/portals/%d" % mine, token)
    assert r.status_code == 200 and r.json()["data"]["name"] == "Mine"
    assert [p["name"] for p in api(stack, "/api/v1/portals", token).json()["data"]] == ["Mine"]
    # events of the other organisation are not in this one's stream
    stack.sql("UPDATE portals SET status = 'disconnected' WHERE id = %s", (theirs,))
    assert api(stack, "/api/v1/events", token).json()["data"] == []
    # unknown paths under /api answer JSON
    r = api(stack, "/api/v1/nothing", token)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_members_and_viewers_cannot_manage_tokens(stack):
    owner = stack.client()
    make_token(owner)
    oid = stack.org_id(owner.org)
    tid = stack.sql("SELECT id FROM api_tokens WHERE org_id = %s", (oid,))[0][0]
    for role in ("viewer", "member"):
        c = stack.client(owner.org, role)
        assert c.get("/settings/api").status_code == 403, role
        assert 'id="nav-api-tokens"' not in c.get("/portals").text
        csrf = c.csrf("/portals")
        assert c.post("/settings/api", {"csrf": csrf, "name": "mine"}).status_code == 403
        assert c.post("/settings/api/%d/revoke" % tid, {"csrf": csrf}).status_code == 403
    assert stack.sql("SELECT count(*), count(revoked_at) FROM api_tokens WHERE org_id = %s",
                     (oid,)) == [(1, 0)]
    # admins may
    admin = stack.client(owner.org, "admin")
    make_token(admin, "admin's")
    # a POST without the form's CSRF token is refused
    r = owner.post("/settings/api", {"name": "no csrf"})
    assert r.status_code == 403
    assert stack.sql("SELECT count(*) FROM api_tokens WHERE org_id = %s", (oid,)) == [(2,)]
    # a bad name: 400, nothing made
    for name in ("", " ", "x" * 101, "tab\there"):
        r = owner.post("/settings/api", {"csrf": owner.csrf("/settings/api"), "name": name})
        assert r.status_code == 400, name
    assert stack.sql("SELECT count(*) FROM api_tokens WHERE org_id = %s", (oid,)) == [(2,)]


def test_the_cap_refuses_one_more_token_clearly(stack):
    c = stack.client()
    stack.admin("org", "api-tokens", c.org, "2")
    make_token(c, "one")
    make_token(c, "two")
    r = c.post("/settings/api", {"csrf": c.csrf("/settings/api"), "name": "three"})
    assert r.status_code == 409
    assert "has 2 API tokens, its limit" in r.text and TOKEN.search(r.text) is None
    oid = stack.org_id(c.org)
    assert stack.sql("SELECT count(*) FROM api_tokens WHERE org_id = %s", (oid,)) == [(2,)]
    assert 'id="api-tokens-full"' in c.get("/settings/api").text
    # the admin tool is held to the same cap
    r = stack.admin("api-token", "create", c.org, "three", check=False)
    assert r.returncode == 1 and "limit" in r.stderr and r.stdout == ""
    # a revoked token frees its place
    tid = stack.sql("SELECT min(id) FROM api_tokens WHERE org_id = %s", (oid,))[0][0]
    assert c.post("/settings/api/%d/revoke" % tid, {"csrf": c.csrf("/settings/api")}).status_code == 303
    make_token(c, "three")
    # bad caps are refused
    for bad in ("0", "101", "x"):
        assert stack.admin("org", "api-tokens", c.org, bad, check=False).returncode != 0


def test_admin_tool_prints_a_working_token_once(stack):
    c = stack.client()
    add_portals(stack, c.org, ["Admin Tool Client"])
    r = stack.admin("api-token", "create", c.org, "cron job")
    token = r.stdout.strip()
    assert re.fullmatch(r"jsk_[A-Za-z0-9_-]{43}", token), r.stdout
    assert token not in r.stderr
    assert [p["name"] for p in api(stack, "/api/v1/portals", token).json()["data"]] == ["Admin Tool Client"]
    page = c.get("/settings/api").text
    assert "cron job" in page and "by jetstack-admin" in page
    assert stack.admin("api-token", "create", "no such org", "x", check=False).returncode == 1


def test_a_portal_in_full(stack):
    c = stack.client()
    oid = stack.org_id(c.org)
    stack.sql("UPDATE organisations SET time_zone = 'Europe/Paris' WHERE id = %s", (oid,))
    long_text = ("HubSpot no longer accepts this portal's sign-in: its refresh token expired or "
                 "was rotated, or the HubSpot user who authorized it was deactivated or had their "
                 "permissions changed. Reconnect to restore access. (HubSpot: BAD_REFRESH_TOKEN)")
    (pid, _), = add_portals(stack, c.org, ["Acme, Inc."], "needs_reconnection",
                            "refresh_rejected", long_text)
    (ok, _), = add_portals(stack, c.org, ["Fine"])
    stack.sql("UPDATE portals SET last_connected_at = '2026-12-01 10:00:00+00', last_refreshed_at "
              "= '2026-07-01 10:00:00+00' WHERE id IN (%s, %s)", (pid, ok))
    stack.sql("INSERT INTO portal_labels (portal_id, org_id, label) VALUES (%s, %s, 'retainer'), "
              "(%s, %s, 'EU, north')", (pid, oid, pid, oid))
    token = make_token(c)
    p = api(stack, "/api/v1/portals/%d" % pid, token).json()["data"]
    hub = stack.sql("SELECT hub_id FROM portals WHERE id = %s", (pid,))[0][0]
    assert p == {
        "id": pid, "hub_id": hub, "name": "Acme, Inc.", "domain": "p%d.example.com" % hub,
        "connection_type": "config_only", "status": "needs_reconnection",
        "status_label": "Needs Reconnection", "reason_code": "refresh_rejected",
        "reason": {"short": "HubSpot no longer accepts this portal's sign-in", "long": long_text,
                   "hubspot_code": "BAD_REFRESH_TOKEN"},
        "labels": ["EU, north", "retainer"],
        # the organisation's zone: winter and summer offsets
        "last_connected_at": "2026-12-01T11:00:00+01:00",
        "last_refreshed_at": "2026-07-01T12:00:00+02:00",
    }
    q = api(stack, "/api/v1/portals/%d" % ok, token).json()["data"]
    assert q["reason_code"] is None and q["reason"] is None and q["labels"] == []
    # the list shows the same objects
    assert p in api(stack, "/api/v1/portals", token).json()["data"]
    # HEAD answers the headers only
    r = requests.head(stack.base + "/api/v1/portals/%d" % pid,
                      headers={"Authorization": "Bearer " + token}, timeout=10)
    assert r.status_code == 200 and r.text == ""


def test_paging_by_id_neither_repeats_nor_skips_while_rows_change(stack):
    c = stack.client()
    rows = add_portals(stack, c.org, ["Client %d" % i for i in range(1, 24)])
    token = make_token(c)
    ids = [pid for pid, _ in rows]
    added = []

    def change(given):
        # rename the last row given (to the top and the bottom of the name
        # order), change statuses of rows given and not yet given, add rows
        n = len(given) // 5
        if n > 4:
            return
        stack.sql("UPDATE portals SET name = %s WHERE id = %s", ("000 first %d" % n, ids[n * 5 - 1]))
        stack.sql("UPDATE portals SET name = 'zzz' WHERE id = %s", (ids[n * 5 - 3],))
        stack.sql("UPDATE portals SET status = 'disconnected' WHERE id IN (%s, %s)",
                  (ids[n * 5 - 2], ids[min(n * 5 + 2, len(ids) - 1)]))
        added.extend(pid for pid, _ in add_portals(stack, c.org, ["aaa new %d" % n, "new %d" % n]))

    got = walk(stack, token, "sort=id", 5, change)
    assert len(got) == len(set(got)), got
    assert got == sorted(got) and got == ids + added
    # the default order is by id
    assert walk(stack, token, "", 100) == got


def test_paging_by_name_holds_its_place_when_the_last_row_changes(stack):
    """The cursor carries the last row's sort key by value: renaming it, or
    changing its status, or adding rows before it does not move any other
    row across the boundary."""
    c = stack.client()
    rows = add_portals(stack, c.org, ["Client %02d" % i for i in range(1, 21)])
    token = make_token(c)
    by_name = [pid for pid, _ in rows]

    def change(given):
        stack.sql("UPDATE portals SET name = %s, status = 'needs_reconnection' WHERE id = %s",
                  ("Aardvark %d" % len(given), given[-1]["id"]))
        add_portals(stack, c.org, ["Client 00 early %d" % len(given)])

    got = walk(stack, token, "sort=name", 4, change)
    assert got == by_name, (got, by_name)
    # and by status (the rank, then the name): renamed and re-statused
    # rows were given already; the rest keep their places
    stack.sql("UPDATE portals SET status = 'connected', name = 'Client ' || id WHERE org_id = %s",
              (stack.org_id(c.org),))
    expect = [p["id"] for p in api(stack, "/api/v1/portals?sort=status&limit=200", token).json()["data"]]
    got = walk(stack, token, "sort=status", 3, change)
    assert len(got) == len(set(got)) and set(expect) <= set(got)
    assert [i for i in got if i in expect] == expect


def test_filters_search_and_sorts(stack):
    c = stack.client()
    oid = stack.org_id(c.org)
    green = add_portals(stack, c.org, ["client-%d" % i for i in (2, 10, 105, 1040)])
    yellow = add_portals(stack, c.org, ["Yellow %d" % i for i in range(1, 8)], "needs_reconnection",
                         "refresh_rejected", "x")
    red = add_portals(stack, c.org, ["Red One"], "disconnected", "revoked_at_hubspot", "y")
    for pid, _ in yellow[:3] + green[:1]:
        stack.sql("INSERT INTO portal_labels (portal_id, org_id, label) VALUES (%s, %s, 'EU')", (pid, oid))
    token = make_token(c)

    def names(q, limit=2):
        return [p["name"] for p in pages(stack, token, q, limit)]

    assert names("status=needs_reconnection&sort=name") == ["Yellow %d" % i for i in range(1, 8)]
    assert names("status=disconnected") == ["Red One"]
    assert names("label=EU&sort=name") == ["client-2", "Yellow 1", "Yellow 2", "Yellow 3"]
    assert names("label=EU&status=needs_reconnection&sort=name", 1) == ["Yellow 1", "Yellow 2", "Yellow 3"]
    assert names("q=yellow&sort=name", 3) == ["Yellow %d" % i for i in range(1, 8)]
    assert names("q=ell&status=needs_reconnection&sort=name") == ["Yellow %d" % i for i in range(1, 8)]
    assert names("q=nothing-like-it") == []
    # the natural name order, as the page's
    assert names("sort=name&q=client", 3) == ["client-2", "client-10", "client-105", "client-1040"]
    # problems first
    s = names("sort=status", 3)
    assert s[:7] == ["Yellow %d" % i for i in range(1, 8)] and s[7] == "Red One"
    # last connected first
    stack.sql("UPDATE portals SET last_connected_at = now() - make_interval(hours => id::int %% 1000) "
              "WHERE org_id = %s", (oid,))
    want = [n for (n,) in stack.sql("SELECT name FROM portals WHERE org_id = %s ORDER BY "
                                    "last_connected_at DESC, id DESC", (oid,))]
    assert names("sort=last", 4) == want
    # a cursor belongs to its sort and filters
    r = api(stack, "/api/v1/portals?status=needs_reconnection&limit=2", token)
    cursor = r.json()["next"]
    for other in ("status=connected", "sort=name&status=needs_reconnection", "q=x&status=needs_reconnection",
                  "label=EU&status=needs_reconnection"):
        r = api(stack, "/api/v1/portals?%s&cursor=%s" % (other, cursor), token)
        assert r.status_code == 400, other
        assert r.json()["error"]["code"] == "invalid_parameter" and '"cursor"' in r.json()["error"]["message"]
    assert api(stack, "/api/v1/portals?status=needs_reconnection&cursor=" + cursor, token).status_code == 200


def test_bad_parameters_are_400_naming_them(stack):
    c = stack.client()
    add_portals(stack, c.org, ["P %d" % i for i in range(60)])
    token = make_token(c)
    for q, name in [("limit=0", "limit"), ("limit=201", "limit"), ("limit=-1", "limit"),
                    ("limit=abc", "limit"), ("limit=007", "limit"), ("status=green", "status"),
                    ("sort=bogus", "sort"), ("cursor=%%%%", "cursor"), ("cursor=abc", "cursor"),
                    ("cursor=" + "A" * 700, "cursor"), ("stauts=connected", "stauts"),
                    ("q=" + "x" * 101, "q"), ("label=" + "l" * 41, "label")]:
        r = api(stack, "/api/v1/portals?" + q, token)
        assert r.status_code == 400, (q, r.status_code)
        e = r.json()["error"]
        assert e["code"] == "invalid_parameter" and '"%s"' % name in e["message"], (q, e)
    for q, name in [("after=-1", "after"), ("after=x", "after"), ("limit=500", "limit")]:
        r = api(stack, "/api/v1/events?" + q, token)
        assert r.status_code == 400 and '"%s"' % name in r.json()["error"]["message"], q
    # a cursor of the right shape that this API did not make
    import base64
    forged = base64.urlsafe_b64encode(b"1|9|0000000000000000|1|0||x").decode().rstrip("=")
    r = api(stack, "/api/v1/portals?cursor=" + forged, token)
    assert r.status_code == 400 and '"cursor"' in r.json()["error"]["message"]
    # the bounds themselves
    assert len(api(stack, "/api/v1/portals", token).json()["data"]) == 50
    assert len(api(stack, "/api/v1/portals?limit=1", token).json()["data"]) == 1
    body = api(stack, "/api/v1/portals?limit=200", token).json()
    assert len(body["data"]) == 60 and body["next"] is None


def test_only_get_is_allowed_and_needs_no_csrf(stack):
    c = stack.client()
    token = make_token(c)
    h = {"Authorization": "Bearer " + token}
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        r = requests.request(method, stack.base + "/api/v1/portals", headers=h, timeout=10,
                             data={"name": "x"})
        assert r.status_code == 405, (method, r.status_code)
        assert r.headers["Allow"] == "GET, HEAD" and r.json()["error"]["code"] == "method_not_allowed"


def test_events_after_an_id(stack):
    c = stack.client()
    (a, _), (b, _) = add_portals(stack, c.org, ["Event A", "Event B"])
    token = make_token(c)
    assert api(stack, "/api/v1/events", token).json() == {"data": [], "next_after": 0, "has_more": False}
    stack.sql("UPDATE portals SET status = 'needs_reconnection', status_reason_code = "
              "'refresh_rejected', status_reason = 'why' WHERE id = %s", (a,))
    stack.sql("UPDATE portals SET status = 'disconnected' WHERE id = %s", (b,))
    stack.sql("UPDATE portals SET status = 'connected', status_reason_code = '', status_reason = '' "
              "WHERE id = %s", (a,))
    body = api(stack, "/api/v1/events", token).json()
    ev = body["data"]
    assert [(e["portal"]["id"], e["status_from"], e["status_to"]) for e in ev] == [
        (a, "connected", "needs_reconnection"), (b, "connected", "disconnected"),
        (a, "needs_reconnection", "connected")]
    assert [e["seq"] for e in ev] == [1, 1, 2]
    assert ev[0]["reason_code"] == "refresh_rejected" and ev[0]["reason"]["short"].startswith("HubSpot")
    assert ev[0]["kind"] == "status_changed" and re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", ev[0]["at"])
    assert body["next_after"] == ev[-1]["id"] and body["has_more"] is False
    ids = [e["id"] for e in ev]
    assert ids == sorted(ids)
    after = api(stack, "/api/v1/events?after=%d" % ids[0], token).json()
    assert [e["id"] for e in after["data"]] == ids[1:]
    page = api(stack, "/api/v1/events?limit=2", token).json()
    assert [e["id"] for e in page["data"]] == ids[:2] and page["has_more"] is True
    assert page["next_after"] == ids[1]
    rest = api(stack, "/api/v1/events?limit=2&after=%d" % page["next_after"], token).json()
    assert [e["id"] for e in rest["data"]] == ids[2:] and rest["has_more"] is False
    last = api(stack, "/api/v1/events?after=%d" % ids[-1], token).json()
    assert last == {"data": [], "next_after": ids[-1], "has_more": False}


def test_the_rate_limit_is_per_token_with_retry_after(stack):
    c = stack.client()
    one, two = make_token(c, "one"), make_token(c, "two")
    stack.extra_env["JETSTACK_API_RATE_LIMIT"] = "3"
    try:
        stack.restart_app()
        for i in range(3):
            r = api(stack, "/api/v1/portals", one)
            assert r.status_code == 200, (i, r.status_code)
            assert r.headers["X-RateLimit-Remaining"] == str(2 - i)
        r = api(stack, "/api/v1/events", one)
        assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(r.headers["Retry-After"]) <= 60, r.headers["Retry-After"]
        assert "data" not in r.json()
        # another token has its own window
        assert api(stack, "/api/v1/portals", two).status_code == 200
        # kept in PostgreSQL (every host shares it): the window passed, it works again
        stack.sql("UPDATE api_tokens SET rate_window_at = rate_window_at - interval '61 seconds' "
                  "WHERE token_hash = %s", (hashlib.sha256(one.encode()).hexdigest(),))
        assert api(stack, "/api/v1/portals", one).status_code == 200
        metrics = requests.get(stack.base + "/metrics", timeout=10).text
        assert re.search(r"^jetstack_api_rate_limited_total [1-9]", metrics, re.M), metrics[-800:]
        assert re.search(r"^jetstack_api_requests_total [1-9]", metrics, re.M)
    finally:
        del stack.extra_env["JETSTACK_API_RATE_LIMIT"]
        stack.restart_app()
