// Where a job's output goes when it is not a new file (those are znn::AtomicFile): a
// descriptor named by path (/dev/stdout, /proc/self/fd/N), or a device or pipe written in
// place. And the signal handlers that remove temporary files.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>

#include "options.hpp"
#include "znn/atomic_file.hpp"

namespace znn::cli {

// Where the output of one job goes. Exactly one of: a new file (an AtomicFile, committed when
// complete), a device, pipe or descriptor that already exists (written in place, as zstd
// does: replacing /dev/null by a file would be a disaster), or stdout.
struct OutputTarget {
    OutputTarget() = default;
    OutputTarget(const OutputTarget&) = delete;
    OutputTarget& operator=(const OutputTarget&) = delete;
    ~OutputTarget();

    std::optional<AtomicFile> file;
    bool replace = false;  // commit over an existing path (-f)
    int fd = STDOUT_FILENO;
    bool owns_fd = false;  // a device or FIFO opened here
    std::string name = "stdout";
};

// How open_output treats an existing path at the target.
struct OutputRules {
    // The target is the input's own name with .znn added or dropped (not -o): a symlink or
    // anything but a regular file there is refused without -f and replaced with it. A path
    // named with -o may be a device or FIFO, written in place.
    bool default_name = false;
    // Where the new file is created (an HF cache's blobs/ for a snapshot link); else beside
    // the target.
    std::optional<std::filesystem::path> blobs;
};

// Opens `target` ("" or "-" for stdout) for a job reading `source` (empty for the standard
// input; source_stat its stat then). Refuses to overwrite without -f, to overwrite the source,
// and to write compressed data to a terminal. Throws IoError naming the target, UsageError.
void open_output(OutputTarget& out, const std::string& target, const std::string& source,
                 const struct stat* source_stat, const Options& options, const OutputRules& rules);

// The descriptor a path stands for: /dev/stdin, /dev/stdout, /dev/stderr, /dev/fd/N,
// /proc/self/fd/N (also /proc/<our pid>/fd/N), or a symlink that leads to one of these. Such
// a path means the descriptor itself: it is written or read, never replaced. Nothing if the
// path is none of these or the descriptor is not open.
std::optional<int> descriptor_named_by(const std::string& path);

// An existing output named with -o that is not a regular file or a folder (/dev/null, a
// FIFO, a terminal's device) is written in place, as zstd does: renaming a temporary file
// over it would replace the device or pipe with a plain file. Returns the open descriptor,
// or -1 when target is not such a file. Throws IoError if it cannot open it.
int open_special_output(const std::string& target);

// Installs SIGINT/SIGTERM/SIGHUP handlers that remove the named temporary files being
// written, then re-raise the signal so the exit status says what happened.
void install_cleanup_handlers();

}  // namespace znn::cli
