# SPDX-License-Identifier: BSD-2-Clause
"""herd under systemd: the sd_notify messages it sends to NOTIFY_SOCKET
(READY=1, RELOADING=1 with MONOTONIC_USEC, STOPPING=1, STATUS=, MAINPID= on
an upgrade), checked against a socket this test owns; and the shipped unit
files, checked by systemd's own verifier."""
import os
import re
import shutil
import signal
import socket
import subprocess

import pytest

from conftest import HERD, ROOT, alive, wait_for, SLOW
from test_upgrade import launch
from zdt import ctl


class NotifySocket:
    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(10 * SLOW)

    def next(self):
        return self.sock.recv(4096).decode()

    def until(self, pattern):
        seen = []
        while True:
            msg = self.next()
            seen.append(msg)
            if re.search(pattern, msg):
                return msg, seen


def test_notify_sequence(herd, tmp_path):
    ns = NotifySocket(tmp_path / "notify")
    h, exe, conf, port = launch(herd, tmp_path,
                                env={"NOTIFY_SOCKET": ns.path})
    msg, _ = ns.until(r"READY=1")
    assert "STATUS=2/2 workers ready, generation 1" in msg
    assert f"MAINPID={h.pid}" in msg
    # Reload: RELOADING=1 with the monotonic clock, then READY=1.
    h.signal(signal.SIGHUP)
    msg = ns.next()
    assert "RELOADING=1" in msg
    usec = int(re.search(r"MONOTONIC_USEC=(\d+)", msg).group(1))
    assert abs(usec / 1e6 - __import__("time").monotonic()) < 5
    msg, _ = ns.until(r"READY=1")
    assert "generation 2" in msg
    # Upgrade: the new master announces itself as the main pid.
    r = ctl(conf, "upgrade")
    assert r.returncode == 0
    new = int(re.search(r"new master pid (\d+)", r.stdout).group(1))
    msg, _ = ns.until(r"MAINPID=")
    assert f"MAINPID={new}" in msg and "READY=1" in msg
    old = h.pid
    wait_for(lambda: not alive(old), 10, "old master gone")
    # The old master left without STOPPING=1: the service goes on.
    ns.sock.settimeout(0.2)
    try:
        extra = ns.next()
    except socket.timeout:
        extra = ""
    assert "STOPPING=1" not in extra, extra
    ns.sock.settimeout(10 * SLOW)
    h.pid = new
    os.kill(new, signal.SIGQUIT)
    msg, _ = ns.until(r"STOPPING=1")
    wait_for(lambda: not alive(new), 10, "new master exit")


def test_workers_get_their_own_notify_socket(herd, tmp_path):
    ns = NotifySocket(tmp_path / "notify")
    h, exe, conf, port = launch(herd, tmp_path,
                                env={"NOTIFY_SOCKET": ns.path})
    for pid in h.workers():
        with open(f"/proc/{pid}/environ", "rb") as f:
            env = f.read()
        assert b"NOTIFY_SOCKET=@herd-notify-" in env
        assert ns.path.encode() not in env


# An unrelated unit with mistakes, pulled in through network.target (which
# herd.service orders itself after), as Debian's unicorn.service is on a
# machine that has it: its warnings are not herd's.
BOGUS_UNIT = """[Unit]
Description=someone else's unit
After=nonsense=1
[Service]
Type=bogus
ExecStart=/nonexistent/unicorn -D
KillMode=invalid
"""


def verify(tmp_path, env=None, edit=lambda text: text):
    """systemd-analyze verify on herd's units: (herd's problems, stderr).
    Every line about herd's own units is a problem: on clean units
    systemd-analyze says nothing about them."""
    names = ("herd.service", "herd.socket")
    for name in names:
        text = open(os.path.join(ROOT, "contrib/systemd", name)).read()
        (tmp_path / name).write_text(edit(text.replace("/usr/local/bin/herd",
                                                       HERD)))
    r = subprocess.run(["systemd-analyze", "verify",
                        *(str(tmp_path / n) for n in names)],
                       capture_output=True, text=True,
                       env={**os.environ, **(env or {})})
    problems = [line for line in r.stderr.splitlines()
                if any(line.startswith((f"{tmp_path / n}:", f"{n}:"))
                       for n in names)]
    return problems, r.stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed")
def test_unit_files_verify(tmp_path):
    problems, stderr = verify(tmp_path)
    assert not problems, stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed")
def test_unit_files_verify_ignores_other_units(tmp_path):
    units = tmp_path / "units"
    (units / "network.target.wants").mkdir(parents=True)
    (units / "bogus.service").write_text(BOGUS_UNIT)
    (units / "network.target.wants" / "bogus.service").symlink_to(
        units / "bogus.service")
    # A trailing ':' keeps the usual directories after ours.
    problems, stderr = verify(tmp_path, {"SYSTEMD_UNIT_PATH": f"{units}:"})
    # The plant took: systemd-analyze complained about it ...
    assert "bogus.service" in stderr and "Invalid" in stderr, stderr
    # ... and that is not held against herd's units.
    assert not problems, stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed")
def test_unit_files_verify_can_fail(tmp_path):
    """The filter still sees a mistake in herd's own unit."""
    problems, stderr = verify(tmp_path, edit=lambda t: t.replace(
        "Type=notify", "Type=notify\nNoSuchKey=1"))
    assert any("NoSuchKey" in p for p in problems), stderr
