#!/usr/bin/python3
"""BitX-style delta baseline (ZipLLM, NSDI'26) for issue #17: the denominator of its targets.

    /usr/bin/python3 bitx_baseline.py BASE.safetensors FT.safetensors [--json]

For every tensor of FT that BASE has under the same name with the same dtype and shape,
the bit patterns are XOR-ed element by element, and each XOR is split into an exponent
part and a sign+mantissa part, as bytes:

    BF16  exponent: bits 14..7;            sign+mantissa: sign << 7 | bits 6..0.
    FP16  exponent: bits 14..10 (5 bits);  sign+mantissa, 2 byte planes:
                                           sign << 2 | bits 9..8, then bits 7..0.
    FP32  exponent: bits 30..23;           sign+mantissa, 3 byte planes:
                                           sign << 7 | bits 22..16, 15..8, 7..0.
    Other dtypes (int, FP8, FP64): the XOR bytes go whole into the sign+mantissa stream.

The exponent stream is the exponent bytes of all matched tensors of one dtype, in FT's
file order. The sign+mantissa stream is, plane after plane, that plane's bytes of all
matched tensors (so for FP32: all the sign+high-mantissa bytes, then all the middle
bytes, then all the low bytes). With --interleaved, the sign+mantissa part is instead
one little-endian u16 (FP16: sign << 10 | mantissa) or u24 (FP32: sign << 23 |
mantissa) per element: a weaker baseline (FP16 +9%, FP32 +3% on our pairs), kept for
comparison. Each stream is compressed as one `zstd -3` frame. Unmatched tensors (their
raw bytes, concatenated) are one more zstd -3 frame, and so is FT's safetensors header
(the 8-byte length and the JSON). The total of those frames is printed.

zstd -3 is libzstd level 3 through python3-zstandard (the same frames as the zstd CLI
with -3 when the input size is known).
"""

import argparse
import json
import sys

import numpy as np
import zstandard

from stfile import SafeTensors

ZSTD3 = zstandard.ZstdCompressor(level=3)


def zstd3(b):
    return len(ZSTD3.compress(bytes(b))) if len(b) else 0


def split_xor(dtype, x, interleaved=False):
    """(exponent bytes, [sign+mantissa byte planes]) of XOR-ed elements x."""
    if dtype == "BF16":
        e = ((x >> 7) & 0xFF).astype(np.uint8)
        sm = (((x >> 8) & 0x80) | (x & 0x7F)).astype(np.uint8)
        return e.tobytes(), [sm.tobytes()]
    if dtype == "F16":
        e = ((x >> 10) & 0x1F).astype(np.uint8)
        sm = ((x >> 5) & 0x400) | (x & 0x3FF)
        if interleaved:
            return e.tobytes(), [sm.astype("<u2").tobytes()]
        return e.tobytes(), [(sm >> 8).astype(np.uint8).tobytes(),
                             (sm & 0xFF).astype(np.uint8).tobytes()]
    if dtype == "F32":
        e = ((x >> 23) & 0xFF).astype(np.uint8)
        sm = ((x >> 8) & 0x800000) | (x & 0x7FFFFF)
        if interleaved:
            return e.tobytes(), [sm.astype("<u4").view(np.uint8).reshape(-1, 4)[:, :3]
                                 .tobytes()]
        return e.tobytes(), [((sm >> s) & 0xFF).astype(np.uint8).tobytes()
                             for s in (16, 8, 0)]
    return b"", [x.tobytes()]


def bitx(base_path, ft_path, interleaved=False):
    base, ft = SafeTensors(base_path), SafeTensors(ft_path)
    exp, sm, unmatched = {}, {}, []
    matched = 0
    for name in ft.tensors:
        if ft.matches(base, name):
            dt = ft.dtype(name)
            e, planes = split_xor(dt, ft.bits(name) ^ base.bits(name), interleaved)
            exp.setdefault(dt, []).append(e)
            sm.setdefault(dt, []).append(planes)
            matched += 1
        else:
            unmatched.append(ft.raw(name))
    r = dict(file=ft_path, base=base_path, original=len(ft.data), matched=matched,
             unmatched=len(unmatched), header=zstd3(ft.header_bytes),
             unmatched_bytes=zstd3(b"".join(unmatched)), streams={})
    for dt in exp:
        r["streams"][dt] = dict(exponent=zstd3(b"".join(exp[dt])),
                                sign_mantissa=zstd3(b"".join(
                                    p[i] for i in range(len(sm[dt][0])) for p in sm[dt])))
    r["total"] = r["header"] + r["unmatched_bytes"] + sum(
        v["exponent"] + v["sign_mantissa"] for v in r["streams"].values())
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("base")
    ap.add_argument("ft")
    ap.add_argument("--json", action="store_true", help="print the details as JSON")
    ap.add_argument("--interleaved", action="store_true",
                    help="FP16/FP32 sign+mantissa as interleaved u16/u24 (weaker)")
    a = ap.parse_args()
    r = bitx(a.base, a.ft, a.interleaved)
    if a.json:
        json.dump(r, sys.stdout, indent=1)
        print()
    else:
        print(f"{r['total']}\t{100 * r['total'] / r['original']:.2f}%\t{a.ft}")


if __name__ == "__main__":
    main()
