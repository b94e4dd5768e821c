# SPDX-License-Identifier: BSD-2-Clause
"""Binary upgrade (USR2, `herd ctl upgrade`): the pid file dance, handover
to the new master, failure and rollback, the manual mode, and the nginx
lesson: no descriptor multiplies across upgrades."""
import os
import re
import shutil
import signal
import subprocess

from conftest import (HERD, alive, children, environ, fds, helper, http_get,
                      wait_for)
from zdt import ctl, status, upgrade, write_config


def launch(herd, tmp_path, extra="", env=None, pass_fds=(), **kw):
    exe = tmp_path / "herd"
    shutil.copy(HERD, exe)
    conf = tmp_path / "herd.conf"
    # Port 0, learned from herd: the new master takes the socket over by
    # name, so the port stays across upgrades.
    write_config(conf, 0, 2, extra)
    h = herd(["-c", str(conf)], env=env, pass_fds=pass_fds,
             popen=lambda argv, **k: subprocess.Popen([str(exe)] + argv[1:],
                                                     **k), **kw)
    h.wait_log(r"master: ready")
    return h, exe, conf, h.port()


def pidfile(tmp_path):
    return int((tmp_path / "herd.pid").read_text())


def test_usr2_hands_over(herd, tmp_path):
    h, exe, conf, port = launch(herd, tmp_path)
    old = h.pid
    old_workers = set(h.workers())
    h.signal(signal.SIGUSR2)
    h.wait_log(r"USR2: started new master pid (\d+)")
    new = int(h.wait_log(r"USR2: started new master pid (\d+)")[0])
    h.wait_log(rf"upgrade: new master pid {new} ready")
    wait_for(lambda: not alive(old), 10, "old master gone")
    assert not any(alive(p) for p in old_workers)
    assert pidfile(tmp_path) == new
    assert not (tmp_path / "herd.pid.oldbin").exists()
    assert "ok worker" in http_get(port)
    h.pid = new
    st = status(conf)
    assert st["master"]["pid"] == new
    # Generations go on counting across the upgrade.
    assert st["master"]["generation"] == 2
    for pid in h.workers():
        assert environ(pid)["HERD_GENERATION"] == "2"
    # The new master is nobody's child now; stop it ourselves.
    os.kill(new, signal.SIGQUIT)
    wait_for(lambda: not alive(new), 10, "new master exit")


def test_pid_file_is_oldbin_while_upgrading(herd, tmp_path):
    h, exe, conf, port = launch(herd, tmp_path, extra="upgrade-handover = "
                                "manual\n")
    old = h.pid
    r = ctl(conf, "upgrade")
    assert r.returncode == 0, r
    new = int(re.search(r"new master pid (\d+)", r.stdout).group(1))
    assert (tmp_path / "herd.pid.oldbin").read_text() == f"{old}\n"
    assert pidfile(tmp_path) == new
    with open(f"/proc/{old}/cmdline", "rb") as f:
        assert f.read().startswith(b"herd: master (old) -- ")
    # Manual handover: the old master keeps its workers until WINCH.
    assert len(children(old)) >= 3  # two workers and the new master
    os.kill(old, signal.SIGWINCH)
    wait_for(lambda: children(old) == [new], 10, "old workers stopped")
    # HUP brings them back (nginx's manual rollback).
    os.kill(old, signal.SIGHUP)
    wait_for(lambda: len(children(old)) == 3, 10, "old workers restored")
    os.kill(old, signal.SIGQUIT)
    wait_for(lambda: not alive(old), 10, "old master gone")
    assert not (tmp_path / "herd.pid.oldbin").exists()
    assert pidfile(tmp_path) == new
    h.pid = new
    os.kill(new, signal.SIGQUIT)
    wait_for(lambda: not alive(new), 10, "new master exit")


def test_broken_binary_rolls_back(herd, tmp_path):
    h, exe, conf, port = launch(herd, tmp_path,
                                expect_errors=[r"upgrade failed"])
    workers = set(h.workers())
    good = exe.read_bytes()
    exe.unlink()
    exe.write_text("#!/bin/sh\necho broken >&2\nexit 3\n")
    exe.chmod(0o755)
    r = ctl(conf, "upgrade")
    assert r.returncode == 1, r
    assert "exited with status 3 before it was ready" in r.stderr, r.stderr
    assert pidfile(tmp_path) == h.pid
    assert not (tmp_path / "herd.pid.oldbin").exists()
    assert set(h.workers()) == workers
    assert "ok worker" in http_get(port)
    assert status(conf)["last_upgrade"]["ok"] is False
    # A missing binary: the exec error, in words.
    exe.unlink()
    r = ctl(conf, "upgrade")
    assert r.returncode == 1
    assert "No such file or directory" in r.stderr, r.stderr
    exe.write_bytes(good)
    exe.chmod(0o755)


def test_second_usr2_is_refused(herd, tmp_path):
    h, exe, conf, port = launch(herd, tmp_path,
                                extra="env = KEEPALIVE_BOOT_MS=1500\n")
    h.signal(signal.SIGUSR2)
    h.wait_log(r"USR2: started new master")
    h.signal(signal.SIGUSR2)
    h.wait_log(r"USR2 refused: an upgrade is already under way")
    new = int(h.wait_log(r"started new master pid (\d+)")[0])
    h.wait_log(r"upgrade: new master pid \d+ ready", timeout=20)
    wait_for(lambda: not alive(h.pid), 10, "old master gone")
    h.pid = new
    os.kill(new, signal.SIGQUIT)
    wait_for(lambda: not alive(new), 10, "new master exit")


