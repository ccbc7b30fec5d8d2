// The compressor's writer: appends coded chunk blocks to the output in input order,
// keeping each one's seek entry and checksum, and closes the frame with the seek table and
// footer. Runs on the pipeline's writer thread.
#pragma once

#include <vector>

#include "common/buffer.hpp"
#include "format/checksum.hpp"
#include "format/chunk_header.hpp"
#include "format/dependency.hpp"
#include "format/frame.hpp"
#include "znn/znn.hpp"

namespace znn {

// One chunk as a worker coded it.
struct EncodedChunk {
    Buffer block;
    std::uint64_t raw_size = 0;
    std::uint64_t checksum = 0;
};

class FrameWriter {
  public:
    // Writes the frame header, and the dependency block when dependency names tensors.
    // Throws IoError.
    FrameWriter(OutputStream& out, const ProgressFn& progress,
                const Dependency* dependency = nullptr);
    // Appends one chunk block and reports the input bytes coded so far. Throws IoError.
    void write(const EncodedChunk& chunk);
    // Writes the dependency block again, with the same names and sizes as the one the
    // constructor wrote and its checksums now known (the output must can_rewrite()).
    void rewrite_dependency(const Dependency& dependency);
    // Writes the seek table and footer; returns the frame's sizes. Throws IoError.
    Stats finish();

  private:
    OutputStream& out_;
    const ProgressFn& progress_;
    Stats stats_;
    std::vector<SeekEntry> seek_;
    std::size_t dependency_size_ = 0;  // bytes of the dependency block, after the header
    ContentChecksum content_;
};

}  // namespace znn
