# SPDX-License-Identifier: BSD-2-Clause
"""Three herd hosts behind a real haproxy, in a network namespace of their
own: the fleet of tests/integration/test_fleet.py and bench/fleet.sh.

Run as a program, it re-executes itself in a new network namespace
(`unshare -n` as root, `unshare -rn` otherwise), brings loopback up, and
runs one scenario, printing what each step cost. The hosts are three herd
masters on 127.0.0.11, .12 and .13 (each with its pid file, control
socket, health and agent listener, configured from contrib/haproxy/herd.conf)
and haproxy on 127.0.0.10 runs contrib/haproxy/haproxy.cfg as it is, the
addresses given through the environment it expands. Deploys are
contrib/rolling-deploy.sh, as users run it.

usage: fleet.py SCENARIO TMPDIR
  hello   herd's hello: an upgrade round and a reload round under load,
          then the failure cases (a failed upgrade, a broken config, a
          SIGKILLed host)
  exec    the same two rounds with an exec-mode Python http.server
  agent   herd's agent-check words as haproxy takes them
  bench   bench/fleet.sh's windows (one JSON line)
Exit status 0 when every check held; an AssertionError's traceback
otherwise.
"""
import ctypes
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD = os.path.join(ROOT, os.environ.get("HERD_BUILD", "build/asan"))
HERD = os.path.join(BUILD, "herd")
CONTRIB = os.path.join(ROOT, "contrib")
HAPROXY_CFG = os.path.join(CONTRIB, "haproxy", "haproxy.cfg")
HOST_CONF = os.path.join(CONTRIB, "haproxy", "herd.conf")
DEPLOY = os.path.join(CONTRIB, "rolling-deploy.sh")
FRONTEND = "127.0.0.10"
HOSTS = {"host1": "127.0.0.11", "host2": "127.0.0.12", "host3": "127.0.0.13"}
SLOW = 3.0 if "asan" in BUILD else 1.0
PR_SET_CHILD_SUBREAPER = 36
SANITIZER = re.compile(r"AddressSanitizer|LeakSanitizer|runtime error:")

# The exec-mode server of the second run: Python's http.server on the
# listener herd hands over at fd 3 (docs/recipes.md's recipe).
PY_SERVER = """\
import os, signal, socket, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = f"ok {os.getpid()}\\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass

class Server(ThreadingHTTPServer):
    daemon_threads = False

sock = socket.socket(fileno=3)
sock.setblocking(False)
server = Server(sock.getsockname(), Handler, bind_and_activate=False)
server.socket.close()
server.socket = sock
signal.signal(signal.SIGTERM,
              lambda *_: threading.Thread(target=server.shutdown).start())
server.serve_forever()
server.server_close()
"""


def say(*args):
    print("fleet:", *args, flush=True)


def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout * SLOW
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def enter_namespace():
    """Loopback up in the namespace this process was started in."""
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)


def gone(pid):
    """True once pid has exited; reaps it when it is ours (an upgraded
    master is reparented to this subreaper)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] == "Z"
    except (FileNotFoundError, ProcessLookupError):
        return True


def parent(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(") ", 1)[1].split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None


def descendants(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                kids = [int(k) for k in f.read().split()]
        except (FileNotFoundError, ProcessLookupError):
            kids = []
        out += kids
        todo += kids
    return out


def readyz(addr):
    try:
        c = http.client.HTTPConnection(addr, 9101, timeout=5)
        c.request("GET", "/readyz")
        return c.getresponse().status
    except OSError:
        return None


class Host:
    def __init__(self, fleet, name, addr, mode, extra):
        self.name, self.addr = name, addr
        self.dir = os.path.join(fleet.tmp, name)
        os.makedirs(self.dir, exist_ok=True)
        self.conf = os.path.join(self.dir, "herd.conf")
        self.log = os.path.join(self.dir, "herd.log")
        self.mode = mode
        self.extra = extra
        self.write_conf()
        self.proc = None

    def write_conf(self, more=""):
        """contrib/haproxy/herd.conf on this host's address, with this
        test's pid file, log and app."""
        with open(HOST_CONF) as f:
            text = f.read()
        text = text.replace("0.0.0.0", self.addr)
        text = re.sub(r"(?m)^pid-file = .*$",
                      f"pid-file = {self.dir}/herd.pid", text)
        text = re.sub(r"(?m)^workers = .*$", "workers = 2", text)
        if self.mode == "exec":
            server = os.path.join(self.dir, "server.py")
            with open(server, "w") as f:
                f.write(PY_SERVER)
            text = re.sub(r"(?m)^app = .*$",
                          f"command = {sys.executable} {server}\n"
                          "readiness = exec\nexec-settle = 300ms", text)
        with open(self.conf, "w") as f:
            f.write(text + self.extra + more)

    def start(self):
        self.proc = subprocess.Popen(
            [HERD, "-c", self.conf, "--log", self.log],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)

    def ctl(self, *args):
        return subprocess.run([HERD, "ctl", "-c", self.conf, *args],
                              capture_output=True, text=True, timeout=60)

    def status(self):
        r = self.ctl("status", "--json")
        assert r.returncode == 0, r
        return json.loads(r.stdout)

    def pid(self):
        with open(os.path.join(self.dir, "herd.pid")) as f:
            return int(f.read())

    def log_text(self):
        with open(self.log, errors="replace") as f:
            return f.read()


