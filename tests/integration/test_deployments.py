"""Deployments: library assets put into client portals, item by item --
created, updated (options become a union: a target option is never
dropped), unchanged, or failed with HubSpot's answer (a different type is
never changed, a batch's partial failure fails only its own items) -- never
twice (a second deployment is all unchanged; a resumed one reads first),
and never to a portal that is not Connected: such a deployment fails at its
first HubSpot call, which is a read, or makes none when there are no
tokens.  The simulator's request log is the proof of every call made."""
import re
import signal
import time

import pytest

from conftest import wait_until
from jsclient import csrf_of

RUN_ENV = {"JETSTACK_WORKER_CONCURRENCY": "4"}
WRITES = ("POST", "PATCH", "PUT", "DELETE")


@pytest.fixture(autouse=True)
def clean_sim(stack):
    stack.sim("DELETE", "/_sim/faults")
    stack.sim("POST", "/_sim/config", {"latency_ms": 0})
    yield
    stack.sim("DELETE", "/_sim/faults")
    stack.sim("POST", "/_sim/config", {"latency_ms": 0})


GROUP = {"name": "agency_info", "label": "Agency info"}


def tier(label="Contract tier", options=("Gold", "Silver"), name="contract_tier"):
    return {"name": name, "label": label, "type": "enumeration", "fieldType": "select",
            "groupName": "agency_info", "description": "The client's contract level",
            "options": [{"label": o, "value": o.lower(), "displayOrder": i, "hidden": False}
                        for i, o in enumerate(options)]}


def detail(type_="string", field="text"):
    return {"name": "lead_source_detail", "label": "Lead source detail", "type": type_,
            "fieldType": field, "groupName": "agency_info"}


def set_schema(stack, hub, props, groups=(GROUP,), object_type="contacts", replace=True):
    stack.sim("POST", "/_sim/portals/%d/properties" % hub,
              {"object_type": object_type, "groups": list(groups), "properties": list(props),
               "replace": replace})


def target_schema(stack, hub, object_type="contacts"):
    obj = stack.sim("GET", "/_sim/portals/%d/properties?object_type=%s" % (hub, object_type))
    o = obj["objects"][object_type]
    return {g["name"]: g for g in o["groups"]}, {p["name"]: p for p in o["properties"]}


def log_mark(stack):
    return stack.sim("GET", "/_sim/log?limit=0")["last_seq"]


def crm_calls(stack, mark):
    return [e for e in stack.sim("GET", "/_sim/log?since=%d" % mark)["entries"]
            if e["endpoint"] in ("properties", "groups")]


def run_row(stack, run):
    cols = ("state", "steps_done", "steps_total", "items_seen", "items_new", "items_changed",
            "items_unchanged", "items_failed", "failure_code", "failure_message", "hs_calls")
    return dict(zip(cols, stack.sql("SELECT %s FROM runs WHERE id = %%s" % ", ".join(cols), (run,))[0]))


def items(stack, run):
    return {r[0]: {"result": r[1], "changed": r[2], "message": r[3], "hs_category": r[4],
                   "hs_status": r[5], "kind": r[6]}
            for r in stack.sql("SELECT name, result, changed, message, hs_category, hs_status, kind "
                               "FROM deployment_items WHERE run_id = %s", (run,))}


def library(stack, c, source_types=("contacts",)):
    """An organisation's library: a source portal with an agency group and two
    custom properties (per object type), imported through the product."""
    hub, pid, _ = stack.connect_portal(c, "config_only")
    for ot in source_types:
        set_schema(stack, hub, [tier(), detail()], object_type=ot)
    r = c.post("/portals/%d/imports" % pid, {"csrf": c.csrf("/portals/%d" % pid)})
    assert r.status_code == 303
    stack.worker_once(env=RUN_ENV)
    return hub, pid


def asset_ids(stack, hub, names=None):
    rows = stack.sql("SELECT id, name FROM assets WHERE source_hub_id = %s ORDER BY id", (hub,))
    return [i for i, n in rows if names is None or n in names]


