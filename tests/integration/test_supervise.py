# SPDX-License-Identifier: BSD-2-Clause
"""Supervising herd's own workers: the scoreboard, `timeout` and
`boot-timeout`, a stopped master, recycling, running out of descriptors and
slow clients. Precision and cost are measured in bench/supervise.sh, not
here: these tests check behaviour, with deadlines generous enough for the
sanitizers and a shared machine."""
import json
import random
import shutil
import os
import re
import signal
import socket
import subprocess
import time

from slowclients import SlowClients
from conftest import BUILD, HERD, SLOW, alive, helper, wait_for

TESTAPP = os.path.join(BUILD, "tests", "testapp.so")


def start(herd, tmp_path, *args, workers=1, env=None, listen="127.0.0.1:0",
          **kw):
    sock = tmp_path / "ctl.sock"
    h = herd(["--listen", listen, "--workers", str(workers),
              "--control-socket", str(sock), *args], env=env,
              **kw).started(workers)
    h.sock = sock
    return h


def ctl_status(h):
    r = subprocess.run([HERD, "ctl", "--control-socket", str(h.sock),
                        "--json", "status"], capture_output=True, text=True,
                       timeout=10 * SLOW)
    assert r.returncode == 0, r
    return json.loads(r.stdout)


def request(port, path, timeout=10.0):
    """GET path on a new connection; (status, body) or (None, why) when
    the connection ended without an answer."""
    with socket.create_connection(("127.0.0.1", port),
                                  timeout=timeout * SLOW) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n"
                  f"Connection: close\r\n\r\n".encode())
        data = b""
        try:
            while chunk := s.recv(65536):
                data += chunk
        except ConnectionResetError:
            return None, "reset"
    if not data:
        return None, "closed"
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


# Scoreboard ---------------------------------------------------------------

def test_status_shows_each_workers_scoreboard(herd, tmp_path):
    h = start(herd, tmp_path, "--app", "hello", workers=2)
    port = h.port()
    for _ in range(10):
        assert request(port, "/")[0] == 200
    slow = socket.create_connection(("127.0.0.1", port))
    slow.sendall(b"GET /sleep/1500 HTTP/1.1\r\nHost: x\r\n\r\n")

    def busy():
        ws = ctl_status(h)["workers"]
        return [w for w in ws if w["scoreboard"]["phase"] == "handler"]

    busy_now = wait_for(busy, 5, "a worker in its handler")
    board = busy_now[0]["scoreboard"]
    assert board["request"] == "GET /sleep/1500 HTTP/1.1"
    assert 0 <= board["busy_for"] < 1.5 * SLOW + 1
    assert board["connections"] >= 1
    assert slow.recv(4096).startswith(b"HTTP/1.1 200")
    slow.close()
    boards = [w["scoreboard"] for w in ctl_status(h)["workers"]]
    assert sum(b["requests"] for b in boards) == 11
    assert sum(b["accepted"] for b in boards) == 11
    assert sum(b["bytes_out"] for b in boards) > 11 * 13
    assert all(b["phase"] in ("waiting", "working") for b in boards)


# timeout ------------------------------------------------------------------

def test_stuck_request_kills_its_worker_with_a_reason(herd, tmp_path):
    h = start(herd, tmp_path, "--app", "hello", "--timeout", "300ms")
    port = h.port()
    victim = int(request(port, "/pid")[1])
    # Shorter than the timeout: served, nobody killed.
    assert request(port, "/sleep/100")[0] == 200
    t0 = time.monotonic()
    assert request(port, "/sleep/20000")[0] is None
    assert time.monotonic() - t0 < 0.3 + 5 * SLOW
    line = h.wait_log(r"killing it")[0]
    log = h.log()
    m = re.search(rf"worker 0 \(pid {victim}, gen 1\): request "
                  r'"GET /sleep/20000 HTTP/1\.1" running for (\d+\.\d+) s '
                  r"\(timeout 0\.300 s\); kernel says: wchan (\S+), "
                  r"syscall 230 \(clock_nanosleep\); killing it", log)
    assert m, (line, log)
    assert float(m.group(1)) >= 0.3
    # Killed young, but for hanging, not for failing to start: replaced
    # at once, without crash-loop backoff.
    h.wait_log(rf"worker 0 \(pid {victim}, gen 1\): killed by signal KILL "
               r"after \d+\.\d s; respawn now")
    h.wait_log(r"worker 0 \(pid \d+, gen 1\): ready")
    wait_for(lambda: request(port, "/pid")[1] not in (str(victim).encode(),
                                                        "closed"),
             5, "a replacement")
    assert log.count("killing it") == 1


