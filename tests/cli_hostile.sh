#!/usr/bin/env bash
# The hostile folder corpus (tests/hostile/folder-cases.sh): planted links, FIFOs and index
# files. For every case and every run listed for it: the exit code is the one expected, znn
# does not block, nothing under outside/ is written, renamed or deleted, and no temporary
# file is left. Then a few checks of what the folder itself became.
# Usage: tests/cli_hostile.sh path/to/znn [ignored]
set -uo pipefail

if [[ $# -lt 1 || ! -x $1 ]]; then
    echo "usage: $0 path/to/znn" >&2
    exit 2
fi
ZNN=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
SCRATCH=$(realpath "$(mktemp -d "${TMPDIR:-/tmp}/znn-cli-hostile.XXXXXX")") || exit 1
trap 'rm -rf "$SCRATCH"' EXIT

source "$HERE/cli_lib.sh"

# Everything about a tree that a write, rename or delete would change: each entry's type,
# link target or content hash.
snapshot() {
    (cd "$1" && find . -printf '%p %y %l\n' | sort &&
        find . -type f -exec sha256sum {} + | sort -k2)
}

# The weight_map values of an index other than "w.safetensors[.znn]", in order.
outside_names() {
    "$PY" -c 'import json, sys
print([v for v in json.load(open(sys.argv[1]))["weight_map"].values() if not v.startswith("w.")])' "$1"
}
PY=$(command -v /usr/bin/python3 || command -v python3)
escapes=$SCRATCH/escapes.expected

mkdir "$SCRATCH/cases"
bash "$HERE/hostile/folder-cases.sh" "$SCRATCH/cases" "$ZNN" || {
    echo "cli_hostile: could not build the corpus"
    exit 1
}

sed "s|@OUTSIDE@|$SCRATCH/cases/index-escapes/outside|" "$HERE/hostile/folder-escapes.index.json" >"$escapes"

for case_dir in "$SCRATCH"/cases/*/; do
    name=$(basename "$case_dir")
    cd "$case_dir" || exit 1
    snapshot outside >outside.before
    while read -r want args; do
        args=${args//@MODEL@/model}
        # shellcheck disable=SC2086
        timeout 30 "$ZNN" $args -q >out.txt 2>err.txt
        rc=$?
        what="$name: znn $args"
        if [[ $rc -eq 124 ]]; then
            fail "$what: blocked"
        elif [[ $rc -eq $want ]]; then
            pass
        else
            fail "$what: exit $rc, want $want ($(head -c 200 err.txt | tr '\n' '|'))"
        fi
        if [[ $(snapshot outside) == "$(cat outside.before)" ]]; then
            pass
        else
            fail "$what: changed outside/: $(diff <(snapshot outside) outside.before | head -5 | tr '\n' '|')"
        fi
        if [[ -z $(find . -name '*.znn-tmp*') ]]; then pass; else fail "$what: temporary files left"; fi
        if [[ $name == index-escapes ]]; then
            # After every run, not only the last: names leading out of the folder as written.
            if [[ $(outside_names model/model.safetensors.index.json) == "$(outside_names "$escapes")" ]]; then
                pass
            else
                fail "$what: a name leading out of the folder was renamed"
            fi
        fi
    done <runs
done

cd "$SCRATCH/cases" || exit 1
# What the folders became.
check "link-out-decompress: -f replaced the link by the file" \
    test -f link-out-decompress/model/w.safetensors -a ! -L link-out-decompress/model/w.safetensors
check "link-out-compress: -f --rm replaced the link by the .znn" \
    "$ZNN" test -q link-out-compress/model/w.safetensors.znn
check "link-out-compress: source removed" test ! -e link-out-compress/model/w.safetensors
check "link-dangling: nothing created at the link's target" test ! -e link-dangling/outside/created
check "fifo-output: -f replaced the FIFO by the file" test -f fifo-output/model/w.safetensors
check "fifo-input: the FIFOs are still FIFOs" test -p fifo-input/model/x.safetensors -a -p fifo-input/model/z.safetensors.znn
check "index-link-out: the index is now a file of the folder" \
    test -f index-link-out/model/model.safetensors.index.json -a ! -L index-link-out/model/model.safetensors.index.json
check "index-link-out: it names the restored shard" grep -q '"w.safetensors"' index-link-out/model/model.safetensors.index.json
# The names leading out are exactly as written; only w.safetensors went to .znn and back.
check "index-escapes: the index is as written after the round trip" cmp index-escapes/model/model.safetensors.index.json "$escapes"
check "foreign-cache-blob: the output stayed in the folder" test -f foreign-cache-blob/model/w.safetensors -a ! -L foreign-cache-blob/model/w.safetensors
check "foreign-cache-index: the index is now a file of the folder" \
    test -f foreign-cache-index/model/model.safetensors.index.json -a ! -L foreign-cache-index/model/model.safetensors.index.json
check "subfolder-link-out: the linked folder was not walked" test ! -e subfolder-link-out/outside/dir/w.safetensors.znn

report cli_hostile
