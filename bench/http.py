# SPDX-License-Identifier: BSD-2-Clause
"""HTTP benchmark (not a test): herd's hello app against nginx, keep-alive
and Connection: close, interleaved rounds, medians and herd/nginx ratios.
Run by bench/http.sh on the release build:

  bench/http.py [ROUNDS] [DURATION] [NAME=BUILD_DIR...]

Each NAME=BUILD_DIR adds another herd (BUILD_DIR/herd, e.g. the release
build of an older commit in a scratch worktree) to the same interleaved
rounds, with its own ratios against nginx: a regression hunt compares
builds under the same load, not runs of different hours.
"""
import ctypes
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
B = os.path.join(ROOT, "build/release")
WORKERS = 2
CONNECTIONS = 50
BODY = b"hello, world\n"

# What herd serves; --workers/--listen/--log go in front of it. The second
# line swaps in the exec-mode stand-in (a test worker, not hello's body).
HERD = ["--app", "hello"]
# HERD = ["--", f"{B}/helpers/keepalive"]

NGINX_CONF = """\
{user}worker_processes {workers};
daemon off;
master_process on;
error_log {tmp}/{name}.error.log;
pid {tmp}/{name}.pid;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    # nginx closes a keep-alive connection after 1000 requests by default
    # and herd never does; without this nginx would pay a reconnect every
    # 1000 requests that herd does not.
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port}{listen_opts};
        location / {{ return 200 "hello, world\\n"; }}
    }}
}}
"""

# herd's own HTTP workers defer accepts (TCP_DEFER_ACCEPT) unless told
# not to; nginx does only with `listen … deferred`. The goals compare
# defaults with defaults; the tuned nginx is shown beside them.
# And each under SCHED_BATCH (a woken worker does not preempt what runs on
# its CPU): herd by its own `cpu-scheduling-policy = batch`, nginx, which
# has no such directive, by chrt on its workers once they run. The goals
# compare herd's default with nginx's; the batch rows show what the policy
# is worth to either.
NGINX_VARIANTS = [("nginx", "", False), ("nginx-deferred", " deferred", False),
                  ("nginx-batch", "", True)]
HERD_VARIANTS = [("herd-batch", ["--cpu-scheduling-policy", "batch"])]

SCENARIOS = [("keep-alive", []), ("close", ["-H", "Connection: close"])]
CLK_TCK = os.sysconf("SC_CLK_TCK")


def die(msg):
    print(f"bench/http: {msg}", file=sys.stderr)
    sys.exit(1)


def logged_port(log, start=0):
    """The port herd's log (from byte start on) says it listens on: herd is
    told port 0, so no port is picked before a server binds it."""
    try:
        with open(log, "rb") as f:
            f.seek(start)
            m = re.search(rb"listening on 127\.0\.0\.1:(\d+)", f.read())
    except FileNotFoundError:
        return None
    return int(m.group(1)) if m else None


def held_socket():
    """A listening socket on a port the kernel picks, for nginx, which
    cannot be told port 0: nginx inherits it (NGINX=fd; in its environment,
    as in its own binary upgrade) and matches it to its `listen` by
    address, so nobody can take the port between choosing and serving.
    The backlog is nginx's own default (511 on Linux)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(511)
    return s


def die_with_parent():
    # A server left behind would skew every later benchmark on this
    # machine, so it gets SIGTERM even if this script is SIGKILLed.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except FileNotFoundError:
        return []


def ticks_split(pid, reaped=False):
    """(utime, stime) of pid, plus cutime and cstime when reaped is set."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            # comm (field 2) may hold spaces; fields 3.. follow the last ')'.
            rest = f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0, 0
    # rest[0] is field 3, so field N is rest[N - 3].
    user, system = int(rest[11]), int(rest[12])
    if reaped:
        user, system = user + int(rest[13]), system + int(rest[14])
    return user, system


def ticks(pid, reaped=False):
    """utime+stime of pid, plus cutime+cstime when reaped is set."""
    return sum(ticks_split(pid, reaped))


