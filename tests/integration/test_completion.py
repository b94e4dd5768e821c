# SPDX-License-Identifier: BSD-2-Clause
"""The bash completion (contrib/bash-completion/herd), sourced in a real
bash and called the way bash calls it: COMP_WORDS, COMP_CWORD, then the
function, whose COMPREPLY is printed."""
import os
import re
import subprocess

from conftest import BUILD, ROOT
from test_docs import ctl_verbs

SCRIPT = os.path.join(ROOT, "contrib", "bash-completion", "herd")


def complete(*words):
    """The completions of the last word of `herd WORDS…`."""
    prog = f"""
source {SCRIPT}
COMP_WORDS=(herd "$@")
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
_herd
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    # `herd` is the build under test, found in PATH as a user's would be.
    env = dict(os.environ, PATH=BUILD + os.pathsep + os.environ["PATH"])
    out = subprocess.run(["bash", "--norc", "-c", prog, "bash", *words],
                         capture_output=True, text=True, env=env, check=True)
    return sorted(w for w in out.stdout.split("\n") if w)


def test_registered_for_herd():
    out = subprocess.run(["bash", "--norc", "-c",
                          f"source {SCRIPT}; complete -p herd"],
                         capture_output=True, text=True, check=True)
    assert "-F _herd herd" in out.stdout


def test_options_from_help():
    assert complete("--wor") == ["--workers", "--working-directory"]
    assert complete("--worke") == ["--workers"]
    assert complete("--grace") == ["--graceful-timeout"]
    # Boolean keys complete with their negation.
    assert complete("--no-d") == ["--no-daemon"]
    assert "--preload" in complete("--pre")
    # Every option --help lists is offered.
    out = subprocess.run([os.path.join(BUILD, "herd"), "--help"],
                         capture_output=True, text=True, check=True).stdout
    listed = re.findall(r"^  (?:-\w, |    )--(?:\[no-\])?([a-z][a-z0-9-]*)",
                        out, re.M)
    assert len(listed) > 40
    offered = complete("--")
    missing = [o for o in listed if "--" + o not in offered]
    assert not missing, missing


def test_values_of_config_keys():
    assert complete("--readiness", "") == ["exec", "notify"]
    assert complete("--crash-loop", "s") == ["stop"]
    assert complete("--seccomp=st") == ["--seccomp=strict"]
    assert complete("--upgrade-handover", "") == ["auto", "manual"]
    assert complete("-w", "a") == ["auto"]
    assert complete("--app", "st") == ["static:"]
    # A path value completes files.
    assert complete("-c", os.path.join(ROOT, "Makefil")) == [
        os.path.join(ROOT, "Makefile")]


def test_ctl_commands():
    assert complete("ctl", "re") == ["reload", "reopen-logs"]
    # Every command `herd ctl` knows, and no other.
    assert complete("ctl", "") == sorted(ctl_verbs())
    assert "--pid-file" in complete("ctl", "--pi")
    # Nothing after a command (but the count of workers).
    assert complete("ctl", "status", "") == []
    assert complete("c") == ["ctl"]


def test_worker_command_after_double_dash():
    assert "bash" in complete("--workers", "2", "--", "bas")
