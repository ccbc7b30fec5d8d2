# Helpers shared by the CLI test scripts (sourced): counting checks, running znn with its
# output captured, and running a command line on a pseudo-terminal.
# The script that sources it prints "NAME: $PASS passed, $FAIL failed" last.

# setup_cli_test NAME ARGS...: the scripts' common start. ARGS must be the one znn binary to
# test: BIN is set to its absolute path, and the script moves into a fresh folder, SCRATCH,
# removed on exit.
setup_cli_test() {
    if [[ $# -ne 2 || ! -x $2 ]]; then
        echo "usage: $1.sh path/to/znn" >&2
        exit 2
    fi
    BIN=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
    SCRATCH=$(realpath "$(mktemp -d "${TMPDIR:-/tmp}/znn-$1.XXXXXX")") || exit 1
    trap 'chmod -R u+w "$SCRATCH" 2>/dev/null; rm -rf "$SCRATCH"' EXIT
    cd "$SCRATCH" || exit 1
}

PASS=0
FAIL=0
RC=0

pass() { PASS=$((PASS + 1)); }
fail() {
    FAIL=$((FAIL + 1))
    echo "FAIL: $*"
}
note() { echo "note: $*"; }

# run CMD...: runs it with stdout in out.txt, stderr in err.txt, exit code in RC.
run() {
    "$@" >out.txt 2>err.txt
    RC=$?
}
# expect_rc NAME WANT: checks RC from the last run.
expect_rc() {
    if [[ $RC -eq $2 ]]; then pass; else fail "$1: exit $RC, want $2 (stderr: $(head -c 300 err.txt | tr '\n' '|'))"; fi
}
# check NAME CMD...: passes if CMD succeeds.
check() {
    local name=$1
    shift
    if "$@" >/dev/null 2>&1; then pass; else fail "$name"; fi
}
# expect_error_line NAME FILE: err.txt is exactly one line starting "znn: FILE: ".
expect_error_line() {
    local lines
    lines=$(wc -l <err.txt)
    if [[ $lines -eq 1 && $(head -n1 err.txt) == "znn: $2: "* ]]; then
        pass
    else
        fail "$1: want one line 'znn: $2: ...' on stderr, got $lines: $(head -c 300 err.txt | tr '\n' '|')"
    fi
}
# no_temp_files NAME DIR: no .*.znn-tmp left in DIR.
no_temp_files() {
    local left
    left=$(find "$2" -maxdepth 1 -name '.*.znn-tmp' | head -n 3)
    if [[ -z $left ]]; then pass; else fail "$1: temp files left: $left"; fi
}
absent() { [[ ! -e $1 && ! -L $1 ]]; }
# wait_output_open PID DIR: waits until PID has its output open in DIR (being written:
# an unnamed temporary shows as "DIR/#N (deleted)", a named one as DIR/.NAME.XXXX.znn-tmp).
output_open() { ls -l "/proc/$1/fd" 2>/dev/null | grep -qF -e "-> $2/#" -e "-> $2/."; }
wait_output_open() {
    for _ in $(seq 200); do
        output_open "$1" "$2" && return 0
        sleep 0.02
    done
    return 1
}
# report NAME: prints the counts last; the exit status says whether every check passed.
report() {
    echo "$1: $PASS passed, $FAIL failed"
    [[ $FAIL -eq 0 ]]
}
empty_file() { [[ ! -s $1 ]]; }

# expect_grep NAME FILE PATTERN: FILE matches the extended regex PATTERN.
expect_grep() {
    if grep -aqE -- "$3" "$2"; then pass; else fail "$1: /$3/ not in $2: $(head -c 400 "$2" | tr '\r\n' '||')"; fi
}

# Whether util-linux script(1) is there to give a command a terminal.
have_script() {
    command -v script >/dev/null && script --version 2>/dev/null | grep -q util-linux
}
# Runs a command line on a pseudo-terminal (util-linux script): what it prints goes to
# tty.txt and err.txt, its exit code to RC.
run_on_tty() {
    script -qec "$1" /dev/null </dev/null >tty.txt 2>&1
    RC=$?
    cp tty.txt err.txt
}
