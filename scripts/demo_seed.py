#!/usr/bin/python3
"""Demo data for `make run` in simulator mode, in phases run.sh calls in turn.

connect  connects the simulator's demo portals through the product's real
         OAuth flow (as the demo owner, choosing each portal on the
         simulator's HubSpot screen and clicking Connect app), then has
         HubSpot reject the refresh tokens of two portals and uninstalls the
         app from one, so that the worker's next pass shows all three statuses.
imports  imports two Connected portals into the asset library, and tries the
         yellow one (fails at once).
deploy   once the imports have finished: deploys Acme's contact properties
         to Wayne (made to hold one of them with another type and one with
         fewer options: created, updated, unchanged and failed items) and to
         a yellow portal (fails at its first HubSpot call).
audits   audits Acme (Connected, Config + Audit; its users and company
         properties fire most rules) and waits for the report; checks that
         the yellow Config + Audit portal's page offers Run audit disabled,
         with its reason.
integrations STATE
         adds a webhook endpoint for both kinds pointing at the local
         receiver on the port `stack.sh hook-port` chose (STATE/run/hook.port),
         reads its signing secret from the answer page and starts the
         receiver with it (`stack.sh hook-start STATE SECRET`); an endpoint
         only gets the events after it was added, so it imports Acme once
         more (its end is a run.finished event) and waits until the
         endpoint's delivery log shows the attempt; then creates one open
         reconnect link on the yellow Config Only portal's page.  A demo
         endpoint of an earlier `make run` (another port, a secret no longer
         known) is deleted first.

team     (issue 17) leaves one pending invitation on the Team page (a new
         colleague as Member; mailed to the local sink, or its link shown
         once); run.sh makes the team of three with the admin tool.

Everything goes through the product's HTTP pages as the demo owner, and
through the simulator's control API for HubSpot's side."""
import json
import re
import subprocess
import sys
import os
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
import requests  # noqa: E402
from jsclient import Client, csrf_of  # noqa: E402

base, sim, email, password = sys.argv[1:5]
phase = sys.argv[5] if len(sys.argv) > 5 else "connect"
c = Client(base)
c.login(email, password)


def portals():
    """{hub id: (portal id, status)} of the organisation's portals."""
    out = {}
    for row in c.get("/portals?sort=name").text.split('<tr id="portal-')[1:]:
        pid = int(row.split('"', 1)[0])
        status = re.search(r'data-status="([a-z_]+)"', row).group(1)
        for hub in hubs:
            if ">%d<" % hub in row:
                out[hub] = (pid, status)
    return out


def sim_props(hub, object_type="contacts"):
    r = requests.get(sim + "/_sim/portals/%d/properties?object_type=%s" % (hub, object_type), timeout=10)
    r.raise_for_status()
    return {p["name"]: p for p in r.json()["objects"][object_type]["properties"]}


def definition(p, **change):
    """A property as the simulator's control API takes it."""
    d = {k: p[k] for k in ("name", "label", "type", "fieldType", "groupName", "description") if k in p}
    if p.get("options") and p["type"] in ("enumeration", "bool"):
        d["options"] = [{k: o[k] for k in ("label", "value", "displayOrder", "hidden") if k in o}
                        for o in p["options"]]
    d.update(change)
    return d


types = ["config_audit", "config_only", "audit_only", "config_audit", "config_only", "config_audit"]
hubs = [20001001, 20001002, 20001003, 20001004, 20001005, 20001006]
IMPORTED = (20001001, 20001006, 20001002)
SOURCE, TARGET, YELLOW = 20001001, 20001006, (20001004, 20001002)