class Load:
    """Traffic through haproxy: wrk on keep-alive connections, and Python
    threads that open a new connection for every request. Every error,
    non-2xx and short answer counts."""

    def __init__(self, duration=120, wrk_conns=8, fresh=2, posts=0):
        self.ok = 0
        self.failures = []
        self.post_ok = 0
        self.post_failures = []
        self.posts = posts
        self.lock = threading.Lock()
        self.stopping = False
        self.wrk_conns, self.fresh = wrk_conns, fresh
        self.wrk = subprocess.Popen(
            ["wrk", "-t1", f"-c{wrk_conns}", f"-d{duration}s", "--latency",
             f"http://{FRONTEND}/"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.threads = [threading.Thread(target=self.client)
                        for _ in range(fresh)]
        self.threads += [threading.Thread(target=self.poster)
                         for _ in range(posts)]
        for t in self.threads:
            t.start()

    def client(self):
        while not self.stopping:
            try:
                c = http.client.HTTPConnection(FRONTEND, 80, timeout=10)
                c.request("GET", "/", headers={"Connection": "close"})
                r = c.getresponse()
                body = r.read()
                c.close()
                if r.status != 200 or not body:
                    raise AssertionError(f"{r.status} {body[:80]!r}")
                with self.lock:
                    self.ok += 1
            except Exception as e:  # every failure counts, none is hidden
                with self.lock:
                    self.failures.append(repr(e))
                time.sleep(0.01)

    def poster(self):
        """POSTs on a keep-alive connection: haproxy does not replay them
        (contrib's haproxy.cfg), so they show what a dead host costs."""
        c = None
        while not self.stopping:
            try:
                if c is None:
                    c = http.client.HTTPConnection(FRONTEND, 80, timeout=10)
                c.request("POST", "/", body=b"x" * 100)
                r = c.getresponse()
                body = r.read()
                if r.status != 200 or not body:
                    raise AssertionError(f"{r.status} {body[:80]!r}")
                with self.lock:
                    self.post_ok += 1
            except Exception as e:  # every failure counts, none is hidden
                with self.lock:
                    self.post_failures.append(repr(e))
                if c is not None:
                    c.close()
                c = None
                time.sleep(0.01)
        if c is not None:
            c.close()

    def stop(self):
        """Stops the load; returns a dict of what it saw."""
        self.stopping = True
        for t in self.threads:
            t.join()
        self.wrk.send_signal(signal.SIGINT)
        out, _ = self.wrk.communicate(timeout=30)
        return dict(parse_wrk(out), py_ok=self.ok,
                    py_failed=len(self.failures), post_ok=self.post_ok,
                    post_failed=len(self.post_failures),
                    post_examples=self.post_failures[:3],
                    py_examples=self.failures[:3], wrk_out=out)


def parse_wrk(out):
    def num(rx):
        m = re.search(rx, out)
        return int(m.group(1)) if m else 0

    def ms(rx):
        m = re.search(rx, out)
        if not m:
            return None
        v, unit = float(m.group(1)), m.group(2)
        return v * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = out.count("Socket errors")
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+),"
                     r" timeout (\d+)", out)
    return {
        "wrk_requests": num(r"(\d+) requests in"),
        "wrk_socket_errors": sum(int(x) for x in sock.groups()) if sock
        else 0 if errors == 0 else -1,
        "wrk_non2xx": num(r"Non-2xx or 3xx responses: (\d+)"),
        "wrk_p99_ms": ms(r"99%\s+([\d.]+)(us|ms|s)"),
        "wrk_p50_ms": ms(r"50%\s+([\d.]+)(us|ms|s)"),
    }


def failed(res):
    return (res["wrk_socket_errors"] + res["wrk_non2xx"] + res["py_failed"])


