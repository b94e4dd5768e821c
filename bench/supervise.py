# SPDX-License-Identifier: BSD-2-Clause
"""Supervision benchmark (not a test), run by bench/supervise.sh on the
release build:

  1. timeout precision: a request stuck in its handler (hello /sleep) under
     `timeout` 1 s and 0.3 s, N trials each; overshoot = when the client
     saw its connection end, minus the request's start, minus the timeout;
  2. drain errors: wrk -c16 keep-alive on herd hello across 20 reloads and
     5 upgrades, and on nginx across as many reloads (HUP) and binary
     upgrades (USR2, WINCH, QUIT), socket errors and non-2xx counted;
  3. memory: PSS and USS of each worker of an app with a 64 MiB table,
     with and without preload;
  4. slow clients: 500 slowloris-style connections on 2 workers, the p99
     of a normal client meanwhile;
  5. load balance: how wrk's requests spread over the workers, from the
     scoreboard (`herd ctl status`).

bench/supervise.py [TRIALS]
"""
import importlib.util
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time


def _load_http_bench():
    # bench/http.py, loaded by path: its name would shadow the stdlib's.
    spec = importlib.util.spec_from_file_location(
        "http_bench", os.path.join(os.path.dirname(__file__), "http.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_hb = _load_http_bench()
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests",
                                "integration"))
from slowclients import SlowClients  # noqa: E402
B, NGINX_CONF, die, die_with_parent = (_hb.B, _hb.NGINX_CONF, _hb.die,
                                       _hb.die_with_parent)
get, parse_wrk = _hb.get, _hb.parse_wrk
held_socket, logged_port = _hb.held_socket, _hb.logged_port

HERD = os.path.join(B, "herd")
TESTAPP = os.path.join(B, "tests", "testapp.so")


class Herd:
    def __init__(self, tmp, *args, env=None):
        self.tmp = tmp
        self.pid_file = os.path.join(tmp, "herd.pid")
        self.sock = os.path.join(tmp, "ctl.sock")
        self.log = os.path.join(tmp, "herd.log")
        # What this herd logs starts here (the file may hold an earlier
        # one's); its port is learned from it: herd is told port 0.
        try:
            self.log_start = os.path.getsize(self.log)
        except FileNotFoundError:
            self.log_start = 0
        full_env = dict(os.environ, **(env or {}))
        self.proc = subprocess.Popen(
            [HERD, "--listen", "127.0.0.1:0", "--log", self.log,
             "--pid-file", self.pid_file, "--control-socket", self.sock,
             *args], env=full_env, stdin=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=die_with_parent)
        end = time.monotonic() + 10
        while time.monotonic() < end:
            if "master: ready" in self.read_log():
                self.port = logged_port(self.log, self.log_start)
                return
            time.sleep(0.05)
        die(f"herd did not start:\n{self.read_log()}")

    def read_log(self):
        try:
            with open(self.log, "rb") as f:
                f.seek(self.log_start)
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def ctl(self, *args):
        r = subprocess.run([HERD, "ctl", "--control-socket", self.sock,
                            *args], capture_output=True, text=True,
                           timeout=60)
        if r.returncode != 0:
            die(f"herd ctl {' '.join(args)}: {r.stdout}{r.stderr}")
        return r.stdout

    def workers(self):
        return [w for w in json.loads(self.ctl("--json", "status"))["workers"]
                if w["state"] == "ready"]

    def stop(self):
        try:
            pid = int(open(self.pid_file).read())
        except (OSError, ValueError):
            pid = self.proc.pid
        for p in {pid, self.proc.pid}:
            try:
                os.kill(p, 15)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, 9)
            self.proc.wait()
        time.sleep(0.3)


# 1. timeout precision ----------------------------------------------------

def timeout_overshoot(tmp, timeout_s, trials):
    h = Herd(tmp, "--workers", "1", "--app", "hello", "--timeout",
             f"{int(timeout_s * 1000)}ms")
    out = []
    try:
        for _ in range(trials):
            with socket.create_connection(("127.0.0.1", h.port)) as s:
                t0 = time.monotonic()
                s.sendall(b"GET /sleep/60000 HTTP/1.1\r\nHost: b\r\n\r\n")
                try:
                    while s.recv(4096):
                        pass
                except ConnectionResetError:
                    pass
                out.append(time.monotonic() - t0 - timeout_s)
            # The replacement must be serving before the next trial.
            end = time.monotonic() + 5
            while get(h.port) is None and time.monotonic() < end:
                time.sleep(0.01)
    finally:
        h.stop()
    return out


