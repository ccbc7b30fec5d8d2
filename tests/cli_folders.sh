#!/usr/bin/env bash
# Model folders end to end: folder round trips, index.json sync, `znn index`, and the Hugging Face
# cache layout (shared blobs must never change, links must never dangle).
# Usage: tests/cli_folders.sh path/to/znn
set -euo pipefail

ZNN=$(realpath "${1:?usage: cli_folders.sh ZNN_BINARY}")
HERE=$(cd "$(dirname "$0")" && pwd)
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
cd "$SCRATCH"

# shellcheck source=tests/check.sh
source "$HERE/check.sh"
quiet() { "$@" 2>/dev/null; }
no_dangling_links() { [ -z "$(find "$1" -xtype l)" ]; }
unused_blobs() {  # unused_blobs REPO: the blobs no link under REPO/snapshots resolves to
    python3 - "$1" <<'PY'
import os, sys
root = sys.argv[1]
blobs = {os.path.realpath(os.path.join(root, "blobs", b)) for b in os.listdir(os.path.join(root, "blobs"))}
for folder, _, files in os.walk(os.path.join(root, "snapshots")):
    for f in files:
        blobs.discard(os.path.realpath(os.path.join(folder, f)))
print(" ".join(sorted(os.path.basename(b) for b in blobs)))
PY
}
index_names() { python3 -c 'import json,sys; print(" ".join(sorted(set(json.load(open(sys.argv[1]))["weight_map"].values()))))' "$1"; }

# A small valid safetensors file: 8-byte LE header length, JSON header, BF16 data.
make_safetensors() {  # make_safetensors FILE SEED ELEMENTS
    python3 - "$@" <<'PY'
import json, random, struct, sys
path, seed, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
data = bytearray()
for _ in range(n):
    bits = struct.unpack("<I", struct.pack("<f", rng.gauss(0.0, 0.02)))[0]
    data += struct.pack("<H", bits >> 16)  # truncating fp32 to bf16
header = json.dumps({"weight": {"dtype": "BF16", "shape": [n], "data_offsets": [0, len(data)]}}).encode()
header += b" " * (-len(header) % 8)
with open(path, "wb") as f:
    f.write(struct.pack("<Q", len(header)) + header + data)
PY
}
write_index() {  # write_index FILE SHARD1 SHARD2
    printf '{\n  "metadata": {\n    "total_size": 1\n  },\n  "weight_map": {\n    "a.weight": "%s",\n    "b.weight": "%s",\n    "c.weight": "%s"\n  }\n}\n' "$2" "$3" "$3" >"$1"
}

# --- A plain model folder.
mkdir -p model/sub/nested
make_safetensors model/model-00001-of-00002.safetensors 1 120000
make_safetensors model/model-00002-of-00002.safetensors 2 100000
make_safetensors model/sub/nested/adapter.safetensors 3 30000
write_index model/model.safetensors.index.json model-00001-of-00002.safetensors model-00002-of-00002.safetensors
printf '{"model_type": "test", "hidden_size": 64}\n' >model/config.json
head -c 3000 /dev/urandom >model/vocab.dat  # small, not a weight: left alone
head -c 50000 /dev/urandom >prev.bin
"$ZNN" compress -q -c prev.bin >model/sub/prev.bin.znn  # already compressed: skipped
cp -a model original

# -k first: both names exist, and the index keeps naming the uncompressed files (a loader
# would fail on a .znn file).
cp -a model keep
check "compress -k folder" "$ZNN" compress -q keep
check "-k keeps sources" cmp keep/model-00001-of-00002.safetensors original/model-00001-of-00002.safetensors
check "-k index untouched" cmp keep/model.safetensors.index.json original/model.safetensors.index.json
check "-k index in line" "$ZNN" index --check keep
# An index naming a .znn file while its original is present is out of line.
sed 's/00002.safetensors"/00002.safetensors.znn"/' original/model.safetensors.index.json >keep/model.safetensors.index.json
check "--check: a .znn named while the original is present" not quiet "$ZNN" index -q --check keep
check "index: back to the original" quiet "$ZNN" index -q keep
check "index: the file is the original again" cmp keep/model.safetensors.index.json original/model.safetensors.index.json
# A named file that exists under neither name.
rm keep/model-00002-of-00002.safetensors keep/model-00002-of-00002.safetensors.znn
check "--check: a named file missing" not quiet "$ZNN" index -q --check keep
set +e
out=$("$ZNN" index --check keep 2>&1)
set -e
check "--check: names the missing file" grep -q 'missing.*model-00002-of-00002.safetensors' <<<"$out"

