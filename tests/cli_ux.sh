#!/usr/bin/env bash
# The command line as a zstd user expects it (issue #13 §2 and §4): the form without a
# subcommand, levels, global options, parser messages, size suffixes; and what znn says:
# summary and progress lines, sizes, hints, list of folders, bench's zstd threads.
# Usage: tests/cli_ux.sh path/to/znn
# Prints one line per failed check, and "cli_ux: N passed, M failed" last; exits 1 if any failed.
set -uo pipefail

# shellcheck source=tests/cli_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
setup_cli_test cli_ux "$@"

# expect_usage NAME: exit 2, and stderr is one line starting "znn: ".
expect_usage() {
    expect_rc "$1" 2
    if [[ $(wc -l <err.txt) -eq 1 && $(head -n1 err.txt) == "znn: "* ]]; then pass; else fail "$1: want one 'znn: ...' line: $(tr '\n' '|' <err.txt)"; fi
}
same() { cmp -s "$1" "$2"; }

python3 - <<'EOF' || { echo "cli_ux: python3 failed to generate data"; exit 1; }
import json, os, random, struct
rng = random.Random(99)
def bf16(n):
    return b''.join(struct.pack('<f', rng.gauss(0.0, 0.02))[2:] for _ in range(n))
open('w.bin', 'wb').write(bf16(300_000))   # 600,000 bytes: 586 KiB
open('a.bin', 'wb').write(bf16(100_000))
open('b.bin', 'wb').write(bf16(100_000))
os.mkdir('model')
body = bf16(50_000)
head = json.dumps({'w': {'dtype': 'BF16', 'shape': [50_000], 'data_offsets': [0, len(body)]}}).encode()
open('model/model-00001-of-00001.safetensors', 'wb').write(struct.pack('<Q', len(head)) + head + body)
json.dump({'metadata': {}, 'weight_map': {'w': 'model-00001-of-00001.safetensors'}},
          open('model/model.safetensors.index.json', 'w'))
EOF
"$BIN" compress -q -c w.bin >default.znn || fail "compress -c w.bin"

# ---------------------------------------------------------------------------------------------
# zstd habits: no subcommand.
run "$BIN" w.bin
expect_rc "znn FILE" 0
check "znn FILE writes FILE.znn, as compress does" same w.bin.znn default.znn
check "znn FILE keeps the source" test -s w.bin
run "$BIN" -z -f w.bin
expect_rc "znn -z -f FILE" 0
mv w.bin w.orig
run "$BIN" -d w.bin.znn
expect_rc "znn -d FILE" 0
check "znn -d restores the file" same w.bin w.orig
run "$BIN" -t w.bin.znn
expect_rc "znn -t FILE" 0
check "znn -t writes nothing" empty_file out.txt
run "$BIN" -l w.bin.znn
expect_rc "znn -l FILE" 0
expect_grep "znn -l lists the file" out.txt ' w\.bin\.znn$'
"$BIN" -dc w.bin.znn >dc.out 2>err.txt
check "znn -dc (combined flags) to stdout" same dc.out w.orig
run "$BIN" a.bin b.bin
expect_rc "znn FILE FILE" 0
check "znn FILE FILE: both compressed" test -s a.bin.znn -a -s b.bin.znn
run "$BIN" -d -t w.bin.znn
expect_rc "the last of -d and -t wins (test)" 0
run "$BIN" -t compress w.bin
expect_usage "a mode flag with a subcommand"

# ---------------------------------------------------------------------------------------------
# Levels.
for n in 1 2 3 4 5 6 7 8 9; do
    run "$BIN" "-$n" -c w.bin
    expect_rc "-$n" 0
    cp out.txt "l$n.znn"
    "$BIN" -dc "l$n.znn" 2>/dev/null | cmp -s - w.bin
    if [[ $? -eq 0 ]]; then pass; else fail "-$n round-trips"; fi
