// The bf16x layout's plane shuffles (see bf16x.hpp).
#include "planes/bf16x.hpp"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#include <immintrin.h>
#include <tmmintrin.h>
#endif

#include "common/bytes_io.hpp"

namespace znn {

namespace {

// Eight 7-bit values, one per byte of v, squeezed into the low 56 bits (LSB first).
std::uint64_t pack7x8(std::uint64_t v) noexcept {
    v = (v & 0x007F007F007F007FULL) | ((v >> 1) & 0x3F803F803F803F80ULL);
    v = (v & 0x00003FFF00003FFFULL) | ((v >> 2) & 0x0FFFC0000FFFC000ULL);
    return (v & 0x000000000FFFFFFFULL) | ((v >> 4) & 0x00FFFFFFF0000000ULL);
}

// The inverse: the low 56 bits of v spread to eight bytes of 7 bits.
std::uint64_t unpack7x8(std::uint64_t v) noexcept {
    v = (v & 0x000000000FFFFFFFULL) | ((v & 0x00FFFFFFF0000000ULL) << 4);
    v = (v & 0x00003FFF00003FFFULL) | ((v & 0x0FFFC0000FFFC000ULL) << 2);
    return (v & 0x007F007F007F007FULL) | ((v & 0x3F803F803F803F80ULL) << 1);
}

// Reads the 7-bit value of element i from a packed plane of `size` bytes.
unsigned read7(const std::uint8_t* packed, std::size_t size, std::size_t i) noexcept {
    const std::size_t bit = 7 * i;
    const std::size_t at = bit / 8;
    unsigned v = packed[at];
    if (at + 1 < size) v |= unsigned{packed[at + 1]} << 8;
    return (v >> (bit % 8)) & 0x7F;
}

}  // namespace

void split_bf16x(const std::uint8_t* src, std::size_t k, std::uint8_t* sym,
                 std::uint8_t* packed) noexcept {
    std::size_t i = 0;
#if defined(__SSE2__)
    const __m128i byte = _mm_set1_epi16(0xFF);
    const __m128i low6 = _mm_set1_epi16(0x3F);
    const __m128i bit6 = _mm_set1_epi16(0x40);
    for (; i + 16 <= k; i += 16) {
        const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 2 * i));
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 2 * i + 16));
        const __m128i sa = _mm_and_si128(_mm_srli_epi16(a, 6), byte);
        const __m128i sb = _mm_and_si128(_mm_srli_epi16(b, 6), byte);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(sym + i), _mm_packus_epi16(sa, sb));
        const __m128i ra =
            _mm_or_si128(_mm_and_si128(_mm_srli_epi16(a, 9), bit6), _mm_and_si128(a, low6));
        const __m128i rb =
            _mm_or_si128(_mm_and_si128(_mm_srli_epi16(b, 9), bit6), _mm_and_si128(b, low6));
        // pack7x8 on both 64-bit halves at once: 7-bit bytes -> 14-bit, 28-bit, 56-bit fields.
        __m128i v = _mm_packus_epi16(ra, rb);
        v = _mm_or_si128(_mm_and_si128(v, _mm_set1_epi16(0x007F)),
                         _mm_and_si128(_mm_srli_epi16(v, 1), _mm_set1_epi16(0x3F80)));
        v = _mm_or_si128(_mm_and_si128(v, _mm_set1_epi32(0x00003FFF)),
                         _mm_and_si128(_mm_srli_epi32(v, 2), _mm_set1_epi32(0x0FFFC000)));
        v = _mm_or_si128(
            _mm_and_si128(v, _mm_set1_epi64x(0x000000000FFFFFFFLL)),
            _mm_and_si128(_mm_srli_epi64(v, 4), _mm_set1_epi64x(0x00FFFFFFF0000000LL)));
        std::uint8_t* out = packed + i / 8 * 7;
        if (i / 8 * 7 + 15 <=
            packed7_size(k)) {  // two 8-byte stores, the second over the first's spare byte
            _mm_storel_epi64(reinterpret_cast<__m128i*>(out), v);
            _mm_storel_epi64(reinterpret_cast<__m128i*>(out + 7), _mm_unpackhi_epi64(v, v));
        } else {
            alignas(16) std::uint64_t halves[2];
            _mm_store_si128(reinterpret_cast<__m128i*>(halves), v);
            std::memcpy(out, &halves[0], 7);
            std::memcpy(out + 7, &halves[1], 7);
        }
    }
