"""The FastCGI program's page threads (src/web/server.c): one per processor
serves the Client Accounts pages of every connection it woke for together,
their sessions read in one round trip (route_prefetch, db_session_prefetch);
every other request is handed to the other threads (JETSTACK_THREADS).

What a user sees of it: each request still gets its own session's page
(never another's, a signed-out session still goes to sign-in), and a page
is not held up by slow requests (a HubSpot call at the end of a connect)."""
import concurrent.futures
import random
import re
import threading

import requests

from conftest import wait_until
from test_fastcgi_keepalive import OTHER_THREADS, metric


def org_shown(page):
    m = re.search(r'id="org-name">([^<]*)<', page)
    return m.group(1) if m else None


def test_pages_served_together_are_each_their_own(stack):
    a, b, gone = stack.client(), stack.client(), stack.client()
    for c in (a, b):
        stack.connect_portal(c, "config_only")
    # gone's session ends (signed out elsewhere): its cookie is still sent
    assert gone.get("/portals").status_code == 200
    stack.sql("UPDATE sessions SET ended_at = now() WHERE user_id = "
              "(SELECT id FROM users WHERE email = %s)", (gone.email,))
    cookies = {who: c.s.cookies.get_dict() for who, c in (("a", a), ("b", b), ("gone", gone))}

    def one(who):
        r = requests.get(stack.base + "/portals", cookies=cookies[who], allow_redirects=False,
                         timeout=30)
        return who, r.status_code, r.headers.get("Location"), org_shown(r.text)

    before = metric(stack, "jetstack_session_reads_ahead_total")
    rounds = 0
    # served together only when requests come at once: until some were
    while rounds < 6:
        rounds += 1
        whos = [random.choice(("a", "b", "gone")) for _ in range(240)]
        with concurrent.futures.ThreadPoolExecutor(32) as ex:
            got = list(ex.map(one, whos))
        for who, status, location, org in got:
            if who == "gone":
                assert (status, location) == (303, "/login?next=/portals"), (who, status, location)
            else:
                assert status == 200, (who, status)
                assert org == (a.org if who == "a" else b.org), (who, org)
        if metric(stack, "jetstack_session_reads_ahead_total") > before:
            break
    assert metric(stack, "jetstack_session_reads_ahead_total") > before, rounds
    # and one at a time, as before
    assert org_shown(a.get("/portals").text) == a.org
    assert b.get("/portals", allow_redirects=False).status_code == 200
    assert gone.get("/portals", allow_redirects=False).status_code == 303


def test_a_page_is_not_held_up_by_slow_hubspot_calls(stack):
    viewer = stack.client()
    stack.connect_portal(viewer, "config_only")
    # as many connects as there are other threads, each ending in a token
    # exchange that HubSpot answers after 4 seconds
    callers = [stack.client() for _ in range(OTHER_THREADS)]
    callbacks = [c.hubspot_choose(c.start_connect("config_only"), stack.new_hub(),
                                  as_user="alex@agency.test")
                 for c in callers]
    stack.sim("POST", "/_sim/faults", {"endpoint": "token", "latency_ms": 4000,
                                       "count": OTHER_THREADS})
    done = []
    lock = threading.Lock()

    def finish(c, cb):
        r = c.follow_callback(cb)
        with lock:
            done.append(r.status_code)

    threads = [threading.Thread(target=finish, args=(c, cb)) for c, cb in zip(callers, callbacks)]
    for t in threads:
        t.start()
    try:
        # every other thread waits on HubSpot
        assert wait_until(lambda: stack.sim("GET", "/_sim/stats").get("in_flight", {})
                          .get("token", 0) == OTHER_THREADS, timeout=10), \
            stack.sim("GET", "/_sim/stats")
        # Client Accounts answers meanwhile, every time
        for _ in range(10):
            r = viewer.get("/portals", allow_redirects=False)
            assert r.status_code == 200 and org_shown(r.text) == viewer.org
        with lock:
            assert done == [], done  # the connects were still waiting all along
    finally:
        for t in threads:
            t.join(30)
    # and each connect completed
    assert done == [303] * OTHER_THREADS, done
