#!/usr/bin/env bash
# The README's Use section, run as written, top to bottom, with the built znn first on PATH,
# in a scratch folder holding the files it names.
# Usage: tests/readme_use.sh <path to built znn> <source dir>
set -uo pipefail

if [[ $# -ne 2 || ! -x $1 ]]; then
    echo "usage: $0 <znn binary> <source dir>" >&2
    exit 2
fi
bin_dir=$(cd "$(dirname "$1")" && pwd)
readme=$(cd "$2" && pwd)/README.md
scratch=$(mktemp -d "${TMPDIR:-/tmp}/znn-readme.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT
cd "$scratch" || exit 1

# The block: the first ```sh fence after the "## Use" heading.
awk '/^## Use$/ { use = 1; next }
     use && /^## / { exit }
     use && /^```sh$/ { inside = 1; next }
     inside && /^```$/ { exit }
     inside { print }' "$readme" >use.sh
if [[ $(grep -c . use.sh) -lt 5 ]]; then
    echo "readme_use: no Use block found in $readme"
    exit 1
fi

# The files it names: small BF16 safetensors files (one, and a sharded model with its
# index), raw bytes.
python3 - <<'EOF' || { echo "readme_use: python3 failed to make the files"; exit 1; }
import json, os, random, struct
rng = random.Random(7)

def bf16(n):
    out = bytearray()
    for _ in range(n):
        out += struct.pack('<f', rng.gauss(0.0, 0.02))[2:]
    return bytes(out)

def safetensors(path, tensors):
    header, data = {}, b''
    for name, raw in tensors:
        header[name] = {'dtype': 'BF16', 'shape': [len(raw) // 2],
                        'data_offsets': [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header).encode()
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + data)

safetensors('model.safetensors', [('a.weight', bf16(60000)), ('b.weight', bf16(40000))])
open('a.bin', 'wb').write(bf16(30000))
open('b.bin', 'wb').write(bf16(20000))
open('x', 'wb').write(bf16(25000))
os.mkdir('model_dir')
weight_map = {}
for i, name in enumerate(['c.weight', 'd.weight']):
    shard = 'model-%05d-of-00002.safetensors' % (i + 1)
    safetensors('model_dir/' + shard, [(name, bf16(30000))])
    weight_map[name] = shard
json.dump({'metadata': {'total_size': 120000}, 'weight_map': weight_map},
          open('model_dir/model.safetensors.index.json', 'w'), indent=2)
open('model_dir/config.json', 'w').write('{"model_type": "test"}\n')
EOF
cp model.safetensors model.orig

PATH="$bin_dir:$PATH" bash -e -o pipefail -x use.sh >out.txt 2>err.txt
rc=$?
if [[ $rc -ne 0 ]]; then
    echo "readme_use: the Use block failed (exit $rc):"
    tail -n 15 err.txt
    exit 1
fi

# And it did what its comments say.
fail=0
want() {  # want DESCRIPTION COMMAND...
    local what=$1
    shift
    "$@" || { echo "readme_use: FAIL: $what"; fail=1; }
}
want "model.safetensors kept and unchanged" cmp -s model.safetensors model.orig
want "copy.safetensors is the original" cmp -s copy.safetensors model.orig
want "a.bin and b.bin removed" test ! -e a.bin -a ! -e b.bin
want "a.bin.znn and b.bin.znn written" test -s a.bin.znn -a -s b.bin.znn
want "x.znn decodes to x" bash -c "'$bin_dir/znn' decompress -c x.znn | cmp -s - x"
want "the shards compressed" test -s model_dir/model-00001-of-00002.safetensors.znn
want "list of a folder ends with its total" grep -q '(total of 2 files)' out.txt
want "config.json left alone" test ! -e model_dir/config.json.znn
[[ $fail -eq 0 ]] || exit 1
echo "readme_use: the Use block ran, $(grep -c . use.sh) lines"
