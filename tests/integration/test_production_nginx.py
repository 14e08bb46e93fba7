"""The production server block an operator installs (nginx/jetstack.conf), as
shipped: included in an http {} block of a separate nginx in front of the
test stack's FastCGI program, with only what its comments tell the operator
to adjust (the socket, the TLS certificate, the ports, the install prefix).
A page signed in over TLS, the static files' cache headers, the plain-HTTP
redirect, /metrics kept to loopback, the one-time-token paths kept out of
the access log, and connections kept open to the program."""
import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest
import requests

from conftest import ROOT, free_port, wait_until
from jsclient import csrf_of

SHIPPED = os.path.join(ROOT, "nginx", "jetstack.conf")


def adjust(text, replacements):
    """The shipped file with each (old, new) replaced exactly once: a change
    to the file that leaves one of them behind fails here, not silently."""
    for old, new in replacements:
        assert text.count(old) == 1, "nginx/jetstack.conf no longer has exactly one %r" % old
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="module")
def front(stack):
    d = tempfile.mkdtemp(prefix="jst-prod-nginx.", dir="/tmp")
    os.chmod(d, 0o755)
    tls, plain = free_port(), free_port()
    with open(os.path.join(stack.state, "run", "app.addr")) as f:
        sock = f.read().strip()
    assert sock.startswith("unix:"), sock
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=accounts.example.com",
                    "-addext", "subjectAltName=DNS:accounts.example.com,IP:127.0.0.1", "-keyout", os.path.join(d, "key.pem"),
                    "-out", os.path.join(d, "cert.pem")], check=True, capture_output=True)
    static = os.path.join(stack.state, "app/share/jetstack/static")
    with open(SHIPPED) as f:
        conf = adjust(f.read(), [
            ("server unix:/run/jetstack/app.sock;", "server %s;" % sock),
            ("listen 443 ssl http2;", "listen 127.0.0.1:%d ssl http2;" % tls),
            ("# ssl_certificate /etc/ssl/...; ssl_certificate_key /etc/ssl/...;",
             "ssl_certificate %s/cert.pem; ssl_certificate_key %s/key.pem;" % (d, d)),
            ("alias /usr/local/share/jetstack/static/;", "alias %s/;" % static),
            ("alias /usr/local/share/jetstack/static/favicon.svg;",
             "alias %s/favicon.svg;" % static),
            ("listen 80;", "listen 127.0.0.1:%d;" % plain),
        ])
    with open(os.path.join(d, "jetstack.conf"), "w") as f:
        f.write(conf)
    # the operator's own nginx.conf around it: Debian's, reduced to what a
    # private instance needs (its own pid, logs and temp paths)
    with open(os.path.join(d, "nginx.conf"), "w") as f:
        f.write("""user www-data www-data;
worker_processes 1;
pid %(d)s/nginx.pid;
error_log %(d)s/error.log warn;
events { worker_connections 256; }
http {
	include /etc/nginx/mime.types;
	default_type application/octet-stream;
	access_log %(d)s/access.log;
	client_body_temp_path %(d)s/tmp/body;
	proxy_temp_path %(d)s/tmp/proxy;
	fastcgi_temp_path %(d)s/tmp/fastcgi;
	uwsgi_temp_path %(d)s/tmp/uwsgi;
	scgi_temp_path %(d)s/tmp/scgi;
	include %(d)s/jetstack.conf;
}
""" % {"d": d})
    os.makedirs(os.path.join(d, "tmp"))
    r = subprocess.run(["nginx", "-t", "-p", d, "-c", os.path.join(d, "nginx.conf")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    subprocess.run(["nginx", "-p", d, "-c", os.path.join(d, "nginx.conf")], check=True,
                   capture_output=True, text=True)
    pidfile = os.path.join(d, "nginx.pid")
    wait_until(lambda: os.path.exists(pidfile) and os.path.getsize(pidfile) > 0)
    base = "https://127.0.0.1:%d" % tls
    cert = os.path.join(d, "cert.pem")  # every request checks nginx's certificate
    wait_until(lambda: requests.get(base + "/healthz", verify=cert, timeout=5).status_code == 200)
    try:
        yield {"base": base, "plain": "http://127.0.0.1:%d" % plain, "dir": d, "cert": cert}
    finally:
        with open(pidfile) as f:
            pid = int(f.read().strip())
        os.kill(pid, 15)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        shutil.rmtree(d, ignore_errors=True)


def connections(stack):
    r = requests.get(stack.base + "/metrics", timeout=10)
    return int(re.search(r"^jetstack_fastcgi_connections_total (\d+)$", r.text, re.M).group(1))


def test_sign_in_and_client_accounts_over_tls(stack, front):
    org = stack.new_org()
    email, password = stack.new_user(org, "owner")
    s = requests.Session()
    login = s.get(front["base"] + "/login", verify=front["cert"], timeout=10)
    assert login.status_code == 200
    assert login.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Server" not in login.headers or "nginx/" not in login.headers["Server"]
    r = s.post(front["base"] + "/login", {"email": email, "password": password,
                                          "csrf": csrf_of(login.text)},
               allow_redirects=False, verify=front["cert"], timeout=10)
    assert r.status_code == 303, (r.status_code, r.text[:300])
    before = connections(stack)
    for _ in range(12):
        page = s.get(front["base"] + "/portals", verify=front["cert"], timeout=10)
        assert page.status_code == 200
        assert "Client Accounts" in page.text
    # kept connections (fastcgi_keep_conn on, keepalive 32): a dozen pages
    # from one nginx worker over one or two connections, not twelve
    assert connections(stack) - before <= 3


def test_static_files_come_from_nginx_with_long_cache(front):
    r = requests.get(front["base"] + "/static/app.css", verify=front["cert"], timeout=10)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/css")
    # one max-age: two make a cache free to treat the file as stale (RFC 9111, 4.2.1)
    assert r.headers["Cache-Control"] == "max-age=604800, public, immutable"
    assert "Expires" in r.headers
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    with open(os.path.join(ROOT, "static", "app.css"), "rb") as f:
        assert r.content == f.read()
    icon = requests.get(front["base"] + "/favicon.ico", verify=front["cert"], timeout=10)
    assert icon.status_code == 200 and icon.headers["Content-Type"] == "image/svg+xml"


def test_plain_http_is_redirected_to_https(front):
    r = requests.get(front["plain"] + "/portals?status=connected", allow_redirects=False,
                     timeout=10)
    assert r.status_code == 301
    assert r.headers["Location"] == "https://127.0.0.1/portals?status=connected"


def test_metrics_answer_loopback_only(front):
    r = requests.get(front["base"] + "/metrics", verify=front["cert"], timeout=10)
    assert r.status_code == 200
    assert "jetstack_http_requests_total" in r.text
    # the same location refuses any other address: nginx's own words for it
    with open(os.path.join(front["dir"], "jetstack.conf")) as f:
        block = re.search(r"location = /metrics \{(.*?)\}", f.read(), re.S).group(1)
    assert re.findall(r"^\s*(allow|deny) ([^;]+);", block, re.M) == [
        ("allow", "127.0.0.1"), ("allow", "::1"), ("deny", "all")]


def test_one_time_token_paths_stay_out_of_the_access_log(front):
    marker = "tok" + os.urandom(6).hex()
    for path in ("/invite", "/reset", "/reconnect"):
        r = requests.get(front["base"] + path + "?token=" + marker, verify=front["cert"],
                         allow_redirects=False, timeout=10)
        assert r.status_code < 500, (path, r.status_code)
    requests.get(front["base"] + "/login?seen=" + marker, verify=front["cert"], timeout=10)
    log = os.path.join(front["dir"], "access.log")
    wait_until(lambda: "/login?seen=" + marker in open(log).read())
    text = open(log).read()
    assert "token=" + marker not in text
    assert text.count(marker) == 1
