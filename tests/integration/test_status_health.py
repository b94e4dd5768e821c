# SPDX-License-Identifier: BSD-2-Clause
"""/readyz and /livez: ready workers against min-ready, a stopping master,
and a master whose loop does not turn (SIGSTOP)."""
import os
import signal

from conftest import alive, wait_for
from test_status_life import get, status_port
from zdt import KEEPALIVE, ctl


def test_readyz_follows_min_ready(herd, tmp_path):
    conf = tmp_path / "herd.conf"
    conf.write_text("listen = 127.0.0.1:0\napp = hello\nworkers = 2\n"
                    "min-ready = 2\nmetrics-listen = 127.0.0.1:0\n"
                    f"pid-file = {tmp_path / 'herd.pid'}\n")
    h = herd(["-c", str(conf)])
    host, port = status_port(h, "herd-metrics")
    wait_for(lambda: get(host, port, "/readyz") ==
             (200, "ready: 2 of 2 workers ready\n"), what="readyz 200")
    assert ctl(conf, "workers", "1").returncode == 0
    wait_for(lambda: get(host, port, "/readyz") ==
             (503, "not ready: 1 of 1 workers ready (min-ready 2)\n"),
             what="readyz 503 below min-ready")
    assert get(host, port, "/livez")[0] == 200
    assert ctl(conf, "workers", "2").returncode == 0
    wait_for(lambda: get(host, port, "/readyz")[0] == 200,
             what="readyz 200 again")


def test_readyz_503_before_workers_are_ready(herd):
    """Workers that never say READY=1: not ready, though alive."""
    h = herd(["-l", "127.0.0.1:0", "-w", "1", "--readiness", "notify",
              "--boot-timeout", "60s", "--metrics-listen", "127.0.0.1:0"],
             command=[KEEPALIVE], env={"KEEPALIVE_NO_READY": "1"})
    host, port = status_port(h, "herd-metrics")
    h.wait_log(r"worker 0 \(pid \d+, gen 1\): running")
    code, body = get(host, port, "/readyz")
    assert (code, body) == (
        503, "not ready: 0 of 1 workers ready (min-ready 1)\n")
    code, body = get(host, port, "/livez")
    assert code == 200 and body.startswith("alive"), body
    assert '"ready":false' in get(host, port, "/status.json")[1]


def test_readyz_503_while_stopping(herd):
    """QUIT with a worker slow to go: the master is still there, and says
    it is not ready."""
    h = herd(["-l", "127.0.0.1:0", "-w", "1", "--graceful-timeout", "60s",
              "--metrics-listen", "127.0.0.1:0"],
             command=["sh", "-c", "trap '' QUIT TERM; exec sleep 600"])
    host, port = status_port(h, "herd-metrics")
    h.wait_log(r"worker 0 \(pid \d+, gen 1\): ready")
    wait_for(lambda: get(host, port, "/readyz")[0] == 200, what="ready")
    h.signal(signal.SIGQUIT)
    wait_for(lambda: get(host, port, "/readyz") ==
             (503, "not ready: the master is stopping\n"),
             what="readyz 503 while stopping")
    assert "herd_stopping 1" in get(host, port, "/metrics")[1]
    # Let it go: kill the worker that ignores the stop.
    for pid in h.workers():
        with open(f"/proc/{pid}/comm") as f:
            if f.read().strip() == "sleep":
                os.kill(pid, signal.SIGKILL)
    assert h.wait_exit() == 0


def test_livez_fails_while_the_master_is_stopped(herd):
    """/livez asks the master's loop itself: SIGSTOP makes it 503 (after
    its 2 s wait), SIGCONT 200 again; /readyz, read from the snapshot,
    goes on saying what the workers do."""
    h = herd(["--app", "hello", "-l", "127.0.0.1:0", "-w", "1",
              "--metrics-listen", "127.0.0.1:0"])
    host, port = status_port(h, "herd-metrics")
    wait_for(lambda: get(host, port, "/readyz")[0] == 200, what="ready")
    assert get(host, port, "/livez")[0] == 200
    os.kill(h.pid, signal.SIGSTOP)
    try:
        # (An answer younger than 0.1 s may still stand for one probe.)
        wait_for(lambda: get(host, port, "/livez", timeout=10) == (
            503, "not alive: the master did not answer within 2 s\n"),
            what="livez 503")
        assert get(host, port, "/readyz")[0] == 200
    finally:
        os.kill(h.pid, signal.SIGCONT)
    wait_for(lambda: get(host, port, "/livez")[0] == 200,
             what="livez 200 after SIGCONT")
    assert alive(h.pid)


def wakeups(pid):
    with open(f"/proc/{pid}/status") as f:
        st = dict(line.split(":", 1) for line in f if ":" in line)
    return (int(st["voluntary_ctxt_switches"])
            + int(st["nonvoluntary_ctxt_switches"]))


def test_a_livez_flood_barely_wakes_the_master(herd):
    """Each /livez asks the master, but an answer under 0.1 s old stands:
    500 probes wake it far fewer than 500 times."""
    h = herd(["--app", "hello", "-l", "127.0.0.1:0", "-w", "1",
              "--metrics-listen", "127.0.0.1:0"])
    host, port = status_port(h, "herd-metrics")
    wait_for(lambda: get(host, port, "/readyz")[0] == 200, what="ready")
    before = wakeups(h.pid)
    bodies = [get(host, port, "/livez") for _ in range(500)]
    woken = wakeups(h.pid) - before
    assert all(code == 200 for code, _ in bodies)
    assert any("ms ago" in body for _, body in bodies)
    assert woken < 250, woken
