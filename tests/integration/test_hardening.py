# SPDX-License-Identifier: BSD-2-Clause
"""The release build is hardened, and says so in its ELF files: PIE, full
RELRO with BIND_NOW, fortified libc calls, stack protector and stack-clash
protection, CET branch targets; and it carries no test hook."""
import os
import re
import subprocess

import pytest

from conftest import ROOT

RELEASE = os.path.join(ROOT, "build", "release")
FILES = ["herd", "libherd.so.0"]


@pytest.fixture(scope="module", autouse=True)
def release_build():
    # Built by `make test` before the integration tests; make is a no-op
    # then, and builds it for a developer running pytest alone.
    subprocess.run(["make", "-s", "-C", ROOT, "VARIANT=release", "build"],
                   check=True, stdout=subprocess.DEVNULL)


def readelf(*args):
    return subprocess.run(["readelf", "-W", *args], check=True,
                          capture_output=True, text=True).stdout


@pytest.mark.parametrize("name", FILES)
def test_relro_and_bind_now(name):
    path = os.path.join(RELEASE, name)
    assert "GNU_RELRO" in readelf("-l", path)
    dynamic = readelf("-d", path)
    assert re.search(r"\(FLAGS\)\s+BIND_NOW", dynamic), dynamic
    assert re.search(r"\(FLAGS_1\)\s+Flags:.*\bNOW\b", dynamic), dynamic


def test_herd_is_pie():
    path = os.path.join(RELEASE, "herd")
    assert re.search(r"Type:\s+DYN", readelf("-h", path))
    assert re.search(r"\(FLAGS_1\)\s+Flags:.*\bPIE\b", readelf("-d", path))


@pytest.mark.parametrize("name", FILES)
def test_fortify_and_stack_protector(name):
    syms = readelf("--dyn-syms", os.path.join(RELEASE, name))
    assert "__stack_chk_fail" in syms
    fortified = set(re.findall(r"\b(__\w+_chk)@", syms))
    assert {"__snprintf_chk", "__memcpy_chk"} <= fortified, fortified


@pytest.mark.parametrize("name", FILES)
def test_every_unit_compiled_with_the_hardening_flags(name):
    info = readelf("--debug-dump=info", os.path.join(RELEASE, name))
    producers = re.findall(r"DW_AT_producer\s*:.*?: (GNU C.*)", info)
    assert producers, "no DWARF producer strings (built without -g?)"
    for flag in ("-fstack-protector-strong", "-fstack-clash-protection",
                 "-fcf-protection"):
        missing = [p for p in producers if flag not in p]
        assert not missing, (flag, missing[:3])


def test_cet_branch_targets():
    """-fcf-protection: functions start with endbr64. (Debian 12's crt
    files lack the IBT/SHSTK property, so the linker cannot mark the
    whole file; the instructions are there all the same.)"""
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn",
                          os.path.join(RELEASE, "herd")],
                         check=True, capture_output=True, text=True).stdout
    main = out[out.index("<main>:"):][:200]
    assert "endbr64" in main, main


def test_no_test_hook_in_the_release_binary():
    with open(os.path.join(RELEASE, "herd"), "rb") as f:
        data = f.read()
    assert b"HERD_TEST_" not in data
