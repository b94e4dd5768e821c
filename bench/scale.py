# SPDX-License-Identifier: BSD-2-Clause
"""Scale benchmark (not a test): herd's in-process workers against nginx
with many connections. Run by bench/scale.sh on the release build:

  bench/scale.py [ROUNDS] [SECTION...]   sections: memory burst idle balance

memory   1 worker each; 8000 keep-alive connections that each sent one
         request and then sit idle; the worker's private dirty memory
         (smaps_rollup) per connection, before against after.
burst    1 worker each (and herd with 4); 8000 sequential connects, each sending a request at
         once, then every answer read: seconds until all are answered
         (herd with defer-accept=off and with its default, nginx).
idle     1 worker each; wrk -c50 keep-alive CPU per request with 100 and
         with 19 000 idle connections present (herd: ratio goal <= 1.1).
balance  4 herd workers; each worker's share of requests under wrk -c50
         keep-alive and Connection: close (goal: busiest <= 35 %), and how
         long a worker added by TTIN, or the workers of a new generation
         after HUP, take to accept their first connection under load
         (goal <= 50 ms).
Rounds are interleaved between servers; medians and ranges are printed.
"""
import importlib.util
import json
import os
import resource
import selectors
import signal
import shutil
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
B = bh.B

REQ = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"
NGINX_CONF = """\
{user}worker_processes {workers};
worker_rlimit_nofile 20000;
daemon off;
master_process on;
error_log {tmp}/{name}.error.log;
pid {tmp}/{name}.pid;
events {{ worker_connections 20000; }}
http {{
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 600s;
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 200 "hello, world\\n"; }}
    }}
}}
"""


def say(*a):
    print(*a, flush=True)


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def herd(tmp, name, workers, listen="127.0.0.1:0", extra=()):
    bh.WORKERS = workers
    # Each section starts its own herd: a log of its own for the port.
    tmp = tempfile.mkdtemp(dir=tmp)
    s = bh.Server(name, [
        f"{B}/herd", "--workers", str(workers), "--listen", listen,
        "--log", f"{tmp}/{name}.log", "--keepalive-timeout", "600s",
        "--control-socket", f"{tmp}/{name}.ctl", "--app", "hello", *extra],
        f"{tmp}/{name}.out", f"{tmp}/{name}.log")
    s.wait_ready()
    s.ctl = f"{tmp}/{name}.ctl"
    return s


def nginx(tmp, name, workers):
    bh.WORKERS = workers
    tmp = tempfile.mkdtemp(dir=tmp)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(511)  # nginx's default backlog on Linux
    conf = f"{tmp}/{name}.conf"
    with open(conf, "w") as f:
        f.write(NGINX_CONF.format(
            user="user root;\n" if os.geteuid() == 0 else "",
            workers=workers, tmp=tmp, port=sock.getsockname()[1],
            name=name))
    with sock:
        s = bh.Server(name, ["nginx", "-c", conf, "-p", tmp, "-e",
                             f"{tmp}/{name}.error.log"],
                      f"{tmp}/{name}.out", f"{tmp}/{name}.error.log", sock)
    s.wait_ready()
    return s


def private_dirty_kib(pid):
    total = 0
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith(("Private_Dirty:", "Private_Hugetlb:")):
                total += int(line.split()[1])
    return total


def open_idle(port, n, answered=True):
    """n connections that each sent one request and read its answer."""
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(REQ)
        socks.append(s)
    if answered:
        read_answers(socks)
    return socks


def read_answers(socks, deadline=60.0):
    """Reads one whole answer (13-byte body) from each socket."""
    sel = selectors.DefaultSelector()
    got = {}
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        got[s] = b""
    left = len(socks)
    end = time.monotonic() + deadline
    while left and time.monotonic() < end:
        for key, _ in sel.select(1.0):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except BlockingIOError:
                continue
            got[s] += data
            if not data or got[s].endswith(bh.BODY):
                sel.unregister(s)
                left -= 1
                if not data:
                    raise SystemExit("bench/scale: a connection closed "
                                     "before its answer")
    sel.close()
    for s in socks:
        s.setblocking(True)
    if left:
        raise SystemExit(f"bench/scale: {left} answers missing")


def close_all(socks):
    for s in socks:
        s.close()


def worker_of(server):
    kids = bh.children(server.proc.pid)
    # herd's status process, if any, is not an HTTP worker: the busiest
    # child by private memory is; with one worker that is the only one.
    return max(kids, key=private_dirty_kib)


