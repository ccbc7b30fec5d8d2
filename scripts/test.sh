#!/usr/bin/env bash
# The whole test suite: every test of the release build (unit, golden, CLI, docs, format,
# installed library, and the real-data tiers when ../shared/data exists), then the unit and
# CLI tests again in the address+undefined sanitizer build. scripts/setup.sh builds both.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
ctest --test-dir build --output-on-failure -j2 || status=1
echo "== address + undefined sanitizers (build-asan) =="
ctest --test-dir build-asan --output-on-failure -j2 -L sanitize || status=1
exit $status
