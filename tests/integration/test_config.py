"""Command line and config file: bad input is refused with file:line:key
and the right exit status; nothing crashes and nothing is silently
defaulted."""
import re
import subprocess

import pytest

from conftest import HERD


def run(*args, cwd=None):
    return subprocess.run([HERD, *args], capture_output=True, text=True,
                          cwd=cwd, timeout=30)


@pytest.mark.parametrize("line,reason", [
    ("wrokers = 4", "unknown"),
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
