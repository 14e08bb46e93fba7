"""Telling people: every status change is an event (written by the same
transaction as the change), and the worker mails a digest per recipient --
owners and admins unless they chose off -- through a real SMTP server
(Debian's aiosmtpd, tests/smtp_server.py), with STARTTLS required, retried
until delivered, never in clear when the server offers no STARTTLS; and
the Needs attention page lists what to reconnect.  Windows and intervals are
seconds here (operator settings)."""
import os
import re
import subprocess
import time

import pytest

from mail_helpers import SERVER, mail_env, parts, smtp, team, yellow  # noqa: F401 (smtp: a fixture)


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("ca"))
    subprocess.run(["/usr/bin/python3", SERVER, "make-ca", d], check=True, capture_output=True)
    return d


def test_a_yellow_portal_mails_one_digest_to_each_owner_and_admin(stack, smtp):
    people = team(stack)
    c = people["owner"]
    hub, pid, _ = stack.connect_portal(c, "config_only")
    stack.sql("UPDATE portals SET name = 'Acme & Sons' WHERE id = %s", (pid,))
    server = smtp().start()
    stack.make_yellow(hub, pid)  # the real way: the worker sees BAD_REFRESH_TOKEN
    # the change is an event, in order
    ev = stack.sql("SELECT seq, kind, status_from, status_to, reason_code FROM events WHERE portal_id = %s "
                   "ORDER BY seq", (pid,))
    assert ev[-1][1:] == ("status_changed", "connected", "needs_reconnection", "refresh_rejected"), ev
    stack.worker_once(env=mail_env(server))
    got = {p: server.messages(people[p].email) for p in people}
    assert len(got["owner"]) == 1 and len(got["admin"]) == 1, {p: len(v) for p, v in got.items()}
    assert got["member"] == [] and got["viewer"] == [] and got["quiet"] == []
    msg, env = got["owner"][0]
    assert env["mail_from"] == "alerts@jetstack.test"
    assert msg["Subject"] == "[JetStack AI] 1 portal needs attention"
    assert msg["Message-ID"] and msg["Date"] and msg.get_content_type() == "multipart/alternative"
    assert msg["List-Unsubscribe"] == "<%s/settings/notifications>" % stack.base
    text, html = parts(msg)
    assert "Acme & Sons" in text and "Needs Reconnection" in text
    assert "BAD_REFRESH_TOKEN" not in text and "BAD_REFRESH_TOKEN" not in html  # never the raw code
    assert "%s/portals/%d" % (stack.base, pid) in text and 'href="%s/portals/%d"' % (stack.base, pid) in html
    assert "Acme &amp; Sons" in html
    # one mention per change: another pass sends nothing more
    stack.worker_once(env=mail_env(server))
    assert len(server.messages(c.email)) == 1


def test_changes_within_the_window_make_one_message_then_recovery_and_reminder(stack, smtp):
    people = team(stack)
    c = people["owner"]
    pids = [stack.connect_portal(c, "config_only")[1] for _ in range(3)]
    server = smtp().start()
    for pid in pids:
        yellow(stack, pid)
    env = mail_env(server, JETSTACK_MAIL_DIGEST_WINDOW_SECONDS="3")
    stack.worker_once(env=env)
    assert server.messages(c.email) == []  # the window is still open
    time.sleep(3.2)
    stack.worker_once(env=env)
    msgs = server.messages(c.email)
    assert len(msgs) == 1, len(msgs)
    text, _ = parts(msgs[0][0])
    assert text.count("Needs Reconnection") == 3
    assert msgs[0][0]["Subject"] == "[JetStack AI] 3 portals need attention"

    # one recovers (a reconnect): listed as recovered
    stack.sql("UPDATE portals SET status = 'connected', status_reason = '', status_reason_code = '', "
              "status_changed_at = now() WHERE id = %s", (pids[0],))
    stack.worker_once(env=mail_env(server))
    msgs = server.messages(c.email)
    assert len(msgs) == 2 and msgs[1][0]["Subject"] == "[JetStack AI] 1 recovered"
    assert "Connected again" in parts(msgs[1][0])[0]

    # the two still yellow are reminded after the reminder interval
    stack.sql("UPDATE portals SET status_changed_at = now() - interval '10 seconds' WHERE id = ANY(%s)",
              (pids[1:],))
    stack.sql("UPDATE mail_mentions SET mentioned_at = now() - interval '10 seconds' WHERE portal_id = ANY(%s)",
              (pids[1:],))
    stack.worker_once(env=mail_env(server, JETSTACK_MAIL_REMINDER_SECONDS="5"))
    msgs = server.messages(c.email)
    assert len(msgs) == 3 and msgs[2][0]["Subject"] == "[JetStack AI] 2 still not connected", msgs[2][0]["Subject"]
    assert parts(msgs[2][0])[0].count("(still)") == 2


