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

ProbeResult probe_layout(std::span<const std::uint8_t> data) noexcept;

}  // namespace znn