def server_cpu_us(master):
    """CPU of the master and its live workers, in microseconds. A worker
    that died and was reaped mid-run moves into the master's cutime/cstime,
    so counting those keeps the total whole across a respawn.

    Only work done in the servers' own context counts: over loopback part
    of each packet's receive path runs in the sender's (wrk's) context.
    That shifts some cost off both servers alike, so ratios stay fair."""
    kids = children(master)
    parts = [ticks_split(master, reaped=True)] + [ticks_split(k)
                                                  for k in kids]
    system = sum(p[1] for p in parts)
    total = sum(p[0] for p in parts) + system
    us = 1_000_000 // CLK_TCK
    return total * us, set(kids), system * us


def get(port, timeout=1.0):
    """One GET / with Connection: close; the raw response, or None."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: bench\r\n"
                      b"Connection: close\r\n\r\n")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
            return data
    except OSError:
        return None


class Server:
    def __init__(self, name, argv, out, log, sock=None):
        # out: its stdout and stderr (startup errors); log: its own log.
        # sock: a held_socket() for nginx; without, the server is herd,
        # told port 0, and its port comes from its log.
        self.name, self.out, self.log = name, out, log
        self.port = sock.getsockname()[1] if sock else None
        env = dict(os.environ)
        if sock:
            env["NGINX"] = f"{sock.fileno()};"
        # Its own session: a Ctrl-C meant for this script reaches the
        # servers only through stop(), after the table's last line.
        with open(out, "ab") as f:
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=f,
                stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=die_with_parent, env=env,
                pass_fds=(sock.fileno(),) if sock else ())

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/"

    def log_tail(self):
        text = ""
        for path in (self.out, self.log):
            try:
                with open(path, errors="replace") as f:
                    lines = f.readlines()[-15:]
            except OSError:
                continue
            if lines:
                text += f"--- {path}\n" + "".join(lines)
        return text

    def wait_ready(self, deadline=10.0):
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                die(f"{self.name} exited with status {self.proc.returncode} "
                    "before answering:\n"
                    f"{self.log_tail()}")
            if self.port is None:
                self.port = logged_port(self.log)
            resp = get(self.port) if self.port else None
            if (resp is not None and resp.startswith(b"HTTP/1.1 200")
                    and len(children(self.proc.pid)) >= WORKERS):
                if not resp.endswith(b"\r\n\r\n" + BODY):
                    text = resp.decode(errors="replace")
                    print(f"note: {self.name} does not answer {BODY!r}; "
                          f"its answer:\n{text}")
                return
            time.sleep(0.05)
        die(f"{self.name} did not answer 200 on {self.url} with {WORKERS} "
            f"workers within {deadline:.0f} s:\n"
            f"{self.log_tail()}")

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        # Workers that outlived their master share its session and group.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()


UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def parse_wrk(out):
    def find(pattern):
        m = re.search(pattern, out, re.M)
        if not m:
            die(f"cannot find {pattern!r} in wrk's output:\n{out}")
        return m
    m = find(r"^\s*99%\s+([\d.]+)(us|ms|s|m|h)\s*$")
    p99 = float(m.group(1)) * UNITS_MS[m.group(2)]
    requests = int(find(r"^\s*(\d+) requests in ").group(1))
    rps = float(find(r"^Requests/sec:\s*([\d.]+)").group(1))
    errors = 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                  r"timeout (\d+)", out)
    if m:
        errors += sum(int(g) for g in m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        errors += int(m.group(1))
    return rps, p99, requests, errors


def busiest_share(kids, before):
    """The busiest worker's part of the workers' CPU since before (ticks
    per pid): how the connections happened to split. One worker with
    every connection costs less per request than two taking turns, on
    this small machine, for any server."""
    spent = [ticks(k) - before.get(k, 0) for k in kids]
    return max(spent) / sum(spent) if sum(spent) > 0 else 0.0


def run_wrk(server, duration, extra):
    cpu0, kids0, sys0 = server_cpu_us(server.proc.pid)
    per_kid = {k: ticks(k) for k in kids0}
    r = subprocess.run(
        ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{duration}", "--latency",
         *extra, server.url], capture_output=True, text=True)
    cpu1, kids1, sys1 = server_cpu_us(server.proc.pid)
    if r.returncode != 0:
        die(f"wrk failed ({r.returncode}):\n{r.stdout}{r.stderr}")
    if not server.alive():
        die(f"{server.name} died during the run:\n"
            f"{server.log_tail()}")
    rps, p99, requests, errors = parse_wrk(r.stdout)
    if requests == 0:
        die(f"{server.name} served no request:\n{r.stdout}")
    # The system part: what the kernel's TCP work costs the server (the
    # tick split is coarse, but the same for both servers).
    return {"rps": rps, "p99": p99, "cpu": (cpu1 - cpu0) / requests,
            "sys": (sys1 - sys0) / (cpu1 - cpu0) if cpu1 > cpu0 else 0.0,
            "errors": errors, "respawned": kids0 != kids1,
            "busiest": busiest_share(kids0 & kids1, per_kid)}


def fmt_ratio(a, b):
    return f"{a / b:.2f}" if b else "-"


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    duration = sys.argv[2] if len(sys.argv) > 2 else "5s"
    if rounds < 1:
        die("ROUNDS must be at least 1")
    builds = []
    for arg in sys.argv[3:]:
        name, sep, path = arg.partition("=")
        if not sep or not name or name in ["herd"] + [n for n, _ in HERD_VARIANTS] + [
                n for n, _, _ in NGINX_VARIANTS]:
            die(f"{arg!r}: extra builds are NAME=BUILD_DIR (a name of "
                "its own)")
        if not os.access(os.path.join(path, "herd"), os.X_OK):
            die(f"{path}/herd: no such executable")
        builds.append((name, os.path.abspath(path)))
    # Any exit (Ctrl-C, SIGTERM, a die) runs the finally below.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: sys.exit(1))

    tmp = tempfile.mkdtemp(prefix="herd-bench-http.")
    servers = []
    try:
        herd = Server("herd", [
            f"{B}/herd", "--workers", str(WORKERS), "--listen",
            "127.0.0.1:0", "--log", f"{tmp}/herd.log", *HERD],
            f"{tmp}/herd.out", f"{tmp}/herd.log")
        servers.append(herd)
        for name, extra in HERD_VARIANTS:
            servers.append(Server(name, [
                f"{B}/herd", "--workers", str(WORKERS), "--listen",
                "127.0.0.1:0", "--log", f"{tmp}/{name}.log", *extra, *HERD],
                f"{tmp}/{name}.out", f"{tmp}/{name}.log"))
        for name, path in builds:
            servers.append(Server(name, [
                f"{path}/herd", "--workers", str(WORKERS), "--listen",
                "127.0.0.1:0", "--log", f"{tmp}/{name}.log", *HERD],
                f"{tmp}/{name}.out", f"{tmp}/{name}.log"))
        for name, listen_opts, in_batch in NGINX_VARIANTS:
            sock = held_socket()
            nport = sock.getsockname()[1]
            conf = f"{tmp}/{name}.conf"
            with open(conf, "w") as f:
                # Workers as root like herd's; only a root master may
                # switch.
                f.write(NGINX_CONF.format(
                    user="user root;\n" if os.geteuid() == 0 else "",
                    workers=WORKERS, tmp=tmp, port=nport, name=name,
                    listen_opts=listen_opts))
            with sock:  # nginx has its own copy now
                servers.append(Server(
                    name, ["nginx", "-c", conf, "-p", tmp,
                           "-e", f"{tmp}/{name}.error.log"],
                    f"{tmp}/{name}.out", f"{tmp}/{name}.error.log", sock))
        for s in servers:
            s.wait_ready()
        names = [s.name for s in servers]
        for s in servers:
            if s.name in [n for n, _, b in NGINX_VARIANTS if b]:
                for kid in children(s.proc.pid):
                    subprocess.run(["chrt", "--batch", "-p", "0", str(kid)],
                                   check=True)
        peers = [n for n, _, _ in NGINX_VARIANTS]
        herds = [n for n in names if n not in peers]

        nginx_v = subprocess.run(["nginx", "-v"], capture_output=True,
                                 text=True).stderr.strip()
        print("herd: " + " ".join(os.path.relpath(a, ROOT)
                                  if a.startswith(ROOT) else a
                                  for a in herd.proc.args))
        for name, path in builds:
            print(f"{name}: {path}/herd, same arguments")
        print(f"nginx: {nginx_v}, {WORKERS} workers, as {' and '.join(peers)}"
              f"; wrk -t1 -c{CONNECTIONS} -d{duration}, {rounds} interleaved"
              f" rounds; load average {os.getloadavg()[0]:.2f}")

        results = {}
        for scen, extra in SCENARIOS:
            # Warm-up: page in both servers and wrk, fill caches, untimed.
            for s in servers:
                run_wrk(s, "1s", extra)
            for i in range(rounds):
                for s in servers:
                    time.sleep(0.5)
                    res = run_wrk(s, duration, extra)
                    results.setdefault((scen, s.name), []).append(res)
                    print(f"  {scen:<10} round {i + 1} {s.name:<14} "
                          f"{res['rps']:>9.0f} req/s  p99 "
                          f"{res['p99']:>7.2f} ms  {res['cpu']:>6.2f} "
                          f"CPU us/req ({res['sys'] * 100:.0f}% system)  "
                          f"errors {res['errors']}  busiest "
                          f"worker {res['busiest'] * 100:.0f}%"
                          + ("  (a worker was replaced)"
                             if res["respawned"] else ""), flush=True)

        med = {k: {m: statistics.median(r[m] for r in v)
                   for m in ("rps", "p99", "cpu")}
               for k, v in results.items()}
        errs = {k: sum(r["errors"] for r in v) for k, v in results.items()}
        print()
        print(f"medians over {rounds} rounds of {duration}")
        print(f"{'scenario':<11}{'metric':<13}"
              + "".join(f"{n:>15}" for n in names)
              + "".join(f"{'herd/' + p:>20}" for p in peers))
        for scen, _ in SCENARIOS:
            h = med[(scen, "herd")]
            for label, key, f in (("req/s", "rps", "{:.0f}"),
                                  ("p99 ms", "p99", "{:.2f}"),
                                  ("CPU us/req", "cpu", "{:.2f}")):
                print(f"{scen if key == 'rps' else '':<11}{label:<13}"
                      + "".join(f"{f.format(med[(scen, x)][key]):>15}"
                                for x in names)
                      + "".join(f"{fmt_ratio(h[key], med[(scen, p)][key]):>20}"
                                for p in peers))
            print(f"{'':<11}{'errors (sum)':<13}"
                  + "".join(f"{errs[(scen, x)]:>15}" for x in names))
        print()

        # Runs next to each other in time share the machine's mood: the
        # median of per-round ratios, shown beside the verdict (which is
        # the ratio of the medians, as above), says how steady it is.
        def paired(scen, key, who):
            return [h[key] / n[key] for h, n in zip(results[(scen, who)],
                                                    results[(scen, "nginx")])]

        def goal(label, scen, key, limit, who="herd"):
            r = med[(scen, who)][key] / med[(scen, "nginx")][key]
            verdict = "PASS" if r <= limit else "MISS"
            per = paired(scen, key, who)
            print(f"{label:<44}{r:>6.2f}  {verdict}   (per round: median "
                  f"{statistics.median(per):.2f}, "
                  + " ".join(f"{x:.2f}" for x in per) + ")")
        for who in herds[1:]:
            goal(f"{who}: CPU/req keep-alive ratio <= 0.8", "keep-alive",
                 "cpu", 0.8, who)
            goal(f"{who}: CPU/req close ratio <= 1.0", "close", "cpu", 1.0,
                 who)
        goal("CPU/req keep-alive ratio <= 0.8", "keep-alive", "cpu", 0.8)
        goal("CPU/req close ratio <= 1.0", "close", "cpu", 1.0)
        goal("p99 no worse (ratio <= 1.0), keep-alive", "keep-alive", "p99",
             1.0)
        goal("p99 no worse (ratio <= 1.0), close", "close", "p99", 1.0)
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
