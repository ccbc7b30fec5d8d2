#!/usr/bin/python3
"""Writes tests/golden/delta_base.safetensors.raw and delta_ft.safetensors.raw: a small
base model (BF16, F16, F32 and I64 tensors) and a "fine-tune" of it whose weights moved
by a relative step of about 4e-3. Standard library only; deterministic."""

import json
import random
import struct
import sys
from pathlib import Path


def bf16(v):
    bits = struct.unpack("<I", struct.pack("<f", v))[0]
    return struct.pack("<H", ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) & 0xFFFF)


PACK = {"BF16": bf16, "F16": lambda v: struct.pack("<e", v), "F32": lambda v: struct.pack("<f", v),
        "I64": lambda v: struct.pack("<q", int(v))}
TENSORS = [("a.weight", "BF16", [64, 16]), ("b.weight", "F16", [300]), ("c.weight", "F32", [100]),
           ("step", "I64", [1])]


def write(path, values):
    header, data = {}, b""
    for (name, dtype, shape), vals in zip(TENSORS, values):
        raw = b"".join(PACK[dtype](v) for v in vals)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    Path(path).write_bytes(struct.pack("<Q", len(text)) + text + data)


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "tests/golden")
    rng = random.Random(17)
    base = []
    for name, dtype, shape in TENSORS:
        n = 1
        for d in shape:
            n *= d
        base.append([1000.0] if dtype == "I64" else [rng.gauss(0, 0.02) for _ in range(n)])
    ft = [vals if TENSORS[i][1] == "I64" else [v * (1 + rng.gauss(0, 4e-3)) for v in vals]
          for i, vals in enumerate(base)]
    write(out / "delta_base.safetensors.raw", base)
    write(out / "delta_ft.safetensors.raw", ft)


if __name__ == "__main__":
    main()
