# SPDX-License-Identifier: BSD-2-Clause
"""The master process itself: pid file, daemon mode, process title, and
an idle master that makes no wakeups."""
import os
import signal
import subprocess
import time

from conftest import HERD, alive, status, wait_for

SLEEP = ["/bin/sleep", "1000"]


def test_pid_file_locked_refused_and_removed(herd, tmp_path):
    pid_file = tmp_path / "herd.pid"
    h = herd(["--listen", "127.0.0.1:0", "--pid-file", str(pid_file)],
             SLEEP).started(1)
    assert pid_file.read_text() == f"{h.pid}\n"
    # A second herd with the same pid file refuses and changes nothing.
    r = subprocess.run([HERD, "--listen", "127.0.0.1:0", "--pid-file",
                        str(pid_file), "--", *SLEEP], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 1
    assert f"held by running pid {h.pid}" in r.stderr
    assert pid_file.read_text() == f"{h.pid}\n"
    assert alive(h.pid)
    h.signal(signal.SIGQUIT)
    assert h.wait_exit() == 0
    assert not pid_file.exists()


def test_stale_pid_file_is_taken_over(herd, tmp_path):
    pid_file = tmp_path / "herd.pid"
    pid_file.write_text("999999\n")
    h = herd(["--listen", "127.0.0.1:0", "--pid-file", str(pid_file)],
             SLEEP).started(1)
    assert pid_file.read_text() == f"{h.pid}\n"


def test_daemon_returns_when_up(tmp_path):
    pid_file = tmp_path / "herd.pid"
    log = tmp_path / "herd.log"
    r = subprocess.run([HERD, "--daemon", "--listen", "127.0.0.1:0",
                        "--pid-file", str(pid_file), "--log", str(log),
                        "--", *SLEEP], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, r.stderr
    pid = int(pid_file.read_text())
    try:
        assert alive(pid)
        assert "master: started" in log.read_text()
        # Detached: its own session, stdio on /dev/null.
        assert os.getsid(pid) == pid
        assert os.readlink(f"/proc/{pid}/fd/0") == "/dev/null"
    finally:
        os.kill(pid, signal.SIGQUIT)
        wait_for(lambda: not alive(pid), 10, "daemon exit")
    assert not pid_file.exists()


def test_daemon_reports_startup_failure(tmp_path):
    r = subprocess.run([HERD, "--daemon", "--listen", "192.0.2.1:1",
                        "--log", str(tmp_path / "herd.log"), "--", *SLEEP],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert "192.0.2.1:1" in (tmp_path / "herd.log").read_text()


def test_process_title(herd):
    h = herd(["--listen", "127.0.0.1:0"], SLEEP).started(1)
    with open(f"/proc/{h.pid}/cmdline", "rb") as f:
        title = f.read().split(b"\0")[0].decode().rstrip()
    assert title == "herd: master -- /bin/sleep 1000", title


def test_idle_master_makes_no_wakeups(herd):
    h = herd(["--listen", "127.0.0.1:0", "--workers", "2"],
             SLEEP).started(2)
    h.wait_log(r"master: ready")  # after exec-settle: no timer left
    time.sleep(0.2)  # let start-up settle before measuring

    def switches():
        st = status(h.pid)
        return (int(st["voluntary_ctxt_switches"]) +
                int(st["nonvoluntary_ctxt_switches"]))
    before = switches()
    time.sleep(2)  # measuring idleness takes time, not an event
    assert switches() - before == 0
