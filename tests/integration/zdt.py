# SPDX-License-Identifier: BSD-2-Clause
"""Shared pieces for the zero-downtime tests: a config file herd reads,
ctl calls, and a load generator that counts every failed request."""
import http.client
import json
import re
import subprocess
import threading
import time

from conftest import HERD, alive, helper, wait_for

KEEPALIVE = helper("keepalive")


def write_config(path, port, workers=2, extra=""):
    path.write_text(f"listen = 127.0.0.1:{port},name=http\n"
                    f"pid-file = {path.parent / 'herd.pid'}\n"
                    f"workers = {workers}\n"
                    "readiness = notify\n"
                    "boot-timeout = 10s\n"
                    "graceful-timeout = 10s\n"
                    f"command = {KEEPALIVE}\n" + extra)


def ctl(conf_or_pidfile, *args, timeout=60):
    flag = "--pid-file" if str(conf_or_pidfile).endswith(".pid") else "-c"
    r = subprocess.run([HERD, "ctl", flag, str(conf_or_pidfile), *args],
                       capture_output=True, text=True, timeout=timeout)
    return r


def upgrade(h, conf):
    """`herd ctl upgrade`; then h follows the new master, once the old one
    is gone. Returns the new master's pid."""
    old = h.pid
    r = ctl(conf, "upgrade")
    assert r.returncode == 0, r
    h.pid = int(re.search(r"new master pid (\d+)", r.stdout).group(1))
    wait_for(lambda: not alive(old), 20, "old master gone")
    return h.pid


def status(conf):
    r = ctl(conf, "status", "--json")
    assert r.returncode == 0, r
    return json.loads(r.stdout)


class Clients:
    """Threads, one per tuple of args, each running self.run(*args) from
    the start of a with block until its end; a subclass counts its
    successes in ok and its failures in failures, under lock."""

    def __init__(self, runs):
        self.ok = 0
        self.failures = []
        self.stopping = False
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=a)
                        for a in runs]

    def run(self, *args):
        raise NotImplementedError

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stopping = True
        for t in self.threads:
            t.join()


class Load(Clients):
    """Keep-alive clients and new-connection clients hammering a port until
    stopped; every exception or non-200 is a failure."""

    def __init__(self, port, keepalive=6, fresh=2):
        self.port = port
        super().__init__([(True,)] * keepalive + [(False,)] * fresh)

    def run(self, keepalive):
        conn = None
        while not self.stopping:
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                      timeout=10)
                conn.request("GET", "/", headers={} if keepalive else
                             {"Connection": "close"})
                resp = conn.getresponse()
                body = resp.read()
                if resp.status != 200 or not body.startswith(b"ok worker"):
                    raise AssertionError(f"{resp.status} {body!r}")
                with self.lock:
                    self.ok += 1
                if not keepalive or resp.getheader("Connection") == "close":
                    conn.close()
                    conn = None
            except Exception as e:  # every failure counts, none is hidden
                with self.lock:
                    self.failures.append(repr(e))
                if conn is not None:
                    conn.close()
                conn = None
                time.sleep(0.01)
        if conn is not None:
            conn.close()