def test_smtp_down_is_retried_then_delivered_and_nothing_is_lost(stack, smtp):
    people = team(stack)
    c = people["owner"]
    hub, pid, _ = stack.connect_portal(c, "config_only")
    server = smtp()  # not started: the server is down
    yellow(stack, pid)
    stack.worker_once(env=mail_env(server))
    row = stack.sql("SELECT state, attempts, last_error FROM mail_outbox WHERE user_id = "
                    "(SELECT id FROM users WHERE email = %s)", (c.email,))
    assert len(row) == 1 and row[0][0] == "queued" and row[0][1] == 1 and row[0][2], row
    page = c.get("/settings/notifications").text
    assert 'id="mail-problem"' in page and "will be tried again" in page
    server.start()
    time.sleep(1.2)
    stack.worker_once(env=mail_env(server))
    assert len(server.messages(c.email)) == 1
    assert stack.sql("SELECT state FROM mail_outbox WHERE user_id = (SELECT id FROM users WHERE email = %s)",
                     (c.email,)) == [("sent",)]
    assert 'id="mail-problem"' not in c.get("/settings/notifications").text


def test_starttls_is_required_and_never_skipped(stack, smtp, ca):
    people = team(stack)
    c = people["owner"]
    hub, pid, _ = stack.connect_portal(c, "config_only")
    cert = ["--tls-cert", os.path.join(ca, "server.pem"), "--tls-key", os.path.join(ca, "server.key")]
    plain = smtp("--no-starttls").start()
    yellow(stack, pid)
    env = mail_env(plain, JETSTACK_SMTP_STARTTLS="required", JETSTACK_SMTP_CA_FILE=os.path.join(ca, "ca.pem"))
    stack.worker_once(env=env)
    assert plain.messages() == []  # not sent in clear
    (state, err), = stack.sql("SELECT state, last_error FROM mail_outbox WHERE user_id = "
                              "(SELECT id FROM users WHERE email = %s)", (c.email,))
    assert state == "queued" and "STARTTLS" in err.upper(), err
    plain.stop()
    tls = smtp(*cert, "--require-starttls", port=plain.port).start()
    time.sleep(1.2)
    stack.worker_once(env=env)
    (msg, envl), = tls.messages(c.email)
    assert envl["tls"] is True


def test_a_permanent_refusal_is_kept_and_shown(stack, smtp):
    people = team(stack)
    c = people["owner"]
    hub, pid, _ = stack.connect_portal(c, "config_only")
    server = smtp("--fail-rcpt", "550").start()
    yellow(stack, pid)
    stack.worker_once(env=mail_env(server))
    (state, err), = stack.sql("SELECT state, last_error FROM mail_outbox WHERE user_id = "
                              "(SELECT id FROM users WHERE email = %s)", (c.email,))
    assert state == "failed" and "550" in err, err
    page = c.get("/settings/notifications").text
    assert "refused a message for good" in page


