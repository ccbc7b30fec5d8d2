// The subcommands. Each returns an exit code and prints its own errors.
#pragma once

#include "options.hpp"

namespace znn::cli {

int run_compress_or_decompress(const Options& options);  // compress, decompress, test
int run_list(const Options& options);
int run_bench(const Options& options);
int run_index(const Options& options);

}  // namespace znn::cli
