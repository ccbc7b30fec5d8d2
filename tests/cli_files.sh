#!/usr/bin/env bash
# End-to-end checks of the znn command line on real files, pipes and error paths.
# Usage: tests/cli_files.sh path/to/znn
# Prints one line per failed check, and "cli_files: N passed, M failed" last; exits 1 if any failed.
set -uo pipefail

# shellcheck source=tests/cli_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
setup_cli_test cli_files "$@"

# ---------------------------------------------------------------------------------------------
# Data.
python3 - <<'EOF' || { echo "cli_files: python3 failed to generate data"; exit 1; }
import random, struct
from array import array
rng = random.Random(1234)
n = 1_500_000  # 3 MB of bf16
floats = array('f', (rng.gauss(0.0, 0.02) for _ in range(n))).tobytes()
out = bytearray(2 * n)
out[0::2] = floats[2::4]  # little-endian: the high half of each fp32 is its bf16
out[1::2] = floats[3::4]
open('weights.bin', 'wb').write(out)
open('small.bin', 'wb').write(out[:200_000])
EOF
head -c 200000 /dev/urandom >rand.bin
head -c 300000 /dev/urandom >big.bin
printf 'hello, znn\n' >text.txt
: >zero.bin
printf 'x' >one.bin

# ---------------------------------------------------------------------------------------------
# compress / decompress / test / list on files.
mkdir basic && cp weights.bin rand.bin text.txt basic/
{
    cd "$SCRATCH/basic" || fail "cd basic"
    run "$BIN" compress weights.bin
    expect_rc "compress FILE" 0
    check "compress FILE writes FILE.znn" test -s weights.bin.znn
    check "compress FILE keeps the source" cmp weights.bin ../weights.bin
    check "compress FILE prints nothing on stdout" empty_file out.txt
    check "compress FILE prints nothing on stderr" empty_file err.txt
    sz=$(stat -c %s weights.bin.znn)
    if [[ $sz -lt 3000000 ]]; then pass; else fail "bf16 data did not compress ($sz bytes)"; fi
    mv weights.bin weights.orig
    run "$BIN" decompress weights.bin.znn
    expect_rc "decompress FILE.znn" 0
    check "decompress restores byte-identical" cmp weights.bin weights.orig
    check "decompress keeps the .znn" test -s weights.bin.znn
    run "$BIN" test weights.bin.znn
    expect_rc "test FILE.znn" 0
    check "test writes nothing on stdout" empty_file out.txt
    run "$BIN" list weights.bin.znn
    expect_rc "list FILE.znn" 0
    if [[ $(wc -l <out.txt) -eq 2 && $(tail -n1 out.txt) == *" weights.bin.znn" ]]; then pass; else fail "list prints a header and one row: $(cat out.txt)"; fi
    run "$BIN" info weights.bin.znn
    expect_rc "info (alias of list)" 0

    # Several files in one call.
    run "$BIN" compress rand.bin text.txt weights.orig
    expect_rc "compress several files" 0
    check "several: rand.bin.znn" test -s rand.bin.znn
    check "several: text.txt.znn" test -s text.txt.znn
    check "several: weights.orig.znn" test -s weights.orig.znn
    mkdir orig && mv rand.bin text.txt weights.orig orig/
    run "$BIN" decompress rand.bin.znn text.txt.znn weights.orig.znn
    expect_rc "decompress several files" 0
    check "several: rand.bin restored" cmp rand.bin orig/rand.bin
    check "several: text.txt restored" cmp text.txt orig/text.txt
    check "several: weights.orig restored" cmp weights.orig orig/weights.orig
    run "$BIN" test rand.bin.znn text.txt.znn
    expect_rc "test several files" 0
    run "$BIN" list rand.bin.znn text.txt.znn
    expect_rc "list several files" 0
    if [[ $(wc -l <out.txt) -eq 4 && $(tail -n1 out.txt) == *"(total of 2 files)" ]]; then pass; else fail "list of two files prints a header, 2 rows and a total: $(cat out.txt)"; fi

    # One bad input among several: the others are still processed, exit 1.
    rm -f rand.bin.znn text.txt.znn
    run "$BIN" compress rand.bin missing.bin text.txt
    expect_rc "compress with a missing input" 1
    expect_error_line "missing input message" missing.bin
    check "missing input: earlier file done" test -s rand.bin.znn
    check "missing input: later file done" test -s text.txt.znn
    no_temp_files "several files" .
}
cd "$SCRATCH"

