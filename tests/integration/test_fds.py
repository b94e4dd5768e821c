# SPDX-License-Identifier: BSD-2-Clause
"""The descriptor invariant (the nginx lesson): a worker holds exactly
0, 1, 2 and its listeners, whatever the caller or herd itself had open, and
the master does not grow descriptors as workers come and go."""
import os
import signal
import time

from conftest import fds, status, wait_for

SLEEP = ["/bin/sleep", "1000"]


def settled_fds(pid, want, timeout=5.0):
    """pid's descriptors once they are want, or what it holds after
    timeout. A program just exec'd opens descriptors of its own for a
    moment (the dynamic loader its libraries, libc the locale archive);
    one herd leaked stays."""
    deadline = time.monotonic() + timeout
    while True:
        got = fds(pid)
        if set(got) == want or time.monotonic() > deadline:
            return got
        time.sleep(0.01)


def expect_exact_fds(h, nlisteners):
    want = set(range(3 + nlisteners))
    for pid in h.workers():
        got = settled_fds(pid, want)
        assert set(got) == want, (pid, got)
        assert got[0] == "/dev/null"
        # stdout and stderr: two pipes (info and warn in the log).
        assert got[1].startswith("pipe:") and got[2].startswith("pipe:")
        assert got[1] != got[2]
        for n in range(3, 3 + nlisteners):
            assert got[n].startswith("socket:")
        st = status(pid)
        assert int(st["SigBlk"], 16) == 0, st["SigBlk"]
        assert int(st["SigIgn"], 16) == 0, st["SigIgn"]


def test_stray_descriptor_from_the_caller(herd, tmp_path):
    stray = os.open("/etc/hostname", os.O_RDONLY)  # inheritable
    os.set_inheritable(stray, True)
    try:
        h = herd(["--listen", "127.0.0.1:0", "--workers", "2"], SLEEP,
                 pass_fds=(stray,)).started(2)
    finally:
        os.close(stray)
    expect_exact_fds(h, 1)
    # The master itself let it go, and said so.
    assert "/etc/hostname" not in fds(h.pid).values()
    h.wait_log(rf"closed \d+ descriptors left open by the caller:.* {stray}")


def test_exact_fds_after_respawn_and_ttin_ttou(herd):
    h = herd(["--listen", "127.0.0.1:0", "--listen", "127.0.0.1:0,name=b",
              "--workers", "2"], SLEEP).started(2)
    expect_exact_fds(h, 2)
    victim = h.workers()[0]
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: victim not in h.workers() and len(h.ready_workers())
             == 2, 5, "respawn")
    expect_exact_fds(h, 2)
    h.signal(signal.SIGTTIN)
    wait_for(lambda: len(h.ready_workers()) == 3, 5, "TTIN")
    expect_exact_fds(h, 2)
    h.signal(signal.SIGTTOU)
    wait_for(lambda: len(h.workers()) == 2, 5, "TTOU")
    expect_exact_fds(h, 2)


def age(pid):
    """Seconds since pid started, from /proc (clock ticks since boot)."""
    with open(f"/proc/{pid}/stat") as f:
        start = int(f.read().split(") ")[1].split()[19])
    with open("/proc/uptime") as f:
        up = float(f.read().split()[0])
    return up - start / os.sysconf("SC_CLK_TCK")


def test_master_fds_stable_over_100_respawns(herd):
    # Workers are killed once they are past the crash-loop threshold (1 s)
    # and the failure rate is allowed for, so every respawn is immediate:
    # 10 rounds of 10 workers.
    h = herd(["--listen", "127.0.0.1:0", "--workers", "10",
              "--restart-burst", "1000"], SLEEP).started(10)
    base = h.own_fds()
    killed = 0
    while killed < 100:
        wait_for(lambda: len(h.ready_workers()) == 10 and all(
            age(p) > 1.1 for p in h.ready_workers()), 10, "10 old workers")
        for pid in h.ready_workers():
            os.kill(pid, signal.SIGKILL)
            killed += 1
        h.wait_log(r"killed by signal KILL after [\d.]+ s; respawn now",
                   count=killed)
    wait_for(lambda: len(h.ready_workers()) == 10, 10, "respawns")
    assert h.own_fds() == base
    # One pidfd and two output pipes (stdout, stderr) per worker, nothing
    # left of the dead.
    kinds = [t for n, t in fds(h.pid).items() if n > 2]
    assert sum("pidfd" in t for t in kinds) == 10, kinds
    assert sum(t.startswith("pipe:") for t in kinds) == 20, kinds
    expect_exact_fds(h, 1)


def test_hundreds_of_stray_descriptors_from_the_caller(herd, tmp_path):
    """Every descriptor the caller leaks is closed, not just the first
    few hundred: 400 of them, some far above the listeners."""
    marker = tmp_path / "leaked"
    marker.write_text("")
    strays = []
    try:
        for _ in range(400):
            fd = os.open(str(marker), os.O_RDONLY)
            os.set_inheritable(fd, True)
            strays.append(fd)
        h = herd(["--listen", "127.0.0.1:0", "--workers", "1"], SLEEP,
                 pass_fds=tuple(strays)).started(1)
    finally:
        for fd in strays:
            os.close(fd)
    left = [n for n, t in fds(h.pid).items() if t == str(marker)]
    assert left == [], f"{len(left)} stray descriptors stayed: {left}"
    h.wait_log(r"closed 400 descriptors left open by the caller")
    expect_exact_fds(h, 1)
