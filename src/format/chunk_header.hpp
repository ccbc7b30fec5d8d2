// A chunk block's header: layout, phase, raw size, checksum and one (codec, size) entry
// per plane (man/znn.5, "Chunk block").
//
//   chunk = u8 type=0x01 | u8 layout | u8 phase | u8 planes P | u64 raw size
//           | u64 XXH3-64(raw) | P x (u8 codec, u64 size) | plane payloads
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "znn/layout.hpp"

namespace znn {

inline constexpr std::uint8_t kChunkBlockType = 0x01;
inline constexpr std::size_t kChunkPrefixSize = 20;
inline constexpr std::size_t kPlaneEntrySize = 9;

enum class PlaneCodec : std::uint8_t { stored = 0, constant = 1, huffman = 2, zstd = 3, ans = 4 };
inline constexpr int kPlaneCodecCount = 5;

struct ChunkHeader {
    Layout layout = Layout::bytes;
    std::uint8_t phase = 0;
    std::uint8_t plane_count = 1;
    std::uint64_t raw_size = 0;
    std::uint64_t checksum = 0;
    std::array<PlaneCodec, kMaxPlanes> codecs{};
    std::array<std::uint64_t, kMaxPlanes> sizes{};

    std::size_t header_size() const noexcept {
        return kChunkPrefixSize + kPlaneEntrySize * plane_count;
    }
    std::uint64_t payload_size() const noexcept;
    std::uint64_t block_size() const noexcept { return header_size() + payload_size(); }
};

std::size_t write_chunk_header(const ChunkHeader& header, std::uint8_t* out) noexcept;
// Parses the fixed 20-byte prefix; the plane entries are read by parse_plane_entries.
// Throws FormatError on an unknown block type, layout, phase or plane count, or a raw size
// over kMaxChunkSize.
ChunkHeader parse_chunk_prefix(std::span<const std::uint8_t, kChunkPrefixSize> prefix);
void parse_plane_entries(std::span<const std::uint8_t> entries, ChunkHeader& header);

// Parses a complete chunk block's header (prefix and plane entries), checking that the
// block is exactly as long as the header says. Throws FormatError.
ChunkHeader parse_chunk_header(std::span<const std::uint8_t> block);

}  // namespace znn
