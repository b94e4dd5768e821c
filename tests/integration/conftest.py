# SPDX-License-Identifier: BSD-2-Clause
"""Fixtures for herd's integration tests: the real binary, real processes.

Every test that starts herd through the `herd` fixture is also checked on
teardown, as STYLE.md asks: the master's descriptor count is back to what it
was once it had started, no process is left behind (pytest makes itself a
child subreaper, so orphans come to it), and herd's log holds no sanitizer
report and no error line the test did not declare.
"""
import ctypes
import os
import re
import signal
import socket
import subprocess
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, os.environ.get("HERD_BUILD", "build/asan"))
HERD = os.path.join(BUILD, "herd")
HELPERS = os.path.join(BUILD, "helpers")
# Deadlines stretch under the sanitizers; waits are on predicates, never
# bare sleeps.
SLOW = 3.0 if "asan" in BUILD else 1.0

PR_SET_CHILD_SUBREAPER = 36
_libc = ctypes.CDLL(None, use_errno=True)
_libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)

os.environ.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
os.environ.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")

SANITIZER = re.compile(r"AddressSanitizer|LeakSanitizer|runtime error:")


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    # Skips say why (STYLE.md): their reasons go in the closing summary,
    # as if -rs were given.
    reporter = config.pluginmanager.getplugin("terminalreporter")
    if reporter is not None and "s" not in reporter.reportchars:
        reporter.reportchars += "s"


def helper(name):
    return os.path.join(HELPERS, name)


def wait_for(pred, timeout=5.0, what="condition"):
    deadline = time.monotonic() + timeout * SLOW
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except (FileNotFoundError, ProcessLookupError):
        return []


def fds(pid):
    """{fd: target} of a live process, from /proc."""
    out = {}
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            out[int(name)] = os.readlink(f"/proc/{pid}/fd/{name}")
        except (FileNotFoundError, ProcessLookupError):
            pass
    return out


def steady_fds(pid, quiet=0.5, timeout=10.0):
    """pid's descriptor targets, sorted, once they stayed the same for
    `quiet` seconds: a worker just started still holds its report pipe
    and setup sockets for a moment, a client just gone its connection
    until the master reads the close. A leak stays and still shows."""
    deadline = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while True:
        got = sorted(fds(pid).values())
        now = time.monotonic()
        if got != last:
            last, since = got, now
        elif now - since >= quiet or now > deadline:
            return got
        time.sleep(0.05)


def status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            out[key] = value.strip()
    return out


