// What the delta encoder and decoder share: the element format and the parts of a chunk.
#pragma once

#include <cstdint>

#include "simd/kernels.hpp"
#include "znn/layout.hpp"

namespace znn::delta {

// Symbols are 4 * hi + 2 * neg + flip with hi up to kEscapeHi, which means "see escapes".
inline constexpr unsigned kEscapeHi = simd::kDeltaEscapeHi;
inline constexpr unsigned kSymbolCount = 4 * (kEscapeHi + 1);
inline constexpr unsigned kMaxGroups = 4;

struct ElementFormat {
    unsigned width_bits;     // W: 16 or 32
    unsigned mantissa_bits;  // M
    constexpr unsigned exponent_bits() const noexcept { return width_bits - 1 - mantissa_bits; }
    constexpr unsigned max_shift() const noexcept { return width_bits - 2; }
};

constexpr ElementFormat element_format(Layout layout) noexcept {
    switch (layout) {
        case Layout::fp16:
            return {16, 10};
        case Layout::fp32:
            return {32, 23};
        default:
            return {16, 7};  // bf16
    }
}

// Part order in a delta chunk: the table, the group planes, the low bits, the escapes.
inline constexpr unsigned kTablePart = 0;
inline constexpr unsigned kFirstGroupPart = 1;

}  // namespace znn::delta