class Fleet:
    def __init__(self, tmp, mode="hello", extra=""):
        self.tmp = tmp
        self.sock = os.path.join(tmp, "haproxy.sock")
        self.hosts = {n: Host(self, n, a, mode, extra)
                      for n, a in HOSTS.items()}
        self.haproxy = None

    def env(self):
        env = dict(os.environ, HAPROXY_STATS_SOCKET=self.sock,
                   HERD_FRONTEND=f"{FRONTEND}:80", HERD=HERD)
        for i, (name, h) in enumerate(self.hosts.items(), 1):
            env[f"HERD_HOST{i}"] = h.addr
        return env

    def start(self):
        t0 = time.monotonic()
        for h in self.hosts.values():
            h.start()
        for h in self.hosts.values():
            wait_for(lambda: os.path.exists(os.path.join(h.dir, "herd.pid"))
                     and h.ctl("status").returncode == 0, 20,
                     f"{h.name}'s master")
        for h in self.hosts.values():
            wait_for(lambda: readyz(h.addr) == 200, 20, f"{h.name} ready")
        self.haproxy = subprocess.Popen(
            ["haproxy", "-db", "-f", HAPROXY_CFG], env=self.env(),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.tmp, "haproxy.log"), "w"))
        # haproxy starts a server UP: wait for the checks to have said so.
        for name in self.hosts:
            wait_for(lambda: self.stats("check_status").get(name) == "L7OK"
                     and self.stats("agent_status").get(name) in
                     ("L7OK", "CHECKED"),
                     20, f"{name}'s first checks")
            self.wait_state(name, "UP", 20)
        say(f"3 hosts UP behind haproxy after "
            f"{time.monotonic() - t0:.1f} s")

    def stats(self, field="status"):
        """{server: status} (or another column of `show stat`) from
        haproxy's stats socket."""
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(self.sock)
        except OSError:
            return {}
        s.sendall(b"show stat\n")
        data = b""
        while True:
            c = s.recv(65536)
            if not c:
                break
            data += c
        s.close()
        out = {}
        lines = data.decode().splitlines()
        if not lines:
            return out
        col = lines[0].lstrip("# ").split(",").index(field)
        for line in lines[1:]:
            f = line.split(",")
            if len(f) > col and f[0] == "herd":
                # "DRAIN (agent)": the state, and who set it.
                out[f[1]] = f[col].split(" (")[0]
        return out

    def wait_state(self, name, want, timeout=10):
        return wait_for(lambda: self.stats().get(name) == want, timeout,
                        f"haproxy: {name} {want} (now {self.stats()})")

    def deploy(self, *args, hosts=None):
        pairs = [f"{n}={self.hosts[n].conf}" for n in hosts or self.hosts]
        t0 = time.monotonic()
        r = subprocess.run(["sh", DEPLOY, *args, self.sock, "herd", *pairs],
                           capture_output=True, text=True, env=self.env(),
                           timeout=300)
        r.seconds = time.monotonic() - t0
        return r

    def stop(self):
        try:
            self.stop_hosts()
        finally:
            if self.haproxy:
                self.haproxy.terminate()
                self.haproxy.wait()

    def stop_hosts(self):
        for h in self.hosts.values():
            if h.proc and h.proc.poll() is None:
                h.ctl("stop")
        for h in self.hosts.values():
            if h.proc:
                try:
                    h.proc.wait(timeout=30 * SLOW)
                except subprocess.TimeoutExpired:
                    for p in descendants(h.proc.pid) + [h.proc.pid]:
                        os.kill(p, signal.SIGKILL)
                    h.proc.wait()
        # An upgraded master was reparented to us (the subreaper): stop it
        # through its pid file. A killed master's file names no child of
        # ours, and its pid may be another process's by now.
        for h in self.hosts.values():
            try:
                pid = h.pid()
                if parent(pid) != os.getpid():
                    continue
                os.kill(pid, signal.SIGTERM)
                wait_for(lambda: gone(pid), 30,
                         f"{h.name}'s master {pid} gone")
            except (FileNotFoundError, ProcessLookupError, ValueError):
                pass


def report(what, res, seconds=None):
    took = f" in {seconds:.1f} s" if seconds is not None else ""
    say(f"{what}{took}: wrk {res['wrk_requests']} requests, "
        f"{res['wrk_socket_errors']} socket errors, {res['wrk_non2xx']} "
        f"non-2xx; new-connection client {res['py_ok']} ok, "
        f"{res['py_failed']} failed {res['py_examples']}")