#endif
    for (; i + 8 <= k; i += 8) {
        std::uint64_t rest = 0;
        for (unsigned j = 0; j < 8; ++j) {
            const unsigned v = load_le<std::uint16_t>(src + 2 * (i + j));
            sym[i + j] = static_cast<std::uint8_t>(v >> 6);
            rest |= std::uint64_t{((v >> 9) & 0x40u) | (v & 0x3Fu)} << (8 * j);
        }
        const std::uint64_t bits = pack7x8(rest);
        std::memcpy(packed + i / 8 * 7, &bits, 7);
    }
    // The last k % 8 elements: their bits follow at 7i, the final byte zero-padded.
    const std::size_t size = packed7_size(k);
    std::memset(packed + i / 8 * 7, 0, size - i / 8 * 7);
    for (; i < k; ++i) {
        const unsigned v = load_le<std::uint16_t>(src + 2 * i);
        sym[i] = static_cast<std::uint8_t>(v >> 6);
        const unsigned rest = ((v >> 9) & 0x40u) | (v & 0x3Fu);
        const std::size_t bit = 7 * i;
        packed[bit / 8] = static_cast<std::uint8_t>(packed[bit / 8] | (rest << (bit % 8)));
        if (bit % 8 > 1) packed[bit / 8 + 1] = static_cast<std::uint8_t>(rest >> (8 - bit % 8));
    }
}

#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
#define ZNN_JOIN_BF16X_SSSE3 1
// Sixteen elements from 14 packed bytes: pshufb puts the two bytes holding each element's
// 7 bits in a 16-bit lane, and a multiply-high by 2^(15 - shift) of the lane doubled
// shifts each lane by its own amount (SSE has no per-lane shift). Returns the elements done.
__attribute__((target("ssse3"))) std::size_t join_bf16x_ssse3(const std::uint8_t* sym,
                                                              const std::uint8_t* packed,
                                                              std::size_t k, std::size_t size,
                                                              std::uint8_t* dst,
                                                              std::size_t i) noexcept {
    const __m128i pick_lo = _mm_setr_epi8(0, 1, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7);
    const __m128i pick_hi = _mm_setr_epi8(7, 8, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14);
    // 2^(15 - (7j mod 8)) for j = 0..7 (the same for 8..15).
    const __m128i scale = _mm_setr_epi16(static_cast<short>(1 << 15), 1 << 8, 1 << 9, 1 << 10,
                                         1 << 11, 1 << 12, 1 << 13, 1 << 14);
    const __m128i low6 = _mm_set1_epi16(0x3F);
    const __m128i bit6 = _mm_set1_epi16(0x40);
    const __m128i zero = _mm_setzero_si128();
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
    return i;
}

