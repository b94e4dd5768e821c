"""`herd ctl`: status as JSON, workers N, stop/quit/reopen-logs, and
refusals (unknown command, a peer of another uid) that leave the master
unaffected."""
import os
import pwd
import shutil
import subprocess
import tempfile

import pytest

from conftest import HERD, alive, wait_for
from zdt import ctl, status
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
        assert w["started"] > 0
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
    assert r.returncode == 1 and "expected a count" in r.stderr


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
    assert h.wait_exit() == 0