def deploy(c, targets, ids=None, expect=303, **filt):
    form = {"csrf": c.csrf("/assets"), "portal[]": [str(t) for t in targets]}
    if ids is not None:
        form["asset[]"] = [str(i) for i in ids]
    else:
        form["all"] = "yes"
        form.update(filt)
    r = c.post("/deploy", form)
    assert r.status_code == expect, (r.status_code, r.text[-1500:])
    if expect != 303:
        return r
    loc = r.headers["Location"]
    m = re.fullmatch(r"/runs/(\d+)", loc)
    return int(m.group(1)) if m else loc


def test_deploy_creates_items_and_a_second_deployment_is_all_unchanged(stack):
    c = stack.client()
    src, _ = library(stack, c)
    thub, tpid, _ = stack.connect_portal(c, "config_audit")
    # the library offers the deployment: ticks and "Deploy all matching"
    page = c.get("/assets").text
    assert 'id="deploy-selected"' in page and 'id="deploy-all"' in page
    form = c.get("/deploy?" + "&".join("asset%%5B%%5D=%d" % i for i in asset_ids(stack, src, {"contract_tier"})))
    assert form.status_code == 200
    # the property's group comes along: 2 items
    assert re.search(r"<strong>2</strong> groups and properties", form.text), form.text[-3000:]
    assert 'id="target-%d"' % tpid in form.text

    mark = log_mark(stack)
    run = deploy(c, [tpid], ids=asset_ids(stack, src, {"contract_tier", "lead_source_detail"}))
    page = c.get("/runs/%d" % run).text
    assert "Deployment to" in page and 'data-follow="1"' in page
    stack.worker_once(env=RUN_ENV)
    r = run_row(stack, run)
    assert (r["state"], r["items_new"], r["items_failed"]) == ("succeeded", 3, 0), r
    assert r["hs_calls"] == 4  # two reads, the group, one batch
    got = items(stack, run)
    assert {k: v["result"] for k, v in got.items()} == {
        "agency_info": "created", "contract_tier": "created", "lead_source_detail": "created"}
    groups, props = target_schema(stack, thub)
    assert groups["agency_info"]["label"] == "Agency info"
    assert [o["value"] for o in props["contract_tier"]["options"]] == ["gold", "silver"]
    assert props["contract_tier"]["description"] == "The client's contract level"
    calls = crm_calls(stack, mark)
    # reads first, then the group, then one batch for both properties
    writes = [(e["method"], e["path"]) for e in calls if e["method"] in WRITES]
    assert writes == [("POST", "/crm/properties/2026-03/contacts/groups"),
                      ("POST", "/crm/properties/2026-03/contacts/batch/create")], writes
    page = c.get("/runs/%d" % run).text
    assert "Succeeded" in page and "3 of 3 items done" in page and 'id="item-' in page
    assert "Created" in page and 'data-follow' not in page
    kinds = [k for (k,) in stack.sql("SELECT kind FROM activity WHERE portal_id = %s ORDER BY id", (tpid,))]
    assert kinds[-2:] == ["deploy_started", "deploy_finished"], kinds
    # Client Accounts: the portal's last deployment and its result, in its row
    row = c.get("/portals").text.split('<tr id="portal-%d"' % tpid)[1].split("</tr>")[0]
    assert '<a href="/runs/%d">Last deployment: Succeeded</a>' % run in row, row

    # deploy the same again: nothing written, every item unchanged
    mark = log_mark(stack)
    run2 = deploy(c, [tpid], ids=asset_ids(stack, src))
    stack.worker_once(env=RUN_ENV)
    r2 = run_row(stack, run2)
    assert (r2["state"], r2["items_unchanged"], r2["items_new"]) == ("succeeded", 3, 0), r2
    assert not [e for e in crm_calls(stack, mark) if e["method"] in WRITES]
    # the portal page lists both, newest first; the list page too
    page = c.get("/portals/%d" % tpid).text
    assert page.index('id="deploy-row-%d"' % run2) < page.index('id="deploy-row-%d"' % run)
    assert 'id="deploy-row-%d"' % run in c.get("/deployments?portal=%d" % tpid).text


