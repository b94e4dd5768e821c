# SPDX-License-Identifier: BSD-2-Clause
"""Drain control: `herd ctl drain`/`undrain` change status while every
request is still served; shutdown-delay keeps serving before a stop;
`herd ctl quit --wait` returns once the master has gone."""
import subprocess
import time

from conftest import HERD, alive, http_get, wait_for
from zdt import ctl, status
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
