# SPDX-License-Identifier: BSD-2-Clause
"""Privilege drop: workers as `nobody`, with no_new_privs, checked from
/proc; and no_new_privs off when asked."""
import os
import pwd

import pytest

from conftest import status

SLEEP = ["/bin/sleep", "1000"]

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="dropping privileges needs root")


def test_workers_run_as_nobody(herd):
    nobody = pwd.getpwnam("nobody")
    groups = sorted(os.getgrouplist("nobody", nobody.pw_gid))
    h = herd(["--listen", "127.0.0.1:0", "--workers", "2", "--user",
              "nobody"], SLEEP).started(2)
    for pid in h.workers():
        st = status(pid)
        assert st["Uid"].split() == [str(nobody.pw_uid)] * 4, st["Uid"]
        assert st["Gid"].split() == [str(nobody.pw_gid)] * 4, st["Gid"]
        assert sorted(int(g) for g in st["Groups"].split()) == groups
        assert st["NoNewPrivs"] == "1"
        assert int(st["CapEff"], 16) == 0
    # The master keeps its own credentials.
    assert status(h.pid)["Uid"].split()[0] == "0"


def test_no_new_privs_can_be_turned_off(herd):
    h = herd(["--listen", "127.0.0.1:0", "--no-new-privs=false"],
             SLEEP).started(1)
    assert status(h.workers()[0])["NoNewPrivs"] == "0"


def test_unknown_user_is_refused(herd):
    # A config error (78), found before anything starts, naming the flag.
    h = herd(["--listen", "127.0.0.1:0", "--user", "no-such-user-herd"],
             SLEEP)
    assert h.wait_exit() == 78
    assert b'--user: no such user "no-such-user-herd"' in h.proc.stderr.read()
