// Reading what a .znn file holds without decoding its payload (for `znn list`).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "znn/layout.hpp"

namespace znn {

struct FrameInfo {
    std::uint64_t offset = 0;           // where the frame starts in the file
    std::uint64_t compressed_size = 0;  // bytes of the frame
    std::uint64_t content_size = 0;     // bytes it decodes to
    std::uint64_t chunk_count = 0;
    std::uint64_t content_checksum = 0;
    std::array<std::uint64_t, kLayoutCount> layout_bytes{};  // raw bytes per layout
    // Frames compressed against a base model (see znn/base.hpp); 0 and empty otherwise.
    std::string base_hint;            // the base's file or folder name
    std::uint64_t base_checksum = 0;  // over the base tensors it needs
    std::uint64_t base_tensors = 0;   // base tensors it needs
    std::uint64_t delta_chunks = 0;   // chunks coded against one
    std::uint64_t delta_bytes = 0;    // raw bytes in those chunks
};

// Reads size bytes at offset into out, or throws.
using ReadAt = std::function<void(std::uint64_t offset, std::span<std::uint8_t> out)>;

// Walks the frames of a seekable .znn file of file_size bytes from its end, through each
// footer and seek table, reading only the chunk headers. Frames are returned in file order.
// Throws FormatError if the structure is inconsistent.
std::vector<FrameInfo> inspect_frames(std::uint64_t file_size, const ReadAt& read_at);

}  // namespace znn
