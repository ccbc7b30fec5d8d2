#include "planes/sampled_counts.hpp"

#include <algorithm>
#include <vector>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "common/bytes_io.hpp"
#include "entropy/histogram.hpp"

namespace znn {

namespace {

// BF16 elements are counted by their 9 bits 14..6: a bf16 exponent is the top 8 of them,
// a bf16x symbol the low 8 where bit 14 is clear.
constexpr std::size_t kElementBins = 512;

// Eight sub-histograms, so repeated neighbours do not serialise on one counter (as in
// count_symbols, which counts byte planes).
using SubCounts = std::array<std::array<std::uint32_t, kElementBins>, 8>;

template <std::size_t Bins>
using SymbolSet = std::array<bool, Bins>;

unsigned element_symbol(unsigned v) noexcept {
    return (v >> 6) & 0x1FFu;
}

void count_elements(const std::uint8_t* src, std::size_t begin, std::size_t end,
                    SubCounts& sub) noexcept {
    std::size_t i = begin;
    for (; i + 8 <= end; i += 8) {
        const auto a = load_le<std::uint64_t>(src + 2 * i);
        const auto b = load_le<std::uint64_t>(src + 2 * i + 8);
        ++sub[0][(a >> 6) & 0x1FF];
        ++sub[1][(a >> 22) & 0x1FF];
        ++sub[2][(a >> 38) & 0x1FF];
        ++sub[3][(a >> 54) & 0x1FF];
        ++sub[4][(b >> 6) & 0x1FF];
        ++sub[5][(b >> 22) & 0x1FF];
        ++sub[6][(b >> 38) & 0x1FF];
        ++sub[7][(b >> 54) & 0x1FF];
    }
    for (; i < end; ++i) ++sub[0][element_symbol(load_le<std::uint16_t>(src + 2 * i))];
}

// The sample's elements: the first 1/kSampleShare of each kSampleBlock, or all of them.
std::array<std::uint32_t, kElementBins> count_element_sample(const std::uint8_t* src, std::size_t k,
                                                             bool sampled) noexcept {
    SubCounts sub{};
    const std::size_t counted = sampled ? kSampleBlock / kSampleShare : kSampleBlock;
    for (std::size_t block = 0; block < k; block += kSampleBlock)
        count_elements(src, block, std::min(k, block + counted), sub);
    std::array<std::uint32_t, kElementBins> counts{};
    for (std::size_t s = 0; s < kElementBins; ++s) {
        std::uint32_t total = 0;
        for (const auto& t : sub) total += t[s];
        counts[s] = total;
    }
    return counts;
}

// The ranges the sample skipped: [begin, end) of each block.
template <class Visit>
void for_each_unsampled(std::size_t n, Visit visit) {
    for (std::size_t block = 0; block < n; block += kSampleBlock)
        visit(std::min(n, block + kSampleBlock / kSampleShare), std::min(n, block + kSampleBlock));
}

// Finds the symbols of the unsampled ranges that `known` lacks, marking each in `known`
// and `extra` and passing it to learn(s). skip(i, end) returns how far from i on every
// symbol is surely known (a vector check's whole steps; i without one); symbol(i) reads
// one. After a skip, the next 32 symbols are looked at one by one: a skip stops at the
// first step holding an unknown symbol, and learn() lets the next skip pass it.
template <std::size_t Bins, class Skip, class Symbol, class Learn>
void find_missed_symbols(std::size_t n, SymbolSet<Bins>& known, SymbolSet<Bins>& extra, Skip skip,
                         Symbol symbol, Learn learn) {
    for_each_unsampled(n, [&](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end;) {
            i = skip(i, end);
            for (const std::size_t stop = std::min(end, i + 32); i < stop; ++i) {
                const unsigned s = symbol(i);
                if (known[s]) continue;
                extra[s] = known[s] = true;
                learn(s);
            }
        }
    });
}

// Sampled counts scaled to n symbols; known symbols count at least 1, and the symbols
// only the check found count 1.
template <std::size_t Bins>
void scale(std::array<std::uint32_t, Bins>& counts, const SymbolSet<Bins>& extra,
           std::size_t n) noexcept {
    std::uint64_t seen = 0;
    for (const auto c : counts) seen += c;
    for (std::size_t s = 0; s < Bins; ++s) {
        const auto scaled = static_cast<std::uint32_t>(std::uint64_t{counts[s]} * n / seen);
        counts[s] = counts[s] != 0 ? std::max(scaled, 1u) : extra[s] ? 1u : 0u;
    }
}

template <std::size_t Bins>
SymbolSet<Bins> known_set(const std::array<std::uint32_t, Bins>& counts) noexcept {
    SymbolSet<Bins> known{};
    for (std::size_t s = 0; s < Bins; ++s) known[s] = counts[s] != 0;
    return known;
}

#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
#define ZNN_SAMPLED_COUNTS_AVX2 1

// A set of byte values as shuffle tables: for low nibble l, rows_low[l] has bit h set when
// the byte h << 4 | l is in the set (h < 8), rows_high[l] the same for h - 8.
struct ShuffleSet {
    std::array<std::uint8_t, 16> rows_low{};
    std::array<std::uint8_t, 16> rows_high{};
};

void add(ShuffleSet& t, unsigned s) noexcept {
    auto& rows = s < 128 ? t.rows_low : t.rows_high;
    rows[s & 15] = static_cast<std::uint8_t>(rows[s & 15] | (1u << ((s >> 4) & 7)));
}

ShuffleSet shuffle_set(const bool* set) noexcept {
    ShuffleSet t;
    for (unsigned s = 0; s < 256; ++s)
        if (set[s]) add(t, s);
    return t;
}

struct ShuffleRegs {
    __m256i rows_low;
    __m256i rows_high;
};

__attribute__((target("avx2"))) inline ShuffleRegs load_set(const ShuffleSet& set) noexcept {
    return {_mm256_broadcastsi128_si256(
                _mm_loadu_si128(reinterpret_cast<const __m128i*>(set.rows_low.data()))),
            _mm256_broadcastsi128_si256(
                _mm_loadu_si128(reinterpret_cast<const __m128i*>(set.rows_high.data())))};
}

// Per byte of sym: non-zero when it is in the set.
__attribute__((target("avx2"), always_inline)) inline __m256i members(const ShuffleRegs& set,
                                                                      __m256i sym) noexcept {
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

// Checks elements from begin on, 32 at a time, as far as whole steps reach before end;
// returns where it stopped: at the first step with a symbol not in the set, or past the
// last whole step. `clear` holds the symbols with bit 14 clear by their low 8 bits, `set`
// those with it set.
__attribute__((target("avx2"))) std::size_t check_elements_avx2(const std::uint8_t* src,
                                                                std::size_t begin, std::size_t end,
                                                                const ShuffleSet& clear,
                                                                const ShuffleSet& set) noexcept {
    const ShuffleRegs without = load_set(clear);
    const ShuffleRegs with = load_set(set);
    const __m256i byte = _mm256_set1_epi16(0xFF);
    const __m256i one = _mm256_set1_epi16(1);
    std::size_t i = begin;
    for (; i + 32 <= end; i += 32) {
        const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + 2 * i));
        const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + 2 * i + 32));
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