# ---------------------------------------------------------------------------------------------
# -o and usage errors.
mkdir opts && cp small.bin text.txt opts/
{
    cd "$SCRATCH/opts" || fail "cd opts"
    run "$BIN" compress small.bin -o packed.out
    expect_rc "-o OUT" 0
    check "-o writes OUT" test -s packed.out
    check "-o writes no FILE.znn" absent small.bin.znn
    run "$BIN" decompress packed.out -o restored.bin
    expect_rc "decompress -o OUT (any input suffix)" 0
    check "decompress -o restores" cmp restored.bin small.bin
    run "$BIN" compress small.bin text.txt -o both.out
    expect_rc "-o with two inputs" 2
    check "-o with two inputs writes nothing" absent both.out
    # -o names one file; a folder has one output per file, so -o with a folder is refused.
    mkdir dir && cp small.bin dir/
    run "$BIN" compress -o dir.out dir
    expect_rc "-o with a folder" 2
    expect_error_line "-o with a folder message" dir
    check "-o with a folder writes nothing" absent dir.out
    check "-o with a folder compresses nothing" absent dir/small.bin.znn
    "$BIN" compress -q dir && rm dir/small.bin
    run "$BIN" decompress -o dir.out dir
    expect_rc "decompress -o with a folder" 2
    check "decompress -o with a folder restores nothing" absent dir/small.bin
    rm -r dir
    run "$BIN" compress --no-such-flag small.bin
    expect_rc "unknown flag" 2
    run "$BIN" compress --dtype bf17 small.bin
    expect_rc "bad --dtype" 2
    run "$BIN" compress -T 1025 small.bin
    expect_rc "-T 1025" 2
    run "$BIN" compress --chunk-size 1004 small.bin
    expect_rc "--chunk-size not a multiple of 8" 2
    run "$BIN" compress --chunk-size 8 small.bin
    expect_rc "--chunk-size below the minimum" 2
    run "$BIN"
    expect_rc "no subcommand" 2
    run "$BIN" frobnicate small.bin
    expect_rc "unknown subcommand" 2
    check "usage errors wrote no output" absent small.bin.znn
    no_temp_files "usage errors" .

    # Existing output: refused without -f, replaced with -f.
    printf 'existing\n' >small.bin.znn
    cp small.bin.znn existing.copy
    run "$BIN" compress small.bin
    expect_rc "existing output without -f" 1
    expect_error_line "existing output message" small.bin.znn
    check "existing output unchanged" cmp small.bin.znn existing.copy
    run "$BIN" compress -f small.bin
    expect_rc "existing output with -f" 0
    check "-f replaced the output" "$BIN" test small.bin.znn
    printf 'existing\n' >small.bin
    run "$BIN" decompress small.bin.znn
    expect_rc "decompress onto existing output without -f" 1
    check "decompress: existing output unchanged" cmp small.bin existing.copy
    run "$BIN" decompress -f small.bin.znn
    expect_rc "decompress with -f" 0
    check "decompress -f replaced the output" cmp small.bin ../small.bin
    no_temp_files "existing outputs" .

    # The output may never be the input, even with -f (and whatever the input is named).
    for name in self.bin stdin; do
        cp ../small.bin "$name"
        run "$BIN" compress -f "$name" -o "$name"
        expect_rc "compress -f $name -o $name" 1
        if grep -q "^znn: $name: output would overwrite the input" err.txt; then pass; else fail "self-overwrite message ($name): $(head -c 300 err.txt)"; fi
        check "$name kept" cmp "$name" ../small.bin
    done
    no_temp_files "self-overwrite" .
}
cd "$SCRATCH"

# ---------------------------------------------------------------------------------------------
# --rm.
mkdir rm && cp small.bin rm/
{
    cd "$SCRATCH/rm" || fail "cd rm"
    run "$BIN" compress --rm small.bin
    expect_rc "compress --rm" 0
    check "compress --rm removed the source" absent small.bin
    check "compress --rm wrote the .znn" test -s small.bin.znn
    run "$BIN" decompress --rm small.bin.znn
    expect_rc "decompress --rm" 0
    check "decompress --rm removed the .znn" absent small.bin.znn
    check "decompress --rm restored" cmp small.bin ../small.bin
    "$BIN" compress small.bin -o bad.znn
    python3 -c "import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[len(b)//2]^=0xFF; open(p,'wb').write(b)" bad.znn
    cp bad.znn bad.copy
    run "$BIN" decompress --rm bad.znn
    expect_rc "decompress --rm of a corrupt file" 1
    check "failed --rm keeps the source" cmp bad.znn bad.copy
    check "failed --rm leaves no output" absent bad
    no_temp_files "--rm" .

    # -k and --rm: the last one typed wins, as in zstd.
    rm -f small.bin.znn
    for keep in -k --keep; do
        run "$BIN" compress --rm "$keep" small.bin
        expect_rc "compress --rm $keep" 0
        check "compress --rm $keep keeps the source" cmp small.bin ../small.bin
        check "compress --rm $keep writes the .znn" test -s small.bin.znn
        rm -f small.bin.znn
        run "$BIN" compress "$keep" --rm small.bin
        expect_rc "compress $keep --rm" 0
        check "compress $keep --rm removes the source" absent small.bin
        run "$BIN" decompress --rm "$keep" small.bin.znn
        expect_rc "decompress --rm $keep" 0
        check "decompress --rm $keep keeps the .znn" test -s small.bin.znn
        check "decompress --rm $keep restores" cmp small.bin ../small.bin
        rm small.bin
        run "$BIN" decompress "$keep" --rm small.bin.znn
        expect_rc "decompress $keep --rm" 0
        check "decompress $keep --rm removes the .znn" absent small.bin.znn
        check "decompress $keep --rm restores" cmp small.bin ../small.bin
    done
}
cd "$SCRATCH"

