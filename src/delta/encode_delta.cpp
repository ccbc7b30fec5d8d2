// Encoding a delta chunk: per-exponent shifts, symbols, exponent groups, then each group's
// symbols coded by the plane coder as one plane (see delta_codec.hpp).
#include <algorithm>
#include <array>
#include <cstring>
#include <numeric>
#include <optional>
#include <vector>

#include "codec/chunk_plan.hpp"
#include "codec/plane_coder.hpp"
#include "common/bit_fields.hpp"
#include "common/bytes_io.hpp"
#include "delta/delta_codec.hpp"
#include "delta/delta_format.hpp"
#include "entropy/histogram.hpp"
#include "format/checksum.hpp"
#include "planes/sampled_counts.hpp"
#include "simd/kernels.hpp"

namespace znn {

namespace {

using namespace delta;

// A delta chunk larger than this share of its raw size is compared with plain coding; it
// then likely belongs to a tensor the fine-tune rewrote. Below it, plain coding never won
// on the training pairs, so it is not tried (it would double the encoding time).
constexpr double kTryPlainShare = 0.6;
// The first part of a chunk plain_may_win estimates, and the least it estimates so.
constexpr std::size_t kPlainParts = 16;
constexpr std::size_t kMinPart = std::size_t{16} << 10;
// Candidate cuts for the exponent groups: runs of exponents holding at least 1/kBins of
// the elements. More bins cost DP time for no measurable gain.
constexpr unsigned kBins = 16;
// What a group's own code costs, in bits: its table and block framing.
constexpr double kGroupCostBits = 8 * 48;

using SymbolHistogram = std::array<std::uint32_t, kSymbolCount>;

struct DeltaScratch {
    Buffer exponents;  // per element: its base exponent
    Buffer symbols;
    Buffer groups;  // the group planes, each followed by kGroupSlack bytes
    Buffer low;
    Buffer escapes;
    std::vector<std::uint32_t> histograms;  // per exponent present, kSymbolCount each
};

DeltaScratch& delta_scratch() {
    thread_local DeltaScratch s;
    return s;
}

// The first exponent of each group after the first, chosen by dynamic programming over
// bins of adjacent exponents to minimise entropy plus table costs. hist: the sample's
// counts, each standing for `step` elements.
std::vector<unsigned> cut_groups(const std::vector<std::uint32_t>& hist, unsigned first,
                                 unsigned last, std::size_t step) {
    const std::uint64_t sampled = std::accumulate(hist.begin(), hist.end(), std::uint64_t{0});
    // Bins: runs of exponents with at least 1 / kBins of the sample (the last may hold fewer).
    std::vector<unsigned> bin_start;
    std::vector<SymbolHistogram> bins;
    std::uint64_t in_bin = 0;
    for (unsigned e = first; e <= last; ++e) {
        const std::uint32_t* const row = hist.data() + std::size_t{e - first} * kSymbolCount;
        std::uint64_t count = 0;
        for (unsigned s = 0; s < kSymbolCount; ++s) count += row[s];
        if (count == 0) continue;
        if (bins.empty() || in_bin >= sampled / kBins) {
            bins.push_back({});
            bin_start.push_back(e);
            in_bin = 0;
        }
        for (unsigned s = 0; s < kSymbolCount; ++s) bins.back()[s] += row[s];
        in_bin += count;
    }
    const std::size_t m = bins.size();
    // cost[i][j]: bins i..j-1 as one group.
    std::vector<double> cost(m * (m + 1), 0);
    for (std::size_t i = 0; i < m; ++i) {
        SymbolHistogram acc{};
        for (std::size_t j = i + 1; j <= m; ++j) {
            for (unsigned s = 0; s < kSymbolCount; ++s) acc[s] += bins[j - 1][s];
            cost[i * (m + 1) + j] = static_cast<double>(step) * entropy_bits(acc) + kGroupCostBits;
        }
    }
    const std::size_t k_max = std::min<std::size_t>(kMaxGroups, m);
    constexpr double kNone = 1e300;
    std::vector<double> best((k_max + 1) * (m + 1), kNone);
    std::vector<std::size_t> from((k_max + 1) * (m + 1), 0);
    best[0] = 0;
    for (std::size_t k = 1; k <= k_max; ++k)
        for (std::size_t j = 1; j <= m; ++j)
            for (std::size_t i = k - 1; i < j; ++i) {
                const double v = best[(k - 1) * (m + 1) + i] + cost[i * (m + 1) + j];
                if (v < best[k * (m + 1) + j]) {
                    best[k * (m + 1) + j] = v;
                    from[k * (m + 1) + j] = i;
                }
            }
    std::size_t k_best = 1;
    for (std::size_t k = 2; k <= k_max; ++k)
        if (best[k * (m + 1) + m] < best[k_best * (m + 1) + m]) k_best = k;
    std::vector<unsigned> cuts;
    for (std::size_t k = k_best, j = m; k > 1; --k) {
        j = from[k * (m + 1) + j];
        cuts.push_back(bin_start[j]);
    }
    std::reverse(cuts.begin(), cuts.end());
    return cuts;
}

// The shifts and the exponent groups are chosen from a sample of the elements: runs of
// kSampleRun elements (a cache line of 16-bit ones), one run in every `step`, at least
// kMinSample elements in all. Runs rather than single elements, so the sample reads a
// fraction of the memory rather than every line. The sample decides only how the chunk
// is coded, never what it decodes to.
constexpr std::size_t kSampleRun = 32;
constexpr std::size_t kMinSample = 4096;
constexpr std::size_t kMaxStep = 64;
// A group's symbols are counted from the sample when it sampled at least this many of them.
constexpr std::size_t kMinGroupSample = 1024;

// Calls f(i) for every sampled element i.
template <class F>
void for_sampled(std::size_t n, std::size_t step, F&& f) {
    for (std::size_t run = 0; run < n; run += step * kSampleRun)
        for (std::size_t i = run; i < std::min(n, run + kSampleRun); ++i) f(i);
}

// One sampled element: its base exponent, |x| - |b| as a distance, and 2 * neg + flip.
struct Sampled {
    unsigned exponent;
    std::uint32_t distance;
    unsigned signs;
};

template <class T>
Sampled sample(const std::uint8_t* x, const std::uint8_t* b, std::size_t i, unsigned m) noexcept {
    constexpr T magnitude = static_cast<T>(static_cast<T>(~T{0}) >> 1);
    constexpr unsigned w = 8 * sizeof(T);
    const T xv = load_le<T>(x + i * sizeof(T));
    const T bv = load_le<T>(b + i * sizeof(T));
    const auto dm =
        static_cast<std::int64_t>(xv & magnitude) - static_cast<std::int64_t>(bv & magnitude);
    return {static_cast<unsigned>((bv & magnitude) >> m),
            static_cast<std::uint32_t>(dm < 0 ? -dm : dm),
            static_cast<unsigned>(2 * (dm < 0) + ((xv ^ bv) >> (w - 1)))};
}

// The sampled exponents' range and the shift per base exponent: floor(log2) of the mean
// distance of the sampled elements of that exponent; an exponent the sample missed takes
// its nearest sampled neighbour's below it, or above it below the range.
struct Shifts {
    std::array<std::uint8_t, 256> shift{};
    unsigned first = 0;  // the sampled exponents' range
    unsigned last = 0;
};

template <class T>
Shifts choose_shifts(const std::uint8_t* x, const std::uint8_t* b, std::size_t n, std::size_t step,
                     ElementFormat f) {
    std::array<std::uint64_t, 256> sum{};
    std::array<std::uint32_t, 256> count{};
    for_sampled(n, step, [&](std::size_t i) {
        const Sampled e = sample<T>(x, b, i, f.mantissa_bits);
        sum[e.exponent] += e.distance;
        ++count[e.exponent];
    });
    Shifts s;
    int previous = -1;
    for (unsigned e = 0; e < 256; ++e) {
        if (count[e] == 0) {
            if (previous >= 0) s.shift[e] = s.shift[static_cast<unsigned>(previous)];
            continue;
        }
        const std::uint64_t mean = sum[e] / count[e];
        const unsigned bits = mean == 0 ? 0 : 64 - static_cast<unsigned>(__builtin_clzll(mean));
        s.shift[e] = static_cast<std::uint8_t>(std::min(bits == 0 ? 0 : bits - 1, f.max_shift()));
        if (previous < 0) {
            for (unsigned before = 0; before < e; ++before) s.shift[before] = s.shift[e];
            s.first = e;
        }
        previous = static_cast<int>(e);
        s.last = e;
    }
    return s;
}

// The sampled symbols' histogram per exponent (rows first..last).
template <class T>
void sample_histograms(const std::uint8_t* x, const std::uint8_t* b, std::size_t n,
                       std::size_t step, ElementFormat f, unsigned first, unsigned last,
                       const std::array<std::uint8_t, 256>& shift,
                       std::vector<std::uint32_t>& hist) {
    hist.assign(std::size_t{last - first + 1} * kSymbolCount, 0);
    for_sampled(n, step, [&](std::size_t i) {
        const Sampled e = sample<T>(x, b, i, f.mantissa_bits);
        const std::uint32_t hi =
            std::min<std::uint32_t>(e.distance >> shift[e.exponent], kEscapeHi);
        ++hist[std::size_t{e.exponent - first} * kSymbolCount + 4 * hi + e.signs];
    });
}

// The sample's symbol counts of each exponent group (rows first..last as
// sample_histograms leaves them, cuts as cut_groups gives them).
std::array<Histogram, kMaxGroups> group_histograms(const std::vector<std::uint32_t>& hist,
                                                   unsigned first, unsigned last,
                                                   const std::vector<unsigned>& cuts) {
    std::array<Histogram, kMaxGroups> groups{};
    for (unsigned e = first; e <= last; ++e) {
        const auto g =
            static_cast<std::size_t>(std::upper_bound(cuts.begin(), cuts.end(), e) - cuts.begin());
        const std::uint32_t* const row = hist.data() + std::size_t{e - first} * kSymbolCount;
        for (unsigned sym = 0; sym < kSymbolCount; ++sym) groups[g][sym] += row[sym];
    }
    return groups;
}

template <class T>
std::size_t encode_elements(const std::uint8_t* x, const std::uint8_t* b, std::size_t n,
                            const ChunkSpec& spec, Buffer& block, ChunkHeader& header) {
    DeltaScratch& s = delta_scratch();
    const simd::Kernels& kernels = simd::kernels();
    constexpr unsigned w = 8 * sizeof(T);
    const ElementFormat f = element_format(spec.layout);
    const simd::DeltaKernels& passes = kernels.delta(sizeof(T));

    // 1. Shifts and groups from a sample, then the census of the base exponents: their
    // range, each group's size and the low bits they carry.
    const std::size_t step = std::clamp<std::size_t>(n / kMinSample, 1, kMaxStep);
    const Shifts sampled = choose_shifts<T>(x, b, n, step, f);
    const std::array<std::uint8_t, 256>& shift = sampled.shift;
    sample_histograms<T>(x, b, n, step, f, sampled.first, sampled.last, shift, s.histograms);
    const std::vector<unsigned> cuts = cut_groups(s.histograms, sampled.first, sampled.last, step);
    const auto groups = static_cast<unsigned>(cuts.size() + 1);
    std::array<std::uint8_t, kMaxGroups> cut_bytes{};
    for (std::size_t c = 0; c < cuts.size(); ++c) cut_bytes[c] = static_cast<std::uint8_t>(cuts[c]);
    const simd::DeltaFormat format{f.mantissa_bits, shift.data()};
    resize_discarding(s.exponents, n);
    simd::DeltaCensus census;
    passes.census(b, n, format, cut_bytes.data(), groups, s.exponents.data(), census);
    const unsigned first = census.min_exponent, last = census.max_exponent;

    // 2. Symbols, low bits and escapes.
    resize_discarding(s.symbols, n);
    BitFieldWriter low(s.low, census.low_bits);
    BitFieldWriter escapes(s.escapes, std::uint64_t{n} * (w - 1));
    passes.encode(x, b, n, format, s.symbols.data(), low, escapes);
    const std::size_t low_size = low.finish();
    const std::size_t escape_size = escapes.finish();

    // 3. Each group's symbols gathered into its plane: one buffer, the planes in turn (so
    // its pages are those of one chunk's symbols, whatever the groups' sizes).
    std::array<std::size_t, kMaxGroups> group_size{};
    std::array<const std::uint8_t*, kMaxGroups> plane{};
    if (groups == 1) {
        plane[0] = s.symbols.data();
        group_size[0] = n;
    } else {
        resize_discarding(s.groups, n + groups * simd::kGroupSlack);
        std::array<std::uint8_t*, kMaxGroups> to{};
        std::size_t at = 0;
        for (unsigned g = 0; g < groups; ++g) {
            to[g] = s.groups.data() + at;
            plane[g] = to[g];
            group_size[g] = static_cast<std::size_t>(census.group_size[g]);
            at += group_size[g] + simd::kGroupSlack;
        }
        kernels.split_groups(s.exponents.data(), cut_bytes.data(), groups, s.symbols.data(), n,
                             to.data());
    }

    // 4. The block: header, table, group planes, low bits, escapes.
    std::vector<std::uint8_t> table;
    table.push_back(static_cast<std::uint8_t>(first));
    table.push_back(static_cast<std::uint8_t>(last));
    table.insert(table.end(), shift.begin() + first, shift.begin() + last + 1);
    table.push_back(static_cast<std::uint8_t>(groups));
    table.insert(table.end(), cuts.begin(), cuts.end());
    header.plane_count = static_cast<std::uint8_t>(groups + 3);
    std::size_t capacity = header.header_size() + table.size() + low_size + escape_size;
    for (unsigned g = 0; g < groups; ++g) capacity += plane_encode_bound(group_size[g]);
    resize_discarding(block, capacity);
    std::size_t pos = header.header_size();
    const auto put_stored = [&](unsigned part, const std::uint8_t* data, std::size_t size) {
        header.codecs[part] = PlaneCodec::stored;
        header.sizes[part] = size;
        if (size != 0) std::memcpy(block.data() + pos, data, size);
        pos += size;
    };
    put_stored(kTablePart, table.data(), table.size());
    // Symbol planes are dense, like a float's exponent plane: coded as one (zstd is tried
    // only when one symbol dominates, where runs may pay).
    ChunkSpec plane_spec = spec;
    plane_spec.layout = Layout::fp32;
    // Where the level counts exponent planes from a sample, a group's symbols are counted
    // from the element sample that chose the groups, if it holds enough of them (the plane
    // is then only checked for symbols the sample missed); else from a sample of their own.
    const auto sampled_groups = group_histograms(s.histograms, sampled.first, sampled.last, cuts);
    for (unsigned g = 0; g < groups; ++g) {
        const std::span<const std::uint8_t> symbols(plane[g], group_size[g]);
        std::optional<PlaneStats> stats;
        if (spec.policy->sampled_counts && !symbols.empty()) {
            const Histogram& h = sampled_groups[g];
            const std::uint64_t seen = std::accumulate(h.begin(), h.end(), std::uint64_t{0});
            stats = PlaneStats{seen >= kMinGroupSample ? complete_sampled_counts(symbols, h)
                                                       : count_bytes_sampled(symbols),
                               {}};
        }
        const CodedPlane coded =
            encode_plane(symbols, plane_spec, Layout::fp32, stats ? &*stats : nullptr,
                         spec.policy->short_code_max_loss, block.data() + pos);
        header.codecs[kFirstGroupPart + g] = coded.codec;
        header.sizes[kFirstGroupPart + g] = coded.size;
        pos += coded.size;
    }
    put_stored(kFirstGroupPart + groups, s.low.data(), low_size);
    put_stored(kFirstGroupPart + groups + 1, s.escapes.data(), escape_size);
    block.resize(pos);
    write_chunk_header(header, block.data());
    return pos;
}

// Whether plain coding codes raw in fewer than delta_size bytes. Estimated on the chunk's
// first sixteenth (at least kMinPart bytes) before the whole: a tensor the fine-tune
// rewrote is rewritten throughout, while chunks whose delta is large but still wins (FP32,
// where the low mantissa bits cost both codings alike; plain coding there is 13% larger)
// are rejected at a sixteenth of the cost.
bool plain_may_win(std::span<const std::uint8_t> raw, const ChunkSpec& spec,
                   std::size_t delta_size) {
    constexpr double kMargin = 1.1;  // the part's figure, scaled, may err by this much
    const std::size_t element = element_format(spec.layout).width_bits / 8;
    const std::size_t part = std::max(kMinPart, raw.size() / kPlainParts / element * element);
    if (part * 2 <= raw.size()) {
        const double scaled = static_cast<double>(estimate_chunk_size(raw.first(part), spec)) *
                              static_cast<double>(raw.size()) / static_cast<double>(part);
        if (scaled >= kMargin * static_cast<double>(delta_size)) return false;
    }
    return estimate_chunk_size(raw, spec) < delta_size;
}

}  // namespace

std::uint64_t encode_delta_chunk(std::span<const std::uint8_t> raw,
                                 std::span<const std::uint8_t> base, const ChunkSpec& spec,
                                 const DeltaRef& ref, Buffer& block) {
    if (raw.empty()) return encode_chunk(raw, spec, block);
    ChunkHeader header;
    header.delta = true;
    header.layout = spec.layout;
    header.raw_size = raw.size();
    header.checksum = checksum_bytes(raw);
    header.base_tensor = ref.base_tensor;
    header.base_offset = ref.base_offset;
    std::size_t size = 0;
    if (element_format(spec.layout).width_bits == 32)
        size = encode_elements<std::uint32_t>(raw.data(), base.data(), raw.size() / 4, spec, block,
                                              header);
    else
        size = encode_elements<std::uint16_t>(raw.data(), base.data(), raw.size() / 2, spec, block,
                                              header);
    if (static_cast<double>(size) > kTryPlainShare * static_cast<double>(raw.size()) &&
        plain_may_win(raw, spec, size))
        return encode_chunk(raw, spec, block);
    return header.checksum;
}

}  // namespace znn