// The same 32 elements a step: each 128-bit lane takes 16 elements' 14 bytes, so pshufb
// and the unpacks, which stay within lanes, work as above; the two halves are reordered
// at the store. Mixed-dtype file, in memory: decompression 2445 -> 2550 MB/s; the join is
// then bound by writing the output.
__attribute__((target("avx2"))) std::size_t join_bf16x_avx2(const std::uint8_t* sym,
                                                            const std::uint8_t* packed,
                                                            std::size_t k, std::size_t size,
                                                            std::uint8_t* dst) noexcept {
    const __m256i pick_lo = _mm256_setr_epi8(0, 1, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7,  //
                                             0, 1, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7);
    const __m256i pick_hi =
        _mm256_setr_epi8(7, 8, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14,  //
                         7, 8, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14);
    const __m256i scale = _mm256_setr_epi16(
        static_cast<short>(1 << 15), 1 << 8, 1 << 9, 1 << 10, 1 << 11, 1 << 12, 1 << 13, 1 << 14,
        static_cast<short>(1 << 15), 1 << 8, 1 << 9, 1 << 10, 1 << 11, 1 << 12, 1 << 13, 1 << 14);
    const __m256i low6 = _mm256_set1_epi16(0x3F);
    const __m256i bit6 = _mm256_set1_epi16(0x40);
    const __m256i zero = _mm256_setzero_si256();
    std::size_t i = 0;
    for (; i + 32 <= k && i / 16 * 14 + 30 <= size; i += 32) {
        const std::uint8_t* p = packed + i / 16 * 14;
        const __m256i bytes = _mm256_inserti128_si256(
            _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))),
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 14)), 1);
        const __m256i s = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(sym + i));
        __m256i v[2];
        for (int half = 0; half < 2; ++half) {
            const __m256i pairs = _mm256_shuffle_epi8(bytes, half == 0 ? pick_lo : pick_hi);
            const __m256i rest = _mm256_mulhi_epu16(_mm256_slli_epi16(pairs, 1), scale);
            const __m256i sv =
                half == 0 ? _mm256_unpacklo_epi8(s, zero) : _mm256_unpackhi_epi8(s, zero);
            v[half] = _mm256_or_si256(
                _mm256_or_si256(_mm256_slli_epi16(sv, 6), _mm256_and_si256(rest, low6)),
                _mm256_slli_epi16(_mm256_and_si256(rest, bit6), 9));
        }
        // v[0] holds elements 0-7 and 16-23, v[1] 8-15 and 24-31.
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 2 * i),
                            _mm256_permute2x128_si256(v[0], v[1], 0x20));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 2 * i + 32),
                            _mm256_permute2x128_si256(v[0], v[1], 0x31));
    }
    return i;
}
#endif

void join_bf16x(const std::uint8_t* sym, const std::uint8_t* packed, std::size_t k,
                std::uint8_t* dst) noexcept {
    const std::size_t size = packed7_size(k);
    std::size_t i = 0;
#if defined(ZNN_JOIN_BF16X_SSSE3)
    static const bool has_avx2 = __builtin_cpu_supports("avx2");
    static const bool has_ssse3 = __builtin_cpu_supports("ssse3");
    if (has_avx2) i = join_bf16x_avx2(sym, packed, k, size, dst);
    if (has_ssse3) i = join_bf16x_ssse3(sym, packed, k, size, dst, i);
#endif
#if defined(__SSE2__)
    const __m128i low6 = _mm_set1_epi16(0x3F);
    const __m128i bit6 = _mm_set1_epi16(0x40);
    const __m128i zero = _mm_setzero_si128();
    // Sixteen elements a step; two 8-byte loads of their 14 packed bytes stay inside the plane.
    for (; i + 16 <= k && i / 8 * 7 + 15 <= size; i += 16) {  // what SSSE3 did not do
        const std::uint8_t* p = packed + i / 8 * 7;
        const __m128i rest =
            _mm_set_epi64x(static_cast<long long>(unpack7x8(load_le<std::uint64_t>(p + 7))),
                           static_cast<long long>(unpack7x8(load_le<std::uint64_t>(p))));
        const __m128i s = _mm_loadu_si128(reinterpret_cast<const __m128i*>(sym + i));
        for (int half = 0; half < 2; ++half) {
            const __m128i sv = half == 0 ? _mm_unpacklo_epi8(s, zero) : _mm_unpackhi_epi8(s, zero);
            const __m128i rv =
                half == 0 ? _mm_unpacklo_epi8(rest, zero) : _mm_unpackhi_epi8(rest, zero);
            // v = sym << 6 | rest & 0x3F | (rest & 0x40) << 9
            const __m128i v =
                _mm_or_si128(_mm_or_si128(_mm_slli_epi16(sv, 6), _mm_and_si128(rv, low6)),
                             _mm_slli_epi16(_mm_and_si128(rv, bit6), 9));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + 2 * i + 16 * half), v);
        }
    }
#endif
    for (; i < k; ++i) {
        const unsigned rest = read7(packed, size, i);
        const unsigned v = (unsigned{sym[i]} << 6) | (rest & 0x3Fu) | ((rest & 0x40u) << 9);
        store_le<std::uint16_t>(dst + 2 * i, static_cast<std::uint16_t>(v));
    }
}

bool bf16x_padding_clear(const std::uint8_t* packed, std::size_t elements) noexcept {
    if (elements % 8 == 0) return true;
    const std::size_t used_bits = 7 * elements % 8;
    return (packed[packed7_size(elements) - 1] >> used_bits) == 0;
}

}  // namespace znn
