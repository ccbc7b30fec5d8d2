// Splitting a chunk into byte planes and joining them back (bytes in, bytes out).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "planes/plane_shape.hpp"
#include "znn/layout.hpp"

namespace znn {

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
