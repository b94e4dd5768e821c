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


def test_respawn_and_upgrade(herd):
    """Killed, the status process is respawned and serves again."""
    import os
    import signal
    from conftest import children
    h = herd(["--app", "hello", "-l", "127.0.0.1:0", "-w", "1",
              "--metrics-listen", "127.0.0.1:0"])
    _, mport = status_port(h, "herd-metrics")
    wait_for(lambda: get(mport, "/readyz")[0] == 200, what="readyz 200")

    def status_child(master):
        for pid in children(master):
            try:
                with open(f"/proc/{pid}/comm") as f:
                    if f.read().strip() == "herd-status":
                        return pid
            except OSError:
                pass
        return None

    first = wait_for(lambda: status_child(h.pid), what="status child")
    os.kill(first, signal.SIGKILL)
    wait_for(lambda: status_child(h.pid) not in (None, first),
             what="a new status child")
    wait_for(lambda: get(mport, "/readyz")[0] == 200, what="readyz again")
    h.wait_log("status process .*respawn")


def test_runs_as_user_without_capabilities(herd):
    """With user set: the status process has no capabilities, seccomp on,
    and its snapshot and scoreboard are read-only."""
    import os
    import pwd
    from conftest import children
    if os.getuid() != 0:
        import pytest
        pytest.skip("needs root to change user")
    h = herd(["--app", "hello", "-l", "127.0.0.1:0", "-w", "1",
              "--user", "nobody", "--metrics-listen", "127.0.0.1:0"])
    _, mport = status_port(h, "herd-metrics")
    wait_for(lambda: get(mport, "/readyz")[0] == 200, what="readyz 200")

    def status_child():
        for pid in children(h.pid):
            try:
                with open(f"/proc/{pid}/comm") as f:
                    if f.read().strip() == "herd-status":
                        return pid
            except OSError:
                pass
        return None

    pid = wait_for(status_child, what="status child")
    with open(f"/proc/{pid}/status") as f:
        st = dict(line.split(":", 1) for line in f if ":" in line)
    assert st["CapEff"].strip() == "0000000000000000"
    assert st["Seccomp"].strip() == "2"
    assert int(st["Uid"].split()[0]) == pwd.getpwnam("nobody").pw_uid
    with open(f"/proc/{pid}/maps") as f:
        maps = f.read()
    assert "rw-s" not in maps  # no writable shared mapping left


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
