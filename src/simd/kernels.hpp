// The byte-shuffling kernels behind splitting and joining planes, the sampled statistics'
// membership scans, the chunk checksum and delta coding's element passes, as one table of
// function pointers per instruction-set level.
//
// Each level lives in a translation unit of its own (kernels_<level>.cpp), compiled with
// that level's -m flags, so no other code is ever built for a CPU feature it may lack.
// kernels_scalar.cpp is the reference: every other level must give the same bytes for the
// same input (tests/test_simd.cpp checks each level the host can run against it). A level
// specialises only the kernels it speeds up and takes the others from the level below;
// its vector loops hand their tails to the level below as well.
//
// kernels() picks the table once, from the CPU's features: the highest level it has, or
// the one named by the environment variable ZNN_FORCE_ISA (scalar, sse2, ssse3, avx2, avx512) if
// the CPU has it. A name it does not know, or a level the CPU lacks, is reported on stderr
// and then ignored (the best level the CPU has is used), so a script that sets it for one
// machine still runs on another. Callers hold no CPU checks of their own: they call through
// the table once per chunk or plane, never per element.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/bit_fields.hpp"

namespace znn::simd {

// avx512: AVX-512 F, BW, VL, VBMI and VBMI2 (byte permutes, compress and expand).
enum class Isa : std::uint8_t { scalar, sse2, ssse3, avx2, avx512 };
inline constexpr std::array<Isa, 5> kIsas = {Isa::scalar, Isa::sse2, Isa::ssse3, Isa::avx2,
                                             Isa::avx512};

// "scalar", "sse2", "ssse3", "avx2" or "avx512": the names ZNN_FORCE_ISA takes.
std::string_view isa_name(Isa isa) noexcept;

// Bytes that k elements' 7-bit parts pack into (bf16x's plane 1), and k signs (fp8's).
constexpr std::size_t packed7_size(std::size_t elements) noexcept {
    return (7 * elements + 7) / 8;
}
constexpr std::size_t packed_signs_size(std::size_t elements) noexcept {
    return (elements + 7) / 8;
}

// A set of byte values in the form a byte shuffle can look up: for low nibble l,
// rows_low[l] has bit h set when the byte h << 4 | l is in the set (h < 8), rows_high[l]
// the same for h - 8.
struct ByteSet {
    std::array<std::uint8_t, 16> rows_low{};
    std::array<std::uint8_t, 16> rows_high{};

    void add(unsigned s) noexcept {
        auto& rows = s < 128 ? rows_low : rows_high;
        rows[s & 15] = static_cast<std::uint8_t>(rows[s & 15] | (1u << ((s >> 4) & 7)));
    }
    bool contains(unsigned s) const noexcept {
        const auto& rows = s < 128 ? rows_low : rows_high;
        return ((rows[s & 15] >> ((s >> 4) & 7)) & 1) != 0;
    }
};

// Delta coding's element passes (delta/delta_codec.hpp has the why). Per element x against
// its base element b, W bits wide with M mantissa bits:
//   e = exponent of b = (b & magnitude) >> M; r = shift[e]
//   dm = (x & magnitude) - (b & magnitude); u = |dm|; neg = dm < 0; flip = sign(x ^ b)
//   symbol = 4 * min(u >> r, kDeltaEscapeHi) + 2 * neg + flip; when u >> r reaches
//   kDeltaEscapeHi, u >> r goes to the escapes as a W - 1 bit field; u's low r bits go to
//   the low bits as an r-bit field.
inline constexpr unsigned kDeltaEscapeHi = 15;

// Bytes past each exponent group's plane that split_groups may write and merge_groups read.
inline constexpr std::size_t kGroupSlack = 64;

struct DeltaFormat {
    unsigned mantissa_bits = 7;           // M: 7 (bf16), 10 (fp16), 23 (fp32)
    const std::uint8_t* shift = nullptr;  // r per base exponent: 256 entries, each <= W - 2
};

// What a chunk's base implies before its delta is decoded: the low bits it carries, the
// elements of each exponent group, and the exponents' range.
struct DeltaCensus {
    std::uint64_t low_bits = 0;
    std::array<std::uint64_t, 4> group_size{};
    unsigned min_exponent = 255;
    unsigned max_exponent = 0;
};

// Delta element passes for one element width (see DeltaFormat). census writes every
// element's base exponent to exponents[k] and adds to c (groups as for split_groups, at
// most 4). encode writes symbols[k] and the fields; decode reads them back and writes the
// elements. The caller makes sure `low` and `escapes` hold every field decode asks for.
struct DeltaKernels {
    void (*census)(const std::uint8_t* b, std::size_t k, const DeltaFormat& f,
                   const std::uint8_t* cuts, unsigned groups, std::uint8_t* exponents,
                   DeltaCensus& c) noexcept = nullptr;
    void (*encode)(const std::uint8_t* x, const std::uint8_t* b, std::size_t k,
                   const DeltaFormat& f, std::uint8_t* symbols, BitFieldWriter& low,
                   BitFieldWriter& escapes) noexcept = nullptr;
    void (*decode)(const std::uint8_t* b, const std::uint8_t* symbols, std::size_t k,
                   const DeltaFormat& f, BitFieldReader& low, BitFieldReader& escapes,
                   std::uint8_t* out) noexcept = nullptr;
};

// The kernels. k counts elements; every output holds exactly what its comment says, so
// the bytes never depend on the level.
struct Kernels {
    Isa isa = Isa::scalar;

    // BF16 s|eeeeeeee|mmmmmmm (2k bytes) -> e[k] the exponent, sm[k] sign << 7 | mantissa.
    void (*split_bf16)(const std::uint8_t* src, std::size_t k, std::uint8_t* e,
                       std::uint8_t* sm) noexcept = nullptr;
    void (*join_bf16)(const std::uint8_t* e, const std::uint8_t* sm, std::size_t k,
                      std::uint8_t* dst) noexcept = nullptr;