check "compress --rm folder" "$ZNN" compress -q --rm model
check "shards compressed" test -f model/model-00001-of-00002.safetensors.znn -a -f model/sub/nested/adapter.safetensors.znn
check "shards removed" not test -e model/model-00001-of-00002.safetensors
check "config untouched" cmp model/config.json original/config.json
check "small binary untouched" cmp model/vocab.dat original/vocab.dat
check "no vocab.dat.znn" not test -e model/vocab.dat.znn
check ".znn skipped" cmp model/sub/prev.bin.znn original/sub/prev.bin.znn
check "no .znn.znn" not test -e model/sub/prev.bin.znn.znn
check "index names .znn" [ "$(index_names model/model.safetensors.index.json)" = \
    "model-00001-of-00002.safetensors.znn model-00002-of-00002.safetensors.znn" ]
check "no temporaries left" [ -z "$(find model -name '.*')" ]
check "test folder" "$ZNN" test -q model

check "decompress --rm folder" "$ZNN" decompress -q --rm model
check "index names originals" [ "$(index_names model/model.safetensors.index.json)" = \
    "model-00001-of-00002.safetensors model-00002-of-00002.safetensors" ]
# The one pre-existing .znn is restored too; everything else must be exactly the original tree.
cp -a original expected
rm expected/sub/prev.bin.znn
cp prev.bin expected/sub/prev.bin
check "round trip tree identical" diff -r expected model

# --- An index in a formatting no JSON writer reproduces: only the names change, and a round
# trip gives back the same bytes.
mkdir -p odd/sub
make_safetensors odd/x.safetensors 41 20000
make_safetensors 'odd/y "q".safetensors' 42 20000
make_safetensors odd/sub/w.safetensors 43 20000
cat >odd/model.safetensors.index.json <<'JSON'
{"metadata": {"total_size": 1, "ratio": 1.50},
   "weight_map":{"a":"x.safetensors", "b" : "y \"q\".safetensors",
	"c": "sub\/w.safetensors", "d":"x.safetensors"}  }
JSON
cp odd/model.safetensors.index.json odd_index.json
sed 's/\.safetensors"/.safetensors.znn"/g' odd_index.json >odd_index_znn.json
check "odd index: compress --rm folder" "$ZNN" compress -q --rm odd
check "odd index: only the names changed" cmp odd/model.safetensors.index.json odd_index_znn.json
check "odd index: names the .znn files" [ "$(index_names odd/model.safetensors.index.json)" = \
    'sub/w.safetensors.znn x.safetensors.znn y "q".safetensors.znn' ]
check "odd index: decompress --rm folder" "$ZNN" decompress -q --rm odd
check "odd index: round trip byte for byte" cmp odd/model.safetensors.index.json odd_index.json

# --- znn index.
cp -a original idx
python3 - idx/model.safetensors.index.json <<'PY'
import sys
p = sys.argv[1]
t = open(p).read().replace('"model-00002-of-00002.safetensors"', '"model-00002-of-00002.safetensors.znn"')
open(p, "w").write(t)
PY
cp idx/model.safetensors.index.json stale.json
set +e
out=$("$ZNN" index --check idx 2>&1); rc=$?
set -e
check "--check out of sync exits 1" [ "$rc" -eq 1 ]
check "--check names the index" grep -q 'model.safetensors.index.json' <<<"$out"
check "--check changes nothing" cmp idx/model.safetensors.index.json stale.json
out=$("$ZNN" index idx 2>&1)
check "index reports one line" [ "$(wc -l <<<"$out")" -eq 1 ]
check "index reports the rename" grep -q 'model-00002-of-00002.safetensors.znn -> model-00002-of-00002.safetensors' <<<"$out"
check "index fixed the file" cmp idx/model.safetensors.index.json original/model.safetensors.index.json
out=$("$ZNN" index idx 2>&1)
check "second index run reports nothing" [ -z "$out" ]
check "--check in sync exits 0" "$ZNN" index --check idx
check "--check on an index file" "$ZNN" index --check idx/model.safetensors.index.json
cp stale.json idx/model.safetensors.index.json
out=$("$ZNN" index -q idx/model.safetensors.index.json 2>&1)
check "index -q silent" [ -z "$out" ]
check "index on a file fixed it" cmp idx/model.safetensors.index.json original/model.safetensors.index.json
check "index on a non-index fails" not quiet "$ZNN" index -q idx/config.json

