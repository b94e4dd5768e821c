# SPDX-License-Identifier: BSD-2-Clause
"""Least privilege for workers, read back from /proc of real workers:
capabilities (none, a list, root and `user`), resource limits, the seccomp
filter (a denied call kills the worker and is named in the log; real servers
and herd's own workers serve under `strict`), Landlock, and all of it across
a reload and an upgrade."""
import os
import re
import signal
import subprocess
import urllib.request

import pytest

from conftest import HERD, alive, status, wait_for
from zdt import ctl

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="capabilities and users need root")

SLEEP = ["/bin/sleep", "1000"]
PY = "/usr/bin/python3"
ALL = ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")
NET_BIND_SERVICE = 1 << 10

# A server on fd 3, the way socket activation hands it over.
PY_SERVER = """
import http.server, socket, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"py ok\\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
srv = http.server.HTTPServer(("", 0), H, bind_and_activate=False)
srv.socket = socket.socket(fileno=3)
print("serving", flush=True)
srv.serve_forever()
"""

NODE_SERVER = """
const http = require("http");
http.createServer((q, r) => r.end("node ok\\n")).listen({fd: 3}, () =>
    console.log("serving"));
"""


def refused(tmp_path, text):
    """herd -t's stderr for a config file of text, which it must refuse
    (exit 78); the file's path is the first thing on each error line."""
    conf = tmp_path / "herd.conf"
    conf.write_text(text)
    r = subprocess.run([HERD, "-t", "-c", str(conf)], capture_output=True,
                       text=True)
    assert r.returncode == 78, r
    return r.stderr.replace(str(conf), "FILE")


def caps(pid):
    st = status(pid)
    return {k: int(st[k], 16) for k in ALL}


def get(port, path="/"):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}",
                                timeout=10) as r:
        return r.status, r.read()


def test_user_means_no_capabilities_in_any_set(herd):
    h = herd(["--listen", "127.0.0.1:0", "--workers", "2", "--user",
              "nobody"], SLEEP).started(2)
    for pid in h.workers():
        assert caps(pid) == dict.fromkeys(ALL, 0), status(pid)


def test_root_without_user_keeps_its_capabilities_unless_told(herd):
    h = herd(["--listen", "127.0.0.1:0"], SLEEP).started(1)
    assert caps(h.workers()[0])["CapEff"] == caps(h.pid)["CapEff"] != 0
    h.stop()
    h2 = herd(["--listen", "127.0.0.1:0", "--capabilities", "none"],
              SLEEP).started(1)
    pid = h2.workers()[0]
    assert status(pid)["Uid"].split()[0] == "0"
    assert caps(pid) == dict.fromkeys(ALL, 0), status(pid)


def test_a_listed_capability_survives_setuid_and_exec(herd, tmp_path):
    # net_bind_service lets nobody bind port 80 itself.
    code = ("import socket; s = socket.socket(); "
            "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
            "try:\n s.bind(('127.0.0.77', 80)); print('bound 80', flush=True)\n"
            "except PermissionError as e: print('refused', e, flush=True)\n"
            # Another server on *:80 (nginx installed as a service): the
            # kernel checked the permission before it found the port taken.
            "except OSError as e: print('bound 80: in use', e, flush=True)\n"
            "import time; time.sleep(1000)")
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1", "--user",
              "nobody", "--capabilities", "NET_BIND_SERVICE"],
             [PY, "-c", code])
    h.started(1)
    h.wait_log(r"bound 80")
    pid = h.workers()[0]
    assert caps(pid) == dict.fromkeys(ALL, NET_BIND_SERVICE), status(pid)
    assert status(pid)["Uid"].split()[0] != "0"


def test_capabilities_a_master_cannot_give_are_refused(tmp_path):
    r = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup",
                        "--clear-groups", HERD, "-t", "--listen",
                        "127.0.0.1:0", "--capabilities", "net_raw", "--",
                        "/bin/true"], capture_output=True, text=True)
    assert r.returncode == 78, r
    assert "--capabilities" in r.stderr and "CAP_SETPCAP" in r.stderr, r


