# SPDX-License-Identifier: BSD-2-Clause
"""bench/fleet.sh's runs and table: each run is tests/integration/fleet.py's
`bench` scenario on the release build, in a network namespace of its own."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
FLEET = os.path.join(ROOT, "tests", "integration", "fleet.py")


def run_once():
    tmp = tempfile.mkdtemp(prefix="herd-fleet-")
    try:
        r = subprocess.run([sys.executable, FLEET, "bench", tmp],
                           capture_output=True, text=True, timeout=600,
                           env=dict(os.environ, HERD_BUILD="build/release"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for line in r.stdout.splitlines():
        if line.startswith("BENCH "):
            return json.loads(line[6:])
    raise SystemExit(f"bench/fleet: the run failed:\n{r.stdout}{r.stderr}")


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    print(f"{'run':>3}  {'steady p99':>10}  {'upgrade p99':>11} "
          f"{'x':>5} {'deploy s':>8} {'fail':>4}  {'reload p99':>10} "
          f"{'x':>5} {'deploy s':>8} {'fail':>4}  load")
    ratios = []
    for i in range(1, runs + 1):
        b = run_once()
        st = b["steady"]["p99_ms"]
        row = f"{i:>3}  {st:>8.2f}ms "
        for name in ("upgrade", "reload"):
            d = b[name]
            ratio = d["p99_ms"] / st
            ratios.append(ratio)
            row += (f" {d['p99_ms']:>9.2f}ms {ratio:>5.2f} "
                    f"{d['seconds']:>8.1f} {d['failed']:>4} ")
        # The machine is shared: a load average above its 2 cores says
        # another program competed for them in this run.
        print(f"{row} {os.getloadavg()[0]:5.1f}", flush=True)
    ratios.sort()
    print(f"p99 during a deploy / steady p99: median "
          f"{ratios[len(ratios) // 2]:.2f}, worst {ratios[-1]:.2f} "
          f"(goal <= 2; the median resists a run that another program "
          f"slowed)")


if __name__ == "__main__":
    main()
