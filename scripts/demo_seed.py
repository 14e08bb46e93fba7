#!/usr/bin/python3
"""Demo data for `make run` in simulator mode: connects the simulator's demo
portals through the product's real OAuth flow (as the demo owner, choosing
each portal on the simulator's HubSpot screen and clicking Connect app),
then has HubSpot reject the refresh tokens of two portals and uninstalls the app from one,
so that the worker's next pass shows all three statuses."""
import json
import sys
import os

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
import requests  # noqa: E402
from jsclient import Client  # noqa: E402

base, sim, email, password = sys.argv[1:5]
phase = sys.argv[5] if len(sys.argv) > 5 else "connect"
c = Client(base)
c.login(email, password)
if phase == "imports":
    # after the worker's pass: import two Connected portals' configuration
    # into the asset library, and try the yellow one (fails at once, no
    # HubSpot call)
    ids = {}
    for row in c.get("/portals?sort=name").text.split('<tr id="portal-')[1:]:
        pid = int(row.split('"', 1)[0])
        for hub in (20001001, 20001006, 20001002):
            if ">%d<" % hub in row:
                ids[hub] = pid
    for hub in (20001001, 20001006, 20001002):
        if hub in ids:
            c.post("/portals/%d/imports" % ids[hub], {"csrf": c.csrf("/portals/%d" % ids[hub])})
    print(json.dumps({"imports": len(ids)}))
    sys.exit(0)
types = ["config_audit", "config_only", "audit_only", "config_audit", "config_only", "config_audit"]
hubs = [20001001, 20001002, 20001003, 20001004, 20001005, 20001006]
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