done
check "no level is level 3, byte for byte" same l3.znn default.znn
check "level 1 differs from level 3" test "$(cmp -s l1.znn l3.znn; echo $?)" = 1
check "level 9 differs from level 3" test "$(cmp -s l9.znn l3.znn; echo $?)" = 1
s1=$(stat -c %s l1.znn); s3=$(stat -c %s l3.znn); s9=$(stat -c %s l9.znn)
if [[ $s9 -le $s3 && $s3 -le $s1 ]]; then pass; else fail "sizes by level: -1 $s1, -3 $s3, -9 $s9"; fi
"$BIN" compress --level 9 -c w.bin >level9.znn 2>/dev/null
check "--level 9 is -9" same level9.znn l9.znn
"$BIN" compress -c -9 -- w.bin >dashdash.znn 2>/dev/null
check "a level before -- and a file after it" same dashdash.znn l9.znn
run "$BIN" compress -19 w.bin -f
expect_usage "-19: out of range"
expect_grep "-19 named in the message" err.txt '^znn: -19: level out of range \(1 to 9\)'
run "$BIN" -0 -f w.bin
expect_usage "-0: out of range"
run "$BIN" compress --level 10 -f w.bin
expect_usage "--level 10: out of range"
run "$BIN" -d -5 w.bin.znn
expect_usage "a level when decompressing"
run "$BIN" -d --level 5 w.bin.znn
expect_usage "--level when decompressing"
run "$BIN" --dtype bf16 -t w.bin.znn
expect_usage "--dtype when testing"
run "$BIN" --chunk-size 64K decompress w.bin.znn
expect_usage "--chunk-size before decompress"
run "$BIN" --level 2 bench --seconds 0 a.bin
expect_rc "--level before bench" 0
check "out-of-range levels wrote nothing" absent w.bin.znn.znn
"$BIN" compress -q -f -o minus5 -- -5 2>/dev/null
check "after --, -5 is a file name" test "$?" -ne 0
run "$BIN" compress -q -f -o minus.znn w.bin
check "-o takes a name" test -s minus.znn

# ---------------------------------------------------------------------------------------------
# -T0, global options before the subcommand, parser messages, size suffixes.
run "$BIN" compress -T0 -c w.bin
expect_rc "-T0" 0
check "-T0 makes the same bytes" same out.txt default.znn
run "$BIN" -q -f -T2 compress w.bin
expect_rc "-q -f -T2 before the subcommand" 0
check "-q before the subcommand: nothing printed" empty_file err.txt
run "$BIN" -v decompress -f w.bin.znn
expect_rc "-v before the subcommand" 0
expect_grep "-v before the subcommand: a summary" err.txt '^w\.bin\.znn : '
run "$BIN" compress --no-such-flag w.bin
expect_usage "unknown flag"
expect_grep "unknown flag: says which, and where help is" err.txt "^znn: .*--no-such-flag.*znn compress --help"
run "$BIN" compres w.bin
expect_usage "mistyped subcommand"
expect_grep "did you mean compress" err.txt "did you mean 'compress'\\?"
run "$BIN" lst w.bin.znn
expect_grep "did you mean list" err.txt "did you mean 'list'\\?"
run "$BIN" decomp w.bin.znn
expect_grep "a prefix: did you mean decompress" err.txt "did you mean 'decompress'\\?"
run "$BIN" frobnicate
expect_usage "neither a file nor a subcommand"
run "$BIN"
expect_usage "nothing given"
run "$BIN" bench
expect_usage "bench without a file"
for size in 64K 64KiB 65536 64k; do
    run "$BIN" compress -f --chunk-size "$size" -o "cs-$size.znn" w.bin
    expect_rc "--chunk-size $size" 0
done
check "--chunk-size 64K = 64KiB" same cs-64K.znn cs-64KiB.znn
check "--chunk-size 64K = 65536" same cs-64K.znn cs-65536.znn
"$BIN" list cs-64K.znn >out.txt
expect_grep "64 KiB chunks: 10 of them" out.txt '^ +1 .* +10  [0-9a-f]{16} '
"$BIN" compress -q -c --chunk-size 1M w.bin >m1.znn
"$BIN" compress -q -c --chunk-size 1MiB w.bin >m2.znn
"$BIN" compress -q -c --chunk-size 1048576 w.bin >m3.znn
check "--chunk-size 1M = 1MiB = 1048576" bash -c 'cmp -s m1.znn m2.znn && cmp -s m1.znn m3.znn'
run "$BIN" compress --chunk-size 3X w.bin
expect_usage "--chunk-size 3X"
run "$BIN" compress --chunk-size 100K -f w.bin
expect_rc "--chunk-size 100K (a multiple of 8)" 0
run "$BIN" compress --chunk-size 128M w.bin -f
expect_usage "--chunk-size over 64 MiB"

