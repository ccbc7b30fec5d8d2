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

namespace {

// For each 8-bit mask: the positions of its set bits, in order, then 0x80 (a shuffle
// index that yields zero); and how many bits it has.
struct PackTables {
    std::uint8_t pack[256][16];    // split: lane j of the result takes byte pack[m][j]
    std::uint8_t unpack[256][16];  // merge: lane j (set in m) takes the rank of j in m
    std::uint8_t count[256];
};

constexpr PackTables make_pack_tables() noexcept {
    PackTables t{};
    for (unsigned m = 0; m < 256; ++m) {
        unsigned n = 0;
        for (unsigned j = 0; j < 16; ++j) {
            t.pack[m][j] = 0x80;
            t.unpack[m][j] = 0x80;
        }
        for (unsigned j = 0; j < 8; ++j)
            if ((m >> j) & 1) {
                t.pack[m][n] = static_cast<std::uint8_t>(j);
                t.unpack[m][j] = static_cast<std::uint8_t>(n);
                ++n;
            }
        t.count[m] = static_cast<std::uint8_t>(n);
    }
    return t;
}

constexpr PackTables kPack = make_pack_tables();

__m128i table_row(const std::uint8_t (&row)[16]) noexcept {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(row));
}

// Each lane's group: how many cuts are at or below its exponent (unsigned compares as
// max(e, cut) == e), as bytes 0..3.
__m128i groups_of(__m128i e, const std::uint8_t* cuts, unsigned groups) noexcept {
    __m128i g = _mm_setzero_si128();
    for (unsigned c = 0; c + 1 < groups; ++c) {
        const __m128i cut = _mm_set1_epi8(static_cast<char>(cuts[c]));
        g = _mm_sub_epi8(g, _mm_cmpeq_epi8(_mm_max_epu8(e, cut), e));
    }
    return g;
}

}  // namespace

// Sixteen elements a step; for each group, the mask of its lanes picks them out of each
// half with one shuffle, stored 8 bytes at a time.
void split_groups(const std::uint8_t* exponents, const std::uint8_t* cuts, unsigned groups,
                  const std::uint8_t* src, std::size_t k, std::uint8_t** out) noexcept {
    const __m128i eight = _mm_set1_epi8(8);
    std::size_t i = 0;
    for (; i + 16 <= k; i += 16) {
        const __m128i e = _mm_loadu_si128(reinterpret_cast<const __m128i*>(exponents + i));
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
        const __m128i g = groups_of(e, cuts, groups);
        for (unsigned group = 0; group < groups; ++group) {
            const auto mask = static_cast<unsigned>(
                _mm_movemask_epi8(_mm_cmpeq_epi8(g, _mm_set1_epi8(static_cast<char>(group)))));
            const unsigned lo = mask & 0xFF, hi = mask >> 8;
            _mm_storel_epi64(reinterpret_cast<__m128i*>(out[group]),
                             _mm_shuffle_epi8(v, table_row(kPack.pack[lo])));
            out[group] += kPack.count[lo];
            _mm_storel_epi64(reinterpret_cast<__m128i*>(out[group]),
                             _mm_shuffle_epi8(v, _mm_add_epi8(table_row(kPack.pack[hi]), eight)));
            out[group] += kPack.count[hi];
        }
    }
    scalar::split_groups(exponents + i, cuts, groups, src + i, k - i, out);
}

// Sixteen elements a step; for each group, 8 bytes of its plane spread into its lanes of
// each half by one shuffle.
void merge_groups(const std::uint8_t* exponents, const std::uint8_t* cuts, unsigned groups,
                  const std::uint8_t** in, std::size_t k, std::uint8_t* dst) noexcept {
    std::size_t i = 0;
    for (; i + 16 <= k; i += 16) {
        const __m128i e = _mm_loadu_si128(reinterpret_cast<const __m128i*>(exponents + i));
        const __m128i g = groups_of(e, cuts, groups);
        __m128i lo_half = _mm_setzero_si128(), hi_half = _mm_setzero_si128();
        for (unsigned group = 0; group < groups; ++group) {
            const auto mask = static_cast<unsigned>(
                _mm_movemask_epi8(_mm_cmpeq_epi8(g, _mm_set1_epi8(static_cast<char>(group)))));
            const unsigned lo = mask & 0xFF, hi = mask >> 8;
            const __m128i a = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(in[group]));
            lo_half = _mm_or_si128(lo_half, _mm_shuffle_epi8(a, table_row(kPack.unpack[lo])));
            in[group] += kPack.count[lo];
            const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(in[group]));
            hi_half = _mm_or_si128(hi_half, _mm_shuffle_epi8(b, table_row(kPack.unpack[hi])));
            in[group] += kPack.count[hi];
        }
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), _mm_unpacklo_epi64(lo_half, hi_half));
    }
    scalar::merge_groups(exponents + i, cuts, groups, in, k - i, dst + i);
}

}  // namespace znn::simd::ssse3
