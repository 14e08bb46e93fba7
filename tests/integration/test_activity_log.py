"""The organisation's activity log (/activity) and its CSV (/activity.csv):
every portal's entries and the organisation's own, newest first by (time,
id); filters by portal, user, kind and a date range in the user's time
zone, walked across keyset pages with no duplicate and no gap; the CSV
quoted and neutralised (DESIGN §11), with the same filters, streamed: a
100,000-row export leaves the FastCGI process's memory where it was; every
role reads it; another organisation's ids answer 404 and bad filters 400;
what the organisation itself does (webhooks, reconnect links, settings)
writes entries."""
import csv
import io
import os
import re
import socket
import struct
import time

import requests

from jsclient import csrf_of

ENTRY_RE = re.compile(r'<tr id="entry-(\d+)"')
OLDER_RE = re.compile(r'href="([^"]+)" id="activity-older"')
TZ = "Asia/Tokyo"  # +09:00 all year: dates in the zone differ from UTC's


def user_id(stack, email):
    return stack.sql("SELECT id FROM users WHERE lower(email) = lower(%s)", (email,))[0][0]


def add_portal(stack, org_id, name, removed=False):
    hub = 70000000 + stack.sql("SELECT nextval('portals_id_seq')")[0][0]
    (pid,), = stack.sql(
        "INSERT INTO portals (org_id, hub_id, name, connection_type, status, removed_at) "
        "VALUES (%s, %s, %s, 'config_only', 'connected', CASE WHEN %s THEN now() END) RETURNING id",
        (org_id, hub, name, removed))
    return pid, hub


def walk(c, path):
    """Every entry id of the log from path on, following Older entries."""
    ids, pages = [], 0
    while path:
        r = c.get(path)
        assert r.status_code == 200, (path, r.status_code, r.text[-800:])
        pages += 1
        if pages > 1:
            assert 'id="activity-newest"' in r.text
        ids += [int(i) for i in ENTRY_RE.findall(r.text)]
        m = OLDER_RE.search(r.text)
        path = m.group(1).replace("&amp;", "&") if m else None
        assert pages < 50
    return ids, pages


def expected(stack, org_id, where="true", params=()):
    return [i for (i,) in stack.sql(
        "SELECT id FROM activity WHERE org_id = %s AND " + where +
        " ORDER BY created_at DESC, id DESC", (org_id,) + tuple(params))]


