// A chunk block's header: layout, phase, raw size, checksum and one (codec, size) entry
// per plane (man/znn.5, "Chunk block").
//
//   chunk = u8 type=0x01 | u8 layout | u8 phase | u8 planes P | u64 raw size
//           | u64 XXH3-64(raw) | P x (u8 codec, u64 size) | plane payloads
//   delta = u8 type=0x04 | u8 layout | u8 0 | u8 parts P | u64 raw size | u64 XXH3-64(raw)
//           | u32 base tensor index | u64 offset in the base tensor
//           | P x (u8 codec, u64 size) | part payloads
// A delta chunk is coded against the bytes of a base tensor (src/delta/); its parts are
// not byte planes of the chunk, so the plane size rules do not apply to them.
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
inline constexpr std::uint8_t kDeltaBlockType = 0x04;
inline constexpr std::size_t kDeltaRefSize = 12;
// A delta chunk's parts: the table, 1 to 4 symbol planes, the low bits, the escapes.
inline constexpr unsigned kMinDeltaParts = 4;
inline constexpr unsigned kMaxDeltaParts = 7;

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
    // Delta chunks only: which tensor of the frame's dependency block, and where in it.
    bool delta = false;
    std::uint32_t base_tensor = 0;
    std::uint64_t base_offset = 0;

    std::size_t header_size() const noexcept {
        return kChunkPrefixSize + (delta ? kDeltaRefSize : 0) + kPlaneEntrySize * plane_count;
    }
    std::uint64_t payload_size() const noexcept;
    std::uint64_t block_size() const noexcept { return header_size() + payload_size(); }
};

std::size_t write_chunk_header(const ChunkHeader& header, std::uint8_t* out) noexcept;
// Parses the fixed 20-byte prefix; the plane entries are read by parse_plane_entries.
// Throws FormatError on an unknown block type, layout, phase or plane count, or a raw size
// over kMaxChunkSize.
ChunkHeader parse_chunk_prefix(std::span<const std::uint8_t, kChunkPrefixSize> prefix);
// entries: the header_size() - kChunkPrefixSize bytes after the prefix.
void parse_plane_entries(std::span<const std::uint8_t> entries, ChunkHeader& header);

// Parses a complete chunk block's header (prefix and plane entries), checking that the
// block is exactly as long as the header says. Throws FormatError.
ChunkHeader parse_chunk_header(std::span<const std::uint8_t> block);

}  // namespace znn
