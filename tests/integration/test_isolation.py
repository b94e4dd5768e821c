# SPDX-License-Identifier: BSD-2-Clause
"""Worker isolation, read back from real workers: nsreport (tests/helpers)
prints its namespaces' inodes, pid, ids and maps, hostname, what exists in
its root, its cgroup and LISTEN_*, and serves that JSON on its listener, so
each test asks an isolated worker through the socket herd handed it.
Namespaces, uid/gid maps (root and unprivileged master), rootfs, net,
cgroups (cgroup.kill takes a daemonized grandchild along), a failed setup
step, HUP and USR2, in-process workers and notify readiness across
namespaces."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import uuid

import pytest

from conftest import HERD, SLOW, alive, helper, http_get, wait_for
from zdt import ctl, upgrade

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="namespaces and cgroups need root "
                                       "(one test drops to nobody itself)")

NSREPORT = helper("nsreport")
NAMES = {"user": "user", "pid": "pid", "mount": "mnt", "net": "net",
         "uts": "uts", "ipc": "ipc", "cgroup": "cgroup"}
# nsreport is PID 1 in a pid namespace: the kernel drops a TERM it has no
# handler for, so its stops go by KILL (the README says so).
FAST_STOP = ["--stop-signal", "KILL"]


def host_ns():
    return {p: os.stat(f"/proc/self/ns/{p}").st_ino for p in NAMES.values()}


def report(port):
    text = http_get(port)
    return json.loads(text.split("\r\n\r\n", 1)[1])


def conf_file(tmp_path, lines):
    conf = os.path.join(tmp_path, "herd.conf")
    with open(conf, "w") as f:
        f.write("\n".join(lines) + "\n")
    return conf


def status(conf):
    r = ctl(conf, "status", "--json")
    assert r.returncode == 0, r
    return json.loads(r.stdout)


def cgroup2_root():
    with open("/proc/self/mounts") as f:
        for line in f:
            dev, mnt, fstype = line.split()[:3]
            if fstype == "cgroup2":
                return mnt
    return None


@pytest.fixture
def cgroup_dir():
    # Ask for it before `herd`: torn down after herd stopped.
    root = cgroup2_root()
    if root is None:
        pytest.skip("no cgroup2 mount")
    # Under our own cgroup2 path: a parent of ours may have moved us.
    with open("/proc/self/cgroup") as f:
        mine = [ln.split(":", 2)[2].strip() for ln in f
                if ln.startswith("0::")]
    base = os.path.join(root, (mine[0] if mine else "/").lstrip("/"))
    path = os.path.join(base, f"herd-test-{uuid.uuid4().hex[:8]}")
    try:
        os.mkdir(path)
    except OSError as e:
        pytest.skip(f"cannot create a cgroup: {e}")
    yield path
    for sub in os.listdir(path):
        if os.path.isdir(os.path.join(path, sub)):
            with open(os.path.join(path, sub, "cgroup.kill"), "w") as f:
                f.write("1")
            wait_for(lambda: _rmdir(os.path.join(path, sub)), 5, "rmdir")
    os.rmdir(path)


def _rmdir(p):
    try:
        os.rmdir(p)
        return True
    except OSError:
        return False


@pytest.fixture
def rootfs(tmp_path):
    """A root with only the libraries (merged /usr) and herd's build: no
    /bin, so /bin/sh of the host is not there."""
    root = os.path.join(tmp_path, "root")
    os.mkdir(root)
    for name in ("lib", "lib64"):
        if os.path.islink(f"/{name}") or os.path.isdir(f"/{name}"):
            os.symlink(f"usr/{name}", os.path.join(root, name))
    build = os.path.dirname(os.path.dirname(NSREPORT))
    return root, ["--rootfs", root, "--bind", "/usr:/usr:ro",
                  "--bind", f"{build}:{build}:ro"]


def test_listed_namespaces_are_new_and_the_rest_shared(herd, tmp_path):
    conf = conf_file(tmp_path, [
        "listen = 127.0.0.1:0", "workers = 1",
        "namespaces = user,pid,uts,ipc,net", "hostname = boxed",
        "stop-signal = KILL", f"pid-file = {tmp_path}/herd.pid",
        f"command = {NSREPORT}"])
    h = herd(["-c", conf]).started(1)
    port = h.port()
    r = report(port)  # a worker in an empty network namespace serves
    host = host_ns()
    for name, proc in NAMES.items():
        new = name in ("user", "pid", "uts", "ipc", "net")
        assert (r["ns"][proc] != host[proc]) == new, (name, r)
    assert r["pid"] == 1 and r["LISTEN_PID"] == "1", r
    assert r["hostname"] == "boxed"
    # Root master, no user: root inside is root, one id.
    assert r["uid_map"].split() == ["0", "0", "1"], r
    # status names exactly the namespaces it has of its own.
    w = status(conf)["workers"][0]
    assert sorted(w["namespaces"]) == ["ipc", "net", "pid", "user", "uts"]
    assert w["namespaces"]["pid"] == r["ns"]["pid"]
    assert w["cgroup"] is None
    h.wait_log(r"workers are isolated: namespaces user,pid,net,uts,ipc")
    # The fd invariant, seen from the host.
    pid = h.workers()[0]
    assert sorted(int(fd) for fd in os.listdir(f"/proc/{pid}/fd")) == \
        [0, 1, 2, 3]


def test_maps_as_configured_for_a_root_master(herd):
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1",
              "--namespaces", "user", "--user", "nobody"],
             [NSREPORT]).started(1)
    r = report(h.port())
    # The worker's user, mapped to itself.
    assert r["uid"] == 65534 and r["uid_map"].split() == [
        "65534", "65534", "1"], r
    h2 = herd(["--listen", "127.0.0.1:0", "--workers", "1",
               "--namespaces", "user", "--uid-map", "0:100000:1000",
               "--gid-map", "0:100000:1000", "--user", "root"],
              [NSREPORT]).started(1)
    r = report(h2.port())
    assert r["uid"] == 0 and r["uid_map"].split() == [
        "0", "100000", "1000"], r
    assert r["gid_map"].split() == ["0", "100000", "1000"], r


def test_maps_for_an_unprivileged_master(herd):
    # pytest's tmp_path is root's and 0700: nobody needs a place of its own.
    d = tempfile.mkdtemp(prefix="herd-nobody-")
    try:
        os.chmod(d, 0o755)
        os.chown(d, 65534, 65534)
        def start(port, extra):
            h = herd(["--listen", "127.0.0.1:0", "--workers", "1",
                         "--namespaces", "user,pid,net", "--readiness",
                         "notify", "--stop-signal", "KILL",
                         "--pid-file", f"{d}/herd{port}.pid"] + extra,
                        [NSREPORT], popen=_as_nobody(d, port))
            h.log_path = f"{d}/herd{port}.log"
            return h

        h = start(0, [])
        h.started(1)
        r = report(h.port())
        # Its own uid, as nobody inside (no user set).
        assert r["uid"] == 65534 and r["uid_map"].split() == [
            "65534", "65534", "1"], r
        assert r["pid"] == 1
        h2 = start(1, ["--user", "root"])
        h2.started(1)
        r = report(h2.port())
        # `user` names an id inside: root there is nobody outside.
        assert r["uid"] == 0 and r["uid_map"].split() == [
            "0", "65534", "1"], r
        assert status_of(h2.pid)["Uid"].split()[0] == "65534"
        h.stop()
        h2.stop()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def status_of(pid):
    from conftest import status as st
    return st(pid)


def _as_nobody(d, n):
    """A Popen that runs herd as nobody, its log in d."""
    def popen(argv, **kw):
        argv = list(argv)
        i = argv.index("--log")
        argv[i + 1] = f"{d}/herd{n}.log"
        return subprocess.Popen(
            ["setpriv", "--reuid=nobody", "--regid=nogroup",
             "--clear-groups"] + argv, **kw)
    return popen


def test_rootfs_hides_the_host_and_has_tmp_proc_dev(herd, rootfs):
    root, args = rootfs
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1",
              "--namespaces", "user,pid,mount,net"] + args + FAST_STOP,
             [NSREPORT]).started(1)
    port = h.port()
    r = report(port)
    assert r["bin_sh"] is False and r["tmp"] is True, r
    assert r["ns"]["mnt"] is not None  # /proc/self/ns read: /proc is there
    pid = h.workers()[0]
    assert os.path.exists(f"/proc/{pid}/root/dev/null")
    assert os.path.exists(f"/proc/{pid}/root/dev/urandom")
    assert not os.path.exists(f"/proc/{pid}/root/etc")
    with open(f"/proc/{pid}/mountinfo") as f:
        mounts = f.read()
    assert re.search(r" /tmp .* - tmpfs ", mounts), mounts
    assert re.search(r" /proc .* - proc ", mounts), mounts
    # Nothing leaked into the master's mount table.
    with open("/proc/self/mountinfo") as f:
        assert root not in f.read()
    h.wait_log(r"rootfs .*\(/proc, /tmp, /dev, 2 binds\)")


def test_net_worker_serves_but_reaches_nothing(herd, tmp_path):
    # A listener of the host's the worker must not reach.
    host = socket.socket()
    host.bind(("127.0.0.1", 0))
    host.listen(8)
    hport = host.getsockname()[1]
    script = os.path.join(tmp_path, "probe.py")
    with open(script, "w") as f:
        f.write(f"""
