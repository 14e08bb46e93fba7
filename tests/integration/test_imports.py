"""Imports and the asset library: a portal's custom property groups and
custom properties become assets (HubSpot's own properties never do), a
re-import keeps every version and marks what disappeared, and the portal's
status governs it all -- a portal that is not Connected fails the import at
once with no HubSpot call (the simulator's request log is the proof)."""
import re
import signal
import time

import pytest

from conftest import wait_until
from jsclient import csrf_of

RUN_ENV = {"JETSTACK_WORKER_CONCURRENCY": "4"}


@pytest.fixture(autouse=True)
def clean_sim(stack):
    stack.sim("DELETE", "/_sim/faults")
    stack.sim("POST", "/_sim/config", {"latency_ms": 0})
    yield
    stack.sim("DELETE", "/_sim/faults")
    stack.sim("POST", "/_sim/config", {"latency_ms": 0})


GROUP = {"name": "agency_info", "label": "Agency info"}


def tier(label="Contract tier", options=("Gold", "Silver")):
    return {"name": "contract_tier", "label": label, "type": "enumeration", "fieldType": "select",
            "groupName": "agency_info",
            "options": [{"label": o, "value": o.lower(), "displayOrder": i, "hidden": False}
                        for i, o in enumerate(options)]}


def source_detail():
    return {"name": "lead_source_detail", "label": "Lead source detail", "type": "string",
            "fieldType": "text", "groupName": "agency_info"}


def set_schema(stack, hub, props, groups=(GROUP,), object_type="contacts"):
    stack.sim("POST", "/_sim/portals/%d/properties" % hub,
              {"object_type": object_type, "groups": list(groups), "properties": list(props)})


def start_import(c, pid):
    r = c.post("/portals/%d/imports" % pid, {"csrf": c.csrf("/portals/%d" % pid)})
    assert r.status_code == 303, (r.status_code, r.text[-800:])
    m = re.fullmatch(r"/runs/(\d+)", r.headers["Location"])
    assert m, r.headers["Location"]
    return int(m.group(1))


def run_row(stack, run):
    cols = ("state", "steps_done", "items_seen", "items_new", "items_changed", "items_unchanged",
            "items_gone", "failure_code", "failure_message", "hs_calls")
    return dict(zip(cols, stack.sql("SELECT %s FROM runs WHERE id = %%s" % ", ".join(cols), (run,))[0]))


def assets(stack, hub):
    return {(r[0], r[1], r[2]): {"label": r[3], "version": r[4], "gone": r[5]}
            for r in stack.sql("SELECT object_type, kind, name, label, version, gone_at IS NOT NULL "
                               "FROM assets WHERE source_hub_id = %s", (hub,))}


def log_mark(stack):
    return stack.sim("GET", "/_sim/log?limit=0")["last_seq"]


def connected(stack, conn_type="config_only", role="owner"):
    c = stack.client()
    hub, pid, _ = stack.connect_portal(c, conn_type)
    return c, hub, pid


# ---------------------------------------------------------------- the import
def test_import_fills_the_library_and_a_reimport_keeps_versions(stack):
    c, hub, pid = connected(stack)
    set_schema(stack, hub, [tier(), source_detail()])
    run = start_import(c, pid)
    page = c.get("/runs/%d" % run).text
    assert 'data-follow="1"' in page and 'id="run-refresh"' in page  # queued: followed
    assert '<script src="/static/follow.js"></script>' in page
    stack.worker_once(env=RUN_ENV)

    r = run_row(stack, run)
    assert (r["state"], r["steps_done"]) == ("succeeded", 4), r
    got = assets(stack, hub)
    assert set(got) == {("contacts", "group", "agency_info"), ("contacts", "property", "contract_tier"),
                        ("contacts", "property", "lead_source_detail")}, got
    assert all(a["version"] == 1 and not a["gone"] for a in got.values())
    # HubSpot's own properties (email, firstname ...) are never imported
    assert stack.sql("SELECT count(*) FROM assets WHERE source_hub_id = %s AND name = 'email'", (hub,)) == [(0,)]
    assert r["items_new"] == 3 and r["hs_calls"] == 8
    page = c.get("/runs/%d" % run).text
    assert 'data-follow' not in page and "Succeeded" in page and "4 of 4 object types" in page
    kinds = [k for (k,) in stack.sql("SELECT kind FROM activity WHERE portal_id = %s ORDER BY id", (pid,))]
    assert kinds[-2:] == ["import_started", "import_finished"], kinds

    # HubSpot changes: a label and an option change, one property disappears
    set_schema(stack, hub, [tier("Contract level", ("Gold", "Silver", "Bronze"))])
    run2 = start_import(c, pid)
    stack.worker_once(env=RUN_ENV)
    r2 = run_row(stack, run2)
    assert r2["state"] == "succeeded" and (r2["items_changed"], r2["items_unchanged"], r2["items_gone"]) == \
        (1, 1, 1), r2
    got = assets(stack, hub)
    assert got[("contacts", "property", "contract_tier")] == {"label": "Contract level", "version": 2,
                                                               "gone": False}
    assert got[("contacts", "property", "lead_source_detail")]["gone"] is True
    aid = stack.sql("SELECT id FROM assets WHERE source_hub_id = %s AND name = 'contract_tier'", (hub,))[0][0]
    page = c.get("/assets/%d" % aid).text
    assert 'id="version-2"' in page and 'id="version-1"' in page
    assert "Contract level" in page and "Contract tier" in page and "bronze" in page
    # a third import with nothing changed adds no version
    run3 = start_import(c, pid)
    stack.worker_once(env=RUN_ENV)
    assert run_row(stack, run3)["items_changed"] == 0
    assert assets(stack, hub)[("contacts", "property", "contract_tier")]["version"] == 2


