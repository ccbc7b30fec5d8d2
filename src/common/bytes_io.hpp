// Little-endian loads and stores on raw memory. Every on-disk field is little-endian
// and read through these, so the code never depends on alignment or host order.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace znn {

static_assert(std::endian::native == std::endian::little, "znn assumes a little-endian host");

template <class T>
inline T load_le(const void* p) noexcept {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

template <class T>
inline void store_le(void* p, T v) noexcept {
    std::memcpy(p, &v, sizeof v);
}

}  // namespace znn
