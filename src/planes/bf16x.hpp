// The bf16x layout: BF16 elements below 2 in magnitude (exponent bit 7 clear). Plane 0
// gets (v >> 6) & 0xFF, exponent bits 6..0 and the top mantissa bit; plane 1 gets the other
// 7 bits, sign << 6 | mantissa 5..0, packed eight elements to seven bytes (element i's bits
// start at bit 7i, LSB first). Splitting each exponent by its top mantissa bit halves
// Huffman's redundancy on dominant exponents and codes that bit's skew within a binade
// (normal weights are denser at the low end of each binade): the shared mixed-dtype
// file codes 0.6 points smaller.
#pragma once

#include <cstddef>
#include <cstdint>

#include "simd/kernels.hpp"

namespace znn {

// Bytes that k elements' 7-bit parts pack into. The split and join are simd kernels.
using simd::packed7_size;

// True when the unused high bits of the packed part's last byte are zero, as written.
bool bf16x_padding_clear(const std::uint8_t* packed, std::size_t elements) noexcept;

}  // namespace znn
