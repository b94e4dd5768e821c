"""Decodes the shared HTTP request corpus (its README gives the rules) into
raw files, one per case, as fuzzing seeds: decode-corpus.py SRC DEST.
A seed's first byte is the fuzz target's split point, so one is prepended.
Missing SRC is not an error: the committed seeds still run."""
import os
import re
import sys


def decode(text):
    text = text.replace(b"\n", b"")
    text = text.replace(b"\\r\\n", b"\r\n").replace(b"\\0", b"\0")
    text = text.replace(b"\\n", b"\n").replace(b"\\t", b"\t")
    return re.sub(rb"\\x([0-9a-fA-F]{2})",
                  lambda m: bytes([int(m.group(1), 16)]), text)


def main(src, dest):
    if not os.path.isdir(src):
        print(f"decode-corpus: {src} not found; committed seeds only")
        return
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


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
