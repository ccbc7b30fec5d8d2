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
        previous = cut;
    }
    return t;
}

struct DecodeScratch {
    std::array<Buffer, kMaxGroups> groups;
    Buffer low;
    Buffer escapes;
};

// Per base exponent, how many elements of the chunk have it. Four interleaved tables, so
// runs of one exponent do not wait on each other's stores.
template <class T>
std::array<std::uint32_t, 256> count_exponents(const std::uint8_t* b, std::size_t n, unsigned m,
                                               T magnitude) {
    constexpr unsigned kTables = 4;
    std::array<std::array<std::uint32_t, 256>, kTables> counts{};
    const auto exponent = [&](std::size_t i) {
        return (load_le<T>(b + i * sizeof(T)) & magnitude) >> m;
    };
    std::size_t i = 0;
    for (; i + kTables <= n; i += kTables)
        for (unsigned t = 0; t < kTables; ++t) ++counts[t][exponent(i + t)];
    for (; i < n; ++i) ++counts[0][exponent(i)];
    for (unsigned t = 1; t < kTables; ++t)
        for (unsigned e = 0; e < 256; ++e) counts[0][e] += counts[t][e];
    return counts[0];
}

// The element format is a template argument so that the hot loop shifts by constants.
template <class T, unsigned m>
void decode_elements(std::span<const std::uint8_t> payload, const ChunkHeader& header,
                     const std::uint8_t* b, std::uint8_t* out, std::size_t n) {
    thread_local DecodeScratch s;
    constexpr unsigned w = 8 * sizeof(T);
    constexpr ElementFormat f{w, m};
    constexpr T magnitude = static_cast<T>((std::uint64_t{1} << (w - 1)) - 1);
    constexpr T sign = static_cast<T>(~magnitude);

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
    const std::array<std::uint32_t, 256> count = count_exponents<T>(b, n, m, magnitude);
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
        Buffer& plane = s.groups[g];
        plane.resize(group_size[g]);
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

    // Per exponent: its shift, the mask of that many bits, and where its group's next
    // slot sits in `next` (a 16-bit field per group, so consecutive elements of a group do
    // not wait on each other through memory; hence blocks of under 2^16 elements).
    std::array<std::uint64_t, 256> low_mask{};
    std::array<std::uint8_t, 256> field{};
    for (unsigned e = t.first; e <= t.last; ++e) {
        low_mask[e] = (std::uint64_t{1} << t.shift[e]) - 1;
        field[e] = static_cast<std::uint8_t>(16 * t.group_of[e]);
    }
    BitReader low(parts[low_part], s.low);
    BitReader escape(parts[escape_part], s.escapes);
    constexpr std::size_t kBlock = 0xFFFF;
    for (std::size_t start = 0; start < n; start += kBlock) {
        const std::size_t end = std::min(n, start + kBlock);
        std::uint64_t next = 0;
        for (std::size_t i = start; i < end; ++i) {
            const T bv = load_le<T>(b + i * sizeof(T));
            const unsigned e = (bv & magnitude) >> m;
            const unsigned at = field[e];
            const unsigned symbol = from[at >> 4][(next >> at) & 0xFFFF];
            next += std::uint64_t{1} << at;
            std::uint64_t hi = symbol >> 2;
            if (hi == kEscapeHi) [[unlikely]]
                hi = escape.get(w - 1);
            const std::uint64_t u = (hi << t.shift[e]) | low.get(t.shift[e], low_mask[e]);
            const std::uint64_t neg = 0 - std::uint64_t{(symbol >> 1) & 1};
            const std::uint64_t d = (u ^ neg) - neg;
            const auto value = static_cast<T>(((bv & magnitude) + d) & magnitude);
            store_le<T>(
                out + i * sizeof(T),
                static_cast<T>(value | ((bv ^ static_cast<T>(T(symbol & 1) << (w - 1))) & sign)));
        }
        for (unsigned g = 0; g < kMaxGroups; ++g) from[g] += (next >> (16 * g)) & 0xFFFF;
    }
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
