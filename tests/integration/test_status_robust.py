# SPDX-License-Identifier: BSD-2-Clause
"""The status listener under abuse: floods, slow clients and bad requests
cost neither the workers nor the master anything, and the status process
keeps answering; the master's descriptors stay as they were, however many
scrapes."""
import os
import socket
import threading

from conftest import SLOW, http_get, steady_fds, wait_for
from test_status_life import get, status_child, status_port
from zdt import ctl


def read_all(s):
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk


def answer(host, port, raw):
    """Sends raw and reads until the server closes (a timeout fails)."""
    with socket.create_connection((host, port), timeout=5 * SLOW) as s:
        s.sendall(raw)
        return read_all(s)


def test_bad_requests_get_4xx_and_a_close(herd):
    h = herd(["--app", "hello", "-l", "127.0.0.1:0", "-w", "1",
              "--metrics-listen", "127.0.0.1:0"])
    host, port = status_port(h, "herd-metrics")
    cases = [
        (b"GARBAGE\r\n\r\n", 400),
        (b"POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 405),
        (b"DELETE / HTTP/1.1\r\nHost: x\r\n\r\n", 405),
        (b"GET /metrics HTTP/2.0\r\nHost: x\r\n\r\n", 505),
        (b"GET /" + b"a" * 600 + b" HTTP/1.1\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nX: " + b"a" * 5000 + b"\r\n\r\n", 431),
        (b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n", 404),
        (b"GET /metrics\x00 HTTP/1.1\r\n\r\n", 400),
        (b"\r\n\r\n", 400),
    ]
    for raw, code in cases:
        data = answer(host, port, raw)
        assert data.startswith(f"HTTP/1.1 {code} ".encode()), (raw[:40],
                                                               data[:80])
        assert b"Connection: close\r\n" in data
    # A HEAD gets the head alone.
    data = answer(host, port, b"HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 200 ") and data.endswith(b"\r\n\r\n")
    assert get(host, port, "/metrics")[0] == 200


def test_flood_and_slow_clients_hurt_nobody(herd, tmp_path):
    """200 slow clients and threads opening and dropping connections as
    fast as they can: scrapes, the workers and the master all answer, the
    status process is the same one, and the master's descriptors did not
    move."""
    conf = tmp_path / "herd.conf"
    conf.write_text("listen = 127.0.0.1:0\napp = hello\nworkers = 1\n"
                    "metrics-listen = 127.0.0.1:0\n"
                    f"pid-file = {tmp_path / 'herd.pid'}\n")
    h = herd(["-c", str(conf)])
    host, port = status_port(h, "herd-metrics")
    wait_for(lambda: get(host, port, "/readyz")[0] == 200, what="ready")
    h.started(1)
    pid = status_child(h.pid)
    before = steady_fds(h.pid)
    stop = threading.Event()
    flooded = [0]

    def flood():
        while not stop.is_set():
            try:
                s = socket.create_connection((host, port), timeout=5)
                s.close()
                flooded[0] += 1
            except OSError:
                pass

    slow = []
    threads = [threading.Thread(target=flood) for _ in range(4)]
    try:
        for _ in range(200):
            s = socket.create_connection((host, port))
            s.sendall(b"GET /metrics HTTP/1.1\r\nHo")  # then nothing
            slow.append(s)
        for t in threads:
            t.start()
        wait_for(lambda: flooded[0] >= 2000, 20, what="a flood")
        for path in ("/metrics", "/readyz", "/", "/status.json") * 5:
            assert get(host, port, path)[0] == 200
        assert "hello, world" in http_get(h.port())
        r = ctl(conf, "status", "--json")
        assert r.returncode == 0, r
    finally:
        stop.set()
        for t in threads:
            t.join()
        for s in slow:
            s.close()
    assert status_child(h.pid) == pid
    assert steady_fds(h.pid) == before


def test_master_descriptors_constant_across_scrapes(herd):
    h = herd(["--app", "hello", "-l", "127.0.0.1:0", "-w", "2",
              "--metrics-listen", "127.0.0.1:0",
              "--agent-listen", "127.0.0.2:0"])
    host, port = status_port(h, "herd-metrics")
    ahost, aport = status_port(h, "herd-agent")
    wait_for(lambda: get(host, port, "/readyz")[0] == 200, what="ready")
    h.started(2)
    before = steady_fds(h.pid)
    n = 0
    for i in range(100):
        for path in ("/metrics", "/", "/status.json", "/readyz", "/livez"):
            assert get(host, port, path)[0] == 200
            n += 1
        with socket.create_connection((ahost, aport)) as s:
            assert read_all(s).startswith(b"ready up")
    assert n == 500
    assert steady_fds(h.pid) == before
    # Nor did the status process keep any: its listeners, the ping
    # socket, epoll, signalfd and stdio.
    # (It closes the last one just after the client saw the end.)
    sp = status_child(h.pid)
    wait_for(lambda: len(os.listdir(f"/proc/{sp}/fd")) == 3 + 2 + 1 + 2,
             what="the status process back to its own descriptors")


def test_scrapes_never_wake_the_master(herd):
    """Metrics, the page, its JSON and /readyz come from the snapshot and
    the scoreboard: 400 scrapes, and the idle master sleeps through them
    (a request to the master per scrape would wake it 400 times)."""
    from test_status_health import wakeups
    h = herd(["--app", "hello", "-l", "127.0.0.1:0", "-w", "2",
              "--metrics-listen", "127.0.0.1:0"])
    host, port = status_port(h, "herd-metrics")
    wait_for(lambda: get(host, port, "/readyz")[0] == 200, what="ready")
    h.started(2)
    before = wakeups(h.pid)
    for _ in range(100):
        for path in ("/metrics", "/", "/status.json", "/readyz"):
            assert get(host, port, path)[0] == 200
    assert wakeups(h.pid) - before <= 3
