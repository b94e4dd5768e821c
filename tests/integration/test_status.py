# SPDX-License-Identifier: BSD-2-Clause
"""The status process: metrics, status JSON, health and agent-check."""
import os
import re
import socket
import urllib.request

from conftest import wait_for, http_get


def status_port(h, name):
    m = wait_for(lambda: re.search(
        r"status process listens on (127\.0\.0\.\d):(\d+) \(" + name, h.log()),
        what="status listener in the log")
    return m.group(1), int(m.group(2))


def get(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}",
                                    timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_metrics_health_agent(herd):
    h = herd(["--app", "hello", "-l", "127.0.0.1:0", "-w", "2",
              "--metrics-listen", "127.0.0.1:0",
              "--agent-listen", "127.0.0.2:0"])
    _, mport = status_port(h, "herd-metrics")
    ahost, aport = status_port(h, "herd-agent")
    wait_for(lambda: get(mport, "/readyz")[0] == 200, what="readyz 200")
    port = h.port()
    for _ in range(5):
        http_get(port, "/")
    from prometheus_client.parser import text_string_to_metric_families
    fams = {f.name: f for f in text_string_to_metric_families(
        get(mport, "/metrics")[1])}
    assert fams["herd_workers_ready"].samples[0].value == 2
    total = sum(s.value for s in fams["herd_worker_requests"].samples
                if s.name == "herd_worker_requests_total")
    assert total >= 5
    assert get(mport, "/livez")[0] == 200
    code, body = get(mport, "/status.json")
    assert code == 200 and '"workers":[{' in body
    s = socket.create_connection((ahost, aport))
    assert s.recv(100) == b"ready up 100%\n"
    s = socket.create_connection(("127.0.0.1", mport))
    s.sendall(b"GARBAGE\r\n\r\n")
    assert s.recv(100).startswith(b"HTTP/1.1 400")


def test_status_page_in_chromium(herd, tmp_path):
    """The page, loaded in headless Chromium, shows one row per worker."""
    import shutil
    import subprocess
    import pytest
    if shutil.which("chromium") is None:
        pytest.skip("chromium not installed (scripts/install-deps.sh)")
    h = herd(["--app", "hello", "-l", "127.0.0.1:0", "-w", "2",
              "--metrics-listen", "127.0.0.1:0"])
    _, mport = status_port(h, "herd-metrics")
    wait_for(lambda: get(mport, "/readyz")[0] == 200, what="readyz 200")
    code, body = get(mport, "/")
    assert code == 200 and "<table" in body
    url = f"http://127.0.0.1:{mport}/"
    base = ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
            "--virtual-time-budget=3000"]
    shot = str(tmp_path / "status.png")
    subprocess.run(base + ["--window-size=1200,800", f"--screenshot={shot}",
                           url], capture_output=True, timeout=60)
    print(f"status page screenshot: {shot}")
    dom = subprocess.run(base + ["--dump-dom", url], capture_output=True,
                         text=True, timeout=60).stdout
    assert dom.count('class="worker"') == 2, dom
    assert os.path.getsize(shot) > 0


def parse(text):
    from prometheus_client.parser import text_string_to_metric_families
    return list(text_string_to_metric_families(text))


def value(fams, name, **labels):
    found = [s.value for f in fams for s in f.samples
             if s.name == name and all(s.labels.get(k) == v
                                       for k, v in labels.items())]
    return sum(found) if found else None


def test_metrics_count_what_happened(herd, tmp_path):
    """Parsed by prometheus_client: the requests sent, a worker killed, a
    reload done and one refused, an upgrade rolled back, the build; and
    the names follow Prometheus' conventions."""
    import subprocess
    from conftest import HERD, alive
    from zdt import ctl
    conf = tmp_path / "herd.conf"
    base = ("listen = 127.0.0.1:0\napp = hello\nworkers = 2\n"
            "metrics-listen = 127.0.0.1:0\n"
            "upgrade-exec = /bin/false\n"
            f"pid-file = {tmp_path / 'herd.pid'}\n")
    conf.write_text(base)
    h = herd(["-c", str(conf)], expect_errors=[
        r"reload failed", r"upgrade failed", r"new master .* exited"])
    _, mport = status_port(h, "herd-metrics")
    wait_for(lambda: get(mport, "/readyz")[0] == 200, what="readyz 200")

    def scrape():
        return parse(get(mport, "/metrics")[1])

    fams = scrape()
    assert value(fams, "herd_requests_total") == 0
    port = h.port()
    for _ in range(7):
        assert "hello, world" in http_get(port, "/")
    wait_for(lambda: value(scrape(), "herd_requests_total") == 7,
             what="7 requests counted")
    fams = scrape()
    assert value(fams, "herd_worker_requests_total") == 7
    workers = {int(s.labels["pid"]) for f in fams for s in f.samples
               if s.name == "herd_worker_requests_total"}
    assert workers == {p for p in h.workers()
                       if open(f"/proc/{p}/comm").read().strip()
                       != "herd-status"}
    assert {s.labels["generation"] for f in fams for s in f.samples
            if s.name == "herd_worker_requests_total"} == {"1"}
    version = subprocess.run([HERD, "--version"], capture_output=True,
                             text=True).stdout.split()[1]
    assert value(fams, "herd_build_info", version=version) == 1
    assert value(fams, "herd_up") == 1
    assert value(fams, "herd_workers_wanted") == 2
    assert value(fams, "herd_listeners") == 1
    assert value(fams, "herd_generation") == 1

    # A worker killed: one restart, and its requests stay in the total.
    victim = min(workers)
    os.kill(victim, 9)
    wait_for(lambda: value(scrape(), "herd_worker_restarts_total") == 1
             and value(scrape(), "herd_workers_ready") == 2,
             what="the restart counted")
    assert value(scrape(), "herd_requests_total") == 7

    # A reload that works, and one refused (a bad config).
    assert ctl(conf, "reload").returncode == 0
    conf.write_text(base + "workres = 3\n")
    assert ctl(conf, "reload").returncode != 0
    conf.write_text(base)
    # An upgrade that fails: /bin/false is no herd.
    assert ctl(conf, "upgrade").returncode != 0
    wait_for(lambda: value(scrape(), "herd_upgrades_total",
                           outcome="rolled_back") == 1,
             what="the failed upgrade counted")
    fams = scrape()
    assert value(fams, "herd_reloads_total", outcome="ok") == 1
    assert value(fams, "herd_reloads_total", outcome="rolled_back") == 1
    assert value(fams, "herd_upgrades_total", outcome="ok") == 0
    assert value(fams, "herd_generation") == 2
    assert value(fams, "herd_last_reload_timestamp_seconds") > 0
    assert alive(h.pid)

    # Conventions, from the text itself.
    text = get(mport, "/metrics")[1]
    types = re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M)
    names = [n for n, _ in types]
    assert len(names) == len(set(names)), "a family declared twice"
    for name, kind in types:
        assert re.fullmatch(r"herd_[a-z][a-z0-9_]*", name), name
        assert kind in ("counter", "gauge"), (name, kind)
        assert (kind == "counter") == name.endswith("_total"), (name, kind)
        assert f"# HELP {name} " in text
        assert not re.search(r"_(ms|milliseconds|kb|mb)(_|$)", name), name
    for line in text.splitlines():
        if line and not line.startswith("#"):
            assert line.split("{")[0].split(" ")[0] in names, line
