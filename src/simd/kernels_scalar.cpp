// The reference kernels, in plain C++ (see kernels.hpp for what each computes). Every
// other level must match these byte for byte; they also finish the other levels' tails
// and serve CPUs without the vector levels.
#include <cstring>

#define XXH_INLINE_ALL
#define XXH_VECTOR XXH_SCALAR
#include <xxhash.h>

#include "common/bytes_io.hpp"
#include "simd/levels.hpp"

namespace znn::simd::scalar {

namespace {

// Eight 7-bit values, one per byte of v, squeezed into the low 56 bits (LSB first).
std::uint64_t pack7x8(std::uint64_t v) noexcept {
    v = (v & 0x007F007F007F007FULL) | ((v >> 1) & 0x3F803F803F803F80ULL);
    v = (v & 0x00003FFF00003FFFULL) | ((v >> 2) & 0x0FFFC0000FFFC000ULL);
    return (v & 0x000000000FFFFFFFULL) | ((v >> 4) & 0x00FFFFFFF0000000ULL);
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

void split_bf16(const std::uint8_t* src, std::size_t k, std::uint8_t* e,
                std::uint8_t* sm) noexcept {
    for (std::size_t i = 0; i < k; ++i) {
        const auto v = load_le<std::uint16_t>(src + 2 * i);
        e[i] = static_cast<std::uint8_t>(v >> 7);
        sm[i] = static_cast<std::uint8_t>(((v >> 8) & 0x80) | (v & 0x7F));
    }
}

void join_bf16(const std::uint8_t* e, const std::uint8_t* sm, std::size_t k,
               std::uint8_t* dst) noexcept {
    for (std::size_t i = 0; i < k; ++i) {
        const unsigned v = (unsigned{sm[i] & 0x80u} << 8) | (unsigned{e[i]} << 7) | (sm[i] & 0x7Fu);
        store_le<std::uint16_t>(dst + 2 * i, static_cast<std::uint16_t>(v));
    }
}

void split_bf16x(const std::uint8_t* src, std::size_t k, std::uint8_t* sym,
                 std::uint8_t* packed) noexcept {
    std::size_t i = 0;
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
    if (size > i / 8 * 7) std::memset(packed + i / 8 * 7, 0, size - i / 8 * 7);
    for (; i < k; ++i) {
        const unsigned v = load_le<std::uint16_t>(src + 2 * i);
        sym[i] = static_cast<std::uint8_t>(v >> 6);
        const unsigned rest = ((v >> 9) & 0x40u) | (v & 0x3Fu);
        const std::size_t bit = 7 * i;
        packed[bit / 8] = static_cast<std::uint8_t>(packed[bit / 8] | (rest << (bit % 8)));
        if (bit % 8 > 1) packed[bit / 8 + 1] = static_cast<std::uint8_t>(rest >> (8 - bit % 8));
    }
}

void join_bf16x(const std::uint8_t* sym, const std::uint8_t* packed, std::size_t k,
                std::uint8_t* dst) noexcept {
    const std::size_t size = packed7_size(k);
    for (std::size_t i = 0; i < k; ++i) {
        const unsigned rest = read7(packed, size, i);
        const unsigned v = (unsigned{sym[i]} << 6) | (rest & 0x3Fu) | ((rest & 0x40u) << 9);
        store_le<std::uint16_t>(dst + 2 * i, static_cast<std::uint16_t>(v));
    }
}

void split_pairs(const std::uint8_t* src, std::size_t k, std::uint8_t* lo,
                 std::uint8_t* hi) noexcept {
    for (std::size_t i = 0; i < k; ++i) {
        lo[i] = src[2 * i];
        hi[i] = src[2 * i + 1];
    }
}

void join_pairs(const std::uint8_t* lo, const std::uint8_t* hi, std::size_t k,
                std::uint8_t* dst) noexcept {
    for (std::size_t i = 0; i < k; ++i) {
        dst[2 * i] = lo[i];
        dst[2 * i + 1] = hi[i];
    }
}

void split_fp32(const std::uint8_t* src, std::size_t k, std::uint8_t* const* p) noexcept {
    std::uint8_t* p0 = p[0];
    std::uint8_t* p1 = p[1];
    std::uint8_t* p2 = p[2];
    std::uint8_t* p3 = p[3];
    for (std::size_t i = 0; i < k; ++i) {
        const auto v = load_le<std::uint32_t>(src + 4 * i);
        p0[i] = static_cast<std::uint8_t>(v >> 23);
        p1[i] = static_cast<std::uint8_t>(((v >> 24) & 0x80) | ((v >> 16) & 0x7F));
        p2[i] = static_cast<std::uint8_t>(v >> 8);
        p3[i] = static_cast<std::uint8_t>(v);
    }
}

void join_fp32(const std::uint8_t* const* p, std::size_t k, std::uint8_t* dst) noexcept {
    const std::uint8_t* p0 = p[0];
    const std::uint8_t* p1 = p[1];
    const std::uint8_t* p2 = p[2];
    const std::uint8_t* p3 = p[3];
    for (std::size_t i = 0; i < k; ++i) {
        const std::uint32_t v =
            (std::uint32_t{p1[i] & 0x80u} << 24) | (std::uint32_t{p0[i]} << 23) |
            (std::uint32_t{p1[i] & 0x7Fu} << 16) | (std::uint32_t{p2[i]} << 8) | p3[i];
        store_le<std::uint32_t>(dst + 4 * i, v);
    }
}

void split_fp8(const std::uint8_t* src, std::size_t k, std::uint8_t* magnitudes,
               std::uint8_t* signs) noexcept {
    for (std::size_t i = 0; i < k; ++i) {
        magnitudes[i] = src[i] & 0x7F;
        if (i % 8 == 0) signs[i / 8] = 0;
        signs[i / 8] = static_cast<std::uint8_t>(signs[i / 8] | ((src[i] >> 7) << (i % 8)));
    }
}

void join_fp8(const std::uint8_t* magnitudes, const std::uint8_t* signs, std::size_t k,
              std::uint8_t* dst) noexcept {
    for (std::size_t i = 0; i < k; ++i)
        dst[i] = static_cast<std::uint8_t>((magnitudes[i] & 0x7F) |
                                           (((signs[i / 8] >> (i % 8)) & 1) << 7));
}

std::size_t scan_known_elements(const std::uint8_t* src, std::size_t begin, std::size_t end,
                                const ByteSet& clear, const ByteSet& set) noexcept {
    std::size_t i = begin;
    for (; i + 32 <= end; i += 32) {
        for (std::size_t j = i; j < i + 32; ++j) {
            const unsigned s = (load_le<std::uint16_t>(src + 2 * j) >> 6) & 0x1FFu;
            if (!(s < 256 ? clear : set).contains(s & 0xFF)) return i;
        }
    }
    return i;
}

std::size_t scan_known_bytes(const std::uint8_t* p, std::size_t begin, std::size_t end,
                             const ByteSet& known) noexcept {
    std::size_t i = begin;
    for (; i + 32 <= end; i += 32) {
        for (std::size_t j = i; j < i + 32; ++j)
            if (!known.contains(p[j])) return i;
    }
    return i;
}

std::uint64_t xxh3(const std::uint8_t* data, std::size_t size) noexcept {
    return XXH3_64bits(data, size);
}

void xxh3_update(void* state, const std::uint8_t* data, std::size_t size) noexcept {
    XXH3_64bits_update(static_cast<XXH3_state_t*>(state), data, size);
}

void copy_streaming(std::uint8_t* dst, const std::uint8_t* src, std::size_t n) noexcept {
    if (n != 0) std::memcpy(dst, src, n);  // an empty span may have no pointer
}

namespace {

unsigned group_of(std::uint8_t exponent, const std::uint8_t* cuts, unsigned groups) noexcept {
    unsigned g = 0;
    for (unsigned c = 0; c + 1 < groups; ++c) g += exponent >= cuts[c];
    return g;
}

}  // namespace

void split_groups(const std::uint8_t* exponents, const std::uint8_t* cuts, unsigned groups,
                  const std::uint8_t* src, std::size_t k, std::uint8_t** out) noexcept {
    for (std::size_t i = 0; i < k; ++i) *out[group_of(exponents[i], cuts, groups)]++ = src[i];
}

void merge_groups(const std::uint8_t* exponents, const std::uint8_t* cuts, unsigned groups,
                  const std::uint8_t** in, std::size_t k, std::uint8_t* dst) noexcept {
    for (std::size_t i = 0; i < k; ++i) dst[i] = *in[group_of(exponents[i], cuts, groups)]++;
}

}  // namespace znn::simd::scalar

namespace znn::simd::scalar {

namespace {

template <class T>
constexpr T magnitude_of() noexcept {
    return static_cast<T>(static_cast<T>(~T{0}) >> 1);
}

// Exponents first (a loop the compiler vectorises), then a count per exponent in four
// interleaved tables (runs of one exponent do not wait on each other's stores); the sums
// come from the counts.
template <class T>
void census(const std::uint8_t* b, std::size_t k, const DeltaFormat& f, const std::uint8_t* cuts,
            unsigned groups, std::uint8_t* exponents, DeltaCensus& c) noexcept {
    for (std::size_t i = 0; i < k; ++i)
        exponents[i] = static_cast<std::uint8_t>(
            (load_le<T>(b + i * sizeof(T)) & magnitude_of<T>()) >> f.mantissa_bits);
    constexpr unsigned kTables = 4;
    std::array<std::array<std::uint32_t, 256>, kTables> counts{};
    std::size_t i = 0;
    for (; i + kTables <= k; i += kTables)
        for (unsigned t = 0; t < kTables; ++t) ++counts[t][exponents[i + t]];
    for (; i < k; ++i) ++counts[0][exponents[i]];
    for (unsigned e = 0; e < 256; ++e) {
        const std::uint64_t n =
            std::uint64_t{counts[0][e]} + counts[1][e] + counts[2][e] + counts[3][e];
        if (n == 0) continue;
        c.min_exponent = std::min(c.min_exponent, e);
        c.max_exponent = std::max(c.max_exponent, e);
        c.low_bits += n * f.shift[e];
        c.group_size[group_of(static_cast<std::uint8_t>(e), cuts, groups)] += n;
    }
}

template <class T>
void encode(const std::uint8_t* x, const std::uint8_t* b, std::size_t k, const DeltaFormat& f,
            std::uint8_t* symbols, BitFieldWriter& low, BitFieldWriter& escapes) noexcept {
    constexpr unsigned w = 8 * sizeof(T);
    constexpr T magnitude = magnitude_of<T>();
    for (std::size_t i = 0; i < k; ++i) {
        const T xv = load_le<T>(x + i * sizeof(T));
        const T bv = load_le<T>(b + i * sizeof(T));
        const auto xm = static_cast<std::int64_t>(xv & magnitude);
        const auto bm = static_cast<std::int64_t>(bv & magnitude);
        const std::int64_t dm = xm - bm;
        const auto u = static_cast<std::uint64_t>(dm < 0 ? -dm : dm);
        const unsigned r = f.shift[bm >> f.mantissa_bits];
        std::uint64_t hi = u >> r;
        if (hi >= kDeltaEscapeHi) {
            escapes.put(hi, w - 1);
            hi = kDeltaEscapeHi;
        }
        symbols[i] = static_cast<std::uint8_t>(4 * hi + 2 * (dm < 0) + ((xv ^ bv) >> (w - 1)));
        low.put(u & ((std::uint64_t{1} << r) - 1), r);
    }
}

// In blocks: the distances first (the serial part: reading the fields), then the
// elements from them (a loop without branches that the compiler vectorises). The sum
// wraps modulo 2^(W-1), as the format's arithmetic does.
template <class T>
void decode(const std::uint8_t* b, const std::uint8_t* symbols, std::size_t k, const DeltaFormat& f,
            BitFieldReader& low, BitFieldReader& escapes, std::uint8_t* out) noexcept {
    constexpr unsigned w = 8 * sizeof(T);
    constexpr std::uint32_t magnitude = magnitude_of<T>();
    constexpr std::size_t kBlock = 256;
    std::array<std::uint32_t, kBlock> distance;
    for (std::size_t at = 0; at < k; at += kBlock) {
        const std::size_t n = std::min(kBlock, k - at);
        const std::uint8_t* const bb = b + at * sizeof(T);
        const std::uint8_t* const sym = symbols + at;
        for (std::size_t i = 0; i < n; ++i) {
            const std::uint32_t bm = load_le<T>(bb + i * sizeof(T)) & magnitude;
            const unsigned r = f.shift[bm >> f.mantissa_bits];
            auto hi = static_cast<std::uint32_t>(sym[i] >> 2);
            if (hi == kDeltaEscapeHi) [[unlikely]]
                hi = static_cast<std::uint32_t>(escapes.get(w - 1));
            distance[i] = (hi << r) | static_cast<std::uint32_t>(low.get(r));
        }
        std::uint8_t* const o = out + at * sizeof(T);
        for (std::size_t i = 0; i < n; ++i) {
            const std::uint32_t bv = load_le<T>(bb + i * sizeof(T));
            const std::uint32_t symbol = sym[i];
            const std::uint32_t neg = 0 - ((symbol >> 1) & 1);
            const std::uint32_t d = (distance[i] ^ neg) - neg;
            const std::uint32_t value = ((bv & magnitude) + d) & magnitude;
            store_le<T>(o + i * sizeof(T),
                        static_cast<T>(value | ((bv ^ (symbol << (w - 1))) & ~magnitude)));
        }
    }
}

}  // namespace

void delta_census16(const std::uint8_t* b, std::size_t k, const DeltaFormat& f,
                    const std::uint8_t* cuts, unsigned groups, std::uint8_t* exponents,
                    DeltaCensus& c) noexcept {
    census<std::uint16_t>(b, k, f, cuts, groups, exponents, c);
}
void delta_encode16(const std::uint8_t* x, const std::uint8_t* b, std::size_t k,
                    const DeltaFormat& f, std::uint8_t* symbols, BitFieldWriter& low,
                    BitFieldWriter& escapes) noexcept {
    encode<std::uint16_t>(x, b, k, f, symbols, low, escapes);
}
void delta_decode16(const std::uint8_t* b, const std::uint8_t* symbols, std::size_t k,
                    const DeltaFormat& f, BitFieldReader& low, BitFieldReader& escapes,
                    std::uint8_t* out) noexcept {
    decode<std::uint16_t>(b, symbols, k, f, low, escapes, out);
}
void delta_census32(const std::uint8_t* b, std::size_t k, const DeltaFormat& f,
                    const std::uint8_t* cuts, unsigned groups, std::uint8_t* exponents,
                    DeltaCensus& c) noexcept {
    census<std::uint32_t>(b, k, f, cuts, groups, exponents, c);
}
void delta_encode32(const std::uint8_t* x, const std::uint8_t* b, std::size_t k,
                    const DeltaFormat& f, std::uint8_t* symbols, BitFieldWriter& low,
                    BitFieldWriter& escapes) noexcept {
    encode<std::uint32_t>(x, b, k, f, symbols, low, escapes);
}
void delta_decode32(const std::uint8_t* b, const std::uint8_t* symbols, std::size_t k,
                    const DeltaFormat& f, BitFieldReader& low, BitFieldReader& escapes,
                    std::uint8_t* out) noexcept {
    decode<std::uint32_t>(b, symbols, k, f, low, escapes, out);
}

}  // namespace znn::simd::scalar
