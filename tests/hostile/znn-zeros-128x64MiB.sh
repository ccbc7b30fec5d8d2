#!/usr/bin/env bash
# Makes znn-zeros-128x64MiB.znn: 128 chunks of 64 MiB of zeros, 8 GiB in 5,940 bytes. Each
# chunk decodes into a 64 MiB buffer, so decoding it with many threads once took memory in
# proportion to the thread count (3.7 GB at -T32) and page-faulted a fresh 64 MiB mapping
# per chunk. tests/cli_resources.sh decodes it at -T1, -T8 and -T32 and checks the peak
# RSS stays within the pipeline's byte budget.
# Usage: tests/hostile/znn-zeros-128x64MiB.sh path/to/znn > znn-zeros-128x64MiB.znn
set -euo pipefail
head -c $((128 << 26)) /dev/zero | "${1:?usage: $0 path/to/znn}" compress -q --chunk-size 67108864 -T2 -c
