// The decompressor's writer: hands decoded chunks to the output in input order, either
// committing the bytes a worker decoded straight into the output or writing the chunk's
// buffer. Runs on the pipeline's writer thread.
#pragma once

#include "common/buffer.hpp"
#include "znn/znn.hpp"

namespace znn {

// One chunk as a worker decoded it.
struct DecodedChunk {
    Buffer raw;
    std::size_t direct_size = 0;  // bytes decoded straight into the output instead
    // Compressed bytes read up to this chunk, for progress: the reader runs ahead of the
    // writer, so the count travels with the chunk.
    std::uint64_t input_end = 0;
};

class ContentWriter {
  public:
    ContentWriter(OutputStream& out, const ProgressFn& progress) : out_(out), progress_(progress) {}
    // Writes or commits one chunk and reports the compressed bytes behind it. Throws IoError.
    void write(const DecodedChunk& chunk);
    // Original bytes and chunks written so far.
    const Stats& stats() const noexcept { return stats_; }

  private:
    OutputStream& out_;
    const ProgressFn& progress_;
    Stats stats_;
};

}  // namespace znn
