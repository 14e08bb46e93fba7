#!/usr/bin/python3
"""A webhook receiver for the tests and for `make run`: an agency's endpoint
that records what it was sent and checks its signature with its own code,
independent of the product's.

Serve:
  /usr/bin/python3 tests/webhook_receiver.py --port N|0 [--host 127.0.0.1]
      --secret whsec_... [--secret whsec_... (a second one, for rotation)]
      [--log FILE.jsonl] [--status CODE] [--sleep-ms N] [--fail-first N]
      [--body TEXT] [--pidfile F] [--verbose]

  --port 0 picks a free port; the one chosen is in the line printed once the
  socket listens:  "listening on 127.0.0.1:N".  SIGTERM or SIGINT stops it
  (exit status 0, the pidfile removed).

  Every POST (any path but /_config) is recorded as one JSON object, kept in
  memory and appended as one line to --log when given:
    {"time": unix seconds (float), "path", "headers": {lower-case name: value,
     every request header; webhook-id, webhook-timestamp, webhook-signature
     among them}, "body": the body as text (UTF-8, bad bytes replaced),
     "body_bytes": its length, "verified": true/false, "reason": why not
     ("ok" when verified), "status": the status answered}
  then, after --sleep-ms, answered with --status (default 200) and the body
  "ok" (--body TEXT instead, when given), or 500 and "error" for each of the
  first --fail-first requests.

  Control endpoints (never recorded):
    GET  /_log     the records so far, as a JSON array;
    POST /_config  a JSON object with any of "status", "sleep_ms",
                   "fail_first", "body" (null: "ok" / "error" again) changes
                   the behaviour from the next request; answers the whole
                   configuration as JSON.

Verification, after the Standard Webhooks specification 1.0.0
(https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md,
"Signature scheme", "Webhook headers", "Verifying signatures"):
  - the signed content is "{webhook-id}.{webhook-timestamp}.{body}", the
    body's raw bytes;
  - the symmetric signature is HMAC-SHA256 keyed with the base64-decoded
    part of the secret after "whsec_", base64-encoded, and sent as "v1,<sig>";
  - webhook-signature is a space-delimited list of such signatures (several
    during a secret rotation; other versions such as v1a are skipped); the
    webhook is verified when any v1 signature matches the signature under
    any configured secret (constant-time comparison);
  - webhook-timestamp is integer unix seconds and must be within 5 minutes
    of the receiver's clock, either way (replays).

Importable helpers for pytest: sign(), verify(), start(), stop().
"""

import argparse
import base64
import binascii
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
SCRIPT = os.path.abspath(__file__)
TOLERANCE_S = 5 * 60
BODY_MAX = 1024 * 1024
SIGNED_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


# --------------------------------------------------------------------------
# Standard Webhooks signatures
# --------------------------------------------------------------------------


def secret_key(secret):
    """The HMAC key of a "whsec_<base64>" secret; ValueError when it is not one."""
    if not isinstance(secret, str) or not secret.startswith("whsec_"):
        raise ValueError("a secret starts with whsec_")
    try:
        key = base64.b64decode(secret[len("whsec_"):], validate=True)
    except (binascii.Error, ValueError) as e:
        raise ValueError("the part after whsec_ is not base64") from e
    if not key:
        raise ValueError("the secret is empty")
    return key


