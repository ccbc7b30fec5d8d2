#!/usr/bin/env python3
"""Writes a large BF16 safetensors file for scaling and memory benchmarks.

Real weights repeated: the data section of a BF16 safetensors file (by default the shared
MAXIM model) is tiled up to the requested size under one BF16 tensor, so the result codes
like the source does. No third-party modules.

    scripts/make_big_bf16.py OUT.safetensors SIZE_MB [SOURCE.safetensors]
"""
import json
import os
import struct
import sys


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    out_path, size_mb = sys.argv[1], int(sys.argv[2])
    here = os.path.dirname(os.path.abspath(__file__))
    source = sys.argv[3] if len(sys.argv) == 4 else os.path.join(
        here, "..", "..", "shared", "data", "maxim-deblurring.bf16.safetensors")
    with open(source, "rb") as f:
        (header_size,) = struct.unpack("<Q", f.read(8))
        f.seek(8 + header_size)
        data = f.read()
    data = data[: len(data) // 2 * 2]
    total = size_mb * 1000 * 1000 // 2 * 2
    header = json.dumps({"weights": {"dtype": "BF16", "shape": [total // 2],
                                     "data_offsets": [0, total]}}).encode()
    header += b" " * (-len(header) % 8)
    with open(out_path, "wb") as out:
        out.write(struct.pack("<Q", len(header)))
        out.write(header)
        left = total
        while left > 0:
            piece = data[: min(left, len(data))]
            out.write(piece)
            left -= len(piece)


if __name__ == "__main__":
    main()