# 2. drain errors -----------------------------------------------------------

class Wrk:
    """wrk in back-to-back slices until stopped; errors summed."""

    def __init__(self, port, connections=16):
        self.port, self.connections = port, connections
        self.outs, self.done = [], threading.Event()
        self.thread = threading.Thread(target=self.run)

    def run(self):
        while not self.done.is_set():
            self.outs.append(subprocess.run(
                ["wrk", "-t1", f"-c{self.connections}", "-d2s", "--latency",
                 f"http://127.0.0.1:{self.port}/"],
                capture_output=True, text=True).stdout)

    def __enter__(self):
        self.thread.start()
        time.sleep(1)
        return self

    def __exit__(self, *exc):
        time.sleep(1)
        self.done.set()
        self.thread.join()

    def totals(self):
        requests = errors = 0
        for out in self.outs:
            _, _, n, e = parse_wrk(out)
            requests, errors = requests + n, errors + e
        return requests, errors


def herd_drains(tmp, reloads, upgrades):
    h = Herd(tmp, "--workers", "2", "--app", "hello")
    try:
        with Wrk(h.port) as w:
            for _ in range(reloads):
                h.ctl("reload")
            for _ in range(upgrades):
                h.ctl("upgrade")
                time.sleep(0.5)
    finally:
        h.stop()
    return w.totals()


def nginx_drains(tmp, reloads, upgrades):
    sock = held_socket()
    port = sock.getsockname()[1]
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_CONF.format(
            user="user root;\n" if os.getuid() == 0 else "", workers=2,
            tmp=tmp, port=port, name="nginx", listen_opts=""))
    pid_file = os.path.join(tmp, "nginx.pid")
    # nginx ignores USR2 while its parent is the one it started with (an
    # old binary still alive, it thinks), and with inherited sockets it
    # does not daemonize (it takes itself for a new binary). So a shell
    # starts it and leaves once nginx is up, orphaning it as a daemon is.
    with sock, open(os.path.join(tmp, "nginx.out"), "wb") as out:
        starter = subprocess.Popen(
            ["/bin/sh", "-c", '/usr/sbin/nginx -c "$0" & read _', conf],
            stdin=subprocess.PIPE, stdout=out, stderr=out,
            env=dict(os.environ, NGINX=f"{sock.fileno()};"),
            pass_fds=(sock.fileno(),))

    def master():
        # The pid file is renamed and rewritten during an upgrade.
        end = time.monotonic() + 5
        while True:
            try:
                return int(open(pid_file).read())
            except (OSError, ValueError):
                if time.monotonic() > end:
                    die("nginx lost its pid file")
                time.sleep(0.02)

    end = time.monotonic() + 10
    while get(port) is None or not os.path.exists(pid_file):
        if time.monotonic() > end:
            die(f"nginx did not start: see {tmp}/nginx.*")
        time.sleep(0.05)
    starter.stdin.close()
    starter.wait()
    try:
        with Wrk(port) as w:
            for _ in range(reloads):
                os.kill(master(), 1)  # HUP
                time.sleep(0.3)
            for _ in range(upgrades):
                old = master()
                os.kill(old, 12)  # USR2: a new master, same binary
                end = time.monotonic() + 5
                while master() == old and time.monotonic() < end:
                    time.sleep(0.02)
                time.sleep(0.2)
                os.kill(old, 28)  # WINCH: old workers stop gracefully
                time.sleep(0.2)
                os.kill(old, 3)  # QUIT: the old master leaves
                time.sleep(0.3)
    finally:
        for path in (pid_file, pid_file + ".oldbin"):
            try:
                os.kill(int(open(path).read()), 15)
            except (OSError, ValueError):
                pass
        time.sleep(0.5)
    return w.totals()


# 3. memory ---------------------------------------------------------------

def rollup(pid):
    out = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                out[parts[0].rstrip(":")] = int(parts[1]) * 1024
    return out["Pss"], out["Private_Clean"] + out["Private_Dirty"]