# --- Unknown suffixes: a large file is compressed only if its content compresses.
mkdir -p unknown
head -c 1600000 /dev/urandom >unknown/random.dat
make_safetensors unknown/weights.raw 31 800000  # 1.6 MB of BF16 under a name we do not know
cp -a unknown unknown_orig
check "unknown suffixes: compress folder" "$ZNN" compress -q unknown
check "unknown suffixes: compressible large file compressed" test -e unknown/weights.raw.znn
check "unknown suffixes: random large file left alone" not test -e unknown/random.dat.znn
check "unknown suffixes: random file unchanged" cmp -s unknown/random.dat unknown_orig/random.dat

# --- Several files at once: small files run in parallel, one thread each.
mkdir -p many
for i in 1 2 3 4 5 6; do make_safetensors "many/shard-$i.safetensors" "$((20 + i))" $((20000 + 3000 * i)); done
cp -a many many_t1
cp -a many many_orig
check "parallel folder compress -T2" "$ZNN" compress -q -T2 many
check "parallel folder compress -T1" "$ZNN" compress -q -T1 many_t1
same_outputs() { for i in 1 2 3 4 5 6; do cmp -s "many/shard-$i.safetensors.znn" "many_t1/shard-$i.safetensors.znn" || return 1; done; }
check "parallel folder output independent of threads" same_outputs
rm many/shard-*.safetensors
printf 'garbage' | dd of=many/shard-4.safetensors.znn bs=1 seek=100 conv=notrunc 2>/dev/null
check "parallel folder decompress with a corrupt member fails" not quiet "$ZNN" decompress -q -T2 many
restored_but_4() { for i in 1 2 3 5 6; do cmp -s "many/shard-$i.safetensors" "many_orig/shard-$i.safetensors" || return 1; done; }
check "parallel folder: the other members restored" restored_but_4
check "parallel folder: no output for the corrupt member" not test -e many/shard-4.safetensors
check "parallel folder: no temporary files left" [ -z "$(find many -name '*.znn-tmp')" ]

# --- Hugging Face cache: two revisions sharing blobs.
hf=hub/models--org--name
make_safetensors s1 11 120000                # shared by both revisions
make_safetensors s2a 12 100000               # rev1 only
make_safetensors s2b 13 100000               # rev2 only
write_index idx.json model-00001-of-00002.safetensors model-00002-of-00002.safetensors
cp original/config.json cfg.json
link() { hf_link "$hf" "$@"; }  # link SNAPSHOT_FILE SOURCE, in the current repo $hf
named_by_content() {  # every blob a link under SNAPSHOTS leads to is named as the Hub would
    local f
    for f in $(find "$1" -type l); do
        [ "$(basename "$(readlink "$f")")" = "$(hub_name "$f")" ] || return 1
    done
}
hf_two_revisions "$hf"
cp -rL "$hf/snapshots/rev1" rev1_content
cp -rL "$hf/snapshots/rev2" rev2_content
rev2_links() { (cd "$hf/snapshots/rev2" && for f in *; do echo "$f $(readlink "$f")"; done); }
rev2_links >rev2_links.txt
(cd "$hf/blobs" && sha256sum *) >blobs_before.txt
cp -a hub hub_original
blobs_unchanged() {  # every original blob still present holds its original bytes
    (cd "$hf/blobs" && sha256sum --quiet --ignore-missing -c "$SCRATCH/blobs_before.txt")
}