def test_library_search_filters_and_pages(stack):
    c, hub, pid = connected(stack)
    props = [dict(source_detail(), name="p_%03d" % i, label="Field %03d" % i) for i in range(60)]
    set_schema(stack, hub, props + [tier()])
    start_import(c, pid)
    stack.worker_once(env=RUN_ENV)
    page = c.get("/assets?source=%d" % hub).text
    assert page.count('<tr id="asset-') == 50 and 'id="assets-next"' in page
    nxt = re.search(r'href="([^"]+)" id="assets-next"', page).group(1).replace("&amp;", "&")
    page2 = c.get(nxt).text
    assert page2.count('<tr id="asset-') == 12 and "Field 059" in page2  # 60 + 1 property + 1 group
    page = c.get("/assets?q=contract&source=%d" % hub).text
    assert page.count('<tr id="asset-') == 1 and "Contract tier" in page
    page = c.get("/assets?object_type=deals&source=%d" % hub).text
    assert page.count('<tr id="asset-') == 0
    assert c.get("/assets?object_type=widgets").status_code == 400


# ---------------------------------------------------------------- the status rules
def test_import_of_a_yellow_portal_fails_at_once_without_calling_hubspot(stack):
    c, hub, pid = connected(stack)
    set_schema(stack, hub, [tier()])
    stack.make_yellow(hub, pid)
    mark = log_mark(stack)
    run = start_import(c, pid)
    r = run_row(stack, run)
    assert r["state"] == "failed" and r["failure_code"] == "auth", r
    assert "Authentication error" in r["failure_message"] and "Needs Reconnection" in r["failure_message"]
    assert "BAD_REFRESH_TOKEN" in r["failure_message"]  # the reason, named
    assert stack.sql("SELECT count(*) FROM jobs WHERE run_id = %s", (run,)) == [(0,)]  # nothing waits
    stack.worker_once(env=RUN_ENV)
    entries = stack.sim("GET", "/_sim/log?since=%d" % mark)["entries"]
    assert not [e for e in entries if e["endpoint"] in ("properties", "groups")], entries
    page = c.get("/runs/%d" % run).text
    assert 'id="run-failure"' in page and 'id="run-reconnect"' in page and "Failed" in page
    assert assets(stack, hub) == {}


def test_import_refused_for_audit_only_viewers_and_other_orgs(stack):
    c, hub, pid = connected(stack, "audit_only")
    mark = log_mark(stack)
    r = c.post("/portals/%d/imports" % pid, {"csrf": c.csrf("/portals/%d" % pid)})
    assert r.status_code == 409 and "Audit Only" in r.text and "audits only" in r.text
    assert stack.sql("SELECT count(*) FROM runs WHERE portal_id = %s", (pid,)) == [(0,)]
    # a viewer's forged POST
    c2, hub2, pid2 = connected(stack)
    viewer = stack.client(org=c2.org, role="viewer")
    page = viewer.get("/portals/%d" % pid2).text
    assert 'id="import"' not in page and "Imports need the Member" in page
    r = viewer.post("/portals/%d/imports" % pid2, {"csrf": csrf_of(page)})
    assert r.status_code == 403
    # another organisation's portal
    r = c.post("/portals/%d/imports" % pid2, {"csrf": c.csrf()})
    assert r.status_code == 404
    assert stack.sql("SELECT count(*) FROM runs WHERE portal_id = %s", (pid2,)) == [(0,)]
    run = start_import(c2, pid2)
    assert c.get("/runs/%d" % run).status_code == 404
    entries = stack.sim("GET", "/_sim/log?since=%d" % mark)["entries"]
    assert not [e for e in entries if e["endpoint"] in ("properties", "groups")]


