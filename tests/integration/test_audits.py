"""Audits: a portal's properties, groups and users read (never written) and
turned into findings by the rule table, grouped by severity then rule,
compared with the previous audit (new, resolved), downloadable as CSV --
and, while the portal is not Connected, never started: the button is
disabled with its reason, a forged request is refused and queues nothing,
and the simulator's log shows no call."""
import csv
import io
import re

import pytest

from conftest import wait_until
from jsclient import csrf_of

RUN_ENV = {"JETSTACK_WORKER_CONCURRENCY": "2"}


@pytest.fixture(autouse=True)
def clean_sim(stack):
    stack.sim("DELETE", "/_sim/faults")
    stack.sim("POST", "/_sim/config", {"latency_ms": 0})
    yield
    stack.sim("DELETE", "/_sim/faults")
    stack.sim("POST", "/_sim/config", {"latency_ms": 0})


GROUP = {"name": "agency_info", "label": "Agency info"}
EMPTY = {"name": "old_stuff", "label": "Old stuff"}


def prop(name, label, type_="string", field="text", description="", options=None):
    p = {"name": name, "label": label, "type": type_, "fieldType": field, "groupName": "agency_info",
         "description": description}
    if options is not None:
        p["options"] = [{"label": o, "value": o.lower().replace(" ", "_"), "displayOrder": i, "hidden": False}
                        for i, o in enumerate(options)]
    return p


def schema(stack, hub, props, groups=(GROUP, EMPTY)):
    stack.sim("POST", "/_sim/portals/%d/properties" % hub,
              {"object_type": "contacts", "groups": list(groups), "properties": list(props)})


FINDING_PROPS = [
    prop("region", "Region", description="Sales region"),          # duplicate label ...
    prop("region_2", "region ", description="Old region field"),   # ... with this one
    prop("tier", "Tier", "enumeration", "select", "Contract tier", ["Gold"]),  # one option
    prop("notes_x", "Notes X"),                                      # no description
]


def users(stack, hub, super_admins=4, no_role=1):
    for i in range(super_admins):
        stack.sim("POST", "/_sim/users", {"email": "sa%d-%d@client.test" % (i, hub),
                                          "portals": {str(hub): {"super_admin": True}}})
    for i in range(no_role):
        stack.sim("POST", "/_sim/users", {"email": "norole%d-%d@client.test" % (i, hub),
                                          "portals": {str(hub): {"super_admin": False}}})
    stack.sim("POST", "/_sim/users", {"email": "rep-%d@client.test" % hub,
                                      "portals": {str(hub): {"role_names": ["Sales Rep"]}}})


def log_mark(stack):
    return stack.sim("GET", "/_sim/log?limit=0")["last_seq"]


def api_calls(stack, mark):
    return [e for e in stack.sim("GET", "/_sim/log?since=%d" % mark)["entries"]
            if e["endpoint"] in ("properties", "groups", "users")]


def start_audit(c, pid, expect=303):
    r = c.post("/portals/%d/audits" % pid, {"csrf": c.csrf("/portals/%d" % pid)})
    assert r.status_code == expect, (r.status_code, r.text[-1500:])
    if expect != 303:
        return r
    m = re.fullmatch(r"/audits/(\d+)", r.headers["Location"])
    assert m, r.headers["Location"]
    return int(m.group(1))


def findings(stack, run):
    return {(r[0], r[1], r[2]): r[3] for r in stack.sql(
        "SELECT rule, object_type, object_key, is_new FROM audit_findings WHERE run_id = %s", (run,))}


def run_state(stack, run):
    return stack.sql("SELECT state, failure_code, failure_message FROM runs WHERE id = %s", (run,))[0]


