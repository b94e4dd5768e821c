# SPDX-License-Identifier: BSD-2-Clause
"""Command line and config file: bad input is refused with file:line:key
and the right exit status; nothing crashes and nothing is silently
defaulted."""
import os
import re
import signal
import subprocess

import pytest

from conftest import HERD


def run(*args, cwd=None):
    return subprocess.run([HERD, *args], capture_output=True, text=True,
                          cwd=cwd, timeout=30)


@pytest.mark.parametrize("line,reason", [
    ("wrokers = 4", "unknown"),
    ("workres = 4", "unknown key (did you mean workers?)"),
    ("acess-log = x", "did you mean access-log?"),
    ("timeout = never", ", or auto)"),
    ("workers = -3", "workers"),
    ("workers = 0", "workers"),
    ("workers = 99999", "workers"),
    ("workers = 4x", "workers"),
    ("graceful-timeout = -1", "graceful-timeout"),
    ("stop-signal = BOGUS", "stop-signal"),
    ("listen = 127.0.0.1:70000", "listen"),
    ("listen = unix:", "listen"),
    ("env = 1BAD=x", "env"),
    ("daemon = maybe", "daemon"),
    ("readiness = sometimes", "readiness"),
    ("no equals sign here", ""),
])
def test_bad_config_file(tmp_path, line, reason):
    conf = tmp_path / "herd.conf"
    conf.write_text("# a comment\nworkers = 2\n" + line + "\n")
    r = run("-c", str(conf), "-t")
    assert r.returncode == 78, r
    first = r.stderr.strip().splitlines()[0]
    assert f"{conf}:3:" in first, first
    assert reason in first, first
    assert "Sanitizer" not in r.stderr


def test_unknown_flag_suggests_the_nearest(tmp_path):
    r = run("--workres", "4", "-t")
    assert r.returncode == 64, r
    assert "unknown option --workres (did you mean --workers?)" in r.stderr


def test_missing_config_file(tmp_path):
    r = run("-c", str(tmp_path / "nope.conf"), "-t")
    assert r.returncode == 78
    assert "nope.conf" in r.stderr and "No such file" in r.stderr


@pytest.mark.parametrize("args", [
    ["--wrokers", "4"],
    ["--workers"],
    ["--workers", "-1"],
    ["--listen", "127.0.0.1:99999"],
    ["--stop-signal", "NOPE"],
])
def test_bad_flags(args):
    r = run(*args, "-t")
    assert r.returncode == 64, r
    assert r.stderr.startswith("herd: "), r.stderr
    assert args[0].lstrip("-").split("=")[0][:4] in r.stderr


def test_good_config_and_override(tmp_path):
    conf = tmp_path / "herd.conf"
    conf.write_text('workers = 3\nlisten = 127.0.0.1:0\n'
                    'command = /bin/sh -c "sleep 100"\n')
    assert run("-c", str(conf), "-t").returncode == 0
    # A flag overrides the file: a bad flag value is reported as the flag.
    r = run("-c", str(conf), "--workers", "0", "-t")
    assert r.returncode == 64 and "--workers" in r.stderr


def test_help_and_version():
    r = run("--help")
    assert r.returncode == 0
    for key in ("listen", "workers", "graceful-timeout", "stop-signal",
                "reopen-signal", "pid-file", "log", "user", "group",
                "working-directory", "env", "daemon", "no-new-privs"):
        assert re.search(rf"--(\[no-\])?{key}\b", r.stdout), key
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("herd ")