def test_spinning_handler_is_killed_too(herd, tmp_path):
    h = start(herd, tmp_path, "--app", TESTAPP, "--timeout", "400ms")
    assert request(h.port(), "/spin/20000")[0] is None
    h.wait_log(r'request "GET /spin/20000 HTTP/1\.1" running for '
               r"\d+\.\d+ s \(timeout 0\.400 s\); kernel says: wchan "
               r"\(running\)")


def test_idle_workers_are_never_killed(herd, tmp_path):
    h = start(herd, tmp_path, "--app", "hello", "--timeout", "100ms",
              workers=2)
    before = set(h.workers())
    time.sleep(1.0)
    # Keep-alive connections idle far longer than the timeout are not
    # requests running: nothing to kill either.
    idle = socket.create_connection(("127.0.0.1", h.port()))
    idle.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert idle.recv(4096).startswith(b"HTTP/1.1 200")
    time.sleep(0.5)
    idle.close()
    assert set(h.workers()) == before
    assert "killing it" not in h.log()


def test_stopped_master_kills_nobody_when_it_resumes(herd, tmp_path):
    h = start(herd, tmp_path, "--app", "hello", "--timeout", "300ms",
              workers=2)
    port = h.port()
    before = set(h.workers())
    h.signal(signal.SIGSTOP)
    try:
        # Workers serve on while their master is stopped for several
        # timeouts.
        t0 = time.monotonic()
        while time.monotonic() - t0 < 1.5:
            assert request(port, "/sleep/50")[0] == 200
    finally:
        h.signal(signal.SIGCONT)
    assert request(port, "/")[0] == 200
    time.sleep(0.3)
    assert set(h.workers()) == before
    assert "killing it" not in h.log()


def test_stopped_master_spares_exec_workers_that_ping(herd, tmp_path):
    h = start(herd, tmp_path, "--timeout", "400ms", "--readiness", "notify",
              command=[helper("keepalive")])
    before = set(h.workers())
    h.signal(signal.SIGSTOP)
    time.sleep(1.5)
    h.signal(signal.SIGCONT)
    time.sleep(0.5)
    assert set(h.workers()) == before, h.log()
    assert "killing it" not in h.log()


def test_boot_timeout_covers_worker_init(herd, tmp_path):
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1", "--app", TESTAPP,
              "--boot-timeout", "300ms", "--env", "TESTAPP_INIT_MS=20000"])
    h.wait_log(r"worker 0 \(pid \d+, gen 1\): not ready after 0\.\d s "
               r"\(boot-timeout\); killing it")
    h.wait_log(r"respawn in \d+\.\d s \(crash loop\)")


# Recycling ----------------------------------------------------------------

def uss(pid):
    with open(f"/proc/{pid}/smaps_rollup") as f:
        return sum(int(line.split()[1]) * 1024 for line in f
                   if line.startswith(("Private_Clean:", "Private_Dirty:")))


def test_max_requests_starts_the_successor_first(herd, tmp_path):
    h = start(herd, tmp_path, "--app", "hello", "--max-requests", "5")
    port = h.port()
    first = int(request(port, "/pid")[1])
    # Every request is answered across the change of worker.
    for _ in range(11):
        assert request(port, "/")[0] == 200
    h.wait_log(r"asks to be replaced \(max-requests: 5 answered\); "
               r"starting its successor first")
    h.wait_log(rf"worker 0 \(pid {first}, gen 1\): stopping \(recycled: "
               r"max-requests: 5 answered; pid \d+ took over\)")
    log = h.log()
    successor = int(re.search(r"pid (\d+) took over", log).group(1))
    # The successor was ready before its predecessor was asked to stop.
    assert (log.index(f"(pid {successor}, gen 1): ready") <
            log.index(f"(pid {first}, gen 1): stopping"))
    wait_for(lambda: first not in h.workers(), 5, "the old worker gone")
    assert int(request(port, "/pid")[1]) != first
    assert "error" not in log and "warn" not in log


def test_max_requests_jitter_spreads_the_limit(herd, tmp_path):
    h = start(herd, tmp_path, "--app", "hello", "--max-requests", "4",
              "--max-requests-jitter", "3")
    port = h.port()
    for _ in range(9):
        assert request(port, "/")[0] == 200
    n = int(h.wait_log(r"max-requests: (\d+) answered")[0])
    assert 4 <= n <= 7


