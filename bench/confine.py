# SPDX-License-Identifier: BSD-2-Clause
"""What confinement costs (not a test): herd's hello app with and without
`seccomp = strict` plus `landlock`, keep-alive load, interleaved rounds,
CPU per request in the workers and the ratio confined/plain (goal: at most
1.03, so the filter must stay short for the hot calls).
Run by bench/confine.sh on the release build: bench/confine.py [ROUNDS] [DURATION]
"""
import importlib.util
import os
import shutil
import statistics
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
        base = statistics.median(cpu["plain"])
        print(f"\n{'variant':<18}{'req/s':>10}{'CPU us/req':>12}{'ratio':>8}")
        for name, _ in VARIANTS:
            c = statistics.median(cpu[name])
            print(f"{name:<18}{statistics.median(rps[name]):>10.0f}"
                  f"{c:>12.2f}{c / base:>8.3f}")
        ratio = statistics.median(cpu["strict+landlock"]) / base
        print(f"\nconfined/plain CPU per keep-alive request: {ratio:.3f} "
              f"(goal <= 1.03: {'met' if ratio <= 1.03 else 'missed'})")
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