def test_options_union_type_conflict_and_filter(stack):
    c = stack.client()
    src, _ = library(stack, c)
    thub, tpid, _ = stack.connect_portal(c, "config_only")
    # the target already has the tier with other options and another label,
    # and lead_source_detail as a number
    set_schema(stack, thub, [tier("Tier", ("Gold", "Platinum")), detail("number", "number")])
    mark = log_mark(stack)
    run = deploy(c, [tpid])  # everything in the library
    stack.worker_once(env=RUN_ENV)
    r = run_row(stack, run)
    assert r["state"] == "partly_failed", r
    got = items(stack, run)
    assert got["agency_info"]["result"] == "unchanged"
    assert got["contract_tier"]["result"] == "updated"
    assert got["contract_tier"]["changed"] == "label, options"
    assert got["lead_source_detail"]["result"] == "failed"
    assert "number" in got["lead_source_detail"]["message"] and "never changes a property's type" in \
        got["lead_source_detail"]["message"]
    _, props = target_schema(stack, thub)
    # the union: the target's options kept, the asset's added
    assert [o["value"] for o in props["contract_tier"]["options"]] == ["gold", "platinum", "silver"]
    assert props["contract_tier"]["label"] == "Contract tier"
    assert props["lead_source_detail"]["type"] == "number"  # never changed
    calls = crm_calls(stack, mark)
    assert [(e["method"], e["path"]) for e in calls if e["method"] in WRITES] == \
        [("PATCH", "/crm/properties/2026-03/contacts/contract_tier")]
    # the page filters by result
    page = c.get("/runs/%d?result=failed" % run).text
    assert "lead_source_detail" in page and "contract_tier" not in page
    assert "Partly failed" in page
    assert c.get("/runs/%d?result=bogus" % run).status_code == 400


def test_partial_batch_failure_fails_only_its_items(stack):
    c = stack.client()
    hub, pid, _ = stack.connect_portal(c, "config_only")
    set_schema(stack, hub, [tier(), detail(), tier("Region", ("EMEA", "APAC"), name="region")])
    assert c.post("/portals/%d/imports" % pid, {"csrf": c.csrf("/portals/%d" % pid)}).status_code == 303
    stack.worker_once(env=RUN_ENV)
    thub, tpid, _ = stack.connect_portal(c, "config_only")
    # the target has an archived "region": its name stays taken (409 in the batch)
    set_schema(stack, thub, [dict(tier("Old region", ("X",), name="region"), archived=True)])
    run = deploy(c, [tpid])
    stack.worker_once(env=RUN_ENV)
    r = run_row(stack, run)
    assert (r["state"], r["items_new"], r["items_failed"]) == ("partly_failed", 2, 1), r
    got = items(stack, run)
    assert got["region"]["result"] == "failed" and got["region"]["hs_category"] == "OBJECT_ALREADY_EXISTS"
    assert got["region"]["hs_status"] == 207 and "already exists" in got["region"]["message"]
    _, props = target_schema(stack, thub)
    assert "contract_tier" in props and "lead_source_detail" in props


def test_not_connected_portal_fails_at_its_first_call_which_is_a_read(stack):
    c = stack.client()
    src, _ = library(stack, c, ("contacts", "companies"))
    thub, tpid, _ = stack.connect_portal(c, "config_only")
    stack.make_yellow(thub, tpid)
    mark = log_mark(stack)
    run = deploy(c, [tpid])  # accepted and queued
    assert stack.sql("SELECT count(*) FROM jobs WHERE run_id = %s", (run,)) == [(2,)]
    stack.worker_once(env=RUN_ENV)
    r = run_row(stack, run)
    assert (r["state"], r["failure_code"]) == ("failed", "auth"), r
    assert "Needs Reconnection" in r["failure_message"] and "first call" in r["failure_message"]
    calls = crm_calls(stack, mark)
    assert len(calls) == 1 and calls[0]["method"] == "GET", calls  # one read, no write
    first = stack.sql("SELECT result, message FROM deployment_items WHERE run_id = %s AND seq = 1", (run,))[0]
    assert first[0] == "failed" and "Needs Reconnection" in first[1]
    assert stack.sql("SELECT count(*) FROM deployment_items WHERE run_id = %s AND result = 'pending'",
                     (run,)) == [(5,)]
    assert stack.sql("SELECT status FROM portals WHERE id = %s", (tpid,)) == [("needs_reconnection",)]
    assert r["hs_calls"] == 1  # the one read, counted
    page = c.get("/runs/%d" % run).text
    assert 'id="run-reconnect"' in page and "Not attempted" in page

    # a disconnected portal holds no tokens: no call at all
    assert c.post("/portals/%d/disconnect" % tpid,
                  {"csrf": c.csrf("/portals/%d/disconnect" % tpid), "confirm": "yes"}).status_code == 303
    mark = log_mark(stack)
    run = deploy(c, [tpid])
    stack.worker_once(env=RUN_ENV)
    r = run_row(stack, run)
    assert (r["state"], r["failure_code"]) == ("failed", "auth") and "Disconnected" in r["failure_message"], r
    assert crm_calls(stack, mark) == [] and r["hs_calls"] == 0


