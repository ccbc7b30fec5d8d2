// How a chunk of a given layout divides into byte planes.
//
// A chunk of n bytes with layout width w and phase p (0 <= p < w) holds
// k = (n - p) / w whole elements starting at byte p. Each of the w planes gets one byte
// per element; the bytes outside whole elements (the p leading ones, then the trailing
// ones) are appended to the last plane, so every byte lands in exactly one plane.
#pragma once

#include <array>
#include <cstddef>

#include "znn/layout.hpp"

namespace znn {

struct PlaneShape {
    unsigned count = 0;                           // planes in use
    std::size_t elements = 0;                     // whole elements
    std::size_t leading = 0;                      // bytes before the first element
    std::array<std::size_t, kMaxPlanes> sizes{};  // bytes in each plane
};

// The planes a chunk of `size` bytes splits into. The phase must be below the width.
PlaneShape plane_shape(Layout layout, unsigned phase, std::size_t size) noexcept;

}  // namespace znn