# ---------------------------------------------------------------------------------------------
# What znn says.
run "$BIN" list w.bin
expect_rc "list of a file that is not .znn" 1
expect_grep "list: not a .znn file" err.txt '^znn: w\.bin: not a \.znn file'
cp w.orig x.onnx
run "$BIN" decompress x.onnx
expect_rc "decompress x.onnx" 1
expect_grep "decompress x.onnx suggests -o" err.txt '^znn: x\.onnx: unknown suffix .* -o'
mkdir -p nothing && printf '{}\n' >nothing/config.json
run "$BIN" compress -v nothing
expect_rc "compress -v on a folder with nothing to compress" 0
expect_grep "compress -v says there is nothing" err.txt '^znn: nothing: nothing to compress'
run "$BIN" decompress -v nothing
expect_grep "decompress -v says there is nothing" err.txt '^znn: nothing: nothing to decompress'
run "$BIN" index -v model
expect_rc "index -v" 0
expect_grep "index -v names an index in sync" out.txt 'model\.safetensors\.index\.json: in sync'
expect_grep "index -v counts" out.txt '^1 index file checked, 0 updated'
if "$BIN" index --help | grep -q 'summary line'; then fail "index --help promises a summary line"; else pass; fi
run "$BIN" -v -f w.bin
expect_grep "-v summary with binary units and speed" err.txt '^w\.bin : [0-9]+\.[0-9]{2}% \(586 KiB => [0-9.]+ KiB, w\.bin\.znn\) [0-9.]+ [KMG]iB/s$'

# list: folders, several files, totals.
mkdir -p tree/sub && cp a.bin.znn tree/ && cp b.bin.znn tree/sub/ && cp w.orig tree/sub/plain.bin
run "$BIN" list tree
expect_rc "list DIR" 0
if [[ $(wc -l <out.txt) -eq 4 ]]; then pass; else fail "list DIR: header, 2 rows, total: $(cat out.txt)"; fi
expect_grep "list DIR: a row per .znn" out.txt ' tree/a\.bin\.znn$'
expect_grep "list DIR: files in subfolders" out.txt ' tree/sub/b\.bin\.znn$'
expect_grep "list DIR: a totals row" out.txt '^ +2 .* \(total of 2 files\)$'
expect_grep "list: sizes in KiB" out.txt ' KiB '
run "$BIN" list a.bin.znn b.bin.znn w.bin.znn
expect_grep "list of 3 files: totals row" out.txt '^ +3 .* \(total of 3 files\)$'
run "$BIN" list w.bin.znn
if [[ $(wc -l <out.txt) -eq 2 ]]; then pass; else fail "list of one file: no totals row: $(cat out.txt)"; fi
run "$BIN" list -q w.bin.znn a.bin.znn
expect_rc "list -q of .znn files" 0
check "list -q prints nothing" empty_file out.txt
run "$BIN" list -q w.bin.znn w.orig
expect_rc "list -q with a file that is not .znn" 1
check "list -q: the error only" test "$(wc -l <err.txt)" -eq 1 -a ! -s out.txt
mkdir -p none
run "$BIN" list none
expect_grep "list of a folder without .znn files says so" err.txt '^znn: none: no \.znn files'

# bench: zstd gets -T's threads as workers, or the line says it ran on one.
run "$BIN" bench --seconds 0 -T2 a.bin
expect_rc "bench -T2" 0
expect_grep "bench -T2: zstd's threads" out.txt '^a\.bin: .*znn level 3 with 2 threads, zstd (with 2 workers|on one thread \(this libzstd has no worker threads\))$'
run "$BIN" bench --seconds 0 -7 a.bin
expect_grep "bench -7 measures level 7" out.txt 'znn level 7 with 1 thread, zstd on one thread$'
run "$BIN" bench --seconds 0 -T0 a.bin
expect_grep "bench -T0: one thread per core" out.txt "with $(nproc) thread"