def test_refusals_audit_only_viewer_other_org_and_caps(stack):
    c = stack.client()
    src, _ = library(stack, c)
    ahub, apid, _ = stack.connect_portal(c, "audit_only")
    thub, tpid, _ = stack.connect_portal(c, "config_only")
    r = deploy(c, [tpid, apid], expect=409)
    assert "Audit Only" in r.text and "audits only" in r.text
    assert stack.sql("SELECT count(*) FROM runs WHERE kind = 'deploy' AND portal_id IN (%s, %s)",
                     (tpid, apid)) == [(0,)]  # nothing queued, not even for the allowed one
    assert 'id="target-%d"' % apid not in c.get("/deploy?all=yes").text
    # a viewer sees the library without ticks; a forged POST is refused
    viewer = stack.client(org=c.org, role="viewer")
    page = viewer.get("/assets").text
    assert 'id="deploy-selected"' not in page
    r = viewer.post("/deploy", {"csrf": csrf_of(page), "all": "yes", "portal[]": str(tpid)})
    assert r.status_code == 403
    # another organisation's portal and assets
    other = stack.client()
    ohub, opid, _ = stack.connect_portal(other, "config_only")
    assert deploy(c, [opid], expect=404).status_code == 404
    assert deploy(other, [opid], ids=asset_ids(stack, src), expect=404).status_code == 404
    # nothing chosen, no target, a duplicated plain field
    assert c.post("/deploy", {"csrf": c.csrf("/assets"), "portal[]": str(tpid)}).status_code == 400
    assert c.post("/deploy", {"csrf": c.csrf("/assets"), "all": "yes"}).status_code == 400
    # the organisation's cap on targets
    bad = stack.admin("org", "deploy-targets", c.org, "0", check=False)
    assert bad.returncode != 0 and "from 1 to 1000" in bad.stderr
    assert "organisation" in stack.admin("org", "deploy-targets", c.org, "1").stdout
    h2, p2, _ = stack.connect_portal(c, "config_only")
    r = deploy(c, [tpid, p2], expect=400)
    assert "at most 1 portals" in r.text
    assert stack.sql("SELECT count(*) FROM runs WHERE kind = 'deploy' AND org_id = %s",
                     (stack.org_id(c.org),)) == [(0,)]


def test_two_targets_one_deployment_each(stack):
    c = stack.client()
    src, _ = library(stack, c)
    t1 = stack.connect_portal(c, "config_only")
    t2 = stack.connect_portal(c, "config_audit")
    loc = deploy(c, [t1[1], t2[1]], ids=asset_ids(stack, src, {"lead_source_detail"}))
    assert loc == "/deployments"
    stack.worker_once(env=RUN_ENV)
    runs = stack.sql("SELECT id, portal_id, state FROM runs WHERE kind = 'deploy' AND org_id = %s",
                     (stack.org_id(c.org),))
    assert sorted(p for _, p, _ in runs) == sorted([t1[1], t2[1]])
    assert all(s == "succeeded" for _, _, s in runs), runs
    for hub in (t1[0], t2[0]):
        assert "lead_source_detail" in target_schema(stack, hub)[1]


