// The fp8 layout's check on decoded planes (see fp8.hpp).
#include "planes/fp8.hpp"

#include "common/bytes_io.hpp"

namespace znn {

bool fp8_planes_clear(const std::uint8_t* magnitudes, const std::uint8_t* signs,
                      std::size_t elements) noexcept {
    const unsigned used = elements % 8;
    if (used != 0 && (signs[elements / 8] >> used) != 0) return false;
    std::uint64_t high = 0;
    std::size_t i = 0;
    for (; i + 8 <= elements; i += 8) high |= load_le<std::uint64_t>(magnitudes + i);
    for (; i < elements; ++i) high |= magnitudes[i];
    return (high & 0x8080808080808080u) == 0;
}

}  // namespace znn
