# SPDX-License-Identifier: BSD-2-Clause
"""Real servers from Debian's packages under herd (exec mode), as
docs/recipes.md runs them: each serves a request, survives a rolling reload
(HUP) and a binary upgrade (USR2) with no failed request under a small
load, and stops cleanly on QUIT (no worker needs SIGKILL, exit status 0).
A server whose package is missing is skipped with the package named;
scripts/install-deps.sh installs them all. Also: NOTIFY_SOCKET reaches a
worker only when herd reads it (readiness notify or a timeout)."""
import http.client
import os
import re
import shutil
import signal
import sys
import time

import pytest

from conftest import SLOW, alive, environ, helper, http_get, wait_for
from zdt import Clients

# Debian's python3, which has the packages (the tests run under it).
PYTHON = sys.executable

# Each recipe's app answers "ok …"; static servers serve this file as /.
BODY = "ok from the docroot\n"

PY_HTTP_SERVER = """\
import os, signal, socket, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"ok {os.getpid()}\\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

class Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() waits for requests in flight

sock = socket.socket(fileno=3)  # the listener herd hands over
# Non-blocking: another worker may take the connection this one woke for,
# and a blocking accept() would then hang a graceful stop.
sock.setblocking(False)
server = Server(sock.getsockname(), Handler, bind_and_activate=False)
server.socket.close()
server.socket = sock
signal.signal(signal.SIGTERM,
              lambda *_: threading.Thread(target=server.shutdown).start())
server.serve_forever()
server.server_close()
"""

WSGI_APP = """\
import os

def app(environ, start_response):
    body = f"ok {os.getpid()}\\n".encode()
    start_response("200 OK", [("Content-Length", str(len(body)))])
    return [body]
"""

ASGI_APP = """\
import os

async def app(scope, receive, send):
    assert scope["type"] == "http"
    body = f"ok {os.getpid()}\\n".encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
"""

# `uvicorn --fd 3 asgi:app`, except for its graceful stop: uvicorn closes a
# connection it has accepted but whose request has not arrived yet, so a
# client that connected just then sees a reset. This stops accepting first
# and closes idle connections half a second later.
UVICORN_SERVE = """\
import asyncio
import uvicorn

class Server(uvicorn.Server):
    async def shutdown(self, sockets=None):
        for server in self.servers:
            server.close()
        await asyncio.sleep(0.5)
        await super().shutdown(sockets)

Server(uvicorn.Config("asgi:app", fd=3)).run()
"""

RACK_APP = """\
run lambda { |env| [200, {"Content-Type" => "text/plain"}, ["ok #{Process.pid}\\n"]] }
"""

LIGHTTPD_CONF = """\
server.document-root = "{dir}"
index-file.names = ("index.html")
server.systemd-socket-activation = "enable"
# The same address as herd's listen: lighttpd binds any other it is given.
server.bind = "127.0.0.1"
server.port = {port}
"""

NGINX_CONF = """\
daemon off;
master_process on;
worker_processes 2;
pid {dir}/nginx.pid;
error_log stderr notice;
events { worker_connections 512; }
http {
    access_log off;
    server {
        # The same address as herd's listen: nginx matches the socket it
        # inherits (NGINX=3;) by address, and binds any other.
        listen 127.0.0.1:{port};
        location / { return 200 "ok nginx\\n"; }
    }
}
"""

# Puma's reactor, at a graceful stop, closes connections it accepted whose
# request has not arrived yet; without it a thread waits for the request
# and answers it.
PUMA_CONF = """\
queue_requests false
"""

UWSGI_INI = """\
[uwsgi]
plugin = python3
# LISTEN_FDS is read by uWSGI itself; its sockets speak HTTP with this.
protocol = http
master = true
processes = 2
# TERM is a reload to uWSGI's master; make it a graceful stop.
hook-master-start = unix_signal:15 gracefully_kill_them_all
chdir = {dir}
wsgi-file = app.py
callable = app
disable-logging = true
"""