def test_filters_walk_pages_without_duplicates_or_gaps(stack):
    c = stack.client()
    org = stack.org_id(c.org)
    owner = user_id(stack, c.email)
    stack.sql("UPDATE users SET time_zone = %s WHERE id = %s", (TZ, owner))
    other_email, _ = stack.new_user(c.org, "member")
    other = user_id(stack, other_email)
    p1, hub1 = add_portal(stack, org, "Alpha Portal")
    p2, _ = add_portal(stack, org, "Gone Portal", removed=True)
    # 400 entries 10 minutes apart from 2026-03-10 00:00 Tokyo (2026-03-09 15:00
    # UTC), every third pair at the same instant (the order then goes by id)
    stack.sql(
        "INSERT INTO activity (org_id, portal_id, user_id, kind, message, correlation_id, created_at) "
        "SELECT %s, (ARRAY[%s, %s, NULL]::bigint[])[1 + g %% 3], "
        "(ARRAY[%s, %s, NULL]::bigint[])[1 + g %% 5 %% 3], "
        "(ARRAY['alpha', 'beta', 'gamma', 'webhook_added'])[1 + g %% 4], 'entry ' || g, "
        "'corr-' || g, timestamptz '2026-03-10 00:00:00+09' + make_interval(mins => 10 * (g - g %% 2 * (g %% 3 = 1)::int)) "
        "FROM generate_series(1, 400) g", (org, p1, p2, owner, other))
    # another organisation's entries never show
    stranger = stack.client()
    stack.sql("INSERT INTO activity (org_id, kind, message, created_at) SELECT %s, 'alpha', 'theirs', "
              "timestamptz '2026-03-11 12:00+09' FROM generate_series(1, 30)", (stack.org_id(stranger.org),))

    cases = [
        ("", "true", ()),
        ("portal=%d" % p1, "portal_id = %s", (p1,)),
        ("portal=%d" % p2, "portal_id = %s", (p2,)),  # removed: still readable
        ("user=%d" % other, "user_id = %s", (other,)),
        ("kind=beta", "kind = %s", ("beta",)),
        ("portal=%d&user=%d&kind=alpha" % (p1, owner), "portal_id = %s AND user_id = %s AND kind = %s",
         (p1, owner, "alpha")),
        # two whole days in Tokyo: 2026-03-11 00:00+09 up to 2026-03-13 00:00+09
        ("from=2026-03-11&to=2026-03-12",
         "created_at >= '2026-03-11 00:00+09' AND created_at < '2026-03-13 00:00+09'", ()),
        ("from=2026-03-12", "created_at >= '2026-03-12 00:00+09'", ()),
        ("to=2026-03-10", "created_at < '2026-03-11 00:00+09'", ()),
        ("kind=gamma&from=2026-03-11&to=2026-03-11",
         "kind = 'gamma' AND created_at >= '2026-03-11 00:00+09' AND created_at < '2026-03-12 00:00+09'", ()),
    ]
    for query, where, params in cases:
        want = expected(stack, org, where, params)
        got, pages = walk(c, "/activity" + ("?" + query if query else ""))
        assert len(got) == len(set(got)), query  # no duplicates
        assert got == want, (query, len(got), len(want))  # no gaps, the same order
        assert pages == max(1, -(-len(want) // 50)), (query, pages)
    assert len(expected(stack, org)) == 400

    page = c.get("/activity?portal=%d" % p1).text
    # times in the user's zone, relative and absolute; the portal linked
    assert re.search(r'<time datetime="2026-03-1\dT\d\d:\d\d:00\+09:00" title="2026-03-1\d \d\d:\d\d '
                     r'\(UTC\+09:00\)">', page)
    assert 'href="/portals/%d">Alpha Portal</a>' % p1 in page and "Hub ID %d" % hub1 in page
    assert "corr-" in page and "Times are in Asia/Tokyo" in page
    assert 'id="activity-newest"' not in page
    # the filters carried to the CSV link; the removed portal named
    assert 'href="/activity.csv?portal=%d"' % p1 in page
    gone = c.get("/activity?portal=%d" % p2).text
    assert "Gone Portal <small class=\"removed\">removed portal</small>" in gone
    # the portal's page links here
    r = c.get("/portals/%d" % p1)
    assert r.status_code == 200 and 'href="/activity?portal=%d" id="portal-activity-log"' % p1 in r.text
    # the kinds offered are the organisation's own
    kinds = re.findall(r'<option value="([a-z_]+)"', c.get("/activity").text)
    assert {"alpha", "beta", "gamma", "webhook_added"} <= set(kinds)


def test_csv_quotes_and_neutralises_with_the_page_filters(stack):
    c = stack.client()
    org = stack.org_id(c.org)
    stack.sql("UPDATE users SET time_zone = %s WHERE id = %s", (TZ, user_id(stack, c.email)))
    name = 'Acme, "Best"\nClients'
    pid, hub = add_portal(stack, org, name)
    nasty = ["=SUM(A1:A9)", "+1 555", "-2+3", "@cmd", "\tTabbed", "\rCarriage", "plain, with \"quotes\"\nand a line"]
    for i, m in enumerate(nasty):
        stack.sql("INSERT INTO activity (org_id, portal_id, user_id, kind, message, correlation_id, created_at) "
                  "VALUES (%s, %s, %s, 'quoting', %s, %s, timestamptz '2026-06-01 23:30+00' + make_interval(mins => %s))",
                  (org, pid, user_id(stack, c.email), m, "=HYPERLINK(\"x\")" if i == 0 else None, i))
    stack.sql("INSERT INTO activity (org_id, kind, message) VALUES (%s, 'other', 'not this kind')", (org,))

    r = c.get("/activity.csv?kind=quoting")
    assert r.status_code == 200, r.text[-500:]
    assert r.headers["Content-Type"].startswith("text/csv")
    today = stack.sql("SELECT to_char(now() AT TIME ZONE %s, 'YYYY-MM-DD')", (TZ,))[0][0]
    assert r.headers["Content-Disposition"] == 'attachment; filename="activity-%s.csv"' % today
    assert r.headers.get("Cache-Control") == "no-store"
    body = r.content.decode("utf-8")
    assert body.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(body, newline="")))
    assert rows[0] == ["time", "portal_id", "portal_name", "hub_id", "user_email", "kind", "message",
                       "correlation_id"]
    rows = rows[1:]
    assert len(rows) == len(nasty)
    # newest first; ISO 8601 with the zone's offset (23:30 UTC is the next day in Tokyo)
    assert [row[0] for row in rows] == ["2026-06-02T08:%02d:00+09:00" % (30 + i) for i in reversed(range(len(nasty)))]
    for row in rows:
        assert row[1] == str(pid) and row[2] == name and row[3] == str(hub)
        assert row[4] == c.email and row[5] == "quoting"
    got = {row[6] for row in rows}
    assert got == {"'=SUM(A1:A9)", "'+1 555", "'-2+3", "'@cmd", "'\tTabbed", "'\rCarriage",
                   "plain, with \"quotes\"\nand a line"}
    assert rows[-1][7] == "'=HYPERLINK(\"x\")"
    # every field quoted, quotes doubled
    assert '"Acme, ""Best""\nClients"' in body
    # no filter: the organisation's own entry too, with empty portal cells
    rows = list(csv.reader(io.StringIO(c.get("/activity.csv").text, newline="")))
    own = [row for row in rows if row[5] == "other"]
    assert own and own[0][1:4] == ["", "", ""] and own[0][4] == ""