def test_max_memory_recycles_a_grown_worker(herd, tmp_path):
    # The sanitizers inflate a worker's own memory: measure it first.
    h = start(herd, tmp_path, "--app", TESTAPP)
    base = uss(h.workers()[0])
    h.stop()
    limit = base + (48 << 20)
    # A second herd in this test, on the same log file: port() reads what
    # this one logged.
    h = start(herd, tmp_path, "--app", TESTAPP, "--max-memory", str(limit))
    port = h.port()
    grown = int(request(port, "/pid")[1])
    assert request(port, "/grow/16")[0] == 200
    assert request(port, "/")[0] == 200
    time.sleep(1.2)
    assert request(port, "/")[0] == 200
    assert "asks to be replaced" not in h.log()
    assert request(port, "/grow/96")[0] == 200
    time.sleep(1.2)  # the check runs at most once a second
    assert request(port, "/")[0] == 200
    h.wait_log(rf"worker 0 \(pid {grown}, gen 1\): asks to be replaced "
               r"\(max-memory: private memory \d+\.\d MiB > \d+\.\d MiB\)")
    wait_for(lambda: grown not in h.workers(), 5, "the grown worker gone")


# Preload ------------------------------------------------------------------

def test_reload_with_preload_loads_new_code_through_a_new_master(herd,
                                                                tmp_path):
    examples = os.path.join(BUILD, "examples")
    app = tmp_path / "app.so"
    shutil.copy(TESTAPP, app)
    conf = tmp_path / "herd.conf"
    pid_file = tmp_path / "herd.pid"
    conf.write_text(f"listen = 127.0.0.1:0\nworkers = 2\n"
                    f"app = {app}\npreload = true\npid-file = {pid_file}\n"
                    f"control-socket = {tmp_path / 'ctl.sock'}\n"
                    f"env = TESTAPP_TABLE_MB=4\n")
    h = herd(["-c", str(conf)]).started(2)
    # The new master takes the socket over by its address (port 0 matches
    # the inherited one's port), so the port stays.
    port = h.port()
    h.wait_log(r"master: app testapp preloaded")
    assert request(port, "/")[1].startswith(b"ok ")
    # New code, put in place the way a deploy does: a new file renamed
    # over the old name.
    shutil.copy(os.path.join(examples, "greet.so"), tmp_path / "new.so")
    os.rename(tmp_path / "new.so", app)
    r = subprocess.run([HERD, "ctl", "-c", str(conf), "reload"],
                       capture_output=True, text=True, timeout=60 * SLOW)
    assert r.returncode == 0, r
    h.wait_log(r"the app is preloaded in this master, so new code needs a "
               r"new master: upgrading")
    new_master = int(pid_file.read_text())
    assert new_master != h.proc.pid
    h.pid = new_master
    wait_for(lambda: not alive(h.proc.pid) or h.proc.poll() is not None,
             15, "the old master gone")
    assert request(port, "/")[1].startswith(b"hello, world (request")
    h.wait_log(r"master: app greet preloaded")


# Hostile conditions -------------------------------------------------------

def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_out_of_descriptors_sheds_without_spinning(herd, tmp_path):
    def limited(argv, **kw):
        return subprocess.Popen(["prlimit", "--nofile=48:48", *argv], **kw)

    pid_file = tmp_path / "herd.pid"
    h = start(herd, tmp_path, "--app", "hello", "--pid-file", str(pid_file),
              popen=limited)
    port = h.port()
    worker = h.workers()[0]
    # Idle keep-alive connections take the worker's descriptors.
    held = []
    for _ in range(60):
        s = socket.create_connection(("127.0.0.1", port), timeout=5 * SLOW)
        held.append(s)
    h.wait_log(r"accept: Too many open files; shedding the backlog with "
               r"503 and pausing accepts")
    # More clients: each is turned away at once, not left hanging.
    cpu0, t0 = cpu_seconds(worker), time.monotonic()
    turned_away = 0
    while time.monotonic() - t0 < 1.0:
        got = request(port, "/", timeout=5)
        assert got[0] in (503, None), got
        turned_away += 1
        time.sleep(0.05)
    cpu = cpu_seconds(worker) - cpu0
    assert turned_away >= 5
    assert cpu < 0.5, f"worker used {cpu:.2f} s of CPU in 1 s: spinning?"
    # Open connections are still served: the first ones that got in.
    served = 0
    for s in held:
        try:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            if s.recv(4096).startswith(b"HTTP/1.1 200"):
                served += 1
        except OSError:
            pass
    assert served >= 20
    assert len(re.findall(r"accept: Too many open files", h.log())) == 1
    boards = ctl_status(h)["workers"][0]["scoreboard"]
    assert boards["emfile"] >= 1 and boards["shed"] >= 1
    # Descriptors free up: service recovers, the episode is closed.
    for s in held:
        s.close()
    wait_for(lambda: request(port, "/")[0] == 200, 5, "service back")
    h.wait_log(r"accept: descriptors available again after \d+\.\d s; "
               r"\d+ connections shed")
    # And an upgrade still works under the same limit.
    h.signal(signal.SIGUSR2)
    wait_for(lambda: pid_file.exists() and
             int(pid_file.read_text()) != h.proc.pid, 15, "a new master")
    h.pid = int(pid_file.read_text())
    wait_for(lambda: h.proc.poll() is not None, 15, "the old master gone")
    assert request(port, "/")[0] == 200


