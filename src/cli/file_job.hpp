// One input file (or stdin) through compress, decompress or test.
#pragma once

#include <unistd.h>

#include <functional>
#include <optional>
#include <string>

#include "options.hpp"
#include "output_file.hpp"

namespace znn::cli {

// RAII for an input descriptor.
struct InputFd {
    int fd = -1;
    ~InputFd() {
        if (fd > STDERR_FILENO) ::close(fd);
    }
};

// Where the output of one job goes. Exactly one of: a new file (a temporary, committed
// when complete), a device or pipe that already exists (written in place, as zstd does;
// replacing /dev/null by a file would be a disaster), or stdout.
struct OutputTarget {
    std::optional<OutputFile> file;
    InputFd special;
    int fd = STDOUT_FILENO;
    std::string name = "stdout";
};

// Opens `target` ("" or "-" for stdout) for a job reading the file `source` (empty for
// the standard input). Refuses to overwrite a file without -f, to overwrite the source,
// and to write compressed data to a terminal.
void open_output(OutputTarget& out, const std::string& target, const std::string& source,
                 const Options& options);

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
