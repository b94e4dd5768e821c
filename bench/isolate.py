# SPDX-License-Identifier: BSD-2-Clause
"""What isolation costs at a spawn (not a test): the time from SIGTTIN to
the new worker's first instruction of main (tests/helpers/stamp writes
CLOCK_MONOTONIC there, which no namespace here changes), with no isolation
and with `namespaces = user,pid,mount,net,uts,ipc` plus a rootfs of binds,
interleaved, one worker at a time. Prints the medians and the difference
(goal: isolation adds at most 5 ms).
Run by bench/isolate.sh on the release build: bench/isolate.py [SPAWNS]
"""
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
B = os.path.join(ROOT, os.environ.get("HERD_BUILD", "build/release"))
STAMP = os.path.join(B, "helpers", "stamp")


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except FileNotFoundError:
        return []


def wait_for(pred, what, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.0005)
    sys.exit(f"bench/isolate: timed out waiting for {what}")


class Master:
    def __init__(self, name, tmp, extra):
        self.name = name
        self.stamps = os.path.join(tmp, f"{name}.stamps")
        os.mkdir(self.stamps)
        os.chmod(self.stamps, 0o777)
        log = os.path.join(tmp, f"{name}.log")
        self.proc = subprocess.Popen(
            [os.path.join(B, "herd"), "--workers", "1", "--listen",
             "127.0.0.1:0", "--log", log, "--stop-signal", "KILL",
             "--env", f"STAMP_DIR={self.stamps}", *extra(self.stamps),
             "--", STAMP], stdin=subprocess.DEVNULL)
        wait_for(lambda: os.listdir(self.stamps), f"{name}: first worker")
        self.clear()

    def clear(self):
        for f in os.listdir(self.stamps):
            os.unlink(os.path.join(self.stamps, f))

    def one(self):
        """TTIN, the new worker's stamp, then TTOU and its exit."""
        before = len(children(self.proc.pid))
        t0 = time.monotonic_ns()
        self.proc.send_signal(signal.SIGTTIN)
        f = wait_for(lambda: os.listdir(self.stamps), f"{self.name}: stamp")
        path = os.path.join(self.stamps, f[0])
        stamp = wait_for(lambda: open(path).read().strip(), "stamp text")
        self.clear()
        self.proc.send_signal(signal.SIGTTOU)
        wait_for(lambda: len(children(self.proc.pid)) == before,
                 f"{self.name}: worker gone")
        return (int(stamp) - t0) / 1e6

    def stop(self):
        self.proc.send_signal(signal.SIGQUIT)
        self.proc.wait(30)


def main():
    spawns = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    if os.geteuid() != 0:
        sys.exit("bench/isolate: run as root (namespaces, binds)")
    tmp = tempfile.mkdtemp(prefix="herd-bench-isolate.")
    root = os.path.join(tmp, "root")
    os.mkdir(root)
    for name in ("lib", "lib64", "bin"):
        os.symlink(f"usr/{name}", os.path.join(root, name))

    def isolated(stamps):
        return ["--namespaces", "user,pid,mount,net,uts,ipc", "--rootfs",
                root, "--bind", "/usr:/usr:ro", "--bind", f"{B}:{B}:ro",
                "--bind", f"{stamps}:{stamps}"]

    masters = []
    times = {"none": [], "isolated": []}
    try:
        masters = [Master("none", tmp, lambda s: []),
                   Master("isolated", tmp, isolated)]
        for _ in range(spawns):
            for m in masters:
                times[m.name].append(m.one())
    finally:
        for m in masters:
            m.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    p90 = {k: sorted(v)[int(len(v) * 0.9)] for k, v in times.items()}
    print(f"TTIN to the worker's main, {spawns} spawns each (median, p90):")
    for k in ("none", "isolated"):
        print(f"  {k:9s} {med[k]:7.2f} ms  {p90[k]:7.2f} ms")
    print(f"  isolation adds {med['isolated'] - med['none']:.2f} ms "
          f"(ratio {med['isolated'] / med['none']:.2f}; goal: adds "
          f"<= 5 ms)")


if __name__ == "__main__":
    main()