def test_removed_portal_assets_stay_marked(stack):
    c, hub, pid = connected(stack)
    set_schema(stack, hub, [tier()])
    start_import(c, pid)
    stack.worker_once(env=RUN_ENV)
    r = c.post("/portals/%d/remove" % pid, {"csrf": c.csrf("/portals/%d/remove" % pid), "confirm": "yes"})
    assert r.status_code == 303
    aid = stack.sql("SELECT id FROM assets WHERE source_hub_id = %s AND name = 'contract_tier'", (hub,))[0][0]
    page = c.get("/assets/%d" % aid).text
    assert 'id="asset-removed-source"' in page
    assert "removed portal" in c.get("/assets?source=%d" % hub).text


# ---------------------------------------------------------------- HubSpot's answers
def test_401_refreshes_once_and_retries(stack):
    c, hub, pid = connected(stack)
    set_schema(stack, hub, [tier()])
    version = stack.sql("SELECT version FROM portal_tokens WHERE portal_id = %s", (pid,))[0][0]
    stack.sim("POST", "/_sim/faults", {"endpoint": "groups", "status": 401, "count": 1})
    run = start_import(c, pid)
    stack.worker_once(env=RUN_ENV)
    assert run_row(stack, run)["state"] == "succeeded"
    assert stack.sql("SELECT version FROM portal_tokens WHERE portal_id = %s", (pid,))[0][0] == version + 1


def test_a_step_reads_its_groups_beside_its_properties(stack):
    """One worker thread, HubSpot slow (300 ms): each object type's groups
    and properties are asked for at once, so the simulator has two calls in
    flight, never more (one job at a time), and the run counts both."""
    c, hub, pid = connected(stack)
    for ot in ("contacts", "companies", "deals", "tickets"):
        set_schema(stack, hub, [dict(tier(), name="tier_%s" % ot)], object_type=ot)
    stack.sim("DELETE", "/_sim/stats")
    stack.sim("POST", "/_sim/config", {"latency_ms": 300})
    run = start_import(c, pid)
    stack.worker_once(env={"JETSTACK_WORKER_CONCURRENCY": "1"})
    r = run_row(stack, run)
    assert (r["state"], r["steps_done"], r["items_new"], r["hs_calls"]) == ("succeeded", 4, 8, 8), r
    st = stack.sim("GET", "/_sim/stats")
    assert st["in_flight_max"]["*"] == 2, st["in_flight_max"]
    assert st["calls_by_endpoint"].get("groups", 0) == 4
    assert st["calls_by_endpoint"].get("properties", 0) == 4


def test_a_refused_groups_read_is_the_failure_told(stack):
    """The groups read fails (403) while the properties read beside it
    succeeds: the run fails with the groups' answer, both calls counted."""
    c, hub, pid = connected(stack)
    set_schema(stack, hub, [tier()])
    stack.sim("POST", "/_sim/faults", {"endpoint": "groups", "status": 403, "count": None,
                                       "body": {"status": "error", "category": "MISSING_SCOPES",
                                                "message": "This app hasn't been granted all "
                                                           "required scopes to make this call."}})
    mark = log_mark(stack)
    run = start_import(c, pid)
    stack.worker_once(env={"JETSTACK_WORKER_CONCURRENCY": "1"})
    r = run_row(stack, run)
    assert (r["state"], r["failure_code"]) == ("failed", "hubspot"), r
    assert "read the contacts property groups" in r["failure_message"], r
    assert "MISSING_SCOPES" in r["failure_message"], r
    calls = [e for e in stack.sim("GET", "/_sim/log?since=%d" % mark)["entries"]
             if "/crm/properties/" in e["path"]]
    assert r["hs_calls"] == len(calls) >= 2, (r, calls)


def test_5xx_retried_then_the_run_fails_with_the_reason(stack):
    c, hub, pid = connected(stack)
    set_schema(stack, hub, [tier()])
    stack.sim("POST", "/_sim/faults", {"endpoint": "properties", "status": 503, "count": None})
    run = start_import(c, pid)
    for _ in range(5):
        stack.sql("UPDATE jobs SET run_after = now() WHERE run_id = %s", (run,))
        stack.worker_once(env=RUN_ENV)
    r = run_row(stack, run)
    assert r["state"] == "failed" and r["failure_code"] == "retries", r
    assert "after 5 attempts" in r["failure_message"]
    assert stack.sql("SELECT count(*) FROM jobs WHERE run_id = %s", (run,)) == [(0,)]


