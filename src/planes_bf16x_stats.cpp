// The statistics of a BF16 chunk's bf16x symbols ((v >> 6) & 0xFF), which choose between
// the bf16 and bf16x layouts and give plane 0 its Huffman code (see planes.hpp).
//
// Counting every element was a fifth of compression time on BF16 models: a histogram
// costs a store per element, and the counters of skewed data chain through memory. Large
// chunks count a quarter of their elements instead. A code built on the sample must still
// cover every symbol present, so the other elements are checked against the sample's
// symbol set, 32 at a time with AVX2 (a bitmap lookup with byte shuffles), and the rare
// symbol the sample missed is added with a count of 1. On the shared BF16 model this
// coded 0.001 points larger.
#include <algorithm>
#include <array>
#include <cstdint>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "bytes_io.hpp"
#include "planes.hpp"

namespace znn {

namespace {

using SubHistograms = std::array<std::array<std::uint32_t, 256>, 8>;
using SymbolSet = std::array<bool, 256>;

constexpr std::uint64_t kBit14 = 0x4000400040004000ULL;  // exponent bit 7 of four elements

unsigned symbol_of(unsigned v) noexcept { return (v >> 6) & 0xFFu; }

// Counts the symbols of elements [begin, end) into eight sub-histograms, so repeated
// neighbours do not serialise on one counter; returns the elements' bits ORed.
std::uint64_t count_into(const std::uint8_t* src, std::size_t begin, std::size_t end, SubHistograms& sub) noexcept {
    std::uint64_t any = 0;
    std::size_t i = begin;
    for (; i + 8 <= end; i += 8) {
        const auto a = load_le<std::uint64_t>(src + 2 * i);
        const auto b = load_le<std::uint64_t>(src + 2 * i + 8);
        any |= a | b;
        ++sub[0][(a >> 6) & 0xFF];
        ++sub[1][(a >> 22) & 0xFF];
        ++sub[2][(a >> 38) & 0xFF];
        ++sub[3][(a >> 54) & 0xFF];
        ++sub[4][(b >> 6) & 0xFF];
        ++sub[5][(b >> 22) & 0xFF];
        ++sub[6][(b >> 38) & 0xFF];
        ++sub[7][(b >> 54) & 0xFF];
    }
    for (; i < end; ++i) {
        const unsigned v = load_le<std::uint16_t>(src + 2 * i);
        any |= v;
        ++sub[0][symbol_of(v)];
    }
    return any;
}

// Adds to `extra` the symbols of elements [begin, end) that are not in `known`; returns
// the elements' bits ORed.
std::uint64_t find_unknown(const std::uint8_t* src, std::size_t begin, std::size_t end, const SymbolSet& known,
                           SymbolSet& extra) noexcept {
    std::uint64_t any = 0;
    for (std::size_t i = begin; i < end; ++i) {
        const unsigned v = load_le<std::uint16_t>(src + 2 * i);
        any |= v;
        if (!known[symbol_of(v)]) extra[symbol_of(v)] = true;
    }
    return any;
}

#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
#define ZNN_BF16X_STATS_AVX2 1

// A byte set as shuffle tables: for low nibble l, rows_low[l] has bit h set when the
// symbol h << 4 | l is in the set (h < 8), rows_high[l] the same for h - 8.
struct ShuffleSet {
    std::array<std::uint8_t, 16> rows_low{};
    std::array<std::uint8_t, 16> rows_high{};
};

ShuffleSet shuffle_set(const SymbolSet& set) noexcept {
    ShuffleSet t;
    for (unsigned s = 0; s < 256; ++s) {
        if (!set[s]) continue;
        auto& rows = s < 128 ? t.rows_low : t.rows_high;
        rows[s & 15] = static_cast<std::uint8_t>(rows[s & 15] | (1u << ((s >> 4) & 7)));
    }
    return t;
}

// Checks elements from begin on, 32 at a time, as far as whole steps reach before end:
// returns where it stopped, and clears all_known if a symbol there is not in the set.
// ORs the elements' bits into any.
__attribute__((target("avx2"))) std::size_t check_known_avx2(const std::uint8_t* src, std::size_t begin,
                                                            std::size_t end, const ShuffleSet& set,
                                                            std::uint64_t& any, bool& all_known) noexcept {
    const __m256i rows_low = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(set.rows_low.data())));
    const __m256i rows_high = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(set.rows_high.data())));
    const __m256i bit_of = _mm256_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128,
                                            1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
    const __m256i byte = _mm256_set1_epi16(0xFF);
    const __m256i nibble = _mm256_set1_epi8(0x0F);
    const __m256i seven = _mm256_set1_epi8(7);
    __m256i bits = _mm256_setzero_si256();
    __m256i missing = _mm256_setzero_si256();
    std::size_t i = begin;
    for (; i + 32 <= end; i += 32) {
        const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + 2 * i));
        const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + 2 * i + 32));
        bits = _mm256_or_si256(bits, _mm256_or_si256(a, b));
        // 32 symbols, in an order packus chooses: membership does not care.
        const __m256i sym = _mm256_packus_epi16(_mm256_and_si256(_mm256_srli_epi16(a, 6), byte),
                                                _mm256_and_si256(_mm256_srli_epi16(b, 6), byte));
        const __m256i low = _mm256_and_si256(sym, nibble);
        const __m256i high = _mm256_and_si256(_mm256_srli_epi16(sym, 4), nibble);
        const __m256i row = _mm256_blendv_epi8(_mm256_shuffle_epi8(rows_low, low), _mm256_shuffle_epi8(rows_high, low),
                                               _mm256_cmpgt_epi8(high, seven));
        const __m256i hit = _mm256_and_si256(row, _mm256_shuffle_epi8(bit_of, high));
        missing = _mm256_or_si256(missing, _mm256_cmpeq_epi8(hit, _mm256_setzero_si256()));
    }
    std::array<std::uint64_t, 4> lanes{};
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(lanes.data()), bits);
    any |= lanes[0] | lanes[1] | lanes[2] | lanes[3];
    if (!_mm256_testz_si256(missing, missing)) all_known = false;
    return i;
}
#endif

}  // namespace