def sec_memory(tmp, rounds):
    say("\n== memory: 8000 idle keep-alive connections, 1 worker each")
    res = {}
    servers = [herd(tmp, "herd", 1), nginx(tmp, "nginx", 1)]
    try:
        for r in range(rounds):
            for s in servers:
                warm = open_idle(s.port, 200)
                close_all(warm)
                time.sleep(0.3)
                w = worker_of(s)
                before = private_dirty_kib(w)
                socks = open_idle(s.port, 8000)
                time.sleep(0.3)
                after = private_dirty_kib(w)
                close_all(socks)
                per = (after - before) / 8000
                res.setdefault(s.name, []).append(per)
                say(f"  round {r + 1} {s.name:<6} +{per:.3f} KiB/connection"
                    f" ({before} -> {after} KiB)")
                time.sleep(0.5)
    finally:
        for s in servers:
            s.stop()
    for n, v in res.items():
        say(f"  {n:<6} median +{statistics.median(v):.3f} KiB "
            f"(range {min(v):.3f}..{max(v):.3f})")
    return res


def burst_once(server, n=8000):
    """Seconds until n sequential connects with a request are all
    answered, and the server's CPU per connection meanwhile (us). The
    client (this Python loop, ~35 us a connect) sets most of the time;
    the CPU says what the server's part costs."""
    cpu0 = bh.server_cpu_us(server.proc.pid)[0]
    t0 = time.monotonic()
    socks = open_idle(server.port, n, answered=False)
    read_answers(socks)
    t = time.monotonic() - t0
    cpu = (bh.server_cpu_us(server.proc.pid)[0] - cpu0) / n
    close_all(socks)
    return t, cpu


def sec_burst(tmp, rounds):
    say("\n== burst: 8000 sequential connects with a request, 1 worker each")
    res = {}
    # The last row: 4 workers, which take turns at the listeners (a
    # policy that once made such a burst take 7.6 s).
    servers = [herd(tmp, "herd-nodefer", 1, "127.0.0.1:0,defer-accept=off"),
               herd(tmp, "herd", 1), nginx(tmp, "nginx", 1),
               herd(tmp, "herd4-nodefer", 4, "127.0.0.1:0,defer-accept=off")]
    cpu = {}
    try:
        for r in range(rounds):
            # Each round in another order: whoever runs first after the
            # pause meets the machine in another state.
            for s in servers[r % len(servers):] + servers[:r % len(servers)]:
                time.sleep(1.0)  # TIME_WAIT and queues settle
                t, c = burst_once(s)
                res.setdefault(s.name, []).append(t)
                cpu.setdefault(s.name, []).append(c)
                say(f"  round {r + 1} {s.name:<13} {t:.2f} s  server CPU "
                    f"{c:.1f} us/connection")
    finally:
        for s in servers:
            s.stop()
    for n, v in res.items():
        per = [a / b for a, b in zip(v, res["nginx"])]
        say(f"  {n:<13} median {statistics.median(v):.2f} s "
            f"(range {min(v):.2f}..{max(v):.2f}); /nginx per round median "
            f"{statistics.median(per):.2f} ("
            + " ".join(f"{x:.2f}" for x in per) + f"); server CPU median "
            f"{statistics.median(cpu[n]):.1f} us/connection")
    return res


def wrk(server, duration="5s", extra=()):
    return bh.run_wrk(server, duration, list(extra))


def sec_idle(tmp, rounds):
    say("\n== idle: wrk -c50 keep-alive CPU/request with 100 and 19000 "
        "idle connections, 1 worker each")
    res = {}
    servers = [herd(tmp, "herd", 1), nginx(tmp, "nginx", 1)]
    bh.CONNECTIONS = 50
    try:
        for s in servers:
            wrk(s, "1s")
        for r in range(rounds):
            for s in servers:
                for idle in (100, 19000):
                    socks = open_idle(s.port, idle)
                    time.sleep(0.3)
                    x = wrk(s)
                    close_all(socks)
                    res.setdefault((s.name, idle), []).append(x["cpu"])
                    say(f"  round {r + 1} {s.name:<6} idle {idle:>5} "
                        f"{x['rps']:>8.0f} req/s {x['cpu']:6.2f} CPU us/req"
                        f"  errors {x['errors']}")
                    time.sleep(0.5)
    finally:
        for s in servers:
            s.stop()
    for s in ("herd", "nginx"):
        a = statistics.median(res[(s, 100)])
        b = statistics.median(res[(s, 19000)])
        per = [y / x for x, y in zip(res[(s, 100)], res[(s, 19000)])]
        say(f"  {s:<6} median {a:.2f} / {b:.2f} us: ratio {b / a:.2f} "
            f"(per round {min(per):.2f}..{max(per):.2f}; goal <= 1.1)")
    return res


