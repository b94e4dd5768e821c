# SPDX-License-Identifier: BSD-2-Clause
"""In-process mode under the master: herd's own HTTP workers keep the
descriptor invariant, report readiness, are respawned, reloaded and carried
across an upgrade like exec-mode workers; --app's errors are clear; the
embedded default serves the current directory."""
import http.client
import os
import signal
import subprocess

import pytest

from conftest import HERD, alive, fds, http_get, status, wait_for, SLOW
from zdt import ctl


def get(port, path="/", method="GET", body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10 * SLOW)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, dict(r.getheaders()), data


def test_hello_serves_and_reports_ready(herd):
    h = herd(["--listen", "127.0.0.1:0", "--workers", "2", "--app",
              "hello"]).started(2)
    status_, headers, body = get(h.port())
    assert (status_, body) == (200, b"hello, world\n")
    assert headers["Content-Length"] == "13" and "Date" in headers
    h.wait_log(r"worker \d \(pid \d+, gen 1\): ready after")
    pid = int(get(h.port(), "/pid")[2])
    assert pid in h.workers()
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        assert f.read().startswith(b"herd: worker ")


def test_worker_holds_only_its_descriptors(herd):
    h = herd(["--listen", "127.0.0.1:0", "--listen", "127.0.0.1:0,name=b",
              "--workers", "2", "--app", "hello"]).started(2)
    get(h.port("listen0"))

    def settled(pid):
        # The client's connection is closed by the worker on its FIN.
        return len(fds(pid)) == 8

    for pid in h.workers():
        wait_for(lambda: settled(pid), 5 * SLOW, "connection closed")
        got = fds(pid)
        assert got[0] == "/dev/null"
        # stdout and stderr: two pipes (info and warn in the log).
        assert got[1].startswith("pipe:") and got[2].startswith("pipe:")
        assert got[1] != got[2]
        assert got[3].startswith("socket:") and got[4].startswith("socket:")
        # Beyond the placed ones, only the worker's own epoll, signalfd
        # and the descriptor it keeps in reserve for shedding connections
        # on EMFILE: nothing of the master's (notify or control socket,
        # pidfds, log file, other workers' pipes).
        extra = sorted(t for n, t in got.items() if n > 4)
        assert extra == ["/dev/null", "anon_inode:[eventpoll]",
                         "anon_inode:[signalfd]"], got
        assert int(status(pid)["SigIgn"], 16) == 1 << (signal.SIGPIPE - 1)


def test_killed_worker_is_replaced(herd):
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1", "--app",
              "hello"]).started(1)
    victim = int(get(h.port(), "/pid")[2])
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: victim not in h.workers() and h.ready_workers(), 5 * SLOW,
             "a replacement")
    assert int(get(h.port(), "/pid")[2]) != victim


def test_reload_replaces_workers_and_keeps_serving(herd, tmp_path):
    conf = tmp_path / "herd.conf"
    base = (f"listen = 127.0.0.1:0\nworkers = 2\n"
            f"control-socket = {tmp_path / 'ctl.sock'}\n")
    conf.write_text(base + "app = hello\n")
    h = herd(["-c", str(conf)]).started(2)
    port = h.port()
    before = set(h.workers())
    assert get(port)[2] == b"hello, world\n"
    conf.write_text(base + "app = echo\n")
    assert ctl(conf, "reload").returncode == 0
    wait_for(lambda: not (set(h.workers()) & before), 10 * SLOW,
             "old workers gone")
    status_, headers, body = get(port, "/x?y=1")
    assert status_ == 200 and b'"target": "/x?y=1"' in body


def test_graceful_stop_finishes_the_request_in_flight(herd):
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1", "--app",
              "hello"]).started(1)
    c = http.client.HTTPConnection("127.0.0.1", h.port(), timeout=10 * SLOW)
    c.request("GET", "/sleep/700")
    h.signal(signal.SIGQUIT)
    r = c.getresponse()
    assert r.status == 200 and r.read() == b"hello, world\n"
    # That answer may have said keep-alive (the drain began while it was
    # being made): the connection takes one more request, the last.
    if r.getheader("Connection") == "keep-alive":
        c.request("GET", "/")
        r = c.getresponse()
        assert r.status == 200 and r.read() == b"hello, world\n"
    assert r.getheader("Connection") == "close"
    assert h.wait_exit() == 0


def test_upgrade_keeps_serving_in_process(herd, tmp_path):
    pid_file = tmp_path / "herd.pid"
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1", "--app", "hello",
              "--pid-file", str(pid_file)]).started(1)
    port = h.port()
    old_worker = int(get(port, "/pid")[2])
    h.signal(signal.SIGUSR2)
    wait_for(lambda: not alive(old_worker), 15 * SLOW, "old worker gone")
    new_master = int(pid_file.read_text())
    assert new_master != h.proc.pid
    h.pid = new_master
    assert get(port)[2] == b"hello, world\n"


