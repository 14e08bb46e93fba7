"""Tests of the SMTP test server itself (tests/smtp_server.py), driven with
Python's smtplib.

Run: /usr/bin/python3 -m pytest -p no:cacheprovider -q tests/unit_py/test_smtp_server.py
Each test starts the server as a subprocess on a free port (--port 0) and
stops it by PID (SIGTERM); the throwaway CA is made once per module.
"""

import os
import signal
import smtplib
import ssl
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import smtp_server  # noqa: E402

FROM = "noreply@jetstack.example"
RCPT = "owner@agency.example"
MSG = (b"From: JetStack <noreply@jetstack.example>\r\nTo: <owner@agency.example>\r\n"
       b"Subject: hello\r\n\r\nline one\r\n.starts with a dot\r\n")


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return smtp_server.make_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def server(tmp_path):
    """server(*args) starts one; every one started is stopped afterwards."""
    started = []

    def start(*args):
        maildir = tmp_path / ("mail%d" % len(started))
        proc, port = smtp_server.start(maildir, *args)
        started.append(proc)
        return port, maildir

    yield start
    for proc in started:
        assert smtp_server.stop(proc) == 0


def tls_args(ca, *more):
    return ("--tls-cert", ca["cert"], "--tls-key", ca["key"]) + more


def client_ctx(ca):
    return ssl.create_default_context(cafile=ca["ca"])


def connect(port):
    c = smtplib.SMTP("127.0.0.1", port, timeout=10)
    c.ehlo("client.example")
    return c


def test_make_ca(ca):
    for k in ("ca", "cert", "key"):
        assert os.path.isfile(ca[k])
    assert os.stat(ca["key"]).st_mode & 0o077 == 0
    assert not os.path.exists(os.path.join(os.path.dirname(ca["ca"]), "ca.key"))
    text = subprocess.run(["openssl", "x509", "-in", ca["cert"], "-noout", "-text"],
                          capture_output=True, text=True, check=True).stdout
    assert "DNS:localhost" in text and "IP Address:127.0.0.1" in text
    subprocess.run(["openssl", "verify", "-CAfile", ca["ca"], ca["cert"]], check=True,
                   capture_output=True)


def test_plain_delivery(server):
    port, maildir = server()
    c = connect(port)
    assert not c.has_extn("starttls")
    assert c.sendmail(FROM, [RCPT, "second@agency.example"], MSG) == {}
    c.quit()
    [m] = smtp_server.messages(maildir)
    assert m["content"] == MSG
    assert m["mail_from"] == FROM
    assert m["rcpt_tos"] == [RCPT, "second@agency.example"]
    assert m["tls"] is False and m["tls_version"] is None
    assert m["auth_user"] is None
    assert m["path"].endswith("-1.eml") and os.path.basename(m["path"])[0].isdigit()
    # Only the message and its sidecar: no temporary files left.
    assert sorted(os.listdir(maildir)) == sorted(
        [os.path.basename(m["path"]), os.path.basename(m["path"])[:-4] + ".json"])


def test_messages_numbered_in_order(server):
    port, maildir = server()
    c = connect(port)
    for i in range(3):
        c.sendmail(FROM, [RCPT], MSG + b"n=%d\r\n" % i)
    c.quit()
    got = smtp_server.messages(maildir)
    assert [m["content"][-5:] for m in got] == [b"n=0\r\n", b"n=1\r\n", b"n=2\r\n"]
    assert [m["path"].rsplit("-", 1)[1] for m in got] == ["1.eml", "2.eml", "3.eml"]


def test_starttls_delivery(server, ca):
    port, maildir = server(*tls_args(ca))
    c = connect(port)
    assert c.has_extn("starttls")
    c.starttls(context=client_ctx(ca))
    c.ehlo("client.example")
    c.sendmail(FROM, [RCPT], MSG)
    c.quit()
    [m] = smtp_server.messages(maildir)
    assert m["tls"] is True
    assert m["tls_version"].startswith("TLSv1.")
    assert m["content"] == MSG


def test_starttls_offered_but_plain_allowed(server, ca):
    port, maildir = server(*tls_args(ca))
    c = connect(port)
    c.sendmail(FROM, [RCPT], MSG)
    c.quit()
    [m] = smtp_server.messages(maildir)
    assert m["tls"] is False


def test_certificate_checked_against_the_ca(server, ca):
    port, _ = server(*tls_args(ca))
    c = connect(port)
    with pytest.raises(ssl.SSLCertVerificationError):
        c.starttls(context=ssl.create_default_context())  # the system's CAs only
    c.close()


def test_no_starttls_not_advertised(server, ca):
    port, maildir = server(*tls_args(ca, "--no-starttls"))
    c = connect(port)
    assert not c.has_extn("starttls")
    with pytest.raises(smtplib.SMTPNotSupportedError):
        c.starttls(context=client_ctx(ca))
    code, _ = c.docmd("STARTTLS")
    assert code == 454
    c.quit()
    assert smtp_server.messages(maildir) == []


