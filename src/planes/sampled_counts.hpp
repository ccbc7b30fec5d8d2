// Symbol statistics for building Huffman codes, estimated from a sample where planes are
// large: a histogram costs a store per symbol, and counting every symbol of exponent
// planes was a fifth of compression time on BF16 models.
//
// From kSampledCountsMin symbols on, the first 1/kSampleShare of every kSampleBlock symbols
// is counted and the counts are scaled to the whole. A code built on them must still
// cover every symbol present, so the other symbols are checked against the sample's
// symbol set (32 at a time with AVX2, a bitmap lookup with byte shuffles) and each one
// the sample missed counts 1. The shared files code at most 0.016 points larger this way
// (the FP16 file; the BF16 model 0.001).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "entropy/histogram.hpp"

namespace znn {

inline constexpr std::size_t kSampledCountsMin = 16384;
inline constexpr std::size_t kSampleBlock = 1024;
inline constexpr std::size_t kSampleShare = 4;

// Both BF16 layouts' plane-0 statistics from one pass over k elements at src: `exponents`
// counts bf16's symbols ((v >> 7) & 0xFF), `x` bf16x's ((v >> 6) & 0xFF). `x` is only
// meaningful when `fits_x`: every element has exponent bit 7 clear (|v| < 2, zeros and
// subnormals included), so that bf16x can code the chunk.
struct Bf16Counts {
    Histogram exponents{};
    Histogram x{};
    bool fits_x = false;
};
// With sampled false, every element is counted.
Bf16Counts count_bf16_symbols(const std::uint8_t* src, std::size_t k, bool sampled = true) noexcept;

// A byte plane's histogram, sampled as above.
Histogram count_bytes_sampled(std::span<const std::uint8_t> plane);

// A byte plane's histogram from counts of a sample drawn elsewhere (delta coding samples
// elements, not plane bytes): every symbol of the plane the sample missed counts 1, then
// the counts are scaled to the plane's size. `sampled` must not be all zeros.
Histogram complete_sampled_counts(std::span<const std::uint8_t> plane, Histogram sampled);

}  // namespace znn
