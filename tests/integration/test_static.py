"""static:DIR: files with their types, index.html, validators and 304,
ranges, large files by sendfile, and nothing outside DIR ever served."""
import http.client
import os
import resource
import socket
import stat

import pytest

from conftest import SLOW, wait_for

SECRET = b"TOP-SECRET-OUTSIDE-THE-ROOT"


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "www"
    (root / "sub").mkdir(parents=True)
    (root / "index.html").write_text("<h1>home</h1>\n")
    (root / "style.css").write_text("body{}\n")
    (root / "sub" / "data.json").write_text('{"a": 1}\n')
    (root / "empty").mkdir()
    (root / "big.bin").write_bytes(os.urandom(5 * 1024 * 1024))
    (root / "digits.txt").write_text("0123456789")
    (root / "README.md").write_text("# hi\n")
    (tmp_path / "secret").write_bytes(SECRET)
    (tmp_path / "outdir").mkdir()
    (tmp_path / "outdir" / "secret").write_bytes(SECRET)
    os.symlink(tmp_path / "secret", root / "leak")
    os.symlink("../secret", root / "leak-relative")
    os.symlink(tmp_path / "outdir", root / "leakdir")
    os.symlink("digits.txt", root / "alias.txt")
    return root


@pytest.fixture
def port(herd, site):
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1", "--app",
              f"static:{site}"]).started(1)
    return h.port()


def get(port, path, method="GET", headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10 * SLOW)
    c.request(method, path, headers=headers or {})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, r, body


def raw(port, target):
    """The target exactly as written, no client normalising it."""
    with socket.create_connection(("127.0.0.1", port),
                                  timeout=10 * SLOW) as s:
        s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n"
                  b"Connection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data


def test_files_types_and_index(port, site):
    st, r, body = get(port, "/style.css")
    assert (st, body) == (200, b"body{}\n")
    assert r.getheader("Content-Type") == "text/css; charset=utf-8"
    st, r, body = get(port, "/sub/data.json")
    assert st == 200 and r.getheader("Content-Type") == "application/json"
    st, r, body = get(port, "/README.md")
    assert r.getheader("Content-Type") == "text/markdown; charset=utf-8"
    st, r, body = get(port, "/")
    assert (st, body) == (200, b"<h1>home</h1>\n")
    assert r.getheader("Content-Type").startswith("text/html")
    st, r, _ = get(port, "/sub")
    assert st == 301 and r.getheader("Location") == "/sub/"
    assert get(port, "/empty/")[0] == 404
    assert get(port, "/nope")[0] == 404
    assert get(port, "/alias.txt")[2] == b"0123456789"


def test_head_and_methods(port):
    st, r, body = get(port, "/style.css", "HEAD")
    assert st == 200 and body == b"" and r.getheader("Content-Length") == "7"
    st, r, _ = get(port, "/style.css", "POST")
    assert st == 405 and r.getheader("Allow") == "GET, HEAD"


def test_validators_give_304(port):
    _, r, _ = get(port, "/style.css")
    etag, modified = r.getheader("ETag"), r.getheader("Last-Modified")
    assert etag and modified
    st, r, body = get(port, "/style.css", headers={"If-None-Match": etag})
    assert st == 304 and body == b"" and r.getheader("ETag") == etag
    st, _, _ = get(port, "/style.css",
                   headers={"If-None-Match": f'"x", W/{etag}'})
    assert st == 304
    st, _, _ = get(port, "/style.css",
                   headers={"If-Modified-Since": modified})
    assert st == 304
    # If-None-Match takes precedence over If-Modified-Since.
    st, _, _ = get(port, "/style.css", headers={
        "If-None-Match": '"other"', "If-Modified-Since": modified})
    assert st == 200


@pytest.mark.parametrize("spec, status, body, crange", [
    ("bytes=2-4", 206, b"234", "bytes 2-4/10"),
    ("bytes=7-", 206, b"789", "bytes 7-9/10"),
    ("bytes=-3", 206, b"789", "bytes 7-9/10"),
    ("bytes=5-100", 206, b"56789", "bytes 5-9/10"),
    ("bytes=10-", 416, None, "bytes */10"),
    ("bytes=0-1,4-5", 200, b"0123456789", None),
    ("lines=1-2", 200, b"0123456789", None),
    # Numbers past 63 and 64 bits (RFC 9110 14.1.2): a last-byte-pos past
    # the end means the end, a suffix longer than the file the whole file,
    # a first-byte-pos past the end 416; a first past the last is no range.
    ("bytes=5-9223372036854775807", 206, b"56789", "bytes 5-9/10"),
    ("bytes=5-9223372036854775808", 206, b"56789", "bytes 5-9/10"),
    ("bytes=0-18446744073709551615", 206, b"0123456789", "bytes 0-9/10"),
    ("bytes=0-18446744073709551616", 206, b"0123456789", "bytes 0-9/10"),
    ("bytes=3-" + "9" * 40, 206, b"3456789", "bytes 3-9/10"),
    ("bytes=-9223372036854775808", 206, b"0123456789", "bytes 0-9/10"),
    ("bytes=-18446744073709551615", 206, b"0123456789", "bytes 0-9/10"),
    ("bytes=-18446744073709551617", 206, b"0123456789", "bytes 0-9/10"),
    ("bytes=-10", 206, b"0123456789", "bytes 0-9/10"),
    ("bytes=-0", 416, None, "bytes */10"),
    ("bytes=9223372036854775807-", 416, None, "bytes */10"),
    ("bytes=9223372036854775808-", 416, None, "bytes */10"),
    ("bytes=18446744073709551616-", 416, None, "bytes */10"),
    ("bytes=9223372036854775808-9223372036854775809", 416, None,
     "bytes */10"),
    ("bytes=18446744073709551616-5", 200, b"0123456789", None),
    ("bytes=6-5", 200, b"0123456789", None),
    ("bytes=--1", 200, b"0123456789", None),
    ("bytes=1--2", 200, b"0123456789", None),
    ("bytes=+1-2", 200, b"0123456789", None),
    ("bytes=1-+2", 200, b"0123456789", None),
    ("bytes= 1-2", 200, b"0123456789", None),
    ("bytes=1-2x", 200, b"0123456789", None),
    ("bytes=-", 200, b"0123456789", None),
])
def test_ranges(port, spec, status, body, crange):
    st, r, got = get(port, "/digits.txt", headers={"Range": spec})
    assert st == status
    if body is not None:
        assert got == body
    assert r.getheader("Content-Range") == crange
    # The worker is still the one that answered before.
    assert get(port, "/digits.txt")[2] == b"0123456789"


