// Output written to a temporary file beside its target and renamed into place only when
// complete, so a failure, a full disk or Ctrl-C never leaves a partial file behind.
#pragma once

#include <string>

namespace znn::cli {

class OutputFile {
  public:
    // Creates "<dir>/.<name>.XXXXXX.znn-tmp" next to target. Throws IoError.
    explicit OutputFile(std::string target);
    ~OutputFile();  // removes the temporary file unless committed
    OutputFile(const OutputFile&) = delete;
    OutputFile& operator=(const OutputFile&) = delete;

    int fd() const noexcept { return fd_; }
    const std::string& temp_path() const noexcept { return temp_; }
    // Copies permission bits and timestamps of source onto the output (best effort).
    void copy_metadata_from(const std::string& source);
    // Closes and renames into place; without `force`, refuses to replace a file that
    // appeared meanwhile. `durable` fsyncs first: needed before a source is removed (--rm),
    // and otherwise skipped, as zstd does, because it costs more than the compression.
    void commit(bool force, bool durable);

  private:
    std::string target_;
    std::string temp_;
    int fd_ = -1;
    int live_slot_ = -1;  // in the signal handler's list of files to remove
    bool committed_ = false;
};

// An existing output that is not a regular file or a folder (/dev/null, a FIFO, a
// terminal's device) is written in place, as zstd does: renaming a temporary file over it
// would replace the device or pipe with a plain file. Returns the open descriptor, or -1
// when target is not such a file (then use OutputFile). Throws IoError if it cannot open.
int open_special_output(const std::string& target);

// Installs SIGINT/SIGTERM/SIGHUP handlers that remove the live temporary file, then
// re-raise the signal so the exit status says what happened.
void install_cleanup_handlers();

}  // namespace znn::cli
