"""The same program run as plain CGI (no socket) answers like the FastCGI
server behind nginx: status, headers, cookies and the page itself."""
import os
import re
import subprocess

import requests

from helpers_foundation import CSRF_RE, connected_portal, cookie_header


def run_cgi(stack, path, query="", cookie=None, method="GET"):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "GATEWAY_INTERFACE": "CGI/1.1",
           "SERVER_PROTOCOL": "HTTP/1.1",
           "SERVER_SOFTWARE": "test",
           "REMOTE_ADDR": "127.0.0.1",
           "REQUEST_METHOD": method,
           "DOCUMENT_URI": path,
           "REQUEST_URI": path + ("?" + query if query else ""),
           "SCRIPT_NAME": path,
           "QUERY_STRING": query,
           "JETSTACK_ENV_FILE": os.path.join(stack.state, "jetstack.env"),
           "JETSTACK_TEMPLATE_DIR": os.path.join(stack.state, "app/share/jetstack/templates")}
    if cookie:
        env["HTTP_COOKIE"] = cookie
    p = subprocess.run([os.path.join(stack.state, "app/lib/jetstack/cgi-bin/jetstack")],
                       stdin=subprocess.DEVNULL, capture_output=True, env=env, cwd=stack.state,
                       timeout=60)
    assert p.returncode == 0, (p.returncode, p.stderr[-2000:])
    head, sep, body = p.stdout.partition(b"\r\n\r\n")
    assert sep, p.stdout[:500]
    lines = head.decode().split("\r\n")
    m = re.match(r"Status: (\d{3}) ", lines[0])
    assert m, lines[0]
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(": ")
        headers.setdefault(k.lower(), []).append(v)
    return int(m.group(1)), headers, body.decode()


def normalise(page):
    # relative words ("just now", "1 minute ago") move with the clock
    # between the two reads; the <time> element's absolute time does not
    page = re.sub(r'(<time [^>]*>)[^<]*(</time>)', r'\1\2', page)
    return CSRF_RE.sub('name="csrf" value=""', page)


def structure(page):
    ids = re.findall(r'\bid="([^"]+)"', page)
    forms = re.findall(r'<form [^>]*action="([^"]+)"', page)
    return ids, forms


def test_cgi_mode_answers_like_fastcgi(stack):
    # GET /login, anonymous
    status, headers, body = run_cgi(stack, "/login")
    r = requests.get(stack.base + "/login", timeout=30)
    assert status == r.status_code == 200
    assert headers["content-type"][0] == r.headers["Content-Type"]
    for name in ("content-security-policy", "x-content-type-options", "referrer-policy",
                 "cache-control"):
        assert headers[name][0] == r.headers[name], name
    assert any(v.startswith("js_pre=") for v in headers.get("set-cookie", []))
    assert normalise(body) == normalise(r.text)
    assert 'id="login-form"' in body

    # GET /portals, signed in through nginx, the same cookie to the CGI program
    c = stack.client()
    hub, pid = connected_portal(stack, c, "CGI Portal")
    assert 'id="flash"' in c.get("/portals").text  # the one-time confirmation, now shown
    r = c.get("/portals")
    status, headers, body = run_cgi(stack, "/portals", cookie=cookie_header(c))
    assert status == r.status_code == 200
    assert 'id="portal-table"' in body and 'id="sidebar"' in body
    assert 'id="portal-%d"' % pid in body
    assert structure(body) == structure(r.text)
    assert normalise(body) == normalise(r.text)

    # a query string and a 400 and a redirect, the same way
    status, _, body = run_cgi(stack, "/portals", query="sort=name", cookie=cookie_header(c))
    assert status == 200 and 'id="portal-%d"' % pid in body
    status, _, body = run_cgi(stack, "/portals", query="sort=evil", cookie=cookie_header(c))
    assert status == 400
    status, headers, _ = run_cgi(stack, "/portals")
    assert status == 303 and headers["location"] == ["/login?next=/portals"]
    status, _, body = run_cgi(stack, "/nope")
    assert status == 404 and "Page not found" in body