def test_big_file_arrives_whole(port, site):
    st, r, body = get(port, "/big.bin")
    assert st == 200 and body == (site / "big.bin").read_bytes()


@pytest.mark.parametrize("target", [
    b"/../secret", b"/%2e%2e/secret", b"/%2E%2e%2fsecret",
    b"/sub/..%2f..%2fsecret", b"/sub/../../secret", b"/%00",
    b"/x%00.html", b"/leak", b"/leak-relative", b"/leakdir/secret",
    b"/%5c..%5csecret", b"/sub/%2e%2e/%2e%2e/secret", b"//../secret",
])
def test_nothing_outside_the_root(port, target):
    data = raw(port, target)
    assert SECRET not in data
    status = int(data.split(b" ", 2)[1])
    assert status in (400, 403, 404), data[:200]


def test_fifo_socket_and_device_are_not_opened_for_reading(herd, site):
    # Opening a FIFO for reading blocks until a writer comes: the worker
    # would hang there, with every connection it holds, until `timeout`
    # killed it. Only regular files are served; the rest is 404 at once.
    os.mkfifo(site / "fifo")
    (site / "fifodir").mkdir()
    os.mkfifo(site / "fifodir" / "index.html")
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(str(site / "sock"))
    paths = ["/fifo", "/fifodir/", "/sock"]
    try:
        # The null device: harmless to open, and still not a file.
        os.mknod(site / "null", 0o644 | stat.S_IFCHR, os.makedev(1, 3))
        paths.append("/null")
    except PermissionError:
        pass  # no CAP_MKNOD here (CI runs as root): the rest still runs
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1", "--app",
              f"static:{site}", "--timeout", "60s"]).started(1)
    port = h.port()
    worker = h.workers()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10 * SLOW)
    for path in paths + ["/digits.txt"]:
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        if path == "/digits.txt":
            assert (r.status, body) == (200, b"0123456789")
        else:
            assert r.status == 404, path
    c.close()
    assert h.workers() == worker
    unix.close()


def fd_numbers(pid):
    return [int(n) for n in os.listdir(f"/proc/{pid}/fd")]


def test_out_of_descriptors_is_503_not_404(herd, site):
    # A file that exists but cannot be opened for want of a descriptor is
    # a passing condition (503, Retry-After), never a cacheable 404.
    h = herd(["--listen", "127.0.0.1:0,defer-accept=off", "--workers", "1",
              "--app", f"static:{site}"]).started(1)
    port = h.port()
    worker = h.workers()[0]
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10 * SLOW)
    c.request("GET", "/digits.txt")
    r = c.getresponse()
    assert (r.status, r.read()) == (200, b"0123456789")
    # The worker may open no descriptor above its highest one; idle
    # connections then fill any hole below it, until accept itself fails.
    soft, hard = resource.prlimit(worker, resource.RLIMIT_NOFILE)
    resource.prlimit(worker, resource.RLIMIT_NOFILE,
                     (max(fd_numbers(worker)) + 1, hard))
    held = []
    try:
        for _ in range(64):
            held.append(socket.create_connection(("127.0.0.1", port),
                                                 timeout=5 * SLOW))
            if "accept: Too many open files" in h.log():
                break
        h.wait_log(r"accept: Too many open files; shedding the backlog",
                   timeout=5 * SLOW)
        c.request("GET", "/digits.txt")
        r = c.getresponse()
        body = r.read()
        assert r.status == 503, (r.status, body)
        assert r.getheader("Retry-After") == "1"
        assert r.getheader("Cache-Control") == "no-store"
    finally:
        c.close()
        for s in held:
            s.close()
        resource.prlimit(worker, resource.RLIMIT_NOFILE, (soft, hard))
    wait_for(lambda: get(port, "/digits.txt")[0] == 200, 5 * SLOW,
             "service back")
    h.wait_log(r"accept: descriptors available again")
