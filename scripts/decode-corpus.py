# SPDX-License-Identifier: BSD-2-Clause
"""Decodes the shared HTTP request corpus (its README gives the rules) into
raw files, one per case, as fuzzing seeds:

    decode-corpus.py [--optional] SRC DEST

A seed's first byte is the fuzz target's split point, so one is prepended.
The corpus lives beside the repository, not in it: with --optional (the
default corpus, which a user's clone may lack) a missing SRC is a skip that
says so, and the committed seeds still run; without it, an error."""
import os
import re
import sys


def decode(text):
    text = text.replace(b"\n", b"")
    text = text.replace(b"\\r\\n", b"\r\n").replace(b"\\0", b"\0")
    text = text.replace(b"\\n", b"\n").replace(b"\\t", b"\t")
    return re.sub(rb"\\x([0-9a-fA-F]{2})",
                  lambda m: bytes([int(m.group(1), 16)]), text)


def main(src, dest, optional):
    if not os.path.isdir(src):
        if not optional:
            print(f"decode-corpus: {src} not found", file=sys.stderr)
            return 1
        # On stderr: the fuzz build sends the counts on stdout away.
        print(f"decode-corpus: skipped: {src} not found (a clone without "
              "the shared corpus; HERD_CORPUS=DIR names one); the "
              "committed seeds only", file=sys.stderr)
        return 0
    n = 0
    for sub in sorted(os.listdir(src)):
        d = os.path.join(src, sub)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            if name.endswith(".http"):
                with open(os.path.join(d, name), "rb") as f:
                    raw = decode(f.read())
                with open(os.path.join(dest, f"{sub}-{name}"), "wb") as f:
                    f.write(bytes([len(raw) // 2 % 256]) + raw)
                n += 1
    print(f"decode-corpus: {n} seeds")
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    optional = args[:1] == ["--optional"]
    if optional:
        args = args[1:]
    if len(args) != 2:
        sys.exit("usage: decode-corpus.py [--optional] SRC DEST")
    sys.exit(main(args[0], args[1], optional))