class Recipe:
    def __init__(self, package, program, command, extra="", files=None,
                 port_in_config=False, workers=2, resets_per_stop=0):
        self.package = package      # Debian package that brings it
        self.program = program      # what must be in PATH
        self.command = command      # herd's `command`, {dir} {port} filled
        self.extra = extra          # more herd config lines
        self.files = files or {}    # name: text, {dir} {port} filled
        # The server's own config must name the listener's address (it
        # matches inherited sockets by address): herd starts a stand-in,
        # the port is learned, then a HUP starts the server.
        self.port_in_config = port_in_config
        self.workers = workers
        # A known bug of the server's own graceful stop that can reset a
        # new connection it has just accepted: how many such resets one
        # stop of its old workers may cost (counted and printed, never
        # hidden; any other failure still fails).
        self.resets_per_stop = resets_per_stop


RECIPES = {
    "python-http-server": Recipe(
        "python3", "python3", "{python} {dir}/server.py",
        files={"server.py": PY_HTTP_SERVER}),
    "gunicorn": Recipe(
        "gunicorn", "gunicorn",
        "gunicorn --workers 2 --chdir {dir} app:app",
        extra="readiness = notify\n",
        files={"app.py": WSGI_APP}),
    "uvicorn": Recipe(
        "uvicorn", "uvicorn", "{python} {dir}/serve.py",
        files={"asgi.py": ASGI_APP, "serve.py": UVICORN_SERVE}),
    "unicorn": Recipe(
        "unicorn", "unicorn",
        "unicorn -N -c {dir}/unicorn.rb {dir}/config.ru",
        extra="stop-signal = QUIT\n",
        files={"config.ru": RACK_APP,
               "unicorn.rb": "worker_processes 2\n"}),
    "puma": Recipe(
        "puma", "puma",
        "puma --environment production --bind-to-activated-sockets only "
        "--config {dir}/puma.rb {dir}/config.ru",
        files={"config.ru": RACK_APP, "puma.rb": PUMA_CONF}),
    "lighttpd": Recipe(
        "lighttpd", "lighttpd", "lighttpd -D -f {dir}/lighttpd.conf",
        extra="stop-signal = INT\n",
        files={"lighttpd.conf": LIGHTTPD_CONF}, port_in_config=True),
    "nginx": Recipe(
        "nginx", "nginx", "nginx -e stderr -c {dir}/nginx.conf",
        extra="env = NGINX=3;\nstop-signal = QUIT\n",
        files={"nginx.conf": NGINX_CONF}, port_in_config=True, workers=1),
    "uwsgi": Recipe(
        "uwsgi-core and uwsgi-plugin-python3", "uwsgi",
        "uwsgi --ini {dir}/uwsgi.ini", extra="readiness = notify\n",
        files={"app.py": WSGI_APP, "uwsgi.ini": UWSGI_INI},
        # uWSGI 2.0 (Debian 12) may close a connection it accepted as its
        # graceful stop begins (unbit/uwsgi#1795; reworked in 2.1-dev).
        resets_per_stop=2),
}


