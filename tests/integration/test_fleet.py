# SPDX-License-Identifier: BSD-2-Clause
"""A fleet: three herd hosts behind a real haproxy, in a network namespace
of the test's own (tests/integration/fleet.py), rolled out host by host by
contrib/rolling-deploy.sh under load with contrib/haproxy/haproxy.cfg.
Nothing may fail during a deploy; the costs of the failure cases (a host
killed outright, a host whose upgrade fails) are printed, not hidden."""
import os
import shutil
import subprocess
import sys

import pytest

from conftest import BUILD, SLOW

FLEET = os.path.join(os.path.dirname(__file__), "fleet.py")


def namespaces_unavailable():
    for tool in ("unshare", "ip", "haproxy", "wrk"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (scripts/install-deps.sh)"
    argv = ["unshare", "-n"] if os.geteuid() == 0 else ["unshare", "-rn"]
    r = subprocess.run(argv + ["ip", "link", "set", "lo", "up"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return f"cannot create a network namespace: {r.stderr.strip()}"
    return None


SKIP = namespaces_unavailable()
pytestmark = pytest.mark.skipif(SKIP is not None, reason=SKIP or "")


def run(scenario, tmp_path, capsys):
    env = dict(os.environ, HERD_BUILD=os.path.relpath(
        BUILD, os.path.join(os.path.dirname(__file__), "..", "..")))
    r = subprocess.run([sys.executable, FLEET, scenario, str(tmp_path)],
                       capture_output=True, text=True, env=env,
                       timeout=240 * SLOW)
    # The costs go to the test output whatever the outcome.
    with capsys.disabled():
        print(f"\n--- fleet {scenario} ---\n{r.stdout}", end="")
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_fleet_agent_words_in_haproxy(tmp_path, capsys):
    """drain -> DRAIN, ready up -> UP, down then drain -> DRAIN,
    shutdown-delay -> DRAIN, stopped -> DOWN, as haproxy itself says."""
    out = run("agent", tmp_path, capsys)
    assert "stopped -> haproxy DOWN" in out


def test_fleet_rolling_deploy_hello_and_failures(tmp_path, capsys):
    out = run("hello", tmp_path, capsys)
    assert "cost of the SIGKILL" in out


def test_fleet_rolling_deploy_exec_python(tmp_path, capsys):
    out = run("exec", tmp_path, capsys)
    assert "exec: upgrade and reload rounds under load" in out