def kinds(pid):
    """A master's own descriptors by kind (numbers and inodes vary), less
    the pidfd and output pipe each worker adds."""
    return sorted(re.sub(r"\[\d+\]", "", t) for n, t in fds(pid).items()
                  if n < 3 or ("pidfd" not in t and not t.startswith("pipe:")))


def test_no_descriptor_multiplies_over_20_upgrades(herd, tmp_path):
    stray = os.open("/etc/hostname", os.O_RDONLY)
    os.set_inheritable(stray, True)
    try:
        h, exe, conf, port = launch(
            herd, tmp_path, pass_fds=(stray,),
            env={"LD_PRELOAD": helper("careless-preload.so"),
                 "CARELESS_OPEN": "/etc/hostname",
                 # The helper is not built with ASan, and comes first.
                 "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") +
                 ":verify_asan_link_order=0"})
    finally:
        os.close(stray)
    first = kinds(h.pid)
    # The careless library's descriptor is there, not close-on-exec.
    assert "/etc/hostname" in first
    for i in range(20):
        new = upgrade(h, conf)
        wait_for(lambda: len(h.workers()) == 2, 10, "new workers")
        assert kinds(new) == first, (i, kinds(new), first)
        for pid in h.workers():
            got = fds(pid)
            assert "/etc/hostname" not in got.values()
            assert got[3].startswith("socket:")
            assert environ(pid)["LISTEN_FDS"] == "1"
    assert "ok worker" in http_get(port)
    os.kill(h.pid, signal.SIGQUIT)
    wait_for(lambda: not alive(h.pid), 10, "last master exit")


def releases(tmp_path):
    """releases/1/herd and releases/2/herd, two copies of the binary, and
    a `current` symlink to the first, as a deploy tool lays them out."""
    for n in ("1", "2"):
        (tmp_path / "releases" / n).mkdir(parents=True)
        shutil.copy(HERD, tmp_path / "releases" / n / "herd")
    (tmp_path / "current").symlink_to(tmp_path / "releases" / "1")
    return tmp_path / "releases"


def switch(link, target):
    """Points link at target atomically (rename over it), as deploys do."""
    tmp = link.with_name(link.name + ".new")
    tmp.symlink_to(target)
    os.rename(tmp, link)


def version():
    return subprocess.run([HERD, "--version"], capture_output=True,
                          text=True).stdout.split()[1]


def exe_of(pid):
    return os.readlink(f"/proc/{pid}/exe")


def start_as(herd, tmp_path, argv0, executable, extra="", env=None,
             cwd=None):
    conf = tmp_path / "herd.conf"
    write_config(conf, 0, 1, extra)
    h = herd(["-c", str(conf)], env=env,
             popen=lambda argv, **k: subprocess.Popen(
                 [argv0] + argv[1:], executable=executable, cwd=cwd, **k))
    h.wait_log(r"master: ready")
    return h, conf


def test_upgrade_execs_the_path_it_was_started_by(herd, tmp_path):
    """Started as current/herd; the deploy switches `current`; USR2 runs
    the new release, and says which binary and version it is."""
    rel = releases(tmp_path)
    started = str(tmp_path / "current" / "herd")
    h, conf = start_as(herd, tmp_path, started, started)
    assert exe_of(h.pid) == str(rel / "1" / "herd")
    switch(tmp_path / "current", rel / "2")
    old = h.pid
    r = ctl(conf, "upgrade")
    assert r.returncode == 0, r
    new = int(re.search(r"new master pid (\d+)", r.stdout).group(1))
    assert exe_of(new) == str(rel / "2" / "herd")
    # The answer and the log name what runs now, and its version.
    assert str(rel / "2" / "herd") in r.stdout, r.stdout
    assert f"herd {version()}" in r.stdout, r.stdout
    h.wait_log(rf"upgrade: new master pid {new} ready .*"
               rf"{re.escape(str(rel / '2' / 'herd'))} \(herd {version()}\)")
    wait_for(lambda: not alive(old), 10, "the old master gone")
    h.pid = new
    os.kill(new, signal.SIGQUIT)
    wait_for(lambda: not alive(new), 10, "new master exit")


def test_upgrade_looks_a_bare_name_up_in_path_again(herd, tmp_path):
    rel = releases(tmp_path)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "herd").symlink_to(rel / "1" / "herd")
    env = {"PATH": f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
    h, conf = start_as(herd, tmp_path, "herd", str(bindir / "herd"),
                       env=env)
    switch(bindir / "herd", rel / "2" / "herd")
    old = h.pid
    new = upgrade(h, conf)
    assert exe_of(new) == str(rel / "2" / "herd")
    assert not alive(old)
    os.kill(new, signal.SIGQUIT)
    wait_for(lambda: not alive(new), 10, "new master exit")


def test_upgrade_resolves_a_relative_path_again(herd, tmp_path):
    rel = releases(tmp_path)
    h, conf = start_as(herd, tmp_path, "./current/herd",
                       str(tmp_path / "current" / "herd"), cwd=tmp_path)
    switch(tmp_path / "current", rel / "2")
    old = h.pid
    new = upgrade(h, conf)
    assert exe_of(new) == str(rel / "2" / "herd")
    assert not alive(old)
    os.kill(new, signal.SIGQUIT)
    wait_for(lambda: not alive(new), 10, "new master exit")


def test_upgrade_exec_names_another_binary(herd, tmp_path):
    rel = releases(tmp_path)
    first = str(rel / "1" / "herd")
    h, conf = start_as(herd, tmp_path, first, first,
                       extra=f"upgrade-exec = {rel / '2' / 'herd'}\n")
    old = h.pid
    new = upgrade(h, conf)
    assert exe_of(new) == str(rel / "2" / "herd")
    assert not alive(old)
    os.kill(new, signal.SIGQUIT)
    wait_for(lambda: not alive(new), 10, "new master exit")
