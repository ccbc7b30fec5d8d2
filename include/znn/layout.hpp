// Element layouts: how a chunk's bytes are split into byte planes before coding.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace znn {

// The on-disk layout ids (format v1). New layouts get new ids; ids are never reused.
enum class Layout : std::uint8_t {
    bytes = 0,   // one plane: FP8, int8, BOOL, unknown data
    bf16 = 1,    // plane 0: the 8 exponent bits; plane 1: sign and 7 mantissa bits
    fp16 = 2,    // plane 0: high byte (sign, exponent, 2 mantissa bits); plane 1: low byte
    fp32 = 3,    // plane 0: the 8 exponent bits; plane 1: sign + mantissa 22..16; 2, 3: low bytes
    group2 = 4,  // 2-byte integers, one plane per byte
    group4 = 5,  // 4-byte integers, one plane per byte
    group8 = 6,  // 8-byte integers and FP64, one plane per byte
    bf16x = 7,   // BF16 below 2 in magnitude: plane 0: exponent bits 6..0 and the top
                 // mantissa bit; plane 1: sign and 6 mantissa bits, 7 bits each, packed
    fp8 = 8,     // 1-byte floats: plane 0: the 7 bits below the sign; plane 1: the signs,
                 // packed eight to a byte
};
inline constexpr int kLayoutCount = 9;
// The most planes any layout splits a chunk into (group8).
inline constexpr unsigned kMaxPlanes = 8;

// Bytes per element (1, 2, 4 or 8).
unsigned layout_width(Layout layout) noexcept;
// Number of byte planes the layout produces: its width, but 2 for fp8.
inline unsigned layout_plane_count(Layout layout) noexcept {
    return layout == Layout::fp8 ? 2 : layout_width(layout);
}
// Lower-case name used by `znn list` and --dtype ("bytes", "bf16", ...).
std::string_view layout_name(Layout layout) noexcept;
// Layout from an on-disk id, or nothing for an unknown id.
std::optional<Layout> layout_from_id(std::uint8_t id) noexcept;

// What the user asked for with --dtype.
enum class DtypeChoice : std::uint8_t { automatic, bytes, bf16, fp16, fp32, fp8 };
// Parses "auto", "bytes", "bf16", "fp16", "fp32", "fp8"; nothing for anything else.
std::optional<DtypeChoice> parse_dtype(std::string_view text) noexcept;

}  // namespace znn