def test_audit_report_grouped_by_severity_then_new_and_resolved(stack):
    c = stack.client()
    hub, pid, _ = stack.connect_portal(c, "config_audit")
    schema(stack, hub, FINDING_PROPS)
    users(stack, hub)
    mark = log_mark(stack)
    run = start_audit(c, pid)
    page = c.get("/audits/%d" % run).text
    assert 'data-follow="1"' in page and 'id="run-refresh"' in page
    stack.worker_once(env=RUN_ENV)
    assert run_state(stack, run)[0] == "succeeded"
    # read-only: no write was sent
    calls = api_calls(stack, mark)
    assert calls and all(e["method"] == "GET" for e in calls), calls
    assert any(e["path"].startswith("/settings/users/2026-03") for e in calls)
    got = findings(stack, run)
    assert ("too_many_super_admins", "portal", "") in got
    assert ("duplicate_label", "contacts", "region") in got and ("duplicate_label", "contacts", "region_2") in got
    assert ("enumeration_options", "contacts", "tier") in got
    assert ("property_no_description", "contacts", "notes_x") in got
    assert ("empty_group", "contacts", "old_stuff") in got
    norole = [k for k in got if k[0] == "user_without_role"]
    assert len(norole) == 1, got
    page = c.get("/audits/%d" % run).text
    assert 'data-follow' not in page
    # grouped: high before medium before low, each rule with its explanation and fix
    assert page.index('id="severity-high"') < page.index('id="severity-medium"') < page.index('id="severity-low"')
    assert "More Super Admins than your organisation allows" in page and "How to fix:" in page
    assert "norole0-%d@client.test" % hub in page
    assert "The first audit of this portal" in page

    # the CSV has every finding of the page, quoted and neutralised
    r = c.get("/audits/%d/findings.csv" % run)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0][:3] == ["severity", "rule", "title"]
    assert {(x[1], x[3], x[4]) for x in rows[1:]} == set(got)

    # fix two findings in HubSpot, add a new one; the second audit says so
    schema(stack, hub, [prop("region", "Region", description="Sales region"),
                        prop("tier", "Tier", "enumeration", "select", "Contract tier", ["Gold", "Silver"]),
                        prop("notes_x", "Notes X"), prop("fresh", "Fresh")])
    run2 = start_audit(c, pid)
    stack.worker_once(env=RUN_ENV)
    got2 = findings(stack, run2)
    assert ("duplicate_label", "contacts", "region") not in got2
    assert ("enumeration_options", "contacts", "tier") not in got2
    assert got2[("property_no_description", "contacts", "fresh")] is True   # new
    assert got2[("property_no_description", "contacts", "notes_x")] is False  # still there
    n_new, n_resolved, prev = stack.sql("SELECT n_new, n_resolved, previous_run_id FROM audits WHERE run_id = %s",
                                        (run2,))[0]
    assert prev == run and n_new == 1 and n_resolved == 3, (n_new, n_resolved)  # region, region_2, tier
    page = c.get("/audits/%d" % run2).text
    assert 'id="resolved"' in page and "Resolved since the previous audit" in page
    assert '<span class="badge new">New</span>' in page
    # the portal page and the list show both
    page = c.get("/portals/%d" % pid).text
    assert 'id="audit-row-%d"' % run in page and 'id="audit-row-%d"' % run2 in page
    assert 'id="audit-row-%d"' % run2 in c.get("/audits").text


def test_super_admin_limit_is_the_organisations(stack):
    c = stack.client()
    hub, pid, _ = stack.connect_portal(c, "audit_only")
    users(stack, hub, super_admins=4, no_role=0)
    r = c.post("/audits/limit", {"csrf": c.csrf("/audits"), "super_admin_limit": "6"})
    assert r.status_code == 303
    assert c.post("/audits/limit", {"csrf": c.csrf("/audits"), "super_admin_limit": "0"}).status_code == 400
    member = stack.client(org=c.org, role="member")
    page = member.get("/audits").text
    assert 'id="limit-form"' not in page and "more than 6 Super Admins" in page
    assert member.post("/audits/limit", {"csrf": csrf_of(page), "super_admin_limit": "2"}).status_code == 403
    run = start_audit(member, pid)  # members run audits
    stack.worker_once(env=RUN_ENV)
    assert ("too_many_super_admins", "portal", "") not in findings(stack, run)


