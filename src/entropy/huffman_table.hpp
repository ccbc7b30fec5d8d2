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

#include "entropy/huffman.hpp"
#include "entropy/plane_blocks.hpp"

namespace znn::huffman {

inline constexpr std::size_t kMaxTableSize = 2 + 128;

std::size_t table_size(const CodeLengths& lengths) noexcept;
// Writes the table; returns its size.
std::size_t write_table(const CodeLengths& lengths, std::uint8_t* out) noexcept;
// Reads a table from the front of in; returns its size, or 0 if malformed.
std::size_t read_table(std::span<const std::uint8_t> in, CodeLengths& lengths) noexcept;

}  // namespace znn::huffman