# ---------------------------------------------------------------------------------------------
# stdin / stdout.
mkdir pipe && cp small.bin weights.bin pipe/
{
    cd "$SCRATCH/pipe" || fail "cd pipe"
    cat small.bin | "$BIN" compress >s.znn 2>err.txt
    RC=$?
    expect_rc "cat f | znn compress > f.znn" 0
    check "stdin compress: no stderr" empty_file err.txt
    run "$BIN" decompress -c s.znn
    expect_rc "decompress -c" 0
    check "decompress -c | cmp" cmp out.txt small.bin
    check "decompress -c keeps no output file" absent s
    "$BIN" compress -c small.bin 2>err.txt | "$BIN" decompress 2>>err.txt | cmp - small.bin >/dev/null 2>&1
    if [[ $? -eq 0 && ! -s err.txt ]]; then pass; else fail "compress -c f | decompress | cmp"; fi
    check "compress -c writes no FILE.znn" absent small.bin.znn
    run "$BIN" compress - <small.bin
    expect_rc "compress -" 0
    check "compress - matches stdin compress" cmp out.txt s.znn
    run "$BIN" decompress - <s.znn
    expect_rc "decompress -" 0
    check "decompress - restores" cmp out.txt small.bin
    run "$BIN" test - <s.znn
    expect_rc "test -" 0
    run "$BIN" test <s.znn
    expect_rc "test (stdin)" 0
    run "$BIN" compress -o o.znn <small.bin
    expect_rc "stdin compress -o" 0
    check "stdin -o matches" cmp o.znn s.znn
    run "$BIN" decompress -v <s.znn
    expect_rc "decompress -v from stdin" 0
    if grep -q '^stdin : ' err.txt; then pass; else fail "decompress -v from stdin names stdin: $(cat err.txt)"; fi
    head -c 1000 s.znn | "$BIN" decompress >cut.out 2>err.txt
    RC=$?
    expect_rc "truncated stdin" 1
    expect_error_line "truncated stdin message" stdin

    # Determinism: threads and file vs stdin.
    "$BIN" compress -T1 --chunk-size 4096 -c weights.bin >t1.znn
    "$BIN" compress -T2 --chunk-size 4096 -c weights.bin >t2.znn
    "$BIN" compress -T2 --chunk-size 4096 <weights.bin >t2stdin.znn
    "$BIN" compress -T1 --chunk-size 4096 <weights.bin >t1stdin.znn
    check "-T1 output is valid" "$BIN" test t1.znn
    check "-T1 and -T2 identical" cmp t1.znn t2.znn
    check "file and stdin identical (-T2)" cmp t2.znn t2stdin.znn
    check "file and stdin identical (-T1)" cmp t1.znn t1stdin.znn
    run "$BIN" list t1.znn
    chunks=$(awk 'NR==2 {print $7}' out.txt)
    if [[ $chunks =~ ^[0-9]+$ && $chunks -ge 700 ]]; then pass; else fail "--chunk-size 4096 gives many chunks (list: $(tail -n1 out.txt))"; fi
    "$BIN" compress -T1 --chunk-size 4096 -c weights.bin 2>/dev/null | "$BIN" decompress -T2 2>/dev/null | cmp - weights.bin >/dev/null 2>&1
    if [[ $? -eq 0 ]]; then pass; else fail "many chunks round-trip with -T2"; fi
    "$BIN" compress -T2 --dtype bytes -c weights.bin >b2.znn
    "$BIN" compress -T1 --dtype bytes -c weights.bin >b1.znn
    check "--dtype bytes: -T1 and -T2 identical" cmp b1.znn b2.znn
    check "--dtype bytes output decodes" "$BIN" test b1.znn
}
cd "$SCRATCH"

# ---------------------------------------------------------------------------------------------
# Concatenated frames.
mkdir cat && cp small.bin text.txt zero.bin cat/
{
    cd "$SCRATCH/cat" || fail "cd cat"
    "$BIN" compress small.bin text.txt zero.bin
    cat small.bin.znn text.txt.znn >ab.znn
    cat small.bin text.txt >ab.want
    run "$BIN" decompress -c ab.znn
    expect_rc "decompress concatenated" 0
    check "concatenated decode to the concatenation" cmp out.txt ab.want
    run "$BIN" decompress <ab.znn
    expect_rc "decompress concatenated from stdin" 0
    check "concatenated via stdin" cmp out.txt ab.want
    run "$BIN" test ab.znn
    expect_rc "test concatenated" 0
    run "$BIN" list ab.znn
    expect_rc "list concatenated" 0
    if [[ $(awk 'NR==2 {print $1}' out.txt) == 2 ]]; then pass; else fail "list concatenated shows 2 frames: $(tail -n1 out.txt)"; fi
    cat zero.bin.znn small.bin.znn zero.bin.znn >zaz.znn
    run "$BIN" decompress -c zaz.znn
    expect_rc "decompress concatenated with empty frames" 0
    check "concatenated with empty frames" cmp out.txt small.bin
}
cd "$SCRATCH"

