#!/usr/bin/env bash
# znn mount end to end: a compressed model folder and a compressed Hugging Face cache mounted
# must read back byte for byte as the originals, loaders (numpy's memmap, onnx) must read the
# mounted files, errors must say what to do, a corrupt chunk must fail only its own reads, and
# an unmount must leave no process or mount behind.
# Usage: tests/cli_mount.sh path/to/znn folder|hf|errors|delta|python
# Exits 77 (skipped) where /dev/fuse is missing or unusable, or, for `python`, where numpy or
# onnx is missing from /usr/bin/python3.
set -euo pipefail
# shellcheck source=tests/check.sh
source "$(dirname "${BASH_SOURCE[0]}")/check.sh"

ZNN=$(realpath "${1:?usage: cli_mount.sh ZNN_BINARY folder|hf|errors|delta|python}")
PART=${2:?usage: cli_mount.sh ZNN_BINARY folder|hf|errors|delta|python}
SCRATCH=$(mktemp -d)
mounted=()
cleanup() {
    for m in "${mounted[@]}"; do fusermount3 -u -z "$m" 2>/dev/null || true; done
    rm -rf "$SCRATCH"
}
trap cleanup EXIT
cd "$SCRATCH"

skip() {
    echo "SKIPPED: $*"
    exit 77
}
is_mounted() { grep -qF " $(realpath "$1") " /proc/self/mountinfo; }
# The znn process serving a mountpoint, mounted by its absolute path (unique to this scratch
# folder: tests run in parallel).
server_pid() { pgrep -f -- "znn mount .* $1\$" | head -n1 || true; }
# True once no live process serves the mountpoint (an exited one left unreaped counts as gone).
server_gone() {
    local pid i
    for i in $(seq 50); do
        pid=$(server_pid "$1")
        if [ -z "$pid" ] || [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" = Z ]; then return 0; fi
        sleep 0.1
    done
    return 1
}
mount_bg() {  # mount_bg SOURCE MOUNTPOINT [OPTION...]: the default, daemonizing mode
    "$ZNN" mount "${@:3}" "$1" "$(realpath "$2")" && mounted+=("$(realpath "$2")")
}
unmount() { fusermount3 -u "$1"; }
same_tree() { diff -r "$1" "$2" >/dev/null; }
same_sums() {
    [ "$(cd "$1" && find . -type f -o -type l | sort | xargs sha256sum)" = \
        "$(cd "$2" && find . -type f -o -type l | sort | xargs sha256sum)" ]
}

# A small valid safetensors file: 8-byte LE header length, JSON header, BF16 weights whose
# exponents are skewed as trained weights' are (built with bytes operations: fast).
make_safetensors() {  # make_safetensors FILE SEED ELEMENTS
    python3 - "$@" <<'PY'
import json, random, struct, sys
path, seed, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
exponents = [124] * 40 + [123] * 30 + [122] * 20 + [121] * 15 + [120] * 10 + [119] * 6 + [118] * 4 + [117] * 3
u, v = rng.randbytes(n), rng.randbytes(n)
high = u.translate(bytes((i & 0x80) | (exponents[i & 0x7F] >> 1) for i in range(256)))
low_e = u.translate(bytes((exponents[i & 0x7F] & 1) << 7 for i in range(256)))
low_m = v.translate(bytes(i & 0x7F for i in range(256)))
low = (int.from_bytes(low_e, "little") | int.from_bytes(low_m, "little")).to_bytes(n, "little")
data = bytearray(2 * n)
data[0::2], data[1::2] = low, high
half = n // 2 * 2
header = {"__metadata__": {"format": "pt"},
          "a.weight": {"dtype": "BF16", "shape": [half // 2], "data_offsets": [0, half]},
          "b.weight": {"dtype": "BF16", "shape": [n - half // 2], "data_offsets": [half, len(data)]}}
text = json.dumps(header).encode()
text += b" " * (-len(text) % 8)
with open(path, "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + data)
PY
}
write_index() {  # write_index FILE SHARD1 SHARD2
    printf '{\n  "metadata": {\n    "total_size": 1\n  },\n  "weight_map": {\n    "a.weight": "%s",\n    "b.weight": "%s"\n  }\n}\n' "$2" "$3" >"$1"
}

# Can this machine mount at all? An empty folder, mounted and unmounted.
[ -e /dev/fuse ] || skip "/dev/fuse is missing"
command -v fusermount3 >/dev/null || skip "fusermount3 is missing (Debian package fuse3)"
mkdir probe probe.mnt
if ! "$ZNN" mount probe probe.mnt 2>probe.err; then skip "cannot mount here: $(cat probe.err)"; fi
unmount probe.mnt

case $PART in
folder)
    # --- A sharded model folder: shards, index, config, a file that is not a weight.
    mkdir -p model/sub
    make_safetensors model/model-00001-of-00002.safetensors 1 150000
    make_safetensors model/model-00002-of-00002.safetensors 2 100000
    make_safetensors model/sub/adapter.safetensors 3 5000
    write_index model/model.safetensors.index.json model-00001-of-00002.safetensors model-00002-of-00002.safetensors
    printf '{"model_type": "test"}\n' >model/config.json
    head -c 3000 /dev/urandom >model/notes.dat
    cp -a model original
    # Small chunks, so files span many.
    "$ZNN" compress -q --rm --chunk-size 16384 model
    check "compressed with .znn names" test -f model/model-00001-of-00002.safetensors.znn
    ln -s model-00001-of-00002.safetensors original/alias.safetensors
    ln -s model-00001-of-00002.safetensors.znn model/alias.safetensors.znn

    mkdir mnt
    check "mount returns once mounted" mount_bg model mnt
    check "mounted" is_mounted mnt
    check "diff -r against the originals is clean" same_tree original mnt
    check "sha256sum matches" same_sums original mnt
    check "no .znn name shows" [ -z "$(find mnt -name '*.znn')" ]
    check "the index names the original shards" cmp original/model.safetensors.index.json mnt/model.safetensors.index.json
    check "a link X.znn -> Y.znn shows as X -> Y" [ "$(readlink mnt/alias.safetensors)" = model-00001-of-00002.safetensors ]
    check "a decoded file has the original size" [ "$(stat -c %s mnt/model-00002-of-00002.safetensors)" = "$(stat -c %s original/model-00002-of-00002.safetensors)" ]
    check "and the .znn file's time" [ "$(stat -c %Y mnt/model-00002-of-00002.safetensors)" = "$(stat -c %Y model/model-00002-of-00002.safetensors.znn)" ]
    check "read-only" not touch mnt/new 2>/dev/null
    check "a range in the middle reads right" cmp <(tail -c +100001 mnt/model-00001-of-00002.safetensors | head -c 70000) \
        <(tail -c +100001 original/model-00001-of-00002.safetensors | head -c 70000)
    pid=$(server_pid "$SCRATCH/mnt")
    check "the server runs in the background" [ -n "$pid" ]
    check "fusermount3 -u unmounts" unmount mnt
    check "no mount left" not is_mounted mnt
    check "no process left" server_gone "$SCRATCH/mnt"

    # --- Both X and X.znn present (compress -k): the real X wins, X.znn shows as it is.
    mkdir kept kept.mnt
    make_safetensors kept/w.safetensors 4 1000
    "$ZNN" compress -q kept/w.safetensors
    mount_bg kept kept.mnt
    check "with both present, X is the real one" cmp kept/w.safetensors kept.mnt/w.safetensors
    check "and X.znn shows as it is" cmp kept/w.safetensors.znn kept.mnt/w.safetensors.znn
    unmount kept.mnt

    # --- A single .znn file as the source.
    mkdir one.mnt
    mount_bg model/model-00002-of-00002.safetensors.znn one.mnt
    check "a single .znn file shows decoded" cmp original/model-00002-of-00002.safetensors one.mnt/model-00002-of-00002.safetensors
    check "and alone" [ "$(ls one.mnt)" = model-00002-of-00002.safetensors ]
    unmount one.mnt

    # --- Foreground: SIGINT and SIGTERM unmount cleanly and end the process with status 0.
    for sig in INT TERM; do
        mkdir fg.$sig
        "$ZNN" mount -f model "$SCRATCH/fg.$sig" &
        fg_pid=$!
        mounted+=("$SCRATCH/fg.$sig")
        for _ in $(seq 100); do is_mounted fg.$sig && break; sleep 0.05; done
        check "-f mounts in the foreground" is_mounted fg.$sig
        check "-f serves" cmp original/config.json fg.$sig/config.json
        kill -$sig $fg_pid
        status=0
        wait $fg_pid || status=$?
        check "SIG$sig ends the foreground mount with status 0" [ $status -eq 0 ]
        check "SIG$sig leaves no mount" not is_mounted fg.$sig
    done
    ;;

hf)
    # --- A Hugging Face cache: two revisions sharing blobs, the first one compressed.
    hf=hub/models--org--name
    make_safetensors s1 11 120000
    make_safetensors s2a 12 100000
    make_safetensors s2b 13 100000
    write_index idx.json model-00001-of-00002.safetensors model-00002-of-00002.safetensors
    printf '{"model_type": "test"}\n' >cfg.json
    hf_two_revisions "$hf"
    cp -rL "$hf/snapshots/rev1" rev1_content
    cp -rL "$hf/snapshots/rev2" rev2_content
    "$ZNN" compress -q --rm "$hf/snapshots/rev1"
    check "rev1 holds .znn links" test -L "$hf/snapshots/rev1/model-00001-of-00002.safetensors.znn"

    mkdir mnt
    check "mount the cache" mount_bg hub mnt
    m=mnt/models--org--name
    check "rev1 reads as the original" same_tree rev1_content "$m/snapshots/rev1"
    check "rev1 sha256sum matches" same_sums rev1_content "$m/snapshots/rev1"
    check "rev2 reads as the original" same_tree rev2_content "$m/snapshots/rev2"
    check "snapshot entries are still links" test -L "$m/snapshots/rev1/model-00001-of-00002.safetensors"
    check "a link X.znn shows as X with its target unchanged" [ "$(readlink "$m/snapshots/rev1/model-00001-of-00002.safetensors")" = \
        "$(readlink "$hf/snapshots/rev1/model-00001-of-00002.safetensors.znn")" ]
    check "no .znn name shows" [ -z "$(find mnt -name '*.znn')" ]
    check "the cached index names the original shards" cmp idx.json "$m/snapshots/rev1/model.safetensors.index.json"
    check "refs pass through" cmp "$hf/refs/main" "$m/refs/main"
    check "unmount" unmount mnt
    check "no process left" server_gone "$SCRATCH/mnt"
    ;;

errors)
    mkdir src mnt full
    make_safetensors src/w.safetensors 5 200000
    cp src/w.safetensors w.orig
    "$ZNN" compress -q --rm --chunk-size 65536 src/w.safetensors
    touch full/x
    one_line() { [ "$(wc -l <"$1")" -eq 1 ]; }
    status=0; "$ZNN" mount nowhere mnt 2>err || status=$?
    check "a missing source: exit 1" [ $status -eq 1 ]
    check "a missing source: one line naming it" one_line err
    check "a missing source: says so" grep -q "nowhere: no such file or folder" err
    status=0; "$ZNN" mount src full 2>err || status=$?
    check "a mountpoint that is not empty: exit 1, one line" [ $status -eq 1 ]
    check "a mountpoint that is not empty: says what to do" grep -q "full: not empty (mount on an empty folder" err
    status=0; "$ZNN" mount src full/x 2>err || status=$?
    check "a file as mountpoint: exit 1" [ $status -eq 1 ]
    check "a file as mountpoint: says what to do" grep -q "not a folder (mount on an empty folder" err
    status=0; "$ZNN" mount src nowhere.mnt 2>err || status=$?
    check "a missing mountpoint: says what to do" grep -q "nowhere.mnt: no such folder (mount on an empty folder: mkdir it first)" err
    status=0; "$ZNN" mount -o no_such_option src mnt 2>err || status=$?
    check "a bad FUSE option: exit 2" [ $status -eq 2 ]
    check "a bad FUSE option: one line" one_line err
    check "nothing mounted after errors" not is_mounted mnt
    # No usable /dev/fuse: hidden in a mount namespace of its own (needs root and unshare).
    if unshare -m true 2>/dev/null; then
        status=0
        unshare -m sh -c 'mount -t tmpfs none /dev && exec "$0" mount src mnt' "$ZNN" 2>err || status=$?
        check "no /dev/fuse: exit 1" [ $status -eq 1 ]
        check "no /dev/fuse: says what to do" grep -q "/dev/fuse: cannot open: .*install fuse3" err
    fi

    # --- A corrupt chunk: reads of its range fail with EIO, reported once; the rest reads;
    # the mount stays up.
    size=$(stat -c %s src/w.safetensors.znn)
    printf '\x55' | dd of=src/w.safetensors.znn bs=1 seek=$((size / 2)) conv=notrunc status=none
    "$ZNN" mount -f src mnt 2>mount.err &
    fg_pid=$!
    mounted+=("$SCRATCH/mnt")
    for _ in $(seq 100); do is_mounted mnt && break; sleep 0.05; done
    check "corrupt: whole file read fails" not cat mnt/w.safetensors >/dev/null 2>read.err
    check "corrupt: with EIO" grep -q "Input/output error" read.err
    not cat mnt/w.safetensors >/dev/null 2>&1 || true
    check "corrupt: the first chunks still read right" cmp <(head -c 65536 mnt/w.safetensors) <(head -c 65536 w.orig)
    check "corrupt: the last chunk still reads right" cmp <(tail -c 4096 mnt/w.safetensors) <(tail -c 4096 w.orig)
    check "corrupt: reported once on stderr" [ "$(grep -c '(chunk [0-9]*, content bytes' mount.err)" -eq 1 ]
    check "corrupt: the report names the file and chunk" grep -q "w.safetensors.znn: .*(chunk [0-9]*, content bytes" mount.err
    check "corrupt: the mount stays up" is_mounted mnt
    kill -TERM $fg_pid
    wait $fg_pid || true
    check "corrupt: unmounted after SIGTERM" not is_mounted mnt
    ;;

delta)
    # --- A fine-tune compressed against its base: shown decoded with --base, refused without.
    fine_tune() {  # fine_tune BASE OUT SEED: BASE's BF16 weights moved a little, the header kept
        python3 - "$@" <<'PY'
import random, struct, sys
base, out, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
b = bytearray(open(base, "rb").read())
(n,) = struct.unpack("<Q", b[:8])
rng = random.Random(seed)
low = b[8 + n::2]
b[8 + n::2] = bytes((x + s % 5 - 2) & 0xFF for x, s in zip(low, rng.randbytes(len(low))))
open(out, "wb").write(b)
PY
    }
    mkdir -p basedir model/sub other mnt one.mnt
    make_safetensors basedir/model.safetensors 21 150000
    fine_tune basedir/model.safetensors model/model.safetensors 23
    fine_tune basedir/model.safetensors model/sub/other-run.safetensors 24
    make_safetensors model/sub/adapter.safetensors 22 5000
    make_safetensors other/model.safetensors 25 150000
    printf '{"model_type": "test"}\n' >model/config.json
    cp -a model original
    "$ZNN" compress -q --rm --chunk-size 16384 --base basedir model
    check "compressed against the base" bash -c \
        "'$ZNN' list model/sub/other-run.safetensors.znn | grep -q \"needs base 'basedir'\""
    one_line() { [ "$(wc -l <"$1")" -eq 1 ]; }

    status=0; "$ZNN" mount model mnt 2>err || status=$?
    check "without --base: exit 1" [ $status -eq 1 ]
    check "without --base: one line" one_line err
    check "without --base: names the file and the base" \
        grep -q "model/.*safetensors.znn: compressed against base model 'basedir': give it with --base" err
    check "without --base: nothing mounted" not is_mounted mnt
    status=0; "$ZNN" mount --base other model mnt 2>err || status=$?
    check "a wrong base: exit 1" [ $status -eq 1 ]
    check "a wrong base: names the tensor" grep -q "wrong base: tensor a.weight of other differs" err
    check "a wrong base: nothing mounted" not is_mounted mnt
    status=0; "$ZNN" mount --base nowhere model mnt 2>err || status=$?
    check "a missing base: exit 1, naming it" grep -q "nowhere: cannot open base" err

    check "mount --base" mount_bg model mnt --base basedir
    check "diff -r against the originals is clean" same_tree original mnt
    check "a range in the middle reads right" cmp <(tail -c +100001 mnt/model.safetensors | head -c 70000) \
        <(tail -c +100001 original/model.safetensors | head -c 70000)
    check "unmount" unmount mnt
    check "no process left" server_gone "$SCRATCH/mnt"

    # A compressed base: in the background (the server opens it again after the fork), and
    # in the foreground (which keeps the base it checked).
    "$ZNN" compress -q basedir/model.safetensors -o model-base.safetensors.znn
    check "mount --base with a compressed base" mount_bg model mnt --base model-base.safetensors.znn
    check "diff -r against the originals is clean" same_tree original mnt
    check "unmount" unmount mnt
    "$ZNN" mount -f --base model-base.safetensors.znn model/model.safetensors.znn \
        "$SCRATCH/one.mnt" 2>fg.err &
    fg_pid=$!
    mounted+=("$SCRATCH/one.mnt")
    for _ in $(seq 100); do is_mounted one.mnt && break; sleep 0.05; done
    check "a single delta file on a compressed base reads right" \
        cmp original/model.safetensors one.mnt/model.safetensors
    kill -TERM $fg_pid
    wait $fg_pid || true
    check "unmounted after SIGTERM" not is_mounted one.mnt
    ;;

python)
    PY=/usr/bin/python3
    [ -x $PY ] || skip "no /usr/bin/python3"
    $PY -c 'import numpy' 2>/dev/null || skip "numpy missing (Debian package python3-numpy)"
    $PY -c 'import onnx' 2>/dev/null || skip "onnx missing (Debian package python3-onnx)"
    mkdir model mnt
    make_safetensors model/model.safetensors 6 100000
    # A small ONNX model with weights: MatMul by a 256x512 initializer, then Add.
    $PY - model/net.onnx <<'PY'
import sys
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
rng = np.random.default_rng(7)
w = numpy_helper.from_array((rng.standard_normal((256, 512)) * 0.02).astype(np.float32), "w")
b = numpy_helper.from_array(np.zeros(512, np.float32), "b")
graph = helper.make_graph(
    [helper.make_node("MatMul", ["x", "w"], ["y0"]), helper.make_node("Add", ["y0", "b"], ["y"])],
    "net", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 256])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 512])], [w, b])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
