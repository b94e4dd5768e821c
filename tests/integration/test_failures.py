# SPDX-License-Identifier: BSD-2-Clause
"""Failures the master must survive with a consistent state: forks that
fail, workers that flood their output, programs that crash at start or a
little later, workers stopped and continued by a signal. Each was a hole in
an earlier herd (issue #11: items 6, 7, 15, 16, 14 and its "Also")."""
import os
import re
import signal
import subprocess
import time

from conftest import fds, wait_for, SLOW
from zdt import ctl, status, write_config

SLEEP = ["/bin/sleep", "1000"]


def own_fd_limit(h):
    """An RLIMIT_NOFILE that lets h's master keep its own descriptors but
    leaves no room for a worker's (each needs a pidfd and pipes)."""
    own = [fd for fd, target in fds(h.pid).items()
           if "pidfd" not in target and not target.startswith("pipe:")]
    return max(own) + 1


def set_nofile(pid, n):
    subprocess.run(["prlimit", f"--pid={pid}", f"--nofile={n}:"],
                   check=True)


def test_failed_fork_is_retried_until_it_works(herd):
    h = herd(["--listen", "127.0.0.1:0", "--workers", "2"], SLEEP,
             expect_errors=[r"spawn: .*; retry in", r"pipe2: .*; retry in"])
    h.started(2)
    limit = own_fd_limit(h)
    set_nofile(h.pid, limit)
    victim = h.worker_numbers()[1]
    os.kill(victim, signal.SIGKILL)
    h.wait_log(r"worker 1: (spawn|pipe2): Too many open files; retry in")
    # Several attempts fail while the limit holds, each a little later.
    h.wait_log(r"worker 1: (spawn|pipe2): Too many open files; retry in",
               count=2)
    set_nofile(h.pid, 1024)
    wait_for(lambda: h.worker_numbers().get(1) not in (None, victim), 15,
             f"worker 1 back once descriptors are free:\n{h.log()}")


def test_failed_fork_at_boot_is_retried_and_then_ready(herd, tmp_path):
    # How many descriptors a master of this shape holds before any worker.
    probe = herd(["--listen", "127.0.0.1:0", "--workers", "1"], SLEEP)
    probe.started(1)
    limit = own_fd_limit(probe)
    probe.signal(signal.SIGQUIT)
    probe.wait_exit()
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1", "--log",
              str(tmp_path / "boot.log")], SLEEP,
             expect_errors=[r"spawn: .*; retry in", r"pipe2: .*; retry in"],
             log=False,
             popen=lambda argv, **kw: subprocess.Popen(
                 ["prlimit", f"--nofile={limit}:", "--"] + argv,
                 **kw))
    h.log_path = str(tmp_path / "boot.log")
    h.wait_log(r"worker 0: (spawn|pipe2): Too many open files; retry in",
               count=2)
    assert "master: ready" not in h.log()
    set_nofile(h.pid, 1024)
    h.wait_log(r"master: ready", timeout=15)
    h.started(1)


def test_output_flood_does_not_starve_the_master(herd, tmp_path):
    h = herd(["--listen", "127.0.0.1:0", "--workers", "2", "--pid-file",
              str(tmp_path / "herd.pid")], ["/usr/bin/yes"])
    h.started(2)
    h.wait_log(r"worker \d \(pid \d+\): output flood: more than \d+ lines/s;"
               r" dropping", timeout=10)
    for _ in range(3):
        t0 = time.monotonic()
        r = ctl(tmp_path / "herd.pid", "status", timeout=10 * SLOW)
        assert r.returncode == 0, r
        assert time.monotonic() - t0 < 5 * SLOW
    # The flood costs the master little: its log grows by the allowed
    # rate, not by what `yes` can write.
    size1 = os.path.getsize(h.log_path)
    t1 = time.monotonic()
    time.sleep(1.0)
    grown = os.path.getsize(h.log_path) - size1
    rate = grown / (time.monotonic() - t1)
    assert rate < 2 * 2 * 1000 * 80, rate  # 2 workers, 1000 lines/s each
    t0 = time.monotonic()
    h.signal(signal.SIGTERM)
    assert h.wait_exit(timeout=10) == 0
    assert time.monotonic() - t0 < 5 * SLOW
    h.wait_log(r"output flood over: \d+ lines dropped")


