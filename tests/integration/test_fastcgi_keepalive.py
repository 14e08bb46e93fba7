"""nginx keeps its FastCGI connections to the program open
(fastcgi_keep_conn, the upstream's keepalive): many pages go over few
connections, an idle kept connection holds none of the program's threads
(they wait on them with epoll, src/web/server.c), and a request that ends
unusually (a body left unread) does not leave its connection to be reused."""
import concurrent.futures
import contextlib
import os
import re
import socket
import struct
import threading

import requests

from conftest import wait_until

OTHER_THREADS = 4  # scripts/stack.sh starts the program with its default JETSTACK_THREADS
PAGE_THREADS = os.cpu_count()  # one per processor (src/web/server.c)
APP_THREADS = PAGE_THREADS + OTHER_THREADS


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
    and the thread goes back to waiting (it must not wait to accept on a
    socket of its own: it has none): the page threads on the set, the
    others for a request handed to them."""
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
    assert wait_until(lambda: sorted(waits()) == ["do_epoll_wait"] * PAGE_THREADS +
                      ["futex_do_wait"] * OTHER_THREADS, timeout=10), waits()
    for _ in range(2 * APP_THREADS):
        assert requests.get(stack.base + "/login", timeout=5).status_code == 200


# ---------------------------------------------------------------- FastCGI by hand
def record(kind, content=b""):  # version 1, request id 1, no padding
    return struct.pack("!BBHHBx", 1, kind, 1, len(content), 0) + content


def request_head(method, path, params=()):
    """BEGIN_REQUEST (responder, FCGI_KEEP_CONN) and the PARAMS stream: a
    request without its FCGI_STDIN."""
    pairs = b"".join(bytes([len(k)]) + (bytes([len(v)]) if len(v) < 128 else
                                        struct.pack("!I", len(v) | 0x80000000)) + k + v
                     for k, v in ((b"REQUEST_METHOD", method), (b"DOCUMENT_URI", path),
                                  (b"REQUEST_URI", path)) + tuple(params))
    return record(1, struct.pack("!HB5x", 1, 1)) + record(4, pairs) + record(4)


END_OF_STDIN = record(5)


class Answers:
    """The records a connection brings, one answer (its FCGI_STDOUT up to its
    FCGI_END_REQUEST) at a time."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def next(self, timeout):
        """The next answer's FCGI_STDOUT, or None when none ended in timeout s."""
        self.sock.settimeout(timeout)
        out = b""
        while True:
            while len(self.buf) >= 8:
                _, kind, _, n, pad = struct.unpack("!BBHHBx", self.buf[:8])
                if len(self.buf) < 8 + n + pad:
                    break
                content, self.buf = self.buf[8:8 + n], self.buf[8 + n + pad:]
                if kind == 3:  # FCGI_END_REQUEST
                    return out
                if kind == 6:
                    out += content
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not data:
                return None
            self.buf += data


@contextlib.contextmanager
def one_thread_program(stack):
    """A second program on a unix socket of its own, with one request thread
    (so every request here goes through the same FCGX_Request)."""
    stack.sh("app-start", "9", env={"JETSTACK_THREADS": "1"})
    try:
        with open(os.path.join(stack.state, "run", "app9.addr")) as f:
            addr = f.read().strip()
        assert addr.startswith("unix:"), addr
        yield addr[len("unix:"):]
    finally:
        stack.sh("stop", "app9")


def test_the_next_request_on_a_kept_connection_is_never_taken_with_the_last_ones_end(stack):
    """The end of a request's FCGI_STDIN must be read before its answer ends:
    nginx sends the connection's next request as soon as it has the
    FCGI_END_REQUEST, and a read that found the last request's end and the
    next request's first records together put both in libfcgi's buffer,
    which goes with the last request (the next never answered).  Here the
    end of the first request's FCGI_STDIN and the next request arrive in
    one piece, as they do when that read comes late."""
    with one_thread_program(stack) as path, socket.socket(socket.AF_UNIX) as s:
        s.connect(path)
        answers = Answers(s)
        s.sendall(request_head(b"GET", b"/healthz"))
        first = answers.next(2)
        if first is None:  # the program waits for the end of the request: send it
            s.sendall(END_OF_STDIN)
            first = answers.next(10)
            s.sendall(request_head(b"GET", b"/healthz") + END_OF_STDIN)
        else:
            s.sendall(END_OF_STDIN + request_head(b"GET", b"/healthz") + END_OF_STDIN)
        second = answers.next(10)
        assert first is not None and first.startswith(b"Status: 200"), first
        assert second is not None and second.startswith(b"Status: 200"), second


def test_a_refused_body_is_read_to_the_connections_close_after_kept_requests(stack):
    """A body the program refuses unread closes its connection the lingering
    way (libfcgi's: shutdown, then read until the web server closes), so the
    web server can finish sending it and read the answer instead of meeting
    a reset; also on a thread whose earlier requests' connections were kept
    (their quick close, FCGX_Detach, must not stay set for the next one)."""
    with one_thread_program(stack) as path, socket.socket(socket.AF_UNIX) as kept:
        # a kept connection's requests, the connection left open
        kept.connect(path)
        answers = Answers(kept)
        for _ in range(2):
            kept.sendall(request_head(b"GET", b"/healthz") + END_OF_STDIN)
            assert (answers.next(10) or b"").startswith(b"Status: 200")
        size = 8 * 1024 * 1024  # far more than the sockets hold
        chunk = 32 * 1024
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(path)
            s.sendall(request_head(b"POST", b"/login", (
                (b"CONTENT_TYPE", b"application/x-www-form-urlencoded"),
                (b"CONTENT_LENGTH", str(size).encode()))))
            sent = []

            def send_body():
                try:
                    for off in range(0, size, chunk):
                        s.sendall(record(5, b"x" * min(chunk, size - off)))
                    s.sendall(END_OF_STDIN)
                    sent.append("all")
                except OSError as e:
                    sent.append(repr(e))
            t = threading.Thread(target=send_body)
            t.start()
            answer = Answers(s).next(20)
            t.join(20)
            assert answer is not None and answer.startswith(b"Status: 413"), answer
            assert sent == ["all"], sent
