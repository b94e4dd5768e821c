# SPDX-License-Identifier: BSD-2-Clause
"""contrib/ against herd: the Kubernetes manifest's probes, ports and grace
period agree with the herd.conf in its ConfigMap; haproxy.cfg checks the
ports and path its host config (contrib/haproxy/herd.conf) serves; the
systemd instance units verify; the deploy script is valid shell (it runs
for real in test_fleet)."""
import os
import re
import shutil
import subprocess

import pytest

from conftest import HERD, ROOT

yaml = pytest.importorskip("yaml")
CONTRIB = os.path.join(ROOT, "contrib")


def dur(v):
    m = re.fullmatch(r"(\d+)(ms|s|m)?", v.strip())
    n = int(m.group(1))
    return {"ms": n / 1000, "s": n, "m": n * 60, None: n}[m.group(2)]


def test_kubernetes_matches_its_config():
    with open(os.path.join(CONTRIB, "kubernetes", "herd.yaml")) as f:
        docs = {d["kind"]: d for d in yaml.safe_load_all(f)}
    conf = dict(l.split(" = ", 1) for l in
                docs["ConfigMap"]["data"]["herd.conf"].splitlines() if l)
    pod = docs["Deployment"]["spec"]["template"]["spec"]
    c = pod["containers"][0]
    health = int(conf["health-listen"].rsplit(":", 1)[1])
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz",
                                              "port": health}
    assert c["livenessProbe"]["httpGet"] == {"path": "/livez",
                                             "port": health}
    ports = {p["containerPort"] for p in c["ports"]}
    assert int(conf["listen"].rsplit(":", 1)[1]) in ports
    assert pod["terminationGracePeriodSeconds"] > (
        dur(conf["graceful-timeout"]) + dur(conf["shutdown-delay"]))
    assert "quit" in c["lifecycle"]["preStop"]["exec"]["command"]


def test_deploy_script_is_valid_shell():
    subprocess.run(["sh", "-n", os.path.join(CONTRIB, "rolling-deploy.sh")],
                   check=True)


def test_deploy_script_stops_before_touching_anything(tmp_path):
    """A usage error exits 64; a stats socket that is not there stops the
    rollout at the first host with the reason, and that host is given its
    traffic back (undrain) — here through a stand-in for herd that records
    what it was asked."""
    script = os.path.join(CONTRIB, "rolling-deploy.sh")
    r = subprocess.run(["/bin/sh", script], capture_output=True, text=True)
    assert r.returncode == 64 and "usage:" in r.stderr
    calls = tmp_path / "calls"
    fake = tmp_path / "herd"
    fake.write_text(f'#!/bin/sh\necho "$*" >> {calls}\n')
    fake.chmod(0o755)
    r = subprocess.run(["/bin/sh", script, str(tmp_path / "no.sock"), "herd",
                        "host1=a.conf", "host2=b.conf"],
                       capture_output=True, text=True,
                       env=dict(os.environ, HERD=str(fake),
                                DEPLOY_TIMEOUT="1"))
    assert r.returncode == 1, r
    assert "host1: haproxy never reported DRAIN within 1s (now: (no stats " \
        "socket" in r.stderr, r.stderr
    assert "not touched: host2" in r.stderr, r.stderr
    assert calls.read_text() == "ctl -c a.conf drain\nctl -c a.conf undrain\n"


def herd_conf(path):
    with open(path) as f:
        return dict(l.split(" = ", 1) for l in f.read().splitlines()
                    if l and not l.startswith("#"))


def port(addr):
    return int(addr.split(",")[0].rsplit(":", 1)[1])


def test_haproxy_matches_the_host_config():
    """haproxy.cfg checks the ports and path contrib/haproxy/herd.conf
    serves: health on health-listen, the agent on agent-listen, traffic on
    listen."""
    with open(os.path.join(CONTRIB, "haproxy", "haproxy.cfg")) as f:
        cfg = f.read()
    conf = herd_conf(os.path.join(CONTRIB, "haproxy", "herd.conf"))
    ds = re.search(r"(?m)^\s*default-server (.*)$", cfg).group(1).split()
    assert int(ds[ds.index("port") + 1]) == port(conf["health-listen"])
    assert int(ds[ds.index("agent-port") + 1]) == port(conf["agent-listen"])
    assert "agent-check" in ds and "check" in ds
    assert re.search(r"http-check send meth GET uri /livez\b", cfg)
    servers = re.findall(r'(?m)^\s*server \S+ "\$\{[A-Z0-9_]+-[^}]*\}:(\d+)"',
                         cfg)
    assert len(servers) == 3
    assert {int(p) for p in servers} == {port(conf["listen"])}


@pytest.mark.skipif(shutil.which("haproxy") is None,
                    reason="haproxy is not installed")
def test_haproxy_cfg_is_valid(tmp_path):
    env = dict(os.environ, HAPROXY_STATS_SOCKET=str(tmp_path / "s.sock"))
    r = subprocess.run(["haproxy", "-c", "-f",
                        os.path.join(CONTRIB, "haproxy", "haproxy.cfg")],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stdout + r.stderr


def test_host_config_is_valid():
    r = subprocess.run([HERD, "-t", "-c",
                        os.path.join(CONTRIB, "haproxy", "herd.conf")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed")
def test_systemd_instance_units_verify(tmp_path):
    """herd@.socket/herd@.service instantiated for an instance: clean, the
    socket listens on the instance's address, and each instance has a
    runtime directory of its own."""
    names = ("herd@.service", "herd@.socket")
    for name in names:
        text = open(os.path.join(CONTRIB, "systemd", name)).read()
        (tmp_path / name).write_text(text.replace("/usr/local/bin/herd",
                                                  HERD))
    units = [str(tmp_path / "herd@8080.service"),
             str(tmp_path / "herd@8080.socket")]
    r = subprocess.run(["systemd-analyze", "verify", *units],
                       capture_output=True, text=True)
    problems = [l for l in r.stderr.splitlines() if "herd@" in l]
    assert r.returncode == 0 and not problems, r.stderr
    sock = (tmp_path / "herd@.socket").read_text()
    svc = (tmp_path / "herd@.service").read_text()
    assert re.search(r"(?m)^ListenStream=%i$", sock)
    assert re.search(r"(?m)^RuntimeDirectory=herd/%i$", svc)
    assert "--pid-file /run/herd/%i/herd.pid" in svc
    assert "-c /etc/herd/%i.conf" in svc
