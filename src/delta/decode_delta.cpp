// Decoding a delta chunk: the table, the group planes, then one pass over the elements that
// takes each element's symbol from its group's plane and adds the delta to the base.
// Every size is checked against what the table and the base imply before the pass, so the
// pass reads nothing out of bounds; a wrong base or corrupt payload fails the checksum.
#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "codec/plane_coder.hpp"
#include "common/bit_fields.hpp"
#include "common/bytes_io.hpp"
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
    unsigned previous = t.first;
    for (unsigned k = 0; k + 1 < t.groups; ++k) {  // cuts strictly increasing inside the range
        const unsigned cut = bytes[3 + span + k];
        if (cut <= previous || cut > t.last) corrupt("group cut");
        t.cuts[k] = static_cast<std::uint8_t>(cut);
        previous = cut;
    }
    return t;
}

struct DecodeScratch {
    Buffer groups;  // the group planes, each followed by kGroupSlack bytes
    Buffer low;
    Buffer escapes;
    Buffer exponents;  // per element: its base exponent
    Buffer symbols;    // per element: its symbol
};

template <class T>
void decode_elements(std::span<const std::uint8_t> payload, const ChunkHeader& header,
                     const std::uint8_t* b, std::uint8_t* out, std::size_t n) {
    thread_local DecodeScratch s;
    const simd::Kernels& kernels = simd::kernels();
    constexpr unsigned w = 8 * sizeof(T);
    const simd::DeltaKernels& passes = kernels.delta(sizeof(T));
    const ElementFormat f = element_format(header.layout);

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
    const simd::DeltaFormat format{f.mantissa_bits, t.shift.data()};
    resize_discarding(s.exponents, n);
    simd::DeltaCensus census;
    passes.census(b, n, format, t.cuts.data(), t.groups, s.exponents.data(), census);
    if (n != 0 && (census.min_exponent < t.first || census.max_exponent > t.last))
        corrupt("base exponent outside the table: wrong base?");
    if (parts[low_part].size() != (census.low_bits + 7) / 8) corrupt("low bits size");
    std::uint64_t escapes = 0;
    std::array<const std::uint8_t*, kMaxGroups> from{};
    // The planes in turn in one buffer, so its pages are those of one chunk's symbols.
    resize_discarding(s.groups, n + t.groups * simd::kGroupSlack);
    std::size_t at = 0;
    for (unsigned g = 0; g < t.groups; ++g) {
        const std::size_t size = census.group_size[g];
        const std::span<std::uint8_t> plane(s.groups.data() + at, size);
        at += size + simd::kGroupSlack;
        decode_plane(header.codecs[kFirstGroupPart + g], parts[kFirstGroupPart + g], plane);
        // Symbols in range, and escapes counted, in blocks of byte lanes the compiler
        // vectorises (a plane may hold no more than 255 escapes a lane per block).
        std::uint8_t any = 0;
        std::size_t escaped = 0;
        constexpr std::size_t kLanes = 64;
        std::size_t i = 0;
        for (; i + 255 * kLanes <= size; i += 255 * kLanes) {
            std::array<std::uint8_t, kLanes> count{};
            for (std::size_t j = 0; j < 255 * kLanes; j += kLanes)
                for (std::size_t l = 0; l < kLanes; ++l) {
                    const std::uint8_t symbol = plane[i + j + l];
                    any |= symbol;
                    count[l] = static_cast<std::uint8_t>(count[l] + (symbol >= 4 * kEscapeHi));
                }
            for (const std::uint8_t c : count) escaped += c;
        }
        for (; i < size; ++i) {
            any |= plane[i];
            escaped += plane[i] >= 4 * kEscapeHi;
        }
        if (any >= kSymbolCount) corrupt("symbol");
        escapes += escaped;
        from[g] = plane.data();
    }
    if (parts[escape_part].size() != (escapes * (w - 1) + 7) / 8) corrupt("escapes size");

    // Symbols in element order: one group's plane is, several are merged.
    const std::uint8_t* symbols = from[0];
    if (t.groups > 1) {
        resize_discarding(s.symbols, n);
        kernels.merge_groups(s.exponents.data(), t.cuts.data(), t.groups, from.data(), n,
                             s.symbols.data());
        symbols = s.symbols.data();
    }
    BitFieldReader low(parts[low_part], s.low);
    BitFieldReader escape(parts[escape_part], s.escapes);
    passes.decode(b, symbols, n, format, low, escape, out);
}

}  // namespace

void decode_delta_payload(std::span<const std::uint8_t> payload, const ChunkHeader& header,
                          std::span<const std::uint8_t> base, std::span<std::uint8_t> out) {
    if (base.size() != header.raw_size || out.size() != header.raw_size)
        throw FormatError("delta chunk and base tensor sizes differ");
    if (element_format(header.layout).width_bits == 32)
        decode_elements<std::uint32_t>(payload, header, base.data(), out.data(), out.size() / 4);
    else
        decode_elements<std::uint16_t>(payload, header, base.data(), out.data(), out.size() / 2);
    if (checksum_bytes(out) != header.checksum)
        throw FormatError("checksum mismatch: corrupt delta chunk or wrong base");
}

}  // namespace znn
