// The decompression reader: walks concatenated frames block by block and checks the
// frame structure (seek table, footer, sizes, content checksum) as it goes. Chunk
// payloads are decoded and verified later, by the workers.
#pragma once

#include <memory>
#include <vector>

#include "common/buffer.hpp"
#include "format/checksum.hpp"
#include "format/chunk_header.hpp"
#include "format/dependency.hpp"
#include "format/frame.hpp"
#include "pipeline/base_hasher.hpp"
#include "znn/base.hpp"
#include "znn/stream.hpp"

namespace znn {

struct DecodeTask {
    std::span<const std::uint8_t> payload;  // the chunk's planes, in storage or borrowed
    Buffer storage;
    ChunkHeader header;
    std::uint8_t* direct_out = nullptr;  // where to decode to, when the output allows it
    std::uint64_t input_end = 0;         // compressed bytes read up to the end of this chunk
    Buffer base;                         // a delta chunk's base bytes
    // Set when the frame's base tensors are checked only as they are read (see
    // FrameReader): a delta chunk that fails its checksum then checks its base tensor.
    std::shared_ptr<const Dependency> unchecked_base;
};

class FrameReader {
  public:
    // base: the base model delta frames are checked against and decoded with, or null.
    // check_base_first: a frame's base tensors are all read and checked before its first
    // chunk. Otherwise they are hashed from the bytes the delta chunks read (each base
    // tensor is read once, not twice) and checked at the frame's end.
    FrameReader(InputStream& in, const BaseModel* base, bool check_base_first = true);
    // Fills task with the next chunk block; false after the last frame. Throws FormatError
    // on a corrupt or truncated stream, IoError.
    bool next(DecodeTask& task);
    std::uint64_t frames() const noexcept { return frames_; }
    std::uint64_t bytes_read() const noexcept { return bytes_read_; }

  private:
    bool start_frame();
    void finish_frame();
    void read_dependency();
    void read_exact(std::uint8_t* out, std::size_t size);
    std::size_t fetch(std::uint8_t* out, std::size_t size);

    InputStream& in_;
    const BaseModel* base_;
    bool check_base_first_;
    std::vector<const BaseTensor*> base_tensors_;  // of the current frame's dependency
    std::shared_ptr<const Dependency> unchecked_;  // the frame's, while not checked yet
    std::unique_ptr<BaseHasher> hasher_;           // hashes unchecked_'s tensors
    // Inputs that cannot lend their bytes (files, pipes) are read ahead in kReadAhead blocks:
    // a chunk's type, prefix, plane table and payload were four system calls each.
    bool read_ahead_;
    Buffer ahead_;
    std::size_t ahead_pos_ = 0;
    std::size_t ahead_end_ = 0;
    bool in_frame_ = false;
    std::uint64_t frames_ = 0;
    std::uint64_t bytes_read_ = 0;
    std::uint64_t frame_start_ = 0;
    std::vector<SeekEntry> seen_;  // what the chunks of this frame really were
    std::uint64_t content_size_ = 0;
    std::unique_ptr<ContentChecksum> content_checksum_;
};

}  // namespace znn
