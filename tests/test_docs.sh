#!/usr/bin/env bash
# Checks that the man page and the shell completions cover every CLI option.
# Usage: test_docs.sh <path to built znn> <source dir>
# For each subcommand, every option (short and long) listed by `znn <sub> --help` must
# appear in man/znn.1 and in completions/znn.bash, completions/_znn and completions/znn.fish.
# Both man pages must render with `groff -man -ww -z` without any output.
set -u

if [[ $# -ne 2 ]]; then
    echo "usage: $0 <znn binary> <source dir>" >&2
    exit 2
fi
znn=$1
src=$(cd "$2" && pwd)
man1=$src/man/znn.1
man5=$src/man/znn.5
bash_comp=$src/completions/znn.bash
zsh_comp=$src/completions/_znn
fish_comp=$src/completions/znn.fish

fail=0
problem() { echo "docs: $*" >&2; fail=1; }

for f in "$man1" "$man5" "$bash_comp" "$zsh_comp" "$fish_comp"; do
    [[ -r $f ]] || { echo "docs: missing file $f" >&2; exit 1; }
done
[[ -x $znn ]] || { echo "docs: not executable: $znn" >&2; exit 1; }

# Options listed in a CLI11 help text: indented lines starting with '-'; the first field
# is "-o,--output" (possibly "-k,--keep{false}"), followed by the value type.
help_options() {
    "$znn" "$@" --help 2>&1 | sed -n 's/^[[:space:]]\{1,\}\(-[^[:space:]]*\).*/\1/p' |
        tr ',' '\n' | sed -e 's/{.*//' -e 's/=.*//' | grep -E '^--?[[:alnum:]]' | sort -u
}

# Options mentioned by each document, one per line.
opt_re='--?[[:alnum:]][-[:alnum:]]*'
man_opts=$(sed 's/\\-/-/g' "$man1" | grep -oE "(^|[^-[:alnum:]])$opt_re" | grep -oE -- "$opt_re\$" | sort -u)
# bash: the words of double-quoted strings (the opts lists and the compgen -W lists).
bash_opts=$(grep -oE '"[^"]*"' "$bash_comp" | tr ' "' '\n\n' | grep -xE -- "$opt_re" | sort -u)
# zsh: _arguments specs, {-o+,--output=}'[...]', '--check[...]', '(-k --keep)--rm[...]' and
# repeatable '*--tensor=[...]'.
zsh_opts=$( {
    grep -oE "\{-[[:alnum:]][+=]?,--[[:alnum:]][-[:alnum:]]*[+=]?\}" "$zsh_comp" | tr -d '{}' | tr ',' '\n'
    grep -oE "['\)*]$opt_re[+=]?\[" "$zsh_comp" | tr -d "')*["
} | sed 's/[+=]$//' | sort -u)
# fish: complete ... -s X -l NAME
fish_opts=$( {
    grep -oE -- '(^|[[:space:]])-s [[:alnum:]]' "$fish_comp" | sed -E 's/.*-s /-/'
    grep -oE -- '(^|[[:space:]])-l [[:alnum:]][-[:alnum:]]*' "$fish_comp" | sed -E 's/.*-l /--/'
} | sort -u)

has() { grep -qxF -- "$2" <<<"$1"; }

checked=0
check_set() {  # label, options...
    local label=$1
    shift
    local opt
    for opt in "$@"; do
        checked=$((checked + 1))
        has "$man_opts" "$opt" || problem "$label: option $opt missing from man/znn.1"
        has "$bash_opts" "$opt" || problem "$label: option $opt missing from completions/znn.bash"
        has "$zsh_opts" "$opt" || problem "$label: option $opt missing from completions/_znn"
        has "$fish_opts" "$opt" || problem "$label: option $opt missing from completions/znn.fish"
    done
}

# Top-level options (-h/--help, -V/--version).
mapfile -t top < <(help_options)
[[ ${#top[@]} -gt 0 ]] || problem "no options parsed from '$znn --help'"
check_set "znn" "${top[@]}"

# Subcommands: the names listed under "Subcommands:" in the top-level help.
mapfile -t subs < <("$znn" --help 2>&1 | sed -n '/^Subcommands:/,/^$/p' | sed -n 's/^[[:space:]]\{1,\}\([[:alnum:]][-[:alnum:]]*\).*/\1/p')
[[ ${#subs[@]} -gt 0 ]] || problem "no subcommands parsed from '$znn --help'"
for sub in "${subs[@]}"; do
    grep -qE "^\.(B|BR|TP|SS).*\b$sub\b" "$man1" || grep -qE "^\.B $sub\$" "$man1" ||
        problem "subcommand $sub missing from man/znn.1"
    grep -qw -- "$sub" "$bash_comp" || problem "subcommand $sub missing from completions/znn.bash"
    grep -qw -- "$sub" "$zsh_comp" || problem "subcommand $sub missing from completions/_znn"
    grep -qw -- "$sub" "$fish_comp" || problem "subcommand $sub missing from completions/znn.fish"
    mapfile -t opts < <(help_options "$sub")
    [[ ${#opts[@]} -gt 0 ]] || { problem "no options parsed from '$znn $sub --help'"; continue; }
    check_set "$sub" "${opts[@]}"
done
# The alias of list.
grep -qw info "$man1" || problem "alias info missing from man/znn.1"

# The levels: -1 ... -9 are not CLI11 options (the grammar rewrites them to --level), so the
# help does not list them; the man page and the completions must.
grep -q 'SH LEVELS' "$man1" || problem "man/znn.1 has no LEVELS section"
grep -q '\\-1 .*\\-9' "$man1" || problem "man/znn.1 does not show -1 ... -9"
for n in 1 2 3 4 5 6 7 8 9; do
    has "$bash_opts" "-$n" || problem "level -$n missing from completions/znn.bash"
    grep -qE -- "(-o \\\$n|-$n)" "$fish_comp" || problem "level -$n missing from completions/znn.fish"
done
grep -q -- "-{1,2,3,4,5,6,7,8,9}" "$zsh_comp" || problem "levels -1 ... -9 missing from completions/_znn"

# The pages must render without warnings, also as man shows them on an 80-column terminal
# (tables wider than the line are cut there).
if command -v groff >/dev/null 2>&1; then
    for page in "$man1" "$man5"; do
        out=$(groff -man -ww -z "$page" 2>&1)
        [[ -z $out ]] || problem "groff -man -ww -z $(basename "$page"):"$'\n'"$out"
        out=$(groff -t -man -ww -z "$page" 2>&1)
        [[ -z $out ]] || problem "groff -t -man -ww -z $(basename "$page"):"$'\n'"$out"
        if command -v man >/dev/null 2>&1; then
            out=$(MANWIDTH=80 MAN_KEEP_FORMATTING=0 man -l "$page" 2>&1 >/dev/null)
        else
            out=$(groff -t -man -ww -z -rLL=78n "$page" 2>&1)
        fi
        [[ -z $out ]] || problem "$(basename "$page") at 80 columns:"$'\n'"$out"
    done
else
    problem "groff not found: cannot check the man pages"
fi

# README.md names only files and folders that exist: paths under the repository's top
# folders anywhere, and the file names its code layout lists.
readme=$src/README.md
while read -r path; do
    compgen -G "$src/$path" >/dev/null || problem "README.md names $path, which does not exist"
done < <(grep -oE "(^|[[:space:]\`(])(include|src|tests|man|completions|scripts|fuzz|examples)/[[:alnum:]_./*-]*" "$readme" |
    sed -E 's/^[[:space:]`(]//; s/[.,]$//' | sort -u)
while read -r name; do
    [[ -n $(find "$src" -path "$src/build*" -prune -o -name "$name" -print -quit) ]] ||
        problem "README.md names $name, which is nowhere in the tree"
done < <(sed -n '/^## Layout of the code/,/^## /p' "$readme" |
    grep -oE '[[:alnum:]_*.-]+\.(cpp|hpp|sh|py)\b' | sort -u)

# Bash completion, run the way bash runs it: registered for znn, and file names with
# spaces come back as one word each.
comp_out=$(
    scratch=$(mktemp -d) || exit 1
    trap 'rm -rf "$scratch"' EXIT
    cd "$scratch" || exit 1
    touch "my model.safetensors" "my model.safetensors.znn" "other file.bin"
    mkdir "a folder"
    # shellcheck source=/dev/null
    source "$bash_comp"
    complete -p znn | grep -q -- '-F _znn' || echo "completion not registered for znn"
    expect() {  # expect "WANT|WANT..." WORDS...: completes the last word
        COMP_WORDS=("$@")
        COMP_CWORD=$(($# - 1))
        COMP_LINE="$*"
        COMP_POINT=${#COMP_LINE}
        COMPREPLY=()
        _znn 2>/dev/null
        local got
        got=$(printf '%s|' "${COMPREPLY[@]}")
        [[ $got == "$want|" ]] || echo "'$*' completed to '$got', want '$want|'"
    }
    want="my model.safetensors|my model.safetensors.znn" expect znn compress my
    want="my model.safetensors.znn" expect znn decompress my
    want="my model.safetensors.znn" expect znn -d my
    want="other file.bin" expect znn oth
    want="other file.bin" expect znn compress -o oth
    want="a folder" expect znn list a
    want="-9" expect znn compress -9
)
[[ -z $comp_out ]] || problem "bash completion:"$'\n'"$comp_out"

if [[ $fail -ne 0 ]]; then
    echo "docs: FAILED" >&2
    exit 1
fi
echo "docs: $checked options checked (${#subs[@]} subcommands)"
