"""Tests of the webhook receiver itself (tests/webhook_receiver.py), driven
with urllib; signatures are computed here by hand (hmac, hashlib, base64),
not with the receiver's sign().

Run: /usr/bin/python3 -m pytest -p no:cacheprovider -q tests/unit_py/test_webhook_receiver.py
Each test starts the receiver as a subprocess on a free port (--port 0) and
stops it by PID (SIGTERM).
"""

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import webhook_receiver  # noqa: E402

KEY1 = bytes(range(32))
KEY2 = b"second-secret-for-the-rotation!!"
SECRET1 = "whsec_" + base64.b64encode(KEY1).decode()
SECRET2 = "whsec_" + base64.b64encode(KEY2).decode()
BODY = b'{"type":"portal.status_changed","timestamp":"2025-01-02T03:04:05Z","data":{"id":7}}'


def hand_sig(key, msg_id, ts, body):
    content = msg_id.encode() + b"." + str(ts).encode() + b"." + body
    return "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


@pytest.fixture
def receiver(tmp_path):
    """receiver(*args) starts one; every one started is stopped afterwards."""
    started = []

    def start(*args):
        proc, port = webhook_receiver.start(*args)
        started.append(proc)
        return port

    yield start
    for proc in started:
        assert webhook_receiver.stop(proc) == 0


def request(port, path, body=None, headers=None, method=None):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=body,
                                 headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def post_webhook(port, sig, ts=None, msg_id="msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", body=BODY,
                 path="/hook"):
    ts = int(time.time()) if ts is None else ts
    h = {"Content-Type": "application/json", "webhook-id": msg_id,
         "webhook-timestamp": str(ts), "webhook-signature": sig}
    return request(port, path, body, h)


def log(port):
    status, data = request(port, "/_log")
    assert status == 200
    return json.loads(data)


def test_hand_signature_verified(receiver, tmp_path):
    logfile = tmp_path / "hooks.jsonl"
    port = receiver("--secret", SECRET1, "--log", logfile)
    ts = int(time.time())
    status, data = post_webhook(port, hand_sig(KEY1, "msg_1", ts, BODY), ts, "msg_1")
    assert (status, data) == (200, b"ok")
    [rec] = log(port)
    assert rec["verified"] is True and rec["reason"] == "ok"
    assert rec["path"] == "/hook" and rec["status"] == 200
    assert rec["body"] == BODY.decode() and rec["body_bytes"] == len(BODY)
    assert rec["headers"]["webhook-id"] == "msg_1"
    assert rec["headers"]["webhook-timestamp"] == str(ts)
    assert rec["headers"]["content-type"] == "application/json"
    lines = logfile.read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0]) == rec
    # The receiver's own sign() agrees with the hand computation.
    assert webhook_receiver.sign(SECRET1, "msg_1", ts, BODY) == hand_sig(KEY1, "msg_1", ts, BODY)


def test_not_verified(receiver):
    port = receiver("--secret", SECRET1)
    ts = int(time.time())
    post_webhook(port, hand_sig(KEY2, "msg_1", ts, BODY), ts, "msg_1")  # another key
    post_webhook(port, hand_sig(KEY1, "msg_1", ts, BODY), ts, "msg_2")  # another id
    post_webhook(port, hand_sig(KEY1, "msg_1", ts, BODY), ts, "msg_1",
                 body=BODY + b" ")  # another body
    post_webhook(port, "v1a," + hand_sig(KEY1, "msg_1", ts, BODY)[3:], ts, "msg_1")  # not v1
    post_webhook(port, "v1,not base64!", ts, "msg_1")
    status, _ = request(port, "/hook", BODY, {"Content-Type": "application/json"})
    assert status == 200  # answered all the same: it is only recorded
    recs = log(port)
    assert len(recs) == 6
    assert all(r["verified"] is False for r in recs)
    assert recs[0]["reason"] == "no v1 signature matches a configured secret"
    assert recs[5]["reason"].startswith("missing")


def test_rotation(receiver):
    # Two signatures in the header, one matching the one secret configured.
    port = receiver("--secret", SECRET1)
    ts = int(time.time())
    both = hand_sig(KEY2, "msg_r", ts, BODY) + " " + hand_sig(KEY1, "msg_r", ts, BODY)
    post_webhook(port, both, ts, "msg_r")
    # Two secrets configured, the signature made with the second.
    port2 = receiver("--secret", SECRET2, "--secret", SECRET1)
    post_webhook(port2, hand_sig(KEY1, "msg_s", ts, BODY), ts, "msg_s")
    post_webhook(port2, hand_sig(KEY2, "msg_s", ts, BODY), ts, "msg_s")
    assert [r["verified"] for r in log(port)] == [True]
    assert [r["verified"] for r in log(port2)] == [True, True]