def rss_kb(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError("no %s for %d" % (field, pid))


def test_a_100k_row_export_streams_in_constant_memory(stack):
    c = stack.client()
    org = stack.org_id(c.org)
    pid, _ = add_portal(stack, org, "Big Portal")
    stack.sql("INSERT INTO activity (org_id, portal_id, user_id, kind, message, correlation_id, created_at) "
              "SELECT %s, CASE WHEN g %% 4 = 0 THEN NULL ELSE %s END, %s, 'bulk', "
              "'Entry ' || g || ': ' || repeat('x', 180), 'c-' || g, "
              "timestamptz '2026-01-01 00:00+00' + make_interval(secs => g) FROM generate_series(1, 100000) g",
              (org, pid, user_id(stack, c.email)))
    with open(os.path.join(stack.state, "run", "app.pid")) as f:
        app = int(f.read().strip())
    # warm up (statements prepared, code paged in), then measure from here
    assert c.get("/activity.csv?kind=nothing").status_code == 200
    before = rss_kb(app, "VmRSS")
    try:  # the peak from now on (Linux: writing 5 resets VmHWM to VmRSS)
        with open("/proc/%d/clear_refs" % app, "w") as f:
            f.write("5")
        peak_reset = True
    except OSError:
        peak_reset = False
    peak = before
    size, lines = 0, 0
    with c.s.get(c.url("/activity.csv"), stream=True, timeout=120) as r:
        assert r.status_code == 200
        assert "Content-Length" not in r.headers  # streamed, not built first
        for chunk in r.iter_content(65536):
            size += len(chunk)
            lines += chunk.count(b"\n")  # no entry here has a newline
            peak = max(peak, rss_kb(app, "VmRSS"))
    if peak_reset:
        peak = max(peak, rss_kb(app, "VmHWM"))
    assert lines == 100001, lines  # the header and every entry
    assert size > 20 * 1024 * 1024, size  # so that holding it whole would show
    grew = peak - before
    print("activity export: %d bytes, RSS %d KB before, peak %d KB" % (size, before, peak))
    assert grew < 8 * 1024, "the FastCGI process grew by %d KB during the export" % grew


def test_roles_foreign_ids_and_bad_filters(stack):
    owner = stack.client()
    org = stack.org_id(owner.org)
    pid, _ = add_portal(stack, org, "Mine")
    stack.sql("INSERT INTO activity (org_id, portal_id, kind, message) VALUES (%s, %s, 'renamed', 'visible to all')",
              (org, pid))
    viewer = stack.client(org=owner.org, role="viewer")
    page = viewer.get("/activity")
    assert page.status_code == 200 and "visible to all" in page.text
    assert 'id="nav-activity" aria-current="page"' in page.text
    assert viewer.get("/activity.csv").status_code == 200
    assert 'id="nav-activity"' in viewer.get("/portals").text

    other = stack.client()
    theirs, _ = add_portal(stack, stack.org_id(other.org), "Theirs")
    their_user = user_id(stack, other.email)
    for path in ("/activity", "/activity.csv"):
        assert viewer.get(path + "?portal=%d" % theirs).status_code == 404
        assert viewer.get(path + "?user=%d" % their_user).status_code == 404
        assert viewer.get(path + "?portal=999999999999").status_code == 404
        for bad in ("portal=abc", "portal=0", "user=-1", "kind=Bad%20Kind", "kind=" + "k" * 65,
                    "from=2026-13-01", "to=2026-02-30", "from=26-01-01", "from=2026-02-10&to=2026-02-01",
                    "portal=1&portal=2"):
            r = viewer.get(path + "?" + bad)
            assert r.status_code == 400, (path, bad, r.status_code)
    assert viewer.get("/activity?before=0").status_code == 400
    # a kind nobody wrote yet: nothing, not an error
    r = viewer.get("/activity?kind=api_token_created")
    assert r.status_code == 200 and 'id="activity-none"' in r.text
    assert '<option value="api_token_created" selected>' in r.text
    # stored text is escaped like everywhere else
    evil, _ = add_portal(stack, org, "<b>bold</b> portal")
    stack.sql("INSERT INTO activity (org_id, portal_id, kind, message, correlation_id) VALUES "
              "(%s, %s, 'renamed', '<script>alert(1)</script>', '\"><img src=x>')", (org, evil))
    escaped = viewer.get("/activity?portal=%d" % evil).text
    assert "<script>alert(1)" not in escaped and "&lt;script&gt;alert(1)&lt;/script&gt;" in escaped
    assert "<b>bold</b>" not in escaped and "<img src=x>" not in escaped
    # signed out: the sign-in page
    r = requests.get(stack.base + "/activity.csv", allow_redirects=False, timeout=30)
    assert r.status_code == 303 and r.headers["Location"].startswith("/login")
    # HEAD: the CSV's headers, no body
    r = viewer.s.head(viewer.url("/activity.csv"), timeout=30)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv") and r.content == b""
    assert r.headers["Content-Disposition"].startswith('attachment; filename="activity-')
    # the CSV is not a form: POST is refused
    assert viewer.post("/activity.csv", {"csrf": csrf_of(page.text)}).status_code == 405


def test_what_the_organisation_does_is_logged(stack):
    c = stack.client()
    org = stack.org_id(c.org)
    pid, _ = add_portal(stack, org, "Linked")
    # webhooks: added, rotated, disabled, enabled, deleted -- no portal
    r = c.post("/integrations", {"csrf": c.csrf("/integrations"), "url": "http://127.0.0.1:9/hook",
                                 "kinds[]": ["portal.status_changed"]})
    assert r.status_code == 200, r.text[-800:]
    eid = stack.sql("SELECT id FROM webhook_endpoints WHERE org_id = %s", (org,))[0][0]
    for action in ("rotate", "disable", "enable", "delete"):
        r = c.post("/integrations/%d/action" % eid, {"csrf": c.csrf("/integrations"), "action": action})
        assert r.status_code in (200, 303), (action, r.status_code)
    # the audit limit, an organisation setting
    assert c.post("/audits/limit", {"csrf": c.csrf("/audits"), "super_admin_limit": "4"}).status_code == 303
    # a reconnect link, created and revoked: the portal's entries
    r = c.post("/portals/%d/links" % pid, {"csrf": c.csrf("/portals/%d" % pid), "email": ""})
    assert r.status_code == 200, r.text[-800:]
    lid = stack.sql("SELECT id FROM reconnect_links WHERE portal_id = %s", (pid,))[0][0]
    assert c.post("/links/%d/revoke" % lid, {"csrf": c.csrf("/portals/%d" % pid)}).status_code == 303

    rows = stack.sql("SELECT kind, portal_id, user_id IS NOT NULL FROM activity WHERE org_id = %s ORDER BY id", (org,))
    assert rows == [("webhook_added", None, True), ("webhook_secret_rotated", None, True),
                    ("webhook_disabled", None, True), ("webhook_enabled", None, True),
                    ("webhook_deleted", None, True), ("audit_limit_changed", None, True),
                    ("link_created", pid, True), ("link_revoked", pid, True)], rows
    page = c.get("/activity").text
    assert page.count("<small>Organisation</small>") == 6
    assert "Super Admin limit of audits set to 4 by %s." % c.email in page
    org_only = c.get("/activity?kind=webhook_disabled").text
    assert len(ENTRY_RE.findall(org_only)) == 1


def test_the_csv_in_cgi_mode(stack):
    from helpers_foundation import cookie_header
    from test_cgi_mode import run_cgi

    c = stack.client()
    org = stack.org_id(c.org)
    stack.sql("INSERT INTO activity (org_id, kind, message) SELECT %s, 'cgi', 'row ' || g "
              "FROM generate_series(1, 2500) g", (org,))
    status, headers, body = run_cgi(stack, "/activity.csv", query="kind=cgi", cookie=cookie_header(c))
    assert status == 200
    assert headers["content-type"][0].startswith("text/csv")
    assert "content-length" not in headers
    rows = list(csv.reader(io.StringIO(body, newline="")))
    assert len(rows) == 2501 and rows[1][6] == "row 2500" and rows[-1][6] == "row 1"
    assert rows == list(csv.reader(io.StringIO(c.get("/activity.csv?kind=cgi").text, newline="")))


def fcgi_open(path, params):
    """A FastCGI request straight to the program's socket (no nginx), the
    way nginx sends one (FastCGI 1.0: BEGIN_REQUEST, PARAMS, empty STDIN),
    with a small receive buffer so that the program soon waits for us."""
    def rec(t, body):
        return struct.pack(">BBHHBx", 1, t, 1, len(body), 0) + body

    def length(n):
        return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)

    pairs = b"".join(length(len(k)) + length(len(v)) + k + v
                     for k, v in ((k.encode(), v.encode()) for k, v in params.items()))
    s = socket.socket(socket.AF_UNIX)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(path)
    s.sendall(rec(1, struct.pack(">HB5x", 1, 0)) + rec(4, pairs) + rec(4, b"") + rec(5, b""))
    return s