def status(server):
    r = subprocess.run([f"{B}/herd", "ctl", "--control-socket", server.ctl,
                        "--json", "status"], capture_output=True, text=True)
    return json.loads(r.stdout) if r.returncode == 0 else None


def http_workers(st):
    out = []
    for w in st.get("workers", []):
        sb = w.get("scoreboard") or {}
        if "accepted" in sb:
            out.append(dict(w, **{k: sb[k] for k in ("accepted",
                                                      "requests")}))
    return out


def shares(server, extra):
    def counts():
        st = status(server)
        return {w["pid"]: w.get("requests", 0) for w in http_workers(st)}
    a = counts()
    conns = []

    def sample():
        time.sleep(2.5)
        st = status(server)
        conns.extend(sorted((w["scoreboard"]["connections"]
                             for w in st["workers"]), reverse=True))
    import threading
    t = threading.Thread(target=sample)
    t.start()
    x = wrk(server, "5s", extra)
    t.join()
    x["conns"] = conns
    b = counts()
    d = sorted((b[p] - a.get(p, 0) for p in b), reverse=True)
    tot = sum(d) or 1
    return [v / tot for v in d], x


def first_accept_ms(server, action, load):
    """Sends action (TTIN or HUP) under load (a running wrk) and returns,
    for each new worker, ms from its being ready to its first accept."""
    st = status(server)
    old = {w["pid"] for w in http_workers(st)}
    server.proc.send_signal(action)
    ready_at, first_at = {}, {}
    end = time.monotonic() + 10
    while time.monotonic() < end:
        st = status(server)
        now = time.monotonic()
        if st is None:
            continue
        for w in http_workers(st):
            p = w["pid"]
            if p in old:
                continue
            if w.get("ready") and p not in ready_at:
                ready_at[p] = now
            if w.get("accepted", 0) > 0 and p not in first_at:
                first_at[p] = now
        if ready_at and set(first_at) >= set(ready_at) and (
                action != signal.SIGHUP or
                len(ready_at) >= len(old)):
            break
        time.sleep(0.002)
    return [(first_at.get(p, end) - ready_at[p]) * 1000 for p in ready_at]


def sec_balance(tmp, rounds):
    say("\n== balance: 4 herd workers")
    s = herd(tmp, "herd4", 4)
    bh.CONNECTIONS = 50
    out = {}
    try:
        wrk(s, "1s")
        for r in range(rounds):
            for scen, extra in (("keep-alive", []),
                                ("close", ["-H", "Connection: close"])):
                sh, x = shares(s, extra)
                out.setdefault(scen, []).append(sh[0])
                say(f"  round {r + 1} {scen:<10} split "
                    + "/".join(f"{v * 100:.0f}" for v in sh)
                    + f" %  {x['cpu']:.2f} CPU us/req {x['rps']:.0f} req/s"
                    + "  connections " + "/".join(map(str, x["conns"])))
        for r in range(rounds):
            for sig in (signal.SIGTTIN, signal.SIGHUP):
                load = subprocess.Popen(
                    ["wrk", "-t1", "-c8", "-d4s", "-H", "Connection: close",
                     s.url], stdout=subprocess.DEVNULL)
                time.sleep(1.0)
                ms = first_accept_ms(s, sig, load)
                load.wait()
                if sig == signal.SIGTTIN:
                    s.proc.send_signal(signal.SIGTTOU)
                name = signal.Signals(sig).name
                out.setdefault(name, []).append(max(ms) if ms else -1)
                say(f"  round {r + 1} {name:<5} first accept after ready: "
                    + ", ".join(f"{v:.0f}" for v in ms) + " ms")
                time.sleep(1.5)
    finally:
        s.stop()
    for k, v in out.items():
        unit = " %" if k in ("keep-alive", "close") else " ms"
        f = 100 if unit == " %" else 1
        say(f"  {k:<10} busiest median {statistics.median(v) * f:.0f}{unit} "
            f"(range {min(v) * f:.0f}..{max(v) * f:.0f})")
    return out


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    sections = sys.argv[2:] or ["memory", "burst", "idle", "balance"]
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: sys.exit(1))
    hard = raise_nofile()
    say(f"descriptor limit {hard} (soft raised to it, inherited by the "
        f"servers); load average {os.getloadavg()[0]:.2f}")
    tmp = tempfile.mkdtemp(prefix="herd-bench-scale.")
    try:
        for sec in sections:
            globals()["sec_" + sec](tmp, rounds)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
