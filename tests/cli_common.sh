# Helpers shared by the CLI test scripts (sourced). Each check counts as passed or failed;
# a script ends with `report NAME`, which prints the counts and gives its exit status.
PASS=0
FAIL=0
RC=0
pass() { PASS=$((PASS + 1)); }
fail() {
    FAIL=$((FAIL + 1))
    echo "FAIL: $*"
}
note() { echo "note: $*"; }
# run CMD...: stdout in out.txt, stderr in err.txt, exit code in RC.
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
report() {
    echo "$1: $PASS passed, $FAIL failed"
    [[ $FAIL -eq 0 ]]
}
