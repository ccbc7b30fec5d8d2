// Everything the CLI prints to stderr goes through here: errors, warnings, -v lines, and
// the progress line (progress.hpp) that every other line first clears.
#pragma once

#include <cstdint>
#include <string>

namespace znn::cli {

void set_verbosity(int level);
int verbosity();

// "znn: <path>: <message>", always printed (even with -q, like zstd's errors).
void print_error(const std::string& path, const std::string& message);
// Printed unless -q.
void print_warning(const std::string& path, const std::string& message);
// "znn: <message>", printed with -v.
void print_info(const std::string& message);
// A line as it is (no "znn: "), for summaries.
void print_line(const std::string& line);

// Whether stderr is a terminal: progress and summary lines are for people watching.
bool stderr_is_terminal();

// Sizes as zstd shows them, in binary units with three significant digits: "512 B",
// "9.77 KiB", "84.7 MiB", "1.23 GiB".
std::string format_size(std::uint64_t bytes);
// A speed in the same units: "812 MiB/s".
std::string format_speed(double bytes_per_second);

}  // namespace znn::cli
