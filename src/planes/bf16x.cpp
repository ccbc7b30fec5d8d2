// The bf16x layout's check on decoded planes (see bf16x.hpp).
#include "planes/bf16x.hpp"

namespace znn {

bool bf16x_padding_clear(const std::uint8_t* packed, std::size_t elements) noexcept {
    if (elements % 8 == 0) return true;
    const std::size_t used_bits = 7 * elements % 8;
    return (packed[packed7_size(elements) - 1] >> used_bits) == 0;
}

}  // namespace znn
