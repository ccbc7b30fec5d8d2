// Splitting a chunk into byte planes and joining them back (bytes in, bytes out).
//
// A chunk of n bytes with layout width w and phase p (0 <= p < w) holds
// k = (n - p) / w whole elements starting at byte p. Each of the w planes gets one byte
// per element; the bytes outside whole elements (the p leading ones, then the trailing
// ones) are appended to the last plane, so every byte lands in exactly one plane.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "znn/layout.hpp"

namespace znn {

inline constexpr unsigned kMaxPlanes = 8;

struct PlaneShape {
    unsigned count = 0;                       // planes in use
    std::size_t elements = 0;                 // whole elements
    std::size_t leading = 0;                  // bytes before the first element
    std::array<std::size_t, kMaxPlanes> sizes{};  // bytes in each plane
};

// The planes a chunk of `size` bytes splits into. The phase must be below the width.
PlaneShape plane_shape(Layout layout, unsigned phase, std::size_t size) noexcept;

// Splits raw into planes[0..count), each at least shape.sizes[i] bytes long.
void split_planes(Layout layout, const PlaneShape& shape, std::span<const std::uint8_t> raw,
                  const std::array<std::uint8_t*, kMaxPlanes>& planes) noexcept;

// False when decoded planes cannot have come from split_planes: bf16x's packed plane must
// end in zero padding bits. join_planes would ignore them, so without this check a flipped
// padding bit would go unreported.
bool planes_well_formed(Layout layout, const PlaneShape& shape,
                        const std::array<const std::uint8_t*, kMaxPlanes>& planes) noexcept;

// The inverse of split_planes.
void join_planes(Layout layout, const PlaneShape& shape,
                 const std::array<const std::uint8_t*, kMaxPlanes>& planes,
                 std::span<std::uint8_t> raw) noexcept;

}  // namespace znn
