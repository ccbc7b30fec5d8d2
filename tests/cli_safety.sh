#!/usr/bin/env bash
# What znn writes, removes and leaves behind around the data (issue #14), and files and streams
# as zstd users expect (#13): atomic outputs, interruptions, links and special files, races
# with other writers, index rewrites at scale, file modes, FIFOs and terminals.
# Usage: tests/cli_safety.sh path/to/znn path/to/libznn_fault_inject.so
# The fault-injection library (see tests/fault_inject.cpp) makes a race or a filesystem
# without hard links happen at a known moment. Checks that need root (a loop device, another
# user, a private mount namespace) are noted and left out when not root; CI runs as root.
# Prints one line per failed check, and "cli_safety: N passed, M failed" last.
set -uo pipefail

if [[ $# -ne 2 || ! -x $1 || ! -f $2 ]]; then
    echo "usage: $0 path/to/znn path/to/libznn_fault_inject.so" >&2
    exit 2
fi
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(realpath "$1")
# Debian's python3 starts in a tenth of the time a pyenv shim takes; only the standard
# library is used.
PY=$(command -v /usr/bin/python3 || command -v python3)
SHIM=$(realpath "$2")
# An ASan build must accept a preloaded library ahead of its runtime.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0

SCRATCH=$(realpath "$(mktemp -d "${TMPDIR:-/tmp}/znn-cli-safety.XXXXXX")") || exit 1
LOOP_DEVICE=
MANY=
cleanup() {
    [[ -n $LOOP_DEVICE ]] && losetup -d "$LOOP_DEVICE" 2>/dev/null
    [[ $MANY == /dev/shm/* ]] && rm -rf "$MANY"
    chmod -R u+w "$SCRATCH" 2>/dev/null
    rm -rf "$SCRATCH"
}
trap cleanup EXIT
cd "$SCRATCH" || exit 1

source "$HERE/cli_lib.sh"
# run_faulty VAR=VALUE... -- CMD...: run with the fault-injection library preloaded.
run_faulty() {
    local vars=()
    while [[ $1 != -- ]]; do
        vars+=("$1")
        shift
    done
    shift
    env LD_PRELOAD="$SHIM" "${vars[@]}" "$@" >out.txt 2>err.txt
    RC=$?
}
expect_error() {  # expect_error NAME FILE TEXT: stderr has "znn: FILE: ...TEXT..."
    if grep -qF -- "znn: $2: " err.txt && grep -qF -- "$3" err.txt; then
        pass
    else
        fail "$1: want 'znn: $2: ...$3...' on stderr, got: $(head -c 300 err.txt | tr '\n' '|')"
    fi
}
# no_temporaries DIR: no znn temporary file anywhere under DIR.
no_temporaries() { [[ -z $(find "$1" -name '*.znn-tmp*' 2>/dev/null) ]]; }
decodes_to() { "$BIN" decompress -q -c "$1" 2>/dev/null | cmp -s - "$2"; }
mode_of() { stat -c %a "$1"; }

make_safetensors() {  # make_safetensors FILE SEED ELEMENTS
    "$PY" - "$@" <<'PY'
import json, random, struct, sys
path, seed, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
data = bytearray()
for _ in range(n):
    bits = struct.unpack("<I", struct.pack("<f", rng.gauss(0.0, 0.02)))[0]
    data += struct.pack("<H", bits >> 16)
header = json.dumps({"weight": {"dtype": "BF16", "shape": [n], "data_offsets": [0, len(data)]}}).encode()
header += b" " * (-len(header) % 8)
with open(path, "wb") as f:
    f.write(struct.pack("<Q", len(header)) + header + data)
PY
}
index_names() { "$PY" -c 'import json,sys; print(" ".join(sorted(set(json.load(open(sys.argv[1]))["weight_map"].values()))))' "$1"; }

make_safetensors small.bin 1 100000
make_safetensors other.bin 2 100000
head -c 300000 /dev/urandom >big.bin

# Whether this filesystem has unnamed temporary files (O_TMPFILE): only there can SIGKILL
# leave nothing behind.
HAS_TMPFILE=$("$PY" -c 'import os
try:
    os.close(os.open(".", os.O_TMPFILE | os.O_WRONLY, 0o600)); print(1)
except OSError:
    print(0)')

# ---------------------------------------------------------------------------------------------
# Interruptions: nothing partial is left, whatever kills znn, and a rerun finishes the job.
mkdir kill && cp small.bin kill/
{
    cd "$SCRATCH/kill" || exit 1
    if [[ $HAS_TMPFILE == 1 ]]; then
        # Killed mid-file: input that stalls after its first bytes.
        mkfifo feed
        (cat small.bin; exec sleep 30) >feed &
        feeder=$!
        "$BIN" compress -o out.znn <feed 2>err.txt &
        pid=$!
        check "SIGKILL mid-file: znn had its output open" wait_output_open "$pid" "$PWD"
        kill -KILL "$pid"
        wait "$pid"
        RC=$?
        kill "$feeder"
        wait "$feeder" 2>/dev/null
        rm feed
        expect_rc "SIGKILL mid-file: killed" 137
        check "SIGKILL mid-file: no output" absent out.znn
        check "SIGKILL mid-file: no temporary file left" no_temporaries .
        # Killed at the very end, as the full-size output is being put in place.
        run_faulty ZNN_FAULT_SIGNAL=small.bin.znn:9 -- "$BIN" compress small.bin
        expect_rc "SIGKILL at commit: killed" 137
        check "SIGKILL at commit: no output" absent small.bin.znn
        check "SIGKILL at commit: no temporary file left" no_temporaries .
    else
        note "no O_TMPFILE on $SCRATCH: SIGKILL leaves a named temporary by design; checks skipped"
    fi
    # SIGTERM while the output is being linked into place, on a filesystem with named temporaries.
    run_faulty ZNN_FAULT_NO_HARDLINKS=1 ZNN_FAULT_SIGNAL=small.bin.znn:15 -- "$BIN" compress small.bin
    expect_rc "SIGTERM at commit (named temporary): killed" 143
    check "SIGTERM at commit (named temporary): no output" absent small.bin.znn
    check "SIGTERM at commit (named temporary): no temporary file left" no_temporaries .

    # A --rm run stopped after its output was complete, before the source went: the same
    # command finishes the job.
    "$BIN" compress -q small.bin
    run "$BIN" compress --rm small.bin
    expect_rc "rerun of compress --rm with a complete output" 0
    check "rerun: source removed" absent small.bin
    check "rerun: output kept and valid" decodes_to small.bin.znn ../small.bin
    cp ../small.bin small.bin
    run "$BIN" decompress --rm small.bin.znn
    expect_rc "rerun of decompress --rm with a complete output" 0
    check "rerun decompress: .znn removed" absent small.bin.znn
    check "rerun decompress: output intact" cmp small.bin ../small.bin
    # An output that is not the source's is still refused.
    "$BIN" compress -q -c ../other.bin >small.bin.znn
    cp small.bin.znn other.znn.copy
    run "$BIN" compress --rm small.bin
    expect_rc "existing output of other content" 1
    expect_error "existing output of other content: message" small.bin.znn "already exists"
    check "existing output of other content: source kept" cmp small.bin ../small.bin
    check "existing output of other content: output untouched" cmp small.bin.znn other.znn.copy
    rm -f small.bin.znn other.znn.copy
}
cd "$SCRATCH"

# SIGTERM while an index is rewritten, with named temporaries: the temporary index goes too,
# and nothing was removed before the index named the outputs.
mkdir -p idxsig/model
{
    cd "$SCRATCH/idxsig" || exit 1
    make_safetensors model/a.safetensors 3 20000
    make_safetensors model/b.safetensors 4 20000
    printf '{"weight_map": {"x": "a.safetensors", "y": "b.safetensors"}}\n' >model/model.safetensors.index.json
    cp -a model model.orig
    run_faulty ZNN_FAULT_NO_HARDLINKS=1 ZNN_FAULT_SIGNAL=model.safetensors.index.json:15 -- \
        "$BIN" compress --rm model
    expect_rc "SIGTERM during the index rewrite: killed" 143
    check "SIGTERM during the index rewrite: no temporary file left" no_temporaries model
    check "SIGTERM during the index rewrite: index untouched" cmp model/model.safetensors.index.json model.orig/model.safetensors.index.json
    check "SIGTERM during the index rewrite: sources still there" cmp model/a.safetensors model.orig/a.safetensors
    run "$BIN" compress --rm model
    expect_rc "rerun after SIGTERM" 0
    check "rerun after SIGTERM: index names the .znn files" [ "$(index_names model/model.safetensors.index.json)" = "a.safetensors.znn b.safetensors.znn" ]
    check "rerun after SIGTERM: sources removed" absent model/a.safetensors
    check "rerun after SIGTERM: no temporary file left" no_temporaries model
}
cd "$SCRATCH"

# ---------------------------------------------------------------------------------------------
# Filesystems without hard links (vfat, some FUSE and network ones): an output that appears
# while znn works is never overwritten without -f.
mkdir nolink && cp small.bin nolink/
{
    cd "$SCRATCH/nolink" || exit 1
    printf 'precious\n' >planted
    cp planted planted.copy
    run_faulty ZNN_FAULT_NO_HARDLINKS=1 ZNN_FAULT_WATCH=small.bin ZNN_FAULT_MOVE=planted:small.bin.znn -- \
        "$BIN" compress small.bin
    expect_rc "no hard links: output appeared meanwhile" 1
    expect_error "no hard links: message" small.bin.znn "already exists"
    check "no hard links: the file that appeared is kept" cmp small.bin.znn planted.copy
    check "no hard links: no temporary file left" no_temporaries .
    rm -f small.bin.znn
    cp planted.copy planted
    run_faulty ZNN_FAULT_NO_HARDLINKS=1 ZNN_FAULT_NO_NOREPLACE=1 ZNN_FAULT_WATCH=small.bin \
        ZNN_FAULT_MOVE=planted:small.bin.znn -- "$BIN" compress small.bin
    expect_rc "no hard links, no RENAME_NOREPLACE: output appeared meanwhile" 1
    check "no hard links, no RENAME_NOREPLACE: the file that appeared is kept" cmp small.bin.znn planted.copy
    rm -f small.bin.znn
    run_faulty ZNN_FAULT_NO_HARDLINKS=1 -- "$BIN" compress small.bin
    expect_rc "no hard links: compress" 0
    check "no hard links: output valid" decodes_to small.bin.znn small.bin
    check "no hard links: no temporary file left" no_temporaries .
    run_faulty ZNN_FAULT_NO_HARDLINKS=1 -- "$BIN" compress -f small.bin
    expect_rc "no hard links: compress -f over it" 0
    check "no hard links: no temporary file left after -f" no_temporaries .
}
cd "$SCRATCH"

# ---------------------------------------------------------------------------------------------
# Races with other writers.
mkdir race && cp small.bin other.bin race/
{
    cd "$SCRATCH/race" || exit 1
    # A downloader replaces the file (temp file + rename) while znn compresses it with --rm.
    cp other.bin newer
    run_faulty ZNN_FAULT_WATCH=small.bin ZNN_FAULT_MOVE=newer:small.bin -- "$BIN" compress --rm small.bin
    expect_rc "--rm, source replaced while read" 1
    expect_error "--rm, source replaced: message" small.bin "replaced while being read"
    check "--rm, source replaced: the new file is kept" cmp small.bin other.bin
    check "--rm, source replaced: the output holds what was read" decodes_to small.bin.znn ../small.bin
    # The same the other way.
    cp small.bin.znn keep.znn
    "$BIN" compress -q -c other.bin >newer.znn
    rm small.bin
    run_faulty ZNN_FAULT_WATCH=small.bin.znn ZNN_FAULT_MOVE=newer.znn:small.bin.znn -- \
        "$BIN" decompress --rm small.bin.znn
    expect_rc "decompress --rm, source replaced while read" 1
    check "decompress --rm, source replaced: the new .znn is kept" decodes_to small.bin.znn other.bin
    check "decompress --rm, source replaced: output restored" cmp small.bin ../small.bin
    rm -f small.bin.znn keep.znn

    # A file that grows or shrinks while it is compressed: exit 1 and no output.
    for change in 50000 -50000; do
        for rm in -k --rm; do
            cp ../small.bin grow.bin
            run_faulty ZNN_FAULT_WATCH=grow.bin ZNN_FAULT_RESIZE=$change -- "$BIN" compress $rm grow.bin
            expect_rc "file resized by $change while compressed ($rm)" 1
            expect_error "file resized by $change ($rm): message" grow.bin "changed while being read"
            check "file resized by $change ($rm): no output" absent grow.bin.znn
            check "file resized by $change ($rm): source kept" test -f grow.bin
            check "file resized by $change ($rm): no temporary file left" no_temporaries .
            rm -f grow.bin.znn
        done
    done
    # And a .znn file that grows while it is decompressed.
    "$BIN" compress -q -c ../small.bin >grow.znn
    run_faulty ZNN_FAULT_WATCH=grow.znn ZNN_FAULT_RESIZE=100 -- "$BIN" decompress grow.znn
    expect_rc ".znn grown while decompressed" 1
    expect_error ".znn grown: message" grow.znn "changed while being read"
    check ".znn grown: no output" absent grow
}
cd "$SCRATCH"

# ---------------------------------------------------------------------------------------------
# Outputs that are links or special files: refused without -f, replaced (never written
# through) with it, in folders and for single files alike.
mkdir -p links/model links/outside
{
    cd "$SCRATCH/links" || exit 1
    make_safetensors model/w.safetensors 5 20000
    "$BIN" compress -q --rm model
    printf 'victim\n' >outside/victim
    ln -s ../outside/victim model/w.safetensors
    run "$BIN" decompress model
    expect_rc "folder: output path is a symlink out of the folder" 1
    expect_error "folder: symlinked output: message" model/w.safetensors "symbolic link"
    check "folder: symlinked output: victim untouched" [ "$(cat outside/victim)" = victim ]
    check "folder: symlinked output: link kept" test -L model/w.safetensors
    run "$BIN" decompress -f model
    expect_rc "folder -f: symlinked output" 0
    check "folder -f: the link is replaced by the file" test -f model/w.safetensors -a ! -L model/w.safetensors
    check "folder -f: victim untouched" [ "$(cat outside/victim)" = victim ]
    rm model/w.safetensors
    mkfifo model/w.safetensors
    run timeout 20 "$BIN" decompress model
    expect_rc "folder: output path is a FIFO" 1
    check "folder: FIFO output: still a FIFO" test -p model/w.safetensors
    run timeout 20 "$BIN" decompress -f model
    expect_rc "folder -f: FIFO output replaced" 0
    check "folder -f: FIFO replaced by the file" test -f model/w.safetensors
    # A single file named on the command line: its default output name obeys the same rule.
    rm model/w.safetensors
    ln -s ../outside/victim model/w.safetensors
    run "$BIN" decompress model/w.safetensors.znn
    expect_rc "file: default output is a symlink" 1
    check "file: victim untouched" [ "$(cat outside/victim)" = victim ]
    rm model/w.safetensors

    # A planted link to a block device (the issue's /dev/loop0), on a loop device of our own.
    if [[ $(id -u) -eq 0 ]] && command -v losetup >/dev/null; then
        head -c 1048576 /dev/zero >disk.img
        cp disk.img disk.orig
        LOOP_DEVICE=$(losetup -f --show disk.img 2>/dev/null)
        if [[ -n $LOOP_DEVICE ]]; then
            ln -s "$LOOP_DEVICE" model/w.safetensors
            run "$BIN" decompress model
            expect_rc "folder: output path links to a block device" 1
            sync
            check "folder: the block device was not written" cmp disk.img disk.orig
            losetup -d "$LOOP_DEVICE"
            LOOP_DEVICE=
            rm model/w.safetensors
        else
            note "no loop device available: block-device check skipped"
        fi
    else
        note "not root: block-device check skipped"
    fi
}
cd "$SCRATCH"

# /dev/stdout, /dev/stderr and /proc/self/fd/N mean the descriptor, even with -f.
mkdir devout && cp small.bin devout/
{
    cd "$SCRATCH/devout" || exit 1
    ln -s /proc/self/fd/1 mystdout
    "$BIN" compress -q -f -o mystdout small.bin >via_link.znn 2>err.txt
    check "-f -o LINK-TO-/proc/self/fd/1: wrote to stdout" decodes_to via_link.znn small.bin
    check "-f -o LINK-TO-/proc/self/fd/1: the link is still a link" test -L mystdout
    "$BIN" compress -q -f -o /proc/self/fd/3 small.bin 3>fd3.znn 2>err.txt
    check "-o /proc/self/fd/3: wrote to descriptor 3" decodes_to fd3.znn small.bin
    "$BIN" compress -q -c small.bin >s.znn
    "$BIN" decompress -q -f -o /dev/stderr s.znn 2>via_stderr.bin
    check "-f -o /dev/stderr: wrote to stderr" cmp via_stderr.bin small.bin
    if [[ $(id -u) -ne 0 ]]; then
        "$BIN" compress -q -f -o /dev/stdout small.bin >dev_stdout.znn 2>err.txt
        check "-f -o /dev/stdout: wrote to stdout" decodes_to dev_stdout.znn small.bin
    elif unshare --mount --propagation private true 2>/dev/null; then
        # As root, a broken znn would replace the machine's /dev/stdout: try it on a private /dev.
        unshare --mount --propagation private bash -c '
            mount -t tmpfs devtmp /dev || exit 9
            ln -s /proc/self/fd/1 /dev/stdout && ln -s /proc/self/fd /dev/fd
            "$0" compress -q -f -o /dev/stdout small.bin >dev_stdout.znn 2>err.txt
            [ -L /dev/stdout ] || exit 8' "$BIN"
        RC=$?
        expect_rc "-f -o /dev/stdout (private /dev): /dev/stdout is still a link" 0
        check "-f -o /dev/stdout: wrote to stdout" decodes_to dev_stdout.znn small.bin
    else
        note "root without unshare: -f -o /dev/stdout check skipped (it could replace /dev/stdout)"
    fi
}
cd "$SCRATCH"

# ---------------------------------------------------------------------------------------------
# Hugging Face cache: a damaged blob under the name a new blob gets is replaced, not reused.
hf=$SCRATCH/hub/models--org--name
mkdir -p "$hf/blobs" "$hf/refs" "$hf/snapshots/rev1"
{
    cd "$SCRATCH" || exit 1
    sha=$(sha256sum small.bin | cut -d' ' -f1)
    cp small.bin "$hf/blobs/$sha"
    ln -s "../../blobs/$sha" "$hf/snapshots/rev1/model.safetensors"
    "$BIN" compress -q -c small.bin >expected.znn
    znn_sha=$(sha256sum expected.znn | cut -d' ' -f1)
    head -c "$(stat -c %s expected.znn)" /dev/urandom >"$hf/blobs/$znn_sha"  # right name and size
    run "$BIN" compress --rm "$hf/snapshots/rev1/model.safetensors"
    expect_rc "hf: compress --rm over a damaged blob of the same name" 0
    check "hf: the damaged blob was replaced" cmp "$hf/blobs/$znn_sha" expected.znn
    check "hf: the link decodes" decodes_to "$hf/snapshots/rev1/model.safetensors.znn" small.bin
    check "hf: the source link went" absent "$hf/snapshots/rev1/model.safetensors"
    # An interrupted --rm left the .znn link and the source link: a rerun finishes the job.
    cp small.bin "$hf/blobs/$sha"
    ln -s "../../blobs/$sha" "$hf/snapshots/rev1/model.safetensors"
    run "$BIN" compress --rm "$hf/snapshots/rev1/model.safetensors"
    expect_rc "hf: rerun of compress --rm" 0
    check "hf: rerun removed the source link" absent "$hf/snapshots/rev1/model.safetensors"
    check "hf: rerun removed the source blob" absent "$hf/blobs/$sha"
    check "hf: rerun kept the .znn link" decodes_to "$hf/snapshots/rev1/model.safetensors.znn" small.bin
}
cd "$SCRATCH"

# ---------------------------------------------------------------------------------------------
# Scale: each index is rewritten a few times per run, not once per file. On tmpfs where there
# is one: removing 2,000 files from an ext4 mounted with discard takes seconds.
SHARDS=2000
MANY=$(mktemp -d /dev/shm/znn-cli-safety-many.XXXXXX 2>/dev/null)
if [[ -z $MANY ]]; then
    SHARDS=500
    MANY=$SCRATCH/many
    mkdir "$MANY"
fi
{
    cd "$MANY" || exit 1
    "$PY" - "$SHARDS" <<'PY'
import json, struct, sys
names = []
for i in range(int(sys.argv[1])):
    name = f"shard-{i:05d}.safetensors"
    data = struct.pack("<4H", i, i + 1, i + 2, i + 3)
    header = json.dumps({"w": {"dtype": "BF16", "shape": [4], "data_offsets": [0, 8]}}).encode()
    header += b" " * (-len(header) % 8)
    with open(name, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + data)
    names.append(name)
with open("model.safetensors.index.json", "w") as f:
    json.dump({"metadata": {}, "weight_map": {f"t{i}": n for i, n in enumerate(names)}}, f, indent=2)
PY
    count_rewrites() { grep -c '/model.safetensors.index.json$' rewrites.log 2>/dev/null || echo 0; }
    rm -f rewrites.log
    run_faulty ZNN_FAULT_LOG="$PWD/rewrites.log" -- "$BIN" compress -q --rm -T2 ./*.safetensors
    expect_rc "$SHARDS shards named one by one: compress --rm" 0
    n=$(count_rewrites)
    if [[ $n -ge 1 && $n -le 3 ]]; then pass; else fail "$SHARDS shards: index rewritten $n times (want 1 to 3)"; fi
    check "$SHARDS shards: sources gone" [ -z "$(find . -name '*.safetensors')" ]
    check "$SHARDS shards: index names the .znn files" grep -q "\"$(printf 'shard-%05d' $((SHARDS - 1))).safetensors.znn\"" model.safetensors.index.json
    check "$SHARDS shards: index in line" "$BIN" index --check .
    rm -f rewrites.log
    run_faulty ZNN_FAULT_LOG="$PWD/rewrites.log" -- "$BIN" decompress -q --rm -T2 ./*.znn
    expect_rc "$SHARDS shards named one by one: decompress --rm" 0
    n=$(count_rewrites)
    if [[ $n -ge 1 && $n -le 3 ]]; then pass; else fail "$SHARDS shards: decompress rewrote the index $n times (want 1 to 3)"; fi
    check "$SHARDS shards: index names the originals" grep -q "\"$(printf 'shard-%05d' $((SHARDS - 1))).safetensors\"" model.safetensors.index.json
    rm -f rewrites.log
    run_faulty ZNN_FAULT_LOG="$PWD/rewrites.log" -- "$BIN" compress -q --rm -T2 .
    n=$(count_rewrites)
    if [[ $n -ge 1 && $n -le 3 ]]; then pass; else fail "$SHARDS shards as a folder: index rewritten $n times (want 1 to 3)"; fi
}
cd "$SCRATCH"

# ---------------------------------------------------------------------------------------------
# File modes, as zstd: stdin gives 0666 minus the umask, a file passes its mode on.
mkdir modes && cp small.bin modes/
{
    cd "$SCRATCH/modes" || exit 1
    (umask 022 && "$BIN" compress -o umask022.znn <small.bin)
    check "stdin to a file, umask 022: 644" [ "$(mode_of umask022.znn)" = 644 ]
    (umask 077 && "$BIN" compress -o umask077.znn <small.bin)
    check "stdin to a file, umask 077: 600" [ "$(mode_of umask077.znn)" = 600 ]
    (umask 022 && "$BIN" decompress -o from_stdin.bin <umask022.znn)
    check "decompress stdin to a file, umask 022: 644" [ "$(mode_of from_stdin.bin)" = 644 ]
    chmod 640 small.bin
    "$BIN" compress -q small.bin
    check "compress passes the mode on (640)" [ "$(mode_of small.bin.znn)" = 640 ]
    chmod 604 small.bin.znn
    "$BIN" decompress -q small.bin.znn -o restored.bin
    check "decompress passes the mode on (604)" [ "$(mode_of restored.bin)" = 604 ]
}
cd "$SCRATCH"

# ---------------------------------------------------------------------------------------------
# Streams: a FIFO or /dev/fd/N named on the command line is read as a stream; in a folder
# walk such entries are skipped without being opened; a terminal on stdin is refused.
mkdir streams && cp small.bin streams/
{
    cd "$SCRATCH/streams" || exit 1
    mkfifo fifo
    (cat small.bin >fifo &)
    run timeout 20 "$BIN" compress fifo
    expect_rc "compress FIFO" 0
    check "compress FIFO: fifo.znn decodes" decodes_to fifo.znn small.bin
    check "compress FIFO: the FIFO is still there" test -p fifo
    run timeout 20 "$BIN" compress -o subst.znn <(cat small.bin)
    expect_rc "compress <(cat f) -o" 0
    check "compress <(cat f) -o: decodes" decodes_to subst.znn small.bin
    timeout 20 "$BIN" compress -c <(cat small.bin) >subst_c.znn 2>err.txt
    check "compress -c <(cat f)" decodes_to subst_c.znn small.bin
    run timeout 20 "$BIN" decompress -o restored.bin <(cat subst.znn)
    expect_rc "decompress <(cat f.znn) -o" 0
    check "decompress <(cat f.znn): restored" cmp restored.bin small.bin
    run timeout 20 "$BIN" test <(cat subst.znn)
    expect_rc "test <(cat f.znn)" 0

    mkdir dir && cp small.bin dir/w.safetensors && mkfifo dir/pipe.safetensors dir/pipe.bin
    run timeout 20 "$BIN" compress dir
    expect_rc "folder with FIFOs: compress does not block" 0
    check "folder with FIFOs: the file was compressed" decodes_to dir/w.safetensors.znn small.bin
    check "folder with FIFOs: no output for them" absent dir/pipe.safetensors.znn
    mkfifo dir/pipe2.safetensors.znn
    run timeout 20 "$BIN" decompress -f dir
    expect_rc "folder with FIFOs: decompress does not block" 0
    # A writer waiting on a FIFO in the folder still waits afterwards: znn never opened it.
    mkfifo dir/waiting.safetensors
    (exec timeout 20 sh -c 'echo x >dir/waiting.safetensors') &
    writer=$!
    run timeout 20 "$BIN" compress -f dir
    expect_rc "folder with a FIFO a writer waits on" 0
    check "the FIFO was never opened (its writer still waits)" kill -0 "$writer"
    kill "$writer" 2>/dev/null
    wait "$writer" 2>/dev/null

    if command -v script >/dev/null && script --version 2>/dev/null | grep -q util-linux; then
        for sub in "compress -o tty_out" "decompress -o tty_out" test; do
            # (a znn that reads the terminal would wait for ever: timeout gives up after 10 s)
            script -qec "timeout 10 '$BIN' $sub" /dev/null </dev/null >tty.txt 2>&1
            RC=$?
            expect_rc "$sub with stdin on a terminal" 2
            if grep -aq 'stdin is a terminal' tty.txt; then pass; else fail "$sub with stdin on a terminal: message: $(head -c 200 tty.txt)"; fi
            check "$sub with stdin on a terminal: no output" absent tty_out
        done
    else
        note "util-linux script missing: terminal check skipped"
    fi
}
cd "$SCRATCH"

# ---------------------------------------------------------------------------------------------
# An output that cannot be created is named in the error, not the source.
mkdir -p perm/private && cp small.bin perm/
{
    cd "$SCRATCH/perm" || exit 1
    AS_USER=()
    if [[ $(id -u) -eq 0 ]]; then
        if command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
            AS_USER=(setpriv --reuid=65534 --regid=65534 --clear-groups)
            chmod a+rx "$SCRATCH" "$SCRATCH/perm" && chmod a+r small.bin
        fi
    fi
    chmod 700 private
    if [[ $(id -u) -ne 0 || ${#AS_USER[@]} -gt 0 ]] && (cd "$SCRATCH/perm" && "${AS_USER[@]}" "$BIN" --version >/dev/null 2>&1); then
        [[ $(id -u) -ne 0 ]] && chmod 000 private
        run "${AS_USER[@]}" "$BIN" compress small.bin -o private/x.znn
        expect_rc "-o in a folder without permission" 1
        expect_error "-o without permission: names the output" private/x.znn "Permission denied"
        chmod 700 private
    else
        note "cannot run znn as another user: permission check skipped"
    fi
}
cd "$SCRATCH"

report cli_safety
