// Guessing the element layout of data with no header: byte-plane histograms of a sample,
// an order-0 entropy estimate per candidate layout and phase, the cheapest wins.
#pragma once

#include <cstdint>
#include <span>

#include "znn/layout.hpp"

namespace znn {

struct ProbeResult {
    Layout layout = Layout::bytes;
    std::uint8_t phase = 0;
};

// Looks at sample_size bytes (a multiple of 4, or all of data if smaller) from the middle
// of data: larger samples guess better on mixed data and cost proportionally more.
ProbeResult probe_layout(std::span<const std::uint8_t> data, std::size_t sample_size) noexcept;

}  // namespace znn