class Load(Clients):
    """A few clients sending GET / until stopped: new connections, and
    keep-alive ones that, as HTTP clients do, send again on a new
    connection when a reused one was closed before any answer (a server
    may close an idle connection at any time, RFC 9112 9.3.1). Anything
    else — a refused or reset new connection, a timeout, a status other
    than 200, a body not from the app — is a failure."""

    def __init__(self, port, fresh=3, keepalive=2):
        self.port = port
        super().__init__([(False,)] * fresh + [(True,)] * keepalive)

    def once(self, conn, keepalive):
        conn.request("GET", "/", headers={} if keepalive else
                     {"Connection": "close"})
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200 or not body.startswith(b"ok"):
            raise AssertionError(f"{resp.status} {body[:80]!r}")
        return resp

    def run(self, keepalive):
        conn, reused = None, False
        while not self.stopping:
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(
                        "127.0.0.1", self.port, timeout=10 * SLOW)
                    reused = False
                try:
                    resp = self.once(conn, keepalive)
                except (http.client.RemoteDisconnected,
                        ConnectionResetError, BrokenPipeError):
                    if not reused:
                        raise
                    conn.close()  # closed while idle: send again
                    resp = self.once(conn, keepalive)
                with self.lock:
                    self.ok += 1
                reused = True
                if not keepalive or resp.will_close:
                    conn.close()
                    conn = None
            except Exception as e:  # every failure counts, none is hidden
                with self.lock:
                    self.failures.append(
                        f"{'keep-alive' if keepalive else 'new'}"
                        f"{' (reused)' if reused else ''} at "
                        f"{time.strftime('%H:%M:%S')}"
                        f".{int(time.time() * 1000) % 1000:03d}: {e!r}")
                if conn is not None:
                    conn.close()
                conn = None
                time.sleep(0.01)
        if conn is not None:
            conn.close()


def write_conf(tmp_path, recipe, stand_in=False):
    conf = tmp_path / "herd.conf"
    conf.write_text("listen = 127.0.0.1:0,name=http\n"
                    f"pid-file = {tmp_path / 'herd.pid'}\n"
                    f"workers = {recipe.workers}\n"
                    "graceful-timeout = 20s\n" +
                    (f"command = {helper('keepalive')}\n" if stand_in else
                     recipe.extra + "command = " +
                     recipe.command.format(dir=tmp_path, python=PYTHON) + "\n"))
    return conf


def write_files(tmp_path, recipe, port):
    for fname, text in recipe.files.items():
        (tmp_path / fname).write_text(text.replace("{dir}", str(tmp_path))
                                      .replace("{port}", str(port)))


def requested(recipe_name):
    recipe = RECIPES[recipe_name]
    if shutil.which(recipe.program) is None:
        pytest.skip(f"{recipe.program} not found: Debian's "
                    f"{recipe.package} package is not installed here "
                    f"(scripts/install-deps.sh installs it)")
    return recipe


def follow_upgrade(h):
    """USR2, then h follows the new master once the old one is gone."""
    old = h.pid
    h.signal(signal.SIGUSR2)
    (new,) = wait_for(lambda: re.findall(
        r"new master pid (\d+) ready after", h.log()), 30,
        f"the new master ready:\n{h.log()}")
    wait_for(lambda: not alive(old), 30, "the old master gone")
    h.pid = int(new)


def wait_generation(h, gen, workers):
    h.wait_log(rf"generation {gen} ready \({workers} workers\)",
               timeout=30)