def test_429_waits_what_hubspot_says(stack):
    c, hub, pid = connected(stack)
    set_schema(stack, hub, [tier()])
    stack.sim("POST", "/_sim/faults", {"endpoint": "properties", "status": 429, "count": 1})
    run = start_import(c, pid)
    with stack.worker_proc(env=dict(RUN_ENV, JETSTACK_WORKER_POLL_SECONDS="1")):
        assert wait_until(lambda: run_row(stack, run)["state"] == "succeeded", timeout=40)
    assert stack.sql("SELECT value FROM worker_counters WHERE name = 'hubspot_429'")[0][0] >= 1
    metrics = c.get("/metrics").text
    assert re.search(r'jetstack_jobs_queued\{kind="import"\} \d+', metrics), metrics[-500:]
    n = int(re.search(r"^jetstack_hubspot_rate_limited_total (\d+)$", metrics, re.M).group(1))
    assert n >= 1


def test_a_killed_worker_leaves_a_run_another_resumes(stack):
    c, hub, pid = connected(stack)
    for ot in ("contacts", "companies", "deals", "tickets"):
        set_schema(stack, hub, [dict(tier(), name="tier_%s" % ot)], object_type=ot)
    stack.sim("POST", "/_sim/config", {"latency_ms": 400})
    run = start_import(c, pid)
    # one thread: the run's four steps one after the other
    p = stack.worker_popen(env={"JETSTACK_WORKER_CONCURRENCY": "1", "JETSTACK_JOB_LEASE_SECONDS": "2"})
    try:
        assert wait_until(lambda: run_row(stack, run)["steps_done"] >= 1, timeout=30)
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=10)
    finally:
        if p.poll() is None:
            p.kill()
    assert run_row(stack, run)["state"] == "running"
    stack.sim("POST", "/_sim/config", {"latency_ms": 0})
    time.sleep(2.5)  # the lease runs out
    stack.worker_once(env=RUN_ENV)
    r = run_row(stack, run)
    assert (r["state"], r["steps_done"], r["items_new"]) == ("succeeded", 4, 8), r


def test_two_workers_share_the_burst_limit(stack):
    """Our limit (3 calls per 1.5 s here) is below HubSpot's (4 per 1.5 s,
    lowered in the simulator): two workers working two imports of one
    portal, 16 calls in all, meet no 429 and finish both runs."""
    c, hub, pid = connected(stack)
    set_schema(stack, hub, [tier()])
    stack.sim("POST", "/_sim/config", {"burst_limit": 4, "burst_window_ms": 1500})
    before = stack.sql("SELECT coalesce(sum(value), 0) FROM worker_counters WHERE name = 'hubspot_429'")[0][0]
    made = stack.sim("GET", "/_sim/stats")["calls_by_endpoint"]
    calls_before = made.get("properties", 0) + made.get("groups", 0)
    runs = [start_import(c, pid), start_import(c, pid)]
    env = dict(RUN_ENV, JETSTACK_WORKER_POLL_SECONDS="1", JETSTACK_HUBSPOT_BURST_LIMIT="3",
               JETSTACK_HUBSPOT_BURST_WINDOW_MS="1500")
    t0 = time.time()
    try:
        with stack.worker_proc(env=env), stack.worker_proc(env=env):
            assert wait_until(lambda: all(run_row(stack, r)["state"] == "succeeded" for r in runs),
                              timeout=60), [run_row(stack, r) for r in runs]
    finally:
        stack.sim("POST", "/_sim/config", {"burst_limit": 110, "burst_window_ms": 10000})
    elapsed = time.time() - t0
    after = stack.sql("SELECT coalesce(sum(value), 0) FROM worker_counters WHERE name = 'hubspot_429'")[0][0]
    assert after == before  # no 429 met
    # every call made is counted, those of a job that gave its thread back
    # to the burst limit and read again included: the simulator agrees
    made = stack.sim("GET", "/_sim/stats")["calls_by_endpoint"]
    assert sum(run_row(stack, r)["hs_calls"] for r in runs) == \
        made.get("properties", 0) + made.get("groups", 0) - calls_before
    assert sum(run_row(stack, r)["hs_calls"] for r in runs) >= 16
    assert elapsed >= 4 * 1.5 * 0.9, elapsed  # 16 calls at 3 per window: at least 5 windows
