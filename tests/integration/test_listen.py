# SPDX-License-Identifier: BSD-2-Clause
"""Listeners: TCP on IPv4 and IPv6, unix sockets (a stale one replaced, a
live one refused), sockets handed over by systemd-socket-activate (or by
the test itself, for a TCP port it holds), and deferred accepts for herd's
own HTTP workers."""
import ctypes
import os
import socket
import subprocess
import time

from conftest import HERD, SLOW, fds, helper, http_get, wait_for

HELLO = os.path.join(os.path.dirname(HERD), "herd-hello")


def unix_get(path):
    with socket.socket(socket.AF_UNIX) as c:
        c.settimeout(5 * SLOW)
        c.connect(str(path))
        c.sendall(b"GET / HTTP/1.0\r\n\r\n")
        reply = b""
        while chunk := c.recv(4096):
            reply += chunk
    return reply.decode(errors="replace")


def try_unix_get(path):
    try:
        return unix_get(path)
    except (FileNotFoundError, ConnectionRefusedError):
        return None


def test_tcp_v4_and_v6(herd):
    h = herd(["--listen", "127.0.0.1:0,name=v4", "--listen",
              "[::1]:0,name=v6,ipv6only=on", "--workers", "2"],
             [HELLO]).started(2)
    assert "hello from herd worker" in http_get(h.port("v4"))
    assert "hello from herd worker" in http_get(h.port("v6"), host="::1")


def test_unix_socket_stale_replaced_and_removed(herd, tmp_path):
    path = tmp_path / "s.sock"
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(path))
    stale.close()  # the file stays, nobody answers
    h = herd(["--listen", f"unix:{path},mode=0600", "--workers", "1"],
             [HELLO]).started(1)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert "hello from herd" in unix_get(path)
    h.stop()
    assert not path.exists()