def fcgi_records(s, buf, want=None):
    """Read records from s (buf: bytes already read) until want records or
    EOF.  Returns ([(type, content)], leftover bytes, eof)."""
    out = []
    while want is None or len(out) < want:
        while len(buf) >= 8:
            _, t, _, n, pad = struct.unpack(">BBHHBx", buf[:8])
            if len(buf) < 8 + n + pad:
                break
            out.append((t, buf[8:8 + n]))
            buf = buf[8 + n + pad:]
            if want is not None and len(out) >= want:
                return out, buf, False
        data = s.recv(65536)
        if not data:
            return out, buf, True
        buf += data
    return out, buf, False


def test_an_export_that_fails_half_way_is_cut_short(stack):
    """A failure after the first rows went out cannot become a 500 page: the
    answer ends without FastCGI's FCGI_END_REQUEST, so nginx cuts the
    client's answer short instead of passing on a truncated file as the
    whole log.  The failure here: PostgreSQL ends the statement's backend
    while the program is streaming (it waits for us to read)."""
    from helpers_foundation import cookie_header

    c = stack.client()
    org = stack.org_id(c.org)
    stack.sql("INSERT INTO activity (org_id, kind, message, created_at) SELECT %s, 'cut', "
              "'row ' || g || ' ' || repeat('y', 150), now() - make_interval(secs => g) "
              "FROM generate_series(1, 30000) g", (org,))
    sock = os.path.join(stack.state, "sock", "app", "app.sock")
    assert os.path.exists(sock), "the test stack's state path is short: the socket is under it"
    s = fcgi_open(sock, {"REQUEST_METHOD": "GET", "DOCUMENT_URI": "/activity.csv",
                         "REQUEST_URI": "/activity.csv?kind=cut", "QUERY_STRING": "kind=cut",
                         "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
                         "HTTP_COOKIE": cookie_header(c)})
    try:
        first, buf, eof = fcgi_records(s, b"", want=1)
        assert first and first[0][0] == 6 and first[0][1].startswith(b"Status: 200 OK\r\n"), first
        # the program now waits for us; PostgreSQL waits for the program
        backend = None
        for _ in range(100):
            rows = stack.sql("SELECT pid FROM pg_stat_activity WHERE state = 'active' AND "
                             "wait_event = 'ClientWrite' AND query LIKE '%%local_iso%%'")
            if rows:
                backend = rows[0][0]
                break
            time.sleep(0.1)
        assert backend, "the export's statement was not waiting to send"
        stack.sql("SELECT pg_terminate_backend(%s)", (backend,))
        rest, buf, eof = fcgi_records(s, buf)
    finally:
        s.close()
    assert eof and buf == b""
    types = [t for t, _ in first + rest]
    assert 3 not in types, "the broken export was ended as complete"
    body = b"".join(data for t, data in first + rest if t == 6)
    assert b'"time","portal_id"' in body and b"row 1 " in body and b"row 30000 " not in body
    # the program reconnects and serves the next request
    r = c.get("/activity.csv?kind=cut")
    assert r.status_code == 200 and r.text.count("\r\n") == 30001


