# SPDX-License-Identifier: BSD-2-Clause
"""herd's HTTP/1.1 worker as clients see it: keep-alive and close,
pipelining, 100-continue, HEAD, the limits and their codes, timeouts, a
failing handler, and the access log with its reopen on USR1."""
import http.client
import json
import os
import re
import signal
import socket
import time

import pytest

from conftest import BUILD, SLOW, wait_for

TESTAPP = os.path.join(BUILD, "tests", "testapp.so")


def pattern(n):
    return bytes(97 + i % 26 for i in range(n))


def start(herd, *flags, app="hello"):
    return herd(["--listen", "127.0.0.1:0", "--workers", "1", "--app", app,
                 *flags]).started(1)


def talk(port, data, shut=False):
    """Sends data; returns everything herd sends until it closes."""
    with socket.create_connection(("127.0.0.1", port),
                                  timeout=15 * SLOW) as s:
        s.sendall(data)
        if shut:
            s.shutdown(socket.SHUT_WR)
        got = b""
        while chunk := s.recv(65536):
            got += chunk
    return got


def statuses(data):
    return [int(m) for m in re.findall(rb"^HTTP/1\.1 (\d{3}) ", data, re.M)]


def test_keepalive_and_close_by_version(herd):
    port = start(herd).port()
    one = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    got = talk(port, one * 3 + b"GET / HTTP/1.1\r\nHost: x\r\n"
               b"Connection: close\r\n\r\n")
    assert statuses(got) == [200] * 4
    assert got.count(b"Connection: keep-alive") == 3
    assert got.count(b"Connection: close") == 1
    got = talk(port, b"GET / HTTP/1.0\r\n\r\nGET / HTTP/1.0\r\n\r\n")
    assert statuses(got) == [200] and b"Connection: close" in got
    got = talk(port, b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
               b"GET /pid HTTP/1.0\r\n\r\n")
    assert statuses(got) == [200, 200]


def test_pipelined_answers_in_order(herd):
    port = start(herd, app="echo").port()
    reqs = b"".join(b"GET /%d HTTP/1.1\r\nHost: x\r\n\r\n" % i
                    for i in range(20))
    got = talk(port, reqs + b"GET /end HTTP/1.1\r\nHost: x\r\n"
               b"Connection: close\r\n\r\n")
    targets = re.findall(rb'"target": "/(\w+)"', got)
    assert targets == [b"%d" % i for i in range(20)] + [b"end"]


def test_expect_100_continue(herd):
    port = start(herd, app="echo").port()
    with socket.create_connection(("127.0.0.1", port),
                                  timeout=10 * SLOW) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                  b"Expect: 100-continue\r\nConnection: close\r\n\r\n")
        assert s.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        s.sendall(b"hello")
        got = b""
        while chunk := s.recv(65536):
            got += chunk
    assert statuses(got) == [200] and b'"body": "hello"' in got