# ---------------------------------------------------------------------------------------------
# Corrupt inputs.
mkdir corrupt && cp small.bin corrupt/
{
    cd "$SCRATCH/corrupt" || fail "cd corrupt"
    "$BIN" compress --chunk-size 16384 -c small.bin >good.znn
    "$BIN" test good.znn || fail "corrupt: reference file is not valid"
    # Offsets: name=offset, from the frame layout (header 8 B, chunk prefix 20 B + 9 B per plane,
    # seek block 8 B + 16 B per chunk, footer 36 B).
    offsets=$(python3 - good.znn <<'EOF'
import struct, sys
b = open(sys.argv[1], 'rb').read()
n = len(b)
planes = b[8 + 3]
payload = 8 + 20 + 9 * planes
sizes = [struct.unpack_from('<Q', b, 8 + 20 + 9 * i + 1)[0] for i in range(planes)]
chunks = struct.unpack_from('<Q', b, n - 36)[0]
seek = n - 36 - 16 * chunks - 8
first_block = payload + sum(sizes)
second_payload = first_block + 20 + 9 * b[first_block + 3]
pts = {
    'magic': 1, 'version': 4, 'flags': 5,
    'chunk-type': 8, 'chunk-layout': 9, 'chunk-planes': 11, 'chunk-rawsize': 12, 'chunk-checksum': 20,
    'plane-codec': 28, 'plane-size': 29,
    'payload-start': payload, 'payload-mid': payload + sum(sizes) // 2, 'payload-second-chunk': second_payload + 5,
    'seek-type': seek, 'seek-entry-size': seek + 8, 'seek-entry-raw': seek + 16, 'seek-last-entry': seek + 8 + 16 * (chunks - 1),
    'footer-count': n - 36, 'footer-content-size': n - 28, 'footer-checksum': n - 20,
    'footer-frame-size': n - 12, 'footer-magic': n - 2,
}
for k, v in pts.items():
    print(f'{k}={v}')
EOF
)
    [[ -n $offsets ]] || fail "corrupt: could not compute offsets"
    for entry in $offsets; do
        name=${entry%%=*}
        off=${entry#*=}
        f="c-$name.znn"
        python3 -c "import sys; p,o=sys.argv[1],int(sys.argv[2]); b=bytearray(open('good.znn','rb').read()); b[o]^=0xFF; open(p,'wb').write(b)" "$f" "$off"
        run "$BIN" decompress "$f"
        expect_rc "corrupt $name (offset $off): decompress" 1
        expect_error_line "corrupt $name: message" "$f"
        check "corrupt $name: no output file" absent "c-$name"
        run "$BIN" test "$f"
        expect_rc "corrupt $name: test" 1
        run "$BIN" decompress -c "$f"
        expect_rc "corrupt $name: decompress -c" 1
        run "$BIN" decompress <"$f"
        expect_rc "corrupt $name: decompress from stdin" 1
    done
    no_temp_files "corrupt inputs" .

    size=$(stat -c %s good.znn)
    for cut in 1 4 7 8 20 40 $((size / 2)) $((size - 37)) $((size - 36)) $((size - 20)) $((size - 1)); do
        f="t-$cut.znn"
        head -c "$cut" good.znn >"$f"
        run "$BIN" decompress "$f"
        expect_rc "truncated at $cut: decompress" 1
        expect_error_line "truncated at $cut: message" "$f"
        check "truncated at $cut: no output file" absent "t-$cut"
        run "$BIN" test "$f"
        expect_rc "truncated at $cut: test" 1
        run "$BIN" list "$f"
        expect_rc "truncated at $cut: list" 1
    done
    no_temp_files "truncated inputs" .

    # Trailing garbage after a valid frame.
    { cat good.znn; printf 'garbage'; } >trail.znn
    run "$BIN" decompress trail.znn
    expect_rc "trailing garbage" 1
    check "trailing garbage: no output file" absent trail

    : >empty.znn
    run "$BIN" decompress empty.znn
    expect_rc "empty .znn" 1
    expect_error_line "empty .znn message" empty.znn
    check "empty .znn: no output" absent empty
    run "$BIN" decompress </dev/null
    expect_rc "empty stdin" 1

    head -c 5000 /dev/urandom >noise.znn
    run "$BIN" decompress noise.znn
    expect_rc "non-znn file" 1
    expect_error_line "non-znn file message" noise.znn
    check "non-znn file: no output" absent noise
    run "$BIN" list noise.znn
    expect_rc "list non-znn file" 1

    run "$BIN" decompress small.bin
    expect_rc "decompress without .znn suffix" 1
    expect_error_line "unknown suffix message" small.bin
    if grep -q 'unknown suffix' err.txt; then pass; else fail "unknown suffix message text: $(cat err.txt)"; fi

    run "$BIN" decompress missing.znn
    expect_rc "decompress a missing file" 1
    expect_error_line "missing file message" missing.znn

    run "$BIN" decompress -q corrupt-dir-does-not-exist.znn
    expect_rc "decompress -q missing file" 1
    if [[ $(wc -l <err.txt) -eq 1 ]]; then pass; else fail "-q still prints errors"; fi
    no_temp_files "misc bad inputs" .
}
cd "$SCRATCH"

# ---------------------------------------------------------------------------------------------
# Read-only folder.
# Root ignores permission bits, so as root (CI) znn runs as nobody through setpriv.
mkdir ro && cp small.bin ro/
AS_USER=()
if [[ $(id -u) -eq 0 ]]; then
    if command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
        AS_USER=(setpriv --reuid=65534 --regid=65534 --clear-groups)
        chmod a+rx "$SCRATCH" && chmod a+r ro/small.bin
        if ! (cd ro && "${AS_USER[@]}" "$BIN" --version >/dev/null 2>&1); then
            note "nobody cannot run $BIN (a private folder on its path): read-only folder check skipped"
            AS_USER=()
            SKIP_RO=1
        fi
    else
        note "running as root without setpriv: read-only folder check skipped"
        SKIP_RO=1
    fi
fi
if [[ -z ${SKIP_RO:-} ]]; then
    chmod a-w ro
    run "${AS_USER[@]}" "$BIN" compress ro/small.bin
    expect_rc "compress into a read-only folder" 1
    expect_error_line "read-only folder message" ro/small.bin.znn
    check "read-only folder: no output" absent ro/small.bin.znn
    no_temp_files "read-only folder" ro
    chmod u+w ro
fi

# ---------------------------------------------------------------------------------------------
# Full disk (file size limit). SIGXFSZ must not kill znn: it should see EFBIG, exit 1 and clean up.
mkdir fsize && cp big.bin fsize/
{
    cd "$SCRATCH/fsize" || fail "cd fsize"
    if command -v prlimit >/dev/null; then
        run prlimit --fsize=100000 "$BIN" compress big.bin
        if [[ $RC -gt 128 ]]; then
            fail "prlimit --fsize: znn killed by signal $((RC - 128)) ($(kill -l $((RC - 128)) 2>/dev/null)) instead of exit 1"
        else
            expect_rc "prlimit --fsize: compress" 1
            expect_error_line "prlimit --fsize: message" big.bin.znn
        fi
        check "prlimit --fsize: no output" absent big.bin.znn
        no_temp_files "prlimit --fsize" .
        rm -f .*.znn-tmp
    else
        note "prlimit missing: skipped"
    fi
    # The same with the shell's ulimit -f (1024-byte blocks).
    run bash -c 'ulimit -f 97 && exec "$0" compress big.bin' "$BIN"
    if [[ $RC -gt 128 ]]; then
        fail "ulimit -f: znn killed by signal $((RC - 128)) ($(kill -l $((RC - 128)) 2>/dev/null)) instead of exit 1"
    else
        expect_rc "ulimit -f: compress" 1
    fi
    check "ulimit -f: no output" absent big.bin.znn
    no_temp_files "ulimit -f" .
    rm -f .*.znn-tmp
    # Diagnostic: with SIGXFSZ ignored by the parent (inherited across exec), writes fail with EFBIG.
    run bash -c 'trap "" XFSZ; ulimit -f 97 && exec "$0" compress big.bin' "$BIN"
    expect_rc "EFBIG (SIGXFSZ ignored): compress" 1
    expect_error_line "EFBIG: message" big.bin.znn
    check "EFBIG: no output" absent big.bin.znn
    no_temp_files "EFBIG" .
    # With one coding thread the output is written by a second thread: its error must come
    # back the same way, compressing and decompressing.
    run bash -c 'trap "" XFSZ; ulimit -f 97 && exec "$0" compress -T1 big.bin' "$BIN"
    expect_rc "EFBIG -T1: compress" 1
    expect_error_line "EFBIG -T1: compress message" big.bin.znn
    check "EFBIG -T1: no compressed output" absent big.bin.znn
    no_temp_files "EFBIG -T1 compress" .
    "$BIN" compress -q -T1 big.bin -o big.znn
    mv big.bin big.orig
    run bash -c 'trap "" XFSZ; ulimit -f 97 && exec "$0" decompress -T1 big.znn -o big.bin' "$BIN"
    expect_rc "EFBIG -T1: decompress" 1
    expect_error_line "EFBIG -T1: decompress message" big.bin
    check "EFBIG -T1: no decompressed output" absent big.bin
    no_temp_files "EFBIG -T1 decompress" .
    run "$BIN" decompress -q -T1 big.znn -o big.bin
    check "-T1 decompress without a limit restores the file" cmp big.bin big.orig
}
cd "$SCRATCH"

# ---------------------------------------------------------------------------------------------
# Compressed data to a terminal.
if command -v script >/dev/null && script --version 2>/dev/null | grep -q util-linux; then
    run_on_tty "'$BIN' compress small.bin -c"
    expect_rc "compress -c to a terminal" 2
    if grep -q '^znn: small.bin: stdout is a terminal' tty.txt; then pass; else fail "terminal refusal message: $(head -c 300 tty.txt)"; fi
    run_on_tty "'$BIN' compress < small.bin"
    expect_rc "stdin compress to a terminal" 2
    if grep -q '^znn: stdin: stdout is a terminal' tty.txt; then pass; else fail "terminal refusal message (stdin): $(head -c 300 tty.txt)"; fi
    check "terminal: no small.bin.znn" absent small.bin.znn
    # A terminal named with -o is a device written in place, and refused the same way.
    run_on_tty "'$BIN' compress small.bin -o /dev/tty"
    expect_rc "compress -o /dev/tty" 2
    if grep -q '^znn: small.bin: /dev/tty is a terminal' tty.txt; then pass; else fail "terminal refusal message (-o /dev/tty): $(head -c 300 tty.txt)"; fi
    run_on_tty "'$BIN' compress -o /dev/tty < small.bin"
    expect_rc "stdin compress -o /dev/tty" 2
else
    note "util-linux script missing: terminal check skipped"
fi

# ---------------------------------------------------------------------------------------------
# -q and -v.
mkdir verb && cp small.bin text.txt verb/
{
    cd "$SCRATCH/verb" || fail "cd verb"
    run "$BIN" compress -q small.bin
    expect_rc "compress -q" 0
    check "compress -q: empty stderr" empty_file err.txt
    check "compress -q: empty stdout" empty_file out.txt
    run "$BIN" test -q small.bin.znn
    check "test -q: empty stderr" empty_file err.txt
    run "$BIN" decompress -q -f small.bin.znn
    check "decompress -q: empty stderr" empty_file err.txt
    run "$BIN" compress -v -f small.bin text.txt
    expect_rc "compress -v" 0
    if [[ $(wc -l <err.txt) -eq 3 ]] && grep -q '^small.bin : .*=>' err.txt && grep -q '^text.txt : .*=>' err.txt &&
        grep -q '^2 files compressed : ' err.txt; then
        pass
    else
        fail "compress -v prints one summary line per file and their total: $(tr '\n' '|' <err.txt)"
    fi
    check "compress -v: empty stdout" empty_file out.txt
    run "$BIN" test -v small.bin.znn
    if [[ $(wc -l <err.txt) -eq 1 ]] && grep -q 'OK' err.txt; then pass; else fail "test -v summary: $(cat err.txt)"; fi
    run "$BIN" decompress -v -f small.bin.znn
    if [[ $(wc -l <err.txt) -eq 1 ]] && grep -q '^small.bin.znn : ' err.txt; then pass; else fail "decompress -v summary: $(cat err.txt)"; fi
    # The ratio and sizes, like compress: "<packed/original>% (<packed> => <original>, <output>)".
    packed=$(stat -c %s small.bin.znn)
    want=$(awk -v p="$packed" 'BEGIN { printf "%.2f%%", 100 * p / 200000 }')
    if grep -qE "^small\.bin\.znn : $want \([0-9.]+ KiB => 195 KiB, small\.bin\) [0-9.]+ [KMG]iB/s\$" err.txt; then
        pass
    else
        fail "decompress -v shows sizes and ratio ($want): $(cat err.txt)"
    fi
    run "$BIN" list -v small.bin.znn
    if grep -q 'frame 0' out.txt; then pass; else fail "list -v shows frames"; fi
    # The last of -q and -v typed wins.
    run "$BIN" compress -f -v -q small.bin
    check "compress -v -q: quiet" empty_file err.txt
    run "$BIN" compress -f -q -v small.bin
    if [[ $(wc -l <err.txt) -eq 1 ]]; then pass; else fail "compress -q -v: verbose: $(cat err.txt)"; fi
}
cd "$SCRATCH"

# ---------------------------------------------------------------------------------------------
# Tiny files.
mkdir tiny && cp zero.bin one.bin tiny/
{
    cd "$SCRATCH/tiny" || fail "cd tiny"
    for f in zero.bin one.bin; do
        run "$BIN" compress "$f"
        expect_rc "compress $f" 0
        mv "$f" "$f.orig"
        run "$BIN" decompress "$f.znn"
        expect_rc "decompress $f" 0
        check "$f round-trips" cmp "$f" "$f.orig"
        run "$BIN" test "$f.znn"
        expect_rc "test $f" 0
        run "$BIN" list "$f.znn"
        expect_rc "list $f" 0
        "$BIN" compress <"$f.orig" 2>/dev/null | "$BIN" decompress 2>/dev/null | cmp - "$f.orig" >/dev/null 2>&1
        if [[ $? -eq 0 ]]; then pass; else fail "$f round-trips through pipes"; fi
    done
}
cd "$SCRATCH"

# ---------------------------------------------------------------------------------------------
# Ctrl-C and kill: the partial output is removed and the exit status says which signal.
mkdir sig && cp small.bin sig/
{
    cd "$SCRATCH/sig" || fail "cd sig"
    for sig in INT TERM; do
        # Input that stalls after its first bytes, so znn is caught mid-file.
        (cat small.bin; sleep 5) | "$BIN" compress -o out.znn 2>err.txt &
        pid=$!
        check "SIG$sig: znn had its output open" wait_output_open "$pid" "$PWD"
        kill -s "$sig" "$pid"
        wait "$pid"
        RC=$?
        want=$((128 + $(kill -l "$sig")))
        expect_rc "SIG$sig: killed by the signal" "$want"
        check "SIG$sig: no output" absent out.znn
        no_temp_files "SIG$sig" .
        check "SIG$sig: source untouched" cmp small.bin ../small.bin
    done
}
cd "$SCRATCH"

# ---------------------------------------------------------------------------------------------
# The progress line: on a terminal, for a job over a second; never otherwise.
if command -v script >/dev/null && script --version 2>/dev/null | grep -q util-linux; then
    cat small.bin small.bin small.bin small.bin >prog.bin
    run_on_tty "(cat prog.bin; sleep 1.5; cat prog.bin) | '$BIN' compress -o prog.znn"
    if grep -aq 'znn: stdin: ' tty.txt; then pass; else fail "progress line on a terminal: $(head -c 300 tty.txt | tr -d '\033')"; fi
    rm -f prog.znn
    (cat prog.bin; sleep 1.5; cat prog.bin) | "$BIN" compress -o prog.znn 2>err.txt
    check "no progress line when stderr is not a terminal" empty_file err.txt
    rm -f prog.znn
    run_on_tty "'$BIN' compress -o prog.znn prog.bin"
    if [[ $(tr -d '\r' <tty.txt) == "prog.bin : "*"% (781 KiB => "*" KiB, prog.znn)" ]]; then pass; else fail "no progress line for a short job, only the summary: $(cat -A tty.txt | head -c 300)"; fi
    # decompress and test show it too, and its percentage is of the .znn read, so never over 100%.
    "$BIN" compress -q -f -o prog.znn prog.bin
    half=$(( $(stat -c %s prog.znn) / 2 ))
    for mode in decompress test; do
        run_on_tty "(head -c $half prog.znn; sleep 1.5; tail -c +$((half + 1)) prog.znn) | '$BIN' $mode >/dev/null"
        if grep -aq 'znn: stdin: ' tty.txt; then pass; else fail "$mode: progress line on a terminal: $(head -c 300 tty.txt | tr -d '\033')"; fi
    done
    # From a file, the total is known: the output goes to a pipe that is read only after 1.5 s, so
    # the job lasts long enough to show a percentage.
    run_on_tty "'$BIN' decompress -c prog.znn | (sleep 1.5; cat >/dev/null)"
    if grep -aqE 'znn: prog\.znn: +[0-9]+% ' tty.txt; then pass; else fail "decompress: progress percentage: $(head -c 300 tty.txt | tr -d '\033')"; fi
    over=$(grep -aoE '[0-9]+% ' tty.txt | tr -d '% ' | awk '$1 > 100')
    if [[ -z $over ]]; then pass; else fail "decompress: progress over 100%: $over"; fi
    run_on_tty "'$BIN' decompress -c prog.znn >/dev/null"
    check "no progress line for a short decompress" empty_file tty.txt
    rm -f prog.znn
else
    note "util-linux script missing: progress check skipped"
fi

# ---------------------------------------------------------------------------------------------
# list reads footers, seek tables and chunk headers only: a damaged payload still lists.
{
    cd "$SCRATCH/corrupt" || fail "cd corrupt"
    if [[ -f c-payload-mid.znn ]]; then
        run "$BIN" list c-payload-mid.znn
        expect_rc "list of a file with a damaged payload (no payload decoded)" 0
        run "$BIN" test c-payload-mid.znn
        expect_rc "test of the same file fails" 1
    else
        fail "list without payload: c-payload-mid.znn missing"
    fi
}
cd "$SCRATCH"

# ---------------------------------------------------------------------------------------------
# Full disk while decompressing, and --rm under a full disk: exit 1, no output, source kept.
mkdir fsize2 && cp big.bin fsize2/
{
    cd "$SCRATCH/fsize2" || fail "cd fsize2"
    "$BIN" compress -q big.bin && mv big.bin big.orig
    cp big.bin.znn big.copy
    run bash -c 'trap "" XFSZ; ulimit -f 97 && exec "$0" decompress --rm big.bin.znn' "$BIN"
    expect_rc "EFBIG: decompress --rm" 1
    expect_error_line "EFBIG: decompress message" big.bin
    check "EFBIG: decompress left no output" absent big.bin
    check "EFBIG: decompress --rm kept the source" cmp big.bin.znn big.copy
    no_temp_files "EFBIG decompress" .
    mv big.orig big.bin && rm -f big.bin.znn
    run bash -c 'trap "" XFSZ; ulimit -f 97 && exec "$0" compress --rm big.bin' "$BIN"
    expect_rc "EFBIG: compress --rm" 1
    check "EFBIG: compress --rm kept the source" cmp big.bin ../big.bin
    check "EFBIG: compress --rm left no output" absent big.bin.znn
    no_temp_files "EFBIG compress --rm" .
}
cd "$SCRATCH"

# ---------------------------------------------------------------------------------------------
# Decompressed data to a terminal is allowed.
if command -v script >/dev/null && script --version 2>/dev/null | grep -q util-linux; then
    "$BIN" compress -q -c text.txt >tty-text.znn
    run_on_tty "'$BIN' decompress -c tty-text.znn"
    expect_rc "decompress -c to a terminal" 0
    if grep -aq 'hello, znn' tty.txt; then pass; else fail "decompress to a terminal prints the data: $(head -c 300 tty.txt)"; fi
    run_on_tty "'$BIN' decompress < tty-text.znn"
    expect_rc "stdin decompress to a terminal" 0
fi

# ---------------------------------------------------------------------------------------------
# Ctrl-C and kill while decompressing: the partial output is removed, the source kept.
mkdir sig2 && cp small.bin sig2/
{
    cd "$SCRATCH/sig2" || fail "cd sig2"
    "$BIN" compress -q --chunk-size 16384 small.bin
    half=$(( $(stat -c %s small.bin.znn) / 2 ))
    for sig in INT TERM; do
        (head -c "$half" small.bin.znn; sleep 5) | "$BIN" decompress -o out.bin 2>err.txt &
        pid=$!
        check "decompress SIG$sig: znn had its output open" wait_output_open "$pid" "$PWD"
        kill -s "$sig" "$pid"
        wait "$pid"
        RC=$?
        expect_rc "decompress SIG$sig: killed by the signal" $((128 + $(kill -l "$sig")))
        check "decompress SIG$sig: no output" absent out.bin
        no_temp_files "decompress SIG$sig" .
    done
    check "decompress signals: source untouched" "$BIN" test small.bin.znn
}
cd "$SCRATCH"

# ---------------------------------------------------------------------------------------------
# Peak memory does not grow with the input: 66 MB instead of 6 MB adds far less than the
# 60 MB difference (the pipeline keeps a bounded number of chunks in flight).
mkdir mem
{
    cd "$SCRATCH/mem" || fail "cd mem"
    for _ in 1 2; do cat ../weights.bin; done >small6.bin
    for _ in $(seq 22); do cat ../weights.bin; done >large66.bin
    # max_rss_kb IN OUT CMD...: peak resident KiB of CMD run with stdin IN and stdout OUT.
    max_rss_kb() {
        ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0 python3 -c '
import resource, subprocess, sys
with open(sys.argv[1], "rb") as i, open(sys.argv[2], "wb") as o:
    rc = subprocess.call(sys.argv[3:], stdin=i, stdout=o)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if rc == 0 else -1)' "$@"
    }
    for how in file stdin; do
        if [[ $how == file ]]; then
            s=$(max_rss_kb /dev/null /dev/null "$BIN" compress -T2 -f small6.bin)
            l=$(max_rss_kb /dev/null /dev/null "$BIN" compress -T2 -f large66.bin)
        else
            s=$(max_rss_kb small6.bin small6.bin.znn "$BIN" compress -T2)
            l=$(max_rss_kb large66.bin large66.bin.znn "$BIN" compress -T2)
        fi
        if [[ $s -gt 0 && $l -gt 0 && $l -lt $((s + 20000)) ]]; then pass; else fail "compress ($how) peak memory grows with the input: $s KiB for 6 MB, $l KiB for 66 MB"; fi
    done
    s=$(max_rss_kb small6.bin.znn /dev/null "$BIN" decompress -T2)
    l=$(max_rss_kb large66.bin.znn /dev/null "$BIN" decompress -T2)
    if [[ $s -gt 0 && $l -gt 0 && $l -lt $((s + 20000)) ]]; then pass; else fail "decompress peak memory grows with the input: $s KiB for 6 MB, $l KiB for 66 MB"; fi
    rm -f small6.bin* large66.bin*
}
cd "$SCRATCH"

