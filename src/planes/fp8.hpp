// The fp8 layout: 1-byte floats (E4M3, E5M2) split into sign and magnitude. Plane 0 gets
// each byte's low 7 bits (exponent and mantissa); plane 1 the signs, packed eight to a
// byte (element i in bit i % 8 of byte i / 8). Weights are symmetric around zero, so the
// sign is a coin toss: stored packed it costs one bit, and the magnitude plane's code
// needs half the table a whole byte's does (the shared FP8 file: ~60 bytes less per tensor).
#pragma once

#include <cstddef>
#include <cstdint>

#include "simd/kernels.hpp"

namespace znn {

// Bytes that k signs pack into. The split and join are simd kernels.
using simd::packed_signs_size;

// True when every magnitude has bit 7 clear and the sign plane's unused high bits are
// zero, as the split writes them (the join would silently drop either).
bool fp8_planes_clear(const std::uint8_t* magnitudes, const std::uint8_t* signs,
                      std::size_t elements) noexcept;

}  // namespace znn