def test_a_portal_name_cannot_inject_a_header_or_markup(stack, smtp):
    people = team(stack)
    c = people["owner"]
    hub, pid, _ = stack.connect_portal(c, "config_only")
    stack.sql("UPDATE portals SET name = %s WHERE id = %s",
              ("Evil\r\nBcc: thief@evil.test\r\n<script>alert(1)</script>", pid))
    server = smtp().start()
    yellow(stack, pid)
    stack.worker_once(env=mail_env(server))
    (msg, env), = server.messages(c.email)
    assert env["rcpt_tos"] == [c.email]
    assert msg["Bcc"] is None and "thief" not in str(msg["Subject"])
    text, html = parts(msg)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "\r" not in text and "Evil  Bcc: thief@evil.test  <script>" in text


def test_settings_off_and_back_sends_no_backlog(stack, smtp):
    people = team(stack)
    c = people["owner"]
    hub, pid, _ = stack.connect_portal(c, "config_only")
    server = smtp().start()
    r = c.post("/settings/notifications", {"csrf": c.csrf("/settings/notifications"), "notify": "off",
                                           "time_zone": "Europe/Paris"})
    assert r.status_code == 303
    yellow(stack, pid)
    stack.worker_once(env=mail_env(server))
    assert server.messages(c.email) == []
    page = c.get("/settings/notifications").text
    assert 'id="notify-off" checked' in page and 'value="Europe/Paris"' in page
    assert c.post("/settings/notifications", {"csrf": c.csrf("/settings/notifications"), "notify": "digest",
                                              "time_zone": "Mars/Olympus"}).status_code == 400
    assert c.post("/settings/notifications", {"csrf": c.csrf("/settings/notifications"), "notify": "loud",
                                              "time_zone": ""}).status_code == 400
    c.post("/settings/notifications", {"csrf": c.csrf("/settings/notifications"), "notify": "digest",
                                       "time_zone": "Europe/Paris"})
    stack.worker_once(env=mail_env(server))
    assert server.messages(c.email) == []  # switching on starts from now
    # the next change arrives, with its time in the user's time zone
    stack.sql("UPDATE portals SET status = 'disconnected', status_reason_code = 'revoked_at_hubspot' "
              "WHERE id = %s", (pid,))
    stack.worker_once(env=mail_env(server))
    (msg, _), = server.messages(c.email)
    assert "(Europe/Paris)" in parts(msg)[0]


def test_needs_attention_lists_portals_oldest_problem_first(stack):
    c = stack.client()
    a = stack.connect_portal(c, "config_only")[1]
    b = stack.connect_portal(c, "config_only")[1]
    g = stack.connect_portal(c, "config_only")[1]
    for pid, name in ((a, "Alpha"), (b, "Beta"), (g, "Gamma")):
        stack.sql("UPDATE portals SET name = %s WHERE id = %s", (name, pid))
    stack.sql("UPDATE portals SET status = 'needs_reconnection', status_reason_code = 'refresh_rejected', "
              "status_reason = 'HubSpot rejected the refresh token.', status_changed_at = now() - interval '2 days' "
              "WHERE id = %s", (b,))
    stack.sql("UPDATE portals SET status = 'disconnected', status_reason_code = 'revoked_at_hubspot', "
              "status_reason = 'The app was uninstalled.', status_changed_at = now() - interval '3 hours' "
              "WHERE id = %s", (a,))
    # a refused import counts as a run it blocked
    r = c.post("/portals/%d/imports" % b, {"csrf": c.csrf("/portals/%d" % b)})
    assert r.status_code == 303
    page = c.get("/attention").text
    assert page.index('id="attention-%d"' % b) < page.index('id="attention-%d"' % a)
    row = page.split('id="attention-%d"' % b)[1].split("</tr>")[0]
    assert "Needs Reconnection" in row and "2 days" in row and "<td>1</td>" in row
    assert 'id="attention-reconnect-%d"' % b in row
    assert "Gamma" not in page
    # the sidebar counts them, and Client Accounts' banner links here
    assert re.search(r'id="attention-n">2<', page)
    assert 'href="/attention" id="attention-link"' in c.get("/portals").text
    viewer = stack.client(org=c.org, role="viewer")
    assert 'id="attention-reconnect-' not in viewer.get("/attention").text
