# SPDX-License-Identifier: BSD-2-Clause
"""`herd ctl`: status as a table and as JSON, --help, errors read from
the JSON, a config read only for the socket, last reload/upgrade across an
upgrade, workers N, stop/quit/reopen-logs, and
refusals (unknown command, a peer of another uid) that leave the master
unaffected; a socket of another uid is neither trusted by the client nor
taken over by the master; the default socket is per instance; malformed
lines and idle clients cannot wedge the control socket."""
import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile

import pytest

from conftest import HERD, SLOW, alive, wait_for
from zdt import KEEPALIVE, ctl, status, upgrade

ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
from test_reload import start


def test_status_json(herd, tmp_path):
    h, conf, port = start(herd, tmp_path)
    st = status(conf)
    assert st["master"]["pid"] == h.pid
    assert st["master"]["generation"] == 1
    assert st["master"]["status"] == "2/2 workers ready, generation 1"
    ws = sorted(st["workers"], key=lambda w: w["number"])
    assert [w["number"] for w in ws] == [0, 1]
    assert {w["pid"] for w in ws} == set(h.workers())
    for w in ws:
        assert w["state"] == "ready" and w["ready"] is True
        assert w["generation"] == 1 and w["restarts"] == 0
        assert w["status"] == "serving"  # the worker's STATUS=
        assert re.fullmatch(ISO, w["started"]), w
        assert 0 <= w["age"] < 600
    assert re.fullmatch(ISO, st["master"]["started"])
    assert 0 <= st["master"]["uptime"] < 600
    assert st["listeners"] == [{"name": "http",
                                "listen": f"127.0.0.1:{port}",
                                "inherited": False}]
    assert st["last_reload"] is None and st["last_upgrade"] is None
    sock = tmp_path / "herd.sock"
    assert oct(sock.stat().st_mode & 0o777) == "0o600"


def test_workers_n(herd, tmp_path):
    h, conf, port = start(herd, tmp_path)
    r = ctl(conf, "workers", "4")
    assert r.returncode == 0 and "4 workers wanted" in r.stdout
    wait_for(lambda: len(h.workers()) == 4, 10, "4 workers")
    r = ctl(conf, "workers", "-1")
    assert r.returncode == 64 and "expected a count" in r.stderr


def test_unknown_command_and_usage(herd, tmp_path):
    h, conf, port = start(herd, tmp_path)
    r = ctl(conf, "frobnicate")
    assert r.returncode == 1 and "unknown command" in r.stderr
    r = subprocess.run([HERD, "ctl"], capture_output=True, text=True)
    assert r.returncode == 64
    assert alive(h.pid)
    assert status(conf)["master"]["state"] == "running"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to be nobody")
def test_other_uid_is_refused(herd, tmp_path):
    # A socket where `nobody` can reach it, so the credentials check is
    # what refuses, not the file system.
    public = tempfile.mkdtemp(prefix="herd-ctl-")
    os.chmod(public, 0o755)
    sock = os.path.join(public, "herd.sock")
    try:
        h, conf, port = start(herd, tmp_path,
                              extra=f"control-socket = {sock}\n")
        nobody = pwd.getpwnam("nobody")
        os.chmod(sock, 0o666)
        r = subprocess.run([HERD, "ctl", "--control-socket", sock,
                            "status"], capture_output=True, text=True,
                           user=nobody.pw_uid, group=nobody.pw_gid)
        assert r.returncode == 1 and "permission denied" in r.stderr, r
        h.wait_log(r"control: refused a client \(pid \d+, uid 65534\)")
        assert status(conf)["master"]["state"] == "running"
    finally:
        h.stop()
        shutil.rmtree(public, ignore_errors=True)


def test_reopen_logs_quit_and_stop(herd, tmp_path):
    h, conf, port = start(herd, tmp_path)
    os.rename(h.log_path, h.log_path + ".1")
    assert ctl(conf, "reopen-logs").returncode == 0
    wait_for(lambda: os.path.exists(h.log_path), 5, "a new log")
    r = ctl(conf, "quit")
    assert r.returncode == 0 and "graceful stop" in r.stdout
    assert h.wait_exit() == 0