onnx.checker.check_model(model)
onnx.save(model, sys.argv[1])
PY
    cp -a model original
    "$ZNN" compress -q --rm model
    check "the ONNX file was compressed" test -f model/net.onnx.znn
    mount_bg model mnt
    check "numpy memory-maps a tensor of a mounted shard, bytes equal the original's" $PY - mnt/model.safetensors original/model.safetensors <<'PY'
import json, mmap, struct, sys
import numpy as np
def tensor(path, name):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    begin, end = header[name]["data_offsets"]
    return np.memmap(path, dtype=np.uint16, mode="r", offset=8 + n + begin, shape=((end - begin) // 2,))
mounted, original = tensor(sys.argv[1], "b.weight"), tensor(sys.argv[2], "b.weight")
assert mounted.size > 0 and np.array_equal(mounted, original)
with open(sys.argv[1], "rb") as f:  # a plain mmap of the whole file, too
    assert mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)[:] == open(sys.argv[2], "rb").read()
PY
    check "onnx.load reads the mounted ONNX file and check_model passes" $PY - mnt/net.onnx original/net.onnx <<'PY'
import sys
import onnx
mounted = onnx.load(sys.argv[1])
onnx.checker.check_model(mounted)
assert mounted.SerializeToString() == onnx.load(sys.argv[2]).SerializeToString()
PY
    check "unmount" unmount mnt
    check "no process left" server_gone "$SCRATCH/mnt"
    ;;
*)
    echo "unknown part: $PART" >&2
    exit 2
    ;;
esac

finish "cli_mount $PART"
