# SPDX-License-Identifier: BSD-2-Clause
"""The shared request corpus (../shared/corpus/http-requests) against herd's
`echo` app, over real sockets:

- every valid/ file gets 2xx answers whose JSON is the request as sent
  (method, target, version, each header's name and value, the body);
- every invalid/ file gets a 4xx and a close; one that is only truncated
  gets 408 and a close at the read timeout;
- lenient/ and proxy-protocol/ follow DECISIONS below, with reasons.

Many valid/ requests come from gunicorn's tests and are HTTP/1.1 without
Host, which herd refuses by default (RFC 9112 3.2): the valid/ run uses
--no-require-host, and test_http checks the default. Some invalid/ files are
invalid only under a limit their source configured: those run against a
herd with the equivalent setting (LIMITS), the same table the parser's unit
test uses.
"""
import http.client
import importlib.util
import io
import json
import os
import socket

import pytest

from conftest import ROOT, SLOW

# Beside the repository, not in it: a user's clone may have none, and then
# this file skips and says so. One named by HERD_CORPUS (as for the unit
# test) must be there.
DEFAULT_CORPUS = os.path.join(ROOT, "..", "shared", "corpus",
                              "http-requests")
CORPUS = os.environ.get("HERD_CORPUS") or DEFAULT_CORPUS
ABSENT = CORPUS == DEFAULT_CORPUS and not os.path.isdir(CORPUS)
pytestmark = pytest.mark.skipif(
    ABSENT, reason=f"{os.path.normpath(CORPUS)} not found (a clone without "
                   "the shared corpus; HERD_CORPUS=DIR names one)")
END = b"GET /__end HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"

# invalid/ files refused only under a setting (gunicorn's limit_request_*,
# or a mode refusing "_" in names): herd's flag for it.
LIMITS = {
    "006.http": ["--request-line-max", "4094"],
    "007.http": ["--field-max", "8190"],
    "008.http": ["--field-max", "8190"],
    "017.http": ["--field-max", "8190"],
    "limit_header_default_01.http": ["--field-max", "8190"],
    "010.http": ["--field-max", "10"],
    "012.http": ["--field-max", "98"],
    "011.http": ["--headers-max", "2"],
    "040.http": ["--refuse-underscore"],
    "chunked_07.http": ["--refuse-underscore"],
}
# invalid/ files that are a prefix of a request: the answer is 408 when
# the read timeout ends the wait.
TRUNCATED = {"001.http", "rfc9112_chunked_missing_final_crlf_01.http"}
# valid/ files whose body the file cuts short: the head is valid; the body
# never completes, so the answer is 408 at the read timeout.
VALID_CUT = {"099.http"}
# valid/ files refused on purpose: the corpus's source read them leniently;
# RFC 9112 6.3 calls them a smuggling attempt (400 and close).
VALID_REFUSED = {
    "009.http": "Transfer-Encoding: identity with Content-Length: identity "
                "is no coding, not 'no Transfer-Encoding', and any "
                "Transfer-Encoding with Content-Length is refused",
}

DECISIONS = {
    "lenient/028.http": (400, "space before the colon: RFC 9112 5.1 MUST "
                              "refuse (smuggling)"),
    "lenient/031compat.http": (400, "lower-case method: every registered "
                                    "method is upper case"),
    "lenient/031compat2.http": (400, "as 031compat"),
    "lenient/040_compat.http": (200, "'_' is a tchar: accepted, never "
                                     "mapped onto '-' (see "
                                     "--refuse-underscore)"),
    "lenient/compat_obs_fold.http": (400, "obsolete line folding: refused, "
                                          "as RFC 9112 5.2 allows"),
    "lenient/compat_obs_fold_huge.http": (400, "as compat_obs_fold"),
    "proxy-protocol/pp_01.http": (400, "a PROXY v1 line is not a request "
                                       "line; PROXY belongs to a listener "
                                       "option herd does not have"),
    "proxy-protocol/pp_02.http": (400, "as pp_01"),
    "proxy-protocol/pp_03.http": (200, "no PROXY header: a plain request"),
    "proxy-protocol/pp_04.http": (400, "PROXY v2 binary header: NUL "
                                       "refused at once"),
    "proxy-protocol/pp_05.http": (400, "as pp_04"),
}