def test_stop_is_fast(herd, tmp_path):
    h, conf, port = start(herd, tmp_path)
    r = ctl(conf, "stop")
    assert r.returncode == 0 and "fast stop" in r.stdout
    # The action itself, named for who asked: not a TERM the master faked.
    h.wait_log(r"master: ctl stop: fast stop")
    assert h.wait_exit() == 0


needs_root = pytest.mark.skipif(os.geteuid() != 0,
                                reason="needs root to be nobody")

# A control server that is not herd: it answers every command with ok, as
# a squatter on another user's socket path would.
FAKE_SERVER = r"""
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(8)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    try:
        c.recv(4096)
        c.sendall(b'{"ok":true,"result":"fast stop"}\n')
    except OSError:
        pass  # a client that left without a word
    c.close()
"""


class Squatter:
    """A fake control server run as uid nobody in a sticky directory
    anyone may write (like /tmp), bound at `name` inside it."""

    def __init__(self, name="herd.sock"):
        self.dir = tempfile.mkdtemp(prefix="herd-ctl-")
        os.chmod(self.dir, 0o1777)
        self.path = os.path.join(self.dir, name)
        self.proc = subprocess.Popen(
            ["setpriv", "--reuid=nobody", "--regid=nogroup",
             "--clear-groups", "/usr/bin/python3", "-c", FAKE_SERVER,
             self.path], stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline() == "ready\n"
        assert os.stat(self.path).st_uid == pwd.getpwnam("nobody").pw_uid

    def kill(self):
        """Stops the server; its socket file stays behind (stale)."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()

    def close(self):
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def squatter():
    s = Squatter()
    yield s
    s.close()


@needs_root
def test_client_refuses_a_server_of_another_uid(squatter):
    d = squatter.dir
    for flags in (["--control-socket", squatter.path],
                  ["--pid-file", os.path.join(d, "herd.pid")]):
        r = subprocess.run([HERD, "ctl", *flags, "stop"],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 77, r
        assert '"ok":true' not in r.stdout, r
        assert "uid 65534" in r.stderr and "not trusted" in r.stderr, r


def write_conf(path, extra=""):
    path.write_text("listen = 127.0.0.1:0\n"
                    "workers = 1\n"
                    "readiness = notify\n"
                    f"command = {KEEPALIVE}\n" + extra)


def herd_logging_to(herd, log, args, **kw):
    """A herd of its own log file, when several run in one test."""
    h = herd(["--log", str(log), *args], log=False, **kw)
    h.log_path = str(log)
    return h


@needs_root
def test_master_refuses_a_path_held_by_another_uid(herd, tmp_path,
                                                  squatter):
    conf = tmp_path / "herd.conf"
    write_conf(conf, f"control-socket = {squatter.path}\n")
    # Live, then stale: neither is ours to take.
    for state in ("answers", "stale"):
        h = herd(["-c", str(conf)],
                 expect_errors=[r"control socket .* uid 65534"])
        assert h.wait_exit() == 78, (state, h.log())
        assert "not starting" in h.log()
        squatter.kill()
        os.unlink(h.log_path)
    assert os.stat(squatter.path).st_uid == pwd.getpwnam("nobody").pw_uid


def test_master_replaces_only_its_own_stale_socket(herd, tmp_path):
    conf = tmp_path / "herd.conf"
    sock = tmp_path / "ctl.sock"
    write_conf(conf, f"control-socket = {sock}\n")
    # Not a socket: refused and left alone.
    sock.write_text("precious\n")
    h = herd(["-c", str(conf)], expect_errors=[r"control socket"])
    assert h.wait_exit() == 78, h.log()
    assert sock.read_text() == "precious\n"
    assert "not a socket" in h.log()
    os.unlink(h.log_path)
    # A socket of ours that nobody answers: a crashed master's, replaced.
    sock.unlink()
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(sock))
    s.close()
    h = herd(["-c", str(conf)])
    h.wait_log(r"master: ready")
    r = subprocess.run([HERD, "ctl", "-c", str(conf), "status", "--json"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and json.loads(r.stdout)["master"]["pid"] == \
        h.pid, r
    # A second master on the same socket: refused, the first untouched.
    h2 = herd_logging_to(herd, tmp_path / "h2.log", ["-c", str(conf)],
                         expect_errors=[r"control socket"])
    assert h2.wait_exit() == 78, h2.log()
    r = subprocess.run([HERD, "ctl", "-c", str(conf), "status", "--json"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and json.loads(r.stdout)["master"]["pid"] == \
        h.pid, r


@needs_root
def test_master_refuses_a_directory_others_can_write(herd, tmp_path):
    conf = tmp_path / "herd.conf"
    nobody = pwd.getpwnam("nobody")
    for mode, owner in ((0o777, 0), (0o755, nobody.pw_uid)):
        d = tmp_path / f"d{mode:o}{owner}"
        d.mkdir()
        os.chmod(d, mode)
        os.chown(d, owner, -1)
        write_conf(conf, f"control-socket = {d / 'ctl.sock'}\n")
        h = herd(["-c", str(conf)], expect_errors=[r"control socket"])
        assert h.wait_exit() == 78, h.log()
        assert "writable by others" in h.log() or "owned by uid" in h.log()
        assert not (d / "ctl.sock").exists()
        os.unlink(h.log_path)


def test_default_socket_is_per_instance(herd, tmp_path):
    # Two masters from two config files without a pid file or a
    # control-socket: each has its own socket, found from its config
    # (here by a relative path from elsewhere, too).
    hs = {}
    for name in ("a", "b"):
        d = tmp_path / name
        d.mkdir()
        write_conf(d / "herd.conf")
        hs[name] = herd_logging_to(herd, d / "herd.log",
                                   ["-c", str(d / "herd.conf")])
        hs[name].wait_log(r"master: ready")
    for name, h in hs.items():
        r = subprocess.run([HERD, "ctl", "-c", f"{name}/herd.conf", "--json",
                            "status"], cwd=tmp_path, capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 0, r
        assert json.loads(r.stdout)["master"]["pid"] == h.pid
    # Nothing to derive a path from: no socket, and a line saying how.
    h = herd_logging_to(herd, tmp_path / "c.log",
                        ["--listen", "127.0.0.1:0", "--workers", "1"],
                        command=[KEEPALIVE])
    h.wait_log(r"master: ready")
    assert "no control socket" in h.log()
    r = subprocess.run([HERD, "ctl", "status"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 64 and "--control-socket" in r.stderr, r
    for h in hs.values():
        assert alive(h.pid)


def raw(path, data, timeout=10.0):
    """Sends data on a new control connection; returns all it gets back
    until the master closes it."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(timeout * SLOW)
        s.connect(str(path))
        s.sendall(data)
        out = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                return out
            out += chunk


def test_malformed_lines_are_answered(herd, tmp_path):
    h, conf, port = start(herd, tmp_path)
    sock = tmp_path / "herd.sock"
    for line in (b"sta\0tus\n", b"status\0", b"x" * 300 + b"\n",
                 b"x" * 300, b"\xff\xfe\n", b"st\x01atus\n",
                 b"frobnicate\n", b"status now\n", b"workers\n",
                 b"workers  3\n", b"workers +3\n", b"workers 3x\n",
                 b"workers 0x3\n", b"workers 99999999999999999999\n",
                 b"workers 3 4\n"):
        out = raw(sock, line)
        answer = json.loads(out.decode("utf-8"))
        assert answer["ok"] is False and answer["error"], (line, out)
    assert status(conf)["master"]["state"] == "running"
    assert len(status(conf)["workers"]) == 2


def test_workers_count_is_digits_only(herd, tmp_path):
    h, conf, port = start(herd, tmp_path)
    for arg in ("  3", "3 ", "+3", "0x3", "", "-1", "1025", "3.0"):
        r = ctl(conf, "workers", arg)
        assert r.returncode == 64 and "digits" in r.stderr, (arg, r)
    r = ctl(conf, "workers", "3\nstop")
    assert r.returncode == 64 and "malformed" in r.stderr, r
    r = ctl(conf, "status", "now")
    assert r.returncode == 64 and "no argument" in r.stderr, r
    assert len(status(conf)["workers"]) == 2


def test_idle_clients_do_not_lock_others_out(herd, tmp_path):
    h, conf, port = start(herd, tmp_path)
    sock = tmp_path / "herd.sock"
    idle = []
    try:
        for _ in range(40):
            s = socket.socket(socket.AF_UNIX)
            s.connect(str(sock))
            idle.append(s)
        # The newest client is served at once, idle ones or not.
        r = ctl(conf, "status", timeout=10 * SLOW)
        assert r.returncode == 0, r
        # An idle client is dropped after a while, with a word why.
        last = idle[-1]
        last.settimeout(30 * SLOW)
        answer = json.loads(last.recv(4096).decode())
        assert answer["ok"] is False and "idle" in answer["error"]
    finally:
        for s in idle:
            s.close()
    assert status(conf)["master"]["state"] == "running"


def test_help_says_what_winch_does():
    # The master ignores WINCH while its stdin is a terminal (Unicorn's
    # rule), daemon or not; the help says so, not "daemon only".
    r = subprocess.run([HERD, "--help"], capture_output=True, text=True)
    text = r.stdout[r.stdout.index("  WINCH "):]
    text = " ".join(text[:text.index("TTIN, TTOU")].split())
    assert "terminal" in text and "daemon" not in text, text


def test_status_table(herd, tmp_path):
    h, conf, port = start(herd, tmp_path)
    r = ctl(conf, "status")
    assert r.returncode == 0, r
    out = r.stdout
    assert out.startswith(f"herd master {h.pid}: running, generation 1\n")
    assert re.search(r"Status: 2/2 workers ready, generation 1$", out, re.M)
    assert re.search(rf"Started: {ISO} \(up [\d.]+[smhd]", out), out
    assert re.search(rf"Listeners: http 127\.0\.0\.1:{port}$", out, re.M)
    assert re.search(r"Last reload: none$", out, re.M)
    assert re.search(r"Last upgrade: none$", out, re.M)
    header = [line for line in out.splitlines() if "WORKER" in line]
    assert header and header[0].split()[:8] == [
        "WORKER", "PID", "GEN", "STATE", "READY", "AGE", "RESTARTS", "PHASE"]
    for pid in h.workers():
        assert re.search(rf"^\s+\d+\s+{pid}\s+1 ready\s+yes\s+\S+\s+0 ",
                         out, re.M), out
    # --json is the master's JSON, as is; --pretty indents it.
    j = ctl(conf, "status", "--json")
    assert j.returncode == 0 and len(j.stdout.strip().splitlines()) == 1
    assert json.loads(j.stdout)["master"]["pid"] == h.pid
    p = ctl(conf, "--pretty", "status")
    assert p.returncode == 0 and len(p.stdout.splitlines()) > 20
    assert p.stdout.startswith('{\n  "ok": true,\n  "master": {\n')
    assert json.loads(p.stdout)["master"]["pid"] == h.pid


def test_help_without_a_master(tmp_path):
    r = subprocess.run([HERD, "ctl", "--help"], capture_output=True,
                       text=True)
    assert r.returncode == 0, r
    assert r.stdout.startswith("usage: herd ctl ") and r.stderr == ""
    for verb in ("status", "reload", "upgrade", "workers N", "stop", "quit",
                 "reopen-logs", "--json", "--pretty"):
        assert verb in r.stdout
    for verb in ("status", "reload", "workers"):
        for args in ([verb, "--help"], ["-h", verb],
                     ["-c", str(tmp_path / "nope.conf"), verb, "--help"]):
            r = subprocess.run([HERD, "ctl", *args], capture_output=True,
                               text=True)
            assert r.returncode == 0, r
            assert f"] {verb}" in r.stdout.splitlines()[0], r.stdout
    r = subprocess.run([HERD, "ctl", "frob", "--help"], capture_output=True,
                       text=True)
    assert r.returncode == 64 and 'unknown command "frob"' in r.stderr
    r = subprocess.run([HERD, "ctl", "--bogus", "status"],
                       capture_output=True, text=True)
    assert r.returncode == 64 and "unknown option --bogus" in r.stderr
    r = subprocess.run([HERD, "ctl", "-c"], capture_output=True, text=True)
    assert r.returncode == 64 and "-c: missing value" in r.stderr


def test_error_text_is_read_whole(herd, tmp_path):
    h, conf, port = start(herd, tmp_path)
    r = ctl(conf, "--json", 'fr"o\\b')
    assert r.returncode == 1, r
    assert json.loads(r.stdout)["error"].startswith(
        'unknown command "fr\\"o\\\\b"'.encode().decode("unicode_escape"))
    assert r.stderr.startswith('herd ctl: unknown command "fr"o\\b" '
                               "(known: status,"), r.stderr


def test_config_typo_elsewhere_does_not_stop_ctl(herd, tmp_path):
    h, conf, port = start(herd, tmp_path)
    # The master runs; its file has since gained mistakes ctl ignores.
    conf.write_text(conf.read_text() + "wrokers = 4\nno equals\n"
                    "workers = -1\n")
    r = ctl(conf, "status", "--json")
    assert r.returncode == 0, r
    assert json.loads(r.stdout)["master"]["pid"] == h.pid
    # A bad value of a key that locates the socket is still an error.
    conf.write_text(conf.read_text() + "control-socket =\n")
    r = ctl(conf, "status")
    assert r.returncode == 78 and "control-socket" in r.stderr, r


def test_last_reload_survives_an_upgrade(herd, tmp_path):
    h, conf, port = start(herd, tmp_path)
    assert ctl(conf, "reload").returncode == 0
    before = status(conf)["last_reload"]
    assert before["ok"] is True and before["generation"] == 2
    assert re.fullmatch(ISO, before["at"]) and before["age"] >= 0
    upgrade(h, conf)
    st = status(conf)
    assert st["master"]["pid"] == h.pid
    assert st["last_reload"]["ok"] is True
    assert st["last_reload"]["generation"] == 2
    assert st["last_reload"]["at"] == before["at"]
    assert st["last_reload"]["reason"] == before["reason"]
    assert st["last_upgrade"]["ok"] is True
    assert re.fullmatch(ISO, st["last_upgrade"]["at"])
    out = ctl(conf, "status").stdout
    assert re.search(r"Last reload: ok, generation 2, at ", out), out
    assert re.search(r"Last upgrade: ok, generation \d+, at ", out), out


def test_commands_answer_people_in_a_line_and_scripts_in_json(herd, tmp_path):
    """Without --json a command prints its outcome as a sentence and a
    failure only its reason, on stderr; --json gives the answer whole."""
    h, conf, port = start(herd, tmp_path)
    r = ctl(conf, "workers", "3")
    assert (r.returncode, r.stdout, r.stderr) == (0, "3 workers wanted\n",
                                                  ""), r
    r = ctl(conf, "--json", "workers", "2")
    assert r.returncode == 0 and json.loads(r.stdout) == {
        "ok": True, "result": "2 workers wanted"}, r
    r = ctl(conf, "reload")
    assert r.returncode == 0 and re.fullmatch(
        r"generation 2 ready \(2 workers\) in [\d.]+ s\n", r.stdout), r
    r = ctl(conf, "frob")
    assert r.returncode == 1 and r.stdout == "", r
    assert r.stderr.startswith('herd ctl: unknown command "frob"'), r
