#!/usr/bin/env bash
# Benchmarks znn against zstd on real model files (default: ../shared/data).
#   1. `znn bench` (in memory, one thread): ratio and speed vs zstd -1/-3 on the same buffer.
#   2. Whole processes, one thread, file to file: znn vs `zstd -1 -T1` (best of 3 runs).
# Usage: scripts/bench.sh [BUILD_DIR] [DATA_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
data=${2:-$here/../shared/data}
znn=$build/znn
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

files=()
while IFS= read -r f; do files+=("$f"); done < <(find "$data" -type f \( -name '*.safetensors' -o -name '*.bin' -o -name '*.onnx' \) | sort)

echo "== znn bench (in memory, 1 thread)"
"$znn" bench -T1 "${files[@]}"

best_of_3() {  # prints the fastest wall time in seconds of the command
    local best=1e9 t
    for _ in 1 2 3; do
        /usr/bin/time -f %e -o "$scratch/time" "$@" >/dev/null 2>&1
        t=$(tail -1 "$scratch/time")
        best=$(echo "$t $best" | awk '{print ($1 < $2) ? $1 : $2}')
    done
    echo "$best"
}

echo
echo "== whole processes, 1 thread, file to file (MB/s, best of 3)"
printf '%-50s %10s %10s %10s %10s %8s %8s\n' file znn-c zstd1-c znn-d zstd1-d c-ratio d-ratio
for f in "${files[@]}"; do
    size=$(stat -c %s "$f")
    cp "$f" "$scratch/in"
    "$znn" compress -q -f -T1 "$scratch/in" -o "$scratch/in.znn"
    zstd -q -f -1 -T1 "$scratch/in" -o "$scratch/in.zst"
    zc=$(best_of_3 "$znn" compress -q -f -T1 "$scratch/in" -o "$scratch/in.znn")
    sc=$(best_of_3 zstd -q -f -1 -T1 "$scratch/in" -o "$scratch/in.zst")
    zd=$(best_of_3 "$znn" decompress -q -f -T1 "$scratch/in.znn" -o "$scratch/out")
    sd=$(best_of_3 zstd -q -d -f -T1 "$scratch/in.zst" -o "$scratch/out")
    awk -v n="$size" -v f="$(basename "$f")" -v zc="$zc" -v sc="$sc" -v zd="$zd" -v sd="$sd" 'BEGIN {
        m = n / 1e6; printf "%-50s %10.0f %10.0f %10.0f %10.0f %7.2fx %7.2fx\n", f, m/zc, m/sc, m/zd, m/sd, sc/zc, sd/zd }'
done
