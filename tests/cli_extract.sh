#!/usr/bin/env bash
# znn extract and znn list --tensors: tensors and byte ranges out of compressed safetensors
# files, decoding only the chunks they lie in.
# Usage: tests/cli_extract.sh path/to/znn
set -euo pipefail
# shellcheck source=tests/check.sh
source "$(dirname "${BASH_SOURCE[0]}")/check.sh"

ZNN=$(realpath "${1:?usage: cli_extract.sh ZNN_BINARY}")
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
cd "$SCRATCH"

# A safetensors file of several tensors and dtypes, with metadata: 8-byte LE length, JSON, data.
python3 - model.safetensors <<'PY'
import json, random, struct, sys
rng = random.Random(3)
tensors = [("embed.weight", "BF16", [64, 300]), ("layers.0.weight", "BF16", [300, 64]),
           ("layers.0.bias", "F32", [64]), ("layers.1.weight", "BF16", [300, 64]),
           ("layers.1.bias", "F32", [64]), ("steps", "I64", [1]), ("empty", "F16", [0, 8]),
           ("head.weight", "F32", [64, 100])]
size = {"BF16": 2, "F16": 2, "F32": 4, "I64": 8}
header, data = {"__metadata__": {"format": "pt", "origin": "test"}}, bytearray()
for name, dtype, shape in tensors:
    n = size[dtype]
    for d in shape:
        n *= d
    header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + n]}
    data += rng.randbytes(n // 2) + bytes(n - n // 2)
text = json.dumps(header).encode()
text += b" " * (-len(text) % 8)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + data)
PY
"$ZNN" compress -q --chunk-size 4096 model.safetensors

# Checks that EXTRACTED is a valid safetensors file holding exactly the named tensors of
# ORIGINAL, bytes, dtypes and shapes equal, packed in the original data order, metadata kept.
valid_extract() {  # valid_extract ORIGINAL EXTRACTED NAME...
    python3 - "$@" <<'PY'
import json, struct, sys
def load(path):
    b = open(path, "rb").read()
    (n,) = struct.unpack("<Q", b[:8])
    return json.loads(b[8:8 + n]), b[8 + n:], n
(oh, od, _), (eh, ed, n) = load(sys.argv[1]), load(sys.argv[2])
assert n % 8 == 0, "header not padded to 8 bytes"
assert eh.pop("__metadata__") == oh["__metadata__"], "metadata lost"
assert sorted(eh) == sorted(sys.argv[3:]), sorted(eh)
order = sorted(eh, key=lambda k: oh[k]["data_offsets"][0])
at = 0
for k in order:
    e, o = eh[k], oh[k]
    assert e["dtype"] == o["dtype"] and e["shape"] == o["shape"], k
    assert e["data_offsets"] == [at, at + o["data_offsets"][1] - o["data_offsets"][0]], k
    assert ed[e["data_offsets"][0]:e["data_offsets"][1]] == od[o["data_offsets"][0]:o["data_offsets"][1]], k
    at = e["data_offsets"][1]
assert at == len(ed)
PY
}

check "one tensor" "$ZNN" extract model.safetensors.znn --tensor layers.0.weight -o one.safetensors
check "one tensor: valid, its bytes" valid_extract model.safetensors one.safetensors layers.0.weight
check "names and globs" "$ZNN" extract model.safetensors.znn --tensor head.weight --tensor 'layers.*.bias' \
    --tensor steps -o some.safetensors
check "names and globs: valid" valid_extract model.safetensors some.safetensors head.weight layers.0.bias layers.1.bias steps
check "a tensor named twice is kept once" "$ZNN" extract model.safetensors.znn --tensor embed.weight \
    --tensor 'embed.*' -o twice.safetensors
check "a tensor named twice: valid" valid_extract model.safetensors twice.safetensors embed.weight
check "an empty tensor" "$ZNN" extract model.safetensors.znn --tensor empty -o empty.safetensors
check "an empty tensor: valid" valid_extract model.safetensors empty.safetensors empty
check "to stdout with -c" bash -c "'$ZNN' extract -c model.safetensors.znn --tensor steps >c.safetensors"
check "to stdout: valid" valid_extract model.safetensors c.safetensors steps
check "to stdout when not a terminal, without -o" bash -c "'$ZNN' extract model.safetensors.znn --tensor steps | cmp - c.safetensors"

# Only the chunks of the tensor are decoded: -v counts them.
"$ZNN" extract -v model.safetensors.znn --tensor layers.0.bias -o bias.safetensors 2>verbose.txt
check "-v says which chunks were decoded" grep -q "1 tensor, .* (1 of [0-9]* chunks decoded)" verbose.txt

# Byte ranges.
check "a range" "$ZNN" extract model.safetensors.znn --range 1000:5000 -o range.bin
check "a range: its bytes" cmp range.bin <(tail -c +1001 model.safetensors | head -c 5000)
check "a range to the end" "$ZNN" extract model.safetensors.znn --range 70000: -o tail.bin
check "a range to the end: its bytes" cmp tail.bin <(tail -c +70001 model.safetensors)
check "an empty range" "$ZNN" extract model.safetensors.znn --range 0:0 -o nothing.bin
check "an empty range: empty" [ ! -s nothing.bin ]
size=$(stat -c %s model.safetensors)
check "the whole content as a range" "$ZNN" extract model.safetensors.znn --range 0:$size -o all.bin
check "the whole content: equal" cmp all.bin model.safetensors

