#!/usr/bin/python3
"""cube_fingerprint.py — one line per dataset and root attribute of a dipscan cube (and per extra file),
with a SHA-256 of its exact bytes, so two runs can be compared bitwise.

Usage: cube_fingerprint.py CUBE.h5 [FILE...]

Datasets are hashed as their raw array bytes (dtype and shape in the line); attributes by value.
Attributes that legitimately differ between runs (dipscan_version, start_time, end_time, runs,
ranks, and config_run, which holds the output path) are listed with the value "(varies)" so their presence is still compared.
"""
import hashlib
import sys

import h5py
import numpy as np

VARIES = {"dipscan_version", "start_time", "end_time", "runs", "ranks", "config_run"}


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def value_bytes(v) -> bytes:
    a = np.asarray(v)
    if a.dtype.kind == "O":  # variable-length strings
        return "\x00".join(str(x) for x in a.ravel()).encode()
    return a.tobytes()


def main() -> int:
    lines = []
    with h5py.File(sys.argv[1], "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                a = obj[()]
                lines.append(f"dataset /{name} {obj.dtype.str} {list(obj.shape)} {digest(value_bytes(a))}")
        f.visititems(visit)
        for k in sorted(f.attrs):
            v = "(varies)" if k in VARIES else digest(value_bytes(f.attrs[k]))
            lines.append(f"attribute {k} {v}")
    for path in sys.argv[2:]:
        with open(path, "rb") as fh:
            lines.append(f"file {path.rsplit('/', 1)[-1]} {digest(fh.read())}")
    print("\n".join(sorted(lines)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
