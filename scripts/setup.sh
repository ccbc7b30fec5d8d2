#!/usr/bin/env bash
# Installs the build dependencies from Debian's packages, builds znn into build/ (release)
# and build-asan/ (address + undefined sanitizers, for scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(g++ cmake make pkg-config libzstd-dev libcli11-dev libspdlog-dev libfmt-dev catch2 libxxhash-dev
          nlohmann-json3-dev zstd groff-base python3 util-linux time clang-format-14 git procps
          libfuse3-dev fuse3 python3-numpy python3-onnx)
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  "${as_root[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)"
# -O1 with assertions on: checks, not speed, and it builds in half the time of -O3.
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O1 -DZNN_SANITIZE=ON
cmake --build build-asan -j"$(nproc)" --target znn znn_tests
