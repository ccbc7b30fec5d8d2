// Byte histograms and their order-0 entropy, for building codes and for choosing layouts
// and codecs from samples.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace znn {

using Histogram = std::array<std::uint32_t, 256>;

// Counts each byte value. Planes are at most kMaxChunkSize bytes, so counts fit 32 bits.
Histogram count_symbols(std::span<const std::uint8_t> data) noexcept;

// Total order-0 bits of the symbols counted: N log2 N - sum c log2 c. Counts below
// kEntropyTableCounts come from a table (the probe's 8 KiB samples and the codec's plane
// samples stay within it, and calling log2 per symbol was a quarter of compressing
// headerless files); larger ones are computed. The table is built on first use (0.1 ms).
// Deterministic: depends only on the counts.
inline constexpr std::uint32_t kEntropyTableCounts = (1u << 13) + 1;
double entropy_bits(std::span<const std::uint32_t> counts) noexcept;
inline double entropy_bits(const Histogram& counts) noexcept {
    return entropy_bits(std::span<const std::uint32_t>(counts));
}

}  // namespace znn
