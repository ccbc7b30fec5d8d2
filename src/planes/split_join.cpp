#include "planes/planes.hpp"

#include <cstring>

#include "planes/bf16x.hpp"
#include "planes/fp8.hpp"
#include "simd/kernels.hpp"

namespace znn {

namespace {

// Byte grouping: plane b holds byte `order[b]` of every element.
template <unsigned W>
void split_bytes(const std::uint8_t* src, std::size_t k,
                 const std::array<std::uint8_t*, kMaxPlanes>& p,
                 const std::array<unsigned, W>& order) noexcept {
    for (unsigned b = 0; b < W; ++b) {
        std::uint8_t* out = p[b];
        const std::uint8_t* in = src + order[b];
        for (std::size_t i = 0; i < k; ++i) out[i] = in[W * i];
    }
}

template <unsigned W>
void join_bytes(const std::array<const std::uint8_t*, kMaxPlanes>& p, std::size_t k,
                std::uint8_t* dst, const std::array<unsigned, W>& order) noexcept {
    for (unsigned b = 0; b < W; ++b) {
        const std::uint8_t* in = p[b];
        std::uint8_t* out = dst + order[b];
        for (std::size_t i = 0; i < k; ++i) out[W * i] = in[i];
    }
}

}  // namespace

void split_planes(Layout layout, const PlaneShape& shape, std::span<const std::uint8_t> raw,
                  const std::array<std::uint8_t*, kMaxPlanes>& planes) noexcept {
    const std::size_t k = shape.elements;
    const simd::Kernels& kernels = simd::kernels();
    if (layout == Layout::fp8) {
        kernels.split_fp8(raw.data(), k, planes[0], planes[1]);
        return;
    }
    const std::uint8_t* src = raw.data() + shape.leading;
    switch (layout) {
        case Layout::bytes:
        case Layout::fp8:
            std::memcpy(planes[0], src, k);
            break;
        case Layout::bf16:
            kernels.split_bf16(src, k, planes[0], planes[1]);
            break;
        case Layout::bf16x:
            kernels.split_bf16x(src, k, planes[0], planes[1]);
            break;
        case Layout::fp16:  // plane 0 gets the high bytes (sign, exponent)
            kernels.split_pairs(src, k, planes[1], planes[0]);
            break;
        case Layout::fp32:
            kernels.split_fp32(src, k, planes.data());
            break;
        case Layout::group2:
            kernels.split_pairs(src, k, planes[0], planes[1]);
            break;
        case Layout::group4:
            split_bytes<4>(src, k, planes, {0, 1, 2, 3});
            break;
        case Layout::group8:
            split_bytes<8>(src, k, planes, {0, 1, 2, 3, 4, 5, 6, 7});
            break;
    }
    // Bytes outside whole elements go, leading then trailing, after the last plane's own.
    std::uint8_t* extra = planes[shape.count - 1] + (layout == Layout::bf16x ? packed7_size(k) : k);
    if (shape.leading != 0) std::memcpy(extra, raw.data(), shape.leading);
    const std::size_t tail_start = shape.leading + k * shape.count;
    if (raw.size() > tail_start)
        std::memcpy(extra + shape.leading, raw.data() + tail_start, raw.size() - tail_start);
}

void join_planes(Layout layout, const PlaneShape& shape,
                 const std::array<const std::uint8_t*, kMaxPlanes>& planes,
                 std::span<std::uint8_t> raw) noexcept {
    const std::size_t k = shape.elements;
    const simd::Kernels& kernels = simd::kernels();
    if (layout == Layout::fp8) {
        kernels.join_fp8(planes[0], planes[1], k, raw.data());
        return;
    }
    std::uint8_t* dst = raw.data() + shape.leading;
    switch (layout) {
        case Layout::bytes:
        case Layout::fp8:
            std::memcpy(dst, planes[0], k);
            break;
        case Layout::bf16:
            kernels.join_bf16(planes[0], planes[1], k, dst);
            break;
        case Layout::bf16x:
            kernels.join_bf16x(planes[0], planes[1], k, dst);
            break;
        case Layout::fp16:
            kernels.join_pairs(planes[1], planes[0], k, dst);
            break;
        case Layout::fp32:
            kernels.join_fp32(planes.data(), k, dst);
            break;
        case Layout::group2:
            kernels.join_pairs(planes[0], planes[1], k, dst);
            break;
        case Layout::group4:
            join_bytes<4>(planes, k, dst, {0, 1, 2, 3});
            break;
        case Layout::group8:
            join_bytes<8>(planes, k, dst, {0, 1, 2, 3, 4, 5, 6, 7});
            break;
    }
    // memcpy wants valid pointers even for 0 bytes, and an empty chunk or plane has none.
    const std::uint8_t* extra =
        planes[shape.count - 1] + (layout == Layout::bf16x ? packed7_size(k) : k);
    if (shape.leading != 0) std::memcpy(raw.data(), extra, shape.leading);
    const std::size_t tail_start = shape.leading + k * shape.count;
    if (raw.size() > tail_start)
        std::memcpy(raw.data() + tail_start, extra + shape.leading, raw.size() - tail_start);
}

bool planes_well_formed(Layout layout, const PlaneShape& shape,
                        const std::array<const std::uint8_t*, kMaxPlanes>& planes) noexcept {
    if (layout == Layout::fp8) return fp8_planes_clear(planes[0], planes[1], shape.elements);
    return layout != Layout::bf16x || bf16x_padding_clear(planes[1], shape.elements);
}

}  // namespace znn
