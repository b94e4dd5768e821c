# SPDX-License-Identifier: BSD-2-Clause
"""contrib/ against herd: the Kubernetes manifest's probes, ports and grace
period agree with the herd.conf in its ConfigMap; the deploy script is
valid shell."""
import os
import re
import subprocess

import pytest

from conftest import ROOT

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