def test_a_killed_worker_leaves_a_deployment_another_resumes_without_creating_twice(stack):
    c = stack.client()
    src, _ = library(stack, c, ("contacts", "companies", "deals", "tickets"))
    thub, tpid, _ = stack.connect_portal(c, "config_only")
    stack.sim("POST", "/_sim/config", {"latency_ms": 300})
    mark = log_mark(stack)
    run = deploy(c, [tpid])
    p = stack.worker_popen(env={"JETSTACK_WORKER_CONCURRENCY": "1", "JETSTACK_JOB_LEASE_SECONDS": "2"})
    try:
        assert wait_until(lambda: run_row(stack, run)["items_seen"] >= 2, timeout=30)
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
    assert (r["state"], r["items_new"], r["items_failed"]) == ("succeeded", 12, 0), r
    creates = [e["path"] for e in crm_calls(stack, mark) if e["method"] == "POST"]
    # one group create and one batch per object type: nothing sent twice
    assert sorted(creates) == sorted(["/crm/properties/2026-03/%s/%s" % (ot, k)
                                      for ot in ("contacts", "companies", "deals", "tickets")
                                      for k in ("groups", "batch/create")]), creates


def test_a_portal_that_turns_yellow_during_a_deployment_stops_it_before_its_next_write(stack):
    c = stack.client()
    src, _ = library(stack, c)
    thub, tpid, _ = stack.connect_portal(c, "config_only")
    # the read of the target's properties takes 3 s: meanwhile another worker
    # finds the refresh token refused and the portal turns yellow
    stack.sim("POST", "/_sim/faults", {"endpoint": "properties", "latency_ms": 3000, "count": 1})
    mark = log_mark(stack)
    run = deploy(c, [tpid])
    with stack.worker_proc(env={"JETSTACK_WORKER_CONCURRENCY": "1", "JETSTACK_WORKER_POLL_SECONDS": "1"}):
        assert wait_until(lambda: [e for e in crm_calls(stack, mark) if e["endpoint"] == "groups"], timeout=20)
        stack.sql("UPDATE portals SET status = 'needs_reconnection', status_reason_code = 'refresh_rejected', "
                  "status_reason = 'HubSpot rejected the refresh token (BAD_REFRESH_TOKEN).', "
                  "status_changed_at = now() WHERE id = %s", (tpid,))
        assert wait_until(lambda: run_row(stack, run)["state"] == "failed", timeout=30), run_row(stack, run)
    r = run_row(stack, run)
    assert r["failure_code"] == "auth" and "Needs Reconnection" in r["failure_message"], r
    calls = crm_calls(stack, mark)
    assert [e["method"] for e in calls] == ["GET", "GET"], calls  # the reads, then no write
    got = stack.sql("SELECT seq, name, result, message FROM deployment_items WHERE run_id = %s ORDER BY seq", (run,))
    assert got[0][2] == "failed" and got[0][3].startswith("Stopped before this item"), got
    assert [g[2] for g in got[1:]] == ["pending", "pending"], got
    page = c.get("/runs/%d" % run).text
    assert "Not attempted" in page and "Stopped before this item" in page


def test_a_removed_portals_deployment_history_stays_readable(stack):
    c = stack.client()
    src, _ = library(stack, c)
    thub, tpid, _ = stack.connect_portal(c, "config_only")
    run = deploy(c, [tpid], ids=asset_ids(stack, src, {"lead_source_detail"}))
    stack.worker_once(env=RUN_ENV)
    before = stack.sql("SELECT i.* FROM deployment_items i WHERE i.run_id = %s ORDER BY seq", (run,))
    r = c.post("/portals/%d/remove" % tpid, {"csrf": c.csrf("/portals/%d/remove" % tpid), "confirm": "yes"})
    assert r.status_code == 303
    page = c.get("/runs/%d" % run)
    assert page.status_code == 200 and "Succeeded" in page.text and "lead_source_detail" in page.text
    assert 'id="deploy-row-%d"' % run in c.get("/deployments").text
    assert 'id="deploy-row-%d"' % run in c.get("/deployments?portal=%d" % tpid).text
    assert stack.sql("SELECT i.* FROM deployment_items i WHERE i.run_id = %s ORDER BY seq", (run,)) == before
    # and it is no longer offered as a target
    assert 'id="target-%d"' % tpid not in c.get("/deploy?all=yes").text