def test_head_has_length_and_no_body(herd):
    port = start(herd).port()
    got = talk(port, b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"
               b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert statuses(got) == [200, 200]
    assert got.count(b"Content-Length: 13") == 2
    assert got.count(b"hello, world") == 1


@pytest.mark.parametrize("request_, code", [
    (b"GET /" + b"a" * 17000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-A: " + b"b" * 70000 +
     b"\r\n\r\n", 431),
    (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 101 + b"\r\n", 431),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n", 413),
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: foo, chunked\r\n\r\n", 501),
    (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    (b"GET / HTTP/1.1\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
     b"Content-Length: 4\r\n\r\nabcd", 400),
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"zz\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n", 400),
    # Transfer-Encoding other than a final chunked, with or without
    # Content-Length: what follows the declared length must never be read
    # as a second request (smuggling).
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n"
     b"Content-Length: 5\r\n\r\nhelloGET /smuggled HTTP/1.1\r\n"
     b"Host: x\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
     b"Transfer-Encoding: identity\r\n\r\nhello", 400),
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n"
     b"Content-Length: 5\r\n\r\nhello", 400),
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ,\r\n"
     b"Content-Length: 5\r\n\r\nhello", 400),
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n"
     b"\r\n", 400),
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked"
     b"\r\n\r\n0\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n"
     b"Transfer-Encoding: gzip\r\n\r\n0\r\n\r\n", 400),
    (b"POST / HTTP/1.0\r\nConnection: keep-alive\r\n"
     b"Transfer-Encoding: identity\r\nContent-Length: 5\r\n\r\nhello",
     400),
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: x-y\r\n"
     b"Content-Length: 5\r\n\r\nhello", 501),
    # Host must be uri-host [":" port] (RFC 9112 3.2).
    (b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: a@b/c\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: a:80x\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400),
])
def test_refusals_answer_and_close(herd, request_, code):
    port = start(herd, "--body-max", "1k", app="echo").port()
    # The trailing request is never answered: the refusal closes.
    got = talk(port, request_ + b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert statuses(got) == [code], got[:200]
    assert b"Connection: close" in got


def test_host_forms_accepted(herd):
    port = start(herd, app="echo").port()
    for host in (b"", b"[::1]:8080", b"192.0.2.1", b"a.example:",
                 b"xn--caf-dma.example:443"):
        got = talk(port, b"GET / HTTP/1.1\r\nHost: " + host +
                   b"\r\nConnection: close\r\n\r\n")
        assert statuses(got) == [200], (host, got[:200])


def test_chunked_after_identity_or_gzip_is_read_chunked(herd):
    # identity before chunked is no coding; gzip under chunked is left to
    # the app. Either way the body is framed by chunked alone.
    port = start(herd, app="echo").port()
    for te in (b"identity, chunked", b"gzip ,\tCHUNKED"):
        got = talk(port, b"POST / HTTP/1.1\r\nHost: x\r\n"
                   b"Transfer-Encoding: " + te + b"\r\n\r\n"
                   b"5\r\nhello\r\n0\r\n\r\n"
                   b"GET /next HTTP/1.1\r\nHost: x\r\n"
                   b"Connection: close\r\n\r\n")
        assert statuses(got) == [200, 200], got
        assert b'"body": "hello"' in got and b'"target": "/next"' in got


def test_trickled_head_gets_408(herd):
    port = start(herd, "--read-timeout", "500ms").port()
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", port),
                                  timeout=10 * SLOW) as s:
        s.sendall(b"GET / HTTP/1.1\r\n")
        got = b""
        for ch in b"Host: x\r\n":
            try:
                s.sendall(bytes([ch]))
            except OSError:
                break
            time.sleep(0.1)
        while chunk := s.recv(65536):
            got += chunk
    assert statuses(got) == [408]
    assert time.monotonic() - t0 < 5 * SLOW


def test_idle_keepalive_is_closed(herd):
    port = start(herd, "--keepalive-timeout", "300ms").port()
    with socket.create_connection(("127.0.0.1", port),
                                  timeout=10 * SLOW) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        got = b""
        while chunk := s.recv(65536):
            got += chunk  # ends when herd closes the idle connection
    assert statuses(got) == [200]


def test_failing_handler_gets_500_and_close(herd):
    port = start(herd).port()
    got = talk(port, b"GET /fail HTTP/1.1\r\nHost: x\r\n\r\n"
               b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert statuses(got) == [500] and b"Connection: close" in got


def test_slow_reader_is_cut_without_harming_others(herd, tmp_path):
    (tmp_path / "big").write_bytes(b"x" * (32 << 20))
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1", "--app",
              f"static:{tmp_path}", "--write-timeout", "500ms"]).started(1)
    port = h.port()
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
    # Others are served meanwhile, and the reader is cut off.
    got = talk(port, b"GET /nope HTTP/1.1\r\nHost: x\r\n"
               b"Connection: close\r\n\r\n")
    assert statuses(got) == [404]
    # The reader reads nothing for a while: the kernel buffers fill (a few
    # MB on loopback) and herd's writes stop making progress, so the write
    # timeout ends the connection. What is then read is what was buffered.
    time.sleep(1.5 * SLOW)
    total = 0
    s.settimeout(10 * SLOW)
    try:
        while chunk := s.recv(1 << 20):
            total += len(chunk)
    except ConnectionResetError:
        pass
    s.close()
    assert total < 32 << 20


def test_many_connections_one_worker(herd):
    port = start(herd).port()
    socks = [socket.create_connection(("127.0.0.1", port), timeout=20 * SLOW)
             for _ in range(200)]
    for _ in range(3):
        for s in socks:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        for s in socks:
            got = b""
            while not got.endswith(b"hello, world\n"):
                got += s.recv(4096)
    for s in socks:
        s.close()


def test_access_log_and_reopen(herd, tmp_path):
    log = tmp_path / "access.log"
    h = start(herd, "--access-log", str(log))
    talk(h.port(), b"GET /a?b=1 HTTP/1.1\r\nHost: x\r\nReferer: r\r\n"
         b"User-Agent: t\"q\r\nConnection: close\r\n\r\n")
    wait_for(lambda: log.exists() and log.read_text(), 5 * SLOW, "a line")
    line = log.read_text()
    # Combined, as nginx writes it: the address without its port.
    assert re.match(r'127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:[\d:]{8} '
                    r'[+-]\d{4}\] "GET /a\?b=1 HTTP/1\.1" 200 13 "r" '
                    r'"t\\x22q"\n$', line), line
    os.rename(log, tmp_path / "access.log.1")
    h.signal(signal.SIGUSR1)
    wait_for(lambda: log.exists(), 5 * SLOW, "the log reopened")
    talk(h.port(), b"GET /b HTTP/1.0\r\n\r\n")
    wait_for(lambda: "GET /b" in log.read_text(), 5 * SLOW, "a new line")
    assert "GET /b" not in (tmp_path / "access.log.1").read_text()


