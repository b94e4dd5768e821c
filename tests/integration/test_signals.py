# SPDX-License-Identifier: BSD-2-Clause
"""The master's signal vocabulary: TTIN/TTOU, WINCH, USR1 reopen, TERM
fast stop, and a signal storm that leaves a consistent state."""
import os
import signal
import time

from conftest import wait_for, SLOW

SLEEP = ["/bin/sleep", "1000"]


def test_ttin_ttou(herd):
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1"], SLEEP).started(1)
    h.signal(signal.SIGTTIN)
    wait_for(lambda: sorted(h.worker_numbers()) == [0, 1], 5, "TTIN")
    h.signal(signal.SIGTTOU)
    wait_for(lambda: sorted(h.worker_numbers()) == [0], 5, "TTOU")
    h.wait_log(r"master: TTOU: 1 workers wanted")


def test_signal_storm_is_consistent(herd):
    h = herd(["--listen", "127.0.0.1:0", "--workers", "2"], SLEEP).started(2)
    for _ in range(50):
        h.signal(signal.SIGTTIN)
    for _ in range(50):
        h.signal(signal.SIGTTOU)
        h.signal(signal.SIGUSR1)
    # Standard signals coalesce in the kernel; whatever count the master
    # ended with, it runs exactly that many workers, numbered 0..n-1.
    def settled():
        wanted = [int(n) for n in h.wait_log(r"master: TT(?:IN|OU): (\d+) "
                                             r"workers wanted")]
        n = wanted[-1]
        nums = sorted(h.worker_numbers())
        return nums == list(range(n)) and len(h.ready_workers()) == n
    wait_for(settled, 10, "a consistent worker count")
    h.signal(signal.SIGTTIN)
    wait_for(settled, 10, "TTIN after the storm")


def test_winch_stops_workers_keeps_master(herd):
    h = herd(["--listen", "127.0.0.1:0", "--workers", "2"], SLEEP).started(2)
    h.signal(signal.SIGWINCH)
    wait_for(lambda: h.workers() == [], 5, "workers stopped")
    assert h.proc.poll() is None
    h.signal(signal.SIGTTIN)
    wait_for(lambda: len(h.ready_workers()) == 1, 5, "TTIN brings one back")


def test_usr1_reopens_log_and_signals_workers(herd, tmp_path):
    rec = tmp_path / "signals"
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1",
              "--reopen-signal", "HUP"],
             ["/bin/sh", "-c", f"trap 'echo HUP >> {rec}' HUP; "
              "echo trapped; while :; do sleep 0.05; done"]).started(1)
    h.wait_log(r"\): trapped")
    os.rename(h.log_path, h.log_path + ".1")
    h.signal(signal.SIGUSR1)
    wait_for(lambda: os.path.exists(h.log_path), 5, "a new log file")
    h.wait_log(r"master: USR1: log reopened")
    wait_for(lambda: rec.exists() and "HUP" in rec.read_text(), 5,
             "the worker got the reopen signal")


def test_term_is_a_fast_stop(herd):
    h = herd(["--listen", "127.0.0.1:0", "--workers", "2",
              "--graceful-timeout", "60s"],
             ["/bin/sh", "-c", "trap '' TERM; echo trapped; "
              "while :; do sleep 0.05; done"]).started(2)
    h.wait_log(r"\): trapped", count=2)  # both ignore TERM by now
    t0 = time.monotonic()
    h.signal(signal.SIGTERM)
    assert h.wait_exit() == 0
    # SIGKILL after 1 s, not after the 60 s graceful timeout.
    assert time.monotonic() - t0 < 5 * SLOW
    h.wait_log(r"master: TERM: fast stop")