def test_reload_to_a_program_that_crashes_at_start_is_rolled_back(
        herd, tmp_path):
    conf = tmp_path / "herd.conf"
    pid_file = tmp_path / "herd.pid"
    conf.write_text("listen = 127.0.0.1:0\n"
                    f"pid-file = {pid_file}\n"
                    "workers = 2\n"
                    "exec-settle = 500ms\n"
                    "command = /bin/sleep 1000\n")
    h = herd(["-c", str(conf)], expect_errors=[r"reload failed"])
    h.wait_log(r"master: ready")
    h.started(2)
    before = set(h.workers())
    conf.write_text(conf.read_text().replace(
        "command = /bin/sleep 1000",
        "command = /bin/sh -c \"echo boom >&2; exit 3\""))
    r = ctl(pid_file, "reload")
    assert r.returncode == 1, r
    assert "rolled back to generation 1" in r.stderr, r.stderr
    assert "exited with status 3" in r.stderr, r.stderr
    assert before == set(h.workers())
    st = status(pid_file)
    assert st["last_reload"]["ok"] is False
    assert [w["generation"] for w in st["workers"]
            if w["state"] == "ready"] == [1, 1]


def test_exec_readiness_waits_for_the_settle_time(herd, tmp_path):
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1",
              "--exec-settle", "300ms"], SLEEP)
    h.wait_log(r"worker 0 \(pid \d+, gen 1\): running")
    line = h.wait_log(r"worker 0 \(pid \d+, gen 1\): ready after "
                      r"([\d.]+) s")
    assert float(line[0]) >= 0.3
    h.wait_log(r"master: ready")


def test_crash_loop_backs_off_however_long_each_run(herd, tmp_path):
    pid_file = tmp_path / "herd.pid"
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1", "--pid-file",
              str(pid_file), "--restart-burst", "2",
              "--restart-interval", "30s", "--exec-settle", "0"],
             ["/bin/sh", "-c", "sleep 1.1; exit 1"])
    # Two failures are allowed a quick respawn; then the delays grow.
    h.wait_log(r"exited with status 1 after 1\.\d s; respawn now", count=2,
               timeout=10)
    delays = h.wait_log(r"exited with status 1 after 1\.\d s; respawn in "
                        r"([\d.]+) s \(crash loop: \d+ failures in",
                        count=2, timeout=15)
    assert [float(d) for d in delays[:2]] == [0.1, 0.2], delays
    w = status(pid_file)["workers"][0]
    assert w["crash_loop"] is True, w
    assert w["last_exit"] == "exited with status 1", w
    assert w["failures"] >= 3, w
    if w["state"] == "gone":
        assert w["respawn_in"] > 0, w
        assert re.match(r"\d{4}-\d\d-\d\dT", w["respawn_at"]), w


def test_crash_loop_can_stop_the_master(herd, tmp_path):
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1",
              "--restart-burst", "1", "--restart-interval", "30s",
              "--crash-loop", "stop"], ["/bin/sh", "-c", "exit 2"],
             expect_errors=[r"crash loop"])
    assert h.wait_exit(timeout=30) == 1
    assert re.search(r"error \[\d+\] master: worker 0 is in a crash loop "
                     r"\(\d+ failures in", h.log()), h.log()


def test_crash_loop_state_in_status(herd, tmp_path):
    pid_file = tmp_path / "herd.pid"
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1", "--pid-file",
              str(pid_file)], ["/bin/sh", "-c", "exit 3"])
    h.wait_log(r"respawn in 0\.8 s \(crash loop", timeout=10)
    w = wait_for(lambda: [w for w in status(pid_file)["workers"]
                          if w["state"] == "gone"], 5, "a gone worker")[0]
    assert w["crash_loop"] is True, w
    assert w["last_exit"] == "exited with status 3", w
    assert -1 < w["respawn_in"] <= 10, w
    assert w["pid"] == 0, w


def test_stopped_worker_is_seen_and_spared_by_timeout(herd, tmp_path):
    pid_file = tmp_path / "herd.pid"
    conf = tmp_path / "herd.conf"
    write_config(conf, 0, 1, "timeout = 1s\n")
    h = herd(["-c", str(conf)])
    h.wait_log(r"master: ready")
    h.started(1)
    pid = h.workers()[0]
    os.kill(pid, signal.SIGSTOP)
    h.wait_log(rf"worker 0 \(pid {pid}, gen 1\): stopped by signal STOP")
    w = status(pid_file)["workers"][0]
    assert w["stopped"] == "STOP", w
    # Stopped for three times `timeout`: still the same worker.
    h.wait_log(r"worker 0 \(pid \d+, gen 1\): stopped by signal STOP; "
               r"`timeout` waits until it continues")
    time.sleep(3.0)
    assert h.workers() == [pid], h.log()
    os.kill(pid, signal.SIGCONT)
    h.wait_log(rf"worker 0 \(pid {pid}, gen 1\): continued")
    assert status(pid_file)["workers"][0]["stopped"] is None
    # Pinging again, it is judged as before: alive.
    time.sleep(1.5)
    assert h.workers() == [pid], h.log()
    assert "killing it" not in h.log()
