// Opening a job's input: regular files, and FIFOs or pipes named on the command line (read as
// streams, as zstd does), without ever blocking on a FIFO met in a folder walk.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <string>

namespace znn::cli {

class InputFile {
  public:
    // Opens path. /dev/stdin, /dev/fd/N and /proc/self/fd/N mean that descriptor. A FIFO is
    // opened as a stream (waiting for a writer) unless from_walk, where it is refused without
    // ever being opened for reading, like anything else but a regular file. Throws IoError.
    InputFile(const std::string& path, bool from_walk);
    ~InputFile();
    InputFile(const InputFile&) = delete;
    InputFile& operator=(const InputFile&) = delete;

    int fd() const noexcept { return fd_; }
    const struct stat& stat_at_open() const noexcept { return st_; }
    bool regular() const noexcept { return S_ISREG(st_.st_mode); }
    // A regular file opened by its name: one --rm may remove and whose metadata the output
    // copies. (Not a descriptor passed by path, not a stream.)
    bool named_file() const noexcept { return regular() && owned_; }
    // Bytes from where reading starts to the end, as at open (regular files).
    std::uint64_t size_at_open() const noexcept { return size_; }

    // Whether a regular file's size or modification time differs from what it was at open:
    // then what was read may not be the file. Always false for streams.
    bool changed_since_open() const;

  private:
    int fd_ = -1;
    bool owned_ = true;
    struct stat st_ {};
    std::uint64_t size_ = 0;
};

}  // namespace znn::cli
