"""A small HTTP client for JetStack Client Accounts, used by the integration
tests and by `make run`'s demo seeding.  It signs in, reads CSRF tokens from
pages, and clicks through the HubSpot simulator's authorize screen the way a
browser would (form posts, following redirects by hand so each hop can be
inspected)."""
import re
import html
from urllib.parse import urljoin, urlsplit

import requests


def csrf_of(page):
    m = re.search(r'name="csrf" value="([A-Za-z0-9_-]{43})"', page)
    assert m, "no CSRF token on the page"
    return m.group(1)


class Client:
    def __init__(self, base):
        self.base = base.rstrip("/")
        self.s = requests.Session()

    def url(self, path):
        return self.base + path

    def get(self, path, **kw):
        kw.setdefault("allow_redirects", False)
        return self.s.get(self.url(path), timeout=30, **kw)

    def post(self, path, data=None, **kw):
        kw.setdefault("allow_redirects", False)
        return self.s.post(self.url(path), data=data, timeout=30, **kw)

    def login(self, email, password, expect_ok=True):
        page = self.get("/login").text
        r = self.post("/login", {"email": email, "password": password, "csrf": csrf_of(page)})
        if expect_ok:
            assert r.status_code == 303, (r.status_code, r.text[:500])
        return r

    def csrf(self, path="/portals"):
        return csrf_of(self.get(path).text)

    def start_connect(self, conn_type="config_audit"):
        """POST /portals/new; returns the authorize URL HubSpot would show."""
        r = self.post("/portals/new", {"csrf": self.csrf("/portals/new"), "connection_type": conn_type})
        assert r.status_code == 303, (r.status_code, r.text[:500])
        return r.headers["Location"]

    def start_reconnect(self, portal_id):
        r = self.post("/portals/%d/reconnect" % portal_id, {"csrf": self.csrf()})
        assert r.status_code == 303, (r.status_code, r.text[:500])
        return r.headers["Location"]

    def hubspot_choose(self, authorize_url, hub_id, action="connect", as_user=None):
        """Show HubSpot's chooser, pick hub_id, press Connect app (or Cancel).
        Returns the callback URL HubSpot redirects back to."""
        page = requests.get(authorize_url if not as_user else authorize_url + "&as_user=" + as_user,
                            timeout=30)
        assert page.status_code == 200, page.text[:500]
        fields = dict((html.unescape(n), html.unescape(v)) for n, v in
                      re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
        fields["action"] = action
        if hub_id is not None:
            fields["hub_id"] = str(hub_id)
        r = requests.post(urljoin(authorize_url, "/oauth/authorize/decision"), data=fields,
                          allow_redirects=False, timeout=30)
        assert r.status_code == 302, (r.status_code, r.text[:500])
        return r.headers["Location"]

    def follow_callback(self, callback_url):
        """Open HubSpot's redirect in this browser session."""
        parts = urlsplit(callback_url)
        path = parts.path + ("?" + parts.query if parts.query else "")
        return self.get(path)

    def connect(self, hub_id, conn_type="config_audit", as_user=None):
        cb = self.hubspot_choose(self.start_connect(conn_type), hub_id, as_user=as_user)
        return self.follow_callback(cb)

    def reconnect(self, portal_id, hub_id, action="connect", as_user=None):
        cb = self.hubspot_choose(self.start_reconnect(portal_id), hub_id, action, as_user=as_user)
        return self.follow_callback(cb)
