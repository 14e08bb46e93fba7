"""nginx keeps its FastCGI connections to the program open
(fastcgi_keep_conn, the upstream's keepalive): many pages go over few
connections, an idle kept connection holds none of the program's threads
(they wait on them with epoll, src/web/server.c), and a request that ends
unusually (a body left unread) does not leave its connection to be reused."""
import concurrent.futures
import os
import re

import requests

from conftest import wait_until

APP_THREADS = 4  # scripts/stack.sh starts the program with its default JETSTACK_THREADS


def metric(stack, name):
    text = requests.get(stack.base + "/metrics", timeout=10).text
    m = re.search(r"^%s (\d+)$" % name, text, re.M)
    assert m, name
    return int(m.group(1))


def app_fds(stack):
    with open(os.path.join(stack.state, "run", "app.pid")) as f:
        return len(os.listdir("/proc/%d/fd" % int(f.read())))


def test_many_pages_over_few_connections(stack):
    before = metric(stack, "jetstack_fastcgi_connections_total")
    for _ in range(60):
        assert requests.get(stack.base + "/login", timeout=10).status_code == 200
    grown = metric(stack, "jetstack_fastcgi_connections_total") - before
    # one request at a time: nginx reuses what it keeps (a new connection
    # at most when a worker of nginx meets the program the first time)
    assert grown <= 4, grown


def test_idle_kept_connections_hold_no_thread(stack):
    # more connections at once than the program has threads: nginx keeps
    # up to 32 per worker, all idle afterwards
    with concurrent.futures.ThreadPoolExecutor(24) as ex:
        codes = list(ex.map(lambda _: requests.get(stack.base + "/login", timeout=20).status_code,
                            range(96)))
    assert codes == [200] * 96
    fds = app_fds(stack)
    # with every thread parked on an idle connection this would wait for
    # nginx to close them (libfcgi alone reads them in a blocking read())
    for _ in range(3 * APP_THREADS):
        assert requests.get(stack.base + "/login", timeout=5).status_code == 200
    assert app_fds(stack) <= fds + 4  # the connections are reused, not piled up


def test_a_body_left_unread_closes_its_connection(stack):
    c = stack.client()
    csrf = c.csrf()
    # the program refuses a body over 64 KiB without reading all of it
    r = c.s.post(stack.base + "/portals/new", data={"csrf": csrf, "x": "y" * (600 * 1024)},
                 allow_redirects=False, timeout=20)
    assert r.status_code == 413, r.status_code
    # what was left of that body is never read as the next request
    for _ in range(10):
        assert c.get("/portals").status_code == 200
    assert metric(stack, "jetstack_fastcgi_connections_total") > 0


def test_connections_nginx_closes_are_closed_and_every_thread_waits_again(stack):
    """nginx closing its kept connections (a reload ends the old workers)
    reaches the program as a connection with no request: libfcgi closes it,
    and the thread goes back to waiting on the set (it must not wait to
    accept on a socket of its own: it has none)."""
    with open(os.path.join(stack.state, "run", "app.pid")) as f:
        pid = int(f.read())

    def waits():
        out = []
        for t in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/wchan" % (pid, t)) as f:
                out.append(f.read())
        return out
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        assert set(ex.map(lambda _: requests.get(stack.base + "/login", timeout=20).status_code,
                          range(32))) == {200}
    kept = app_fds(stack)
    with open(os.path.join(stack.state, "run", "nginx.pid")) as f:
        os.kill(int(f.read().split()[0]), 1)  # SIGHUP: reload
    # the old workers' connections close; the program closes its side
    assert wait_until(lambda: app_fds(stack) < kept, timeout=20), (kept, app_fds(stack))
    assert wait_until(lambda: waits() == ["do_epoll_wait"] * APP_THREADS, timeout=10), waits()
    for _ in range(2 * APP_THREADS):
        assert requests.get(stack.base + "/login", timeout=5).status_code == 200
