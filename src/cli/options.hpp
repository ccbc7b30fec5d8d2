// What the command line asked for, after parsing. Only src/cli knows argv.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "znn/base.hpp"
#include "znn/znn.hpp"

namespace znn::cli {

class ModelSync;

enum class Mode { compress, decompress, test, list, bench, index, extract, mount };

struct Options {
    Mode mode = Mode::compress;
    std::vector<std::string> inputs;
    std::string output;          // -o
    bool to_stdout = false;      // -c
    bool force = false;          // -f
    bool remove_source = false;  // --rm (-k, the default, clears it)
    bool recursive = false;      // -r
    int verbosity = 1;           // 0 quiet, 1 normal, 2 verbose
    unsigned threads = 0;        // 0: all cores
    DtypeChoice dtype = DtypeChoice::automatic;
    std::size_t chunk_size = kAutoChunkSize;
    int level = kDefaultLevel;  // -1 ... -9, --level
    bool check_only = false;    // index --check
    std::string base;           // --base: a base model's file or folder
    // The base opened once for all inputs (run_inputs), shared by copies of the options.
    std::shared_ptr<const BaseModel> base_model;
    // Reading compressed files in place (arguments_access.cpp):
    bool list_tensors = false;                           // list --tensors
    std::vector<std::string> tensors;                    // extract --tensor
    std::string range;                                   // extract --range
    std::string mount_source;                            // mount SOURCE (MOUNTPOINT: output)
    bool foreground = false;                             // mount -f
    std::uint64_t cache_size = std::uint64_t{64} << 20;  // mount --cache-size
    std::vector<std::string> fuse_options;               // mount -o
    // Set by the folder walk, not the command line:
    bool show_summary = true;   // the -v line (off for the re-read that verifies --rm)
    bool show_progress = true;  // off while several files run at once
    ModelSync* sync = nullptr;  // index files and --rm removals of this run (see ModelSync)
    double bench_seconds = 1.0;
};

// Exit codes, as zstd: 0 success, 1 a data or I/O error, 2 a usage error.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;

}  // namespace znn::cli
