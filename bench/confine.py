# SPDX-License-Identifier: BSD-2-Clause
"""What confinement costs (not a test): herd's hello app with and without
`seccomp = strict` plus `landlock`, keep-alive load, interleaved rounds,
CPU per request in the workers and the ratio confined/plain (goal: at most
1.03, so the filter must stay short for the hot calls).

On a shared 2-core machine one server's CPU per request swings by ±20 %
between neighbouring runs, far more than the effect measured, so the
verdict rests on two figures: the median of the per-round ratios (each
round runs both servers back to back), and an estimate that noise does not
reach: the system calls a confined worker makes per request (perf's
raw_syscalls:sys_enter count) times what confinement adds to each call
(bench/syscall-cost, best of many runs), over plain CPU per request.
Run by bench/confine.sh on the release build: bench/confine.py [ROUNDS] [DURATION]
"""
import importlib.util
import os
import shutil
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("bench_http",
                                              os.path.join(HERE, "http.py"))
bh = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bh)

VARIANTS = [
    ("plain", ["--seccomp", "off"]),
    ("strict+landlock", ["--seccomp", "strict", "--landlock",
                         "ro:/usr,ro:/etc"]),
]


def syscall_cost():
    """What confinement adds to one hot call (ns): bench/syscall-cost's
    "herd+" column, the median over the calls it times, and its table."""
    out = subprocess.run([os.path.join(bh.B, "bench", "syscall-cost"), "15"],
                         capture_output=True, text=True, check=True).stdout
    added = [float(line.split()[-1]) for line in out.splitlines()[1:]]
    return statistics.median(added), out


def calls_per_request(server, duration):
    """System calls the server's workers make per request under the same
    load, counted by perf during one wrk run."""
    kids = bh.children(server.proc.pid)
    perf = subprocess.Popen(
        ["perf", "stat", "-x,", "-e", "raw_syscalls:sys_enter", "-p",
         ",".join(map(str, kids))], stderr=subprocess.PIPE, text=True)
    r = subprocess.run(["wrk", "-t1", f"-c{bh.CONNECTIONS}", f"-d{duration}",
                        "--latency", server.url], capture_output=True,
                       text=True)
    perf.send_signal(2)
    requests = bh.parse_wrk(r.stdout)[2]
    err = perf.communicate()[1]
    m = re.search(r"^(\d+),,raw_syscalls:sys_enter", err, re.M)
    if not m:
        bh.die(f"perf stat gave no count:\n{err}")
    return int(m.group(1)) / requests


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    duration = sys.argv[2] if len(sys.argv) > 2 else "5s"
    tmp = tempfile.mkdtemp(prefix="herd-bench-confine.")
    cpu = {name: [] for name, _ in VARIANTS}
    rps = {name: [] for name, _ in VARIANTS}
    servers = []
    try:
        for name, extra in VARIANTS:
            log = os.path.join(tmp, f"{name}.log")
            s = bh.Server(name, [os.path.join(bh.B, "herd"), "--app",
                                 "hello", "--workers", str(bh.WORKERS),
                                 "--listen", "127.0.0.1:0", "--log", log,
                                 *extra],
                          os.path.join(tmp, f"{name}.out"), log)
            s.wait_ready()
            servers.append(s)
        for r in range(rounds):
            for s in servers:
                res = bh.run_wrk(s, duration, [])
                if res["errors"]:
                    bh.die(f"{s.name}: {res['errors']} errors")
                cpu[s.name].append(res["cpu"])
                rps[s.name].append(res["rps"])
            print(f"round {r + 1}: " + ", ".join(
                f"{s.name} {cpu[s.name][-1]:.2f} us/req" for s in servers),
                flush=True)
        ratios = [c / p for c, p in zip(cpu["strict+landlock"],
                                        cpu["plain"])]
        per_call, table = syscall_cost()
        calls = calls_per_request(servers[1], duration)
        base = statistics.median(cpu["plain"])
        print(f"\n{'variant':<18}{'req/s':>10}{'CPU us/req':>12}{'ratio':>8}")
        for name, _ in VARIANTS:
            c = statistics.median(cpu[name])
            print(f"{name:<18}{statistics.median(rps[name]):>10.0f}"
                  f"{c:>12.2f}{c / base:>8.3f}")
        ratio = statistics.median(ratios)
        estimate = 1 + calls * per_call / 1000 / base
        print("\nper-round ratios: " + " ".join(f"{r:.3f}" for r in ratios))
        print(f"confined/plain CPU per keep-alive request, median of the "
              f"rounds: {ratio:.3f} "
              f"(goal <= 1.03: {'met' if ratio <= 1.03 else 'missed'})")
        print(f"\n{table}")
        print(f"a confined worker makes {calls:.2f} system calls per request; "
              f"confinement adds {per_call:.1f} ns to each, "
              f"{calls * per_call / 1000:.3f} us per request on "
              f"{base:.2f} us: ratio {estimate:.3f} "
              f"(goal <= 1.03: {'met' if estimate <= 1.03 else 'missed'})")
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
