#!/usr/bin/env python3
"""Writes a large BF16 safetensors file for scaling and memory benchmarks.

Real weights repeated: the data section of a BF16 safetensors file (by default the shared
MAXIM model) is tiled up to the requested size, so the result codes like the source does.
By default it is one BF16 tensor ("weights"); with --tensor-mb, tensors of that many MB
("layers.<i>.weight", the last one shorter), as a checkpoint has them. No third-party modules.

    scripts/make_big_bf16.py OUT.safetensors SIZE_MB [SOURCE.safetensors] [--tensor-mb MB]
"""
import argparse
import json
import os
import struct


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(usage=__doc__)
    parser.add_argument("out")
    parser.add_argument("size_mb", type=int)
    parser.add_argument("source", nargs="?", default=os.path.join(
        here, "..", "..", "shared", "data", "maxim-deblurring.bf16.safetensors"))
    parser.add_argument("--tensor-mb", type=float, default=0.0,
                        help="cut the data into BF16 tensors of this many MB")
    args = parser.parse_args()
    with open(args.source, "rb") as f:
        (header_size,) = struct.unpack("<Q", f.read(8))
        f.seek(8 + header_size)
        data = f.read()
    data = data[: len(data) // 2 * 2]
    total = args.size_mb * 1000 * 1000 // 2 * 2
    header = {}
    if args.tensor_mb > 0:
        step = max(2, int(args.tensor_mb * 1000 * 1000) // 2 * 2)
        for i, begin in enumerate(range(0, total, step)):
            end = min(total, begin + step)
            header[f"layers.{i}.weight"] = {"dtype": "BF16", "shape": [(end - begin) // 2],
                                            "data_offsets": [begin, end]}
    else:
        header["weights"] = {"dtype": "BF16", "shape": [total // 2], "data_offsets": [0, total]}
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(args.out, "wb") as out:
        out.write(struct.pack("<Q", len(text)))
        out.write(text)
        left = total
        while left > 0:
            piece = data[: min(left, len(data))]
            out.write(piece)
            left -= len(piece)


if __name__ == "__main__":
    main()