check "hf compress --rm rev1" "$ZNN" compress -q --rm "$hf/snapshots/rev1"
check "hf no dangling links" no_dangling_links hub
check "hf rev1 shard is a .znn link" test -L "$hf/snapshots/rev1/model-00001-of-00002.safetensors.znn"
check "hf rev1 source link removed" not test -e "$hf/snapshots/rev1/model-00001-of-00002.safetensors"
check "hf rev1 index is a link" test -L "$hf/snapshots/rev1/model.safetensors.index.json"
check "hf rev1 index names .znn" [ "$(index_names "$hf/snapshots/rev1/model.safetensors.index.json")" = \
    "model-00001-of-00002.safetensors.znn model-00002-of-00002.safetensors.znn" ]
check "hf rev2 links unchanged" diff <(rev2_links) rev2_links.txt
check "hf rev2 content unchanged" diff -r rev2_content "$hf/snapshots/rev2"
check "hf blobs never modified" blobs_unchanged
check "hf shared blob kept" test -e "$hf/blobs/$(sha256sum s1 | cut -d' ' -f1)"
check "hf unshared blob removed" not test -e "$hf/blobs/$(sha256sum s2a | cut -d' ' -f1)"
check "hf no files in snapshots" [ -z "$(find "$hf/snapshots" -type f)" ]
check "hf blobs not walked" [ -z "$(find "$hf/blobs" -name '*.znn')" ]
check "hf blobs named as the Hub names them (.znn by SHA-256, index by Git id)" named_by_content "$hf/snapshots"
check "hf the rewritten index got a Git blob id" [ "$(basename "$(readlink "$hf/snapshots/rev1/model.safetensors.index.json")" | wc -c)" -eq 41 ]

check "hf decompress --rm rev1" "$ZNN" decompress -q --rm "$hf/snapshots/rev1"
check "hf no dangling links after decompress" no_dangling_links hub
check "hf rev1 restored" diff -r rev1_content "$hf/snapshots/rev1"
check "hf rev1 all links" [ -z "$(find "$hf/snapshots" -type f)" ]
check "hf rev2 links unchanged after decompress" diff <(rev2_links) rev2_links.txt
check "hf rev2 content unchanged after decompress" diff -r rev2_content "$hf/snapshots/rev2"
check "hf blobs never modified after decompress" blobs_unchanged
check "hf no .znn blobs left" [ "$(find "$hf/snapshots" -name '*.znn' | wc -l)" -eq 0 ]
check "hf --rm leaves no unused blob (index blobs included)" [ -z "$(unused_blobs "$hf")" ]
check "hf compress --rm, decompress --rm: the cache is as it was" diff -r --no-dereference hub_original hub

# The whole cache folder at once (blobs/ reached only through links), then back.
check "hf compress whole repo" "$ZNN" compress -q --rm "$hf"
check "hf whole repo no dangling links" no_dangling_links hub
check "hf whole repo blobs not walked" [ -z "$(find "$hf/blobs" -name '*.znn')" ]
check "hf whole repo decompress" "$ZNN" decompress -q --rm "$hf"
check "hf whole repo rev1 restored" diff -r rev1_content "$hf/snapshots/rev1"
check "hf whole repo rev2 restored" diff -r rev2_content "$hf/snapshots/rev2"
check "hf whole repo no dangling links after" no_dangling_links hub
check "hf whole repo no unused blob after" [ -z "$(unused_blobs "$hf")" ]
check "hf whole repo: the cache is as it was" diff -r --no-dereference hub_original hub

# --- Hugging Face cache: a single linked file given on the command line (not a folder).
hf=hub1/models--org--one
mkdir -p "$hf/blobs" "$hf/snapshots/rev1" "$hf/snapshots/rev2"
for rev in rev1 rev2; do
    link "$rev/model-00001-of-00002.safetensors" s1   # the same blob in both revisions
    link "$rev/model-00002-of-00002.safetensors" s2a
    link "$rev/model.safetensors.index.json" idx.json
done
one=$hf/snapshots/rev1/model-00001-of-00002.safetensors
rev2_links >rev2_links_one.txt
(cd "$hf/blobs" && sha256sum *) >blobs_before_one.txt
blobs_unchanged_one() { (cd "$hf/blobs" && sha256sum --quiet --ignore-missing -c "$SCRATCH/blobs_before_one.txt"); }
check "hf file: compress one link" "$ZNN" compress -q "$one"
check "hf file: .znn is a link" test -L "$one.znn"
check "hf file: .znn link is relative" [ "$(readlink "$one.znn" | cut -c1-9)" = "../../blo" ]
check "hf file: source link kept (-k)" cmp "$one" s1
check "hf file: index beside it still names the original (-k)" [ "$(index_names "$hf/snapshots/rev1/model.safetensors.index.json")" = \
    "model-00001-of-00002.safetensors model-00002-of-00002.safetensors" ]
