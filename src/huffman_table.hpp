// Pieces of the Huffman plane format shared by the encoder and the decoder.
//
// Code-length table: u8 first symbol, u8 last symbol, then one 4-bit length per symbol
// in [first, last], two per byte, low nibble first. Length 0 means "absent".
// Block: u32 size of what follows, u16 x3 sizes of streams 0..2, then streams 0..3.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include "bitstreams.hpp"
#include "huffman.hpp"

namespace znn::huffman {

inline constexpr std::size_t kBlockHeaderSize = kFourStreamHeaderSize;
inline constexpr std::size_t kMaxTableSize = 2 + 128;

// Symbols [first, second) of a block of n symbols belong to stream j (0..3).
inline std::pair<std::size_t, std::size_t> stream_range(std::size_t n, unsigned j) noexcept {
    const std::size_t quarter = (n + 3) / 4;
    const std::size_t a = std::min(n, quarter * j);
    const std::size_t b = std::min(n, quarter * (j + 1));
    return {a, b};
}

// The lowest and highest symbols with a nonzero entry (code length, tANS level); (255,
// 255) when there is none. Tables of both coders cover just this range.
std::pair<unsigned, unsigned> used_range(const std::array<std::uint8_t, 256>& per_symbol) noexcept;

std::size_t table_size(const CodeLengths& lengths) noexcept;
// Writes the table; returns its size.
std::size_t write_table(const CodeLengths& lengths, std::uint8_t* out) noexcept;
// Reads a table from the front of in; returns its size, or 0 if malformed.
std::size_t read_table(std::span<const std::uint8_t> in, CodeLengths& lengths) noexcept;

}  // namespace znn::huffman
