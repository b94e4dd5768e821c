# SPDX-License-Identifier: BSD-2-Clause
"""bench/sched.sh's body: latency of herd's workers under `other` and
`batch` while busy loops hold every CPU. Run through bench/sched.sh."""
import importlib.util
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("benchhttp",
                                               os.path.join(HERE, "http.py"))
bh = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bh)

REQ = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"
POLICIES = ("other", "batch")


def latencies(port, n):
    """ms of each of n requests on one keep-alive connection, with a
    0.5 ms pause between them (a worker that sleeps, then is woken)."""
    out = []
    with socket.create_connection(("127.0.0.1", port)) as s:
        for _ in range(n):
            t = time.perf_counter()
            s.sendall(REQ)
            got = b""
            while not got.endswith(bh.BODY):
                chunk = s.recv(4096)
                if not chunk:
                    bh.die("the server closed the connection")
                got += chunk
            out.append((time.perf_counter() - t) * 1e3)
            time.sleep(0.0005)
    return sorted(out)


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    if rounds < 1 or n < 100:
        bh.die("ROUNDS must be at least 1 and REQUESTS at least 100")
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: sys.exit(1))
    tmp = tempfile.mkdtemp(prefix="herd-bench-sched.")
    servers, hogs = {}, []
    try:
        for pol in POLICIES:
            servers[pol] = bh.Server(pol, [
                f"{bh.B}/herd", "--workers", str(bh.WORKERS), "--listen",
                "127.0.0.1:0", "--log", f"{tmp}/{pol}.log",
                "--cpu-scheduling-policy", pol, "--app", "hello"],
                f"{tmp}/{pol}.out", f"{tmp}/{pol}.log")
        for s in servers.values():
            s.wait_ready()
        cpus = os.cpu_count() or 1
        hogs = [subprocess.Popen(["sh", "-c", "while :; do :; done"],
                                 preexec_fn=bh.die_with_parent)
                for _ in range(cpus)]
        print(f"herd {bh.WORKERS} workers, hello; {cpus} busy loops; "
              f"{n} sequential keep-alive requests a round; load average "
              f"{os.getloadavg()[0]:.2f}")
        res = {p: [] for p in POLICIES}
        for i in range(rounds):
            for pol, s in servers.items():
                lat = latencies(s.port, n)
                q = (lat[n // 2], lat[n * 99 // 100], lat[-1])
                res[pol].append(q)
                print(f"  round {i + 1} {pol:<6} p50 {q[0]:6.3f} ms  p99 "
                      f"{q[1]:6.3f} ms  max {q[2]:6.3f} ms", flush=True)
        print()
        print(f"medians over {rounds} rounds")
        for pol in POLICIES:
            med = [statistics.median(r[k] for r in res[pol])
                   for k in range(3)]
            print(f"  {pol:<6} p50 {med[0]:6.3f} ms  p99 {med[1]:6.3f} ms  "
                  f"max {med[2]:6.3f} ms")
    finally:
        for h in hogs:
            h.kill()
            h.wait()
        for s in servers.values():
            s.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
