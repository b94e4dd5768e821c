# SPDX-License-Identifier: BSD-2-Clause
"""Master benchmarks (not tests): idle wakeups, TTIN-to-running and
kill-to-replacement latency. Run by bench/master.sh on the release build."""
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
B = os.path.join(ROOT, "build/release")


def ctxt(pid):
    with open(f"/proc/{pid}/status") as f:
        st = dict(line.split(":", 1) for line in f)
    return (int(st["voluntary_ctxt_switches"]) +
            int(st["nonvoluntary_ctxt_switches"]))


def children(pid):
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return {int(p) for p in f.read().split()}


def stamp_of(d, pid, deadline=5.0):
    path = os.path.join(d, str(pid))
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            with open(path) as f:
                text = f.read()
            if text.endswith("\n"):
                return int(text)
        except FileNotFoundError:
            pass
        time.sleep(0.0005)
    raise RuntimeError(f"no stamp from {pid}")


def new_child(pid, before, deadline=5.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        new = children(pid) - before
        if new:
            return new.pop()
        time.sleep(0.0005)
    raise RuntimeError("no new worker")


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    d = tempfile.mkdtemp()
    env = dict(os.environ, STAMP_DIR=d)
    herd = subprocess.Popen(
        [f"{B}/herd", "--listen", "127.0.0.1:0", "--workers", "1", "--log",
         os.path.join(d, "herd.log"), "--", f"{B}/helpers/stamp"], env=env)
    try:
        time.sleep(1)
        before = ctxt(herd.pid)
        time.sleep(10)
        idle = ctxt(herd.pid) - before
        print(f"master context switches over 10 idle seconds: {idle} "
              "(goal 0)")

        ttin = []
        for _ in range(rounds):
            kids = children(herd.pid)
            t0 = time.monotonic_ns()
            os.kill(herd.pid, signal.SIGTTIN)
            pid = new_child(herd.pid, kids)
            ttin.append((stamp_of(d, pid) - t0) / 1e6)
        print(f"TTIN to the new worker running its program: median "
              f"{statistics.median(ttin):.2f} ms, max {max(ttin):.2f} ms "
              f"over {rounds} (goal <= 10 ms)")

        respawn = []
        # Older than the crash-loop threshold, so respawns are immediate.
        time.sleep(1.2)
        for _ in range(rounds):
            kids = children(herd.pid)
            victim = min(kids)
            t0 = time.monotonic_ns()
            os.kill(victim, signal.SIGKILL)
            pid = new_child(herd.pid, kids)
            respawn.append((stamp_of(d, pid) - t0) / 1e6)
            time.sleep(1.05)
        print(f"kill -9 of a worker to its replacement running: median "
              f"{statistics.median(respawn):.2f} ms, max "
              f"{max(respawn):.2f} ms over {rounds}")
    finally:
        herd.send_signal(signal.SIGQUIT)
        herd.wait()


if __name__ == "__main__":
    main()
