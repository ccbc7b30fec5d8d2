// Decoding a delta chunk: the table, the group planes, then one pass over the elements that
// takes each element's symbol from its group's plane and adds the delta to the base.
// Every size is checked against what the table and the base imply before the pass, so the
// pass reads nothing out of bounds; a wrong base or corrupt payload fails the checksum.
#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "codec/plane_coder.hpp"
#include "common/bytes_io.hpp"
#include "delta/bit_streams.hpp"
#include "delta/delta_codec.hpp"
#include "delta/delta_format.hpp"
#include "format/checksum.hpp"
#include "simd/kernels.hpp"
#include "znn/errors.hpp"

namespace znn {

namespace {

using namespace delta;

struct Table {
    unsigned first = 0;
    unsigned last = 0;
    std::array<std::uint8_t, 256> shift{};
    std::array<std::uint8_t, 256> group_of{};
    unsigned groups = 0;
    std::array<std::uint8_t, kMaxGroups> cuts{};  // the first exponent of groups 1 and up
};

[[noreturn]] void corrupt(const char* what) {
    throw FormatError(std::string("corrupt delta chunk (") + what + ")");
}

Table parse_table(std::span<const std::uint8_t> bytes, const ElementFormat f) {
    Table t;
    const std::size_t exponents = std::size_t{1} << f.exponent_bits();
    if (bytes.size() < 3) corrupt("table");
    t.first = bytes[0];
    t.last = bytes[1];
    if (t.first > t.last || t.last >= exponents) corrupt("exponent range");
    const std::size_t span = t.last - t.first + 1;
    if (bytes.size() < 2 + span + 1) corrupt("table");
    for (std::size_t i = 0; i < span; ++i) {
        if (bytes[2 + i] > f.max_shift()) corrupt("shift");
        t.shift[t.first + i] = bytes[2 + i];
    }
    t.groups = bytes[2 + span];
    if (t.groups < 1 || t.groups > kMaxGroups || bytes.size() != 2 + span + 1 + t.groups - 1)
        corrupt("groups");
    unsigned g = 0, previous = t.first;
    for (unsigned e = t.first; e <= t.last; ++e) {
        if (g + 1 < t.groups && e == bytes[3 + span + g]) ++g;
        t.group_of[e] = static_cast<std::uint8_t>(g);
    }
    for (unsigned k = 0; k + 1 < t.groups; ++k) {  // cuts strictly increasing inside the range
        const unsigned cut = bytes[3 + span + k];
        if (cut <= previous || cut > t.last) corrupt("group cut");
        t.cuts[k] = static_cast<std::uint8_t>(cut);
        previous = cut;
    }
    return t;
}

struct DecodeScratch {
    std::array<Buffer, kMaxGroups> groups;
    Buffer low;
    Buffer escapes;
    Buffer exponents;  // per element: its base exponent
    Buffer symbols;    // per element: its symbol
    std::vector<std::uint32_t, DefaultInitAllocator<std::uint32_t>> distances;  // |x| - |b|
};

// Per element, its base exponent (a loop the compiler vectorises), and per exponent, how
// many elements have it (four interleaved tables, so runs of one exponent do not wait on
// each other's stores).
template <class T, unsigned m>
std::array<std::uint32_t, 256> count_exponents(const std::uint8_t* b, std::size_t n,
                                               std::uint8_t* exponents) {
    constexpr T magnitude = static_cast<T>(static_cast<T>(~T{0}) >> 1);
    for (std::size_t i = 0; i < n; ++i)
        exponents[i] = static_cast<std::uint8_t>((load_le<T>(b + i * sizeof(T)) & magnitude) >> m);
    constexpr unsigned kTables = 4;
    std::array<std::array<std::uint32_t, 256>, kTables> counts{};
    std::size_t i = 0;
    for (; i + kTables <= n; i += kTables)
        for (unsigned t = 0; t < kTables; ++t) ++counts[t][exponents[i + t]];
    for (; i < n; ++i) ++counts[0][exponents[i]];
    for (unsigned t = 1; t < kTables; ++t)
        for (unsigned e = 0; e < 256; ++e) counts[0][e] += counts[t][e];
    return counts[0];
}

// out = base with the distance applied to its magnitude and the sign flipped as the
// symbol says. No table look-ups and no branches, so the compiler vectorises it; the sum
// wraps modulo 2^32 and is masked, as the format's arithmetic is modulo 2^(W-1).
template <class T>
void apply_distances(const std::uint8_t* b, const std::uint32_t* distances,
                     const std::uint8_t* symbols, std::size_t n, std::uint8_t* out) {
    constexpr unsigned w = 8 * sizeof(T);
    constexpr std::uint32_t magnitude = (std::uint32_t{1} << (w - 1)) - 1;
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t bv = load_le<T>(b + i * sizeof(T));
        const std::uint32_t symbol = symbols[i];
        const std::uint32_t neg = 0 - ((symbol >> 1) & 1);
        const std::uint32_t d = (distances[i] ^ neg) - neg;
        const std::uint32_t value = ((bv & magnitude) + d) & magnitude;
        store_le<T>(out + i * sizeof(T),
                    static_cast<T>(value | ((bv ^ (symbol << (w - 1))) & ~magnitude)));
    }
}

// The element format is a template argument so that the hot loop shifts by constants.
template <class T, unsigned m>
void decode_elements(std::span<const std::uint8_t> payload, const ChunkHeader& header,
                     const std::uint8_t* b, std::uint8_t* out, std::size_t n) {
    thread_local DecodeScratch s;
    constexpr unsigned w = 8 * sizeof(T);
    constexpr ElementFormat f{w, m};

    std::array<std::span<const std::uint8_t>, kMaxDeltaParts> parts;
    std::size_t pos = 0;
    for (unsigned i = 0; i < header.plane_count; ++i) {
        if (header.sizes[i] > payload.size() - pos) corrupt("part size");
        parts[i] = payload.subspan(pos, header.sizes[i]);
        pos += header.sizes[i];
    }
    if (pos != payload.size()) corrupt("size mismatch");
    if (header.codecs[kTablePart] != PlaneCodec::stored) corrupt("table codec");
    const Table t = parse_table(parts[kTablePart], f);
    if (header.plane_count != t.groups + 3) corrupt("part count");
    const unsigned low_part = kFirstGroupPart + t.groups, escape_part = low_part + 1;
    if (header.codecs[low_part] != PlaneCodec::stored ||
        header.codecs[escape_part] != PlaneCodec::stored)
        corrupt("raw part codec");

    // What the base implies: the elements of each group and the low bits they carry.
    s.exponents.resize(n);
    const std::array<std::uint32_t, 256> count = count_exponents<T, m>(b, n, s.exponents.data());
    std::array<std::size_t, kMaxGroups> group_size{};
    std::uint64_t low_bits = 0;
    for (unsigned e = 0; e < 256; ++e) {
        if (count[e] == 0) continue;
        if (e < t.first || e > t.last) corrupt("base exponent outside the table: wrong base?");
        group_size[t.group_of[e]] += count[e];
        low_bits += std::uint64_t{count[e]} * t.shift[e];
    }
    if (parts[low_part].size() != (low_bits + 7) / 8) corrupt("low bits size");
    std::uint64_t escapes = 0;
    std::array<const std::uint8_t*, kMaxGroups> from{};
    for (unsigned g = 0; g < t.groups; ++g) {
        // The merge kernel may read 8 bytes past a group's last symbol.
        s.groups[g].resize(group_size[g] + 8);
        const std::span<std::uint8_t> plane(s.groups[g].data(), group_size[g]);
        decode_plane(header.codecs[kFirstGroupPart + g], parts[kFirstGroupPart + g], plane);
        unsigned any = 0;
        std::size_t escaped = 0;
        for (const std::uint8_t symbol : plane) {
            any |= symbol;
            escaped += symbol >= 4 * kEscapeHi;
        }
        if (any >= kSymbolCount) corrupt("symbol");
        escapes += escaped;
        from[g] = plane.data();
    }
    if (parts[escape_part].size() != (escapes * (w - 1) + 7) / 8) corrupt("escapes size");

    // Symbols in element order: one group's plane is, several are merged.
    const std::uint8_t* const exponent_of = s.exponents.data();
    const std::uint8_t* symbols = from[0];
    if (t.groups > 1) {
        s.symbols.resize(n);
        simd::kernels().merge_groups(exponent_of, t.cuts.data(), t.groups, from.data(), n,
                                     s.symbols.data());
        symbols = s.symbols.data();
    }

    std::array<std::uint64_t, 256> low_mask{};
    for (unsigned e = t.first; e <= t.last; ++e) low_mask[e] = (std::uint64_t{1} << t.shift[e]) - 1;
    BitReader low(parts[low_part], s.low);
    BitReader escape(parts[escape_part], s.escapes);
    s.distances.resize(n);
    std::uint32_t* const distances = s.distances.data();
    const auto high_part = [&](std::size_t i) {
        std::uint32_t hi = symbols[i] >> 2;
        if (hi == kEscapeHi) [[unlikely]]
            hi = static_cast<std::uint32_t>(escape.get(w - 1));
        return hi;
    };
    std::size_t i = 0;
    if constexpr (w == 16) {
        // Shifts are at most 14 bits here: two elements' low bits come from one read.
        for (; i + 2 <= n; i += 2) {
            const unsigned e0 = exponent_of[i], e1 = exponent_of[i + 1];
            const unsigned r0 = t.shift[e0];
            const std::uint64_t both = low.get(r0 + t.shift[e1], ~std::uint64_t{0});
            const std::uint32_t hi0 = high_part(i);
            const std::uint32_t hi1 = high_part(i + 1);
            distances[i] = (hi0 << r0) | static_cast<std::uint32_t>(both & low_mask[e0]);
            distances[i + 1] =
                (hi1 << t.shift[e1]) | static_cast<std::uint32_t>((both >> r0) & low_mask[e1]);
        }
    }
    for (; i < n; ++i) {
        const unsigned e = exponent_of[i];
        distances[i] = (high_part(i) << t.shift[e]) |
                       static_cast<std::uint32_t>(low.get(t.shift[e], low_mask[e]));
    }
    apply_distances<T>(b, distances, symbols, n, out);
}

}  // namespace

void decode_delta_payload(std::span<const std::uint8_t> payload, const ChunkHeader& header,
                          std::span<const std::uint8_t> base, std::span<std::uint8_t> out) {
    if (base.size() != header.raw_size || out.size() != header.raw_size)
        throw FormatError("delta chunk and base tensor sizes differ");
    switch (element_format(header.layout).mantissa_bits) {
        case element_format(Layout::fp16).mantissa_bits:
            decode_elements<std::uint16_t, element_format(Layout::fp16).mantissa_bits>(
                payload, header, base.data(), out.data(), out.size() / 2);
            break;
        case element_format(Layout::fp32).mantissa_bits:
            decode_elements<std::uint32_t, element_format(Layout::fp32).mantissa_bits>(
                payload, header, base.data(), out.data(), out.size() / 4);
            break;
        default:
            decode_elements<std::uint16_t, element_format(Layout::bf16).mantissa_bits>(
                payload, header, base.data(), out.data(), out.size() / 2);
    }
    if (checksum_bytes(out) != header.checksum)
        throw FormatError("checksum mismatch: corrupt delta chunk or wrong base");
}

}  // namespace znn
