// The line printed when a file is done, as zstd prints it:
//   weights.bin : 66.27% (84.7 MiB => 56.1 MiB, weights.bin.znn)
// and after several files their total:
//   3 files compressed : 66.27% (254 MiB => 168 MiB)
// The percentage is always compressed / original, whichever way the data went. Printed on
// a terminal unless the output is stdout (as zstd), and always with -v (which adds the
// speed); never with -q. With several files on a terminal, only the total, unless -v.
#pragma once

#include <cstdint>
#include <string>

#include "options.hpp"

namespace znn::cli {

struct FileOutcome {
    std::string input;   // as named on the command line, or "stdin"
    std::string output;  // the file written, "stdout", or empty for test
    std::uint64_t raw_bytes = 0;
    std::uint64_t compressed_bytes = 0;
    double seconds = 0;
};

// Whether the command runs several files (several arguments, or a folder): then a terminal
// gets their total rather than a line each.
void expect_several_files(bool several);

// Counts a finished file toward the total and prints its line if wanted. Thread-safe.
void report_file(Mode mode, const FileOutcome& outcome);

// Prints the total of the files reported so far, if the command was for several files and
// it is wanted.
void report_totals(Mode mode);

}  // namespace znn::cli
