// One input file (or stdin) through compress, decompress or test.
#pragma once

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

}  // namespace znn::cli
