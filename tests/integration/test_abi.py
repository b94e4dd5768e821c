# SPDX-License-Identifier: BSD-2-Clause
"""libherd's ABI: a struct herd_app carries its ABI version and size first
(HERD_APP_INIT). herd refuses, with a message that says why, an app with no
version, another version, an impossible size or fields it does not know,
at start, on -t and on reload; it loads one built against the current
header, an older (smaller) one without reading past its end, and a newer
one whose new fields are unset. The apps: tests/apps/abiapp.c."""
import http.client
import os
import subprocess

import pytest

from conftest import HERD, SLOW
from zdt import ctl

REFUSED = {
    "none": "struct herd_app has no ABI version",
    "wrong": "struct herd_app has ABI version 99, this herd speaks 1",
    "short": "struct herd_app records a size of 8 bytes, not between",
    "lie": "struct herd_app records a size of 4000 bytes, not between",
    "newer": "struct herd_app sets fields this herd does not know",
}


def app(way):
    return os.path.join(os.path.dirname(HERD), "tests", f"abi-{way}.so")


def get(port, path="/"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10 * SLOW)
    c.request("GET", path)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body


@pytest.mark.parametrize("way", sorted(REFUSED))
def test_refused_on_check(way):
    r = subprocess.run([HERD, "-t", "--app", app(way)], capture_output=True,
                       text=True, timeout=30 * SLOW)
    assert r.returncode == 78, r
    assert f"abi-{way}.so:herd_app: {REFUSED[way]}" in r.stderr, r.stderr


@pytest.mark.parametrize("preload", [False, True])
@pytest.mark.parametrize("way", ["wrong", "none"])
def test_refused_at_start(way, preload):
    args = [HERD, "--listen", "127.0.0.1:0", "--app", app(way)]
    if preload:
        args.append("--preload")
    r = subprocess.run(args, capture_output=True, text=True,
                       timeout=30 * SLOW)
    assert r.returncode != 0, r
    assert REFUSED[way] in r.stderr, r.stderr


def test_refused_on_reload(herd, tmp_path):
    conf = tmp_path / "herd.conf"
    base = (f"listen = 127.0.0.1:0\nworkers = 1\n"
            f"pid-file = {tmp_path / 'herd.pid'}\n")
    conf.write_text(base + f"app = {app('current')}\n")
    h = herd(["-c", str(conf)], expect_errors=[r"reload failed"]).started(1)
    port = h.port()
    before = set(h.workers())
    conf.write_text(base + f"app = {app('wrong')}\n")
    r = ctl(tmp_path / "herd.pid", "reload")
    assert r.returncode == 1, r
    assert REFUSED["wrong"] in r.stderr, r.stderr
    h.wait_log(r"reload failed: .*" + REFUSED["wrong"])
    assert set(h.workers()) == before
    assert get(port) == (200, b"abi ok\n")


@pytest.mark.parametrize("preload", [False, True])
@pytest.mark.parametrize("way", ["current", "older", "newer_unset"])
def test_loads(herd, way, preload):
    """older: its struct ends after handle; the preload and worker_init
    that follow in memory fail if called, so serving proves herd read no
    further than the size the app recorded."""
    args = ["--listen", "127.0.0.1:0", "--workers", "1", "--app", app(way)]
    if preload:
        args.append("--preload")
    h = herd(args).started(1)
    assert get(h.port()) == (200, b"abi ok\n")
