# SPDX-License-Identifier: BSD-2-Clause
"""The log file (--log): never opened through a symbolic link at its name,
never in a directory anyone may write to without the sticky bit, at start
(refused, exit 78) and on USR1 (refused, the old file stays)."""
import os
import signal
import subprocess

from conftest import HERD, wait_for

SLEEP = ["/bin/sleep", "1000"]


def run(*args):
    return subprocess.run([HERD, *args], capture_output=True, text=True,
                          timeout=30)


def test_log_symlink_refused_at_start(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    log = tmp_path / "herd.log"
    log.symlink_to(victim)
    r = run("--log", str(log), "--listen", "127.0.0.1:0", "--", *SLEEP)
    assert r.returncode == 78, r
    assert "symbolic link" in r.stderr and str(log) in r.stderr, r.stderr
    assert victim.read_text() == "precious\n"


def test_log_in_world_writable_directory_refused(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    r = run("--log", str(shared / "herd.log"), "--listen", "127.0.0.1:0",
            "--", *SLEEP)
    assert r.returncode == 78, r
    assert "world-writable" in r.stderr, r.stderr
    assert not (shared / "herd.log").exists()
    # -t finds it too.
    r = run("--log", str(shared / "herd.log"), "-t", "--", *SLEEP)
    assert r.returncode == 78 and "world-writable" in r.stderr, r


def test_usr1_reopen_refuses_planted_symlink(herd, tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("")
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1"], SLEEP,
             expect_errors=[r"USR1: reopening the log"]).started(1)
    rotated = tmp_path / "herd.log.1"
    os.rename(h.log_path, rotated)
    os.symlink(victim, h.log_path)
    h.signal(signal.SIGUSR1)
    wait_for(lambda: "USR1: reopening the log" in rotated.read_text(),
             what=f"the refusal in the old log:\n{rotated.read_text()}")
    assert "symbolic link" in rotated.read_text()
    assert victim.read_text() == ""
    # The old file stays in force: a second USR1 still writes there.
    h.signal(signal.SIGUSR1)
    wait_for(lambda: rotated.read_text().count("reopening the log") == 2)
    assert victim.read_text() == ""
    os.unlink(h.log_path)
    os.rename(rotated, h.log_path)