def rolling(fleet, mode):
    """Upgrade round, then a config change and a reload round, under
    load: nothing may fail, every host ends on the new generation."""
    before = {n: (h.pid(), h.status()) for n, h in fleet.hosts.items()}
    load = Load()
    r = fleet.deploy()
    say(f"upgrade round took {r.seconds:.1f} s")
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert "all 3 hosts done" in r.stdout, r.stdout
    mid = {n: h.pid() for n, h in fleet.hosts.items()}
    for n, h in fleet.hosts.items():
        assert mid[n] != before[n][0], f"{n} still on master {mid[n]}"
        st = h.status()
        assert st["master"]["pid"] == mid[n], st["master"]
        assert st["master"]["draining"] is False
    gens = {n: h.status()["master"]["generation"]
            for n, h in fleet.hosts.items()}
    for h in fleet.hosts.values():
        h.write_conf("env = FLEET_ROUND=2\n")
    r2 = fleet.deploy("--reload")
    say(f"reload round took {r2.seconds:.1f} s")
    res = load.stop()
    report(f"{mode}: upgrade and reload rounds under load", res,
           r.seconds + r2.seconds)
    assert r2.returncode == 0, (r2.stdout, r2.stderr)
    for n, h in fleet.hosts.items():
        st = h.status()
        assert st["master"]["pid"] == mid[n]
        assert st["master"]["generation"] > gens[n], (n, st["master"])
        # Old workers may still be finishing keep-alive connections
        # (stopping); every one that serves new requests is new.
        serving = [w for w in st["workers"] if w["state"] != "stopping"]
        assert len(serving) == 2 and all(
            w["generation"] == st["master"]["generation"]
            for w in serving), st["workers"]
        assert fleet.stats()[n] == "UP"
    assert res["wrk_requests"] > 0 and res["py_ok"] > 0, res["wrk_out"]
    assert failed(res) == 0, res["wrk_out"]
    return r.seconds + r2.seconds, res


def failures(fleet):
    """A host whose upgrade fails stops the rollout; a host killed outright
    costs only what was in flight there."""
    h2 = fleet.hosts["host2"]
    h2.write_conf("upgrade-exec = /bin/false\n")
    r = h2.ctl("reload")
    assert r.returncode == 0, r
    old = {n: (h.pid(), len(h.log_text())) for n, h in fleet.hosts.items()}
    load = Load()
    r = fleet.deploy()
    res = load.stop()
    report("failed upgrade on host2", res, r.seconds)
    say(f"deploy said: {r.stderr.strip()}")
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert re.search(r"host2: upgrade failed \(it stays on its old version, "
                     r"undrained\): .*; stopping the rollout, not touched: "
                     r"host3", r.stderr), r.stderr
    assert "host3" not in r.stdout, r.stdout
    assert fleet.hosts["host1"].pid() != old["host1"][0]
    assert h2.pid() == old["host2"][0]
    st = h2.status()
    assert st["master"]["pid"] == old["host2"][0]
    assert st["master"]["draining"] is False
    assert fleet.stats()["host2"] == "UP"
    h3 = fleet.hosts["host3"]
    assert h3.pid() == old["host3"][0]
    assert "drain" not in h3.log_text()[old["host3"][1]:]
    assert failed(res) == 0, res["wrk_out"]

    # A reload round where host2's new config is broken: refused, the old
    # config stays in force, the rollout stops there.
    h2.write_conf("workers = banana\n")
    old = {n: (h.status()["master"]["generation"], len(h.log_text()))
           for n, h in fleet.hosts.items()}
    load = Load()
    r = fleet.deploy("--reload", hosts=["host2", "host3"])
    res = load.stop()
    report("broken config on host2", res, r.seconds)
    say(f"deploy said: {r.stderr.strip()}")
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert re.search(r"host2: reload failed \(it stays on its old version, "
                     r"undrained\): .*workers.*; stopping the rollout, not "
                     r"touched: host3", r.stderr), r.stderr
    st = h2.status()["master"]
    assert st["generation"] == old["host2"][0] and not st["draining"]
    assert fleet.stats()["host2"] == "UP"
    assert h3.status()["master"]["generation"] == old["host3"][0]
    assert "drain" not in h3.log_text()[old["host3"][1]:]
    assert failed(res) == 0, res["wrk_out"]

    # SIGKILL of host3's master and everything it started, under load.
    load = Load(posts=2)
    time.sleep(1)
    victim = h3.pid()
    os.kill(victim, signal.SIGSTOP)  # no respawn while its workers die
    procs = descendants(victim)
    for p in procs:
        os.kill(p, signal.SIGKILL)
    os.kill(victim, signal.SIGKILL)
    t0 = time.monotonic()
    fleet.wait_state("host3", "DOWN", 10)
    down = time.monotonic() - t0
    time.sleep(1)
    res = load.stop()
    inflight = load.wrk_conns + load.fresh
    report(f"SIGKILL of host3 ({1 + len(procs)} processes; haproxy DOWN "
           f"after {down:.1f} s)", res)
    say(f"cost of the SIGKILL: {failed(res)} failed GETs (bound: "
        f"{inflight}, the requests that can be in flight); "
        f"{res['post_failed']} failed POSTs of {res['post_ok']} (not "
        f"replayed; bound: {load.posts}) {res['post_examples']}")
    assert failed(res) <= inflight, res["wrk_out"]
    assert res["post_failed"] <= load.posts and res["post_ok"] > 0
    h3.proc.wait()
    h3.proc = None


