# SPDX-License-Identifier: BSD-2-Clause
"""herd's own log: log-level filters, log-format json is one JSON object a
line, the journal gets sd-daemon priorities and no timestamps, a worker's
stdout is logged at info and its stderr at warn, and every line carries
the pid of the master that wrote it (old and new differ in an upgrade)."""
import json
import os
import re
import subprocess

from conftest import SLOW
from test_reload import start
from zdt import upgrade

# The command line is logged too: wait for "): err-line", not "err-line".
TALK = ["/bin/sh", "-c",
        "echo out-line; echo err-line >&2; exec /bin/sleep 1000"]


def test_worker_stdout_at_info_stderr_at_warn(herd):
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1"], TALK).started(1)
    h.wait_log(r"\): err-line")
    h.wait_log(r"\): out-line")
    log = h.log()
    assert re.search(rf"Z info \[{h.pid}\] worker 0 \(pid \d+\): out-line$",
                     log, re.M), log
    assert re.search(rf"Z warn \[{h.pid}\] worker 0 \(pid \d+\): err-line$",
                     log, re.M), log
    # Every line names its writer: here, always this master.
    for line in log.splitlines():
        assert re.match(rf"\S+Z (debug|info|warn|error) \[{h.pid}\] ",
                        line), line


def test_log_level_filters(herd):
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1",
              "--log-level", "warn"], TALK)
    h.wait_log(r"\): err-line", timeout=10 * SLOW)
    log = h.log()
    assert "): out-line" not in log and " info " not in log, log
    r = subprocess.run([h.proc.args[0], "--log-level", "verbose", "-t"],
                       capture_output=True, text=True)
    assert r.returncode == 64
    assert "expected debug, info, warn or error" in r.stderr


def test_log_format_json(herd):
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1",
              "--log-format", "json"], TALK)
    h.wait_log(r'"message":"err-line"', timeout=10 * SLOW)
    h.wait_log(r'"message":"out-line"', timeout=10 * SLOW)
    h.wait_log(r'"message":"started"', timeout=10 * SLOW)
    lines = [json.loads(line) for line in h.log().splitlines()]
    for o in lines:
        assert set(o) == {"time", "level", "pid", "role", "worker",
                          "generation", "message", "fields"}, o
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:]{8}\.\d{3}Z", o["time"])
    master = [o for o in lines if o["role"] == "master"]
    assert master and all(o["pid"] == h.pid for o in master)
    assert any(o["message"].startswith("listening on") for o in master)
    [started] = [o for o in master if o["message"] == "started"]
    assert started["worker"] == 0 and started["generation"] == 1
    wpid = started["fields"]["worker_pid"]
    [err] = [o for o in lines if o["message"] == "err-line"]
    assert err["role"] == "worker" and err["level"] == "warn"
    assert err["worker"] == 0 and err["generation"] == 1
    assert err["pid"] == wpid
    assert err["fields"] == {"stream": "stderr", "master_pid": h.pid}
    [out] = [o for o in lines if o["message"] == "out-line"]
    assert out["level"] == "info" and out["fields"]["stream"] == "stdout"


def journal_popen(path, matching=True):
    """A Popen whose stderr is the file at path, with JOURNAL_STREAM naming
    it (as systemd names the journal's socket) or naming another file."""
    def popen(argv, env, stderr, **kw):
        f = open(path, "ab")
        st = os.fstat(f.fileno())
        env = dict(env)
        env["JOURNAL_STREAM"] = (f"{st.st_dev}:{st.st_ino}" if matching
                                 else f"{st.st_dev}:{st.st_ino + 1}")
        try:
            return subprocess.Popen(argv, env=env, stderr=f, **kw)
        finally:
            f.close()
    return popen


def test_journal_priorities(herd, tmp_path):
    # log=False: stderr, which is "the journal" here; the harness reads
    # herd.log, which is where that stderr goes.
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1"], TALK, log=False,
             popen=journal_popen(tmp_path / "herd.log"))
    h.wait_log(r"\): err-line", timeout=10 * SLOW)
    h.wait_log(r"\): out-line", timeout=10 * SLOW)
    log = h.log()
    assert re.search(rf"^<6>info \[{h.pid}\] master: ", log, re.M), log
    assert re.search(r"^<4>warn \[\d+\] worker 0 \(pid \d+\): err-line$",
                     log, re.M), log
    assert re.search(r"^<6>info \[\d+\] worker 0 \(pid \d+\): out-line$",
                     log, re.M), log
    for line in log.splitlines():
        assert re.match(r"<[3467]>(debug|info|warn|error) \[", line), line


def test_no_journal_when_stderr_is_elsewhere(herd, tmp_path):
    h = herd(["--listen", "127.0.0.1:0", "--workers", "1"], TALK, log=False,
             popen=journal_popen(tmp_path / "herd.log", matching=False))
    h.wait_log(r"\): err-line", timeout=10 * SLOW)
    assert not re.search(r"^<\d>", h.log(), re.M)
    assert re.search(r"Z warn \[\d+\] worker 0", h.log())


def test_old_and_new_master_are_told_apart(herd, tmp_path):
    h, conf, port = start(herd, tmp_path)
    old = h.pid
    upgrade(h, conf)
    log = h.log()
    assert re.search(rf"Z info \[{old}\] master: ", log)
    assert re.search(rf"Z info \[{h.pid}\] master: ", log)
    assert old != h.pid