def test_slow_clients_do_not_pin_workers(herd, tmp_path):
    h = start(herd, tmp_path, "--app", "hello", "--timeout", "2s",
              workers=2)
    port = h.port()
    before = set(h.workers())
    slow = SlowClients(port, 500, timeout=5 * SLOW)
    latencies = []
    t0 = time.monotonic()
    while time.monotonic() - t0 < 2.0:
        slow.trickle()
        for _ in range(10):
            t = time.monotonic()
            assert request(port, "/", timeout=5)[0] == 200
            latencies.append(time.monotonic() - t)
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    # The goal (50 ms on a release build) is measured by bench/; here the
    # sanitizers and a shared machine get room, but a pinned worker would
    # still show as seconds.
    assert p99 < 0.5, f"p99 {p99 * 1000:.0f} ms over {len(latencies)}"
    boards = [w["scoreboard"] for w in ctl_status(h)["workers"]]
    assert sum(b["connections"] for b in boards) >= 500
    slow.close()
    assert set(h.workers()) == before
    assert "killing it" not in h.log()


# Drains -------------------------------------------------------------------

def test_drain_answers_each_connection_once_more_then_closes(herd, tmp_path):
    h = start(herd, tmp_path, "--app", "hello")
    port = h.port()
    conns = []
    for _ in range(4):
        s = socket.create_connection(("127.0.0.1", port), timeout=5 * SLOW)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"keep-alive" in s.recv(4096)
        conns.append(s)
    t0 = time.monotonic()
    h.signal(signal.SIGQUIT)
    time.sleep(0.2)
    # Two clients come back within the grace period: answered, told to
    # close. The other two stay idle and are closed after it.
    for s in conns[:2]:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        got = s.recv(4096)
        assert got.startswith(b"HTTP/1.1 200") and \
            b"Connection: close" in got, got
    for s in conns:
        s.settimeout(5 * SLOW)
        while s.recv(4096):
            pass
    assert h.wait_exit() == 0
    assert time.monotonic() - t0 < 5 * SLOW


def test_worker_leaves_before_graceful_timeout(herd, tmp_path):
    h = start(herd, tmp_path, "--app", "echo", "--graceful-timeout", "2s")
    port = h.port()
    # A body that never ends keeps its connection busy through the drain.
    stuck = socket.create_connection(("127.0.0.1", port))
    stuck.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
                  b"\r\nonly ten b")
    time.sleep(0.2)
    t0 = time.monotonic()
    h.signal(signal.SIGQUIT)
    assert h.wait_exit() == 0
    assert time.monotonic() - t0 < 2 + 2 * SLOW
    log = h.log()
    assert re.search(r"graceful stop: 1 connections still open \d\.\d s "
                     r"after it began; closing them", log), log
    assert "sending KILL" not in log
    assert "exited with status 0" in log
    stuck.close()


# Signal storms ------------------------------------------------------------

def test_signal_storm_on_http_workers_leaves_a_consistent_herd(herd,
                                                               tmp_path):
    conf = tmp_path / "herd.conf"
    conf.write_text(f"listen = 127.0.0.1:0\nworkers = 2\napp = hello\n"
                    f"control-socket = {tmp_path / 'ctl.sock'}\n")
    h = herd(["-c", str(conf)]).started(2)
    port = h.port()
    h.sock = tmp_path / "ctl.sock"
    rng = random.Random(7)
    storm = [signal.SIGHUP, signal.SIGTTIN, signal.SIGTTOU, signal.SIGUSR1]
    for i in range(300):
        h.signal(rng.choice(storm))
        if i == 150:
            # The config changes mid-storm: the last HUP must apply it.
            conf.write_text(conf.read_text().replace("workers = 2",
                                                     "workers = 3"))
        time.sleep(rng.random() * 0.005)
    h.signal(signal.SIGHUP)

    def settled():
        st = ctl_status(h)
        ready = [w for w in st["workers"] if w["state"] == "ready"]
        return (not st["master"]["reloading"] and
                len(ready) == st["master"]["workers"] == 3 and
                len(h.workers()) == 3 and ready)
    wait_for(settled, 20, "the herd settled at the config's 3 workers")
    assert request(port, "/")[0] == 200
    log = h.log()
    # USR1 reached workers at every stage of their lives without killing
    # one; nothing crashed.
    assert "killed by signal" not in log, log
    assert "error" not in log, log
