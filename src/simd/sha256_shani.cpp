// SHA-256's block function on the x86 SHA extensions (SHA-NI): the state lives in two
// registers as the instructions want it (ABEF and CDGH), sha256rnds2 does two rounds,
// sha256msg1/msg2 extend the message schedule four words at a time. About six times the
// portable code's speed, which matters for multi-GB Hugging Face blobs. This file alone is
// compiled with -msha -msse4.1; simd::sha256_blocks() hands it out when the CPU has both.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "simd/sha256_constants.hpp"

namespace znn::simd {

void sha256_blocks_shani(std::uint32_t* state, const std::uint8_t* blocks,
                         std::size_t count) noexcept {
    // Message words are big-endian.
    const __m128i byte_swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);

    // From a b c d / e f g h to the instructions' ABEF / CDGH (highest lane first).
    const __m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(state)),
                                           0xB1);  // b a d c
    const __m128i hgfe = _mm_shuffle_epi32(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(state + 4)), 0x1B);  // h g f e
    __m128i abef = _mm_alignr_epi8(abcd, hgfe, 8);                            // f e b a
    __m128i cdgh = _mm_blend_epi16(hgfe, abcd, 0xF0);                         // h g d c

    for (; count > 0; --count, blocks += 64) {
        const __m128i abef_before = abef;
        const __m128i cdgh_before = cdgh;
        __m128i words[4];  // W[4g .. 4g+3] for the group g being done, in words[g % 4]
        for (int g = 0; g < 16; ++g) {
            __m128i& current = words[g % 4];
            if (g < 4)
                current = _mm_shuffle_epi8(
                    _mm_loadu_si128(reinterpret_cast<const __m128i*>(blocks + 16 * g)), byte_swap);
            __m128i message = _mm_add_epi32(
                current,
                _mm_load_si128(reinterpret_cast<const __m128i*>(kSha256Constants + 4 * g)));
            cdgh = _mm_sha256rnds2_epu32(cdgh, abef, message);
            if (g >= 3 && g < 15) {
                // The next group's words: W[t] = msg2(msg1(...) + W[t-7], W[t-2] ...).
                __m128i& next = words[(g + 1) % 4];
                next = _mm_add_epi32(next, _mm_alignr_epi8(current, words[(g + 3) % 4], 4));
                next = _mm_sha256msg2_epu32(next, current);
            }
            message = _mm_shuffle_epi32(message, 0x0E);
            abef = _mm_sha256rnds2_epu32(abef, cdgh, message);
            if (g >= 1 && g < 13) {
                __m128i& previous = words[(g + 3) % 4];
                previous = _mm_sha256msg1_epu32(previous, current);
            }
        }
        abef = _mm_add_epi32(abef, abef_before);
        cdgh = _mm_add_epi32(cdgh, cdgh_before);
    }

    // And back to a b c d / e f g h.
    const __m128i a_b_e_f = _mm_shuffle_epi32(abef, 0x1B);  // lowest lane first
    const __m128i g_h_c_d = _mm_shuffle_epi32(cdgh, 0xB1);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(state), _mm_blend_epi16(a_b_e_f, g_h_c_d, 0xF0));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(state + 4), _mm_alignr_epi8(g_h_c_d, a_b_e_f, 8));
}

}  // namespace znn::simd
