#!/usr/bin/env bash
# Benchmarks using compressed models in place (README, "Using a compressed model"):
#   1. Sequential read (dd bs=1M) of a ~570 MB BF16 safetensors file through `znn mount`,
#      against the uncompressed file through libfuse's own passthrough example (built here
#      from Debian's libfuse3-dev examples). Every run reads through a fresh mount, so the
#      kernel's page cache of the mounted file is cold while the files underneath stay hot.
#   2. 4 KiB reads at random offsets of that file through the mount: median and p99.
#   3. `znn extract` of one ~1 MiB tensor of it, against `znn decompress -c` of the whole.
#   4. Peak RSS of the mount process while a 4.6 GiB file is read end to end, against its
#      cache size + 64 MiB.
# The machine is shared and noisy: the two sides of each comparison run alternately, and
# medians are reported. Needs root (or FUSE rights), cc, libfuse3-dev, ~12 GB in $TMPDIR.
# Usage: scripts/bench_mount.sh [BUILD_DIR] [RUNS]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
runs=${2:-9}
znn=$build/znn
work=$(mktemp -d)
mounts=()
cleanup() {
    for m in "${mounts[@]}"; do fusermount3 -u -z "$m" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

examples=/usr/share/doc/libfuse3-dev/examples
[ -f $examples/passthrough.c ] || { echo "needs $examples/passthrough.c (apt install libfuse3-dev)" >&2; exit 1; }
cc -O2 -w -I$examples $examples/passthrough.c $(pkg-config fuse3 --cflags --libs) -o "$work/passthrough"

echo "== files"
python3 "$here/scripts/make_big_bf16.py" "$work/big.safetensors" 570 --tensor-mb 1.048576
"$znn" compress -q -T2 "$work/big.safetensors"
ls -l "$work/big.safetensors" "$work/big.safetensors.znn" | awk '{print $5, $NF}'
mkdir "$work/src" "$work/zmnt" "$work/pmnt"
ln "$work/big.safetensors.znn" "$work/src/big.safetensors.znn"
warm() { cat "$work/big.safetensors" "$work/big.safetensors.znn" >/dev/null; }
mount_znn() { "$znn" mount "$@" "$work/src" "$work/zmnt"; mounts+=("$work/zmnt"); }
mount_pt() { "$work/passthrough" -o ro "$work/pmnt"; mounts+=("$work/pmnt"); }
zfile=$work/zmnt/big.safetensors
pfile=$work/pmnt$work/big.safetensors

dd_mbps() {  # dd_mbps FILE: MB/s of one sequential read
    dd if="$1" of=/dev/null bs=1M 2>&1 | awk '/copied/ { printf "%.0f\n", $1 / $(NF-3) / 1e6 }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo
echo "== 1. sequential read, dd bs=1M, fresh mount per run, $runs runs each, alternating (MB/s)"
: >"$work/seq_znn"
: >"$work/seq_pt"
for i in $(seq "$runs"); do
    warm
    mount_znn
    dd_mbps "$zfile" >>"$work/seq_znn"
    fusermount3 -u "$work/zmnt"
    mount_pt
    dd_mbps "$pfile" >>"$work/seq_pt"
    fusermount3 -u "$work/pmnt"
done
z=$(median <"$work/seq_znn")
p=$(median <"$work/seq_pt")
echo "znn mount:   $(tr '\n' ' ' <"$work/seq_znn")-> median $z MB/s"
echo "passthrough: $(tr '\n' ' ' <"$work/seq_pt")-> median $p MB/s"
awk -v z="$z" -v p="$p" 'BEGIN { printf "znn mount / passthrough: %.0f%% (target: at least 80%%)\n", 100 * z / p }'

echo
echo "== 2. 4 KiB reads at random offsets, fresh mount (ms)"
random_reads() {  # random_reads FILE SEED: median and p99 latency of 2000 reads
    python3 - "$1" "$2" <<'PY'
import os, random, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
size = os.fstat(fd).st_size
rng = random.Random(int(sys.argv[2]))
lat = []
for _ in range(2000):
    offset = rng.randrange(0, size - 4096)
    t = time.perf_counter_ns()
    assert len(os.pread(fd, 4096, offset)) == 4096
    lat.append((time.perf_counter_ns() - t) / 1e6)
lat.sort()
print(f"median {lat[len(lat) // 2]:.3f} p99 {lat[len(lat) * 99 // 100]:.3f} max {lat[-1]:.3f}")
PY
}
for i in 1 2 3; do
    warm
    mount_znn
    echo "znn mount   run $i: $(random_reads "$zfile" $i)"
    fusermount3 -u "$work/zmnt"
    mount_pt
    echo "passthrough run $i: $(random_reads "$pfile" $i)"
    fusermount3 -u "$work/pmnt"
done
echo "(targets: median at most 1 ms, p99 at most 5 ms)"

echo
echo "== 3. extract one 1 MiB tensor vs decompress the whole file, whole processes (ms)"
tensor=layers.300.weight
"$znn" list --tensors "$work/big.safetensors.znn" | awk -v t=$tensor '$1 == t'
python3 - "$znn" "$work" $tensor "$runs" <<'PY'
import os, statistics, subprocess, sys, time
znn, work, tensor, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
src = os.path.join(work, "big.safetensors.znn")
out = os.path.join(work, "tensor.safetensors")
extract = [znn, "extract", "-f", src, "--tensor", tensor, "-o", out]
decompress = [znn, "decompress", "-c", "-T2", src]
times = {"extract": [], "decompress": []}
for _ in range(runs):
    for name, cmd in (("extract", extract), ("decompress", decompress)):
        with open(os.devnull, "wb") as null:
            t = time.perf_counter()
            subprocess.run(cmd, stdout=null, check=True)
            times[name].append((time.perf_counter() - t) * 1e3)
e, d = statistics.median(times["extract"]), statistics.median(times["decompress"])
print(f"extract:    median {e:.1f} ms  ({' '.join(f'{x:.1f}' for x in times['extract'])})")
print(f"decompress: median {d:.1f} ms  ({' '.join(f'{x:.1f}' for x in times['decompress'])})")
print(f"extract is {d / e:.1f}x faster (target: at least 20x)")
PY
rm -f "$work/big.safetensors" "$work/tensor.safetensors"

echo
echo "== 4. peak RSS of the mount process reading a 4.6 GiB file end to end"
python3 "$here/scripts/make_big_bf16.py" "$work/huge.safetensors" 4939
"$znn" compress -q -T2 --rm "$work/huge.safetensors"
mkdir "$work/src2" "$work/hmnt"
mv "$work/huge.safetensors.znn" "$work/src2/"
"$znn" mount -f --cache-size 64M "$work/src2" "$work/hmnt" &
pid=$!
mounts+=("$work/hmnt")
for _ in $(seq 100); do grep -qF " $work/hmnt " /proc/self/mountinfo && break; sleep 0.05; done
echo "read: $(dd_mbps "$work/hmnt/huge.safetensors") MB/s"
hwm=$(awk '/VmHWM/ { print $2 }' /proc/$pid/status)
echo "peak RSS: $((hwm / 1024)) MiB (limit: cache 64 MiB + 64 MiB = 128 MiB)"
kill -TERM $pid
wait $pid || true