if phase == "deploy":
    # wait for the imports (the running worker takes them) to have finished
    ids = portals()
    deadline = time.time() + 120
    while True:
        busy = [hub for hub in IMPORTED if hub in ids and re.search(
            r'class="indicator run-(queued|running)"',  # in the portal page's imports table
            c.get("/portals/%d" % ids[hub][0]).text.split('id="runs"')[1].split('id="deploys"')[0])]
        if not busy:
            break
        if time.time() > deadline:
            sys.exit("demo: the imports of %s have not finished" % busy)
        time.sleep(0.5)
    # HubSpot's side of the target (Wayne, Connected, Config + Audit): one of
    # Acme's text properties exists there as a number (a type is never
    # changed: failed) and one of its enumerations with fewer options
    # (updated: the options become the union)
    src, tgt = sim_props(SOURCE), sim_props(TARGET)
    text = next(n for n, p in sorted(src.items()) if p["type"] == "string" and p["fieldType"] == "text")
    enum = next(n for n, p in sorted(src.items()) if p["type"] == "enumeration" and len(p["options"]) >= 3)
    group = next(iter(sorted(p["groupName"] for p in tgt.values())))
    base = {n: tgt.get(n) or dict(src[n], groupName=group) for n in (text, enum)}
    r = requests.post(sim + "/_sim/portals/%d/properties" % TARGET, timeout=10, json={
        "object_type": "contacts", "replace": False, "groups": [],
        "properties": [definition(base[text], type="number", fieldType="number", options=[]),
                       definition(base[enum], options=definition(src[enum])["options"][:2])]})
    r.raise_for_status()
    # Acme's contact properties (and their groups), to Wayne and to the
    # yellow portal, one deployment each
    selection = {"all": "yes", "q": "", "object_type": "contacts", "source": str(SOURCE)}
    targets = [ids[TARGET][0]] + [ids[h][0] for h in YELLOW
                                  if h in ids and ids[h][1] == "needs_reconnection"][:1]
    page = c.get("/deploy?all=yes&q=&object_type=contacts&source=%d" % SOURCE).text
    runs = []
    for pid in targets:
        if 'id="target-%d"' % pid not in page:
            sys.exit("demo: portal %d is not offered as a deployment target" % pid)
        r = c.post("/deploy", dict(selection, csrf=c.csrf("/assets"), **{"portal[]": str(pid)}))
        if r.status_code != 303:
            sys.exit("demo: deploying to portal %d failed: %d" % (pid, r.status_code))
        runs.append(r.headers["Location"])
    print(json.dumps({"deployments": runs, "type_conflict": text, "fewer_options": enum}))
    sys.exit(0)

if phase == "audits":
    # the running worker takes the audit; its report page says when it is done
    AUDITED, YELLOW_AUDIT = 20001001, 20001004
    ids = portals()
    if ids.get(AUDITED, (0, ""))[1] != "connected":
        sys.exit("demo: Acme is not Connected: %s" % (ids.get(AUDITED),))
    pid = ids[AUDITED][0]
    r = c.post("/portals/%d/audits" % pid, {"csrf": c.csrf("/portals/%d" % pid)})
    m = re.fullmatch(r"/audits/(\d+)", r.headers.get("Location", "")) if r.status_code == 303 else None
    if not m:
        sys.exit("demo: starting the audit of Acme failed: %d" % r.status_code)
    audit = int(m.group(1))
    deadline = time.time() + 60
    while True:
        page = c.get("/audits/%d" % audit).text
        if "data-follow" not in page:
            break
        if time.time() > deadline:
            sys.exit("demo: the audit of Acme (/audits/%d) has not finished" % audit)
        time.sleep(0.5)
    state = (re.search(r'id="run-state">([^<]*)<', page) or re.match("(.*)", "no report page")).group(1)
    counts = {k: int(n) for k, n in re.findall(r'id="count-(high|medium|low|info)">(\d+)<', page)}
    if state != "Succeeded" or not counts:
        sys.exit("demo: the audit of Acme (/audits/%d) ended %s" % (audit, state))
    # a yellow portal offers no audit: the button is disabled, with the reason
    yellow = ids.get(YELLOW_AUDIT)
    if not yellow or yellow[1] != "needs_reconnection":
        sys.exit("demo: hub %d is not in Needs Reconnection: %s" % (YELLOW_AUDIT, yellow))
    if 'id="audit-disabled"' not in c.get("/portals/%d" % yellow[0]).text:
        sys.exit("demo: the page of the yellow portal %d offers Run audit" % yellow[0])
    print(json.dumps({"audit": "/audits/%d" % audit, "state": state, "findings": counts}))
    sys.exit(0)