def test_many_portals_the_list_is_cut_and_the_chosen_one_kept(stack):
    c = stack.client()
    org = stack.org_id(c.org)
    stack.sql("INSERT INTO portals (org_id, hub_id, name, connection_type, status) "
              "SELECT %s, 71000000 + g + %s * 1000, 'Bulk ' || lpad(g::text, 3, '0'), 'config_only', 'connected' "
              "FROM generate_series(1, 501) g", (org, org % 1000))
    zed, _ = add_portal(stack, org, "Zzz Last")
    stack.sql("INSERT INTO activity (org_id, portal_id, kind, message) VALUES (%s, %s, 'renamed', 'zed entry')",
              (org, zed))
    page = c.get("/activity?portal=%d" % zed).text
    assert 'id="portals-cut"' in page
    assert len(re.findall(r'<option value="\d+"', page.split('id="f-portal"')[1].split("</select>")[0])) == 501
    assert '<option value="%d" selected>Portal %d</option>' % (zed, zed) in page
    assert "zed entry" in page


def test_each_set_of_filters_reads_its_index_in_order(stack):
    """The plans the program uses (generic: planned once per connection):
    the page's ids come from the index that starts with the filter given,
    whatever the filters (never a scan of the whole log); a date range is a
    range of that index."""
    from test_statements import statements

    c = stack.client()
    org = stack.org_id(c.org)
    me = user_id(stack, c.email)
    # entries spread over 40 portals, as an agency's log is (with one portal
    # holding most of them the planner rightly walks the organisation's index
    # and filters: the plans below are the ones for a log of many portals)
    pids = [add_portal(stack, org, "Planned %d" % i)[0] for i in range(40)]
    pid = pids[0]
    stack.sql("INSERT INTO activity (org_id, portal_id, user_id, kind, message, created_at) "
              "SELECT %s, CASE WHEN g %% 3 = 0 THEN NULL ELSE (%s::bigint[])[1 + g %% 40] END, "
              "CASE WHEN g %% 2 = 0 THEN %s END, "
              "(ARRAY['alpha', 'beta', 'gamma'])[1 + g %% 3], 'planned ' || g, "
              "timestamptz '2026-02-01 00:00+00' + make_interval(mins => g) FROM generate_series(1, 40000) g",
              (org, pids, me))
    # and a database of several thousand portals, as the plans are for
    # (with a few dozen a scan of them all is the cheapest plan)
    other = stack.org_id(stack.new_org("plans"))
    stack.sql("INSERT INTO portals (org_id, hub_id, name, connection_type, status) "
              "SELECT %s, 75000000 + g, 'Other ' || g, 'config_only', 'connected' "
              "FROM generate_series(1, 5000) g", (other,))
    stack.sql("ANALYZE activity")
    stack.sql("ANALYZE portals")
    sql = dict(statements())
    # a portal's entries come from either index that starts with the portal
    # (which one, or a bitmap of it with the time index, moves with the
    # statistics other tests leave)
    portal = ["activity_portal_time", "activity_portal"]
    index = {0: ["activity_org_time"], 1: portal, 2: ["activity_org_user_time"],
             4: ["activity_org_kind_time"], 3: portal + ["activity_org_user_time"],
             5: portal + ["activity_org_kind_time"],
             6: ["activity_org_user_time", "activity_org_kind_time"],
             7: portal + ["activity_org_user_time", "activity_org_kind_time"]}
    with stack.db() as conn:
        conn.execute("SET plan_cache_mode = force_generic_plan")
        for m in range(8):
            conn.execute("PREPARE act_plan_%d AS %s" % (m, sql["activity_log_%d" % m]))
            for dates in (("", ""), ("2026-02-10", "2026-02-12")):
                args = "%d, 'Europe/Paris', %d, %d, '%s', '%s', '%s', 0" % (
                    org, pid if m & 1 else 0, me if m & 2 else 0, "beta" if m & 4 else "", dates[0], dates[1])
                plan = "\n".join(r[0] for r in conn.execute("EXPLAIN EXECUTE act_plan_%d (%s)" % (m, args)))
                # the index that starts with the filter (in order, or a bitmap of it
                # when the statistics say a filter finds few entries -- they move
                # with what other tests wrote), never the whole log
                assert any(re.search(r"(Index (Only )?Scan using|Bitmap Index Scan on) %s( on activity|\b)" % i, plan)
                           for i in index[m]), "statement %d:\n%s" % (m, plan)
                assert "Seq Scan on activity" not in plan, "statement %d:\n%s" % (m, plan)
            conn.execute("DEALLOCATE act_plan_%d" % m)
        # the filters' choices: one index probe per kind or user, not a pass
        # over the organisation's entries
        for name in ("activity_kinds", "activity_users"):
            conn.execute("PREPARE act_choice AS " + sql[name])
            plan = "\n".join(r[0] for r in conn.execute("EXPLAIN EXECUTE act_choice (%d)" % org))
            assert "Seq Scan on activity" not in plan and "Recursive Union" in plan, (name, plan)
            assert re.search(r"Index (Only )?Scan using activity_org_(kind|user)_time on activity", plan), (name, plan)
            conn.execute("DEALLOCATE act_choice")
        # the portals offered: by name from portals_by_name, never a sort of them all
        conn.execute("PREPARE act_portals AS " + sql["activity_portals"])
        plan = "\n".join(r[0] for r in conn.execute("EXPLAIN EXECUTE act_portals (%d)" % org))
        # the shown portals come through an index that starts with the
        # organisation (in name order, or sorted when the statistics say an
        # organisation has fewer than the 501 offered), never a scan of every
        # organisation's portals
        shown = plan.split('"*SELECT* 2"')[0]
        assert re.search(r"(Index (Only )?Scan using|Bitmap Index Scan on) portals_(?!pkey)\w+", shown), plan
        assert "Seq Scan on portals" not in shown, plan
