# SPDX-License-Identifier: BSD-2-Clause
"""static:DIR: files with their types (a mime.types file, the built-in
table), index.html or a listing, validators and 304, ranges, large files by
sendfile, and nothing outside DIR ever served or listed."""
import html.parser
import http.client
import os
import resource
import socket
import stat
import subprocess
import time
import urllib.parse

import pytest

from conftest import HERD, SLOW, wait_for

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


# Directory listings (autoindex) --------------------------------------------

# Names an attacker would pick: markup, quotes, blanks, a newline, a
# scheme-like colon, bytes that are not UTF-8, UTF-8 that is, the longest
# name a file system allows.
TRICKY = [b"a<b>&\"c'.txt", b"with space.txt", b"new\nline.txt",
          b"javascript:alert(1)", b"\xff\xfe.bin", "\u00e9t\u00e9 \u2603.txt"
          .encode(), b"%41%2f.txt", b"#frag?q.txt", b"L" * 255]
LISTED_TAGS = {"html", "head", "meta", "title", "style", "body", "h1",
               "table", "tr", "th", "td", "a", "p"}


class Listing(html.parser.HTMLParser):
    """The rows of a listing: (href, link text, size, modified), and every
    tag seen."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows, self.tags, self.title, self.notes = [], set(), "", []
        self._row = self._cell = None
        self._in = None

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        if tag == "tr":
            self._row = {"cells": [], "href": None}
        elif tag == "td" and self._row is not None:
            self._cell = ""
        elif tag == "a" and self._row is not None:
            self._row["href"] = dict(attrs)["href"]
        self._in = tag

    def handle_endtag(self, tag):
        if tag == "td" and self._row is not None:
            self._row["cells"].append(self._cell)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row["href"] is not None:
                self.rows.append((self._row["href"], *self._row["cells"]))
            self._row = None
        self._in = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        elif self._in == "title":
            self.title += data
        elif self._in == "p":
            self.notes.append(data)


def parse_listing(body):
    p = Listing()
    p.feed(body.decode("utf-8"))  # strict: the page is UTF-8 throughout
    p.close()
    return p


def shown(name):
    """How a name's bytes appear in the page's text."""
    text = name.decode("utf-8", errors="replace")
    return "".join("\ufffd" if ord(c) < 0x20 or c == "\x7f" else c
                   for c in text)


@pytest.fixture
def tree(tmp_path):
    """A directory without index.html, with everything a listing must list,
    leave out or escape, beside what must never be reached."""
    root = tmp_path / "www"
    listed = root / "list"
    (listed / "sub").mkdir(parents=True)
    (listed / "sub" / "inner.txt").write_text("inner\n")
    (listed / "b-dir").mkdir()
    for i, name in enumerate(TRICKY):
        with open(os.path.join(bytes(listed), name), "wb") as f:
            f.write(b"x" * (i + 1))
    (listed / "digits.txt").write_text("0123456789")
    os.utime(listed / "digits.txt", (1_000_000_000, 1_000_000_000))
    (listed / ".hidden").write_text("hidden\n")
    os.symlink("digits.txt", listed / "alias.txt")
    os.symlink("../list/sub", listed / "sub-alias")
    os.symlink(tmp_path / "secret", listed / "leak")
    os.symlink("../../secret", listed / "leak-relative")
    os.symlink(tmp_path, listed / "leakdir")
    os.symlink("nowhere", listed / "dangling")
    os.mkfifo(listed / "fifo")
    (listed / "back\\slash").write_text("b\n")
    (tmp_path / "secret").write_bytes(SECRET)
    return root


def autoindex_herd(herd, root, *flags):
    return herd(["--listen", "127.0.0.1:0", "--workers", "1", "--app",
                 f"static:{root}", *flags]).started(1)


def test_listing_lists_escapes_sorts_and_links(herd, tree):
    port = autoindex_herd(herd, tree, "--autoindex").port()
    st, r, body = get(port, "/list/")
    assert st == 200, body
    assert r.getheader("Content-Type") == "text/html; charset=utf-8"
    assert "default-src 'none'" in r.getheader("Content-Security-Policy")
    page = parse_listing(body)
    assert page.title == "Index of /list/"
    # Nothing but the page's own markup: no name became a tag.
    assert page.tags <= LISTED_TAGS, page.tags
    assert SECRET not in body
    listed = tree / "list"
    files = TRICKY + [b"digits.txt", b"alias.txt"]
    dirs = [b"b-dir", b"sub", b"sub-alias"]
    want = ([(b"../", None)] +
            [(d + b"/", None) for d in sorted(dirs)] +
            [(f, os.stat(os.path.join(bytes(listed), f)).st_size)
             for f in sorted(files)])
    got = [(urllib.parse.unquote_to_bytes(href), text, size, when)
           for href, text, size, when in page.rows]
    assert [(g[0], g[1]) for g in got] == [
        (n, shown(n)) for n, _ in want], page.rows
    for (name, size), (_, _, gsize, gwhen) in zip(want[1:], got[1:]):
        if size is None:
            assert gsize == "-"
        else:
            assert gsize == str(size), name
        mtime = os.stat(os.path.join(bytes(listed), name.rstrip(b"/"))
                        ).st_mtime
        assert gwhen == time.strftime("%Y-%m-%d %H:%M", time.gmtime(mtime))
    # Every link leads where it says, relative to the page; hrefs carry
    # no scheme, no fragment, no query of their own.
    for href, *_ in page.rows[1:]:  # after ../, which static refuses
        assert ":" not in href and "#" not in href and "?" not in href
        st, _, got_body = get(port, "/list/" + href)
        assert st == 200, href
        name = urllib.parse.unquote_to_bytes(href)
        if not name.endswith(b"/") and name != b"../":
            assert got_body == (listed / os.fsdecode(name)).read_bytes()


def test_listing_redirects_head_and_query(herd, tree):
    port = autoindex_herd(herd, tree, "--autoindex").port()
    # Without the slash the links would resolve in the parent: 301 first,
    # the query kept.
    st, r, _ = get(port, "/list")
    assert st == 301 and r.getheader("Location") == "/list/"
    st, r, _ = get(port, "/list/sub?x=1&y=%20")
    assert st == 301 and r.getheader("Location") == "/list/sub/?x=1&y=%20"
    st, r, full = get(port, "/list/sub/")
    assert st == 200
    assert [row[0] for row in parse_listing(full).rows] == [
        "../", "inner.txt"]
    st, r, body = get(port, "/list/sub/", "HEAD")
    assert st == 200 and body == b""
    assert r.getheader("Content-Length") == str(len(full))
    assert get(port, "/list/sub/?C=M;O=A")[2] == full
    # The root itself, with no parent link.
    st, _, body = get(port, "/")
    assert [row[0] for row in parse_listing(body).rows] == ["list/"]
    # index.html still wins over a listing.
    (tree / "list" / "sub" / "index.html").write_text("<p>index</p>")
    assert get(port, "/list/sub/")[2] == b"<p>index</p>"


@pytest.mark.parametrize("target", [
    b"/list/leak", b"/list/leak-relative", b"/list/leakdir/",
    b"/list/leakdir/secret", b"/list/../secret", b"/list/%2e%2e/",
    b"/list/dangling", b"/list/fifo",
])
def test_listing_leads_nowhere_outside(herd, tree, target):
    port = autoindex_herd(herd, tree, "--autoindex").port()
    data = raw(port, target)
    assert SECRET not in data
    assert int(data.split(b" ", 2)[1]) in (400, 403, 404), data[:200]


def test_autoindex_off_is_404(herd, tree):
    # Off by default for a named app: a directory without index.html is
    # 404, as before listings existed (nginx answers 403; herd says as
    # little as it can about what is there).
    port = autoindex_herd(herd, tree).port()
    st, _, body = get(port, "/list/")
    assert st == 404 and b"digits" not in body
    port = autoindex_herd(herd, tree, "--no-autoindex").port()
    assert get(port, "/list/")[0] == 404


def test_unreadable_directory_is_403(herd, tree):
    (tree / "list" / "sub").chmod(0)
    # As root the worker would read it anyway (CAP_DAC_OVERRIDE): with no
    # capabilities the mode bites for root too.
    port = autoindex_herd(herd, tree, "--autoindex", "--capabilities",
                          "none").port()
    try:
        st, _, body = get(port, "/list/sub/")
        assert st == 403 and b"inner" not in body
        assert get(port, "/list/")[0] == 200
    finally:
        (tree / "list" / "sub").chmod(0o755)


def test_huge_directory_is_listed_in_bounds(herd, tmp_path):
    root = tmp_path / "huge"
    root.mkdir()
    n = 10_500
    for i in range(n):
        (root / f"f{i:05d}").touch()
    port = autoindex_herd(herd, root, "--autoindex").port()
    st, _, body = get(port, "/")
    assert st == 200
    page = parse_listing(body)
    assert len(page.rows) == 10_000
    assert any("Listing cut after 10000 entries" in t for t in page.notes)
    # The worker is still serving.
    assert get(port, "/f00001")[0] == 200


def test_embedded_default_lists_the_current_directory(herd, tmp_path):
    # `herd` with nothing named (`make run`) opens on a listing; the same
    # app named explicitly does not list.
    (tmp_path / "a.txt").write_text("a\n")
    (tmp_path / "d").mkdir()
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1"],
             popen=lambda argv, **kw: subprocess.Popen(
                 argv, cwd=tmp_path, **kw)).started(1)
    st, _, body = get(h.port(), "/")
    assert st == 200
    names = [row[0] for row in parse_listing(body).rows]
    assert names[0] == "d/" and "a.txt" in names
    h2 = herd(["--listen", "127.0.0.1:0", "--workers", "1", "--app",
               "static:."], popen=lambda argv, **kw: subprocess.Popen(
                   argv, cwd=tmp_path, **kw)).started(1)
    assert get(h2.port(), "/")[0] == 404


def test_autoindex_is_a_config_key(herd, tree, tmp_path):
    conf = tmp_path / "herd.conf"
    conf.write_text(f"listen = 127.0.0.1:0\nworkers = 1\n"
                    f"app = static:{tree}\nautoindex = on\n")
    port = herd(["-c", str(conf)]).started(1).port()
    assert get(port, "/list/")[0] == 200
    conf.write_text("autoindex = maybe\n")
    r = subprocess.run([HERD, "-c", str(conf), "-t"], capture_output=True,
                       text=True, timeout=30 * SLOW)
    assert r.returncode == 78 and "autoindex" in r.stderr, r.stderr


# MIME types -----------------------------------------------------------------

def test_mime_types_file(herd, site, tmp_path):
    types = tmp_path / "mime.types"
    types.write_bytes(
        b"# a comment\n"
        b"text/x-herd\t\therd hrd # trailing comment\n"
        b"application/x-override css\n"
        b"application/x-later herd\n"        # the first line wins
        b"not-a-type md\n"                   # no slash: skipped
        b"text/\xff\xfe bad\n"               # not ASCII: skipped
        b"a/b/c md\n"
        b"image/x-long " + b"e" * 5000 + b"\n"
        b"\x00\x01\x02 garbage\r\n"
        b"application/x-crlf\tcrlf\r\n"
        b"application/x-" + b"t" * 200 + b" toolong\n")
    for name in ("x.herd", "x.HRD", "x.crlf", "x.toolong", "x.bad"):
        (site / name).write_text("x")
    port = herd(["--listen", "127.0.0.1:0", "--workers", "1", "--app",
                 f"static:{site}", "--mime-types", str(types)]
                ).started(1).port()

    def ctype(path):
        st, r, _ = get(port, path)
        assert st == 200, path
        return r.getheader("Content-Type")
    assert ctype("/x.herd") == "text/x-herd; charset=utf-8"
    assert ctype("/x.HRD") == "text/x-herd; charset=utf-8"
    assert ctype("/style.css") == "application/x-override"
    assert ctype("/x.crlf") == "application/x-crlf"
    # What the file does not say (well), the built-in table does.
    assert ctype("/README.md") == "text/markdown; charset=utf-8"
    assert ctype("/sub/data.json") == "application/json"
    assert ctype("/x.toolong") == "application/octet-stream"
    assert ctype("/x.bad") == "application/octet-stream"


def test_mime_types_none_and_system_file(herd, site):
    (site / "page.shtml").write_text("x")
    port = herd(["--listen", "127.0.0.1:0", "--workers", "1", "--app",
                 f"static:{site}", "--mime-types", "none"]
                ).started(1).port()
    assert get(port, "/page.shtml")[1].getheader("Content-Type") == \
        "application/octet-stream"
    assert get(port, "/style.css")[1].getheader("Content-Type") == \
        "text/css; charset=utf-8"
    if not os.path.exists("/etc/mime.types"):
        pytest.skip("no /etc/mime.types here to read by default")
    with open("/etc/mime.types", errors="replace") as f:
        said = [line.split() for line in f
                if not line.startswith("#") and "shtml" in line.split()]
    if not said:
        pytest.skip("/etc/mime.types says nothing of .shtml")
    port = herd(["--listen", "127.0.0.1:0", "--workers", "1", "--app",
                 f"static:{site}"]).started(1).port()
    want = said[0][0]
    got = get(port, "/page.shtml")[1].getheader("Content-Type")
    assert got.split(";")[0] == want


@pytest.mark.parametrize("make, why", [
    (lambda p: p.write_bytes(b"text/x a\n" * (1024 * 1024 // 9 + 1)),
     "larger than 1 MiB"),
    (lambda p: p.mkdir(), "not a regular file"),
    (lambda p: os.mkfifo(p), "not a regular file"),
    (lambda p: None, "No such file or directory"),
])
def test_mime_types_named_but_unusable_is_refused(site, tmp_path, make, why):
    path = tmp_path / "types"
    make(path)
    r = subprocess.run([HERD, "-t", "--app", f"static:{site}",
                        "--mime-types", str(path)], capture_output=True,
                       text=True, timeout=30 * SLOW)
    assert r.returncode == 78, r.stderr
    assert f"mime-types: {path}: {why}" in r.stderr, r.stderr


def test_mime_types_binary_junk_is_harmless(herd, site, tmp_path):
    junk = tmp_path / "junk.types"
    junk.write_bytes(os.urandom(256 * 1024) + b"\ntext/x-ok ok\n")
    (site / "a.ok").write_text("x")
    port = herd(["--listen", "127.0.0.1:0", "--workers", "1", "--app",
                 f"static:{site}", "--mime-types", str(junk)]
                ).started(1).port()
    assert get(port, "/a.ok")[1].getheader("Content-Type") == \
        "text/x-ok; charset=utf-8"
    assert get(port, "/digits.txt")[2] == b"0123456789"
