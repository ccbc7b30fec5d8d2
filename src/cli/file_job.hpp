// One input file (or stdin) through compress, decompress or test.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "options.hpp"

namespace znn::cli {

// "model.safetensors" -> "model.safetensors.znn" and back; empty if a name to decompress
// lacks the suffix.
std::string output_name_for(Mode mode, const std::string& input);

// One input and where its output goes.
struct FileJob {
    std::string input;
    std::string target;  // "-": stdout; empty: none (test)
    // Found by a folder walk: an input that is not a regular file is skipped without being
    // opened, as for any walk.
    bool from_walk = false;
    // The target is a link in this Hugging Face cache's snapshots/: the output becomes a new
    // blob and the link points at it (blobs shared with other revisions are never modified).
    std::optional<std::filesystem::path> hf_blobs;
    // With --rm and options.sync: the folder whose index files must name the output before
    // the source goes (see ModelSync).
    std::filesystem::path root;
};

// Processes job.input into job.target. An output under its default name (input + ".znn", or
// without it) is never written through a symlink or into anything but a regular file: such a
// path is refused without -f, and replaced with it. An existing output that is complete and
// decodes to the input counts as done, so a rerun after an interruption finishes the job.
// Prints its own error; false on failure. Throws UsageError for a usage error.
bool process_file(const FileJob& job, const Options& options);
bool process_file(const std::string& input, const std::string& target, const Options& options);
// stdin to stdout (or -o).
bool process_stream(const Options& options);

// The output name a subcommand gives an input file, or nothing after printing why it has none.
using TargetName =
    std::function<std::optional<std::string>(const std::string& input, const Options&)>;
// Runs every input of the command line (files, folders, "-" for stdin) through the
// subcommand in options.mode. Prints its own errors; false if any input failed. Throws
// UsageError for a usage error.
bool run_inputs(const Options& options, const TargetName& target_for);

}  // namespace znn::cli
