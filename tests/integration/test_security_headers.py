"""Response headers: CSP, nosniff, referrer and no-store on every kind of
answer (pages, redirects, errors), and the static stylesheet served by nginx
with a long cache and validators."""
import os
import re

import requests

from jsclient import Client
from helpers_foundation import ROOT, assert_security_headers


def test_security_headers_everywhere(stack):
    c = stack.client()
    anon = Client(stack.base)
    responses = {
        "login page": anon.get("/login"),
        "help page": anon.get("/help"),
        "home redirect": anon.get("/"),
        "sign-in redirect": anon.get("/portals"),
        "portals page": c.get("/portals"),
        "connect page": c.get("/portals/new"),
        "404 page": c.get("/does-not-exist"),
        "400 page": c.get("/portals?sort=evil"),
        "403 page": c.post("/portals/new", {"csrf": "A" * 43, "connection_type": "config_only"}),
        "405 page": c.get("/logout"),
        "413 page": anon.post("/login", {"pad": "z" * 70000}),
        "connect redirect": c.post("/portals/new", {"csrf": c.csrf("/portals/new"),
                                                    "connection_type": "config_only"}),
    }
    for what, r in responses.items():
        assert_security_headers(r.headers, what=what)
    assert responses["home redirect"].status_code == 303
    assert responses["connect redirect"].status_code == 303
    assert responses["portals page"].headers["Content-Type"].startswith("text/html")
    csp = responses["portals page"].headers["Content-Security-Policy"]
    assert "object-src 'none'" in csp or "default-src 'none'" in csp or "default-src 'self'" in csp


def test_static_css_served_with_long_cache(stack):
    r = requests.get(stack.base + "/static/app.css", timeout=30)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/css")
    with open(os.path.join(ROOT, "static", "app.css"), "rb") as f:
        assert r.content == f.read()
    cc = r.headers.get("Cache-Control", "")
    assert "no-store" not in cc
    ages = [int(a) for a in re.findall(r"max-age=(\d+)", cc)]
    # exactly one: with two a cache may treat the file as stale (RFC 9111, 4.2.1)
    assert len(ages) == 1 and ages[0] >= 86400, cc
    assert "immutable" in cc, cc
    assert "Expires" in r.headers
    assert r.headers.get("X-Content-Type-Options") == "nosniff"
    # nginx's own static file answers: validators and conditional requests
    assert "ETag" in r.headers and "Last-Modified" in r.headers
    r2 = requests.get(stack.base + "/static/app.css", timeout=30,
                      headers={"If-None-Match": r.headers["ETag"]})
    assert r2.status_code == 304
