#!/usr/bin/env bash
# Builds the hostile model folders of the corpus (the cases need links and FIFOs, which git
# does not keep well, so they are made at test time). Usage: folder-cases.sh DEST ZNN
# Each case is DEST/<case>/ holding model/ (the folder given to znn) and outside/ (what no run
# over model/ may write, rename or delete), plus a file `runs`: one znn command line a line,
# "EXIT ARGS..." with @MODEL@ for the model folder, run in that order.
set -euo pipefail
DEST=$(realpath "$1")
ZNN=$2
HERE=$(cd "$(dirname "$0")" && pwd)
SHARD=$HERE/folder-shard.safetensors

new_case() {  # new_case NAME: makes DEST/NAME/{model,outside} and enters it
    mkdir -p "$DEST/$1/model" "$DEST/$1/outside"
    cd "$DEST/$1"
    : >runs
}
runs() { printf '%s\n' "$@" >>runs; }
compressed() { "$ZNN" compress -q -c "$SHARD" >"$1"; }

# The output of a folder run is a symlink out of the folder (decompress) ...
new_case link-out-decompress
printf 'victim\n' >outside/victim
compressed model/w.safetensors.znn
ln -s ../outside/victim model/w.safetensors
runs "1 decompress @MODEL@" "1 decompress --rm @MODEL@" "0 decompress -f @MODEL@"

# ... or compress.
new_case link-out-compress
printf 'victim\n' >outside/victim
cp "$SHARD" model/w.safetensors
ln -s ../outside/victim model/w.safetensors.znn
runs "1 compress @MODEL@" "1 compress --rm @MODEL@" "0 compress -f --rm @MODEL@"

# A dangling link where the output goes: never followed to create a file out there.
new_case link-dangling
compressed model/w.safetensors.znn
ln -s ../outside/created model/w.safetensors
runs "1 decompress @MODEL@" "0 decompress -f @MODEL@"

# A FIFO where the output goes (writing to it would block or feed a reader).
new_case fifo-output
compressed model/w.safetensors.znn
mkfifo model/w.safetensors
runs "1 decompress @MODEL@" "0 decompress -f @MODEL@"

# FIFOs among the inputs: skipped, never opened.
new_case fifo-input
cp "$SHARD" model/w.safetensors
mkfifo model/x.safetensors model/y.bin model/z.safetensors.znn
runs "0 compress --rm @MODEL@" "0 decompress --rm @MODEL@"

# A FIFO with an index file's name.
new_case fifo-index
cp "$SHARD" model/w.safetensors
mkfifo model/model.safetensors.index.json
runs "0 compress --rm @MODEL@" "0 decompress --rm @MODEL@" "0 index @MODEL@"

# The index is a link to an index outside: rewritten as a file of the folder instead.
new_case index-link-out
cp "$HERE/folder-plain.index.json" outside/victim.index.json
cp "$SHARD" model/w.safetensors
ln -s ../outside/victim.index.json model/model.safetensors.index.json
runs "0 compress --rm @MODEL@" "0 decompress --rm @MODEL@"

# weight_map names that lead out of the folder, with files there under both names.
new_case index-escapes
sed "s|@OUTSIDE@|$DEST/index-escapes/outside|" "$HERE/folder-escapes.index.json" \
    >model/model.safetensors.index.json
cp "$SHARD" model/w.safetensors
cp "$SHARD" outside/x.safetensors
compressed outside/x.safetensors.znn
runs "0 compress --rm @MODEL@" "0 decompress --rm @MODEL@" "0 index @MODEL@"

# A shard linked into another Hugging Face cache's blobs/ (one with snapshots/ beside it).
new_case foreign-cache-blob
mkdir -p outside/models--org--other/blobs outside/models--org--other/snapshots/rev
cp "$SHARD" outside/models--org--other/blobs/aaaa
ln -s ../../blobs/aaaa outside/models--org--other/snapshots/rev/w.safetensors
ln -s ../outside/models--org--other/blobs/aaaa model/w.safetensors
runs "0 compress --rm @MODEL@" "0 decompress --rm @MODEL@"

# The index itself linked into another cache's blobs/.
new_case foreign-cache-index
mkdir -p outside/models--org--other/blobs outside/models--org--other/snapshots/rev
cp "$HERE/folder-plain.index.json" outside/models--org--other/blobs/iiii
ln -s ../../blobs/iiii outside/models--org--other/snapshots/rev/model.safetensors.index.json
cp "$SHARD" model/w.safetensors
ln -s ../outside/models--org--other/blobs/iiii model/model.safetensors.index.json
runs "0 compress --rm @MODEL@" "0 decompress --rm @MODEL@"

# A subfolder that is a link out of the folder: not walked.
new_case subfolder-link-out
mkdir -p outside/dir
cp "$SHARD" outside/dir/w.safetensors
cp "$SHARD" model/w.safetensors
ln -s ../outside/dir model/sub
runs "0 compress --rm @MODEL@" "0 decompress --rm @MODEL@"

# A shard hard-linked to a file outside: the outside name keeps its bytes.
new_case hardlink-out
cp "$SHARD" outside/victim
ln outside/victim model/w.safetensors
runs "0 compress --rm @MODEL@" "0 decompress --rm @MODEL@"
