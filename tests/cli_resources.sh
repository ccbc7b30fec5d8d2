#!/usr/bin/env bash
# Memory and threads through the CLI: hostile inputs whose chunks are large keep the peak
# RSS within the pipeline's byte budget at any -T; a thread that cannot start and memory
# that runs out are one-line errors with exit 1 and nothing left behind.
# Usage: tests/cli_resources.sh path/to/znn path/to/tests/hostile
# Checks that need /usr/bin/time, setpriv/prlimit or an unsanitized binary are noted and
# skipped; exit 77 when every check was skipped.
set -uo pipefail

ZNN=$(realpath "${1:?usage: cli_resources.sh ZNN_BINARY HOSTILE_DIR}")
HOSTILE=$(realpath "${2:?usage: cli_resources.sh ZNN_BINARY HOSTILE_DIR}")
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/znn-cli-resources.XXXXXX") || exit 1
trap 'rm -rf "$SCRATCH"' EXIT
cd "$SCRATCH" || exit 1

# shellcheck source=tests/check.sh
source "$(dirname "${BASH_SOURCE[0]}")/check.sh"
note() { echo "note: $*"; }

# The default byte budget (src/pipeline/ordered_pipeline.hpp) and what a process needs
# besides: code, thread stacks in use, the reader's buffers.
BUDGET_KB=$((256 * 1024))
LIMIT_KB=$((BUDGET_KB + 32 * 1024))

# Sanitizers reserve shadow memory: RSS and address-space limits mean nothing there.
sanitized=false
grep -qa -e __asan_init -e __tsan_init "$ZNN" && sanitized=true

# one_error_line NAME FILE: err.txt is exactly one line, "znn: FILE: ...".
one_error_line() {
    [[ $(wc -l <err.txt) -eq 1 && $(head -n1 err.txt) == "znn: $2: "* ]] ||
        { echo "  stderr: $(head -c 300 err.txt | tr '\n' '|')" >&2; return 1; }
}
# nothing_left DIR: no temporary files in DIR.
nothing_left() { [[ -z $(find "$1" -maxdepth 1 -name '.*znn-tmp*') ]]; }

# ---------------------------------------------------------------------------------------
# 128 chunks of 64 MiB of zeros in 5,940 bytes: memory must not grow with the thread count.
ZEROS=$HOSTILE/znn-zeros-128x64MiB.znn
if [[ ! -x /usr/bin/time ]] || $sanitized; then
    note "no /usr/bin/time, or a sanitized binary: peak RSS checks skipped"
else
    for t in 1 8 32; do
        /usr/bin/time -f %M -o rss.txt "$ZNN" test -q -T$t "$ZEROS" 2>err.txt
        rc=$?
        rss=$(tail -n1 rss.txt)
        check "test -T$t the hostile zeros file: exit $rc" test $rc -eq 0
        check "test -T$t the hostile zeros file: peak RSS $rss KB within $LIMIT_KB KB" \
            test "$rss" -le $LIMIT_KB
    done
    /usr/bin/time -f %M -o rss.txt "$ZNN" decompress -q -T32 -c "$ZEROS" 2>err.txt >/dev/null
    rc=$?
    rss=$(tail -n1 rss.txt)
    check "decompress -T32 the hostile zeros file: exit $rc" test $rc -eq 0
    check "decompress -T32 the hostile zeros file: peak RSS $rss KB within $LIMIT_KB KB" \
        test "$rss" -le $LIMIT_KB

    # Compressing the largest chunks holds the same bound: 512 MiB of random bytes, which
    # code slower than a pipe delivers them, so chunks would pile up without it.
    head -c $((1 << 26)) /dev/urandom >random64M
    cat random64M random64M random64M random64M random64M random64M random64M random64M |
        /usr/bin/time -f %M -o rss.txt "$ZNN" compress -q -T32 --chunk-size 67108864 -c \
            >/dev/null 2>err.txt
    rc=$?
    rss=$(tail -n1 rss.txt)
    check "compress -T32 --chunk-size 64M: exit $rc" test $rc -eq 0
    check "compress -T32 --chunk-size 64M: peak RSS $rss KB within $LIMIT_KB KB" \
        test "$rss" -le $LIMIT_KB