def test_access_log_json(herd, tmp_path):
    log = tmp_path / "access.log"
    h = start(herd, "--access-log", str(log), "--access-log-format", "json")
    talk(h.port(), b"GET /a?b=\"1\" HTTP/1.1\r\nHost: x\r\nReferer: r\r\n"
         b"User-Agent: t\"q\\\xc3\xa9\r\nConnection: close\r\n\r\n")
    talk(h.port(), b"GET /b HTTP/1.0\r\n\r\n")
    wait_for(lambda: log.exists() and len(log.read_text().splitlines()) == 2,
             5 * SLOW, "two lines")
    a, b = [json.loads(line) for line in log.read_text().splitlines()]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:]{8}\.\d{3}Z", a["time"])
    assert a["remote_addr"] == "127.0.0.1" and a["remote_user"] is None
    assert (a["method"], a["uri"], a["protocol"]) == \
        ("GET", '/a?b="1"', "HTTP/1.1")
    assert a["status"] == 200 and a["body_bytes_sent"] == 13
    assert a["referer"] == "r" and a["user_agent"] == "t\"q\\\u00c3\u00a9"
    assert 0 <= a["request_time"] < 60
    assert b["referer"] is None and b["user_agent"] is None
    assert b["protocol"] == "HTTP/1.0"


def test_deferred_accept_listener_reads_at_once(herd):
    # With TCP_DEFER_ACCEPT the request is there when accept returns: the
    # worker reads it before the socket ever joins its epoll set. Both a
    # one-request and a keep-alive connection must work that way.
    h = herd(["--listen", "127.0.0.1:0,defer-accept=on", "--workers", "1",
              "--app", "hello"]).started(1)
    port = h.port()
    got = talk(port, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert statuses(got) == [200] and got.endswith(b"hello, world\n")
    with socket.create_connection(("127.0.0.1", port),
                                  timeout=5 * SLOW) as s:
        for _ in range(3):
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            while not data.endswith(b"hello, world\n"):
                data += s.recv(4096)


def test_bodies_from_memory_of_every_size(herd):
    # Small bodies leave in one buffer behind the head, larger ones from
    # where the app put them: sizes around the switch, one keep-alive
    # connection throughout, HEAD without a body in between.
    port = start(herd, app=TESTAPP).port()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10 * SLOW)
    for n in (0, 1, 2047, 2048, 2049, 4096, 300_000, 13):
        c.request("GET", f"/bytes/{n}")
        r = c.getresponse()
        assert r.status == 200 and r.getheader("Content-Length") == str(n)
        assert r.read() == pattern(n), n
        c.request("HEAD", f"/bytes/{n}")
        r = c.getresponse()
        assert r.getheader("Content-Length") == str(n) and r.read() == b""
    c.close()


def test_big_body_to_a_slow_reader_then_keepalive(herd):
    # 8 MiB from memory, more than the kernel buffers on both sides, to a
    # client that lets it wait: sends come back short and resume where
    # they stopped, and the connection then serves the next request.
    # (A tiny receive buffer would make TCP itself crawl, and the answer
    # would outlast keepalive-timeout, which starts once herd has handed
    # the whole answer to the kernel.)
    port = start(herd, app=TESTAPP).port()
    n = 8 << 20
    with socket.create_connection(("127.0.0.1", port),
                                  timeout=10 * SLOW) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        s.sendall(b"GET /bytes/%d HTTP/1.1\r\nHost: x\r\n\r\n" % n)
        time.sleep(0.2)
        got = b""
        while b"\r\n\r\n" not in got:
            got += s.recv(4096)
        head, body = got.split(b"\r\n\r\n", 1)
        assert b"Content-Length: %d" % n in head
        while len(body) < n:
            body += s.recv(65536)
        assert len(body) == n and body == pattern(n)
        s.sendall(b"GET /bytes/3 HTTP/1.1\r\nHost: x\r\n"
                  b"Connection: close\r\n\r\n")
        rest = b""
        while chunk := s.recv(4096):
            rest += chunk
        assert rest.startswith(b"HTTP/1.1 200 ") and rest.endswith(b"abc")