def test_rlimits(herd):
    h = herd(["--listen", "127.0.0.1:0", "--rlimit", "nofile=100:200",
              "--rlimit", "core=0", "--rlimit", "fsize=unlimited",
              "--rlimit", "nofile=123:456"], SLEEP).started(1)
    with open(f"/proc/{h.workers()[0]}/limits") as f:
        limits = f.read()
    assert re.search(r"Max open files\s+123\s+456\s", limits), limits
    assert re.search(r"Max core file size\s+0\s+0\s", limits), limits
    assert re.search(r"Max file size\s+unlimited\s+unlimited", limits)


def test_rlimit_above_the_hard_limit_is_refused_when_herd_cannot_raise():
    r = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup",
                        "--clear-groups", "prlimit", "--nofile=64:64", HERD,
                        "-t", "--listen", "127.0.0.1:0", "--rlimit",
                        "nofile=100:1000", "--", "/bin/true"],
                       capture_output=True, text=True)
    assert r.returncode == 78, r
    assert "--rlimit: nofile: hard limit above herd's own (64)" in r.stderr


def sched(pid):
    """(policy, nice) of pid: /proc/PID/stat fields 41 and 19."""
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return int(rest[41 - 3]), int(rest[19 - 3])


SCHED_OTHER, SCHED_BATCH, SCHED_IDLE = 0, 3, 5


def test_scheduling_policy_and_nice_reach_workers_in_both_modes(herd):
    # A non-root worker with a priority above its master's: set while the
    # child is still root, kept across setuid and exec.
    h = herd(["--listen", "127.0.0.1:0", "--workers", "2", "--user",
              "nobody", "--cpu-scheduling-policy", "batch", "--nice", "-5"],
             SLEEP).started(2)
    for pid in h.workers():
        assert sched(pid) == (SCHED_BATCH, -5)
        assert status(pid)["Uid"].split()[0] != "0"
    assert sched(h.pid) == (SCHED_OTHER, 0)
    h.wait_log(r"workers get: .*, cpu-scheduling-policy batch, nice -5")
    h.stop()
    h2 = herd(["--app", "hello", "--listen", "127.0.0.1:0", "--workers",
               "1", "--cpu-scheduling-policy", "idle", "--nice", "7"])
    h2.started(1)
    assert sched(h2.workers()[0]) == (SCHED_IDLE, 7)
    assert get(h2.port()) == (200, b"hello, world\n")
    h2.stop()
    # Not given: the master's own, whatever they are.
    h3 = herd(["--listen", "127.0.0.1:0"], SLEEP).started(1)
    assert sched(h3.workers()[0]) == sched(h3.pid)


@pytest.mark.parametrize("args,why", [
    (["--nice", "-21"], "--nice: '-21': expected -20..19 or inherit"),
    (["--nice", "20"], "--nice: '20': expected -20..19 or inherit"),
    (["--nice", "5x"], "--nice: '5x': expected -20..19 or inherit"),
    (["--nice", "-"], "--nice: '-': expected -20..19 or inherit"),
    (["--nice", "99999999999999999999"], "expected -20..19 or inherit"),
    (["--cpu-scheduling-policy", "fifo"], "fifo is a realtime policy"),
    (["--cpu-scheduling-policy", "rr"], "rr is a realtime policy"),
    (["--cpu-scheduling-policy", "BATCH"],
     "'BATCH': expected inherit, other, batch or idle"),
])
def test_bad_scheduling_values_are_refused(args, why, tmp_path):
    r = subprocess.run([HERD, "-t", "--listen", "127.0.0.1:0", *args,
                        "--", "/bin/true"], capture_output=True, text=True)
    assert r.returncode == 64, r  # a usage error on the command line
    assert why in r.stderr, r.stderr
    err = refused(tmp_path, f"listen = 127.0.0.1:0\n{args[0][2:]} = "
                  f"{args[1]}\ncommand = /bin/true\n")
    assert f"FILE:2: {args[0][2:]}: " in err, err
    assert why.split(": ", 1)[-1] in err, err