def test_unix_socket_of_a_live_server_is_refused(tmp_path):
    path = tmp_path / "live.sock"
    live = socket.socket(socket.AF_UNIX)
    live.bind(str(path))
    live.listen()
    r = subprocess.run([HERD, "--listen", f"unix:{path}", "--", HELLO],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    assert "a live server answers" in r.stderr
    assert path.exists()
    live.close()


def test_port_in_use_is_a_clear_error(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = subprocess.run([HERD, "--listen", f"127.0.0.1:{port}", "--",
                            HELLO], capture_output=True, text=True,
                           timeout=30)
    assert r.returncode == 1
    assert "Address already in use" in r.stderr


def test_systemd_socket_activation(herd, tmp_path):
    # Unix sockets: systemd-socket-activate refuses port 0, and a TCP port
    # picked beforehand could be taken by someone else before it binds.
    web, admin = tmp_path / "web.sock", tmp_path / "admin.sock"

    def activate(argv, **kw):
        return subprocess.Popen(
            ["systemd-socket-activate", "-l", str(web), "-l", str(admin),
             "--fdname=web:admin", *argv], **kw)
    # Matched by name for `admin`, by address for the other one.
    h = herd(["--listen", f"unix:{web}", "--listen",
              "unix:/nonexistent/elsewhere.sock,name=admin", "--workers",
              "2"], [HELLO], popen=lambda a, **kw: activate(a, **kw))
    # systemd-socket-activate starts its child on the first connection,
    # which then waits in the queue for herd's workers.
    assert "hello from herd" in wait_for(lambda: try_unix_get(web), 10,
                                         "the first connection")
    h.wait_log(rf"listening on unix:{web} \(name listen0, inherited\)")
    h.wait_log(rf"listening on unix:{admin} \(name admin, inherited\)")
    h.started(2)
    assert "hello from herd" in unix_get(admin)
    for pid in h.workers():
        # Right after exec the dynamic loader may still hold the libraries
        # it is mapping: what counts is the set the program runs with.
        wait_for(lambda: set(fds(pid)) == {0, 1, 2, 3, 4}, 5,
                 f"only the listeners in {fds(pid)}")
    with open(f"/proc/{h.pid}/environ", "rb") as f:
        assert b"LISTEN_FDS" not in f.read()
    h.stop()
    # An inherited unix socket is never unlinked by herd.
    assert web.exists() and admin.exists()


def test_socket_activation_without_listen_adopts_all(herd, tmp_path):
    path = tmp_path / "act.sock"
    h = herd(["--workers", "1"], [HELLO], popen=lambda a, **kw:
             subprocess.Popen(["systemd-socket-activate", "-l", str(path),
                               "--fdname=http", *a], **kw))
    assert "hello from herd" in wait_for(lambda: try_unix_get(path), 10,
                                         "the first connection")
    h.wait_log(rf"listening on unix:{path} \(name http, inherited\)")
    h.started(1)
    assert "hello from herd" in unix_get(path)


# Hands fds over as systemd does: at 3…, with LISTEN_FDS, LISTEN_FDNAMES and
# LISTEN_PID naming the process itself, which then becomes herd by exec.
# Lifted above the target range first, so that no fd lands on another.
HANDOVER = """
import fcntl, os, sys
fds = [int(f) for f in sys.argv[1].split(",")]
high = [fcntl.fcntl(f, fcntl.F_DUPFD, 3 + len(fds)) for f in fds]
for i, f in enumerate(high):
    os.dup2(f, 3 + i)
    os.close(f)
os.environ.update(LISTEN_FDS=str(len(fds)), LISTEN_FDNAMES=sys.argv[2],
                  LISTEN_PID=str(os.getpid()))
os.execv(sys.argv[3], sys.argv[3:])
"""


def handing_over(socks, names):
    """A popen for the herd fixture that hands socks to herd."""
    fds = [s.fileno() for s in socks]

    def popen(argv, pass_fds=(), **kw):
        return subprocess.Popen(
            ["/usr/bin/python3", "-c", HANDOVER, ",".join(map(str, fds)),
             ":".join(names), *argv], pass_fds=(*pass_fds, *fds), **kw)
    return popen


def test_inherited_tcp_socket_is_matched_by_its_port(herd):
    # The test holds the port from bind to handover: nobody can take it.
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen()
    port = tcp.getsockname()[1]
    h = herd(["--listen", f"127.0.0.1:{port}", "--workers", "1"], [HELLO],
             popen=handing_over([tcp], ["web"]))
    tcp.close()  # herd has its own
    h.wait_log(rf"listening on 127.0.0.1:{port} \(name listen0, inherited\)")
    h.started(1)
    assert "hello from herd" in http_get(port)
    (pid,) = h.workers()
    wait_for(lambda: set(fds(pid)) == {0, 1, 2, 3}, 5,
             f"only the listener in {fds(pid)}")


def test_activation_for_another_process_is_not_ours(herd):
    """LISTEN_FDS with a LISTEN_PID naming another process hands us
    nothing (sd_listen_fds(3)): herd binds its default listener as if the
    variables were not there, instead of starting with no listener."""
    h = herd(["--workers", "1"], [HELLO],
             env={"LISTEN_FDS": "1", "LISTEN_PID": "1"},
             expect_errors=[r"listen 127\.0\.0\.1:8080"])
    # Bound, or refused because the port is taken on this machine: either
    # way the default listener was wanted.
    wait_for(lambda: "127.0.0.1:8080" in h.log() or
             "master: started" in h.log(), 10, "start-up")
    assert "127.0.0.1:8080" in h.log(), h.log()


def listener_option(pid, level, option, fd=3):
    """An option of the socket at fd in process pid, read through a copy
    of the descriptor (pidfd_getfd, Linux 5.6; the tests run as root)."""
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    try:
        copy = libc.syscall(438, pidfd, fd, 0)  # SYS_pidfd_getfd
        assert copy >= 0, os.strerror(ctypes.get_errno())
    finally:
        os.close(pidfd)
    with socket.socket(fileno=copy) as s:
        return s.getsockopt(level, option)


def defer_of(h):
    (pid,) = h.workers()
    return listener_option(pid, socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT)


def test_http_workers_defer_accepts(herd):
    # HTTP clients speak first: herd's own workers get their connections
    # only once the request has come (TCP_DEFER_ACCEPT), unless told not.
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1", "--app",
              "hello", "--read-timeout", "1s"]).started(1)
    assert defer_of(h) > 0
    port = h.port()
    # A client that waits before it speaks is still answered.
    with socket.create_connection(("127.0.0.1", port),
                                  timeout=5 * SLOW) as s:
        time.sleep(0.3)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        got = b""
        while chunk := s.recv(4096):
            got += chunk
    assert got.startswith(b"HTTP/1.1 200 ") and got.endswith(b"hello, world\n")
    # One that never speaks is handed over after the defer period and
    # then meets read-timeout: it is closed, not kept forever.
    with socket.create_connection(("127.0.0.1", port),
                                  timeout=10 * SLOW) as s:
        t0 = time.monotonic()
        assert s.recv(4096) == b""
        assert time.monotonic() - t0 >= 1.0


def test_defer_accept_off_and_commands(herd):
    h = herd(["--listen", "127.0.0.1:0,defer-accept=off", "--workers", "1",
              "--app", "hello"]).started(1)
    assert defer_of(h) == 0
    h.stop()
    # A command may run a protocol where the server speaks first.
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1"],
             [helper("keepalive")]).started(1)
    assert defer_of(h) == 0
