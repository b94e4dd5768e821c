# SPDX-License-Identifier: BSD-2-Clause
"""Rolling reload (HUP, `herd ctl reload`): a new generation replaces the
old one without ever dropping below the configured ready workers; a bad
config or a generation that cannot start leaves the old one serving and
says why; sd_notify readiness, boot-timeout and the watchdog."""
import re
import signal

from conftest import environ, fds, http_get, wait_for
from zdt import ctl, status, write_config


def start(herd, tmp_path, workers=2, extra="", **kw):
    conf = tmp_path / "herd.conf"
    # Port 0: a reload or an upgrade that still names `127.0.0.1:0` keeps
    # the socket it has, so the port learned here stays.
    write_config(conf, 0, workers, extra)
    h = herd(["-c", str(conf)], **kw)
    h.wait_log(r"master: ready")
    h.started(workers)
    return h, conf, h.port()


def ready_count_never_drops(log, n):
    """Replays the log: from the first `master: ready` on, at least n
    workers are ready at every moment."""
    ready, armed = set(), False
    for line in log.splitlines():
        m = re.search(r"worker \d+ \(pid (\d+), gen \d+\): ready", line)
        if m:
            ready.add(m.group(1))
        m = re.search(r"worker \d+ \(pid (\d+), gen \d+\): (stopping|"
                      r"killed|exited)", line)
        if m:
            ready.discard(m.group(1))
            if armed and len(ready) < n:
                return f"{len(ready)} ready at: {line}"
        if "master: ready" in line:
            armed = True
    return None


def test_hup_rolls_the_workers(herd, tmp_path):
    h, conf, port = start(herd, tmp_path, workers=3)
    old = set(h.workers())
    h.signal(signal.SIGHUP)
    h.wait_log(r"master: reload done: generation 2 ready \(3 workers\)")
    wait_for(lambda: not old & set(h.workers()), 10, "old workers gone")
    for pid in h.workers():
        assert environ(pid)["HERD_GENERATION"] == "2"
    assert ready_count_never_drops(h.log(), 3) is None
    assert http_get(port).endswith("gen 2\n")


def test_ctl_reload_reports_success(herd, tmp_path):
    h, conf, port = start(herd, tmp_path)
    r = ctl(conf, "reload")
    assert r.returncode == 0, r
    assert "generation 2 ready" in r.stdout
    st = status(conf)
    assert st["last_reload"]["ok"] is True
    assert st["master"]["generation"] == 2
    assert all(w["generation"] == 2 for w in st["workers"]
               if w["state"] == "ready")


def test_bad_config_keeps_everything(herd, tmp_path):
    h, conf, port = start(herd, tmp_path,
                          expect_errors=[r"reload failed"])
    before = set(h.workers())
    conf.write_text(conf.read_text() + "workers = banana\n")
    r = ctl(tmp_path / "herd.pid", "reload")
    assert r.returncode == 1, r
    assert f"{conf}:8: workers:" in r.stderr, r.stderr
    h.wait_log(rf"reload failed: {re.escape(str(conf))}:8: workers:")
    assert set(h.workers()) == before
    assert "gen 1" in http_get(port)
    st = status(tmp_path / "herd.pid")
    assert st["last_reload"]["ok"] is False


def test_generation_that_cannot_start_is_rolled_back(herd, tmp_path):
    h, conf, port = start(herd, tmp_path, extra="env = KEEPALIVE_CRASH=0\n",
                          expect_errors=[r"reload failed"])
    before = set(h.workers())
    conf.write_text(conf.read_text().replace("KEEPALIVE_CRASH=0",
                                             "KEEPALIVE_CRASH=1"))
    r = ctl(conf, "reload")
    assert r.returncode == 1, r
    assert "rolled back to generation 1" in r.stderr
    assert "exited with status 1" in r.stderr
    assert before <= set(h.workers())
    assert "gen 1" in http_get(port)
    assert status(conf)["last_reload"]["ok"] is False
    # A good config afterwards goes through.
    conf.write_text(conf.read_text().replace("KEEPALIVE_CRASH=1",
                                             "KEEPALIVE_CRASH=0"))
    assert ctl(conf, "reload").returncode == 0


