# SPDX-License-Identifier: BSD-2-Clause
"""Zero-drop, proven: under constant load (keep-alive and new
connections), 20 reloads, 5 upgrades, 1 failed upgrade (a broken binary)
and 1 failed reload (a bad config), and not one request fails."""
import subprocess
import threading
import re
import time

from conftest import wait_for
from test_upgrade import launch
from zdt import Load, ctl, upgrade


def test_zero_failed_requests(herd, tmp_path):
    h, exe, conf, port = launch(herd, tmp_path, expect_errors=[
        r"upgrade failed", r"reload failed"])
    with Load(port) as load:
        wait_for(lambda: load.ok > 50, 10, "load running")
        for i in range(20):
            r = ctl(conf, "reload")
            assert r.returncode == 0, r
        for i in range(5):
            upgrade(h, conf)
        # A broken binary: refused, the running master keeps serving.
        good = exe.read_bytes()
        exe.unlink()
        exe.write_text("#!/bin/sh\nexit 1\n")
        exe.chmod(0o755)
        assert ctl(conf, "upgrade").returncode == 1
        exe.unlink()
        exe.write_bytes(good)
        exe.chmod(0o755)
        # A bad config: refused, the old one stays in force.
        text = conf.read_text()
        conf.write_text(text.replace("workers = 2", "workers = lots"))
        r = ctl(tmp_path / "herd.pid", "reload")
        assert r.returncode == 1 and "workers = lots" not in r.stderr
        assert "workers: invalid value" in r.stderr, r.stderr
        conf.write_text(text)
        served = load.ok
        wait_for(lambda: load.ok > served + 50, 10, "still serving")
    assert load.failures == [], load.failures[:10]
    assert load.ok > 500, load.ok



def test_in_process_drains_lose_nothing_under_wrk(herd, tmp_path):
    """herd's own workers under wrk -c16 keep-alive load, across 20 reloads
    and 5 upgrades: wrk sees no socket error and no non-2xx answer. Each
    draining worker answers the next request on every open connection with
    `Connection: close` (wrk then reconnects) instead of closing under a
    request that is already on its way, which is what costs nginx a
    request per connection at each reload."""
    conf = tmp_path / "herd.conf"
    conf.write_text(f"listen = 127.0.0.1:0\nworkers = 2\napp = hello\n"
                    f"pid-file = {tmp_path / 'herd.pid'}\n")
    h = herd(["-c", str(conf)]).started(2)
    port = h.port()  # kept by reloads and upgrades that still name :0
    # wrk runs back to back in 2 s slices (it has no "until told" mode), so
    # every reload and upgrade falls inside one.
    outs, done = [], threading.Event()

    def load():
        while not done.is_set():
            outs.append(subprocess.run(
                ["wrk", "-t1", "-c16", "-d2s", f"http://127.0.0.1:{port}/"],
                capture_output=True, text=True, timeout=60).stdout)

    t = threading.Thread(target=load)
    t.start()
    try:
        time.sleep(1)
        for _ in range(20):
            r = ctl(conf, "reload")
            assert r.returncode == 0, r
        for _ in range(5):
            upgrade(h, conf)
        time.sleep(1)
    finally:
        done.set()
        t.join()
    out = "".join(outs)
    assert "requests in" in out, out
    assert sum(int(n) for n in re.findall(r"(\d+) requests in", out)) > 1000
    assert "Socket errors" not in out, out
    assert "Non-2xx" not in out, out
