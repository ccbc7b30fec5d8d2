#!/usr/bin/env bash
# A file over 4 GiB through the CLI: 64-bit sizes and the positional reads workers make at
# offsets past 4 GiB. The file is sparse (no disk), so the cost is reading 4 GiB of holes.
# Usage: tests/cli_large_file.sh path/to/znn
set -euo pipefail

ZNN=$(realpath "${1:?usage: cli_large_file.sh ZNN_BINARY}")
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
cd "$SCRATCH"

# shellcheck source=tests/check.sh
source "$(dirname "${BASH_SOURCE[0]}")/check.sh"

# 4 GiB + 5 bytes: markers near the start and in the last bytes, holes elsewhere.
size=$(( (1 << 32) + 5 ))
truncate -s "$size" big.bin
printf 'head' | dd of=big.bin bs=1 seek=1000 conv=notrunc status=none
printf 'MARK!' | dd of=big.bin bs=1 seek=$(( 1 << 32 )) conv=notrunc status=none

check "compress a 4 GiB + 5 B file with 2 threads" "$ZNN" compress -q -T2 big.bin
original=$("$ZNN" list big.bin.znn | awk 'NR == 2 { print $4, $5 }')
check "list shows the 64-bit size ($original)" test "$original" = "4.00 GiB"
check "the whole file comes back, the marker past 4 GiB included" bash -c "'$ZNN' decompress -q -T2 -c big.bin.znn | cmp -s - big.bin"

finish cli_large_file