bool count_bf16x_symbols(const std::uint8_t* src, std::size_t k, std::array<std::uint32_t, 256>& counts) noexcept {
    SubHistograms sub{};
    std::uint64_t any = 0;
    const bool sample = k >= kBf16xExactStatsElements;
    const std::size_t counted_per_block = sample ? kBf16xSampleBlock / kBf16xSampleShare : kBf16xSampleBlock;
    for (std::size_t block = 0; block < k; block += kBf16xSampleBlock) {
        if ((any & kBit14) != 0) return false;  // usually shows early: stop counting for nothing
        any |= count_into(src, block, std::min(k, block + counted_per_block), sub);
    }
    std::uint64_t seen = 0;
    for (unsigned s = 0; s < 256; ++s) {
        std::uint32_t total = 0;
        for (const auto& t : sub) total += t[s];
        counts[s] = total;
        seen += total;
    }
    if (!sample) return (any & kBit14) == 0;

    SymbolSet known{};
    for (unsigned s = 0; s < 256; ++s) known[s] = counts[s] != 0;
    SymbolSet extra{};
#if defined(ZNN_BF16X_STATS_AVX2)
    static const bool has_avx2 = __builtin_cpu_supports("avx2");
    const ShuffleSet set = shuffle_set(known);
#endif
    for (std::size_t block = 0; block < k; block += kBf16xSampleBlock) {
        if ((any & kBit14) != 0) return false;
        const std::size_t begin = std::min(k, block + counted_per_block);
        const std::size_t end = std::min(k, block + kBf16xSampleBlock);
        std::size_t from = begin;
#if defined(ZNN_BF16X_STATS_AVX2)
        if (has_avx2) {
            bool all_known = true;
            const std::size_t stop = check_known_avx2(src, begin, end, set, any, all_known);
            from = all_known ? stop : begin;  // else find what the sample missed
        }
#endif
        any |= find_unknown(src, from, end, known, extra);
    }
    for (unsigned s = 0; s < 256; ++s) {
        const auto scaled = static_cast<std::uint32_t>(std::uint64_t{counts[s]} * k / seen);
        counts[s] = known[s] ? std::max(scaled, 1u) : extra[s] ? 1u : 0u;
    }
    return (any & kBit14) == 0;
}

}  // namespace znn
