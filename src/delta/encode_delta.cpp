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
    Buffer symbols;
    std::array<Buffer, kMaxGroups> groups;
    Buffer low;
    Buffer escapes;
    std::vector<SymbolHistogram> histograms;
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
std::vector<unsigned> cut_groups(const std::vector<SymbolHistogram>& hist, unsigned first,
                                 unsigned last, std::size_t n) {
    // Bins: runs of exponents with at least n / kBins elements (the last may hold fewer).
    std::vector<unsigned> bin_start;
    std::vector<SymbolHistogram> bins;
    std::uint64_t in_bin = 0;
    for (unsigned e = first; e <= last; ++e) {
        std::uint64_t count = 0;
        for (const std::uint32_t c : hist[e]) count += c;
        if (count == 0) continue;
        if (bins.empty() || in_bin >= n / kBins) {
            bins.push_back({});
            bin_start.push_back(e);
            in_bin = 0;
        }
        for (unsigned s = 0; s < kSymbolCount; ++s) bins.back()[s] += hist[e][s];
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
std::size_t encode_elements(const T* x, const T* b, std::size_t n, const ElementFormat f,
                            const ChunkSpec& spec, Buffer& block, ChunkHeader& header) {
    DeltaScratch& s = delta_scratch();
    const unsigned w = f.width_bits;
    const T magnitude = static_cast<T>((std::uint64_t{1} << (w - 1)) - 1);
    const unsigned m = f.mantissa_bits;
    const std::size_t exponents = std::size_t{1} << f.exponent_bits();
    const auto exponent = [&](T v) { return static_cast<unsigned>((v & magnitude) >> m); };
    // Branch-free: the sign of a difference is as random as a coin.
    const auto distance = [&](T xv, T bv, bool& neg) {
        const std::int64_t dm =
            static_cast<std::int64_t>(xv & magnitude) - static_cast<std::int64_t>(bv & magnitude);
        const std::int64_t all = dm >> 63;
        neg = all != 0;
        return static_cast<std::uint64_t>((dm ^ all) - all);
    };

    // 1. The shift per base exponent: floor(log2) of the mean distance.
    std::vector<std::uint64_t> sum(exponents, 0);
    std::vector<std::uint32_t> count(exponents, 0);
    for (std::size_t i = 0; i < n; ++i) {
        bool neg = false;
        const unsigned e = exponent(b[i]);
        sum[e] += distance(x[i], b[i], neg);
        ++count[e];
    }
    unsigned first = static_cast<unsigned>(exponents), last = 0;
    std::array<std::uint8_t, 256> shift{};
    for (unsigned e = 0; e < exponents; ++e) {
        if (count[e] == 0) continue;
        first = std::min(first, e);
        last = e;
        const std::uint64_t mean = sum[e] / count[e];
        const unsigned bits = mean == 0 ? 0 : 64 - static_cast<unsigned>(__builtin_clzll(mean));
        shift[e] = static_cast<std::uint8_t>(std::min(bits == 0 ? 0 : bits - 1, f.max_shift()));
    }

    // 2. Symbols, low bits and escapes, and a symbol histogram per exponent.
    s.symbols.resize(n);
    s.histograms.assign(exponents, SymbolHistogram{});
    std::uint64_t low_bits = 0;
    for (unsigned e = first; e <= last; ++e) low_bits += std::uint64_t{count[e]} * shift[e];
    BitWriter low(s.low, low_bits);
    BitWriter escapes(s.escapes, std::uint64_t{n} * (w - 1));
    for (std::size_t i = 0; i < n; ++i) {
        bool neg = false;
        const std::uint64_t u = distance(x[i], b[i], neg);
        const unsigned e = exponent(b[i]);
        const unsigned r = shift[e];
        std::uint64_t hi = u >> r;
        low.put(u & ((std::uint64_t{1} << r) - 1), r);
        if (hi >= kEscapeHi) {
            escapes.put(hi, w - 1);
            hi = kEscapeHi;
        }
        const auto symbol =
            static_cast<std::uint8_t>(4 * hi + 2 * neg + ((x[i] ^ b[i]) >> (w - 1)));
        s.symbols[i] = symbol;
        ++s.histograms[e][symbol];
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
    std::array<std::uint8_t*, kMaxGroups> to{};
    for (unsigned g = 0; g < groups; ++g) {
        s.groups[g].resize(group_size[g]);
        to[g] = s.groups[g].data();
    }
    for (std::size_t i = 0; i < n; ++i) *to[group_of[exponent(b[i])]]++ = s.symbols[i];

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
        const CodedPlane coded = encode_plane({s.groups[g].data(), group_size[g]}, plane_spec,
                                              Layout::fp32, nullptr, 0.0, block.data() + pos);
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
    const ElementFormat f = element_format(spec.layout);
    std::size_t size = 0;
    if (f.width_bits == 16) {
        const std::size_t n = raw.size() / 2;
        std::vector<std::uint16_t> x(n), b(n);
        std::memcpy(x.data(), raw.data(), 2 * n);
        std::memcpy(b.data(), base.data(), 2 * n);
        size = encode_elements<std::uint16_t>(x.data(), b.data(), n, f, spec, block, header);
    } else {
        const std::size_t n = raw.size() / 4;
        std::vector<std::uint32_t> x(n), b(n);
        std::memcpy(x.data(), raw.data(), 4 * n);
        std::memcpy(b.data(), base.data(), 4 * n);
        size = encode_elements<std::uint32_t>(x.data(), b.data(), n, f, spec, block, header);
    }
    if (static_cast<double>(size) > kTryPlainShare * static_cast<double>(raw.size()) &&
        estimate_chunk_size(raw, spec) < size)
        return encode_chunk(raw, spec, block);
    return header.checksum;
}

}  // namespace znn