    // bf16x (see planes/bf16x.hpp): sym[k] = (v >> 6) & 0xFF; packed[packed7_size(k)] the
    // other 7 bits, sign << 6 | mantissa 5..0, element i at bit 7i, the last byte's unused
    // bits zero. Every element must have exponent bit 7 clear.
    void (*split_bf16x)(const std::uint8_t* src, std::size_t k, std::uint8_t* sym,
                        std::uint8_t* packed) noexcept = nullptr;
    void (*join_bf16x)(const std::uint8_t* sym, const std::uint8_t* packed, std::size_t k,
                       std::uint8_t* dst) noexcept = nullptr;

    // Two-byte elements: lo[k] gets the low bytes, hi[k] the high ones.
    void (*split_pairs)(const std::uint8_t* src, std::size_t k, std::uint8_t* lo,
                        std::uint8_t* hi) noexcept = nullptr;
    void (*join_pairs)(const std::uint8_t* lo, const std::uint8_t* hi, std::size_t k,
                       std::uint8_t* dst) noexcept = nullptr;

    // FP32 s|e8|m23 -> p[0] exponent, p[1] sign << 7 | m[22:16], p[2] m[15:8], p[3] m[7:0].
    void (*split_fp32)(const std::uint8_t* src, std::size_t k,
                       std::uint8_t* const* p) noexcept = nullptr;
    void (*join_fp32)(const std::uint8_t* const* p, std::size_t k,
                      std::uint8_t* dst) noexcept = nullptr;

    // FP8: magnitudes[k] = byte & 0x7F; signs[packed_signs_size(k)], element i in bit i % 8
    // of byte i / 8, the last byte's unused bits zero. join expects magnitudes with bit 7
    // clear, as split writes them.
    void (*split_fp8)(const std::uint8_t* src, std::size_t k, std::uint8_t* magnitudes,
                      std::uint8_t* signs) noexcept = nullptr;
    void (*join_fp8)(const std::uint8_t* magnitudes, const std::uint8_t* signs, std::size_t k,
                     std::uint8_t* dst) noexcept = nullptr;

    // Membership scans for sampled statistics. From `begin`, in steps of 32 while a whole
    // step fits before `end`: returns the start of the first step holding a symbol not in
    // the set, or where the steps ran out. scan_known_elements reads BF16 elements' 9-bit
    // symbols (v >> 6) & 0x1FF: those below 256 are looked up in `clear`, the others (low 8
    // bits) in `set`.
    std::size_t (*scan_known_elements)(const std::uint8_t* src, std::size_t begin, std::size_t end,
                                       const ByteSet& clear, const ByteSet& set) noexcept = nullptr;
    std::size_t (*scan_known_bytes)(const std::uint8_t* p, std::size_t begin, std::size_t end,
                                    const ByteSet& known) noexcept = nullptr;

    // XXH3-64 of data (the chunk checksum).
    std::uint64_t (*xxh3)(const std::uint8_t* data, std::size_t size) noexcept = nullptr;
    // Adds data to an XXH3-64 stream: state is an XXH3_state_t from XXH3_createState (the
    // layout is xxhash.h's whichever code fills it; the base checksums hash this way).
    void (*xxh3_update)(void* state, const std::uint8_t* data, std::size_t size) noexcept = nullptr;

    // Delta coding's exponent groups (delta/delta_codec.hpp). Element i belongs to group
    // g(i) = the number of cuts[0..groups-2] at or below exponents[i] (cuts increasing).
    // split_groups appends src[i] to out[g(i)], merge_groups takes dst[i] from in[g(i)];
    // both advance those pointers past what they wrote or read, keeping element order.
    // Vector levels move whole vectors: each out[g] must have kGroupSlack writable bytes,
    // and each in[g] kGroupSlack readable bytes, past its group's last byte.
    void (*split_groups)(const std::uint8_t* exponents, const std::uint8_t* cuts, unsigned groups,
                         const std::uint8_t* src, std::size_t k,
                         std::uint8_t** out) noexcept = nullptr;
    void (*merge_groups)(const std::uint8_t* exponents, const std::uint8_t* cuts, unsigned groups,
                         const std::uint8_t** in, std::size_t k,
                         std::uint8_t* dst) noexcept = nullptr;

    // Delta element passes (see DeltaKernels), by element width.
    DeltaKernels delta16;  // 2-byte elements: bf16, fp16
    DeltaKernels delta32;  // 4-byte elements: fp32
    const DeltaKernels& delta(std::size_t element_bytes) const noexcept {
        return element_bytes == 2 ? delta16 : delta32;
    }

    // Copies n bytes to memory that will not be read soon, bypassing the cache where the
    // level can.
    void (*copy_streaming)(std::uint8_t* dst, const std::uint8_t* src,
                           std::size_t n) noexcept = nullptr;
};

// The table in use (chosen once; see above).
const Kernels& kernels() noexcept;

// The table of one level, or nullptr when this CPU (or this build) cannot run it.
const Kernels* kernels_for(Isa isa) noexcept;

// SHA-256's block function on `count` 64-byte blocks, on the x86 SHA extensions (for
// Hugging Face blob names). Not an instruction-set level (CPUs with AVX2 may lack them, and
// the other way round), so apart from the table: nullptr when the CPU or build has none or
// ZNN_FORCE_ISA=scalar, and then model/sha.cpp's portable code runs.
using Sha256Blocks = void (*)(std::uint32_t* state, const std::uint8_t* blocks,
                              std::size_t count) noexcept;
Sha256Blocks sha256_blocks() noexcept;

}  // namespace znn::simd