# ---------------------------------------------------------------------------------------------
# Outputs that are not regular files are written in place, as zstd does: renaming a temporary
# file over /dev/null or a FIFO would replace the device or pipe with a plain file.
mkdir -p special && cd special || exit 1
{
    cp ../weights.bin w.bin
    "$BIN" compress -q w.bin
    mkfifo pipe
    # The readers give up after a while, so a znn that never opens the FIFO fails, not hangs.
    timeout 30 cat pipe >from_pipe.bin &
    run "$BIN" decompress -q w.bin.znn -o pipe
    wait
    expect_rc "decompress to an existing FIFO (no -f needed)" 0
    check "the FIFO got every byte" cmp from_pipe.bin w.bin
    check "the FIFO is still a FIFO" test -p pipe
    timeout 30 cat pipe >from_pipe.znn &
    run "$BIN" compress -q -f w.bin -o pipe
    wait
    expect_rc "compress to a FIFO with -f" 0
    check "compressed through the FIFO, decodes back" bash -c '"$0" decompress -q -c from_pipe.znn | cmp - w.bin' "$BIN"
    timeout 30 cat pipe >/dev/null &
    run "$BIN" decompress --rm w.bin.znn -o pipe
    wait
    expect_rc "--rm to a FIFO" 0
    check "--rm keeps the source when the output cannot be verified" test -f w.bin.znn
    if grep -q "output is not a regular file: source kept" err.txt; then pass; else fail "--rm to a FIFO: no warning: $(head -c 300 err.txt)"; fi
    no_temp_files "special outputs" .
    # A character device (root only, as CI runs): a private copy of /dev/null.
    if mknod -m 666 null c 1 3 2>/dev/null; then
        run "$BIN" decompress -q -f w.bin.znn -o null
        expect_rc "decompress -f to a null device" 0
        check "the device is still a character device" test -c null
        run bash -c '"$0" decompress -q -c w.bin.znn | "$0" compress -q -o null' "$BIN"
        expect_rc "compress from stdin to a null device" 0
        check "the device is still a character device after stdin mode" test -c null
    else
        note "mknod not permitted: character-device output not checked"
    fi
}
cd "$SCRATCH"

echo "cli_files: $PASS passed, $FAIL failed"
[[ $FAIL -eq 0 ]]
