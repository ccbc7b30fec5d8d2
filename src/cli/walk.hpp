// Model folders: walking a tree and compressing or restoring every weight file in it, keeping
// index files (*.index.json) and Hugging Face cache links consistent with the result.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <system_error>
#include <vector>

#include "options.hpp"
#include "znn/model_dir.hpp"

namespace znn::cli {

// Regular files under dir, sorted, symlinked files included (an HF snapshot holds nothing
// else); not a cache's blobs/ folder, nor our in-flight temporaries. ec says why a walk failed.
std::vector<std::filesystem::path> files_under(const std::filesystem::path& dir,
                                               std::error_code& ec);

// A file to process, where its output goes, and its size.
struct SizedFile {
    std::string path;
    std::string target;
    std::uintmax_t size = 0;
};
using RunFile = std::function<bool(const SizedFile&, const Options&)>;

// Runs every file: large ones one after another with all threads on their chunks, then the
// rest on a pool of one-thread file workers, so many small shards are not serial. Output
// bytes do not depend on this: each file's output depends only on its own bytes. Output to
// stdout stays strictly in order. False if any run failed; rethrows the first UsageError.
bool run_files(const std::vector<SizedFile>& files, const Options& options, const RunFile& run);

// Processes every eligible file under dir, then brings the index files under it in sync.
// Prints its own errors. False if anything failed.
bool process_directory(const std::string& dir, const Options& options);

// One file given on the command line: like process_file, but a symlink into a Hugging Face
// cache gets its output stored as a new blob (shared blobs are never modified), and index
// files in the same folder are synced at the end of the run (options.sync). Prints its own
// errors; false on failure.
bool process_model_file(const std::string& input, const std::string& target,
                        const Options& options);

// True if input is a Hugging Face cache's blobs/ folder, or a file (not a link) directly in one.
// Blobs are only ever changed through the snapshot links: processed in place they would change
// every revision that shares them, and --rm would leave those links dangling.
bool is_in_hf_blobs(const std::string& input);

// "a -> a.znn, b -> b.znn": what sync_index changed (or would change).
std::string describe_renames(const IndexSync& sync);

}  // namespace znn::cli
