// The argument grammar: every flag is defined once here, and --help, the man page and the
// completions are checked against it by a test.
#pragma once

#include "options.hpp"

namespace znn::cli {

// Fills options from argv. Returns -1 to go on, or the exit code to stop with (0 after
// --help/--version, 2 after a usage error, which it has printed).
int parse_command_line(int argc, char** argv, Options& options);

}  // namespace znn::cli
