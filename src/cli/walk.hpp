// Model folders: walking a tree and compressing or restoring every weight file in it.
#pragma once

#include <string>

#include "options.hpp"

namespace znn::cli {

// Processes every eligible file under dir; prints its own errors. False if any failed.
bool process_directory(const std::string& dir, const Options& options);

}  // namespace znn::cli