def test_boot_timeout_fails_the_reload(herd, tmp_path):
    h, conf, port = start(herd, tmp_path, extra="env = X=1\n",
                          expect_errors=[r"reload failed"])
    conf.write_text(conf.read_text().replace(
        "env = X=1", "env = KEEPALIVE_NO_READY=1").replace(
        "boot-timeout = 10s", "boot-timeout = 300ms"))
    r = ctl(conf, "reload")
    assert r.returncode == 1, r
    assert "boot-timeout" in r.stderr
    h.wait_log(r"not ready after [\d.]+ s \(boot-timeout\); killing it")
    assert "gen 1" in http_get(port)


def test_watchdog_kills_a_silent_worker(herd, tmp_path):
    h, conf, port = start(herd, tmp_path, workers=1,
                          extra="timeout = 300ms\nenv = KEEPALIVE_HANG_MS=600\n")
    pid = h.workers()[0]
    h.wait_log(rf"worker 0 \(pid {pid}, gen 1\): no WATCHDOG=1 for [\d.]+ s "
               r"\(timeout 0.30 s\); kernel says: wchan \S+, syscall",
               timeout=10)
    h.wait_log(rf"worker 0 \(pid {pid}, gen 1\): killed by signal KILL")
    wait_for(lambda: h.workers() and h.workers()[0] != pid, 5, "a new one")


def test_listeners_added_and_retired(herd, tmp_path):
    h, conf, port = start(herd, tmp_path, workers=1)
    # An IPv6 listener beside the IPv4 one (two `127.0.0.1:0` entries are
    # covered by test_two_port_zero_listeners_stay_two_across_a_reload).
    conf.write_text(conf.read_text() + "listen = [::1]:0,name=admin\n")
    assert ctl(conf, "reload").returncode == 0
    port2 = h.port("admin")
    assert "gen 2" in http_get(port2, host="::1")
    # Once the old generation has drained away:
    wait_for(lambda: all(environ(p).get("HERD_GENERATION") == "2"
                         for p in h.workers()), 10, "generation 1 gone")
    for pid in h.workers():
        got = fds(pid)
        assert environ(pid)["LISTEN_FDS"] == "2"
        assert got[3].startswith("socket:") and got[4].startswith("socket:")
    # Drop the first one: retired once no worker uses it any more.
    conf.write_text(conf.read_text().replace(
        "listen = 127.0.0.1:0,name=http\n", ""))
    assert ctl(conf, "reload").returncode == 0
    h.wait_log(r"listener 127.0.0.1:0,name=http retired")
    wait_for(lambda: refused(port), 5, "old port closed")
    assert "gen 3" in http_get(port2, host="::1")
    h.baseline_fds = h.own_fds()


def refused(port):
    try:
        http_get(port, timeout=1)
        return False
    except ConnectionRefusedError:
        return True


def test_two_port_zero_listeners_stay_two_across_a_reload(herd, tmp_path):
    """Each running listener is reused by one configured listener only:
    two `127.0.0.1:0` entries are two sockets before and after a reload
    (by name first), not one socket shared and the other closed."""
    conf = tmp_path / "herd.conf"
    write_config(conf, 0, 1, "listen = 127.0.0.1:0,name=b\n")
    conf.write_text(conf.read_text().replace(",name=http", ",name=a"))
    h = herd(["-c", str(conf)])
    h.wait_log(r"master: ready")
    h.started(1)
    a, b = h.port("a"), h.port("b")
    assert a != b
    assert ctl(conf, "reload").returncode == 0
    assert "retired" not in h.log()
    ports = {l["name"]: l["listen"] for l in status(conf)["listeners"]}
    assert ports == {"a": f"127.0.0.1:{a}", "b": f"127.0.0.1:{b}"}, ports
    wait_for(lambda: all(environ(p).get("HERD_GENERATION") == "2"
                         for p in h.workers()), 10, "generation 2")
    assert "gen 2" in http_get(a) and "gen 2" in http_get(b)
