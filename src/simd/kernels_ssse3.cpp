// The SSSE3 kernels (built with -mssse3): where a byte shuffle helps. See kernels.hpp.
#include <tmmintrin.h>

#include "simd/levels.hpp"

namespace znn::simd::ssse3 {

// Sixteen elements from 14 packed bytes: pshufb puts the two bytes holding each element's
// 7 bits in a 16-bit lane, and a multiply-high by 2^(15 - shift) of the lane doubled
// shifts each lane by its own amount (SSE has no per-lane shift).
void join_bf16x(const std::uint8_t* sym, const std::uint8_t* packed, std::size_t k,
                std::uint8_t* dst) noexcept {
    const __m128i pick_lo = _mm_setr_epi8(0, 1, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7);
    const __m128i pick_hi = _mm_setr_epi8(7, 8, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14);
    // 2^(15 - (7j mod 8)) for j = 0..7 (the same for 8..15).
    const __m128i scale = _mm_setr_epi16(static_cast<short>(1 << 15), 1 << 8, 1 << 9, 1 << 10,
                                         1 << 11, 1 << 12, 1 << 13, 1 << 14);
    const __m128i low6 = _mm_set1_epi16(0x3F);
    const __m128i bit6 = _mm_set1_epi16(0x40);
    const __m128i zero = _mm_setzero_si128();
    const std::size_t size = packed7_size(k);
    std::size_t i = 0;
    // A 16-byte load of each step's 14 bytes must stay inside the plane.
    for (; i + 16 <= k && i / 16 * 14 + 16 <= size; i += 16) {
        const __m128i bytes =
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(packed + i / 16 * 14));
        const __m128i s = _mm_loadu_si128(reinterpret_cast<const __m128i*>(sym + i));
        for (int half = 0; half < 2; ++half) {
            const __m128i pairs = _mm_shuffle_epi8(bytes, half == 0 ? pick_lo : pick_hi);
            const __m128i rest = _mm_mulhi_epu16(_mm_slli_epi16(pairs, 1), scale);
            const __m128i sv = half == 0 ? _mm_unpacklo_epi8(s, zero) : _mm_unpackhi_epi8(s, zero);
            // v = sym << 6 | rest & 0x3F | (rest & 0x40) << 9
            const __m128i v =
                _mm_or_si128(_mm_or_si128(_mm_slli_epi16(sv, 6), _mm_and_si128(rest, low6)),
                             _mm_slli_epi16(_mm_and_si128(rest, bit6), 9));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + 2 * i + 16 * half), v);
        }
    }
    sse2::join_bf16x(sym + i, packed + i / 8 * 7, k - i, dst + 2 * i);
}

}  // namespace znn::simd::ssse3
