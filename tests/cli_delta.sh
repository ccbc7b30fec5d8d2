#!/usr/bin/env bash
# znn --base: fine-tunes compressed against their base model, through files, folders,
# stdin/stdout, --rm, extract and list --tensors, and every way the base can be missing or
# wrong.
# Usage: tests/cli_delta.sh path/to/znn
set -euo pipefail
# shellcheck source=tests/check.sh
source "$(dirname "${BASH_SOURCE[0]}")/check.sh"

ZNN=$(realpath "${1:?usage: cli_delta.sh ZNN_BINARY}")
GOLDEN=$(realpath "$(dirname "${BASH_SOURCE[0]}")/golden")
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
cd "$SCRATCH"
cp "$GOLDEN/delta_base.safetensors.raw" base.safetensors
cp "$GOLDEN/delta_ft.safetensors.raw" ft.safetensors

fails_with() {  # fails_with TEXT COMMAND...: exit status 1 and TEXT in the error
    local text=$1 rc=0
    shift
    "$@" 2>err.txt >/dev/null || rc=$?
    [ "$rc" -eq 1 ] && grep -qF -- "$text" err.txt
}

# Round trip, and list showing the dependency.
check "compress --base" "$ZNN" compress -q --base base.safetensors ft.safetensors
check "smaller than without a base" \
    test "$(stat -c %s ft.safetensors.znn)" -lt "$("$ZNN" compress -q -c ft.safetensors | wc -c)"
check "list names the base" bash -c "'$ZNN' list ft.safetensors.znn | grep -q \"needs base 'base.safetensors'\""
check "test --base" "$ZNN" test -q --base base.safetensors ft.safetensors.znn
check "decompress --base" "$ZNN" decompress -q --base base.safetensors ft.safetensors.znn -o out
check "round trip" cmp out ft.safetensors
check "-T1 and -T3 give the same bytes" bash -c \
    "cmp <('$ZNN' compress -q -T1 --base base.safetensors -c ft.safetensors) \
         <('$ZNN' compress -q -T3 --base base.safetensors -c ft.safetensors)"
# A file gets its base checksums filled in after the chunks (the base read once), a pipe
# before them: the same bytes either way.
check "a pipe and a file get the same bytes" bash -c \
    "'$ZNN' compress -q --base base.safetensors -c ft.safetensors | cmp - ft.safetensors.znn"
check "stdout redirected to a file too" bash -c \
    "'$ZNN' compress -q --base base.safetensors -c ft.safetensors > redirected.znn && \
     cmp redirected.znn ft.safetensors.znn"
check "stdin to stdout" bash -c \
    "'$ZNN' compress -q --base base.safetensors < ft.safetensors | \
     '$ZNN' decompress -q --base base.safetensors | cmp - ft.safetensors"

# A missing base: exit 1 naming the base, nothing written.
rm -f out
check "decompress without --base" fails_with "'base.safetensors'" \
    "$ZNN" decompress ft.safetensors.znn -o out
check "nothing written" test ! -e out
check "test without --base" fails_with "--base" "$ZNN" test ft.safetensors.znn
check "a base that does not exist" fails_with "cannot open base" \
    "$ZNN" decompress --base nowhere.safetensors ft.safetensors.znn -o out

# A wrong base: exit 1 naming the first tensor that differs, nothing written.
check "wrong base" fails_with "tensor a.weight" \
    "$ZNN" decompress --base ft.safetensors ft.safetensors.znn -o out
check "nothing written" test ! -e out
check "test with a wrong base" fails_with "tensor a.weight" \
    "$ZNN" test --base ft.safetensors ft.safetensors.znn
check "wrong base on stdout" bash -c \
    "! '$ZNN' decompress -q --base ft.safetensors -c ft.safetensors.znn 2>/dev/null | grep -q ."

# A compressed base, read in place; and a corrupt one.
mkdir packed && "$ZNN" compress -q base.safetensors -o packed/base.safetensors.znn
check "compressed base" "$ZNN" decompress -q --base packed/base.safetensors.znn \
    ft.safetensors.znn -o out2
check "compressed base round trip" cmp out2 ft.safetensors
cp packed/base.safetensors.znn corrupt.znn
size=$(stat -c %s corrupt.znn)
printf '\x55' | dd of=corrupt.znn bs=1 seek=$((size / 2)) conv=notrunc status=none
check "corrupt base refused" fails_with "" "$ZNN" decompress --base corrupt.znn \
    ft.safetensors.znn -o out3
check "nothing written" test ! -e out3

# --rm: the source goes only after a verified round trip against the base.
cp ft.safetensors ft2.safetensors
check "compress --rm" "$ZNN" compress -q --rm --base base.safetensors ft2.safetensors
check "source removed" test ! -e ft2.safetensors
check "decompress --rm" "$ZNN" decompress -q --rm --base base.safetensors ft2.safetensors.znn
check "restored" cmp ft2.safetensors ft.safetensors
check "compressed removed" test ! -e ft2.safetensors.znn
cp ft.safetensors ft3.safetensors
"$ZNN" compress -q --rm --base base.safetensors ft3.safetensors
check "decompress --rm with a wrong base" fails_with "tensor a.weight" \
    "$ZNN" decompress --rm --base ft.safetensors ft3.safetensors.znn
check "compressed kept" test -e ft3.safetensors.znn

# extract and list --tensors read a delta file in place; small chunks so it spans several.
"$ZNN" compress -q --chunk-size 512 --base base.safetensors ft.safetensors -o small.znn
"$ZNN" compress -q --chunk-size 512 ft.safetensors -o plain.znn
check "list --tensors needs no base" bash -c "'$ZNN' list --tensors small.znn | grep -q '^b.weight  *F16'"
check "extract --range of everything" \
    cmp <("$ZNN" extract -q --base base.safetensors --range 0: small.znn) ft.safetensors
check "extract --range across chunks" \
    cmp <("$ZNN" extract -q --base base.safetensors --range 1000:1500 small.znn) \
    <(tail -c +1001 ft.safetensors | head -c 1500)
check "extract --tensor" "$ZNN" extract -q --base base.safetensors small.znn \
    --tensor a.weight --tensor 'c.*' -o ac.safetensors
"$ZNN" extract -q plain.znn --tensor a.weight --tensor 'c.*' -o ac_plain.safetensors
check "the tensors as from the file without a base" cmp ac.safetensors ac_plain.safetensors
check "extract with a compressed base" \
    cmp <("$ZNN" extract -q --base packed/base.safetensors.znn --range 0: small.znn) ft.safetensors
check "extract without --base" fails_with "'base.safetensors': give it with --base" \
    "$ZNN" extract small.znn --tensor a.weight -o none.safetensors
check "nothing written" test ! -e none.safetensors
check "extract with a wrong base" fails_with "tensor a.weight" \
    "$ZNN" extract --base ft.safetensors --range 0:8 small.znn -o none.safetensors
check "nothing written" test ! -e none.safetensors

# Folders: a base folder and a folder of fine-tune shards.
mkdir basedir model
cp base.safetensors basedir/model.safetensors
cp ft.safetensors model/model.safetensors
check "compress a folder against a base folder" "$ZNN" compress -q --rm --base basedir model
check "list names the folder" bash -c "'$ZNN' list model/model.safetensors.znn | grep -q \"needs base 'basedir'\""
check "decompress the folder" "$ZNN" decompress -q --rm --base basedir model
check "folder round trip" cmp model/model.safetensors ft.safetensors

finish cli_delta
