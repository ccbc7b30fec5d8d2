// Encoding a delta chunk: per-exponent shifts, symbols, exponent groups, then each group's
// symbols coded by the plane coder as one plane (see delta_codec.hpp).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <vector>

#include "codec/plane_coder.hpp"
#include "common/bytes_io.hpp"
#include "delta/bit_streams.hpp"
#include "delta/delta_codec.hpp"
#include "delta/delta_format.hpp"
#include "format/checksum.hpp"
#include "simd/kernels.hpp"

namespace znn {

namespace {

using namespace delta;

// A delta chunk larger than this share of its raw size is compared with plain coding; it
// then likely belongs to a tensor the fine-tune rewrote. Below it, plain coding never won
// on the training pairs, so it is not tried (it would double the encoding time).
constexpr double kTryPlainShare = 0.6;
// Candidate cuts for the exponent groups: runs of exponents holding at least 1/kBins of
// the elements. More bins cost DP time for no measurable gain.
constexpr unsigned kBins = 16;
// What a group's own code costs, in bits: its table and block framing.
constexpr double kGroupCostBits = 8 * 48;

using SymbolHistogram = std::array<std::uint32_t, kSymbolCount>;

struct DeltaScratch {
    // Per element: the base exponent, the distance, and 2 * neg + flip.
    Buffer exponents;
    std::vector<std::uint32_t, DefaultInitAllocator<std::uint32_t>> distances;
    Buffer signs;
    Buffer symbols;
    std::array<Buffer, kMaxGroups> groups;
    Buffer low;
    Buffer escapes;
    std::vector<std::uint32_t> histograms;  // per exponent present, kSymbolCount each
};

DeltaScratch& delta_scratch() {
    thread_local DeltaScratch s;
    return s;
}

double coded_bits(const SymbolHistogram& h) {
    double total = 0;
    double sum_clogc = 0;
    for (const std::uint32_t c : h) {
        if (c == 0) continue;
        total += c;
        sum_clogc += c * std::log2(static_cast<double>(c));
    }
    return total == 0 ? 0 : total * std::log2(total) - sum_clogc;
}

// The first exponent of each group after the first, chosen by dynamic programming over
// bins of adjacent exponents to minimise entropy plus table costs.
std::vector<unsigned> cut_groups(const std::vector<std::uint32_t>& hist, unsigned first,
                                 unsigned last, std::size_t n) {
    // Bins: runs of exponents with at least n / kBins elements (the last may hold fewer).
    std::vector<unsigned> bin_start;
    std::vector<SymbolHistogram> bins;
    std::uint64_t in_bin = 0;
    for (unsigned e = first; e <= last; ++e) {
        const std::uint32_t* const row = hist.data() + std::size_t{e - first} * kSymbolCount;
        std::uint64_t count = 0;
        for (unsigned s = 0; s < kSymbolCount; ++s) count += row[s];
        if (count == 0) continue;
        if (bins.empty() || in_bin >= n / kBins) {
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
            cost[i * (m + 1) + j] = coded_bits(acc) + kGroupCostBits;
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

template <class T>
constexpr T magnitude_mask() noexcept {
    return static_cast<T>(static_cast<T>(~T{0}) >> 1);
}

// Per element: the base exponent, |x| - |b| as a distance, and 2 * neg + flip. No table
// look-ups and no branches, so the compiler vectorises it. Magnitudes are below 2^31, so
// their difference fits an int32.
template <class T, unsigned m>
void split_elements(const std::uint8_t* x, const std::uint8_t* b, std::size_t n,
                    std::uint8_t* exponents, std::uint32_t* distances, std::uint8_t* signs) {
    constexpr T magnitude = magnitude_mask<T>();
    constexpr unsigned w = 8 * sizeof(T);
    for (std::size_t i = 0; i < n; ++i) {
        const T xv = load_le<T>(x + i * sizeof(T));
        const T bv = load_le<T>(b + i * sizeof(T));
        const auto xm = static_cast<std::int32_t>(xv & magnitude);
        const auto bm = static_cast<std::int32_t>(bv & magnitude);
        const std::int32_t dm = xm - bm;
        const std::int32_t all = dm >> 31;
        exponents[i] = static_cast<std::uint8_t>(bm >> m);
        distances[i] = static_cast<std::uint32_t>((dm ^ all) - all);
        signs[i] = static_cast<std::uint8_t>((all & 2) | ((xv ^ bv) >> (w - 1)));
    }
}

// Per base exponent, the sum of the distances and the element count. Four interleaved
// tables, so runs of one exponent do not wait on each other's stores.
void sum_distances(const std::uint8_t* exponents, const std::uint32_t* distances, std::size_t n,
                   std::uint64_t* sum, std::uint32_t* count) {
    constexpr unsigned kTables = 4;
    std::array<std::array<std::uint64_t, 256>, kTables> sums{};
    std::array<std::array<std::uint32_t, 256>, kTables> counts{};
    std::size_t i = 0;
    for (; i + kTables <= n; i += kTables)
        for (unsigned t = 0; t < kTables; ++t) {
            sums[t][exponents[i + t]] += distances[i + t];
            ++counts[t][exponents[i + t]];
        }
    for (; i < n; ++i) {
        sums[0][exponents[i]] += distances[i];
        ++counts[0][exponents[i]];
    }
    for (unsigned e = 0; e < 256; ++e)
        for (unsigned t = 0; t < kTables; ++t) {
            sum[e] += sums[t][e];
            count[e] += counts[t][e];
        }
}

// The element format is a template argument so that the hot loops shift by constants.
template <class T, unsigned m>
std::size_t encode_elements(const std::uint8_t* x, const std::uint8_t* b, std::size_t n,
                            const ChunkSpec& spec, Buffer& block, ChunkHeader& header) {
    DeltaScratch& s = delta_scratch();
    constexpr unsigned w = 8 * sizeof(T);
    constexpr ElementFormat f{w, m};
    const std::size_t exponents = std::size_t{1} << f.exponent_bits();
    s.exponents.resize(n);
    s.distances.resize(n);
    s.signs.resize(n);
    const std::uint8_t* const exponent_of = s.exponents.data();
    const std::uint32_t* const distance_of = s.distances.data();
    const std::uint8_t* const signs_of = s.signs.data();
    split_elements<T, m>(x, b, n, s.exponents.data(), s.distances.data(), s.signs.data());

    // 1. The shift per base exponent: floor(log2) of the mean distance.
    std::array<std::uint64_t, 256> sum{};
    std::array<std::uint32_t, 256> count{};
    sum_distances(exponent_of, distance_of, n, sum.data(), count.data());
    unsigned first = static_cast<unsigned>(exponents), last = 0;
    std::array<std::uint8_t, 256> shift{};
    std::array<std::uint32_t, 256> low_mask{};
    for (unsigned e = 0; e < exponents; ++e) {
        if (count[e] == 0) continue;
        first = std::min(first, e);
        last = e;
        const std::uint64_t mean = sum[e] / count[e];
        const unsigned bits = mean == 0 ? 0 : 64 - static_cast<unsigned>(__builtin_clzll(mean));
        shift[e] = static_cast<std::uint8_t>(std::min(bits == 0 ? 0 : bits - 1, f.max_shift()));
        low_mask[e] = (std::uint32_t{1} << shift[e]) - 1;
    }

    // 2. Symbols, low bits and escapes, and a symbol histogram per exponent (of the
    // exponents present only).
    const std::size_t span = last - first + 1;
    s.symbols.resize(n);
    s.histograms.assign(span * kSymbolCount, 0);
    std::array<std::uint32_t, 256> row{};
    for (unsigned e = first; e <= last; ++e) row[e] = (e - first) * kSymbolCount;
    std::uint64_t low_bits = 0;
    for (unsigned e = first; e <= last; ++e) low_bits += std::uint64_t{count[e]} * shift[e];
    BitWriter low(s.low, low_bits);
    BitWriter escapes(s.escapes, std::uint64_t{n} * (w - 1));
    {
        std::uint8_t* const symbols = s.symbols.data();
        std::uint32_t* const hist = s.histograms.data();
        // One element's symbol and histogram count, and its escape; returns its low bits.
        const auto code = [&](std::size_t i, unsigned& r) {
            const unsigned e = exponent_of[i];
            r = shift[e];
            const std::uint32_t u = distance_of[i];
            std::uint32_t hi = u >> r;
            if (hi >= kEscapeHi) [[unlikely]] {
                escapes.put(hi, w - 1);
                hi = kEscapeHi;
            }
            const unsigned symbol = 4 * hi + signs_of[i];
            symbols[i] = static_cast<std::uint8_t>(symbol);
            ++hist[row[e] + symbol];
            return u & low_mask[e];
        };
        std::size_t i = 0;
        if constexpr (w == 16) {
            // Shifts are at most 14 bits here: two elements' low bits go in one put.
            for (; i + 2 <= n; i += 2) {
                unsigned r0 = 0, r1 = 0;
                const std::uint32_t low0 = code(i, r0);
                const std::uint32_t low1 = code(i + 1, r1);
                low.put(low0 | (std::uint64_t{low1} << r0), r0 + r1);
            }
        }
        for (; i < n; ++i) {
            unsigned r = 0;
            const std::uint32_t bits = code(i, r);
            low.put(bits, r);
        }
    }
    const std::size_t low_size = low.finish();
    const std::size_t escape_size = escapes.finish();

    // 3. Groups, and each group's symbols gathered into its plane.
    const std::vector<unsigned> cuts = cut_groups(s.histograms, first, last, n);
    const auto groups = static_cast<unsigned>(cuts.size() + 1);
    std::array<std::uint8_t, 256> group_of{};
    for (unsigned e = first, g = 0; e <= last; ++e) {
        if (g < cuts.size() && e == cuts[g]) ++g;
        group_of[e] = static_cast<std::uint8_t>(g);
    }
    std::array<std::size_t, kMaxGroups> group_size{};
    for (unsigned e = first; e <= last; ++e) group_size[group_of[e]] += count[e];
    std::array<const std::uint8_t*, kMaxGroups> plane{};
    if (groups == 1) {
        plane[0] = s.symbols.data();
    } else {
        // The split kernel may write 8 bytes past a group's last symbol.
        std::array<std::uint8_t*, kMaxGroups> to{};
        std::array<std::uint8_t, kMaxGroups> cut_bytes{};
        for (unsigned g = 0; g < groups; ++g) {
            s.groups[g].resize(group_size[g] + 8);
            to[g] = s.groups[g].data();
            plane[g] = to[g];
        }
        for (std::size_t c = 0; c < cuts.size(); ++c)
            cut_bytes[c] = static_cast<std::uint8_t>(cuts[c]);
        simd::kernels().split_groups(exponent_of, cut_bytes.data(), groups, s.symbols.data(), n,
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
    block.resize(capacity);
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
    for (unsigned g = 0; g < groups; ++g) {
        const CodedPlane coded = encode_plane({plane[g], group_size[g]}, plane_spec, Layout::fp32,
                                              nullptr, 0.0, block.data() + pos);
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

}  // namespace

std::uint64_t encode_delta_chunk(std::span<const std::uint8_t> raw,
                                 std::span<const std::uint8_t> base, const ChunkSpec& spec,
                                 const DeltaRef& ref, Buffer& block) {
    ChunkHeader header;
    header.delta = true;
    header.layout = spec.layout;
    header.raw_size = raw.size();
    header.checksum = checksum_bytes(raw);
    header.base_tensor = ref.base_tensor;
    header.base_offset = ref.base_offset;
    std::size_t size = 0;
    switch (element_format(spec.layout).mantissa_bits) {
        case element_format(Layout::fp16).mantissa_bits:
            size = encode_elements<std::uint16_t, element_format(Layout::fp16).mantissa_bits>(
                raw.data(), base.data(), raw.size() / 2, spec, block, header);
            break;
        case element_format(Layout::fp32).mantissa_bits:
            size = encode_elements<std::uint32_t, element_format(Layout::fp32).mantissa_bits>(
                raw.data(), base.data(), raw.size() / 4, spec, block, header);
            break;
        default:
            size = encode_elements<std::uint16_t, element_format(Layout::bf16).mantissa_bits>(
                raw.data(), base.data(), raw.size() / 2, spec, block, header);
    }
    if (static_cast<double>(size) > kTryPlainShare * static_cast<double>(raw.size()) &&
        estimate_chunk_size(raw, spec) < size)
        return encode_chunk(raw, spec, block);
    return header.checksum;
}

}  // namespace znn