def sign(secret, msg_id, timestamp, body):
    """The "v1,<base64>" signature of body (bytes) under secret."""
    content = ("%s.%s." % (msg_id, timestamp)).encode() + body
    mac = hmac.new(secret_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def verify(secrets, headers, body, now=None):
    """(verified, reason) for a webhook: headers a mapping with lower-case
    names, body bytes, secrets a list of "whsec_..." strings."""
    now = time.time() if now is None else now
    msg_id = headers.get("webhook-id")
    ts = headers.get("webhook-timestamp")
    sigs = headers.get("webhook-signature")
    if not msg_id or not ts or not sigs:
        return False, "missing webhook-id, webhook-timestamp or webhook-signature"
    if not ts.isascii() or not ts.isdigit():
        return False, "webhook-timestamp is not integer seconds"
    if abs(now - int(ts)) > TOLERANCE_S:
        return False, "webhook-timestamp is more than 5 minutes away"
    content = ("%s.%s." % (msg_id, ts)).encode() + body
    expected = [hmac.new(secret_key(s), content, hashlib.sha256).digest() for s in secrets]
    for item in sigs.split(" "):
        version, _, value = item.partition(",")
        if version != "v1" or not value:
            continue
        try:
            got = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            continue
        for e in expected:
            if hmac.compare_digest(got, e):
                return True, "ok"
    return False, "no v1 signature matches a configured secret"


# --------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------


class State:
    """What the handler threads share, under one lock."""

    def __init__(self, args):
        self.lock = threading.Lock()
        self.secrets = list(args.secret)
        self.status = args.status
        self.sleep_ms = args.sleep_ms
        self.fail_first = args.fail_first
        self.body = args.body
        self.records = []
        self.log_path = args.log
        if self.log_path:
            open(self.log_path, "a").close()

    def config(self):
        return {"status": self.status, "sleep_ms": self.sleep_ms,
                "fail_first": self.fail_first, "body": self.body}

    def record(self, rec):
        with self.lock:
            self.records.append(rec)
            if self.log_path:
                with open(self.log_path, "a", encoding="utf-8") as f:
                    f.write(json.dumps(rec, sort_keys=True) + "\n")


class Handler(BaseHTTPRequestHandler):
    server_version = "webhook-receiver"
    sys_version = ""

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("webhook_receiver: " + (fmt % args) + "\n")

    def _answer(self, status, body, ctype="text/plain; charset=utf-8"):
        data = body.encode() if isinstance(body, str) else body
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    def _read_body(self):
        try:
            n = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            n = -1
        if n < 0 or n > BODY_MAX:
            self._answer(413, "body too large or no Content-Length")
            return None
        return self.rfile.read(n)

    def do_GET(self):
        if self.path == "/_log":
            with self.server.state.lock:
                data = json.dumps(self.server.state.records)
            self._answer(200, data, "application/json")
        else:
            self._answer(404, "not found")

    def do_POST(self):
        st = self.server.state
        body = self._read_body()
        if body is None:
            return
        if self.path == "/_config":
            self._config(st, body)
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        ok, reason = verify(st.secrets, headers, body)
        with st.lock:
            if st.fail_first > 0:
                st.fail_first -= 1
                status, text = 500, "error"
            else:
                status = st.status
                text = "ok" if status < 400 else "error"
            if st.body is not None:
                text = st.body
            sleep_ms = st.sleep_ms
        st.record({"time": time.time(), "path": self.path, "headers": headers,
                   "body": body.decode("utf-8", errors="replace"), "body_bytes": len(body),
                   "verified": ok, "reason": reason, "status": status})
        if sleep_ms > 0:
            time.sleep(sleep_ms / 1000.0)
        self._answer(status, text)

    def _config(self, st, body):
        try:
            cfg = json.loads(body.decode("utf-8"))
            if not isinstance(cfg, dict):
                raise ValueError("not an object")
            new = {}
            for k in ("status", "sleep_ms", "fail_first"):
                if k in cfg:
                    v = cfg[k]
                    if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                        raise ValueError("%s is not a non-negative integer" % k)
                    if k == "status" and not 100 <= v <= 599:
                        raise ValueError("status is not 100..599")
                    new[k] = v
            if "body" in cfg:
                if cfg["body"] is not None and not isinstance(cfg["body"], str):
                    raise ValueError("body is not a string or null")
                new["body"] = cfg["body"]
        except (ValueError, UnicodeDecodeError) as e:
            self._answer(400, "bad config: %s" % e)
            return
        with st.lock:
            for k, v in new.items():
                setattr(st, k, v)
            data = json.dumps(st.config())
        self._answer(200, data, "application/json")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(args):
    state = State(args)
    srv = Server((args.host, args.port), Handler)
    srv.state = state
    srv.verbose = args.verbose
    host, port = srv.server_address[:2]
    if args.pidfile:
        with open(args.pidfile, "w") as f:
            f.write("%d\n" % os.getpid())

    def stop(signum, frame):
        # shutdown() waits for serve_forever(): run it off the main thread.
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("listening on %s:%d" % (host, port), flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    finally:
        srv.server_close()
        if args.pidfile:
            try:
                os.unlink(args.pidfile)
            except OSError:
                pass
    return 0


def parse_args(argv):
    p = argparse.ArgumentParser(description="Standard Webhooks receiver for tests.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--secret", action="append", required=True,
                   help="whsec_<base64>; give it twice for a rotation")
    p.add_argument("--log", help="append every webhook as a JSON line to this file")
    p.add_argument("--status", type=int, default=200)
    p.add_argument("--sleep-ms", type=int, default=0)
    p.add_argument("--fail-first", type=int, default=0)
    p.add_argument("--body", default=None, help="answer this body instead of ok/error")
    p.add_argument("--pidfile")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args(argv)
    if len(args.secret) > 2:
        p.error("at most two --secret (the current one and the one being rotated out)")
    for s in args.secret:
        try:
            secret_key(s)
        except ValueError as e:
            p.error("--secret: %s" % e)
    if not 100 <= args.status <= 599:
        p.error("--status must be 100..599")
    if args.sleep_ms < 0 or args.fail_first < 0:
        p.error("--sleep-ms and --fail-first must be >= 0")
    return args


# --------------------------------------------------------------------------
# Helpers for pytest
# --------------------------------------------------------------------------


def start(*args, timeout=30):
    """Start the receiver (--port 0) with args; (process, port)."""
    proc = subprocess.Popen([PYTHON, SCRIPT, "--port", "0", *map(str, args)],
                            stdout=subprocess.PIPE, text=True)
    deadline = time.time() + timeout
    line = ""
    while time.time() < deadline:
        line = proc.stdout.readline()
        if line or proc.poll() is not None:
            break
    if not line.startswith("listening on "):
        proc.kill()
        proc.wait()
        raise RuntimeError("webhook_receiver did not start: %r" % line)
    return proc, int(line.rsplit(":", 1)[1])


def stop(proc, timeout=10):
    """SIGTERM the receiver and wait; its exit status."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = proc.wait()
    if proc.stdout:
        proc.stdout.close()
    return rc


if __name__ == "__main__":
    sys.exit(serve(parse_args(sys.argv[1:])))
