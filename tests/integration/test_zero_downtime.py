"""Zero-drop, proven: under constant load (keep-alive and new
connections), 20 reloads, 5 upgrades, 1 failed upgrade (a broken binary)
and 1 failed reload (a bad config), and not one request fails."""
import os
import re
import time

from conftest import alive, wait_for
from test_upgrade import launch
from zdt import Load, ctl


def test_zero_failed_requests(herd, tmp_path):
    h, exe, conf, port = launch(herd, tmp_path, expect_errors=[
        r"upgrade failed", r"reload failed"])
    with Load(port) as load:
        wait_for(lambda: load.ok > 50, 10, "load running")
        for i in range(20):
            r = ctl(conf, "reload")
            assert r.returncode == 0, r
        for i in range(5):
            old = h.pid
            r = ctl(conf, "upgrade")
            assert r.returncode == 0, r
            h.pid = int(re.search(r"new master pid (\d+)",
                                  r.stdout).group(1))
            wait_for(lambda: not alive(old), 20, "old master gone")
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