def _decoder():
    # The corpus README's rules, as scripts/decode-corpus.py applies them
    # for the fuzz seeds: one decoder for both.
    path = os.path.join(ROOT, "scripts", "decode-corpus.py")
    spec = importlib.util.spec_from_file_location("decode_corpus", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.decode


decode = _decoder()


def files(sub):
    """The cases of a part of the corpus; none only when the whole corpus
    is missing (the tests skip then): a missing part is an error."""
    if ABSENT:
        return []
    d = os.path.join(CORPUS, sub)
    return sorted(f for f in os.listdir(d) if f.endswith(".http"))


def load(sub, name):
    with open(os.path.join(CORPUS, sub, name), "rb") as f:
        return decode(f.read())


def exchange(port, data):
    """Sends data, reads until herd closes; returns the responses."""
    with socket.create_connection(("127.0.0.1", port),
                                  timeout=20 * SLOW) as s:
        s.sendall(data)
        got = b""
        while chunk := s.recv(65536):
            got += chunk
    class Stream(io.BytesIO):
        def close(self):
            pass  # HTTPResponse closes its file after each response

    out, stream = [], Stream(got)

    class Sock:
        def makefile(self, *a, **k):
            return stream
    while stream.tell() < len(got):
        r = http.client.HTTPResponse(Sock())
        r.begin()
        out.append((r.status, r.getheaders(), r.read()))
    return out


def as_bytes(s):
    """The bytes echo received: UTF-8 as text, other bytes escaped."""
    return s.encode("utf-8", "surrogateescape")


def check_echo(raw, answers):
    """Each echoed request appears in what was sent, in order."""
    pos = 0
    for status, _, body in answers:
        assert 200 <= status < 300, (status, body)
        j = json.loads(body)
        line = (as_bytes(j["method"]) + b" " + as_bytes(j["target"]) + b" " +
                as_bytes(j["version"]))
        at = raw.find(line, pos)
        assert at >= 0, (line, raw[:300])
        pos = at + len(line)
        for name, value in j["headers"]:
            at = raw.find(as_bytes(name), pos)
            assert at >= 0, (name, raw)
            pos = at + len(name)
            if value:
                at = raw.find(as_bytes(value), pos)
                assert at >= 0, (value, raw)
                pos = at + len(value)
        body = as_bytes(j["body"])
        chunked = any(n.lower() == "transfer-encoding" and "chunked" in
                      v.lower() for n, v in j["headers"])
        start = raw.find(b"\r\n\r\n", pos) + 4
        if chunked:
            assert dechunk(raw, start) == body, (body, raw)
        elif body:
            assert raw[start:start + len(body)] == body, (body, raw)


def dechunk(raw, at):
    """The data of the chunked body starting at raw[at]."""
    out = b""
    while True:
        eol = raw.index(b"\r\n", at)
        size = int(raw[at:eol].split(b";")[0].strip(), 16)
        at = eol + 2
        if size == 0:
            return out
        out += raw[at:at + size]
        at += size + 2


@pytest.fixture(scope="module")
def echo_ports(tmp_path_factory):
    """One lenient-Host echo herd for valid/, one default for the rest;
    module-scoped, so started and checked here rather than by `herd`."""
    from conftest import Herd, reap_strays
    started = {}

    def port(*flags):
        if flags not in started:
            tmp = tmp_path_factory.mktemp("echo")
            h = Herd(str(tmp), ["--listen", "127.0.0.1:0", "--workers", "1",
                                "--app", "echo", "--read-timeout", "1s",
                                *flags]).started(1)
            started[flags] = h
        return started[flags].port()
    yield port
    for h in started.values():
        h.stop()
        h.check_log()
    reap_strays()


@pytest.mark.parametrize("name", files("valid"))
def test_valid(echo_ports, name):
    raw = load("valid", name)
    port = echo_ports("--no-require-host")
    if name in VALID_CUT:
        answers = exchange(port, raw)
        assert [a[0] for a in answers] == [408], answers
        return
    if name in VALID_REFUSED:
        answers = exchange(port, raw + END)
        assert [a[0] for a in answers] == [400], (VALID_REFUSED[name],
                                                  answers)
        assert dict(answers[0][1]).get("Connection") == "close"
        return
    answers = exchange(port, raw + END)
    # The sentinel is answered unless the last request ended the
    # connection itself (HTTP/1.0, Connection: close).
    if b'"target": "/__end"' in answers[-1][2]:
        answers = answers[:-1]
    else:
        assert dict(answers[-1][1])["Connection"] == "close", answers
    assert answers
    check_echo(raw, answers)


@pytest.mark.parametrize("name", files("invalid"))
def test_invalid(echo_ports, name):
    raw = load("invalid", name)
    answers = exchange(echo_ports(*LIMITS.get(name, [])), raw)
    assert answers, "closed without an answer"
    status = answers[-1][0]
    if name in TRUNCATED:
        assert status == 408, answers
    else:
        assert 400 <= status < 500 or status in (501, 505), answers
    assert all(200 <= a[0] < 300 for a in answers[:-1]), answers
    assert dict(answers[-1][1]).get("Connection") == "close"


@pytest.mark.parametrize("case", sorted(DECISIONS))
def test_decided(echo_ports, case):
    sub, name = case.split("/")
    raw = load(sub, name)
    want, why = DECISIONS[case]
    answers = exchange(echo_ports("--no-require-host"), raw + END)
    assert answers[0][0] == want, (why, answers)