def test_not_connected_config_only_viewer_and_other_org_start_nothing(stack):
    c = stack.client()
    hub, pid, _ = stack.connect_portal(c, "config_audit")
    stack.make_yellow(hub, pid)
    page = c.get("/portals/%d" % pid).text
    disabled = re.search(r'<p id="audit-disabled">(.*?)</p>', page, re.S).group(1)
    assert "disabled" in disabled and "Audits cannot be started while the portal is Needs Reconnection" in disabled
    assert 'id="audit-reconnect"' in disabled
    mark = log_mark(stack)
    r = start_audit(c, pid, expect=409)
    assert "cannot be started" in r.text and "nothing was started" in r.text and "Needs Reconnection" in r.text
    assert stack.sql("SELECT count(*) FROM runs WHERE portal_id = %s AND kind = 'audit'", (pid,)) == [(0,)]
    stack.worker_once(env=RUN_ENV)
    assert api_calls(stack, mark) == []
    # Client Accounts: the row's button is disabled too, with words beside it
    row = c.get("/portals").text.split('<tr id="portal-%d"' % pid)[1].split("</tr>")[0]
    assert "Reconnect first" in row and 'id="audit-%d"' % pid not in row

    # Config Only: no Run audit, the reason shown; a forged POST is refused
    h2, p2, _ = stack.connect_portal(c, "config_only")
    page = c.get("/portals/%d" % p2).text
    assert 'id="run-audit"' not in page and 'id="audits-not-allowed"' in page
    r = start_audit(c, p2, expect=409)
    assert "Config Only" in r.text and "Nothing was started" in r.text
    # an import or a deployment to an Audit Only portal: the same kind of 409 page
    h3, p3, _ = stack.connect_portal(c, "audit_only")
    r = c.post("/portals/%d/imports" % p3, {"csrf": c.csrf("/portals/%d" % p3)})
    assert r.status_code == 409 and "Audit Only" in r.text

    # a viewer's forged POST; another organisation's portal and audit
    viewer = stack.client(org=c.org, role="viewer")
    page = viewer.get("/portals/%d" % p3).text
    assert 'id="run-audit"' not in page or "disabled" in page
    assert viewer.post("/portals/%d/audits" % p3, {"csrf": csrf_of(page)}).status_code == 403
    other = stack.client()
    assert start_audit(other, p3, expect=404).status_code == 404
    run = start_audit(c, p3)
    assert other.get("/audits/%d" % run).status_code == 404
    assert other.get("/audits/%d/findings.csv" % run).status_code == 404
    assert stack.sql("SELECT count(*) FROM runs WHERE kind = 'audit' AND portal_id IN (%s, %s)",
                     (pid, p2)) == [(0,)]
    stack.worker_once(env=RUN_ENV)  # the Audit Only portal's audit, so that no job is left
    assert run_state(stack, run)[0] == "succeeded", run_state(stack, run)


def test_a_portal_that_turns_yellow_while_an_audit_runs_stops_it_with_no_findings(stack):
    c = stack.client()
    hub, pid, _ = stack.connect_portal(c, "config_audit")
    schema(stack, hub, FINDING_PROPS)
    # the read of the contacts properties takes 3 s; meanwhile the portal turns yellow
    stack.sim("POST", "/_sim/faults", {"endpoint": "properties", "latency_ms": 3000, "count": 1})
    mark = log_mark(stack)
    run = start_audit(c, pid)
    with stack.worker_proc(env={"JETSTACK_WORKER_CONCURRENCY": "1", "JETSTACK_WORKER_POLL_SECONDS": "1"}):
        assert wait_until(lambda: [e for e in api_calls(stack, mark) if e["endpoint"] == "groups"], timeout=20)
        stack.sql("UPDATE portals SET status = 'needs_reconnection', status_reason_code = 'refresh_rejected', "
                  "status_reason = 'HubSpot rejected the refresh token (BAD_REFRESH_TOKEN).', "
                  "status_changed_at = now() WHERE id = %s", (pid,))
        assert wait_until(lambda: run_state(stack, run)[0] == "failed", timeout=30), run_state(stack, run)
    state, code, msg = run_state(stack, run)
    assert code == "auth" and "Needs Reconnection" in msg and "no findings" in msg
    calls = [(e["method"], e["path"]) for e in api_calls(stack, mark)]
    assert len(calls) == 2, calls  # the contacts reads; nothing after the change
    assert findings(stack, run) == {}
    page = c.get("/audits/%d" % run).text
    assert "Read before it stopped: contacts" in page and 'id="run-reconnect"' in page
    assert 'id="audit-summary"' not in page