if phase == "integrations":
    state = sys.argv[6]
    stack_sh = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stack.sh")
    with open(os.path.join(state, "run", "hook.port")) as f:
        port = int(f.read().strip())
    url = "http://127.0.0.1:%d/jetstack" % port
    DEMO_URL = re.compile(r"http://127\.0\.0\.1:\d+/jetstack")
    # an earlier run's demo endpoint points at a port and a secret gone with it
    for eid, old in re.findall(r'<tr id="endpoint-(\d+)"><td><a href="/integrations/\d+">([^<]*)</a>',
                               c.get("/integrations").text):
        if DEMO_URL.fullmatch(old):
            r = c.post("/integrations/%s/action" % eid,
                       {"csrf": c.csrf("/integrations/%s" % eid), "action": "delete"})
            if r.status_code != 303:
                sys.exit("demo: deleting the earlier demo endpoint %s failed: %d" % (eid, r.status_code))
    r = c.post("/integrations", {"csrf": c.csrf("/integrations"), "url": url,
                                 "kinds[]": ["portal.status_changed", "run.finished"]})
    secret = re.search(r'id="secret" value="(whsec_[A-Za-z0-9+/=]+)"', r.text) if r.status_code == 200 else None
    done = re.search(r'href="/integrations/(\d+)" id="secret-done"', r.text) if secret else None
    if not done:
        sys.exit("demo: adding the webhook endpoint %s failed: %d" % (url, r.status_code))
    eid = int(done.group(1))
    # the receiver checks signatures with the secret the product has just shown
    subprocess.run([stack_sh, "hook-start", state, secret.group(1)], check=True, stdout=subprocess.DEVNULL)
    # an event after the endpoint was added: Acme imported once more (the
    # running worker takes it; its end is a run.finished event)
    ids = portals()
    if ids.get(SOURCE, (0, ""))[1] != "connected":
        sys.exit("demo: Acme is not Connected: %s" % (ids.get(SOURCE),))
    pid = ids[SOURCE][0]
    r = c.post("/portals/%d/imports" % pid, {"csrf": c.csrf("/portals/%d" % pid)})
    if r.status_code != 303:
        sys.exit("demo: importing Acme failed: %d" % r.status_code)
    deadline = time.time() + 90
    while True:
        page = c.get("/integrations/%d" % eid).text
        answers = re.findall(r'<tr id="attempt-\d+">.*?class="indicator (green|red)">([^<]*)<', page)
        if ("green", "200") in answers:
            break
        if time.time() > deadline:
            sys.exit("demo: no delivery to %s succeeded (/integrations/%d): %s" % (url, eid, answers))
        time.sleep(0.5)
    # one open reconnect link on the yellow Config Only portal's page (an
    # earlier run's, still open, is kept)
    YELLOW_LINK = 20001002
    yellow = ids.get(YELLOW_LINK)
    if not yellow or yellow[1] != "needs_reconnection":
        sys.exit("demo: hub %d is not in Needs Reconnection: %s" % (YELLOW_LINK, yellow))
    page = c.get("/portals/%d" % yellow[0]).text
    links = re.findall(r'<tr id="link-(\d+)">', page.split('id="links"', 1)[1].split("</table>", 1)[0])
    if not links:
        r = c.post("/portals/%d/links" % yellow[0], {"csrf": csrf_of(page), "email": ""})
        if r.status_code != 200 or 'id="link-url"' not in r.text:
            sys.exit("demo: creating a reconnect link for portal %d failed: %d" % (yellow[0], r.status_code))
        links = re.findall(r'<tr id="link-(\d+)">', c.get("/portals/%d" % yellow[0]).text)
    print(json.dumps({"endpoint": "/integrations/%d" % eid, "url": url, "attempts": len(answers),
                      "link_portal": "/portals/%d" % yellow[0], "open_links": len(links)}))
    sys.exit(0)

# --- team (issue 17) ---
if phase == "team":
    INVITED = "new.colleague@demo.example"
    page = c.get("/team").text
    pending = re.findall(r'<tr id="invite-(\d+)"><td>([^<]*)</td>', page)
    if not any(addr == INVITED for _, addr in pending):
        r = c.post("/team/invitations", {"csrf": csrf_of(page), "email": INVITED, "role": "member"})
        if r.status_code not in (200, 303):
            sys.exit("demo: inviting %s failed: %d" % (INVITED, r.status_code))
        pending = re.findall(r'<tr id="invite-(\d+)"><td>([^<]*)</td>', c.get("/team").text)
    members = re.findall(r'<tr id="member-\d+" data-role="([a-z]+)">', c.get("/team").text)
    print(json.dumps({"members": members, "pending_invitations": len(pending)}))
    sys.exit(0)
# --- end team ---

if phase == "imports":
    # after the worker's pass: import two Connected portals' configuration
    # into the asset library, and try the yellow one (fails at once, no
    # HubSpot call)
    ids = {hub: pid for hub, (pid, _) in portals().items() if hub in IMPORTED}
    for hub in IMPORTED:
        if hub in ids:
            c.post("/portals/%d/imports" % ids[hub], {"csrf": c.csrf("/portals/%d" % ids[hub])})
    print(json.dumps({"imports": len(ids)}))
    sys.exit(0)
for hub, t in zip(hubs, types):
    r = c.connect(hub, t)
    if r.status_code != 303:
        sys.exit("demo: connecting hub %d failed: %d" % (hub, r.status_code))
# HubSpot's side changes: HubSpot stops accepting the refresh tokens of two
# portals (-> Needs Reconnection at their next refresh) and the app is
# uninstalled from one (-> Disconnected at its next health check).  run.sh
# makes those checks due and runs one worker pass.
for hub in (20001002, 20001004):
    requests.post(sim + "/_sim/portals/%d/invalidate_refresh_tokens" % hub, json={}, timeout=10)
requests.post(sim + "/_sim/portals/20001005/uninstall", json={}, timeout=10)
print(json.dumps({"connected": len(hubs)}))
