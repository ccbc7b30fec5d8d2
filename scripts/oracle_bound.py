#!/usr/bin/python3
"""Estimate of the best size any coder can reach that treats the update as iid noise.

    /usr/bin/python3 scripts/oracle_bound.py BASE FT

Tensors the base does not match are charged 8 bits a byte, the header as it is.

Model: ft = base + D, with D drawn independently per element from one distribution per
tensor (what an AdamW update looks like when nothing else is known about it). The cost
of an element is -log2(p(D) * ulp(ft)): p the density of D estimated from the tensor's
own histogram (1/16-octave bins of |D|, both signs), ulp the spacing of the dtype at ft.
The histogram is fitted to the data and charged nothing, so this is optimistic; it is a
reference for how close a scheme is to the floor, accurate when |D| spans many ulps
(FP32, FP16); for BF16 fine-tunes, where |D| is a few ulps, the continuous density is a
rough approximation. Prints the total as % of the file.
"""

import sys

import numpy as np

from stfile import SafeTensors


def values_and_ulps(dtype, bits):
    if dtype == "F32":
        v = bits.view(np.float32).astype(np.float64)
        return v, np.spacing(np.abs(bits.view(np.float32))).astype(np.float64)
    if dtype == "F16":
        v = bits.view(np.float16).astype(np.float64)
        return v, np.spacing(np.abs(bits.view(np.float16))).astype(np.float64)
    if dtype == "BF16":
        f = (bits.astype(np.uint32) << 16).view(np.float32)
        v = f.astype(np.float64)
        e = (bits >> 7) & 0xFF
        ulp = np.ldexp(1.0, np.maximum(e.astype(np.int64), 1) - 127 - 7)
        return v, ulp
    raise ValueError(dtype)


def bound(base_path, ft_path):
    base, ft = SafeTensors(base_path), SafeTensors(ft_path)
    total = 0.0
    for name in ft.tensors:
        dt = ft.dtype(name)
        f = ft.bits(name)
        if not ft.matches(base, name):
            total += len(ft.raw(name)) * 8
            continue
        b = base.bits(name)
        vb, _ = values_and_ulps(dt, b)
        vf, ulp = values_and_ulps(dt, f)
        d = vf - vb
        nz = d != 0
        if not nz.any():
            continue
        a = np.abs(d[nz])
        lo, hi = np.log2(a.min()) - 1, np.log2(a.max()) + 1
        mags = 2.0 ** np.arange(lo, hi + 1 / 16, 1 / 16)
        edges = np.concatenate([-mags[::-1], [0.0], mags])
        h, _ = np.histogram(d, bins=edges)
        idx = np.clip(np.searchsorted(edges, d, side="right") - 1, 0, len(h) - 1)
        dens = h[idx] / len(d) / np.diff(edges)[idx]
        p = np.minimum(dens * ulp, 1.0)
        total += float(-np.log2(p).sum())
    return total / 8 + len(ft.header_bytes)


if __name__ == "__main__":
    b = bound(sys.argv[1], sys.argv[2])
    n = len(SafeTensors(sys.argv[2]).data)
    print(f"{b:.0f} bytes, {100 * b / n:.2f}% of the file")
