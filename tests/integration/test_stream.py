# SPDX-License-Identifier: BSD-2-Clause
"""Apps that stream (stream_body, herd_response_write): a request body read
piece by piece as it arrives, in pieces smaller than its framing, with a
pipelined request behind it; a streamed response, chunked on HTTP/1.1 and
up to the close on HTTP/1.0, to a client slower than the worker; a client
that leaves mid-stream; the bytes it reads counted in the status. The app is testapp.so's testapp_stream symbol."""
import json
import os
import socket
import subprocess
import time

from conftest import BUILD, HERD, SLOW

APP = os.path.join(BUILD, "tests", "testapp.so") + ":testapp_stream"


def pattern(n, start=0):
    return bytes(97 + (start + i) % 26 for i in range(n))


def start(herd, *flags):
    return herd(["--listen", "127.0.0.1:0", "--workers", "1", "--app", APP,
                 *flags]).started(1)


def connect(port, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(15 * SLOW)
    s.connect(("127.0.0.1", port))
    return s


def read_head(f):
    """Status code and header fields (names lower-cased) of one response."""
    line = f.readline()
    assert line.startswith(b"HTTP/1."), line
    code = int(line.split()[1])
    fields = {}
    while (line := f.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        fields[name.strip().lower()] = value.strip()
    return code, fields


def read_chunk(f):
    """The data of the next chunk; b"" for the last one (and trailers)."""
    size = int(f.readline().split(b";")[0], 16)
    if size == 0:
        assert f.readline() == b"\r\n"
        return b""
    data = f.read(size)
    assert f.read(2) == b"\r\n"
    return data


def read_response(f, head=False):
    code, fields = read_head(f)
    body = b""
    if head:
        return code, fields, body
    if fields.get("transfer-encoding") == "chunked":
        while data := read_chunk(f):
            body += data
    elif "content-length" in fields:
        body = f.read(int(fields["content-length"]))
    else:
        body = f.read()
    return code, fields, body


def chunked(data, size):
    out = b""
    for i in range(0, len(data), size):
        piece = data[i:i + size]
        out += b"%x;ext=1\r\n%s\r\n" % (len(piece), piece)
    return out + b"0\r\nX-Trailer: t\r\n\r\n"


def test_body_read_in_pieces_smaller_than_its_framing_then_pipelined(herd):
    """Reads of 3 bytes through chunk framing longer than that, the whole
    request already buffered, then the pipelined request behind it."""
    port = start(herd).port()
    body = pattern(5000)
    with connect(port) as s, s.makefile("rb") as f:
        s.sendall(b"POST /echo/3 HTTP/1.1\r\nHost: x\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n" + chunked(body, 700) +
                  b"POST /echo/3 HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Length: 10\r\n\r\n0123456789"
                  b"GET /stream/5 HTTP/1.1\r\nHost: x\r\n\r\n")
        code, fields, got = read_response(f)
        assert code == 200 and got == body
        assert fields["connection"] == "keep-alive"
        code, _, got = read_response(f)
        assert code == 200 and got == b"0123456789"
        code, _, got = read_response(f)
        assert code == 200 and got == b"abcde"


def test_request_strings_stay_valid_while_a_chunked_body_is_read(herd):
    """A head that fills the first input buffer exactly (4096 bytes): the
    body read behind it must not move it, since the app holds X-Tag."""
    port = start(herd).port()
    head = (b"POST /echo/100 HTTP/1.1\r\nHost: x\r\nX-Tag: tag-end\r\n"
            b"Transfer-Encoding: chunked\r\nX-Pad: ")
    head += b"p" * (4096 - len(head) - 4) + b"\r\n\r\n"
    assert len(head) == 4096
    body = pattern(3000)
    with connect(port) as s, s.makefile("rb") as f:
        s.sendall(head + chunked(body, 1000))
        code, _, got = read_response(f)
    assert code == 200 and got == body + b"tag-end"


def test_body_is_read_as_it_arrives(herd):
    """Each piece is echoed before the client sends the next: the app
    reads what came, not the whole body."""
    port = start(herd).port()
    pieces = [pattern(100, i) for i in range(5)]
    for framing in ("chunked", "length"):
        with connect(port) as s, s.makefile("rb") as f:
            if framing == "chunked":
                s.sendall(b"POST /echo/4096 HTTP/1.1\r\nHost: x\r\n"
                          b"Transfer-Encoding: chunked\r\n\r\n")
            else:
                s.sendall(b"POST /echo/4096 HTTP/1.1\r\nHost: x\r\n"
                          b"Content-Length: %d\r\n\r\n" %
                          sum(map(len, pieces)))
            for i, piece in enumerate(pieces):
                if framing == "chunked":
                    s.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
                else:
                    s.sendall(piece)
                if i == 0:
                    code, fields = read_head(f)
                    assert code == 200
                    assert fields["transfer-encoding"] == "chunked"
                assert read_chunk(f) == piece
            if framing == "chunked":
                s.sendall(b"0\r\n\r\n")
            assert read_chunk(f) == b""
            s.sendall(b"GET /stream/3 HTTP/1.1\r\nHost: x\r\n"
                      b"Connection: close\r\n\r\n")
            code, fields, got = read_response(f)
            assert code == 200 and got == b"abc"
            assert fields["connection"] == "close"


def test_streamed_response_to_a_slow_reader(herd):
    """Far more than the socket buffers hold, to a client that reads a
    little at a time: the worker waits for it, loses nothing, and keeps
    the connection for the next request."""
    port = start(herd).port()
    n = 8 << 20
    with connect(port, rcvbuf=4096) as s, s.makefile("rb") as f:
        s.sendall(b"GET /stream/%d HTTP/1.1\r\nHost: x\r\n\r\n" % n)
        code, fields = read_head(f)
        assert code == 200 and fields["transfer-encoding"] == "chunked"
        got = bytearray()
        while data := read_chunk(f):
            got += data
            if len(got) < (1 << 20):
                time.sleep(0.001)  # slow, not an assertion
        assert len(got) == n and got == pattern(n)
        s.sendall(b"GET /stream/2 HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(f)[2] == b"ab"


def test_streamed_response_on_http10_ends_with_the_close(herd):
    port = start(herd).port()
    with connect(port) as s, s.makefile("rb") as f:
        s.sendall(b"GET /stream/100000 HTTP/1.0\r\n"
                  b"Connection: keep-alive\r\n\r\n")
        code, fields, got = read_response(f)
    assert code == 200 and got == pattern(100000)
    assert "transfer-encoding" not in fields
    assert "content-length" not in fields
    assert fields["connection"] == "close"


def test_streamed_response_to_head_has_no_body(herd):
    port = start(herd).port()
    with connect(port) as s, s.makefile("rb") as f:
        s.sendall(b"HEAD /stream/1000 HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"GET /stream/4 HTTP/1.1\r\nHost: x\r\n\r\n")
        code, fields, _ = read_response(f, head=True)
        assert code == 200
        code, _, got = read_response(f)
        assert code == 200 and got == b"abcd"


def test_client_leaving_mid_stream_costs_only_its_connection(herd):
    h = start(herd)
    port = h.port()
    before = h.workers()
    with connect(port, rcvbuf=4096) as s:
        s.sendall(b"GET /stream/%d HTTP/1.1\r\nHost: x\r\n\r\n" % (64 << 20))
        assert s.recv(4096).startswith(b"HTTP/1.1 200 ")
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     b"\x01\x00\x00\x00\x00\x00\x00\x00")
    with connect(port) as s, s.makefile("rb") as f:
        s.sendall(b"GET /stream/3 HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(f)[2] == b"abc"
    assert h.workers() == before


def test_streamed_body_counts_in_the_status_bytes_in(herd, tmp_path):
    conf = tmp_path / "herd.conf"
    conf.write_text(f"listen = 127.0.0.1:0\nworkers = 1\napp = {APP}\n")
    h = herd(["-c", str(conf)]).started(1)
    body = pattern(200000)
    with connect(h.port()) as s, s.makefile("rb") as f:
        s.sendall(b"POST /echo/4096 HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(body))
        for i in range(0, len(body), 65536):
            s.sendall(body[i:i + 65536])
        assert read_response(f)[2] == body
    r = subprocess.run([HERD, "ctl", "-c", str(conf), "status", "--json"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r
    [w] = json.loads(r.stdout)["workers"]
    assert w["scoreboard"]["bytes_in"] >= len(body)
