// The AVX2 kernels (built with -mavx2): 32 elements a step, the rest to the level below.
// See kernels.hpp.
#include <immintrin.h>

// XXH3 built for AVX2: Debian's libxxhash is compiled for SSE2 only (20 GB/s here against
// 46 GB/s), and every chunk is hashed once when compressing and once when decompressing.
// XXH_INLINE_ALL keeps this copy of xxHash private to this file.
#define XXH_INLINE_ALL
#define XXH_VECTOR XXH_AVX2
#include <xxhash.h>

#include "simd/levels.hpp"

namespace znn::simd::avx2 {

namespace {

__m256i load(const std::uint8_t* p) noexcept {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

void store(std::uint8_t* p, __m256i v) noexcept {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v);
}

}  // namespace

// packus works within 128-bit lanes, so the 64-bit quarters are put back in order after it.
void split_bf16(const std::uint8_t* src, std::size_t k, std::uint8_t* e,
                std::uint8_t* sm) noexcept {
    const __m256i low7 = _mm256_set1_epi16(0x7F);
    const __m256i sign = _mm256_set1_epi16(static_cast<short>(0x8000));
    const __m256i byte = _mm256_set1_epi16(0xFF);
    std::size_t i = 0;
    for (; i + 32 <= k; i += 32) {
        const __m256i a = load(src + 2 * i);
        const __m256i b = load(src + 2 * i + 32);
        const __m256i ea = _mm256_and_si256(_mm256_srli_epi16(a, 7), byte);
        const __m256i eb = _mm256_and_si256(_mm256_srli_epi16(b, 7), byte);
        const __m256i sa = _mm256_or_si256(_mm256_srli_epi16(_mm256_and_si256(a, sign), 8),
                                           _mm256_and_si256(a, low7));
        const __m256i sb = _mm256_or_si256(_mm256_srli_epi16(_mm256_and_si256(b, sign), 8),
                                           _mm256_and_si256(b, low7));
        store(e + i, _mm256_permute4x64_epi64(_mm256_packus_epi16(ea, eb), 0xD8));
        store(sm + i, _mm256_permute4x64_epi64(_mm256_packus_epi16(sa, sb), 0xD8));
    }
    sse2::split_bf16(src + 2 * i, k - i, e + i, sm + i);
}

void join_bf16(const std::uint8_t* e, const std::uint8_t* sm, std::size_t k,
               std::uint8_t* dst) noexcept {
    const __m256i top = _mm256_set1_epi8(static_cast<char>(0x80));
    const __m256i rest = _mm256_set1_epi8(0x7F);
    std::size_t i = 0;
    for (; i + 32 <= k; i += 32) {
        const __m256i ev = load(e + i);
        const __m256i sv = load(sm + i);
        const __m256i hi = _mm256_or_si256(_mm256_and_si256(sv, top),
                                           _mm256_and_si256(_mm256_srli_epi16(ev, 1), rest));
        const __m256i lo = _mm256_or_si256(_mm256_and_si256(_mm256_slli_epi16(ev, 7), top),
                                           _mm256_and_si256(sv, rest));
        // unpack works within 128-bit lanes: order the 64-bit quarters so it yields 0..31.
        const __m256i hq = _mm256_permute4x64_epi64(hi, 0xD8);
        const __m256i lq = _mm256_permute4x64_epi64(lo, 0xD8);
        store(dst + 2 * i, _mm256_unpacklo_epi8(lq, hq));
        store(dst + 2 * i + 32, _mm256_unpackhi_epi8(lq, hq));
    }
    sse2::join_bf16(e + i, sm + i, k - i, dst + 2 * i);
}

// As the SSSE3 join, each 128-bit lane taking 16 elements' 14 bytes, so pshufb and the
// unpacks, which stay within lanes, work the same; the two halves are reordered at the
// store.
void join_bf16x(const std::uint8_t* sym, const std::uint8_t* packed, std::size_t k,
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
    const std::size_t size = packed7_size(k);
    std::size_t i = 0;
    for (; i + 32 <= k && i / 16 * 14 + 30 <= size; i += 32) {
        const std::uint8_t* p = packed + i / 16 * 14;
        const __m256i bytes = _mm256_inserti128_si256(
            _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))),
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 14)), 1);
        const __m256i s = load(sym + i);
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
        store(dst + 2 * i, _mm256_permute2x128_si256(v[0], v[1], 0x20));
        store(dst + 2 * i + 32, _mm256_permute2x128_si256(v[0], v[1], 0x31));
    }
    ssse3::join_bf16x(sym + i, packed + i / 8 * 7, k - i, dst + 2 * i);
}