def test_a_priority_a_master_cannot_give_is_refused(tmp_path):
    r = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup",
                        "--clear-groups", HERD, "-t", "--listen",
                        "127.0.0.1:0", "--nice", "-1", "--", "/bin/true"],
                       capture_output=True, text=True)
    assert r.returncode == 78, r
    assert "--nice: nice -1 is above the master's priority (nice 0) and " \
        "herd may not raise it (no CAP_SYS_NICE" in r.stderr, r.stderr
    # Lowering it is anyone's right.
    r = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup",
                        "--clear-groups", HERD, "-t", "--listen",
                        "127.0.0.1:0", "--nice", "3", "--", "/bin/true"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r
    # Root, but the worker's own user namespace has no say outside it.
    err = refused(tmp_path, "listen = 127.0.0.1:0\nnamespaces = user\n"
                  "nice = -2\ncommand = /bin/true\n")
    assert "FILE:3: nice: nice -2 is above the master's priority" in err \
        and "user namespace of its own" in err, err


def test_seccomp_default_with_user_and_off_without(herd):
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1", "--user",
              "nobody"], SLEEP).started(1)
    assert status(h.workers()[0])["Seccomp"] == "2"
    h.stop()
    h2 = herd(["--listen", "127.0.0.1:0"], SLEEP).started(1)
    assert status(h2.workers()[0])["Seccomp"] == "0"


@pytest.mark.parametrize("call,nr,code", [
    ("ptrace", 101, "import ctypes; ctypes.CDLL(None).ptrace(0, 0, 0, 0)"),
    ("mount", 165, "import ctypes; ctypes.CDLL(None).syscall(165, 0, 0, 0, "
                   "0, 0)"),
    ("bpf", 321, "import ctypes; ctypes.CDLL(None).syscall(321, 0, 0, 0)"),
])
def test_a_denied_call_kills_the_worker_and_is_named(herd, call, nr, code):
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1", "--user",
              "nobody", "--restart-burst", "100"],
             [PY, "-c", "print('up', flush=True); import time; "
              "time.sleep(0.2); " + code + "; print('survived')"])
    h.wait_log(rf"worker 0 \(pid \d+, gen 1\): killed by seccomp: "
               rf"syscall {call} \({nr}\) after [\d.]+ s", timeout=10)
    assert "): survived" not in h.log()


@pytest.mark.parametrize("name,argv,body", [
    ("python", [PY, "-c", PY_SERVER], b"py ok\n"),
    ("node", ["/usr/bin/node", "-e", NODE_SERVER], b"node ok\n"),
])
def test_servers_serve_under_strict(herd, name, argv, body):
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1", "--user",
              "nobody", "--seccomp", "strict"], argv)
    h.started(1)
    h.wait_log(r"\): serving", timeout=20)
    assert status(h.workers()[0])["Seccomp"] == "2"
    for _ in range(3):
        assert get(h.port()) == (200, body)
    assert "seccomp" not in h.log().replace("seccomp strict", "")


def test_herds_own_workers_serve_under_strict_with_landlock(herd, tmp_path):
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "index.html").write_text("hi\n")
    h = herd(["--listen", "127.0.0.1:0", "--workers", "2", "--app",
              f"static:{tmp_path / 'www'}", "--seccomp", "strict",
              "--landlock", f"ro:{tmp_path / 'www'}"]).started(2)
    for pid in h.workers():
        assert status(pid)["Seccomp"] == "2"
    for _ in range(5):
        assert get(h.port(), "/index.html") == (200, b"hi\n")


LANDLOCK_PROBE = """
import errno, os, sys, time
def try_(what, f):
    try:
        f()
        print(what, "ok", flush=True)
    except OSError as e:
        print(what, errno.errorcode[e.errno], flush=True)
d = sys.argv[1]
try_("read-ro", lambda: open(d + "/ro/f").read())
try_("write-ro", lambda: open(d + "/ro/g", "w"))
try_("write-rw", lambda: open(d + "/rw/g", "w").write("x"))
try_("read-no", lambda: open(d + "/no/f").read())
try_("read-etc-shadow", lambda: open("/etc/shadow").read())
try_("listener", lambda: os.fstat(3))
time.sleep(1000)
"""