def worker_memory(tmp, preload):
    args = ["--workers", "2", "--app", TESTAPP]
    if preload:
        args += ["--preload"]
    # In herd's own environment, not `env`: that is the workers', and with
    # preload the table is built in the master.
    h = Herd(tmp, *args, env={"TESTAPP_TABLE_MB": "64"})
    try:
        for _ in range(20):
            get(h.port)
        return [rollup(w["pid"]) for w in h.workers()], rollup(h.proc.pid)
    finally:
        h.stop()


# 4. slow clients -----------------------------------------------------------

def slow_client_p99(tmp, seconds=5.0):
    h = Herd(tmp, "--workers", "2", "--app", "hello")
    slow = None
    try:
        slow = SlowClients(h.port, 500)
        lat, t0 = [], time.monotonic()
        while time.monotonic() - t0 < seconds:
            slow.trickle()
            for _ in range(20):
                t = time.monotonic()
                if get(h.port, timeout=5) is None:
                    die("a normal client failed during the slow-client run")
                lat.append(time.monotonic() - t)
        killed = "killing it" in h.read_log()
    finally:
        if slow is not None:
            slow.close()
        h.stop()
    lat.sort()
    return lat[int(len(lat) * 0.99) - 1] * 1000, len(lat), killed


# 5. load balance -------------------------------------------------------------

def load_balance(tmp, workers=2):
    h = Herd(tmp, "--workers", str(workers), "--app", "hello")
    try:
        subprocess.run(["wrk", "-t1", "-c50", "-d5s",
                        f"http://127.0.0.1:{h.port}/"], capture_output=True)
        counts = [w["scoreboard"]["requests"] for w in h.workers()]
    finally:
        h.stop()
    total = sum(counts) or 1
    return [c * 100.0 / total for c in counts], sum(counts)


def main():
    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    for path in (HERD, TESTAPP):
        if not os.access(path, os.R_OK):
            die(f"{path} is missing: make -j2 build")
    with tempfile.TemporaryDirectory(prefix="herd-bench-") as tmp:
        def sub(name):
            d = os.path.join(tmp, name)
            os.makedirs(d, exist_ok=True)
            return d

        print(f"1. timeout precision, {trials} trials each "
              "(overshoot past the timeout, client's view)")
        for t in (1.0, 0.3):
            o = timeout_overshoot(sub(f"timeout{t}"), t, trials)
            print(f"   timeout {t:.1f} s: median +{statistics.median(o) * 1000:.1f}"
                  f" ms, max +{max(o) * 1000:.1f} ms")

        print("2. drains under wrk -t1 -c16 keep-alive: 20 reloads, "
              "then 5 upgrades")
        n, e = herd_drains(sub("drain-herd"), 20, 5)
        print(f"   herd : {e} errors in {n} requests")
        if os.access("/usr/sbin/nginx", os.X_OK):
            n, e = nginx_drains(sub("drain-nginx"), 20, 5)
            print(f"   nginx: {e} errors in {n} requests")

        print("3. worker memory, app with a 64 MiB table, 2 workers")
        for preload in (False, True):
            mem, (mp, mu) = worker_memory(sub(f"mem{preload}"), preload)
            text = ", ".join(f"PSS {p / 2**20:.1f} MiB USS {u / 2**20:.1f} "
                             "MiB" for p, u in mem)
            print(f"   preload {'on ' if preload else 'off'}: workers {text}; "
                  f"master PSS {mp / 2**20:.1f} MiB")

        print("4. slow clients: 500 slowloris connections, 2 workers")
        p99, n, killed = slow_client_p99(sub("slow"))
        print(f"   normal client p99 {p99:.1f} ms over {n} requests; "
              f"worker killed as hung: {'yes' if killed else 'no'}")

        print("5. load balance: wrk -t1 -c50 -d5s, EPOLLEXCLUSIVE")
        for workers in (2, 4):
            shares, total = load_balance(sub(f"lb{workers}"), workers)
            print(f"   {workers} workers: " +
                  " / ".join(f"{s:.1f}%" for s in shares) +
                  f" of {total} requests")


if __name__ == "__main__":
    main()
