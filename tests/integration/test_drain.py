# SPDX-License-Identifier: BSD-2-Clause
"""Drain control: `herd ctl drain`/`undrain` change status while every
request is still served; shutdown-delay keeps serving before a stop;
`herd ctl quit --wait` returns once the master has gone."""
import signal
import urllib.error
import urllib.request

from conftest import SLOW, alive, http_get, wait_for
from zdt import Load, ctl, status, upgrade
from test_reload import start


def test_drain_undrain_keeps_serving(herd, tmp_path):
    h, conf, port = start(herd, tmp_path)
    assert status(conf)["master"]["draining"] is False
    r = ctl(conf, "drain")
    assert r.returncode == 0 and "draining" in r.stdout
    assert status(conf)["master"]["draining"] is True
    assert " 200 " in http_get(port).split("\r\n")[0]
    r = ctl(conf, "undrain")
    assert r.returncode == 0 and "drain lifted" in r.stdout
    assert status(conf)["master"]["draining"] is False


def test_shutdown_delay_serves_then_stops(herd, tmp_path):
    h, conf, port = start(herd, tmp_path, extra="shutdown-delay = 2s\n")
    h.proc.send_signal(15)
    wait_for(lambda: status(conf)["master"]["draining"], 5, "draining")
    assert " 200 " in http_get(port).split("\r\n")[0]
    assert status(conf)["master"]["state"] == "running"
    wait_for(lambda: not alive(h.pid), 20, "master gone after delay")


def test_quit_wait_returns_after_exit(herd, tmp_path):
    h, conf, port = start(herd, tmp_path)
    r = ctl(conf, "quit", "--wait")
    assert r.returncode == 0
    assert not alive(h.pid)


def health(h):
    """The port of h's health listener, from its log."""
    m = h.wait_log(r"status process listens on 127\.0\.0\.1:(\d+) "
                   r"\(herd-health")
    return int(m[-1])


def readyz(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz",
                                    timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_shutdown_delay_under_load_loses_nothing(herd, tmp_path):
    """TERM with shutdown-delay: /readyz says 503 at once while every
    request, keep-alive or new, is still answered; a second TERM ends the
    delay and the stop begins then."""
    h, conf, port = start(herd, tmp_path, extra="shutdown-delay = 60s\n"
                          "health-listen = 127.0.0.1:0\n")
    hport = health(h)
    wait_for(lambda: readyz(hport)[0] == 200, 5, "readyz 200")
    with Load(port) as load:
        wait_for(lambda: load.ok > 50, 10, "traffic")
        h.proc.send_signal(signal.SIGTERM)
        code, body = wait_for(lambda: (lambda r: r[0] == 503 and r)(
            readyz(hport)), 5, "readyz 503")
        assert "draining" in body
        before = load.ok
        wait_for(lambda: load.ok > before + 200, 20, "traffic in the delay")
        assert readyz(hport)[0] == 503
    assert load.failures == [], load.failures[:5]
    assert "shutdown-delay over" not in h.log()
    assert alive(h.pid) and status(conf)["master"]["state"] == "running"
    # The second TERM: no more waiting (60 s would outlast the test).
    h.proc.send_signal(signal.SIGTERM)
    h.wait_log(r"master: TERM during shutdown-delay: stopping now")
    assert h.proc.wait(timeout=20 * SLOW) == 0


def test_quit_during_delay_stops_gracefully(herd, tmp_path):
    """QUIT then QUIT: the graceful stop asked for begins at once; QUIT
    then TERM: the faster stop wins."""
    h, conf, port = start(herd, tmp_path, extra="shutdown-delay = 60s\n")
    h.proc.send_signal(signal.SIGQUIT)
    h.wait_log(r"draining for shutdown-delay \(60\.0 s\) while serving, "
               r"then a graceful stop")
    h.proc.send_signal(signal.SIGQUIT)
    h.wait_log(r"master: QUIT during shutdown-delay: stopping now")
    h.wait_log(r"master: QUIT: graceful stop")
    assert h.proc.wait(timeout=20 * SLOW) == 0

    h, conf, port = start(herd, tmp_path, extra="shutdown-delay = 60s\n")
    h.proc.send_signal(signal.SIGQUIT)
    h.wait_log(r"then a graceful stop")
    h.proc.send_signal(signal.SIGTERM)
    h.wait_log(r"master: TERM during shutdown-delay: stopping now")
    h.wait_log(r"master: TERM: fast stop")
    assert h.proc.wait(timeout=20 * SLOW) == 0


def test_drain_survives_upgrade_and_reload(herd, tmp_path):
    h, conf, port = start(herd, tmp_path,
                          extra="health-listen = 127.0.0.1:0\n")
    hport = health(h)
    assert ctl(conf, "drain").returncode == 0
    wait_for(lambda: readyz(hport)[0] == 503, 5, "readyz 503")
    old = h.pid
    upgrade(h, conf)
    assert h.pid != old
    st = status(conf)["master"]
    assert st["pid"] == h.pid and st["draining"] is True
    # The new master's status process: still not ready for balancers.
    code, body = readyz(hport)
    assert code == 503 and body.startswith("not ready: draining"), body
    r = ctl(conf, "reload")
    assert r.returncode == 0, r
    assert status(conf)["master"]["draining"] is True
    assert readyz(hport)[0] == 503
    assert " 200 " in http_get(port).split("\r\n")[0]
    assert ctl(conf, "undrain").returncode == 0
    wait_for(lambda: readyz(hport)[0] == 200, 5, "readyz 200 again")