fi

# ---------------------------------------------------------------------------------------
# Threads that cannot start (a container's PID limit): RLIMIT_NPROC of 3 lets the writer
# and one worker start, then refuses. Root ignores the limit, so root runs as nobody.
cp "$HOSTILE/../golden/bf16.raw" small.raw
head -c 3000000 /dev/urandom >rand.bin
cat small.raw rand.bin small.raw >input.bin
"$ZNN" compress -q --chunk-size 65536 input.bin -o input.znn
chmod 777 "$SCRATCH"
chmod 644 input.bin input.znn
as_limited=()
if [[ $(id -u) -eq 0 ]]; then
    command -v setpriv >/dev/null && as_limited=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi
if ! command -v prlimit >/dev/null || [[ $(id -u) -eq 0 && ${#as_limited[@]} -eq 0 ]]; then
    note "no prlimit (or setpriv as root): thread start failure checks skipped"
else
    # The build folder may sit where the unprivileged user cannot reach (a clone under
    # /root): a copy in the scratch folder, which is open to everyone, runs anywhere.
    limited_znn=$ZNN
    if [[ ${#as_limited[@]} -gt 0 ]]; then
        cp "$ZNN" "$SCRATCH/znn-limited" && chmod 755 "$SCRATCH/znn-limited"
        limited_znn=$SCRATCH/znn-limited
    fi
    limited() { "${as_limited[@]}" prlimit --nproc=3:3 "$limited_znn" "$@"; }
    limited compress -q -f -T8 --chunk-size 65536 input.bin -o out.znn 2>err.txt
    check "compress -T8 under a PID limit: exit 1" test $? -eq 1
    check "compress -T8 under a PID limit: one error line" one_error_line compress input.bin
    check "compress -T8 under a PID limit: no output" test ! -e out.znn
    check "compress -T8 under a PID limit: no temporary file" nothing_left .
    limited decompress -q -f -T8 input.znn -o out.bin 2>err.txt
    check "decompress -T8 under a PID limit: exit 1" test $? -eq 1
    check "decompress -T8 under a PID limit: one error line" one_error_line decompress input.znn
    check "decompress -T8 under a PID limit: no output" test ! -e out.bin
    check "decompress -T8 under a PID limit: no temporary file" nothing_left .
    limited test -q -T8 input.znn 2>err.txt
    check "test -T8 under a PID limit: exit 1" test $? -eq 1
    check "test -T8 under a PID limit: one error line" one_error_line test input.znn
    grep -q "cannot start a thread" err.txt
    check "the error says a thread could not start" test $? -eq 0
    # Files run several at a time on a pool of file workers: fewer start, the files still run
    # (or each fails naming itself), never an error naming nothing.
    mkdir -p many && for i in 1 2 3 4 5 6; do head -c 70000 small.raw >many/w$i.bin; done
    chmod -R 777 many
    limited compress -q -T8 many/w1.bin many/w2.bin many/w3.bin many/w4.bin many/w5.bin \
        many/w6.bin 2>err.txt
    check "six files -T8 under a PID limit: every error names its file" \
        test -z "$(grep -v '^znn: many/w[1-6]\.bin' err.txt)"
fi

# ---------------------------------------------------------------------------------------
# Memory that runs out while chunks are queued: 4 chunks of 64 MiB against 150 MB of
# address space.
if $sanitized; then
    note "sanitized binary: address-space limit check skipped"
else
    head -c $((4 << 26)) /dev/zero | "$ZNN" compress -q -T2 --chunk-size 67108864 -c >z4.znn
    (
        ulimit -v 150000
        exec "$ZNN" decompress -q -T4 z4.znn -o z4.out
    ) 2>err.txt
    check "decompress -T4 with too little memory: exit 1" test $? -eq 1
    check "decompress -T4 with too little memory: one error line" one_error_line decompress z4.znn
    check "decompress -T4 with too little memory: no output" test ! -e z4.out
    check "decompress -T4 with too little memory: no temporary file" nothing_left .
fi

echo "cli_resources: $passed passed, $failed failed"
[[ $failed -eq 0 ]] || exit 1
[[ $passed -gt 0 ]] || exit 77