def environ(pid):
    """A process's environment; {} once it is gone."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            items = f.read().split(b"\0")
    except (FileNotFoundError, ProcessLookupError):
        return {}
    return dict(i.decode().split("=", 1) for i in items if b"=" in i)


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False  # gone, possibly between open and read


def http_get(port, path="/", host="127.0.0.1", timeout=5.0):
    with socket.create_connection((host, port), timeout=timeout * SLOW) as s:
        s.sendall(f"GET {path} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return data.decode(errors="replace")


class Herd:
    """One herd master started by a test, with its log and its workers."""

    def __init__(self, tmp_path, args, command=None, env=None, pass_fds=(),
                 expect_errors=(), log=True, popen=None):
        self.tmp = tmp_path
        self.log_path = os.path.join(tmp_path, "herd.log")
        self.expect_errors = [re.compile(e) for e in expect_errors]
        # A second herd in one test appends to the same log: what this one
        # says starts here.
        try:
            self.log_start = os.path.getsize(self.log_path)
        except FileNotFoundError:
            self.log_start = 0
        argv = [HERD]
        if log:
            argv += ["--log", self.log_path]
        argv += list(args)
        if command is not None:
            argv += ["--"] + list(command)
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = (popen or subprocess.Popen)(
            argv, env=full_env, pass_fds=pass_fds,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        self.pid = self.proc.pid
        self.baseline_fds = None

    # The log ------------------------------------------------------------
    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_log(self, pattern, count=1, timeout=5.0):
        rx = re.compile(pattern)
        return wait_for(lambda: len(rx.findall(self.log())) >= count
                        and rx.findall(self.log()), timeout,
                        f"{count}x /{pattern}/ in herd's log:\n{self.log()}")

    def own_log(self):
        """The log from where this herd began (see log_start)."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self.log_start)
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def port(self, name=None):
        """The port herd says it listens on (port 0 resolved): tests listen
        on port 0 and learn the port here, so two tests never race for
        one."""
        def find():
            found = [int(port) for port, lname in re.findall(
                r"listening on \S*:(\d+) \(name ([^,)]+)", self.own_log())
                if name is None or lname == name]
            return found and found[0]
        return wait_for(find, 5.0,
                        f"a listener {name or ''} in herd's log:\n"
                        f"{self.own_log()}")

    def started(self, workers=1, timeout=10.0):
        """Waits until `workers` workers run; records the fd baseline."""
        self.wait_log(r"listening on")
        wait_for(lambda: len(self.ready_workers()) >= workers, timeout,
                 f"{workers} workers:\n{self.log()}")
        self.baseline_fds = self.steady_own_fds()
        return self

    # Workers ------------------------------------------------------------
    def workers(self):
        return [p for p in children(self.pid)
                if alive(p) and p != getattr(self, "successor", None)]

    def ready_workers(self):
        """Workers whose program is running (the log says so)."""
        log = self.log()
        running = {int(p) for p in re.findall(
            r"worker \d+ \(pid (\d+), gen \d+\): running", log)}
        return [p for p in self.workers() if p in running]

    def worker_numbers(self):
        out = {}
        for p in self.workers():
            try:
                out[int(environ(p).get("HERD_WORKER", -1))] = p
            except (FileNotFoundError, ProcessLookupError):
                pass  # gone meanwhile
        return out

    def signal(self, sig):
        os.kill(self.pid, sig)

    def wait_exit(self, timeout=10.0):
        try:
            return self.proc.wait(timeout * SLOW)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"herd did not exit:\n{self.log()}")

    # Teardown -----------------------------------------------------------
    def check_log(self):
        text = self.log()
        if self.proc.stderr:
            # Without blocking: a successor master may hold the pipe too.
            os.set_blocking(self.proc.stderr.fileno(), False)
            try:
                text += (self.proc.stderr.read() or b"").decode(
                    errors="replace")
            except (ValueError, BlockingIOError):
                pass
        assert not SANITIZER.search(text), text
        for line in text.splitlines():
            if re.search(r"Z error ", line) and not any(
                    e.search(line) for e in self.expect_errors):
                raise AssertionError(f"unexpected error line: {line}")

    def own_fds(self):
        """The master's descriptors that do not come and go with workers
        (each worker adds a pidfd and two output pipes, a report pipe until
        it has exec'd, and with seccomp its filter's listener): sockets,
        epoll, signalfd, timerfd, files."""
        return sorted(t for t in fds(self.pid).values()
                      if "pidfd" not in t and not t.startswith("pipe:")
                      and "seccomp notify" not in t)

    def steady_own_fds(self, quiet=0.05, timeout=3.0):
        """own_fds once two readings `quiet` apart agree: a helper's
        socketpair end or a ctl connection lives for a moment."""
        deadline = time.monotonic() + timeout
        last = self.own_fds()
        while True:
            time.sleep(quiet)
            got = self.own_fds()
            if got == last or time.monotonic() > deadline:
                return got
            last = got

    def stop(self):
        if self.pid != self.proc.pid and alive(self.pid):
            # An upgrade replaced the master we started; stop its heir.
            os.kill(self.pid, signal.SIGQUIT)
            wait_for(lambda: not alive(self.pid), 15, "the new master")
        if self.proc.poll() is not None:
            return
        problem = None
        if self.baseline_fds is not None and alive(self.pid):
            deadline = time.monotonic() + 3
            now = self.own_fds()
            while now != self.baseline_fds and time.monotonic() < deadline:
                time.sleep(0.05)
                now = self.own_fds()
            if now != self.baseline_fds:
                problem = (f"master descriptors changed: {now} != "
                           f"baseline {self.baseline_fds}")
            # Workers come and go (max-requests) between reading the
            # descriptors and the children: a leaked pidfd is one that
            # outnumbers them every time for a while, not once.
            deadline = time.monotonic() + 2
            while True:
                pidfds = [t for t in fds(self.pid).values() if "pidfd" in t]
                if len(pidfds) <= len(children(self.pid)):
                    break
                if time.monotonic() > deadline:
                    problem = f"pidfds {pidfds} outnumber the children"
                    break
                time.sleep(0.02)
        self.proc.send_signal(signal.SIGQUIT)
        try:
            self.proc.wait(15 * SLOW)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            problem = f"herd ignored QUIT:\n{self.log()}"
        if problem:
            raise AssertionError(problem)


def reap_strays(timeout=5.0):
    """Fails if any process is left over once herd is gone."""
    deadline = time.monotonic() + timeout * SLOW
    me = os.getpid()
    while True:
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            pass
        left = [p for p in children(me) if alive(p)]
        if not left:
            return
        if time.monotonic() > deadline:
            for p in left:
                os.kill(p, signal.SIGKILL)
            raise AssertionError(f"stray processes left: {left}")
        time.sleep(0.02)


@pytest.fixture
def herd(tmp_path):
    started = []

    def start(args=(), command=None, **kw):
        h = Herd(str(tmp_path), args, command, **kw)
        started.append(h)
        return h

    yield start
    errors = []
    for h in started:
        try:
            h.stop()
        except AssertionError as e:
            errors.append(str(e))
    for h in started:
        try:
            h.check_log()
        except AssertionError as e:
            errors.append(str(e))
    try:
        reap_strays()
    except AssertionError as e:
        errors.append(str(e))
    if errors:
        pytest.fail("\n".join(errors))
