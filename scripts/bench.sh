#!/usr/bin/env bash
# Benchmarks znn against zstd on real model files (default: ../shared/data).
#   1. `znn bench` (in memory, one thread): ratio and speed vs zstd -1/-3 on the same buffer.
#   2. Whole processes, one thread, file to file: znn vs `zstd -1 -T1` (hyperfine medians).
# Usage: scripts/bench.sh [BUILD_DIR] [DATA_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
data=${2:-$here/../shared/data}
znn=$build/znn
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

command -v hyperfine >/dev/null || { echo "scripts/bench.sh needs hyperfine (apt install hyperfine)" >&2; exit 1; }

files=()
while IFS= read -r f; do files+=("$f"); done < <(find "$data" -type f \( -name '*.safetensors' -o -name '*.bin' -o -name '*.onnx' \) | sort)

echo "== znn bench (in memory, 1 thread)"
"$znn" bench -T1 "${files[@]}"

# Whole processes are timed with hyperfine (apt install hyperfine): 3 warm-up runs, then
# at least 15 runs; we report the median. Outputs are removed before every run, as a
# user writing a new file would see it: replacing an existing file by rename makes ext4
# flush the new data first (auto_da_alloc), which costs znn ~50 ms on a 45 MB file and
# which zstd avoids by deleting the old file up front.
median_seconds() {  # prints the median wall time in seconds of the command
    hyperfine -N -w 3 -m 15 --export-json "$scratch/h.json" \
        --prepare "rm -f $scratch/in.znn.new $scratch/in.zst.new $scratch/out" "$1" >/dev/null 2>&1
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' "$scratch/h.json"
}

echo
echo "== whole processes, 1 thread, file to file (MB/s, median of >= 15 runs)"
printf '%-50s %10s %10s %10s %10s %8s %8s\n' file znn-c zstd1-c znn-d zstd1-d c-ratio d-ratio
for f in "${files[@]}"; do
    size=$(stat -c %s "$f")
    cp "$f" "$scratch/in"
    "$znn" compress -q -f -T1 "$scratch/in" -o "$scratch/in.znn"
    zstd -q -f -1 -T1 "$scratch/in" -o "$scratch/in.zst"
    zc=$(median_seconds "$znn compress -q -T1 $scratch/in -o $scratch/in.znn.new")
    sc=$(median_seconds "zstd -q -1 -T1 $scratch/in -o $scratch/in.zst.new")
    zd=$(median_seconds "$znn decompress -q -T1 $scratch/in.znn -o $scratch/out")
    sd=$(median_seconds "zstd -q -d -T1 $scratch/in.zst -o $scratch/out")
    awk -v n="$size" -v f="$(basename "$f")" -v zc="$zc" -v sc="$sc" -v zd="$zd" -v sd="$sd" 'BEGIN {
        m = n / 1e6; printf "%-50s %10.0f %10.0f %10.0f %10.0f %7.2fx %7.2fx\n", f, m/zc, m/sc, m/zd, m/sd, sc/zc, sd/zd }'
done