namespace {

struct ByteSetRegs {
    __m256i rows_low;
    __m256i rows_high;
};

ByteSetRegs load_set(const ByteSet& set) noexcept {
    return {_mm256_broadcastsi128_si256(
                _mm_loadu_si128(reinterpret_cast<const __m128i*>(set.rows_low.data()))),
            _mm256_broadcastsi128_si256(
                _mm_loadu_si128(reinterpret_cast<const __m128i*>(set.rows_high.data())))};
}

// Per byte of sym: non-zero when it is in the set.
inline __m256i members(const ByteSetRegs& set, __m256i sym) noexcept {
    const __m256i bit_of =
        _mm256_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16,
                         32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
    const __m256i nibble = _mm256_set1_epi8(0x0F);
    const __m256i low = _mm256_and_si256(sym, nibble);
    const __m256i high = _mm256_and_si256(_mm256_srli_epi16(sym, 4), nibble);
    const __m256i row = _mm256_blendv_epi8(_mm256_shuffle_epi8(set.rows_low, low),
                                           _mm256_shuffle_epi8(set.rows_high, low),
                                           _mm256_cmpgt_epi8(high, _mm256_set1_epi8(7)));
    return _mm256_and_si256(row, _mm256_shuffle_epi8(bit_of, high));
}

}  // namespace

std::size_t scan_known_elements(const std::uint8_t* src, std::size_t begin, std::size_t end,
                                const ByteSet& clear, const ByteSet& set) noexcept {
    const ByteSetRegs without = load_set(clear);
    const ByteSetRegs with = load_set(set);
    const __m256i byte = _mm256_set1_epi16(0xFF);
    const __m256i one = _mm256_set1_epi16(1);
    std::size_t i = begin;
    for (; i + 32 <= end; i += 32) {
        const __m256i a = load(src + 2 * i);
        const __m256i b = load(src + 2 * i + 32);
        // 32 symbols' low 8 bits and their bit 14, in an order packus chooses: membership
        // does not care.
        const __m256i low8 = _mm256_packus_epi16(_mm256_and_si256(_mm256_srli_epi16(a, 6), byte),
                                                 _mm256_and_si256(_mm256_srli_epi16(b, 6), byte));
        const __m256i bit14 = _mm256_packus_epi16(_mm256_and_si256(_mm256_srli_epi16(a, 14), one),
                                                  _mm256_and_si256(_mm256_srli_epi16(b, 14), one));
        const __m256i hit = _mm256_blendv_epi8(members(without, low8), members(with, low8),
                                               _mm256_cmpeq_epi8(bit14, _mm256_set1_epi8(1)));
        const __m256i missing = _mm256_cmpeq_epi8(hit, _mm256_setzero_si256());
        if (!_mm256_testz_si256(missing, missing)) break;
    }
    return i;
}

std::size_t scan_known_bytes(const std::uint8_t* p, std::size_t begin, std::size_t end,
                             const ByteSet& known) noexcept {
    const ByteSetRegs set = load_set(known);
    std::size_t i = begin;
    for (; i + 32 <= end; i += 32) {
        const __m256i missing =
            _mm256_cmpeq_epi8(members(set, load(p + i)), _mm256_setzero_si256());
        if (!_mm256_testz_si256(missing, missing)) break;
    }
    return i;
}

std::uint64_t xxh3(const std::uint8_t* data, std::size_t size) noexcept {
    return XXH3_64bits(data, size);
}

void xxh3_update(void* state, const std::uint8_t* data, std::size_t size) noexcept {
    XXH3_64bits_update(static_cast<XXH3_state_t*>(state), data, size);
}

}  // namespace znn::simd::avx2