check "hf file: rev2 index unchanged" [ "$(index_names "$hf/snapshots/rev2/model.safetensors.index.json")" = \
    "model-00001-of-00002.safetensors model-00002-of-00002.safetensors" ]
check "hf file: index still a link" test -L "$hf/snapshots/rev1/model.safetensors.index.json"
check "hf file: rev2 links unchanged" diff <(rev2_links) rev2_links_one.txt
check "hf file: blobs never modified" blobs_unchanged_one
check "hf file: no dangling links" no_dangling_links hub1
check "hf file: compress --rm" "$ZNN" compress -q -f --rm "$one"
check "hf file: --rm removed the link" not test -e "$one"
check "hf file: --rm: index beside it names the .znn" [ "$(index_names "$hf/snapshots/rev1/model.safetensors.index.json")" = \
    "model-00001-of-00002.safetensors.znn model-00002-of-00002.safetensors" ]
check "hf file: shared blob kept for rev2" cmp "$hf/snapshots/rev2/model-00001-of-00002.safetensors" s1
check "hf file: no dangling links after --rm" no_dangling_links hub1
check "hf file: decompress --rm" "$ZNN" decompress -q --rm "$one.znn"
check "hf file: restored as a link" test -L "$one"
check "hf file: restored bytes" cmp "$one" s1
check "hf file: .znn link removed" not test -e "$one.znn"
check "hf file: index names the original again" [ "$(index_names "$hf/snapshots/rev1/model.safetensors.index.json")" = \
    "model-00001-of-00002.safetensors model-00002-of-00002.safetensors" ]
check "hf file: rev2 links unchanged at the end" diff <(rev2_links) rev2_links_one.txt
check "hf file: blobs never modified at the end" blobs_unchanged_one
check "hf file: no dangling links at the end" no_dangling_links hub1
check "hf file: no temporaries left" [ -z "$(find hub1 -name '.*')" ]
check "hf file: no unused blob at the end" [ -z "$(unused_blobs "$hf")" ]

# --- A cache's blobs/ (or a blob in it) given directly: refused, nothing changed. Compressed in
# place, the blobs would change under every revision and --rm would leave the links dangling.
hf=hub2/models--org--two
mkdir -p "$hf/blobs" "$hf/snapshots/rev1"
link rev1/model.safetensors s1
blob=$hf/blobs/$(sha256sum s1 | cut -d' ' -f1)
refused() {  # refused DESCRIPTION INPUT ZNN_ARGS...: exit 1 and one line naming INPUT
    local what=$1 input=$2 out rc
    shift 2
    set +e
    out=$("$ZNN" "$@" 2>&1)
    rc=$?
    set -e
    check "$what: exit 1" [ "$rc" -eq 1 ]
    check "$what: one error line" [ "$(wc -l <<<"$out")" -eq 1 ]
    check "$what: names the input" grep -q "^znn: $input: .*blobs" <<<"$out"
    check "$what: blob untouched" cmp -s "$SCRATCH/$blob" "$SCRATCH/s1"
    check "$what: nothing written into blobs/" [ "$(ls -A "$SCRATCH/$hf/blobs" | wc -l)" -eq 1 ]
}
refused "blobs folder" "$hf/blobs" compress --rm "$hf/blobs"
refused "blobs folder/" "$hf/blobs/" compress --rm "$hf/blobs/"
refused "one blob" "$blob" compress --rm "$blob"
refused "one blob, -f" "$blob" compress -f --rm "$blob"
refused "blobs folder, decompress" "$hf/blobs" decompress --rm "$hf/blobs"
cd "$hf/blobs"
refused "blobs folder as ." . compress --rm .
cd "$SCRATCH"
check "blobs input: no dangling links" no_dangling_links hub2
check "blobs input: the snapshot link still compresses" "$ZNN" compress -q --rm "$hf/snapshots/rev1/model.safetensors"
check "blobs input: no dangling links after" no_dangling_links hub2

finish cli_folders