# ---------------------------------------------------------------------------------------------
# On a terminal: the summary line, the totals, and progress.
if have_script; then
    run_on_tty "'$BIN' -f w.bin"
    if [[ $(tr -d '\r' <tty.txt) =~ ^w\.bin\ :\ [0-9]+\.[0-9]{2}%\ \(586\ KiB\ =\>\ [0-9.]+\ KiB,\ w\.bin\.znn\)$ ]]; then pass; else fail "summary line on a terminal: $(cat -A tty.txt | head -c 300)"; fi
    run_on_tty "'$BIN' -d -f w.bin.znn"
    expect_grep "decompress summary names the output" tty.txt '^w\.bin\.znn : [0-9.]+% \([0-9.]+ KiB => 586 KiB, w\.bin\)'
    run_on_tty "'$BIN' -t w.bin.znn"
    expect_grep "test summary says OK" tty.txt '^w\.bin\.znn : [0-9.]+% \([0-9.]+ KiB => 586 KiB, OK\)'
    run_on_tty "'$BIN' -c w.bin >stdout.znn"
    check "no summary when the output is stdout" empty_file tty.txt
    run_on_tty "'$BIN' -q -f w.bin"
    check "no summary with -q" empty_file tty.txt
    run_on_tty "'$BIN' -f a.bin b.bin"
    if [[ $(tr -d '\r' <tty.txt) =~ ^2\ files\ compressed\ :\ [0-9.]+%\ \(391\ KiB\ =\>\ [0-9.]+\ KiB\)$ ]]; then pass; else fail "several files: one total line: $(cat -A tty.txt | head -c 300)"; fi
    run_on_tty "'$BIN' -v -f a.bin b.bin"
    if [[ $(grep -c ' : ' tty.txt) -eq 3 ]]; then pass; else fail "several files with -v: a line each and the total: $(cat -A tty.txt | head -c 400)"; fi
    run_on_tty "'$BIN' compress -f model"
    expect_grep "a folder: its total" tty.txt '^1 file compressed : '

    # Progress: ZNN_PROGRESS_DELAY_MS=0 draws at every chunk instead of after a second.
    run_on_tty "ZNN_PROGRESS_DELAY_MS=0 '$BIN' -f --chunk-size 64K w.bin"
    expect_grep "progress: bytes done and total, percent, speed, time left" tty.txt \
        'znn: w\.bin: +[0-9]+% [0-9.]+ KiB / 586 KiB, [0-9.]+ [KMG]iB/s, [0-9]+:[0-9]{2} left'
    expect_grep "progress, then the summary" tty.txt 'w\.bin : [0-9.]+% \(586 KiB'
    # Files named one by one run several at a time when there are threads for it: the
    # line then shows the total only; one after another (-T1), which file too.
    run_on_tty "ZNN_PROGRESS_DELAY_MS=0 '$BIN' -f -T2 --chunk-size 64K a.bin b.bin"
    expect_grep "several files at once: the total" tty.txt \
        'znn: \[[12]/2\] all +[0-9]+% [0-9.]+ KiB / 391 KiB, [0-9.]+ [KMG]iB/s'
    run_on_tty "ZNN_PROGRESS_DELAY_MS=0 '$BIN' -f -T1 --chunk-size 64K a.bin b.bin"
    expect_grep "several files: which file, and the total" tty.txt \
        'znn: \[1/2\] a\.bin: +[0-9]+%; all +[0-9]+% [0-9.]+ KiB / 391 KiB, [0-9.]+ [KMG]iB/s'
    expect_grep "several files: the second one" tty.txt 'znn: \[2/2\] b\.bin: '
    mkdir -p many && for i in 1 2 3 4; do cp a.bin "many/f$i.bin"; done
    run_on_tty "ZNN_PROGRESS_DELAY_MS=0 '$BIN' compress -T2 -f --chunk-size 64K many"
    expect_grep "a folder's files at once: the total alone" tty.txt 'znn: \[[0-9]/4\] all +[0-9]+% [0-9.]+ KiB / 781 KiB'
    run_on_tty "ZNN_PROGRESS_DELAY_MS=0 '$BIN' -q -f --chunk-size 64K w.bin"
    check "no progress with -q" empty_file tty.txt
    ZNN_PROGRESS_DELAY_MS=0 "$BIN" -f --chunk-size 64K w.bin 2>err.txt
    check "no progress when stderr is not a terminal" empty_file err.txt
else
    echo "note: util-linux script missing: terminal checks skipped"
fi

echo "cli_ux: $PASS passed, $FAIL failed"
[[ $FAIL -eq 0 ]]
