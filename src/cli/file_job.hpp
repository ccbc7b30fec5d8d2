// One input file (or stdin) through compress, decompress or test.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "options.hpp"

namespace znn::cli {

// "model.safetensors" -> "model.safetensors.znn" and back; empty if a name to decompress
// lacks the suffix.
std::string output_name_for(Mode mode, const std::string& input);
// Processes input into target ("-" or -c: stdout). Prints its own error; false on failure.
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
