#!/usr/bin/python3
"""Delta coding figures for issue #17: znn --base against the BitX-style baseline.

    /usr/bin/python3 scripts/bench_delta.py [--znn build/znn] [--runs 5] [PAIRS_DIR]

PAIRS_DIR holds {small,medium}/{bf16,fp16,fp32}/{base,finetune,next}.safetensors, as
scripts/make_delta_pairs.py writes them. For each pair (base -> finetune, base -> next) it
prints the size of `znn compress --base`, that size as a share of the BitX baseline
(scripts/bitx_baseline.py) and of `znn compress` without a base, and the whole-process
times of -T1 compression and decompression with and without the base: the runs without
and with the base alternate, N pairs after one warm-up pair, and the table gives the
median time of each and the median of the pairs' speed ratios (pairing keeps the ratio
meaningful on a machine whose speed drifts). Every delta file is decompressed and
compared with its source.
"""

import argparse
import filecmp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

try:
    from bitx_baseline import bitx
except ImportError as e:  # numpy or zstandard missing
    print(f"skipped: {e}")
    sys.exit(77)


def run_time(cmd):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - t0


def paired(cmd_plain, cmd_base, runs):
    """Median times of both commands and the median speed ratio plain / base, in turn."""
    run_time(cmd_plain)
    run_time(cmd_base)
    plain, base = [], []
    for _ in range(runs):
        plain.append(run_time(cmd_plain))
        base.append(run_time(cmd_base))
    ratio = statistics.median(p / b for p, b in zip(plain, base))
    return statistics.median(plain), statistics.median(base), ratio


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pairs", nargs="?", default="/work/delta-research/pairs")
    ap.add_argument("--znn", default=str(HERE.parent / "build" / "znn"))
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    root = Path(a.pairs)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for size in ("small", "medium"):
            for dtype in ("bf16", "fp16", "fp32"):
                d = root / size / dtype
                if not (d / "base.safetensors").exists():
                    continue
                for kind in ("finetune", "next"):
                    ft = d / f"{kind}.safetensors"
                    base = d / "base.safetensors"
                    delta, plain, out = tmp / "d.znn", tmp / "p.znn", tmp / "out"
                    z = [a.znn]
                    c_base = z + ["compress", "-T1", "-qf", "--base", str(base), str(ft), "-o", str(delta)]
                    c_plain = z + ["compress", "-T1", "-qf", str(ft), "-o", str(plain)]
                    d_base = z + ["decompress", "-T1", "-qf", "--base", str(base), str(delta), "-o", str(out)]
                    d_plain = z + ["decompress", "-T1", "-qf", str(plain), "-o", str(out)]
                    tc_plain, tc_base, rc = paired(c_plain, c_base, a.runs)
                    td_plain, td_base, rd = paired(d_plain, d_base, a.runs)
                    if not filecmp.cmp(out, ft, shallow=False):
                        sys.exit(f"round trip failed: {ft}")
                    bx = bitx(str(base), str(ft))["total"]
                    rows.append((f"{size}-{dtype}-{kind}", ft.stat().st_size, delta.stat().st_size,
                                 plain.stat().st_size, bx, tc_plain, tc_base, rc, td_plain, td_base,
                                 rd))
                    os.unlink(out)
    print("| pair | original | znn --base | % of BitX | % of no base | BitX | no base "
          "| compress -T1 no base / base (speed ratio) | decompress -T1 no base / base (speed ratio) |")
    print("|---|---:|---:|---:|---:|---:|---:|---|---|")
    for name, orig, dz, pz, bx, tcp, tcb, rc, tdp, tdb, rd in rows:
        print(f"| {name} | {orig:,} | {dz:,} | {100 * dz / bx:.1f} | {100 * dz / pz:.1f} | {bx:,} "
              f"| {pz:,} | {tcp * 1e3:.0f} / {tcb * 1e3:.0f} ms ({rc:.2f}x) "
              f"| {tdp * 1e3:.0f} / {tdb * 1e3:.0f} ms ({rd:.2f}x) |")


if __name__ == "__main__":
    main()