def agent_words(fleet):
    """What herd's agent says, as the real haproxy takes it."""
    h = fleet.hosts["host1"]
    assert h.ctl("drain").returncode == 0
    fleet.wait_state("host1", "DRAIN")
    say("agent 'drain' -> haproxy DRAIN")
    assert h.ctl("undrain").returncode == 0
    fleet.wait_state("host1", "UP")
    say("agent 'ready up 100%' -> haproxy UP (the drain lifted)")
    # A host the agent took down (no worker ready), then drained, shows
    # DRAIN once it has workers again: "drain" alone would leave haproxy's
    # DOWN in place.
    assert h.ctl("workers", "0").returncode == 0
    fleet.wait_state("host1", "DOWN")
    say("agent 'down' (0 of 0 workers ready) -> haproxy DOWN")
    assert h.ctl("drain").returncode == 0
    assert h.ctl("workers", "2").returncode == 0
    fleet.wait_state("host1", "DRAIN")
    say("agent 'up drain' after 'down' -> haproxy DRAIN")
    assert h.ctl("undrain").returncode == 0
    fleet.wait_state("host1", "UP")
    # Stopping: out of rotation before the listener closes.
    h.proc.send_signal(signal.SIGTERM)
    fleet.wait_state("host1", "DRAIN")
    say("shutdown-delay -> haproxy DRAIN while the host still serves")
    h.proc.wait(timeout=30 * SLOW)
    h.proc = None
    fleet.wait_state("host1", "DOWN")
    say("stopped -> haproxy DOWN")


def main():
    scenario, tmp = sys.argv[1], sys.argv[2]
    if os.environ.get("HERD_FLEET_NETNS") != "1":
        unshare = ["unshare", "-n"] if os.geteuid() == 0 else \
            ["unshare", "-rn"]
        env = dict(os.environ, HERD_FLEET_NETNS="1")
        os.execvpe(unshare[0], unshare + [sys.executable, __file__,
                                          *sys.argv[1:]], env)
    enter_namespace()
    # Upgraded masters outlive their parents: they come to us, and we reap.
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0,
                                            0, 0)
    fleet = Fleet(tmp, "exec" if scenario == "exec" else "hello")
    try:
        fleet.start()
        if scenario in ("hello", "exec"):
            rolling(fleet, scenario)
            if scenario == "hello":
                failures(fleet)
        elif scenario == "agent":
            agent_words(fleet)
        elif scenario == "bench":
            bench(fleet)
        else:
            raise SystemExit(f"fleet.py: no scenario {scenario}")
    finally:
        fleet.stop()
    # As conftest's teardown does for every herd: no sanitizer report.
    for h in fleet.hosts.values():
        found = SANITIZER.search(h.log_text())
        assert not found, f"{h.name}: {found.group(0)} in {h.log}"


def bench(fleet, steady_s=5):
    """bench/fleet.sh: p99 through haproxy in a steady window, then during
    an upgrade round and a reload round; one JSON line."""
    out = {}
    load = Load(duration=steady_s)
    load.wrk.wait(timeout=steady_s * 3 + 30)
    res = load.stop()
    out["steady"] = dict(p99_ms=res["wrk_p99_ms"], p50_ms=res["wrk_p50_ms"],
                         failed=failed(res), seconds=steady_s)
    for name, args in (("upgrade", ()), ("reload", ("--reload",))):
        if name == "reload":
            for h in fleet.hosts.values():
                h.write_conf("env = FLEET_ROUND=2\n")
        load = Load()
        r = fleet.deploy(*args)
        res = load.stop()
        assert r.returncode == 0, r.stderr
        out[name] = dict(p99_ms=res["wrk_p99_ms"], p50_ms=res["wrk_p50_ms"],
                         failed=failed(res), seconds=r.seconds)
    print("BENCH " + json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
