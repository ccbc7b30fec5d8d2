#include "planes/fp8.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/bytes_io.hpp"

namespace znn {

// Sixteen elements at a time with SSE2 (every x86-64 has it): movemask gathers the signs.
void split_fp8(const std::uint8_t* src, std::size_t k, std::uint8_t* magnitudes,
               std::uint8_t* signs) noexcept {
    std::size_t i = 0;
#if defined(__SSE2__)
    const __m128i low7 = _mm_set1_epi8(0x7F);
    for (; i + 16 <= k; i += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(magnitudes + i), _mm_and_si128(v, low7));
        store_le<std::uint16_t>(signs + i / 8, static_cast<std::uint16_t>(_mm_movemask_epi8(v)));
    }
#endif
    for (; i < k; ++i) {
        magnitudes[i] = src[i] & 0x7F;
        if (i % 8 == 0) signs[i / 8] = 0;
        signs[i / 8] = static_cast<std::uint8_t>(signs[i / 8] | ((src[i] >> 7) << (i % 8)));
    }
}

void join_fp8(const std::uint8_t* magnitudes, const std::uint8_t* signs, std::size_t k,
              std::uint8_t* dst) noexcept {
    std::size_t i = 0;
#if defined(__SSE2__)
    // Spread 16 sign bits over 16 bytes: byte j keeps bit j % 8 of sign byte j / 8.
    const __m128i bit = _mm_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
    const __m128i top = _mm_set1_epi8(-128);
    for (; i + 16 <= k; i += 16) {
        __m128i s = _mm_cvtsi32_si128(load_le<std::uint16_t>(signs + i / 8));
        s = _mm_unpacklo_epi8(s, s);
        s = _mm_unpacklo_epi16(s, s);
        s = _mm_unpacklo_epi32(s, s);
        const __m128i set = _mm_cmpeq_epi8(_mm_and_si128(s, bit), bit);
        const __m128i m = _mm_loadu_si128(reinterpret_cast<const __m128i*>(magnitudes + i));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i),
                         _mm_or_si128(m, _mm_and_si128(set, top)));
    }
#endif
    for (; i < k; ++i)
        dst[i] = static_cast<std::uint8_t>((magnitudes[i] & 0x7F) |
                                           (((signs[i / 8] >> (i % 8)) & 1) << 7));
}

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
