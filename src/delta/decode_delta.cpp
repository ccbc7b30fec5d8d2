// Decoding a delta chunk: the table, the group planes, then one pass over the elements that
// takes each element's symbol from its group's plane and adds the delta to the base.
// Every size is checked against what the table and the base imply before the pass, so the
// pass reads nothing out of bounds; a wrong base or corrupt payload fails the checksum.
#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "codec/plane_coder.hpp"
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
};

template <class T>
void decode_elements(std::span<const std::uint8_t> payload, const ChunkHeader& header, const T* b,
                     T* out, std::size_t n, const ElementFormat f) {
    thread_local DecodeScratch s;
    const unsigned w = f.width_bits;
    const T magnitude = static_cast<T>((std::uint64_t{1} << (w - 1)) - 1);
    const T sign = static_cast<T>(~magnitude);
    const unsigned m = f.mantissa_bits;

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
    std::array<std::size_t, kMaxGroups> group_size{};
    std::uint64_t low_bits = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const unsigned e = (b[i] & magnitude) >> m;
        if (e < t.first || e > t.last) corrupt("base exponent outside the table: wrong base?");
        ++group_size[t.group_of[e]];
        low_bits += t.shift[e];
    }
    if (parts[low_part].size() != (low_bits + 7) / 8) corrupt("low bits size");
    std::uint64_t escapes = 0;
    std::array<const std::uint8_t*, kMaxGroups> from{};
    for (unsigned g = 0; g < t.groups; ++g) {
        Buffer& plane = s.groups[g];
        plane.resize(group_size[g]);
        decode_plane(header.codecs[kFirstGroupPart + g], parts[kFirstGroupPart + g], plane);
        for (const std::uint8_t symbol : plane) {
            if (symbol >= kSymbolCount) corrupt("symbol");
            escapes += (symbol >> 2) == kEscapeHi;
        }
        from[g] = plane.data();
    }
    if (parts[escape_part].size() != (escapes * (w - 1) + 7) / 8) corrupt("escapes size");

    BitReader low(parts[low_part]);
    BitReader escape(parts[escape_part]);
    for (std::size_t i = 0; i < n; ++i) {
        const T bv = b[i];
        const unsigned e = (bv & magnitude) >> m;
        const unsigned r = t.shift[e];
        const unsigned symbol = *from[t.group_of[e]]++;
        std::uint64_t hi = symbol >> 2;
        if (hi == kEscapeHi) hi = escape.get(w - 1);
        const std::uint64_t u = (hi << r) | low.get(r);
        const std::uint64_t d = (symbol & 2) != 0 ? 0 - u : u;
        const auto value = static_cast<T>(((bv & magnitude) + d) & magnitude);
        out[i] = static_cast<T>(value | ((bv ^ static_cast<T>(T(symbol & 1) << (w - 1))) & sign));
    }
}

}  // namespace

void decode_delta_payload(std::span<const std::uint8_t> payload, const ChunkHeader& header,
                          std::span<const std::uint8_t> base, std::span<std::uint8_t> out) {
    if (base.size() != header.raw_size || out.size() != header.raw_size)
        throw FormatError("delta chunk and base tensor sizes differ");
    const ElementFormat f = element_format(header.layout);
    if (f.width_bits == 16) {
        const std::size_t n = out.size() / 2;
        std::vector<std::uint16_t> b(n), x(n);
        std::memcpy(b.data(), base.data(), 2 * n);
        decode_elements<std::uint16_t>(payload, header, b.data(), x.data(), n, f);
        std::memcpy(out.data(), x.data(), 2 * n);
    } else {
        const std::size_t n = out.size() / 4;
        std::vector<std::uint32_t> b(n), x(n);
        std::memcpy(b.data(), base.data(), 4 * n);
        decode_elements<std::uint32_t>(payload, header, b.data(), x.data(), n, f);
        std::memcpy(out.data(), x.data(), 4 * n);
    }
    if (checksum_bytes(out) != header.checksum)
        throw FormatError("checksum mismatch: corrupt delta chunk or wrong base");
}

}  // namespace znn
