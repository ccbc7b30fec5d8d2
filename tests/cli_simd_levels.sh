#!/usr/bin/env bash
# ZNN_FORCE_ISA through the CLI: every instruction-set level this CPU has writes the same
# .znn bytes and restores the same files; an unknown level is reported and ignored.
# Levels the CPU lacks are noted and skipped (exit 77 when none but scalar could run).
# Usage: tests/cli_simd_levels.sh path/to/znn path/to/tests/golden
set -uo pipefail

ZNN=$(realpath "${1:?usage: cli_simd_levels.sh ZNN_BINARY GOLDEN_DIR}")
GOLDEN=$(realpath "${2:?usage: cli_simd_levels.sh ZNN_BINARY GOLDEN_DIR}")
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/znn-cli-simd.XXXXXX") || exit 1
trap 'rm -rf "$SCRATCH"' EXIT
cd "$SCRATCH" || exit 1

# shellcheck source=tests/check.sh
source "$(dirname "${BASH_SOURCE[0]}")/check.sh"

# Inputs for every layout: the golden files' originals, each with the dtype it was made with.
declare -A dtype=([bf16]=bf16 [bf16x]=bf16 [fp32_bf16prec]=fp32 [fp8]=fp8 [text]=bytes
                  [tiny.safetensors]=auto [chunked_bf16]=auto)
python3 - <<'PY' || { echo "cli_simd_levels: python3 failed to generate data"; exit 1; }
import random, struct
rng = random.Random(7)
# FP16 and FP32 of odd lengths, so every kernel sees whole vector steps and a tail.
open('fp16.raw', 'wb').write(b''.join(struct.pack('<e', rng.gauss(0, 0.02)) for _ in range(50001)))
open('fp32.raw', 'wb').write(b''.join(struct.pack('<f', rng.gauss(0, 0.02)) for _ in range(30001)) + b'xyz')
PY
for name in "${!dtype[@]}"; do
    src=$GOLDEN/$name.raw
    [[ $name == chunked_bf16 ]] && src=$GOLDEN/bf16.raw
    cp "$src" "$name.raw"
done
dtype[fp16]=fp16
dtype[fp32]=fp32

# compress_all DIR [ENV...]: compresses every input into DIR with the environment given.
compress_all() {
    local dir=$1
    shift
    mkdir -p "$dir"
    for name in "${!dtype[@]}"; do
        local args=(-q -f -T2)
        [[ ${dtype[$name]} != auto ]] && args+=(--dtype "${dtype[$name]}")
        [[ $name == chunked_bf16 ]] && args+=(--chunk-size 1024)
        env "$@" "$ZNN" compress "${args[@]}" "$name.raw" -o "$dir/$name.znn" 2>>"$dir/stderr" || return 1
    done
}

check "compress at the default level" compress_all default

"$ZNN" compress -q -T2 --base "$GOLDEN/delta_base.safetensors.raw" \
    -c "$GOLDEN/delta_ft.safetensors.raw" >delta_default.znn

cpu_has() {
    case $1 in
        scalar) return 0 ;;
        avx512) for flag in avx512f avx512bw avx512vl avx512vbmi avx512_vbmi2; do
                    grep -qw "$flag" /proc/cpuinfo || return 1
                done ;;
        *) grep -qw "$1" /proc/cpuinfo ;;
    esac
}
ran=()
for level in scalar sse2 ssse3 avx2 avx512; do
    if ! cpu_has "$level"; then
        echo "note: this CPU lacks $level: skipped"
        continue
    fi
    ran+=("$level")
    check "$level: compress" compress_all "$level" ZNN_FORCE_ISA="$level"
    check "$level: nothing on stderr" test ! -s "$level/stderr"
    for name in "${!dtype[@]}"; do
        check "$level: $name.znn is the same bytes" cmp -s "default/$name.znn" "$level/$name.znn"
        check "$level: $name restores" bash -c \
            "ZNN_FORCE_ISA=$level '$ZNN' decompress -q -T2 -c default/$name.znn | cmp -s - $name.raw"
    done
    check "$level: a delta file is the same bytes" bash -c \
        "ZNN_FORCE_ISA=$level '$ZNN' compress -q -T2 --base '$GOLDEN/delta_base.safetensors.raw' \
            -c '$GOLDEN/delta_ft.safetensors.raw' | cmp -s - delta_default.znn"
    # The golden files decode at this level too.
    for golden in "$GOLDEN"/*.znn; do
        raw=${golden%.znn}.raw
        [[ -f $raw ]] || continue
        base=()  # the delta golden file decodes against its base
        [[ $(basename "$golden") == delta_* ]] && base=(--base "$GOLDEN/delta_base.safetensors.raw")
        check "$level: $(basename "$golden") decodes" bash -c \
            "ZNN_FORCE_ISA=$level '$ZNN' decompress -q ${base[*]} -c '$golden' | cmp -s - '$raw'"
    done
done
echo "note: levels run: ${ran[*]}"

# An unknown level: one warning line, then the work is done at the best level.
ZNN_FORCE_ISA=avx1024 "$ZNN" compress -q -f --dtype bf16 bf16.raw -o unknown.znn 2>err.txt
check "an unknown level still compresses" cmp -s unknown.znn default/bf16.znn
check "an unknown level is reported once" test "$(grep -c 'ZNN_FORCE_ISA=avx1024' err.txt)" -eq 1

echo "cli_simd_levels: $passed passed, $failed failed"
[[ $failed -eq 0 ]] || exit 1
[[ ${#ran[@]} -gt 1 ]] || exit 77