# What -t can check beyond the syntax, it checks: the names resolve, the
# paths exist, the app loads. Each refusal names FILE:LINE: KEY and exits 78,
# at -t and at a real start alike.
SEMANTIC = [
    ("user = no-such-user-herd", "user", "no such user"),
    ("group = no-such-group-herd", "group", "no such group"),
    ("working-directory = /nonexistent-herd", "working-directory",
     "No such file"),
    ("working-directory = /etc/hostname", "working-directory",
     "not a directory"),
    ("app = /nonexistent-herd.so", "app", "cannot open shared object"),
    ("log = /nonexistent-herd/herd.log", "log", "No such file"),
    ("upgrade-exec = /nonexistent-herd", "upgrade-exec", "No such file"),
    ("upgrade-exec = /etc", "upgrade-exec", "not a regular file"),
    ("upgrade-exec = {tmp}/plain", "upgrade-exec", "not executable"),
    ("command = /nonexistent-herd", "command", "No such file"),
    ("command = no-such-program-herd --flag", "command",
     "not found in PATH"),
]


def semantic_conf(tmp_path, line):
    conf = tmp_path / "herd.conf"
    (tmp_path / "plain").write_text("not a program\n")
    (tmp_path / "plain").chmod(0o644)
    line = line.replace("{tmp}", str(tmp_path))
    body = "# a comment\nlisten = 127.0.0.1:0\n" + line + "\n"
    if not line.startswith(("app", "command")):
        body += "command = /bin/sleep 1000\n"
    conf.write_text(body)
    return conf


@pytest.mark.parametrize("line,key,reason", SEMANTIC)
def test_semantic_check_at_test_config(tmp_path, line, key, reason):
    conf = semantic_conf(tmp_path, line)
    r = run("-c", str(conf), "-t")
    assert r.returncode == 78, r
    first = r.stderr.strip().splitlines()[0]
    assert f"{conf}:3: {key}:" in first and reason in first, first
    assert "Sanitizer" not in r.stderr


@pytest.mark.parametrize("line,key,reason", SEMANTIC)
def test_semantic_check_at_start(tmp_path, line, key, reason):
    conf = semantic_conf(tmp_path, line)
    r = subprocess.run([HERD, "-c", str(conf)], capture_output=True,
                       text=True, timeout=20)
    assert r.returncode == 78, r
    assert f"{conf}:3: {key}:" in r.stderr and reason in r.stderr, r.stderr
    assert "Sanitizer" not in r.stderr


def test_semantic_check_names_the_flag():
    r = run("--user", "no-such-user-herd", "-t", "--", "/bin/true")
    assert r.returncode == 78, r
    assert "--user: no such user" in r.stderr, r.stderr


def test_semantic_check_on_reload(herd, tmp_path):
    conf = tmp_path / "herd.conf"
    conf.write_text("listen = 127.0.0.1:0\nworkers = 1\n"
                    "command = /bin/sleep 1000\n")
    h = herd(["-c", str(conf)],
             expect_errors=[r"herd.conf:2: working-directory"]).started(1)
    before = h.workers()
    conf.write_text("listen = 127.0.0.1:0\n"
                    "working-directory = /nonexistent-herd\n"
                    "workers = 1\ncommand = /bin/sleep 1000\n")
    h.signal(signal.SIGHUP)
    h.wait_log(rf"{conf}:2: working-directory: .*No such file")
    # The old config stays in force: the same worker, no crash loop.
    assert h.workers() == before
    assert "respawn" not in h.log()


def test_config_must_be_a_regular_file(tmp_path):
    fifo = tmp_path / "fifo.conf"
    os.mkfifo(fifo)
    r = subprocess.run([HERD, "-c", str(fifo), "-t"], capture_output=True,
                       text=True, timeout=20)
    assert r.returncode == 78 and "not a regular file" in r.stderr, r
    r = run("-c", "/dev/zero", "-t")
    assert r.returncode == 78 and "not a regular file" in r.stderr, r
    r = run("-c", str(tmp_path), "-t")
    assert r.returncode == 78, r


def test_config_size_is_capped(tmp_path):
    conf = tmp_path / "big.conf"
    conf.write_text("# padding\n" * (120 * 1024))  # 1.2 MiB of comments
    r = run("-c", str(conf), "-t")
    assert r.returncode == 78 and "larger than" in r.stderr, r
