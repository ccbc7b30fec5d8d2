# Sourced by CLI test scripts: `check DESCRIPTION COMMAND...` runs a command and counts it as
# passed or failed without ending the script; `finish NAME` prints the counts and sets the
# exit status.
passed=0
failed=0
check() {
    local what=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: $what" >&2
    fi
}
not() { ! "$@"; }
finish() {
    echo "$1: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
