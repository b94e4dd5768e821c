# SPDX-License-Identifier: BSD-2-Clause
"""The status process supervised like a worker: respawned when it dies,
kept across HUP and USR2 (scrapes never fail), given its listeners again
when a reload changes them, confined, its output relayed into the log."""
import json
import os
import re
import signal
import socket
import urllib.error
import urllib.request

import pytest

from conftest import alive, children, http_get, wait_for
from zdt import KEEPALIVE, Clients, ctl, status, upgrade


def status_port(h, name, count=1):
    rx = (r"status process listens on (127\.0\.0\.\d+):(\d+) \("
          + re.escape(name))
    found = wait_for(lambda: len(re.findall(rx, h.own_log())) >= count
                     and re.findall(rx, h.own_log()),
                     what=f"status listener {name} in the log")
    host, port = found[count - 1]
    return host, int(port)


def get(host, port, path, timeout=5):
    try:
        with urllib.request.urlopen(f"http://{host}:{port}{path}",
                                    timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def refused(host, port):
    try:
        socket.create_connection((host, port), timeout=2).close()
        return False
    except ConnectionRefusedError:
        return True


def status_children(master):
    """The herd-status children of master (two while one hands over)."""
    found = []
    for pid in children(master):
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() == "herd-status" and alive(pid):
                    found.append(pid)
        except OSError:
            pass
    return found


def status_child(master):
    """The herd-status child of master (the newest), or None."""
    def started(pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                return int(f.read().rsplit(")", 1)[1].split()[19])
        except (OSError, IndexError, ValueError):
            return 0
    found = status_children(master)
    return max(found, key=started) if found else None


def proc_status(pid):
    with open(f"/proc/{pid}/status") as f:
        return {k: v.strip() for k, v in
                (line.split(":", 1) for line in f if ":" in line)}


def config(path, extra, workers=2):
    path.write_text(f"listen = 127.0.0.1:0,name=http\n"
                    f"pid-file = {path.parent / 'herd.pid'}\n"
                    f"workers = {workers}\n"
                    "readiness = notify\n"
                    "boot-timeout = 10s\n"
                    f"command = {KEEPALIVE}\n" + extra)


def test_respawned_when_killed(herd, tmp_path):
    pidfile = tmp_path / "herd.pid"
    h = herd(["--app", "hello", "-l", "127.0.0.1:0", "-w", "1",
              "--metrics-listen", "127.0.0.1:0", "--pid-file", str(pidfile)])
    host, mport = status_port(h, "herd-metrics")
    wait_for(lambda: get(host, mport, "/readyz")[0] == 200, what="readyz")
    first = wait_for(lambda: status_child(h.pid), what="status child")
    # The table people read names it and what it serves where.
    table = ctl(pidfile, "status").stdout
    assert re.search(rf"Status process: pid {first}\n +{host}:{mport} "
                     r"\(metrics, page, health\)\n", table), table
    os.kill(first, signal.SIGKILL)
    second = wait_for(lambda: status_child(h.pid) not in (None, first)
                      and status_child(h.pid), what="a new status child")
    h.wait_log(rf"warn .*master: status process \(pid {first}\) killed by "
               r"signal KILL; respawn in 0\.1 s")
    h.wait_log(rf"status process started \(pid {second}, uid \d+\)")
    code, body = get(host, mport, "/metrics")
    assert code == 200 and "herd_workers_ready 1" in body
    # Dying again soon after: the next respawn waits twice as long.
    os.kill(second, signal.SIGKILL)
    h.wait_log(rf"status process \(pid {second}\) killed by signal KILL; "
               r"respawn in 0\.2 s")
    wait_for(lambda: status_child(h.pid) not in (None, second),
             what="a third status child")
    wait_for(lambda: get(host, mport, "/readyz")[0] == 200,
             what="readyz again")


class Scraper(Clients):
    """Threads scraping /metrics and /readyz until stopped; a refused
    connection, a timeout or anything but 200 is a failure."""

    def __init__(self, host, port, threads=3):
        self.host, self.port = host, port
        self.pids = set()
        super().__init__([()] * threads)

    def run(self):
        i = 0
        while not self.stopping:
            path = ("/metrics", "/readyz", "/status.json")[i % 3]
            i += 1
            try:
                code, body = get(self.host, self.port, path, timeout=10)
                if code != 200:
                    raise AssertionError(f"{path}: {code} {body!r}")
                if path == "/status.json":
                    with self.lock:
                        self.pids.add(json.loads(body)["master_pid"])
                with self.lock:
                    self.ok += 1
            except Exception as e:  # every failure counts
                with self.lock:
                    self.failures.append(f"{path}: {e!r}")


def test_scrapes_survive_hup_and_usr2(herd, tmp_path):
    """Scraped without pause across a reload, a reload that hands the
    socket to a new status process, and an upgrade: not one scrape fails
    (nor /readyz says 503), and the new master's status process serves in
    the end."""
    conf = tmp_path / "herd.conf"
    config(conf, "metrics-listen = 127.0.0.1:0\n")
    h = herd(["-c", str(conf)])
    h.wait_log(r"master: ready")
    host, mport = status_port(h, "herd-metrics")
    wait_for(lambda: get(host, mport, "/readyz")[0] == 200, what="readyz")
    first = wait_for(lambda: status_child(h.pid), what="status child")
    old = h.pid
    with Scraper(host, mport) as s:
        wait_for(lambda: s.ok >= 10, what="scrapes before HUP")
        h.signal(signal.SIGHUP)
        h.wait_log(r"master: reload done")
        # A reload that changes nothing of it keeps the status process.
        assert status_child(h.pid) == first
        n = s.ok
        wait_for(lambda: s.ok >= n + 10, what="scrapes after HUP")
        # A reload that adds a listener: a new status process takes over
        # the metrics socket while the old one finishes.
        # One request half sent to the old one is still answered.
        half = socket.create_connection((host, mport), timeout=10)
        half.sendall(b"GET /readyz HTTP/1.1\r\n")
        config(conf, "metrics-listen = 127.0.0.1:0\n"
                     "agent-listen = 127.0.0.2:0\n")
        r = ctl(conf, "reload")
        assert r.returncode == 0, r
        wait_for(lambda: len(status_children(h.pid)) == 2,
                 what="a second status process beside the first")
        assert first in status_children(h.pid)
        half.sendall(b"Host: x\r\n\r\n")
        assert half.recv(100).startswith(b"HTTP/1.1 200 OK")
        half.close()
        wait_for(lambda: not alive(first), what="the first status process")
        assert status_child(h.pid) not in (None, first)
        n = s.ok
        wait_for(lambda: s.ok >= n + 30, what="scrapes after the change")
        # The new master's workers take a second to be ready: until they
        # are, the old master's status process answers (ready).
        config(conf, "metrics-listen = 127.0.0.1:0\n"
                     "agent-listen = 127.0.0.2:0\n"
                     "env = KEEPALIVE_BOOT_MS=1000\n")
        h.signal(signal.SIGUSR2)
        new = int(h.wait_log(r"USR2: started new master pid (\d+)")[0])
        wait_for(lambda: not alive(old), 10, "the old master gone")
        h.pid = new
        n = s.ok
        wait_for(lambda: s.ok >= n + 10 and new in s.pids,
                 what="scrapes answered for the new master")
    assert not s.failures, s.failures[:5]
    assert old in s.pids and new in s.pids
    # Its status process serves now, on the same socket.
    assert status_child(new) is not None
    code, body = get(host, mport, "/status.json")
    assert json.loads(body)["master_pid"] == new
    assert "status process listens on" in h.log().split(
        f"[{new}]", 1)[1]
    os.kill(new, signal.SIGQUIT)
    wait_for(lambda: not alive(new), 15, "the new master gone")


def test_least_privileges(herd):
    """Without `user`, a root master's status process runs as nobody; with
    or without, it has no capability, no_new_privs, a seccomp filter and
    its shared mappings read-only."""
    import pwd
    if os.getuid() != 0:
        pytest.skip("needs root: the test is what a root master drops")
    nobody = pwd.getpwnam("nobody")
    for extra in ([], ["--user", "nobody"]):
        h = herd(["--app", "hello", "-l", "127.0.0.1:0", "-w", "1",
                  "--metrics-listen", "127.0.0.1:0"] + extra)
        host, mport = status_port(h, "herd-metrics")
        wait_for(lambda: get(host, mport, "/readyz")[0] == 200,
                 what="readyz")
        pid = wait_for(lambda: status_child(h.pid), what="status child")
        st = proc_status(pid)
        assert st["Uid"].split() == [str(nobody.pw_uid)] * 4, st["Uid"]
        assert st["Gid"].split()[0] == str(nobody.pw_gid), st["Gid"]
        assert set(st["Groups"].split()) <= {str(nobody.pw_gid)}, st

        for caps in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
            assert st[caps] == "0000000000000000", (caps, st[caps])
        assert st["NoNewPrivs"] == "1"
        assert st["Seccomp"] == "2"
        with open(f"/proc/{pid}/maps") as f:
            assert "rw-s" not in f.read()
        with open(f"/proc/{pid}/limits") as f:
            limits = {line[:26].strip(): line[26:].split()[:2]
                      for line in f.readlines()[1:]}
        assert limits["Max open files"] == ["256", "256"]
        assert limits["Max processes"] == ["0", "0"]
        assert limits["Max core file size"] == ["0", "0"]
        # Its memory as a worker's: /proc/PID/statm still read (rss > 0).
        code, body = get(host, mport, "/metrics")
        assert re.search(
            r"herd_worker_resident_memory_bytes\{[^}]*\} [1-9]", body), body
        h.stop()


def test_reload_changes_its_listeners(herd, tmp_path):
    """A reload binds the *-listen addresses it adds, hands them to a new
    status process, and closes the ones it drops; a bind that fails
    leaves everything as it was."""
    conf = tmp_path / "herd.conf"
    config(conf, "metrics-listen = 127.0.0.1:0\n")
    h = herd(["-c", str(conf)], expect_errors=[
        r"reload failed: status listener 127\.0\.0\.1:\d+: .*in use"])
    h.wait_log(r"master: ready")
    host, mport = status_port(h, "herd-metrics")
    first = wait_for(lambda: status_child(h.pid), what="status child")

    # Moved and split: metrics on one address, the page on another.
    config(conf, "metrics-listen = 127.0.0.2:0\n"
                 "status-listen = 127.0.0.3:0\n")
    assert ctl(conf, "reload").returncode == 0
    host2, mport2 = status_port(h, "herd-metrics", count=2)
    host3, sport = status_port(h, "herd-status")
    assert host2 == "127.0.0.2" and host3 == "127.0.0.3"
    wait_for(lambda: not alive(first), what="the old status process gone")
    second = wait_for(lambda: status_child(h.pid), what="new status child")
    assert second != first
    wait_for(lambda: refused(host, mport), what="the old port closed")
    assert get(host2, mport2, "/metrics")[0] == 200
    assert get(host2, mport2, "/")[0] == 404  # the page moved
    assert get(host3, sport, "/")[0] == 200
    h.wait_log(r"status listener 127\.0\.0\.1:0 closed")
    sp = status(conf)["status_process"]
    assert sp["pid"] == second and sp["respawn_in"] is None
    assert sp["listeners"] == [
        {"name": "herd-metrics", "listen": f"{host2}:{mport2}",
         "serves": ["metrics", "health"]},
        {"name": "herd-status", "listen": f"{host3}:{sport}",
         "serves": ["page", "health"]}]

    # A reload whose status listener cannot bind is refused as a whole.
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    busy = taken.getsockname()[1]
    config(conf, f"metrics-listen = 127.0.0.1:{busy}\n", workers=3)
    r = ctl(conf, "reload")
    assert r.returncode != 0 and "status listener" in r.stdout + r.stderr
    taken.close()
    assert status_child(h.pid) == second
    assert get(host2, mport2, "/metrics")[0] == 200
    assert len(h.workers()) == 3  # two workers and the status process

    # None left: the status process stops; one again: it comes back.
    config(conf, "")
    assert ctl(conf, "reload").returncode == 0
    wait_for(lambda: status_child(h.pid) is None, what="no status child")
    assert status(conf)["status_process"] is None
    wait_for(lambda: refused(host2, mport2) and refused(host3, sport),
             what="its ports closed")
    config(conf, "metrics-listen = 127.0.0.4:0\n")
    assert ctl(conf, "reload").returncode == 0
    host4, mport4 = status_port(h, "herd-metrics", count=3)
    wait_for(lambda: get(host4, mport4, "/readyz")[0] == 200,
             what="readyz on the new address")
    h.wait_log(r"master: reload done", count=3)
    h.baseline_fds = None  # its listeners changed on purpose


def test_output_relayed_and_connections_bounded(herd):
    """What the status process writes reaches herd's log like a worker's
    stderr; slow clients past its table make the oldest room, and a
    scrape still gets through."""
    h = herd(["--app", "hello", "-l", "127.0.0.1:0", "-w", "1",
              "--metrics-listen", "127.0.0.1:0"])
    host, mport = status_port(h, "herd-metrics")
    wait_for(lambda: get(host, mport, "/readyz")[0] == 200, what="readyz")
    pid = status_child(h.pid)
    slow = []
    try:
        for _ in range(100):
            s = socket.create_connection((host, mport))
            s.sendall(b"GET /metrics HTTP/1.1\r\n")  # and never the rest
            slow.append(s)
        # Dressed once, by the master: no second time, level or pid.
        h.wait_log(rf"Z warn \[{h.pid}\] status process \(pid {pid}\): "
                   r"status: 64 connections open: the oldest make room")
        for _ in range(5):
            assert get(host, mport, "/metrics")[0] == 200
        assert "hello, world" in http_get(h.port())
    finally:
        for s in slow:
            s.close()


def test_public_address_warns(herd):
    h = herd(["--app", "hello", "-l", "127.0.0.1:0", "-w", "1",
              "--metrics-listen", "0.0.0.0:0"])
    h.wait_log(r"warn .*master: 0\.0\.0\.0:0 is not a loopback address: "
               r"metrics, the status page and health checks are meant for "
               r"a private network")
    lo = herd(["--app", "hello", "-l", "127.0.0.1:0", "-w", "1",
               "--metrics-listen", "127.0.0.1:0"])
    lo.wait_log(r"status process listens on")
    assert "loopback" not in lo.own_log()


def test_counts_and_results_survive_an_upgrade(herd, tmp_path):
    """last_reload and last_upgrade in `herd ctl status --json`, and the
    counters in /metrics, go on after USR2."""
    from prometheus_client.parser import text_string_to_metric_families
    conf = tmp_path / "herd.conf"
    config(conf, "metrics-listen = 127.0.0.1:0\n")
    h = herd(["-c", str(conf)])
    h.wait_log(r"master: ready")
    host, mport = status_port(h, "herd-metrics")
    assert ctl(conf, "reload").returncode == 0
    before = status(conf)
    assert before["last_reload"]["ok"] is True
    assert before["last_upgrade"] is None
    old = h.pid
    new = upgrade(h, conf)
    after = status(conf)
    assert after["master"]["pid"] == new
    for key in ("ok", "at", "generation", "reason"):
        assert after["last_reload"][key] == before["last_reload"][key]
    assert after["last_upgrade"]["ok"] is True
    assert str(old) in after["last_upgrade"]["reason"]
    # The human table says so too.
    table = ctl(conf, "status").stdout
    assert re.search(r"Last reload:.*ok", table), table
    assert re.search(r"Last upgrade:.*ok", table), table

    def sample(name, **labels):
        fams = text_string_to_metric_families(
            get(host, mport, "/metrics")[1])
        for f in fams:
            for s in f.samples:
                if s.name == name and all(
                        s.labels.get(k) == v for k, v in labels.items()):
                    return s.value
        return None

    wait_for(lambda: sample("herd_upgrades_total", outcome="ok") == 1,
             what="the upgrade counted by the new master")
    assert sample("herd_reloads_total", outcome="ok") == 1
    os.kill(new, signal.SIGQUIT)
    wait_for(lambda: not alive(new), 15, "the new master gone")


def test_port_zero_keys_get_a_socket_each(herd, tmp_path):
    """Two *-listen keys at port 0 ask for two ports, as two `listen` keys
    at port 0 do (they were once merged, and the agent refused to share
    an HTTP listener); a reload keeps each port with its key."""
    conf = tmp_path / "herd.conf"
    config(conf, "metrics-listen = 127.0.0.1:0\n"
                 "health-listen = 127.0.0.1:0\n"
                 "agent-listen = 127.0.0.1:0\n")
    h = herd(["-c", str(conf)])
    h.wait_log(r"master: ready")
    ports = {name: status_port(h, name)[1]
             for name in ("herd-metrics", "herd-health", "herd-agent")}
    assert len(set(ports.values())) == 3
    wait_for(lambda: get("127.0.0.1", ports["herd-health"], "/readyz")[0]
             == 200, what="readyz")
    assert "herd_workers_ready" in get("127.0.0.1", ports["herd-metrics"],
                                       "/metrics")[1]
    with socket.create_connection(("127.0.0.1", ports["herd-agent"])) as s:
        assert s.recv(64).decode().startswith("ready up ")
    config(conf, "metrics-listen = 127.0.0.1:0\n"
                 "health-listen = 127.0.0.1:0\n"
                 "agent-listen = 127.0.0.1:0\n", workers=3)
    assert ctl(conf, "reload").returncode == 0
    h.wait_log(r"master: reload done")
    got = {l["name"]: int(l["listen"].rsplit(":", 1)[1])
           for l in status(conf)["status_process"]["listeners"]}
    assert got == ports
