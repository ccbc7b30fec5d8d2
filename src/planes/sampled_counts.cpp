#include "planes/sampled_counts.hpp"

#include <algorithm>
#include <vector>

#include "common/bytes_io.hpp"
#include "entropy/histogram.hpp"
#include "simd/kernels.hpp"

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

// Finds the symbols of the ranges for_ranges(visit) visits that `known` lacks, marking
// each in `known` and `extra` and passing it to learn(s). skip(i, end) returns how far from
// i on every symbol is surely known (a vector check's whole steps; i without one);
// symbol(i) reads one. After a skip, the next 32 symbols are looked at one by one: a skip
// stops at the first step holding an unknown symbol, and learn() lets the next skip pass it.
template <std::size_t Bins, class ForRanges, class Skip, class Symbol, class Learn>
void find_missed_symbols(ForRanges for_ranges, SymbolSet<Bins>& known, SymbolSet<Bins>& extra,
                         Skip skip, Symbol symbol, Learn learn) {
    for_ranges([&](std::size_t begin, std::size_t end) {
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

// A known set as the membership scans read it.
simd::ByteSet byte_set(const bool* known) noexcept {
    simd::ByteSet set;
    for (unsigned s = 0; s < 256; ++s)
        if (known[s]) set.add(s);
    return set;
}

// A byte plane's sampled counts made whole: the symbols of the ranges for_ranges visits
// that the sample missed count 1, then everything is scaled to the plane's size.
template <class ForRanges>
void complete_byte_counts(std::span<const std::uint8_t> plane, Histogram& counts,
                          ForRanges for_ranges) {
    const std::uint8_t* p = plane.data();
    SymbolSet<256> known = known_set(counts);
    SymbolSet<256> extra{};
    simd::ByteSet set = byte_set(known.data());
    const auto scan = simd::kernels().scan_known_bytes;
    find_missed_symbols(
        for_ranges, known, extra,
        [&](std::size_t i, std::size_t end) { return scan(p, i, end, set); },
        [p](std::size_t i) { return unsigned{p[i]}; }, [&](unsigned s) { set.add(s); });
    scale(counts, extra, plane.size());
}

}  // namespace

Bf16Counts count_bf16_symbols(const std::uint8_t* src, std::size_t k, bool sampled) noexcept {
    sampled = sampled && k >= kSampledCountsMin;
    auto counts = count_element_sample(src, k, sampled);
    if (sampled) {
        SymbolSet<kElementBins> known = known_set(counts);
        SymbolSet<kElementBins> extra{};
        // Symbols with bit 8 clear by their low 8 bits, and those with it set.
        simd::ByteSet clear = byte_set(known.data());
        simd::ByteSet set = byte_set(known.data() + 256);
        const auto scan = simd::kernels().scan_known_elements;
        find_missed_symbols(
            [k](auto visit) { for_each_unsampled(k, visit); }, known, extra,
            [&](std::size_t i, std::size_t end) { return scan(src, i, end, clear, set); },
            [src](std::size_t i) { return element_symbol(load_le<std::uint16_t>(src + 2 * i)); },
            [&](unsigned s) { (s < 256 ? clear : set).add(s & 0xFF); });
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
    complete_byte_counts(plane, counts, [n](auto visit) { for_each_unsampled(n, visit); });
    return counts;
}

Histogram complete_sampled_counts(std::span<const std::uint8_t> plane, Histogram sampled) {
    complete_byte_counts(plane, sampled, [&plane](auto visit) { visit(0, plane.size()); });
    return sampled;
}

}  // namespace znn
