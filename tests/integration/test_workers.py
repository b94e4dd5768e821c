# SPDX-License-Identifier: BSD-2-Clause
"""Worker supervision: respawn under the same number, crash-loop backoff,
exec failures in words, graceful stop with a stubborn worker, the master's
death taking the workers with it, orphans reaped, output relayed."""
import os
import signal
import socket
import time

from conftest import alive, environ, fds, wait_for, SLOW

SLEEP = ["/bin/sleep", "1000"]


def test_kill9_worker_respawns_same_number(herd):
    h = herd(["--listen", "127.0.0.1:0", "--workers", "2"], SLEEP).started(2)
    numbers = h.worker_numbers()
    victim = numbers[1]
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: h.worker_numbers().get(1) not in (None, victim), 5,
             "worker 1 respawned")
    assert h.worker_numbers()[0] == numbers[0]
    h.wait_log(rf"worker 1 \(pid {victim}, gen 1\): killed by signal KILL "
               r"after [\d.]+ s; respawn")


def test_crash_loop_backs_off(herd):
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1"],
             ["/bin/sh", "-c", "exit 3"])
    lines = h.wait_log(r"exited with status 3 after [\d.]+ s; respawn in "
                       r"([\d.]+) s \(crash loop", count=4, timeout=10)
    delays = [float(d) for d in lines]
    assert delays[:4] == sorted(delays[:4]) and delays[3] > delays[0], delays
    assert delays[:4] == [0.1, 0.2, 0.4, 0.8], delays


def test_missing_program(herd):
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1"], ["./nope"],
             expect_errors=[r"worker 0: exec \./nope: No such file or "
                            r"directory"])
    h.wait_log(r"error \[\d+\] worker 0: exec \./nope: No such file or directory")
    h.wait_log(r"exited with status 127 after [\d.]+ s; respawn in 0.1 s "
               r"\(crash loop\)")


def test_quit_kills_a_worker_that_ignores_the_stop_signal(herd):
    h = herd(["--listen", "127.0.0.1:0", "--workers", "2",
              "--graceful-timeout", "500ms"],
             ["/bin/sh", "-c", "trap '' TERM; echo trapped; "
              "while :; do sleep 0.05; done"]).started(2)
    h.wait_log(r"\): trapped", count=2)  # both ignore TERM by now
    t0 = time.monotonic()
    h.signal(signal.SIGQUIT)
    assert h.wait_exit() == 0
    assert time.monotonic() - t0 >= 0.5
    h.wait_log(r"still running [\d.]+ s after TERM; sending KILL", count=2)
    h.wait_log(r"killed by signal KILL")


def test_quit_is_graceful_and_exits_zero(herd):
    h = herd(["--listen", "127.0.0.1:0", "--workers", "2"], SLEEP).started(2)
    workers = h.workers()
    h.signal(signal.SIGQUIT)
    assert h.wait_exit() == 0
    assert not any(alive(p) for p in workers)
    h.wait_log(r"master: exiting")


def test_kill9_master_takes_workers_and_frees_the_port(herd):
    h = herd(["--listen", "127.0.0.1:0", "--workers", "3"], SLEEP).started(3)
    port = h.port()
    workers = h.workers()
    os.kill(h.pid, signal.SIGKILL)
    h.proc.wait()
    t0 = time.monotonic()
    wait_for(lambda: not any(alive(p) for p in workers), 1.0, "workers gone")
    assert time.monotonic() - t0 < 1.0 * SLOW
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


def test_orphans_are_reaped(herd):
    # The worker leaves a grandchild behind and dies: herd, a subreaper,
    # adopts and reaps it.
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1"],
             ["/bin/sh", "-c", "(sleep 0.3 &); exec sleep 1000"]).started(1)
    h.wait_log(r"master: reaped orphan pid \d+ \(exited with status 0\)",
               timeout=5)


def test_worker_output_is_relayed(herd):
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1"],
             ["/bin/sh", "-c", "echo hello from $HERD_WORKER; "
              "echo oops >&2; exec sleep 1000"]).started(1)
    pid = h.workers()[0]
    # stdout at info, stderr at warn; [PID] is the master's.
    h.wait_log(rf"info \[{h.pid}\] worker 0 \(pid {pid}\): hello from 0")
    h.wait_log(rf"warn \[{h.pid}\] worker 0 \(pid {pid}\): oops")


def test_worker_environment(herd, tmp_path):
    h = herd(["--listen", "127.0.0.1:0,name=web", "--listen",
              "127.0.0.1:0,name=admin", "--workers", "2", "--env", "A=1",
              "--working-directory", str(tmp_path)], SLEEP).started(2)
    for number, pid in h.worker_numbers().items():
        env = environ(pid)
        assert env["LISTEN_FDS"] == "2"
        assert env["LISTEN_PID"] == str(pid)
        assert env["LISTEN_FDNAMES"] == "web:admin"
        assert env["HERD_WORKER"] == str(number)
        assert env["A"] == "1"
        assert os.readlink(f"/proc/{pid}/cwd") == str(tmp_path)
        # Right after exec the dynamic loader may still hold the libraries
        # it is mapping: what counts is the set the program runs with.
        wait_for(lambda: set(fds(pid)) == {0, 1, 2, 3, 4}, 5,
                 f"only the listeners in {fds(pid)}")