def test_stale_timestamp(receiver):
    port = receiver("--secret", SECRET1)
    now = int(time.time())
    # 30 s either side of the 5-minute limit: the receiver reads its own
    # clock a moment later (a second boundary between the two made now + 301
    # look 300 s ahead, inside the limit, once)
    for ts in (now - 330, now + 330, now - 3600):
        post_webhook(port, hand_sig(KEY1, "msg_t", ts, BODY), ts, "msg_t")
    post_webhook(port, hand_sig(KEY1, "msg_t", now - 270, BODY), now - 270, "msg_t")
    post_webhook(port, hand_sig(KEY1, "msg_t", "12.5", BODY), "12.5", "msg_t")
    recs = log(port)
    assert [r["verified"] for r in recs] == [False, False, False, True, False]
    assert recs[0]["reason"] == "webhook-timestamp is more than 5 minutes away"
    assert recs[4]["reason"] == "webhook-timestamp is not integer seconds"


def test_status_and_fail_first(receiver):
    port = receiver("--secret", SECRET1, "--status", "503", "--fail-first", "2")
    sig = hand_sig(KEY1, "m", int(time.time()), BODY)
    codes = [post_webhook(port, sig, msg_id="m")[0] for _ in range(3)]
    assert codes == [500, 500, 503]
    assert [r["status"] for r in log(port)] == [500, 500, 503]


def test_config(receiver):
    port = receiver("--secret", SECRET1)
    sig = hand_sig(KEY1, "m", int(time.time()), BODY)
    assert post_webhook(port, sig, msg_id="m") == (200, b"ok")

    status, data = request(port, "/_config", json.dumps({"status": 410}).encode())
    assert status == 200
    assert json.loads(data) == {"status": 410, "sleep_ms": 0, "fail_first": 0, "body": None}
    assert post_webhook(port, sig, msg_id="m") == (410, b"error")

    request(port, "/_config", json.dumps({"status": 201, "fail_first": 1}).encode())
    assert post_webhook(port, sig, msg_id="m")[0] == 500
    assert post_webhook(port, sig, msg_id="m") == (201, b"ok")

    request(port, "/_config", json.dumps({"body": "x" * 3000}).encode())
    assert post_webhook(port, sig, msg_id="m") == (201, b"x" * 3000)
    request(port, "/_config", json.dumps({"body": None, "sleep_ms": 700}).encode())
    t0 = time.monotonic()
    assert post_webhook(port, sig, msg_id="m") == (201, b"ok")
    assert time.monotonic() - t0 >= 0.7

    for bad in (b"[]", b"{", b'{"status": 99}', b'{"sleep_ms": -1}', b'{"fail_first": "1"}',
                b'{"status": true}', b'{"body": 5}'):
        assert request(port, "/_config", bad)[0] == 400
    # The control endpoints are not recorded.
    assert [r["status"] for r in log(port)] == [200, 410, 500, 201, 201, 201]
    assert request(port, "/nothing")[0] == 404


def test_sleep_then_timeout(receiver):
    """A client that gives up before --sleep-ms: recorded all the same."""
    port = receiver("--secret", SECRET1, "--sleep-ms", "2000")
    h = {"webhook-id": "m", "webhook-timestamp": "1", "webhook-signature": "v1,x"}
    req = urllib.request.Request("http://127.0.0.1:%d/h" % port, data=b"{}", headers=h)
    with pytest.raises(OSError):
        urllib.request.urlopen(req, timeout=0.3)
    assert len(log(port)) == 1


def test_bad_arguments():
    for args in (["--secret", "nope"], ["--secret", "whsec_%%%"], ["--secret", "whsec_"],
                 ["--secret", SECRET1, "--status", "42"],
                 ["--secret", SECRET1, "--secret", SECRET2, "--secret", SECRET1]):
        r = subprocess.run([webhook_receiver.PYTHON, webhook_receiver.SCRIPT, "--port", "0",
                            *args], capture_output=True, text=True, timeout=30)
        assert r.returncode == 2, args
        assert "listening" not in r.stdout


def test_pidfile(tmp_path):
    pidfile = tmp_path / "r.pid"
    proc, port = webhook_receiver.start("--secret", SECRET1, "--pidfile", pidfile)
    assert int(pidfile.read_text()) == proc.pid
    assert webhook_receiver.stop(proc) == 0
    assert not pidfile.exists()