def test_missing_shared_object_is_refused_clearly(herd, tmp_path):
    r = subprocess.run([HERD, "-t", "--app", str(tmp_path / "nope.so")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert "nope.so: cannot open shared object file" in r.stderr, r.stderr


def test_missing_symbol_is_refused_clearly(tmp_path):
    so = os.path.join(os.path.dirname(HERD), "examples", "greet.so")
    r = subprocess.run([HERD, "-t", "--app", so + ":no_such_app"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert "greet.so: no symbol no_such_app" in r.stderr, r.stderr
    r = subprocess.run([HERD, "-t", "--app", "nonsense"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "unknown app" in r.stderr, r.stderr


def test_app_and_command_exclude_each_other():
    r = subprocess.run([HERD, "-t", "--app", "hello", "--", "/bin/true"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert "app and command exclude each other" in r.stderr, r.stderr


def test_shared_object_app(herd):
    so = os.path.join(os.path.dirname(HERD), "examples", "greet.so")
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1", "--app",
              so]).started(1)
    status_, _, body = get(h.port(), "/?name=so")
    assert status_ == 200 and body.startswith(b"hello, so (request 1 of ")
    status_, _, body = get(h.port(), "/", "POST", b"x" * 1000)
    assert body == b"got 1000 bytes\n"


@pytest.mark.parametrize("name", ["greet", "greet-shared"])
def test_linked_program(herd, name):
    """The example linked with libherd.a, and with libherd.so."""
    prog = os.path.join(os.path.dirname(HERD), "examples", name)
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1"],
             popen=lambda argv, **kw: subprocess.Popen(
                 [prog] + argv[1:], **kw)).started(1)
    status_, _, body = get(h.port(), "/?name=linked")
    assert status_ == 200 and body.startswith(b"hello, linked"), body
    h.signal(signal.SIGQUIT)
    assert h.wait_exit() == 0


def test_embedded_default_serves_the_current_directory(herd, tmp_path):
    (tmp_path / "index.html").write_text("<p>here</p>\n")
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1"],
             popen=lambda argv, **kw: subprocess.Popen(
                 argv, cwd=tmp_path, **kw)).started(1)
    assert "<p>here</p>" in http_get(h.port(), "/")


def test_echo_returns_utf8_as_utf8(herd):
    """UTF-8 comes back as the text it is; any other byte as an escape the
    client turns back into that byte (surrogateescape), the JSON valid."""
    import json
    import socket
    port = herd(["--listen", "127.0.0.1:0", "--workers", "1", "--app",
                 "echo"]).started(1).port()
    text = "\u00e9t\u00e9 \u2603 \U0001f600 \u00ff\u0080"
    # Stray bytes: a lone continuation, a cut sequence, an overlong "/",
    # a UTF-16 surrogate, past U+10FFFF, F5-FF, a tab; controls in the
    # body, which may hold any byte.
    bad = (b"a\x80b\xe2\x98 c\xc0\xaf d\xed\xa0\x80 e\xf4\x90\x80\x80"
           b" f\xf5\xff\tg")
    body = ("b\u00f6dy \U0001f600".encode() + b" \xfe\x00\x7f\x1f\"\\\n" +
            bytes(range(256)))
    with socket.create_connection(("127.0.0.1", port),
                                  timeout=10 * SLOW) as s:
        s.sendall(b"POST /x HTTP/1.1\r\nHost: h\r\nX-Text: " +
                  text.encode() + b"\r\nX-Bad: " + bad + b"\r\n"
                  b"Content-Length: %d\r\nConnection: close\r\n\r\n" %
                  len(body) + body)
        got = b""
        while chunk := s.recv(65536):
            got += chunk
    head, _, raw = got.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), got
    # UTF-8 on the wire, not \u00XX escapes of its bytes.
    assert text.encode() in raw
    j = json.loads(raw.decode("utf-8"))  # strict: the JSON is UTF-8
    headers = dict(j["headers"])
    assert headers["X-Text"] == text
    assert headers["X-Bad"].encode("utf-8", "surrogateescape") == bad
    assert j["body"].encode("utf-8", "surrogateescape") == body


def test_install_then_build_with_pkg_config(tmp_path):
    """`make install` gives a prefix a program builds against with
    pkg-config alone, statically and shared, and the result serves."""
    from conftest import ROOT
    prefix = tmp_path / "prefix"
    subprocess.run(["make", "-s", "-C", ROOT, "install", "VARIANT=release",
                    f"PREFIX={prefix}"], check=True, capture_output=True,
                   timeout=600)
    env = dict(os.environ, PKG_CONFIG_PATH=str(prefix / "lib/pkgconfig"))
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "herd"],
                           env=env, check=True, capture_output=True,
                           text=True).stdout.split()
    src = os.path.join(ROOT, "examples", "greet.c")
    prog = tmp_path / "greet"
    subprocess.run(["cc", src, "-o", str(prog), *flags,
                    f"-Wl,-rpath,{prefix / 'lib'}"], check=True, timeout=120)
    static = tmp_path / "greet-static"
    subprocess.run(["cc", src, "-o", str(static), "-I", str(prefix /
                    "include"), str(prefix / "lib/libherd.a"), "-ldl"],
                   check=True, timeout=120)
    for p in (prog, static):
        r = subprocess.run([str(p), "--version"], capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 0 and r.stdout.startswith("herd "), r
        r = subprocess.run(["ldd", str(p)], capture_output=True, text=True)
        assert ("libherd.so.0" in r.stdout) == (p == prog), r.stdout
    assert sorted(os.listdir(prefix / "include")) == ["herd.h"]
    # Only the public API is visible: a program's own names never clash
    # with herd's internals.
    for lib, opt in (("libherd.a", "-g"), ("libherd.so", "-D")):
        out = subprocess.run(["nm", opt, "--defined-only",
                              str(prefix / "lib" / lib)],
                             capture_output=True, text=True).stdout
        names = [line.split()[-1] for line in out.splitlines()
                 if len(line.split()) == 3]
        assert names and all(n.startswith("herd_") or n == "HERD_0"
                             for n in names), names