def test_require_starttls_refuses_plain_mail(server, ca):
    port, maildir = server(*tls_args(ca, "--require-starttls"))
    c = connect(port)
    code, text = c.docmd("MAIL FROM:<%s>" % FROM)
    assert code == 530 and b"STARTTLS" in text
    with pytest.raises(smtplib.SMTPSenderRefused) as e:
        c.sendmail(FROM, [RCPT], MSG)
    assert e.value.smtp_code == 530
    c.starttls(context=client_ctx(ca))
    c.ehlo("client.example")
    c.sendmail(FROM, [RCPT], MSG)
    c.quit()
    [m] = smtp_server.messages(maildir)
    assert m["tls"] is True


@pytest.mark.parametrize("code", [550, 450])
def test_fail_rcpt(server, code):
    port, maildir = server("--fail-rcpt", str(code))
    c = connect(port)
    with pytest.raises(smtplib.SMTPRecipientsRefused) as e:
        c.sendmail(FROM, [RCPT], MSG)
    got_code, text = e.value.recipients[RCPT]
    assert got_code == code
    assert text.startswith(b"%d.0.0 " % (code // 100))
    c.quit()
    assert smtp_server.messages(maildir) == []


@pytest.mark.parametrize("code", [554, 451])
def test_fail_data(server, code):
    port, maildir = server("--fail-data", str(code))
    c = connect(port)
    with pytest.raises(smtplib.SMTPDataError) as e:
        c.sendmail(FROM, [RCPT], MSG)
    assert e.value.smtp_code == code
    c.quit()
    assert smtp_server.messages(maildir) == []


def test_auth_after_starttls(server, ca):
    port, maildir = server(*tls_args(ca, "--auth", "mailer:s3cret:with-colon"))
    c = connect(port)
    assert not c.has_extn("auth")  # only offered over TLS
    code, _ = c.docmd("MAIL FROM:<%s>" % FROM)
    assert code == 530  # authentication required
    c.starttls(context=client_ctx(ca))
    c.ehlo("client.example")
    assert set(c.esmtp_features["auth"].split()) == {"LOGIN", "PLAIN"}
    with pytest.raises(smtplib.SMTPAuthenticationError) as e:
        c.login("mailer", "wrong")
    assert e.value.smtp_code == 535
    c.login("mailer", "s3cret:with-colon")
    c.sendmail(FROM, [RCPT], MSG)
    c.quit()
    [m] = smtp_server.messages(maildir)
    assert m["auth_user"] == "mailer" and m["tls"] is True


@pytest.mark.parametrize("mech", ["LOGIN", "PLAIN"])
def test_auth_mechanisms(server, ca, mech):
    port, maildir = server(*tls_args(ca, "--auth", "u:p"))
    c = connect(port)
    c.starttls(context=client_ctx(ca))
    c.ehlo("client.example")
    c.user, c.password = "u", "p"
    code, _ = c.auth(mech, getattr(c, "auth_" + mech.lower()), initial_response_ok=True)
    assert code == 235
    c.sendmail(FROM, [RCPT], MSG)
    c.quit()
    assert smtp_server.messages(maildir)[0]["auth_user"] == "u"


def test_auth_without_tls_configured(server):
    port, maildir = server("--auth", "u:p")
    c = connect(port)
    assert c.has_extn("auth")
    with pytest.raises(smtplib.SMTPSenderRefused):
        c.sendmail(FROM, [RCPT], MSG)
    c.login("u", "p")
    c.sendmail(FROM, [RCPT], MSG)
    c.quit()
    [m] = smtp_server.messages(maildir)
    assert m["auth_user"] == "u" and m["tls"] is False


def test_smtps(server, ca):
    port, maildir = server(*tls_args(ca, "--smtps", "--auth", "u:p"))
    c = smtplib.SMTP_SSL("127.0.0.1", port, timeout=10, context=client_ctx(ca))
    c.ehlo("client.example")
    assert not c.has_extn("starttls")
    c.login("u", "p")
    c.sendmail(FROM, [RCPT], MSG)
    c.quit()
    [m] = smtp_server.messages(maildir)
    assert m["tls"] is True and m["auth_user"] == "u"


def test_pidfile_and_sigterm(tmp_path):
    pidfile = tmp_path / "smtp.pid"
    proc, port = smtp_server.start(tmp_path / "mail", "--pidfile", pidfile)
    assert int(pidfile.read_text()) == proc.pid
    os.kill(int(pidfile.read_text()), signal.SIGTERM)
    assert proc.wait(10) == 0
    assert not pidfile.exists()
    proc.stdout.close()
    proc.stderr.close()
    with pytest.raises(OSError):
        smtplib.SMTP("127.0.0.1", port, timeout=2)


def test_sigint_exits_cleanly(tmp_path):
    proc, _ = smtp_server.start(tmp_path / "mail")
    proc.send_signal(signal.SIGINT)
    assert proc.wait(10) == 0
    assert "Traceback" not in proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()


@pytest.mark.parametrize("args", [
    ["--require-starttls"],
    ["--smtps"],
    ["--tls-cert", "x.pem"],
    ["--auth", "nocolon"],
    ["--fail-rcpt", "250"],
    ["--fail-data", "600"],
])
def test_bad_arguments(tmp_path, args):
    r = subprocess.run([smtp_server.PYTHON, smtp_server.SCRIPT, "--port", "0", "--maildir",
                        str(tmp_path / "m"), *args], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert "usage:" in r.stderr
