#!/usr/bin/env bash
# Regenerates fuzz/corpus/: small valid .znn files of every layout and codec, and damaged
# copies of them, as seeds for fuzz_decompress. Usage: fuzz/make_corpus.sh path/to/znn
# The files are committed; rerun this only when the format gains a layout or codec.
set -euo pipefail
ZNN=$(realpath "$1")
OUT=$(cd "$(dirname "$0")" && pwd)/corpus
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
rm -f "$OUT"/*.znn
cd "$WORK"
PY=$(command -v /usr/bin/python3 || command -v python3)
"$PY" - <<'PY'
import json, random, struct
rng = random.Random(1)
def floats(n, scale):
    return [rng.gauss(0.0, scale) for _ in range(n)]
def bf16(values):  # truncated fp32
    return b"".join(struct.pack("<I", struct.unpack("<I", struct.pack("<f", v))[0])[2:] for v in values)
def fp16(values):
    return b"".join(struct.pack("<e", v) for v in values)
def fp32(values):
    return b"".join(struct.pack("<f", v) for v in values)
open("bf16.raw", "wb").write(bf16(floats(3000, 0.02)))
open("bf16_wide.raw", "wb").write(bf16(floats(3000, 4.0)))
open("fp16.raw", "wb").write(fp16(floats(3000, 0.02)))
open("fp32.raw", "wb").write(fp32(floats(1500, 0.02)))
open("fp32_bf16prec.raw", "wb").write(fp32([struct.unpack("<f", struct.pack("<I", struct.unpack("<I", struct.pack("<f", v))[0] & 0xFFFF0000))[0] for v in floats(1500, 0.02)]))
open("fp8.raw", "wb").write(bytes(min(255, max(0, int(rng.gauss(100, 10)))) ^ (rng.getrandbits(1) << 7) for _ in range(6000)))
open("text.raw", "wb").write(b"the quick brown fox jumps over the lazy dog\n" * 60)
open("random.raw", "wb").write(bytes(rng.getrandbits(8) for _ in range(3000)))
open("constant.raw", "wb").write(b"\0" * 6000)
open("empty.raw", "wb").write(b"")
# A safetensors file with a region of each integer width, so the byte-group layouts appear.
tensors = [("a", "BF16", bf16(floats(512, 0.02))), ("b", "I16", struct.pack("<512h", *range(512))),
           ("c", "I32", struct.pack("<256i", *range(0, 25600, 100))), ("d", "I64", struct.pack("<128q", *range(128))),
           ("e", "F16", fp16(floats(512, 0.02))), ("f", "F32", fp32(floats(256, 0.02))), ("g", "U8", bytes(range(256)))]
header, data = {}, b""
for name, dtype, blob in tensors:
    header[name] = {"dtype": dtype, "shape": [len(blob)], "data_offsets": [len(data), len(data) + len(blob)]}
    data += blob
h = json.dumps(header).encode()
h += b" " * (-len(h) % 8)
open("mixed.safetensors.raw", "wb").write(struct.pack("<Q", len(h)) + h + data)
PY
"$ZNN" compress -q bf16.raw -o "$OUT/bf16.znn" --dtype bf16
"$ZNN" compress -q bf16_wide.raw -o "$OUT/bf16_wide.znn" --dtype bf16
# BF16 below 2 in magnitude with a skewed top mantissa bit: the golden file that takes bf16x.
"$ZNN" compress -q "$OUT/../../tests/golden/bf16x.raw" -o "$OUT/bf16x.znn" --dtype bf16
"$ZNN" compress -q fp16.raw -o "$OUT/fp16.znn" --dtype fp16
"$ZNN" compress -q fp32.raw -o "$OUT/fp32.znn" --dtype fp32
"$ZNN" compress -q fp32_bf16prec.raw -o "$OUT/fp32_constant_planes.znn" --dtype fp32
"$ZNN" compress -q fp8.raw -o "$OUT/fp8.znn" --dtype fp8
"$ZNN" compress -q text.raw -o "$OUT/text_zstd.znn" --dtype bytes
"$ZNN" compress -q random.raw -o "$OUT/random_stored.znn"
"$ZNN" compress -q constant.raw -o "$OUT/constant.znn"
"$ZNN" compress -q empty.raw -o "$OUT/empty.znn"
"$ZNN" compress -q mixed.safetensors.raw -o "$OUT/mixed_safetensors.znn"
"$ZNN" compress -q bf16.raw -o "$OUT/chunked_probed.znn" --chunk-size 1024
cat "$OUT/bf16.znn" "$OUT/text_zstd.znn" "$OUT/empty.znn" >"$OUT/concatenated.znn"
# Damaged copies: truncated, a flipped byte in the header, a chunk, the seek table and the
# footer, and trailing garbage.
damage() {  # damage SRC DEST OFFSET_FROM_START_OR_NEGATIVE_FROM_END
    "$PY" -c 'import sys
b = bytearray(open(sys.argv[1], "rb").read()); o = int(sys.argv[3])
b[o] ^= 0x5A
open(sys.argv[2], "wb").write(b)' "$1" "$2" "$3"
}
head -c 1000 "$OUT/bf16.znn" >"$OUT/bad_truncated.znn"
damage "$OUT/bf16.znn" "$OUT/bad_header.znn" 5
damage "$OUT/bf16.znn" "$OUT/bad_chunk_header.znn" 12
damage "$OUT/bf16.znn" "$OUT/bad_payload.znn" 600
damage "$OUT/chunked_probed.znn" "$OUT/bad_seek_table.znn" -60
damage "$OUT/mixed_safetensors.znn" "$OUT/bad_footer.znn" -10
{ cat "$OUT/fp8.znn"; printf 'trailing'; } >"$OUT/bad_trailing.znn"
for f in "$OUT"/*.znn; do
    case $(basename "$f") in
        bad_*) ! "$ZNN" test -q "$f" 2>/dev/null || { echo "still valid: $f" >&2; exit 1; } ;;
        *) "$ZNN" test -q "$f" ;;
    esac
done
ls -l "$OUT"
