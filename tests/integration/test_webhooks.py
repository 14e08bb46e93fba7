"""Webhooks: an owner adds an endpoint and is shown its signing secret
once; each event the endpoint asked for becomes a delivery, signed the
Standard Webhooks way -- the receiver here (tests/webhook_receiver.py)
checks the signature with its own HMAC code, not the product's -- with the
same webhook-id across retries, retried with backoff until the horizon,
then given up and the endpoint disabled with its organisation's admins
mailed; rotation sends two signatures; Resend; and private addresses and
plain http are refused unless the operator allows them."""
import json
import os
import re
import socket
import subprocess
import time

import pytest
import requests

from conftest import wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
RECEIVER = os.path.join(HERE, "..", "webhook_receiver.py")
ENV = {"JETSTACK_WEBHOOK_RETRY_SECONDS": "1", "JETSTACK_WEBHOOK_HORIZON_SECONDS": "4",
       "JETSTACK_WEBHOOK_TIMEOUT_MS": "1500", "JETSTACK_WORKER_CONCURRENCY": "2"}
LONG = dict(ENV, JETSTACK_WEBHOOK_HORIZON_SECONDS="8")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Receiver:
    def __init__(self, port, secrets, *flags):
        self.port = port
        self.proc = subprocess.Popen(["/usr/bin/python3", RECEIVER, "--port", str(port)] +
                                     sum((["--secret", s] for s in secrets), []) + list(flags),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert "listening" in line, line

    def log(self):
        return requests.get("http://127.0.0.1:%d/_log" % self.port, timeout=5).json()

    def config(self, **kw):
        requests.post("http://127.0.0.1:%d/_config" % self.port, json=kw, timeout=5)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


@pytest.fixture
def receivers():
    made = []

    def make(port, secrets, *flags):
        r = Receiver(port, secrets, *flags)
        made.append(r)
        return r
    yield make
    for r in made:
        r.stop()


def add_endpoint(c, url, kinds=("portal.status_changed", "run.finished"), expect=200):
    r = c.post("/integrations", {"csrf": c.csrf("/integrations"), "url": url, "kinds[]": list(kinds)})
    assert r.status_code == expect, (r.status_code, r.text[-1500:])
    if expect != 200:
        return r
    secret = re.search(r'id="secret" value="(whsec_[A-Za-z0-9+/=]+)"', r.text).group(1)
    eid = int(re.search(r'href="/integrations/(\d+)" id="secret-done"', r.text).group(1))
    return eid, secret


def yellow(stack, pid):
    stack.sql("UPDATE portals SET status = 'needs_reconnection', status_reason_code = 'refresh_rejected', "
              "status_reason = 'HubSpot no longer accepts this portal''s sign-in. (HubSpot: BAD_REFRESH_TOKEN)', "
              "status_changed_at = now() WHERE id = %s", (pid,))


def deliveries(stack, eid):
    return stack.sql("SELECT id, state, attempts, msg_id, kind FROM webhook_deliveries WHERE endpoint_id = %s "
                     "ORDER BY id", (eid,))


def test_signed_deliveries_of_status_changes_and_run_ends(stack, receivers):
    c = stack.client()
    hub, pid, _ = stack.connect_portal(c, "config_only")
    port = free_port()
    eid, secret = add_endpoint(c, "http://127.0.0.1:%d/hooks" % port)
    # shown once: the endpoint's page never shows it again
    assert secret not in c.get("/integrations/%d" % eid).text and secret not in c.get("/integrations").text
    rec = receivers(port, [secret])
    yellow(stack, pid)
    # an import refused at once is a run that ended
    assert c.post("/portals/%d/imports" % pid, {"csrf": c.csrf("/portals/%d" % pid)}).status_code == 303
    stack.worker_once(env=ENV)
    got = rec.log()
    assert len(got) == 2, got
    assert all(g["verified"] for g in got), got
    bodies = [json.loads(g["body"]) for g in got]
    assert [b["type"] for b in bodies] == ["portal.status_changed", "run.finished"]
    st = bodies[0]["data"]
    assert st["status"] == "needs_reconnection" and st["previous_status"] == "connected"
    assert st["reason"]["code"] == "refresh_rejected" and "BAD_REFRESH_TOKEN" not in st["reason"]["text"]
    assert st["portal"]["id"] == pid and st["portal"]["hub_id"] == hub
    assert bodies[1]["data"]["sequence"] == st["sequence"] + 1  # ordered per portal
    assert bodies[1]["data"]["run"]["kind"] == "import" and bodies[1]["data"]["run"]["state"] == "failed"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", bodies[0]["timestamp"])
    assert got[0]["headers"]["webhook-id"] != got[1]["headers"]["webhook-id"]
    assert [d[1] for d in deliveries(stack, eid)] == ["delivered", "delivered"]
    page = c.get("/integrations/%d" % eid).text
    assert page.count('class="indicator green">200<') == 2
    # only the kinds asked for
    port2 = free_port()
    eid2, secret2 = add_endpoint(c, "http://127.0.0.1:%d/runs-only" % port2, kinds=("run.finished",))
    rec2 = receivers(port2, [secret2])
    stack.sql("UPDATE portals SET status = 'connected' WHERE id = %s", (pid,))
    stack.worker_once(env=ENV)
    assert rec2.log() == [] and [d[4] for d in deliveries(stack, eid2)] == []


def test_retries_keep_the_webhook_id_then_give_up_disable_and_mail(stack, receivers):
    c = stack.client()
    hub, pid, _ = stack.connect_portal(c, "config_only")
    port = free_port()
    eid, secret = add_endpoint(c, "http://127.0.0.1:%d/down" % port, kinds=("portal.status_changed",))
    rec = receivers(port, [secret], "--status", "500")
    yellow(stack, pid)
    t0 = time.time()
    stack.worker_once(env=LONG)
    (did, state, attempts, msg_id, _), = deliveries(stack, eid)
    assert state == "pending" and attempts == 1
    rec.config(sleep_ms=3000)  # a timeout now (1.5 s)
    time.sleep(1.1)
    stack.worker_once(env=LONG)
    time.sleep(2.1)
    stack.worker_once(env=LONG)
    assert time.time() - t0 < 8, "too slow for the 8 s horizon"
    log = rec.log()
    assert len(log) >= 2 and {g["headers"]["webhook-id"] for g in log} == {msg_id}
    assert all(g["verified"] for g in log)
    page = c.get("/integrations/%d" % eid).text
    assert "no answer" in page and "500" in page
    # past the horizon: given up, the endpoint disabled, its admins mailed
    time.sleep(max(0.0, 8.3 - (time.time() - t0)))
    stack.sql("UPDATE webhook_deliveries SET next_attempt_at = now() WHERE id = %s", (did,))
    stack.worker_once(env=dict(LONG, JETSTACK_SMTP_URL="smtp://127.0.0.1:9", JETSTACK_SMTP_FROM="a@b.test",
                               JETSTACK_SMTP_STARTTLS="off"))
    assert deliveries(stack, eid)[0][1] == "failed"
    disabled, reason = stack.sql("SELECT disabled_at IS NOT NULL, disabled_reason FROM webhook_endpoints "
                                 "WHERE id = %s", (eid,))[0]
    assert disabled and "horizon" in reason
    mails = stack.sql("SELECT rcpt, message FROM mail_outbox WHERE org_id = %s", (stack.org_id(c.org),))
    assert [m[0] for m in mails] == [c.email]
    assert "webhook endpoint was disabled" in mails[0][1]
    assert 'id="endpoint-disabled"' in c.get("/integrations/%d" % eid).text
    # the organisation's activity log says so, by the worker (issue 17)
    assert stack.sql("SELECT portal_id, user_id FROM activity WHERE org_id = %s AND kind = 'webhook_disabled'",
                     (stack.org_id(c.org),)) == [(None, None)]
    # Resend, after enabling: the same webhook-id, now delivered
    rec.config(status=200, sleep_ms=0)
    r = c.post("/integrations/%d/action" % eid, {"csrf": c.csrf("/integrations/%d" % eid), "action": "enable"})
    assert r.status_code == 303
    r = c.post("/integrations/%d/resend" % eid, {"csrf": c.csrf("/integrations/%d" % eid), "delivery": str(did)})
    assert r.status_code == 303
    stack.worker_once(env=LONG)
    assert deliveries(stack, eid)[0][1] == "delivered"
    assert rec.log()[-1]["headers"]["webhook-id"] == msg_id


def test_rotation_signs_with_both_secrets(stack, receivers):
    c = stack.client()
    hub, pid, _ = stack.connect_portal(c, "config_only")
    port = free_port()
    eid, old = add_endpoint(c, "http://127.0.0.1:%d/rot" % port)
    r = c.post("/integrations/%d/action" % eid, {"csrf": c.csrf("/integrations/%d" % eid), "action": "rotate"})
    assert r.status_code == 200 and "two signatures" in r.text
    new = re.search(r'id="secret" value="(whsec_[A-Za-z0-9+/=]+)"', r.text).group(1)
    assert new != old
    only_old = receivers(port, [old])
    yellow(stack, pid)
    stack.worker_once(env=ENV)
    (g,) = only_old.log()
    sigs = g["headers"]["webhook-signature"].split(" ")
    assert len(sigs) == 2 and all(s.startswith("v1,") for s in sigs)
    assert g["verified"]  # the old secret still verifies during the grace period
    only_old.stop()
    only_new = receivers(port, [new])
    stack.sql("UPDATE portals SET status = 'connected' WHERE id = %s", (pid,))
    stack.worker_once(env=ENV)
    assert only_new.log()[0]["verified"]


def test_private_addresses_and_plain_http_are_refused_by_default(stack, receivers):
    c = stack.client()
    hub, pid, _ = stack.connect_portal(c, "config_only")
    port = free_port()
    eid, secret = add_endpoint(c, "http://127.0.0.1:%d/x" % port)
    rec = receivers(port, [secret])
    yellow(stack, pid)
    strict = dict(ENV, JETSTACK_WEBHOOK_ALLOW_HTTP="no", JETSTACK_WEBHOOK_ALLOW_PRIVATE="no")
    stack.worker_once(env=strict)
    assert rec.log() == []  # nothing was sent
    (state, err), = stack.sql("SELECT state, last_error FROM webhook_deliveries WHERE endpoint_id = %s", (eid,))
    assert state == "pending" and ("http" in err.lower() or "address" in err.lower()), err
    # https to a loopback address is refused too (no connection is made)
    stack.sql("UPDATE webhook_endpoints SET url = 'https://127.0.0.1:%d/x' WHERE id = %%s" % port, (eid,))
    stack.sql("UPDATE webhook_deliveries SET next_attempt_at = now() WHERE endpoint_id = %s", (eid,))
    stack.worker_once(env=strict)
    (state, err), = stack.sql("SELECT state, last_error FROM webhook_deliveries WHERE endpoint_id = %s", (eid,))
    assert "address" in err.lower() or "private" in err.lower() or "loopback" in err.lower(), err
    assert rec.log() == []


def test_only_owners_and_admins_and_the_cap(stack):
    c = stack.client()
    member = stack.client(org=c.org, role="member")
    assert member.get("/integrations").status_code == 403
    assert 'id="nav-integrations"' not in member.get("/portals").text
    r = add_endpoint(c, "ftp://example.com/x", expect=400)
    assert 'id="integration-error"' in r.text
    r = add_endpoint(c, "https://user:pw@example.com/x", expect=400)
    assert stack.sql("SELECT count(*) FROM webhook_endpoints WHERE org_id = %s", (stack.org_id(c.org),)) == [(0,)]
    stack.sql("UPDATE organisations SET webhook_endpoints_max = 1 WHERE id = %s", (stack.org_id(c.org),))
    add_endpoint(c, "https://hooks.example.com/a")
    r = add_endpoint(c, "https://hooks.example.com/b", expect=400)
    assert "limit" in r.text
    other = stack.client()
    (eid,), = stack.sql("SELECT id FROM webhook_endpoints WHERE org_id = %s", (stack.org_id(c.org),))
    assert other.get("/integrations/%d" % eid).status_code == 404
    kinds = [k for (k,) in stack.sql("SELECT kind FROM activity WHERE org_id = %s AND portal_id IS NULL",
                                     (stack.org_id(c.org),))]
    assert kinds == ["webhook_added"]
