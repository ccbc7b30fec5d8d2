#!/usr/bin/env bash
# The library as a product: `cmake --install` into a scratch prefix, then build examples/
# against it twice, with find_package(znn) and with pkg-config, and run both programs.
set -euo pipefail
build=$1
source_dir=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
prefix=$scratch/prefix

cmake --install "$build" --prefix "$prefix" >/dev/null
for f in include/znn/znn.hpp libznn.a znnConfig.cmake znn.pc; do
    [ -n "$(find "$prefix" -path "*/$f")" ] || { echo "not installed: $f"; exit 1; }
done
pc_dir=$(dirname "$(find "$prefix" -name znn.pc)")

cmake -S "$source_dir/examples" -B "$scratch/example" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$scratch/example" >/dev/null
"$scratch/example/roundtrip"

PKG_CONFIG_PATH=$pc_dir
export PKG_CONFIG_PATH
# shellcheck disable=SC2046
g++ -std=c++20 -O1 -o "$scratch/roundtrip-pc" "$source_dir/examples/roundtrip.cpp" $(pkg-config --cflags --libs znn)
"$scratch/roundtrip-pc"