def test_landlock_allows_beneath_its_paths_only(herd, tmp_path):
    for sub in ("ro", "rw", "no"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "f").write_text("x")
    h = herd(["--listen", "127.0.0.1:0", "--landlock",
              f"ro:/usr,ro:/etc/ld.so.cache,ro:{tmp_path}/ro,"
              f"rw:{tmp_path}/rw"],
             [PY, "-c", LANDLOCK_PROBE, str(tmp_path)]).started(1)
    h.wait_log(r"listener ok")
    log = h.log()
    for line in ("read-ro ok", "write-ro EACCES", "write-rw ok",
                 "read-no EACCES", "read-etc-shadow EACCES"):
        assert line in log, log
    assert (tmp_path / "rw" / "g").read_text() == "x"


def test_landlock_path_missing_is_refused_at_test_config(tmp_path):
    r = subprocess.run([HERD, "-t", "--listen", "127.0.0.1:0", "--landlock",
                        "ro:/nonexistent-herd", "--", "/bin/true"],
                       capture_output=True, text=True)
    assert r.returncode == 78, r
    assert "--landlock: /nonexistent-herd: No such file or directory" \
        in r.stderr, r.stderr


def test_unknown_syscall_name_is_refused_with_file_and_line(tmp_path):
    err = refused(tmp_path, "listen = 127.0.0.1:0\nseccomp = strict\n"
                  "seccomp-allow = read,frobnicate\ncommand = /bin/true\n")
    assert "FILE:3: seccomp-allow: unknown syscall frobnicate" in err, err


def confined(pid):
    st = status(pid)
    with open(f"/proc/{pid}/limits") as f:
        limits = f.read()
    return (st["Seccomp"], int(st["CapBnd"], 16),
            re.search(r"Max open files\s+(\d+)", limits).group(1),
            sched(pid))


def test_confinement_holds_across_reload_and_upgrade(herd, tmp_path):
    conf = tmp_path / "herd.conf"
    conf.write_text("listen = 127.0.0.1:0\n"
                    f"pid-file = {tmp_path / 'herd.pid'}\n"
                    "workers = 2\nexec-settle = 100ms\n"
                    "user = nobody\ncapabilities = net_bind_service\n"
                    "rlimit = nofile=77\n"
                    "cpu-scheduling-policy = batch\nnice = 3\n"
                    "command = /bin/sleep 1000\n")
    h = herd(["-c", str(conf)], expect_errors=[r"reload failed: .*:9: nice"])
    h.wait_log(r"master: ready")
    h.started(2)
    want = ("2", NET_BIND_SERVICE, "77", (SCHED_BATCH, 3))
    assert [confined(p) for p in h.workers()] == [want, want]
    h.wait_log(r"master: workers get: capabilities net_bind_service, "
               r"seccomp default, rlimit nofile=77:77, "
               r"cpu-scheduling-policy batch, nice 3")
    # A bad value on reload is refused and the running config stays.
    good = conf.read_text()
    conf.write_text(good.replace("nice = 3", "nice = -30"))
    r = ctl(conf, "reload")
    assert r.returncode != 0 and ":9: nice: '-30'" in r.stdout + r.stderr, r
    assert [confined(p) for p in h.workers()] == [want, want]
    conf.write_text(good.replace("nofile=77", "nofile=78")
                    .replace("nice = 3", "nice = 4"))
    r = ctl(conf, "reload")
    assert r.returncode == 0, r
    want = ("2", NET_BIND_SERVICE, "78", (SCHED_BATCH, 4))
    wait_for(lambda: [confined(p) for p in h.workers()] == [want, want], 10,
             "the new generation confined")
    old = h.pid
    r = ctl(conf, "upgrade")
    assert r.returncode == 0, r
    h.pid = int(re.search(r"new master pid (\d+)", r.stdout).group(1))
    wait_for(lambda: not alive(old), 20, "old master gone")
    wait_for(lambda: len(h.workers()) == 2 and
             [confined(p) for p in h.workers()] == [want, want], 10,
             "the new master's workers confined")
    os.kill(h.pid, signal.SIGQUIT)
