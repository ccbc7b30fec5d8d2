// The SSE2 kernels (built with -msse2; every x86-64 CPU has it): sixteen elements a step,
// the rest to the scalar reference. See kernels.hpp for what each computes.
#include <emmintrin.h>

#include <cstring>

#define XXH_INLINE_ALL
#define XXH_VECTOR XXH_SSE2
#include <xxhash.h>

#include "simd/levels.hpp"

namespace znn::simd::sse2 {

namespace {

std::uint64_t load_u64(const std::uint8_t* p) noexcept {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// The inverse of packing: the low 56 bits of v spread to eight bytes of 7 bits.
std::uint64_t unpack7x8(std::uint64_t v) noexcept {
    v = (v & 0x000000000FFFFFFFULL) | ((v & 0x00FFFFFFF0000000ULL) << 4);
    v = (v & 0x00003FFF00003FFFULL) | ((v & 0x0FFFC0000FFFC000ULL) << 2);
    return (v & 0x007F007F007F007FULL) | ((v & 0x3F803F803F803F80ULL) << 1);
}

__m128i load(const std::uint8_t* p) noexcept {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

void store(std::uint8_t* p, __m128i v) noexcept {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v);
}

}  // namespace

void split_bf16(const std::uint8_t* src, std::size_t k, std::uint8_t* e,
                std::uint8_t* sm) noexcept {
    const __m128i low7 = _mm_set1_epi16(0x7F);
    const __m128i sign = _mm_set1_epi16(static_cast<short>(0x8000));
    const __m128i byte = _mm_set1_epi16(0xFF);
    std::size_t i = 0;
    for (; i + 16 <= k; i += 16) {
        const __m128i a = load(src + 2 * i);
        const __m128i b = load(src + 2 * i + 16);
        // exponent: (v >> 7) & 0xFF; sign|mantissa: (v >> 8 & 0x80) | (v & 0x7F)
        const __m128i ea = _mm_and_si128(_mm_srli_epi16(a, 7), byte);
        const __m128i eb = _mm_and_si128(_mm_srli_epi16(b, 7), byte);
        const __m128i sa =
            _mm_or_si128(_mm_srli_epi16(_mm_and_si128(a, sign), 8), _mm_and_si128(a, low7));
        const __m128i sb =
            _mm_or_si128(_mm_srli_epi16(_mm_and_si128(b, sign), 8), _mm_and_si128(b, low7));
        store(e + i, _mm_packus_epi16(ea, eb));
        store(sm + i, _mm_packus_epi16(sa, sb));
    }
    scalar::split_bf16(src + 2 * i, k - i, e + i, sm + i);
}

// Joining works on bytes before interleaving them: an element's high byte is
// (sm & 0x80) | e >> 1 and its low byte (e << 7 & 0x80) | (sm & 0x7F), so one unpack
// writes finished elements.
void join_bf16(const std::uint8_t* e, const std::uint8_t* sm, std::size_t k,
               std::uint8_t* dst) noexcept {
    const __m128i top = _mm_set1_epi8(static_cast<char>(0x80));
    const __m128i rest = _mm_set1_epi8(0x7F);
    std::size_t i = 0;
    for (; i + 16 <= k; i += 16) {
        const __m128i ev = load(e + i);
        const __m128i sv = load(sm + i);
        const __m128i hi =
            _mm_or_si128(_mm_and_si128(sv, top), _mm_and_si128(_mm_srli_epi16(ev, 1), rest));
        const __m128i lo =
            _mm_or_si128(_mm_and_si128(_mm_slli_epi16(ev, 7), top), _mm_and_si128(sv, rest));
        store(dst + 2 * i, _mm_unpacklo_epi8(lo, hi));
        store(dst + 2 * i + 16, _mm_unpackhi_epi8(lo, hi));
    }
    scalar::join_bf16(e + i, sm + i, k - i, dst + 2 * i);
}

void split_bf16x(const std::uint8_t* src, std::size_t k, std::uint8_t* sym,
                 std::uint8_t* packed) noexcept {
    const __m128i byte = _mm_set1_epi16(0xFF);
    const __m128i low6 = _mm_set1_epi16(0x3F);
    const __m128i bit6 = _mm_set1_epi16(0x40);
    const std::size_t size = packed7_size(k);
    std::size_t i = 0;
    for (; i + 16 <= k; i += 16) {
        const __m128i a = load(src + 2 * i);
        const __m128i b = load(src + 2 * i + 16);
        const __m128i sa = _mm_and_si128(_mm_srli_epi16(a, 6), byte);
        const __m128i sb = _mm_and_si128(_mm_srli_epi16(b, 6), byte);
        store(sym + i, _mm_packus_epi16(sa, sb));
        const __m128i ra =
            _mm_or_si128(_mm_and_si128(_mm_srli_epi16(a, 9), bit6), _mm_and_si128(a, low6));
        const __m128i rb =
            _mm_or_si128(_mm_and_si128(_mm_srli_epi16(b, 9), bit6), _mm_and_si128(b, low6));
        // Packing on both 64-bit halves at once: 7-bit bytes -> 14-bit, 28-bit, 56-bit fields.
        __m128i v = _mm_packus_epi16(ra, rb);
        v = _mm_or_si128(_mm_and_si128(v, _mm_set1_epi16(0x007F)),
                         _mm_and_si128(_mm_srli_epi16(v, 1), _mm_set1_epi16(0x3F80)));
        v = _mm_or_si128(_mm_and_si128(v, _mm_set1_epi32(0x00003FFF)),
                         _mm_and_si128(_mm_srli_epi32(v, 2), _mm_set1_epi32(0x0FFFC000)));
        v = _mm_or_si128(
            _mm_and_si128(v, _mm_set1_epi64x(0x000000000FFFFFFFLL)),
            _mm_and_si128(_mm_srli_epi64(v, 4), _mm_set1_epi64x(0x00FFFFFFF0000000LL)));
        std::uint8_t* out = packed + i / 8 * 7;
        if (i / 8 * 7 + 15 <= size) {  // two 8-byte stores, the second over the first's spare byte
            _mm_storel_epi64(reinterpret_cast<__m128i*>(out), v);
            _mm_storel_epi64(reinterpret_cast<__m128i*>(out + 7), _mm_unpackhi_epi64(v, v));
        } else {
            alignas(16) std::uint64_t halves[2];
            _mm_store_si128(reinterpret_cast<__m128i*>(halves), v);
            std::memcpy(out, &halves[0], 7);
            std::memcpy(out + 7, &halves[1], 7);
        }
    }
    scalar::split_bf16x(src + 2 * i, k - i, sym + i, packed + i / 8 * 7);
}

void join_bf16x(const std::uint8_t* sym, const std::uint8_t* packed, std::size_t k,
                std::uint8_t* dst) noexcept {
    const __m128i low6 = _mm_set1_epi16(0x3F);
    const __m128i bit6 = _mm_set1_epi16(0x40);
    const __m128i zero = _mm_setzero_si128();
    const std::size_t size = packed7_size(k);
    std::size_t i = 0;
    // Sixteen elements a step; two 8-byte loads of their 14 packed bytes stay inside the plane.
    for (; i + 16 <= k && i / 8 * 7 + 15 <= size; i += 16) {
        const std::uint8_t* p = packed + i / 8 * 7;
        const __m128i rest = _mm_set_epi64x(static_cast<long long>(unpack7x8(load_u64(p + 7))),
                                            static_cast<long long>(unpack7x8(load_u64(p))));
        const __m128i s = load(sym + i);
        for (int half = 0; half < 2; ++half) {
            const __m128i sv = half == 0 ? _mm_unpacklo_epi8(s, zero) : _mm_unpackhi_epi8(s, zero);
            const __m128i rv =
                half == 0 ? _mm_unpacklo_epi8(rest, zero) : _mm_unpackhi_epi8(rest, zero);
            // v = sym << 6 | rest & 0x3F | (rest & 0x40) << 9
            const __m128i v =
                _mm_or_si128(_mm_or_si128(_mm_slli_epi16(sv, 6), _mm_and_si128(rv, low6)),
                             _mm_slli_epi16(_mm_and_si128(rv, bit6), 9));
            store(dst + 2 * i + 16 * half, v);
        }
    }
    scalar::join_bf16x(sym + i, packed + i / 8 * 7, k - i, dst + 2 * i);
}

void split_pairs(const std::uint8_t* src, std::size_t k, std::uint8_t* lo,
                 std::uint8_t* hi) noexcept {
    const __m128i byte = _mm_set1_epi16(0xFF);
    std::size_t i = 0;
    for (; i + 16 <= k; i += 16) {
        const __m128i a = load(src + 2 * i);
        const __m128i b = load(src + 2 * i + 16);
        store(lo + i, _mm_packus_epi16(_mm_and_si128(a, byte), _mm_and_si128(b, byte)));
        store(hi + i, _mm_packus_epi16(_mm_srli_epi16(a, 8), _mm_srli_epi16(b, 8)));
    }
    scalar::split_pairs(src + 2 * i, k - i, lo + i, hi + i);
}

void join_pairs(const std::uint8_t* lo, const std::uint8_t* hi, std::size_t k,
                std::uint8_t* dst) noexcept {
    std::size_t i = 0;
    for (; i + 16 <= k; i += 16) {
        const __m128i l = load(lo + i);
        const __m128i h = load(hi + i);
        store(dst + 2 * i, _mm_unpacklo_epi8(l, h));
        store(dst + 2 * i + 16, _mm_unpackhi_epi8(l, h));
    }
    scalar::join_pairs(lo + i, hi + i, k - i, dst + 2 * i);
}

// Each plane's byte is computed in the 32-bit lanes, then two saturating packs (exact, the
// values are bytes) gather the lanes of four vectors.
void split_fp32(const std::uint8_t* src, std::size_t k, std::uint8_t* const* p) noexcept {
    std::uint8_t* p0 = p[0];
    std::uint8_t* p1 = p[1];
    std::uint8_t* p2 = p[2];
    std::uint8_t* p3 = p[3];
    const __m128i byte = _mm_set1_epi32(0xFF);
    const __m128i sign = _mm_set1_epi32(0x80);
    const __m128i low7 = _mm_set1_epi32(0x7F);
    auto gather = [](__m128i a, __m128i b, __m128i c, __m128i d) {
        return _mm_packus_epi16(_mm_packs_epi32(a, b), _mm_packs_epi32(c, d));
    };
    std::size_t i = 0;
    for (; i + 16 <= k; i += 16) {
        __m128i v[4];
        for (int j = 0; j < 4; ++j) v[j] = load(src + 4 * i + 16 * j);
        __m128i e[4], sm[4], m1[4], m0[4];
        for (int j = 0; j < 4; ++j) {
            e[j] = _mm_and_si128(_mm_srli_epi32(v[j], 23), byte);
            sm[j] = _mm_or_si128(_mm_and_si128(_mm_srli_epi32(v[j], 24), sign),
                                 _mm_and_si128(_mm_srli_epi32(v[j], 16), low7));
            m1[j] = _mm_and_si128(_mm_srli_epi32(v[j], 8), byte);
            m0[j] = _mm_and_si128(v[j], byte);
        }
        store(p0 + i, gather(e[0], e[1], e[2], e[3]));
        store(p1 + i, gather(sm[0], sm[1], sm[2], sm[3]));
        store(p2 + i, gather(m1[0], m1[1], m1[2], m1[3]));
        store(p3 + i, gather(m0[0], m0[1], m0[2], m0[3]));
    }
    std::uint8_t* const rest[4] = {p0 + i, p1 + i, p2 + i, p3 + i};
    scalar::split_fp32(src + 4 * i, k - i, rest);
}

// Each element's four bytes are built as four byte vectors, then two rounds of unpacks
// interleave them.
void join_fp32(const std::uint8_t* const* p, std::size_t k, std::uint8_t* dst) noexcept {
    const std::uint8_t* p0 = p[0];
    const std::uint8_t* p1 = p[1];
    const std::uint8_t* p2 = p[2];
    const std::uint8_t* p3 = p[3];
    const __m128i top = _mm_set1_epi8(static_cast<char>(0x80));
    const __m128i rest = _mm_set1_epi8(0x7F);
    std::size_t i = 0;
    for (; i + 16 <= k; i += 16) {
        const __m128i e = load(p0 + i);
        const __m128i sm = load(p1 + i);
        const __m128i b1 = load(p2 + i);
        const __m128i b0 = load(p3 + i);
        const __m128i b3 =
            _mm_or_si128(_mm_and_si128(sm, top), _mm_and_si128(_mm_srli_epi16(e, 1), rest));
        const __m128i b2 =
            _mm_or_si128(_mm_and_si128(_mm_slli_epi16(e, 7), top), _mm_and_si128(sm, rest));
        const __m128i lo01 = _mm_unpacklo_epi8(b0, b1);
        const __m128i hi01 = _mm_unpackhi_epi8(b0, b1);
        const __m128i lo23 = _mm_unpacklo_epi8(b2, b3);
        const __m128i hi23 = _mm_unpackhi_epi8(b2, b3);
        store(dst + 4 * i, _mm_unpacklo_epi16(lo01, lo23));
        store(dst + 4 * i + 16, _mm_unpackhi_epi16(lo01, lo23));
        store(dst + 4 * i + 32, _mm_unpacklo_epi16(hi01, hi23));
        store(dst + 4 * i + 48, _mm_unpackhi_epi16(hi01, hi23));
    }
    const std::uint8_t* const tail[4] = {p0 + i, p1 + i, p2 + i, p3 + i};
    scalar::join_fp32(tail, k - i, dst + 4 * i);
}

// movemask gathers the sixteen signs.
void split_fp8(const std::uint8_t* src, std::size_t k, std::uint8_t* magnitudes,
               std::uint8_t* signs) noexcept {
    const __m128i low7 = _mm_set1_epi8(0x7F);
    std::size_t i = 0;
    for (; i + 16 <= k; i += 16) {
        const __m128i v = load(src + i);
        store(magnitudes + i, _mm_and_si128(v, low7));
        const auto bits = static_cast<std::uint16_t>(_mm_movemask_epi8(v));
        std::memcpy(signs + i / 8, &bits, 2);
    }
    scalar::split_fp8(src + i, k - i, magnitudes + i, signs + i / 8);
}

void join_fp8(const std::uint8_t* magnitudes, const std::uint8_t* signs, std::size_t k,
              std::uint8_t* dst) noexcept {
    // Spread 16 sign bits over 16 bytes: byte j keeps bit j % 8 of sign byte j / 8.
    const __m128i bit = _mm_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
    const __m128i top = _mm_set1_epi8(-128);
    std::size_t i = 0;
    for (; i + 16 <= k; i += 16) {
        std::uint16_t bits;
        std::memcpy(&bits, signs + i / 8, 2);
        __m128i s = _mm_cvtsi32_si128(bits);
        s = _mm_unpacklo_epi8(s, s);
        s = _mm_unpacklo_epi16(s, s);
        s = _mm_unpacklo_epi32(s, s);
        const __m128i set = _mm_cmpeq_epi8(_mm_and_si128(s, bit), bit);
        store(dst + i, _mm_or_si128(load(magnitudes + i), _mm_and_si128(set, top)));
    }
    scalar::join_fp8(magnitudes + i, signs + i / 8, k - i, dst + i);
}

std::uint64_t xxh3(const std::uint8_t* data, std::size_t size) noexcept {
    return XXH3_64bits(data, size);
}

void xxh3_update(void* state, const std::uint8_t* data, std::size_t size) noexcept {
    XXH3_64bits_update(static_cast<XXH3_state_t*>(state), data, size);
}

// Non-temporal stores from the first 16-byte boundary of dst on.
void copy_streaming(std::uint8_t* dst, const std::uint8_t* src, std::size_t n) noexcept {
    if (n == 0) return;  // an empty span may have no pointer
    std::size_t head = (16 - (reinterpret_cast<std::uintptr_t>(dst) & 15)) & 15;
    if (head > n) head = n;
    std::memcpy(dst, src, head);
    std::size_t i = head;
    for (; i + 64 <= n; i += 64) {
        for (std::size_t j = 0; j < 64; j += 16)
            _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i + j), load(src + i + j));
    }
    std::memcpy(dst + i, src + i, n - i);
    _mm_sfence();  // order the streamed stores before anything that follows
}

}  // namespace znn::simd::sse2