# Errors: exit 1 (data) or 2 (usage), one line, nothing left behind.
status() { local s=0; "$@" 2>err.txt || s=$?; echo $s; }
check "no such tensor: exit 1" [ "$(status "$ZNN" extract model.safetensors.znn --tensor nope -o x.st)" = 1 ]
check "no such tensor: says so" grep -q "model.safetensors.znn: no tensor named 'nope'" err.txt
check "no such tensor: no output" [ ! -e x.st ]
check "a glob matching nothing: exit 1" [ "$(status "$ZNN" extract model.safetensors.znn --tensor 'x.*' -o x.st)" = 1 ]
check "a glob matching nothing: says so" grep -q "no tensor matches 'x.\*'" err.txt
check "a range past the end: exit 1" [ "$(status "$ZNN" extract model.safetensors.znn --range $((size - 10)):11 -o x.bin)" = 1 ]
check "a range past the end: no output" [ ! -e x.bin ]
check "a bad range: exit 2" [ "$(status "$ZNN" extract model.safetensors.znn --range 12 -o x.bin)" = 2 ]
check "a bad range number: exit 2" [ "$(status "$ZNN" extract model.safetensors.znn --range 1k:5 -o x.bin)" = 2 ]
check "neither --tensor nor --range: exit 2" [ "$(status "$ZNN" extract model.safetensors.znn -o x.bin)" = 2 ]
check "both --tensor and --range: exit 2" [ "$(status "$ZNN" extract model.safetensors.znn --tensor steps --range 0:1 -o x.bin)" = 2 ]
check "an existing output needs -f: exit 1" [ "$(status "$ZNN" extract model.safetensors.znn --tensor steps -o one.safetensors)" = 1 ]
check "an existing output is kept" valid_extract model.safetensors one.safetensors layers.0.weight
check "-f overwrites" "$ZNN" extract -f model.safetensors.znn --tensor steps -o one.safetensors
check "-f overwrites: the new content" valid_extract model.safetensors one.safetensors steps
head -c 20000 /dev/urandom >raw.bin
"$ZNN" compress -q raw.bin
check "tensors of content that is not safetensors: exit 1" [ "$(status "$ZNN" extract raw.bin.znn --tensor steps -o x.st)" = 1 ]
check "not safetensors: says so" grep -q "raw.bin.znn: not a safetensors file" err.txt
check "not a .znn file: exit 1" [ "$(status "$ZNN" extract model.safetensors --tensor steps -o x.st)" = 1 ]
check "nothing left behind" [ -z "$(find . -name '*.znn-tmp' -o -name x.st -o -name x.bin)" ]

# A corrupt chunk fails the tensors in it, and only those: a byte in the middle of the last
# chunk block (located through the footer and the seek table), which holds head.weight's end.
cp model.safetensors.znn bad.safetensors.znn
python3 - bad.safetensors.znn <<'PY'
import struct, sys
f = open(sys.argv[1], "r+b")
b = f.read()
(count,) = struct.unpack("<Q", b[-36:-28])
table = len(b) - 36 - 16 * count
(last_block,) = struct.unpack("<Q", b[table + 16 * (count - 1):table + 16 * (count - 1) + 8])
at = table - 8 - last_block // 2
f.seek(at)
f.write(bytes([b[at] ^ 0x55]))
PY
check "a corrupt chunk: its tensor fails" [ "$(status "$ZNN" extract bad.safetensors.znn --tensor head.weight -o x.st)" = 1 ]
check "a corrupt chunk: the error names the file and chunk" grep -q "bad.safetensors.znn: .*(chunk [0-9]*" err.txt
check "a corrupt chunk: no output left" [ ! -e x.st ]
check "a corrupt chunk: other tensors still extract" "$ZNN" extract bad.safetensors.znn --tensor 'layers.*' -o ok.safetensors
check "a corrupt chunk: and are right" valid_extract model.safetensors ok.safetensors layers.0.weight layers.0.bias layers.1.weight layers.1.bias

# list --tensors.
"$ZNN" list --tensors model.safetensors.znn >list.txt
check "list --tensors: a header line" grep -q "^name .* dtype .* shape .* size .* chunks$" list.txt
check "list --tensors: every tensor" [ "$(($(wc -l <list.txt) - 1))" -eq 8 ]
check "list --tensors: dtype and shape" grep -qE "^layers.0.weight +BF16 +\[300, 64\] +37.5 KiB +[0-9]+-[0-9]+$" list.txt
check "list --tensors: an empty tensor spans no chunk" grep -qE "^empty +F16 +\[0, 8\] +0 B +-$" list.txt
check "list --tensors: a small tensor spans one chunk" grep -qE "^steps +I64 +\[1\] +8 B +[0-9]+$" list.txt
check "list --tensors: chunks in order" python3 - list.txt <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1]).read().splitlines()[1:]]
last = 0
for r in rows:
    if r[-1] == "-":
        continue
    first, _, end = r[-1].partition("-")
    assert int(first) >= last, r
    last = int(end or first)
PY
check "list --tensors -v: metadata" bash -c "'$ZNN' list -v --tensors model.safetensors.znn | grep -q '__metadata__ {\"format\":\"pt\",\"origin\":\"test\"}'"
check "list --tensors of two files: headed by name" bash -c "'$ZNN' list --tensors model.safetensors.znn bad.safetensors.znn | grep -c '\\.znn:\$' | grep -qx 2"
check "list --tensors of content that is not safetensors: exit 1" not "$ZNN" list --tensors raw.bin.znn 2>/dev/null

finish cli_extract