@pytest.mark.parametrize("name", list(RECIPES))
def test_recipe(herd, tmp_path, name):
    recipe = requested(name)
    workers = recipe.workers
    (tmp_path / "index.html").write_text(BODY)
    conf = write_conf(tmp_path, recipe, stand_in=recipe.port_in_config)
    if not recipe.port_in_config:
        write_files(tmp_path, recipe, None)
    h = herd(["-c", str(conf)])
    wait_for(lambda: h.proc.poll() is not None or "master: ready" in h.log(),
             30, "master: ready")
    assert h.proc.poll() is None, h.proc.stderr.read().decode()
    port = h.port()
    gen = 1
    if recipe.port_in_config:
        write_files(tmp_path, recipe, port)
        write_conf(tmp_path, recipe)
        h.signal(signal.SIGHUP)
        gen = 2
        wait_generation(h, gen, workers)
    h.started(workers, timeout=30)
    wait_for(lambda: http_get(port).split("\r\n")[0].endswith("200 OK"),
             30, f"a 200 from {name}:\n{h.log()}")
    assert "\r\n\r\nok" in http_get(port)

    with Load(port) as load:
        wait_for(lambda: load.ok > 20, 20, "requests served")
        h.signal(signal.SIGHUP)
        gen += 1
        wait_generation(h, gen, workers)
        follow_upgrade(h)
        seen = load.ok
        wait_for(lambda: load.ok > seen + 20, 20,
                 "requests served by the new master")
    # The server's known resets: a new connection reset or closed
    # unanswered; two stops of old workers (the HUP and the upgrade).
    known = [f for f in load.failures if not f.startswith("keep-alive (reused)")
             and re.search(r"ConnectionResetError|RemoteDisconnected", f)]
    others = [f for f in load.failures if f not in known]
    print(f"{name}: {load.ok} requests, {len(load.failures)} failed "
          f"({len(known)} by the server's known reset at a graceful stop, "
          f"allowed {2 * recipe.resets_per_stop}): {load.failures[:5]}")
    if load.failures:
        print(h.log())
    assert not others, others[:5]
    assert len(known) <= 2 * recipe.resets_per_stop, known[:5]

    # A clean stop: QUIT, each server's graceful stop, exit 0, no KILL.
    master = h.pid
    os.kill(master, signal.SIGQUIT)
    # The upgraded master is our child too: pytest is a subreaper.

    def reaped():
        pid, status = os.waitpid(master, os.WNOHANG)
        return pid == master and [status]
    (status,) = wait_for(reaped, 30, f"herd's exit:\n{h.log()}")
    assert os.waitstatus_to_exitcode(status) == 0, h.log()
    assert "sending KILL" not in h.log(), h.log()
    # Every worker ended as asked: exit 0 or the stop signal (herd warns
    # about any other end).
    assert not re.search(r"warn worker \d+ \(pid \d+, gen \d+\): "
                         r"(exited|killed)", h.log()), h.log()
    if name == "puma":
        # No NOTIFY_SOCKET without a reader: Puma's systemd plugin (and
        # the sd_notify gem, which cannot reach herd's abstract socket)
        # stays out.
        assert "systemd" not in h.log(), h.log()


def test_notify_socket_only_when_read(herd):
    """readiness = exec without a timeout: nothing would read what a worker
    sends, so it gets no NOTIFY_SOCKET (Puma, for one, loads its systemd
    plugin when it sees one, and fails); readiness = notify: it does."""
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1"],
             [helper("keepalive")]).started(1)
    (pid,) = h.workers()
    env = environ(pid)
    assert "NOTIFY_SOCKET" not in env and "WATCHDOG_USEC" not in env
    assert "LISTEN_FDS" in env
    h.stop()
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1",
              "--readiness", "notify"], [helper("keepalive")]).started(1)
    h.wait_log(r"master: ready")
    (pid,) = h.workers()
    assert environ(pid)["NOTIFY_SOCKET"].startswith("@herd-notify-")


def test_contrib_example_config_runs_a_plain_server(herd, tmp_path):
    """contrib's example config, with its command a server that knows
    nothing of sd_notify (most do not): its workers become ready, not
    killed at boot-timeout for never sending READY=1."""
    example = os.path.join(os.path.dirname(__file__), "..", "..", "contrib",
                           "systemd", "herd.conf.example")
    (tmp_path / "server.py").write_text(PY_HTTP_SERVER)
    lines = []
    for line in open(example):
        key = line.split("=", 1)[0].strip()
        if key == "listen":
            line = "listen = 127.0.0.1:0,name=http\n"
        elif key == "workers":
            line = "workers = 2\n"
        elif key == "command":
            line = f"command = {PYTHON} {tmp_path}/server.py\n"
        lines.append(line)
    conf = tmp_path / "herd.conf"
    conf.write_text("".join(lines))
    h = herd(["-c", str(conf)])
    h.wait_log(r"master: ready \(2/2 workers ready", timeout=10)
    assert "\r\n\r\nok" in http_get(h.port())
