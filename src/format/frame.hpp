// The .znn v1 frame: its header, and the seek block and footer that end it.
// Byte-exact specification: man/znn.5. Every integer is little-endian.
//
//   frame   = header(8) chunk-block* seek-block
//   header  = 89 5A 4E 4E | u8 version=1 | u8 flags | u16 reserved=0
//   [dependency block, when flags has kFrameNeedsBase: see format/dependency.hpp]
//   chunk   = u8 type=0x01 | u8 layout | u8 phase | u8 planes P | u64 raw size
//             | u64 XXH3-64(raw) | P x (u8 codec, u64 size) | plane payloads
//   seek    = u8 type=0x02 | 7 reserved bytes | N x (u64 block size, u64 raw size) | footer
//   footer  = u64 N | u64 content size | u64 content checksum | u64 frame size | 4E 4E 5A 89
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "znn/layout.hpp"

namespace znn {

inline constexpr std::array<std::uint8_t, 4> kFrameMagic = {0x89, 'Z', 'N', 'N'};
inline constexpr std::array<std::uint8_t, 4> kFooterMagic = {'N', 'N', 'Z', 0x89};
inline constexpr std::uint8_t kFormatVersion = 1;
inline constexpr std::size_t kFrameHeaderSize = 8;
inline constexpr std::uint8_t kSeekBlockType = 0x02;
inline constexpr std::size_t kSeekHeaderSize = 8;
inline constexpr std::size_t kSeekEntrySize = 16;
inline constexpr std::size_t kFooterSize = 36;

struct SeekEntry {
    std::uint64_t block_size = 0;
    std::uint64_t raw_size = 0;
};

struct Footer {
    std::uint64_t chunk_count = 0;
    std::uint64_t content_size = 0;
    std::uint64_t content_checksum = 0;
    std::uint64_t frame_size = 0;
};

// Frame flag: a dependency block follows the header and chunks may be coded against a base.
inline constexpr std::uint8_t kFrameNeedsBase = 0x01;

void write_frame_header(std::vector<std::uint8_t>& out, std::uint8_t flags = 0);
// Returns the flags (whether the frame needs a base model is the caller's to decide). Throws
// FormatError naming what is wrong (not znn, legacy ZipNN, unknown version, unknown flags).
std::uint8_t check_frame_header(std::span<const std::uint8_t, kFrameHeaderSize> header);

// The seek block: type byte, reserved bytes, entries, footer.
void write_seek_block(const std::vector<SeekEntry>& entries, const Footer& footer,
                      std::vector<std::uint8_t>& out);
SeekEntry parse_seek_entry(const std::uint8_t* p) noexcept;
Footer parse_footer(std::span<const std::uint8_t, kFooterSize> bytes);  // throws FormatError

}  // namespace znn
