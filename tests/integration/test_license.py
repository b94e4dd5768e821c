# SPDX-License-Identifier: BSD-2-Clause
"""LICENSE, and the SPDX scripts: check-spdx.sh finds the files without
the identifier, add-spdx.sh adds it where it belongs (after a shebang, as
a C comment of its own) and is idempotent. Run on a scratch git tree,
never on this one."""
import os
import shutil
import subprocess

from conftest import ROOT

SPDX = "SPDX-License-Identifier: BSD-2-Clause"


def test_license_is_bsd_2_clause():
    with open(os.path.join(ROOT, "LICENSE")) as f:
        text = f.read()
    assert text.startswith("BSD 2-Clause License")
    assert "Copyright (c) 2026, the herd authors" in text
    assert text.count("Redistributions") == 2


def test_spdx_scripts(tmp_path):
    os.mkdir(tmp_path / "scripts")
    for s in ("check-spdx.sh", "add-spdx.sh"):
        shutil.copy2(os.path.join(ROOT, "scripts", s), tmp_path / "scripts")
    files = {
        "a.c": "/*\n * A file.\n */\n#include <stdio.h>\n",
        "b.h": "#ifndef B_H\n#define B_H\n#endif\n",
        "t.py": '"""Doc."""\nimport os\n',
        "run.py": "#!/usr/bin/python3\n# -*- coding: utf-8 -*-\nprint(1)\n",
        "x.sh": "#!/bin/sh\necho hi\n",
        "done.c": f"/* {SPDX} */\nint x;\n",
        "notes.txt": "not a source file\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    os.chmod(tmp_path / "x.sh", 0o755)
    git = ["git", "-C", str(tmp_path)]
    subprocess.run(git + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "-A"], check=True)

    check = [str(tmp_path / "scripts" / "check-spdx.sh")]
    out = subprocess.run(check, capture_output=True, text=True)
    assert out.returncode == 1
    flagged = sorted(line.split(": ")[1]
                     for line in out.stdout.splitlines())
    # (The scripts themselves carry the identifier.)
    assert flagged == ["a.c", "b.h", "run.py", "t.py", "x.sh"]

    add = [str(tmp_path / "scripts" / "add-spdx.sh")]
    subprocess.run(add, check=True, capture_output=True)
    assert subprocess.run(check, capture_output=True).returncode == 0
    read = lambda n: (tmp_path / n).read_text()
    assert read("a.c") == f"/* {SPDX} */\n" + files["a.c"]
    assert read("t.py") == f"# {SPDX}\n" + files["t.py"]
    assert read("x.sh") == f"#!/bin/sh\n# {SPDX}\necho hi\n"
    assert read("run.py").splitlines()[:3] == [
        "#!/usr/bin/python3", "# -*- coding: utf-8 -*-", f"# {SPDX}"]
    assert read("done.c") == files["done.c"]
    assert read("notes.txt") == files["notes.txt"]
    assert os.stat(tmp_path / "x.sh").st_mode & 0o111
    # A second run changes nothing.
    before = {n: read(n) for n in files}
    out = subprocess.run(add, check=True, capture_output=True, text=True)
    assert out.stdout == ""
    assert {n: read(n) for n in files} == before
