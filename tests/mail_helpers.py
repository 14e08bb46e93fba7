"""Mail in the tests: a real SMTP server (Debian's aiosmtpd,
tests/smtp_server.py) on 127.0.0.1 writing what it receives to a folder,
the worker's mail settings for it, an organisation with every role, and a
portal turned yellow.  Shared by integration/test_mail.py and
e2e/test_mail_browser.py."""
import email
import email.policy
import glob
import json
import os
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "smtp_server.py")


from conftest import free_port  # noqa: E402,F401  (ports outside the outgoing range)

class Smtp:
    """A real SMTP server on 127.0.0.1 writing what it receives to a folder."""

    def __init__(self, tmp, *flags, port=None):
        self.port = port or free_port()
        self.maildir = os.path.join(tmp, "mail-%d" % self.port)
        os.makedirs(self.maildir, exist_ok=True)
        self.flags = flags
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(["/usr/bin/python3", SERVER, "--port", str(self.port), "--maildir",
                                      self.maildir] + list(self.flags),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert "listening" in line, (line, self.proc.stderr.read() if self.proc.poll() is not None else "")
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def messages(self, rcpt=None):
        out = []
        for path in sorted(glob.glob(os.path.join(self.maildir, "*.eml"))):
            with open(path, "rb") as f:
                msg = email.message_from_bytes(f.read(), policy=email.policy.default)
            with open(path[:-4] + ".json") as f:
                env = json.load(f)
            if rcpt is None or rcpt in env["rcpt_tos"]:
                out.append((msg, env))
        return out

@pytest.fixture
def smtp(tmp_path):
    servers = []

    def make(*flags, port=None):
        s = Smtp(str(tmp_path), *flags, port=port)
        servers.append(s)
        return s
    yield make
    for s in servers:
        s.stop()

def mail_env(server, **extra):
    env = {"JETSTACK_SMTP_URL": "smtp://127.0.0.1:%d" % server.port,
           "JETSTACK_SMTP_FROM": "alerts@jetstack.test",
           "JETSTACK_SMTP_STARTTLS": "off",
           "JETSTACK_MAIL_DIGEST_WINDOW_SECONDS": "0",
           "JETSTACK_MAIL_REMINDER_SECONDS": "86400",
           "JETSTACK_MAIL_RETRY_SECONDS": "1",
           "JETSTACK_WORKER_CONCURRENCY": "2"}
    env.update(extra)
    return env

def team(stack):
    """An organisation with an owner, an admin, a member, a viewer and an
    admin who chose no mail; nobody else's digest is sent by these tests."""
    owner = stack.client()
    org = owner.org
    people = {"owner": owner}
    for role in ("admin", "member", "viewer"):
        people[role] = stack.client(org=org, role=role)
    people["quiet"] = stack.client(org=org, role="admin")
    q = people["quiet"]
    r = q.post("/settings/notifications", {"csrf": q.csrf("/settings/notifications"), "notify": "off",
                                           "time_zone": ""})
    assert r.status_code == 303
    oid = stack.org_id(org)
    stack.sql("UPDATE memberships SET notify = 'off' WHERE org_id <> %s", (oid,))
    return people

def yellow(stack, pid, reason="HubSpot no longer accepts this portal's sign-in: reconnect it. (HubSpot: BAD_REFRESH_TOKEN)"):
    stack.sql("UPDATE portals SET status = 'needs_reconnection', status_reason_code = 'refresh_rejected', "
              "status_reason = %s, status_changed_at = now() WHERE id = %s", (reason, pid))

def parts(msg):
    text = msg.get_body(preferencelist=("plain",)).get_content()
    html = msg.get_body(preferencelist=("html",)).get_content()
    return text, html
