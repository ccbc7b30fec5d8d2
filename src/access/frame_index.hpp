// Where every chunk of a .znn file lies, from the frames' footers and seek tables alone: the
// map a Reader uses to reach any byte of the content without reading what comes before it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "format/dependency.hpp"
#include "znn/inspect.hpp"

namespace znn::detail {

struct ChunkLocation {
    std::uint64_t content_offset = 0;  // the chunk's first byte in the content
    std::uint64_t block_offset = 0;    // its chunk block's first byte in the file
    std::uint64_t block_size = 0;
    std::uint64_t raw_size = 0;
};

// A frame coded against a base model: its chunks, and the base tensors its delta chunks name.
struct DependentFrame {
    std::size_t first_chunk = 0;
    std::size_t end_chunk = 0;  // one past its last chunk
    Dependency dependency;
};

struct FrameIndex {
    std::vector<ChunkLocation> chunks;      // in content order, across frames
    std::vector<DependentFrame> dependent;  // in content order; empty for most files
    std::uint64_t content_size = 0;
    std::uint64_t frames = 0;

    // The chunk holding content byte `offset` (< content_size).
    std::size_t chunk_at(std::uint64_t offset) const noexcept;
    // The frame coded against a base that holds chunk `chunk`, or nullptr.
    const DependentFrame* dependent_frame(std::size_t chunk) const noexcept;
};

// Walks the frames of a file of file_size bytes from its end, through each footer and seek
// table (and dependency block, in a frame coded against a base). Every entry is checked
// against what remains of its frame, so a hostile file cannot make this read or allocate more
// than the file's own size warrants; the chunk headers themselves are checked against their
// entries when a chunk is decoded. Throws FormatError.
FrameIndex index_frames(std::uint64_t file_size, const ReadAt& read_at);

}  // namespace znn::detail
