// The subcommands. Each returns an exit code and prints its own errors.
#pragma once

#include "options.hpp"

namespace znn::cli {

int run_compress(const Options& options);
int run_decompress(const Options& options);
int run_test(const Options& options);
int run_list(const Options& options);
int run_list_tensors(const Options& options);  // list --tensors
int run_bench(const Options& options);
int run_index(const Options& options);
int run_extract(const Options& options);
int run_mount(const Options& options);

}  // namespace znn::cli
