# SPDX-License-Identifier: BSD-2-Clause
"""The manual pages against what they describe: every option of
`herd --help` in herd(8), every config key of the option table in
herd.conf(5), every herd_* function libherd.so exports in libherd(3), and
mandoc's lint clean on all three. A key added to src/cli/options.c without
its paragraph in man/herd.conf.5 fails here."""
import os
import re
import shutil
import subprocess

import pytest

from conftest import BUILD, HERD, ROOT

MAN = os.path.join(ROOT, "man")


def read(name):
    with open(os.path.join(MAN, name), encoding="utf-8") as f:
        return f.read()


def help_options():
    """The long option names `herd --help` lists, and the file-only keys."""
    out = subprocess.run([HERD, "--help"], capture_output=True, text=True,
                         check=True).stdout
    opts = re.findall(r"^  (?:-\w, |    )--(?:\[no-\])?([a-z][a-z0-9-]*)",
                      out, re.M)
    _, _, file_part = out.partition("Config-file keys only:")
    file_only = re.findall(r"^  ([a-z][a-z0-9-]*) = ", file_part, re.M)
    return opts, file_only


def table_rows():
    """(name, flags) of each row of the option table in options.c."""
    with open(os.path.join(ROOT, "src", "cli", "options.c")) as f:
        src = f.read()
    rows = []
    for m in re.finditer(r'\.name = "([^"]+)",(.*?)\n\t}', src, re.S):
        flags = re.search(r"\.flags = ([^,]+),", m.group(2))
        rows.append((m.group(1), flags.group(1) if flags else ""))
    return rows


def ctl_verbs():
    """The commands `herd ctl` names in its usage text."""
    for args in ([HERD, "ctl"], [HERD, "ctl", "--help"]):
        out = subprocess.run(args, capture_output=True, text=True)
        m = re.search(r"^commands:\n((?:  \S.*\n)+)", out.stdout, re.M)
        if m:
            return [w.split()[0] for w in m.group(1).splitlines()]
    raise AssertionError("herd ctl lists no commands")


def test_help_and_table_agree():
    # The two sources the checks below use must name the same options,
    # or a change to --help's layout would silently empty the checks.
    opts, file_only = help_options()
    names = [n for n, _ in table_rows()]
    assert len(names) > 40
    assert sorted(opts + file_only) == sorted(names)


def test_conf_page_documents_every_key():
    documented = set(re.findall(r"^\.It Ic ([a-z][a-z0-9-]*)",
                                read("herd.conf.5"), re.M))
    keys = {n for n, flags in table_rows() if "CLI_OPT_CLI_ONLY" not in flags}
    missing = sorted(keys - documented)
    assert not missing, f"herd.conf.5 lacks an `.It Ic KEY` for {missing}"
    stale = sorted(documented - keys)
    assert not stale, f"herd.conf.5 documents keys herd does not have: {stale}"


def test_herd_page_lists_every_option():
    page = read("herd.8")
    listed = set(re.findall(r"Fl \\-([a-z][a-z0-9-]*)", page))
    opts, _ = help_options()
    missing = sorted(set(opts) - listed)
    assert not missing, f"herd.8 lacks `Fl \\-NAME` for {missing}"
    for short in ("c", "t", "h", "V", "l", "w", "a"):
        assert f"Fl {short}" in page
    # The ctl commands and the signals the master acts on.
    verbs = ctl_verbs()
    assert "reload" in verbs
    for verb in verbs:
        assert re.search(rf"^\.It Cm {verb}\b", page, re.M), verb
    for sig in ("QUIT", "HUP", "USR1", "USR2", "WINCH", "TTIN"):
        assert re.search(rf"^\.It Dv .*\b{sig}\b", page, re.M), sig


def exported_symbols():
    so = os.path.join(BUILD, "libherd.so")
    out = subprocess.run(["nm", "-D", "--defined-only", so],
                         capture_output=True, text=True, check=True).stdout
    return {line.split()[-1].split("@")[0] for line in out.splitlines()
            if " T " in line}


def test_library_page_documents_every_function():
    page = read("libherd.3")
    with open(os.path.join(ROOT, "include", "herd.h")) as f:
        header = f.read()
    declared = set(re.findall(r"\b(herd_[a-z_]+)\(", header))
    exported = exported_symbols()
    # Everything exported is declared in the header and nothing else is.
    assert exported == declared, exported ^ declared
    synopsis = page.split(".Sh SYNOPSIS")[1].split(".Sh DESCRIPTION")[0]
    synopsis = set(re.findall(r"^\.Fn (herd_[a-z_]+) ", synopsis, re.M))
    names = set(re.findall(r"^\.Nm (herd_[a-z_]+)", page, re.M))
    missing = sorted(exported - synopsis)
    assert not missing, f"libherd.3's SYNOPSIS has no `.Fn` for {missing}"
    assert not sorted(exported - names), "NAME lacks " + str(
        sorted(exported - names))
    assert "HERD_APP_INIT" in page and "struct herd_app {" in page
    # The struct in the page has the header's fields.
    fields = re.findall(r"^\t[^/\n]*?[ *(]+(\w+)\)?(?:\(.*)?;",
                        header.split("struct herd_app {")[1].split("};")[0],
                        re.M)
    for field in fields:
        assert re.search(rf"\b{field}\b", page), field


def test_mandoc_lint_clean():
    if shutil.which("mandoc") is None:
        pytest.skip("mandoc is not installed (scripts/install-deps.sh "
                    "installs it)")
    out = subprocess.run(["make", "-s", "-C", ROOT, "man-lint"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
