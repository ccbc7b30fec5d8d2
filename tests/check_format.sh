#!/usr/bin/env bash
# Fails when clang-format-14, with the repository's .clang-format, would change any C++
# file git tracks. Skipped (77) where clang-format-14 or git is missing.
set -euo pipefail
cd "$1"
if ! command -v clang-format-14 >/dev/null || ! git rev-parse --git-dir >/dev/null 2>&1; then
    echo "check_format: clang-format-14 or git missing, skipped"
    exit 77
fi
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h')
if ! clang-format-14 --dry-run -Werror "${files[@]}"; then
    echo "check_format: run clang-format-14 -i on the files above"
    exit 1
fi
echo "check_format: ${#files[@]} files formatted"