// The same for a byte plane and one set.
__attribute__((target("avx2"))) std::size_t check_bytes_avx2(const std::uint8_t* p,
                                                             std::size_t begin, std::size_t end,
                                                             const ShuffleSet& known) noexcept {
    const ShuffleRegs set = load_set(known);
    std::size_t i = begin;
    for (; i + 32 <= end; i += 32) {
        const __m256i sym = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
        const __m256i missing = _mm256_cmpeq_epi8(members(set, sym), _mm256_setzero_si256());
        if (!_mm256_testz_si256(missing, missing)) break;
    }
    return i;
}

bool has_avx2() noexcept {
    static const bool yes = __builtin_cpu_supports("avx2");
    return yes;
}
#endif

}  // namespace

Bf16Counts count_bf16_symbols(const std::uint8_t* src, std::size_t k, bool sampled) noexcept {
    sampled = sampled && k >= kSampledCountsMin;
    auto counts = count_element_sample(src, k, sampled);
    if (sampled) {
        SymbolSet<kElementBins> known = known_set(counts);
        SymbolSet<kElementBins> extra{};
#if defined(ZNN_SAMPLED_COUNTS_AVX2)
        ShuffleSet clear = shuffle_set(known.data());
        ShuffleSet set = shuffle_set(known.data() + 256);
#endif
        find_missed_symbols(
            k, known, extra,
            [&](std::size_t i, [[maybe_unused]] std::size_t end) {
#if defined(ZNN_SAMPLED_COUNTS_AVX2)
                if (has_avx2()) return check_elements_avx2(src, i, end, clear, set);
#endif
                return i;
            },
            [src](std::size_t i) { return element_symbol(load_le<std::uint16_t>(src + 2 * i)); },
            [&]([[maybe_unused]] unsigned s) {
#if defined(ZNN_SAMPLED_COUNTS_AVX2)
                add(s < 256 ? clear : set, s & 0xFF);
#endif
            });
        scale(counts, extra, k);
    }
    Bf16Counts out;
    out.fits_x =
        std::all_of(counts.begin() + 256, counts.end(), [](std::uint32_t c) { return c == 0; });
    for (unsigned s = 0; s < kElementBins; ++s) out.exponents[s >> 1] += counts[s];
    if (out.fits_x) std::copy(counts.begin(), counts.begin() + 256, out.x.begin());
    return out;
}

Histogram count_bytes_sampled(std::span<const std::uint8_t> plane) {
    const std::uint8_t* p = plane.data();
    const std::size_t n = plane.size();
    if (n < kSampledCountsMin) return count_symbols(plane);
    // The sample's slices, gathered to be counted at once (the copy costs a tenth of the
    // count).
    thread_local std::vector<std::uint8_t> sample;
    sample.clear();
    for (std::size_t block = 0; block < n; block += kSampleBlock)
        sample.insert(sample.end(), p + block,
                      p + std::min(n, block + kSampleBlock / kSampleShare));
    Histogram counts = count_symbols(sample);
    SymbolSet<256> known = known_set(counts);
    SymbolSet<256> extra{};
#if defined(ZNN_SAMPLED_COUNTS_AVX2)
    ShuffleSet set = shuffle_set(known.data());
#endif
    find_missed_symbols(
        n, known, extra,
        [&](std::size_t i, [[maybe_unused]] std::size_t end) {
#if defined(ZNN_SAMPLED_COUNTS_AVX2)
            if (has_avx2()) return check_bytes_avx2(p, i, end, set);
#endif
            return i;
        },
        [p](std::size_t i) { return unsigned{p[i]}; },
        [&]([[maybe_unused]] unsigned s) {
#if defined(ZNN_SAMPLED_COUNTS_AVX2)
            add(set, s);
#endif
        });
    scale(counts, extra, n);
    return counts;
}

}  // namespace znn
