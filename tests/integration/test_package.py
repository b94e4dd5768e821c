# SPDX-License-Identifier: BSD-2-Clause
"""Installing herd: `make install` / `make uninstall` into a scratch
DESTDIR, and the Debian package of `make deb` built, installed with dpkg on
this machine, run from /usr/bin, and purged again."""
import filecmp
import os
import re
import shutil
import subprocess

import pytest

from conftest import BUILD, ROOT


def herd_version():
    with open(os.path.join(ROOT, "include", "herd.h")) as f:
        return re.search(r'#define HERD_VERSION "([^"]+)"', f.read()).group(1)


def make(*args, **kw):
    # The variant whose build the tests use: its herd is already built.
    variant = os.path.basename(BUILD.rstrip("/"))
    return subprocess.run(["make", "-s", "-C", ROOT, f"VARIANT={variant}",
                           *args], capture_output=True, text=True, **kw)


def test_install_and_uninstall(tmp_path):
    dest = tmp_path / "root"
    out = make("install", f"DESTDIR={dest}", "PREFIX=/usr")
    assert out.returncode == 0, out.stdout + out.stderr
    want = ["usr/bin/herd", "usr/include/herd.h", "usr/lib/libherd.a",
            "usr/lib/libherd.so.0", "usr/lib/libherd.so",
            "usr/lib/pkgconfig/herd.pc", "usr/share/man/man8/herd.8",
            "usr/share/man/man5/herd.conf.5", "usr/share/man/man3/libherd.3",
            "usr/share/bash-completion/completions/herd",
            "usr/lib/systemd/system/herd.service",
            "usr/lib/systemd/system/herd.socket",
            # PREFIX=/usr: the config goes to /etc, as distributions do.
            "etc/herd/herd.conf"]
    for path in want:
        assert os.path.lexists(dest / path), path
    unit = (dest / "usr/lib/systemd/system/herd.service").read_text()
    assert "ExecStart=/usr/bin/herd -c /etc/herd/herd.conf" in unit
    assert "/usr/local" not in unit
    conf = dest / "etc/herd/herd.conf"
    assert filecmp.cmp(conf, os.path.join(ROOT, "contrib", "herd.conf"),
                       shallow=False)

    # An existing config is never overwritten...
    conf.write_text(conf.read_text() + "workers = 2\n")
    out = make("install", f"DESTDIR={dest}", "PREFIX=/usr")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "keeping the existing" in out.stdout
    assert conf.read_text().endswith("workers = 2\n")
    # ... nor removed once changed; everything else goes.
    out = make("uninstall", f"DESTDIR={dest}", "PREFIX=/usr")
    assert out.returncode == 0, out.stdout + out.stderr
    left = sorted(str(p.relative_to(dest)) for p in dest.rglob("*")
                  if p.is_file() or p.is_symlink())
    assert left == ["etc/herd/herd.conf"]
    assert "changed since install" in out.stdout

    # An unchanged config is removed with the rest.
    shutil.rmtree(dest)
    assert make("install", f"DESTDIR={dest}").returncode == 0
    assert (dest / "usr/local/etc/herd/herd.conf").exists()
    unit = (dest / "usr/local/lib/systemd/system/herd.service").read_text()
    assert "ExecStart=/usr/local/bin/herd -c /usr/local/etc/herd/herd.conf" \
        in unit
    # The instance pair (one herd per listening address) is installed too.
    unit = (dest / "usr/local/lib/systemd/system/herd@.service").read_text()
    assert "ExecStart=/usr/local/bin/herd -c /usr/local/etc/herd/%i.conf" \
        in unit
    assert (dest / "usr/local/lib/systemd/system/herd@.socket").exists()
    assert make("uninstall", f"DESTDIR={dest}").returncode == 0
    assert [p for p in dest.rglob("*") if not p.is_dir()] == []


def run(*argv, check=True):
    out = subprocess.run(list(argv), capture_output=True, text=True)
    if check:
        assert out.returncode == 0, f"{argv}: {out.stdout}{out.stderr}"
    return out


def installed(package):
    out = run("dpkg-query", "-W", "-f=${Status}", package, check=False)
    return "ok installed" in out.stdout or "config-files" in out.stdout


def test_debian_package(tmp_path):
    for tool in ("dpkg-buildpackage", "dh", "dpkg"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (scripts/install-deps.sh "
                        "installs dpkg-dev and debhelper)")
    if os.geteuid() != 0:
        pytest.skip("installing a package with dpkg needs root")
    # The test must leave the machine as it found it: not with a herd
    # package or a herd user that were there before it.
    if installed("herd"):
        pytest.skip("a herd package is installed on this machine already")
    if run("getent", "passwd", "herd", check=False).returncode == 0:
        pytest.skip("a herd user exists already; purging would remove it")

    def tree():
        return run("git", "-C", ROOT, "status", "--porcelain",
                   "--ignored").stdout

    before = tree()
    out = make("deb", f"DEB_OUT={tmp_path}", timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    version = herd_version()
    deb = tmp_path / f"herd_{version}_amd64.deb"
    assert deb.exists(), os.listdir(tmp_path)
    # Nothing was built or left in the tree (debian/ build products, a
    # build/ directory of its own).
    assert tree() == before

    try:
        run("dpkg", "-i", str(deb))
        out = run("/usr/bin/herd", "--version")
        assert out.stdout.strip() == f"herd {version}"
        out = run("/usr/bin/herd", "-c", "/etc/herd/herd.conf", "-t")
        assert "is valid" in out.stdout + out.stderr
        # postinst made the user the packaged config runs workers as.
        assert run("getent", "passwd", "herd").stdout.startswith("herd:")
        with open("/etc/herd/herd.conf") as f:
            assert re.search(r"^user = herd$", f.read(), re.M)
        conffiles = run("dpkg-query", "-W", "-f=${Conffiles}", "herd").stdout
        assert "/etc/herd/herd.conf" in conffiles
        pages = run("man", "-aw", "herd").stdout.split()
        assert "/usr/share/man/man8/herd.8.gz" in pages, pages
        assert run("man", "-w", "5", "herd.conf").stdout.strip()
        assert run("man", "-w", "3", "libherd").stdout.strip()
        for unit in ("herd.service", "herd.socket"):
            with open(f"/lib/systemd/system/{unit}") as f:
                text = f.read()
            assert "/usr/local" not in text
        assert os.path.exists("/usr/share/bash-completion/completions/herd")
    finally:
        run("dpkg", "--purge", "herd", check=False)
    assert not installed("herd")
    assert not os.path.exists("/usr/bin/herd")
    assert not os.path.exists("/etc/herd")
    assert run("getent", "passwd", "herd", check=False).returncode != 0
    assert run("getent", "group", "herd", check=False).returncode != 0


def test_package_version_is_herds():
    with open(os.path.join(ROOT, "debian", "changelog")) as f:
        first = f.readline()
    assert first.startswith(f"herd ({herd_version()})"), first
