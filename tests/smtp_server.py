#!/usr/bin/python3
"""A real SMTP server for the tests and for `make run`'s local mail sink,
built on Debian's python3-aiosmtpd.

Serve:
  /usr/bin/python3 tests/smtp_server.py --port N [--host 127.0.0.1] --maildir DIR
      [--tls-cert CERT --tls-key KEY] [--require-starttls] [--no-starttls] [--smtps]
      [--auth USER:PASS] [--fail-rcpt CODE] [--fail-data CODE] [--pidfile F] [--verbose]

  --port 0 picks a free port; the one chosen is in the line printed once the
  socket listens:  "listening on 127.0.0.1:N".  SIGTERM or SIGINT stops it
  (exit status 0, the pidfile removed).

  Each message accepted is written to DIR as <time>-<n>.eml (the bytes the
  client sent after DATA, dot-unstuffed) with a sidecar <time>-<n>.json:
  {"mail_from", "rcpt_tos", "tls", "tls_version", "auth_user", "peer",
  "received_at", "size"}.  Both are written under a temporary name and renamed,
  the .json first, so a reader that sees the .eml also finds its .json.

  --tls-cert/--tls-key   offer STARTTLS with that certificate and key;
  --require-starttls     answer 530 to MAIL (and most commands) before STARTTLS;
  --no-starttls          never advertise STARTTLS (a server "without TLS", to check
                         that a client that requires it does not send in clear);
  --smtps                TLS from the first byte (implicit TLS, smtps://) instead;
  --auth USER:PASS       require AUTH PLAIN or LOGIN with these credentials before
                         MAIL; offered only over TLS when TLS is configured;
  --fail-rcpt CODE       answer every RCPT with CODE (e.g. 550, 450);
  --fail-data CODE       answer the end of every DATA with CODE (e.g. 554, 451);
                         nothing is written then.

Make a throwaway CA and a server certificate for 127.0.0.1 and localhost:
  /usr/bin/python3 tests/smtp_server.py make-ca DIR
  writes DIR/ca.pem, DIR/server.pem and DIR/server.key (the CA's key is deleted);
  the product then gets JETSTACK_SMTP_CA_FILE=DIR/ca.pem.

Importable helpers for pytest: make_ca(), start(), stop(), messages().
"""

import argparse
import asyncio
import itertools
import json
import logging
import os
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import warnings

PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
SCRIPT = os.path.abspath(__file__)

# --------------------------------------------------------------------------
# The throwaway CA (openssl CLI)
# --------------------------------------------------------------------------


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE, timeout=60)


def make_ca(directory, days=7):
    """Write ca.pem, server.pem and server.key (P-256 keys) into directory,
    the server certificate valid for DNS:localhost and IP:127.0.0.1, signed by
    the CA.  The CA's key is removed once it has signed.  Returns a dict of the
    three paths."""
    os.makedirs(directory, exist_ok=True)
    d = os.path.abspath(directory)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", str(days),
             "-subj", "/CN=JetStack throwaway test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    _openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr",
             "-subj", "/CN=localhost", cwd=d)
    with open(os.path.join(d, "server.ext"), "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n"
                "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-set_serial", "0x%x" % int.from_bytes(os.urandom(8), "big"),
             "-days", str(days), "-extfile", "server.ext", "-out", "server.pem", cwd=d)
    for name in ("ca.key", "server.csr", "server.ext"):
        os.unlink(os.path.join(d, name))
    os.chmod(os.path.join(d, "server.key"), 0o600)
    return {"ca": os.path.join(d, "ca.pem"), "cert": os.path.join(d, "server.pem"),
            "key": os.path.join(d, "server.key")}


# --------------------------------------------------------------------------
# Helpers for tests that run the server as a child process
# --------------------------------------------------------------------------


def start(maildir, *extra, host="127.0.0.1", timeout=20):
    """Start the server on a free port with the extra command-line arguments
    and wait for its "listening on" line.  Returns (Popen, port); stop it with
    stop()."""
    proc = subprocess.Popen([PYTHON, SCRIPT, "--port", "0", "--host", host,
                             "--maildir", str(maildir), *map(str, extra)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + timeout
    line = ""
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("listening on "):
            return proc, int(line.rsplit(":", 1)[1])
        if not line and proc.poll() is not None:
            break
    err = ""
    if proc.poll() is not None:
        err = proc.stderr.read()
    else:
        proc.kill()
        proc.wait()
    raise RuntimeError("smtp_server did not start: %r %s" % (line, err.strip()[-2000:]))


def stop(proc, timeout=10):
    """SIGTERM the server started by start() (by its PID) and wait for it.
    Returns its exit status."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout)
    finally:
        for f in (proc.stdout, proc.stderr):
            if f is not None:
                f.close()


def messages(maildir):
    """The messages in maildir, oldest first: a list of dicts, each the
    sidecar's fields plus "path" and "content" (the message bytes)."""
    out = []
    for name in sorted(os.listdir(maildir)):
        if not name.endswith(".eml") or name.startswith("."):
            continue
        path = os.path.join(maildir, name)
        with open(path[:-4] + ".json") as f:
            meta = json.load(f)
        with open(path, "rb") as f:
            meta["content"] = f.read()
        meta["path"] = path
        out.append(meta)
    return out


# --------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------

_REPLY_TEXT = {
    "rcpt": "mailbox refused by the test server (--fail-rcpt)",
    "data": "message refused by the test server (--fail-data)",
}


def _reply(code, what):
    """A reply line with an enhanced status code of the same class."""
    return "%d %d.0.0 %s" % (code, code // 100, _REPLY_TEXT[what])


class Handler:
    def __init__(self, maildir, implicit_tls, fail_rcpt, fail_data):
        self.maildir = maildir
        self.implicit_tls = implicit_tls
        self.fail_rcpt = fail_rcpt
        self.fail_data = fail_data
        self.seq = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.fail_rcpt:
            return _reply(self.fail_rcpt, "rcpt")
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.fail_data:
            return _reply(self.fail_data, "data")
        tls = self.implicit_tls or session.ssl is not None
        version = None
        obj = server.transport.get_extra_info("ssl_object") if server.transport else None
        if obj is not None:
            version = obj.version()
        auth_user = None
        if session.authenticated and session.auth_data is not None:
            login = getattr(session.auth_data, "login", None)
            if isinstance(login, bytes):
                login = login.decode("utf-8", "replace")
            auth_user = login
        content = envelope.original_content
        if content is None:
            content = envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        now = time.time()
        base = "%s.%06d-%d" % (time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)),
                               int((now % 1) * 1e6), next(self.seq))
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "tls": bool(tls),
            "tls_version": version,
            "auth_user": auth_user,
            "peer": list(session.peer) if session.peer else None,
            "received_at": now,
            "size": len(content),
        }
        self._write(base + ".json", json.dumps(meta, indent=1).encode() + b"\n")
        self._write(base + ".eml", content)
        return "250 OK message accepted"

    def _write(self, name, data):
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.maildir)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o644)
            os.rename(tmp, os.path.join(self.maildir, name))
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise


def _authenticator(user, password):
    from aiosmtpd.smtp import AuthResult, LoginPassword

    want = (user.encode(), password.encode())

    def check(server, session, envelope, mechanism, auth_data):
        ok = (mechanism in ("PLAIN", "LOGIN") and isinstance(auth_data, LoginPassword)
              and (auth_data.login, auth_data.password) == want)
        if not ok:
            # handled=False: aiosmtpd answers 535 itself (True would leave
            # the client waiting for a reply).
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=auth_data)

    return check


def _code(s):
    v = int(s)
    if not 400 <= v <= 599:
        raise argparse.ArgumentTypeError("a 4xx or 5xx reply code")
    return v


def _parse(argv):
    p = argparse.ArgumentParser(prog="smtp_server.py",
                                description="SMTP sink for tests (aiosmtpd).")
    p.add_argument("--port", type=int, required=True, help="0: a free port")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--maildir", required=True)
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--require-starttls", action="store_true")
    p.add_argument("--no-starttls", action="store_true")
    p.add_argument("--smtps", action="store_true", help="implicit TLS")
    p.add_argument("--auth", metavar="USER:PASS")
    p.add_argument("--fail-rcpt", type=_code, metavar="CODE")
    p.add_argument("--fail-data", type=_code, metavar="CODE")
    p.add_argument("--pidfile")
    p.add_argument("--verbose", action="store_true",
                   help="log aiosmtpd's sessions to stderr (default: quiet)")
    a = p.parse_args(argv)
    if bool(a.tls_cert) != bool(a.tls_key):
        p.error("--tls-cert and --tls-key go together")
    if (a.require_starttls or a.smtps) and not a.tls_cert:
        p.error("--require-starttls and --smtps need --tls-cert and --tls-key")
    if a.require_starttls and (a.no_starttls or a.smtps):
        p.error("--require-starttls contradicts --no-starttls and --smtps")
    if a.auth is not None and ":" not in a.auth:
        p.error("--auth takes USER:PASS")
    return a


async def _serve(a):
    from aiosmtpd.smtp import SMTP

    os.makedirs(a.maildir, exist_ok=True)
    ctx = None
    if a.tls_cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
    starttls_ctx = ctx if ctx is not None and not a.smtps and not a.no_starttls else None
    handler = Handler(a.maildir, a.smtps, a.fail_rcpt, a.fail_data)
    kw = {}
    if a.auth is not None:
        user, password = a.auth.split(":", 1)
        kw["authenticator"] = _authenticator(user, password)
        kw["auth_required"] = True
    # AUTH only over TLS when there is TLS (aiosmtpd checks STARTTLS; with
    # implicit TLS the whole connection is encrypted already).
    kw["auth_require_tls"] = starttls_ctx is not None
    loop = asyncio.get_running_loop()

    def factory():
        return SMTP(handler, hostname="smtp-test.localhost", ident="jetstack test SMTP",
                    tls_context=starttls_ctx, require_starttls=a.require_starttls,
                    timeout=60, loop=loop, **kw)

    server = await loop.create_server(factory, host=a.host, port=a.port,
                                      ssl=ctx if a.smtps else None, reuse_address=True)
    port = server.sockets[0].getsockname()[1]
    stopping = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    if a.pidfile:
        with open(a.pidfile + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(a.pidfile + ".tmp", a.pidfile)
    print("listening on %s:%d" % (a.host, port), flush=True)
    try:
        await stopping.wait()
    finally:
        server.close()
        await server.wait_closed()
        if a.pidfile:
            try:
                os.unlink(a.pidfile)
            except FileNotFoundError:
                pass


def main(argv):
    if argv and argv[0] == "make-ca":
        if len(argv) != 2:
            print("usage: smtp_server.py make-ca DIR", file=sys.stderr)
            return 2
        paths = make_ca(argv[1])
        print("ca %s\ncert %s\nkey %s" % (paths["ca"], paths["cert"], paths["key"]))
        return 0
    a = _parse(argv)
    if a.verbose:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                            format="smtp_server %(levelname)s %(message)s")
    else:
        # Quiet: aiosmtpd logs a traceback for each client that drops the
        # TLS handshake (what the tests of certificate checks do on purpose)
        # and warns about AUTH without TLS and its own deprecations.
        logging.getLogger("mail.log").setLevel(logging.CRITICAL)
        warnings.simplefilter("ignore")
    asyncio.run(_serve(a))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
