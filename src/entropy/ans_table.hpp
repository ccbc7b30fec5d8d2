// Pieces of the ANS plane format shared by the encoder and the decoder: the level
// description and the symbol spread.
//
// Level description: u8 first, u8 last (the lowest and highest present symbols), then a
// bit string, least significant bit of each byte first: 6 bits holding first's level,
// then for each symbol first+1..last the change from the previous symbol's level, zigzag
// mapped (0, -1, 1, -2, ... -> 0, 1, 2, 3, ...) and written as an order-1 exp-Golomb code;
// zero bits pad it to a whole byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "entropy/ans.hpp"
#include "entropy/plane_blocks.hpp"

namespace znn::ans {

// 2 bytes, 6 bits, then at most 14 bits for each of 255 changes.
inline constexpr std::size_t kMaxDescriptionSize = 2 + (6 + 255 * 14 + 7) / 8;

std::size_t description_size(const Levels& levels) noexcept;
// Writes the description; returns its size.
std::size_t write_description(const Levels& levels, std::uint8_t* out) noexcept;
// Reads a description from the front of in; returns its size, or 0 if malformed (also when
// first or last is absent, a level leaves 0..kMaxLevel, or a padding bit is set, so a
// description has one valid form).
std::size_t read_description(std::span<const std::uint8_t> in, Levels& levels) noexcept;

// The slot each symbol occupies: symbols in increasing order, each placed slots[s] times,
// stepping through the table by kSpreadStep (odd, so every slot is visited once). The
// step scatters a symbol's slots so the states that follow it spread over the table.
inline constexpr unsigned kSpreadStep = (kTableSize >> 1) + (kTableSize >> 3) + 3;
void spread_symbols(const Normalized& slots, std::array<std::uint8_t, kTableSize>& spread) noexcept;

}  // namespace znn::ans