import os, socket, sys
try:
    socket.create_connection(("127.0.0.1", {hport}), timeout=2)
    print("probe: connected", flush=True)
except OSError as e:
    print("probe: refused", e.errno, flush=True)
os.execv({NSREPORT!r}, [{NSREPORT!r}])
""")
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1",
              "--namespaces", "net"], ["/usr/bin/python3", script])
    h.started(1)
    port = h.port()
    h.wait_log(r"probe: (connected|refused)")
    assert "probe: refused" in h.log(), h.log()
    host.setblocking(False)
    with pytest.raises(BlockingIOError):
        host.accept()
    # ...and still serves through the listener herd bound.
    assert report(port)["ns"]["net"] != host_ns()["net"]
    host.close()


def test_cgroup_kill_takes_a_daemonized_grandchild(cgroup_dir, herd,
                                                   tmp_path):
    conf = conf_file(tmp_path, [
        "listen = 127.0.0.1:0", "workers = 2",
        f"cgroup = {cgroup_dir}", f"pid-file = {tmp_path}/herd.pid",
        # Double fork and setsid: a daemon, out of the worker's tree.
        f"command = /bin/sh -c '(setsid sleep 1000 &); exec {NSREPORT}'"])
    h = herd(["-c", conf]).started(2)
    port = h.port()
    ws = status(conf)["workers"]
    cgs = {w["number"]: w["cgroup"] for w in ws}
    assert all(c and c.startswith(cgroup_dir + "/worker-") for c in
               cgs.values()), ws

    def procs(cg):
        with open(os.path.join(cg, "cgroup.procs")) as f:
            return [int(p) for p in f.read().split()]

    # The worker and its daemon in the worker's cgroup.
    wait_for(lambda: len(procs(cgs[1])) == 2, 5, "daemon started")
    daemon = [p for p in procs(cgs[1]) if p != ws[1]["pid"]][0]
    assert ws[1]["pid"] in procs(cgs[1])
    r = report(port)
    assert cgroup_dir[len(cgroup2_root()):] in r["cgroup"]
    # One worker fewer: it stops, its daemon goes with it, and its cgroup.
    h.signal(signal.SIGTTOU)
    wait_for(lambda: not alive(daemon), 10, "daemon gone")
    wait_for(lambda: not os.path.exists(cgs[1]), 5, "cgroup removed")
    h.stop()
    wait_for(lambda: not any(n.startswith("worker-")
                             for n in os.listdir(cgroup_dir)), 5,
             "every cgroup removed")


def test_cgroup_limits_without_controllers_refused_at_t(cgroup_dir):
    with open(os.path.join(cgroup_dir, "cgroup.controllers")) as f:
        if "memory" in f.read().split():
            pytest.skip("the memory controller is available here")
    r = subprocess.run([HERD, "-t", "--cgroup", cgroup_dir,
                        "--cgroup-memory-max", "64m", "--", NSREPORT],
                       capture_output=True, text=True)
    assert r.returncode == 78, r
    assert "--cgroup-memory-max" in r.stderr and "memory" in r.stderr, r


@pytest.mark.parametrize("args,key", [
    (["--rootfs", "/"], "--rootfs"),
    (["--namespaces", "pid", "--hostname", "x"], "--hostname"),
    (["--uid-map", "0:0:1"], "--uid-map"),
    (["--cgroup", "/tmp"], "--cgroup"),
    (["--namespaces", "mount", "--rootfs", "/nonexistent-root"], "--rootfs"),
    (["--namespaces", "mount", "--rootfs", "/", "--bind",
      "/nonexistent-src:/x"], "--bind"),
    (["--namespaces", "pid,bogus"], "--namespaces"),
    (["--bind", "relative:/x"], "--bind"),
])
def test_t_refuses_what_cannot_work(args, key):
    r = subprocess.run([HERD, "-t"] + args + ["--", NSREPORT],
                       capture_output=True, text=True)
    assert r.returncode in (64, 78), r
    assert key in r.stderr, r


def test_isolation_across_hup_and_usr2(herd, tmp_path):
    lines = ["listen = 127.0.0.1:0", "workers = 2",
             "namespaces = pid,net,uts", "hostname = one",
             "stop-signal = KILL", "readiness = exec", "exec-settle = 0",
             f"pid-file = {tmp_path}/herd.pid", f"command = {NSREPORT}"]
    conf = conf_file(tmp_path, lines)
    h = herd(["-c", conf]).started(2)
    port = h.port()
    assert report(port)["hostname"] == "one"
    conf_file(tmp_path, [ln.replace("hostname = one", "hostname = two")
                         for ln in lines])
    h.signal(signal.SIGHUP)
    h.wait_log(r"reload .*succeeded|generation 2 .*ready|reloaded", 1,
               timeout=20 * SLOW)
    wait_for(lambda: all(report(port)["hostname"] == "two"
                         for _ in range(4)), 10, "new generation serves")
    host = host_ns()
    # The old generation drains away.
    wait_for(lambda: [w["generation"] for w in status(conf)["workers"]]
             == [2, 2], 10 * SLOW, "only generation 2 left")
    for w in status(conf)["workers"]:
        assert sorted(w["namespaces"]) == ["net", "pid", "uts"], w
    upgrade(h, conf)
    wait_for(lambda: len(status(conf)["workers"]) == 2, 10, "workers")
    r = report(port)
    assert r["hostname"] == "two" and r["pid"] == 1
    assert r["ns"]["net"] != host["net"]
    for w in status(conf)["workers"]:
        assert sorted(w["namespaces"]) == ["net", "pid", "uts"], w


def test_a_failed_bind_is_a_failed_start_with_its_reason(herd, rootfs,
                                                         tmp_path):
    root, args = rootfs
    src = os.path.join(tmp_path, "data")
    os.mkdir(src)
    lines = ["listen = 127.0.0.1:0", "workers = 1",
             "namespaces = mount,net", f"rootfs = {root}",
             "bind = /usr:/usr:ro",
             f"bind = {os.path.dirname(os.path.dirname(NSREPORT))}:"
             f"{os.path.dirname(os.path.dirname(NSREPORT))}:ro",
             f"bind = {src}:/data", "stop-signal = KILL",
             f"pid-file = {tmp_path}/herd.pid", f"command = {NSREPORT}"]
    conf = conf_file(tmp_path, lines)
    h = herd(["-c", conf], expect_errors=[r"worker 0: bind failed",
                                      r"reload failed"]).started(1)
    h.port()  # listening before the source goes away
    # The source goes away after -t and start: the next spawn fails.
    os.rmdir(src)
    os.kill(h.workers()[0], signal.SIGKILL)
    h.wait_log(r"worker 0: bind failed: No such file or directory")
    h.wait_log(r"respawn in [\d.]+ s \(crash loop")
    # A reload to a config whose bind cannot be made rolls back: its
    # mount point would sit under a regular file of the rootfs.
    os.mkdir(src)
    wait_for(lambda: len(h.ready_workers()) >= 1 and
             status(conf)["workers"][0]["state"] == "ready", 10 * SLOW,
             "respawned")
    with open(os.path.join(root, "file"), "w") as f:
        f.write("x")
    conf_file(tmp_path, lines + [f"bind = {src}:/file/under"])
    r = ctl(conf, "reload")
    assert r.returncode != 0, r
    h.wait_log(r"worker 0: bind failed: Not a directory")
    h.wait_log(r"roll(ed|ing) back|rollback")
    assert status(conf)["master"]["generation"] == 1


def test_in_process_workers_isolated_with_notify_readiness(cgroup_dir, herd,
                                                           tmp_path):
    conf = conf_file(tmp_path, [
        "listen = 127.0.0.1:0", "workers = 2", "app = hello",
        "namespaces = user,pid,net,ipc", f"cgroup = {cgroup_dir}",
        f"pid-file = {tmp_path}/herd.pid"])
    h = herd(["-c", conf]).started(2)
    port = h.port()
    # Ready only by READY=1, sent from inside net and pid namespaces.
    h.wait_log(r"worker 1 \(pid \d+, gen 1\): ready after", 1)
    assert "hello" in http_get(port)
    for w in status(conf)["workers"]:
        assert w["ready"] and sorted(w["namespaces"]) == [
            "ipc", "net", "pid", "user"], w
        assert w["cgroup"].startswith(cgroup_dir)
    h.wait_log(r"notify through a socket with a path")


def test_notify_reaches_the_master_from_inside_a_rootfs(herd, rootfs):
    # herd's own workers say READY=1; in a net namespace and a rootfs the
    # notify socket's directory is bound in at the same path.
    root, args = rootfs
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1",
              "--app", "hello", "--namespaces", "user,pid,mount,net,uts,ipc"]
             + args).started(1)
    port = h.port()
    h.wait_log(r"worker 0 \(pid \d+, gen 1\): ready after")
    assert "hello" in http_get(port)
    pid = h.workers()[0]
    d = re.search(r"(/tmp/herd-notify-\w+)", open(
        f"/proc/{pid}/mountinfo").read())
    assert d and os.path.exists(f"/proc/{pid}/root{d.group(1)}/notify")


def test_retire_request_crosses_namespaces(herd):
    # HERD_RETIRE= from a worker in net and pid namespaces: the master
    # knows it by its pid as translated by the kernel.
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1", "--app",
              "hello", "--namespaces", "user,pid,net", "--max-requests",
              "2"]).started(1)
    port = h.port()
    for _ in range(3):
        assert "hello" in http_get(port)
    h.wait_log(r"worker 0 \(pid \d+, gen 1\): asks to be replaced")
    h.wait_log(r"stopping \(recycled: .*took over\)")
