// Our tANS coder (table-based asymmetric numeral systems) for byte planes.
//
// Huffman gives every symbol a whole number of bits. On planes whose symbols carry many
// bits each and no symbol dominates (FP8 magnitudes: ~5.3 bits), that costs ~1% over the
// entropy. tANS codes within ~0.1% of it, at a price: one table lookup per symbol where
// our multi-symbol Huffman decoder yields ~2, so it decodes at about half Huffman's
// speed and the codec uses it only where the size matters more (plane_coder.cpp).
// The coder describes the distribution cheaply: each symbol gets a *level*,
// -log2(probability) in thirds of a bit, delta-coded from its neighbour's (probabilities
// of adjacent byte values are close in float planes), and both sides derive the same
// 8192-slot table from the levels.
//
// A plane is: the level description, then blocks of up to kBlockSymbols symbols framed
// as Huffman blocks are (u32 size, three u16 stream sizes, four backward streams, each a
// quarter of the block). The exact byte layout is in man/znn.5.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "entropy/histogram.hpp"

namespace znn::ans {

inline constexpr unsigned kTableLog = 13;
inline constexpr unsigned kTableSize = 1u << kTableLog;
inline constexpr unsigned kMaxLevel = 63;  // p = 2^-21; rarer symbols still get one slot

using Levels = std::array<std::uint8_t, 256>;       // 0: symbol absent, else 1..kMaxLevel
using Normalized = std::array<std::uint16_t, 256>;  // slots per symbol, summing to kTableSize

// Levels for a histogram with at least one nonzero count.
Levels choose_levels(const Histogram& counts) noexcept;

// The slot counts both sides derive from levels (deterministic integer arithmetic).
// Returns false if no symbol is present.
bool normalize(const Levels& levels, Normalized& slots) noexcept;

// Bytes encode() writes for these counts and levels, to within a few bytes per block.
std::size_t estimate_size(const Histogram& counts, const Levels& levels,
                          std::size_t symbols) noexcept;

// A buffer of this many bytes always holds encode()'s output.
std::size_t encode_bound(std::size_t symbols) noexcept;

// Encodes symbols (each of which must have a nonzero level) into out, which must hold
// encode_bound(symbols.size()) bytes. Returns the bytes written.
std::size_t encode(std::span<const std::uint8_t> symbols, const Levels& levels,
                   std::uint8_t* out) noexcept;

// Decodes exactly out.size() symbols from in. Returns false if in is malformed or does not
// hold exactly that many symbols; never reads outside in or writes outside out.
bool decode(std::span<const std::uint8_t> in, std::span<std::uint8_t> out) noexcept;

}  // namespace znn::ans
