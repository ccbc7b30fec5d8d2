#!/usr/bin/env bash
# Optional real-data tier for model folders: the sharded MAXIM model from ../shared/data
# round-trips through `znn compress DIR` / `znn decompress DIR`, its index rewritten both
# ways. Skipped (exit 77, which CTest reports as skipped) when the folder is absent.
set -euo pipefail
znn=$1
src=${2:-}/maxim-deblurring-bf16-sharded
if [ ! -d "$src" ]; then echo "cli_real_data: shared data absent, skipped"; exit 77; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$src" "$work/model"
"$znn" compress -q --rm "$work/model"
grep -q '"model-00001-of-00003.safetensors.znn"' "$work/model/model.safetensors.index.json"
[ -z "$(find "$work/model" -name '*.safetensors')" ]
"$znn" index --check "$work/model"
"$znn" decompress -q --rm "$work/model"
diff -r "$src" "$work/model"
echo "1 passed, 0 failed"
