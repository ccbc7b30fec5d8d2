#include "codec/plane_coder.hpp"

#include <zstd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

#include "codec/scratch.hpp"
#include "entropy/ans.hpp"
#include "entropy/histogram.hpp"
#include "entropy/huffman.hpp"
#include "planes/sampled_counts.hpp"
#include "znn/errors.hpp"

namespace znn {

namespace {

// Headers (safetensors JSON) are mostly repeated keys: large ones code smaller and far
// faster at level 1 than at higher levels; small ones get level 9, which costs ~1 ms at
// 64 KiB and codes them a fifth smaller.
constexpr int kMetadataZstdLevel = 1;
constexpr int kSmallMetadataZstdLevel = 9;
constexpr std::size_t kSmallMetadata = 64 << 10;
// zstd is tried on a sample first, at its fastest level; it must beat the entropy coder
// on the sample by this factor before the whole plane is tried.
constexpr std::size_t kZstdSampleSize = 64 << 10;
constexpr int kZstdSampleLevel = 1;
constexpr double kZstdSampleGain = 0.97;
// Huffman must save the policy's huffman_min_gain of a plane to be used. Sign-and-mantissa
// planes that it shrinks by a little decode one symbol a lookup (~0.6 ns a byte against a
// copy's ~0.02) and save little; exponent planes save 60% or more.
// tANS replaces Huffman (on the fp8 layout's planes, or on every plane, as the policy says)
// when it codes them smaller by kAnsMinGain: whole-bit Huffman codes cost ~1% over the
// entropy on planes of ~5 bits a symbol. It decodes at about half Huffman's speed.
// On fp8 planes, only those of kAnsMinBitsPerSymbol or more bits a symbol are tried.
constexpr double kAnsMinBitsPerSymbol = 4.0;
constexpr double kAnsMinGain = 0.002;
// Sign and mantissa planes of floats are close to random. Before counting such a plane in
// full, kSampleSlices slices of at most kSampleSlice bytes spread over it are counted; if
// even the sample cannot gain min_gain, the plane is stored.
constexpr std::size_t kSampleSlice = 1 << 9;
constexpr std::size_t kSampleSlices = 8;
constexpr std::size_t kMinSampledPlane = 16 << 10;

bool is_float_layout(Layout layout) {
    return layout == Layout::bf16 || layout == Layout::bf16x || layout == Layout::fp16 ||
           layout == Layout::fp32 || layout == Layout::fp8;
}

// True when a sample shows the plane cannot gain enough from Huffman or zstd to be worth
// a full count. Deterministic: depends only on the plane's bytes.
bool sample_says_random(std::span<const std::uint8_t> plane, double min_gain) {
    if (plane.size() < kMinSampledPlane) return false;
    const std::size_t slice = std::min(kSampleSlice, plane.size() / (8 * kSampleSlices));
    // Gathered and counted at once: per-slice histograms cost more to clear and sum.
    std::array<std::uint8_t, kSampleSlices * kSampleSlice> gathered;
    const std::size_t stride = (plane.size() - slice) / (kSampleSlices - 1);
    for (std::size_t k = 0; k < kSampleSlices; ++k)
        std::memcpy(gathered.data() + k * slice, plane.data() + k * stride, slice);
    const std::size_t n = kSampleSlices * slice;
    const Histogram counts = count_symbols({gathered.data(), n});
    if (*std::max_element(counts.begin(), counts.end()) > n / 4) return false;
    // Order-0 entropy is a floor for Huffman and cheaper than building a code. On a
    // sample it reads a little low, which errs toward counting.
    const double bits = entropy_bits(counts);
    return bits > 8.0 * static_cast<double>(n) * (1.0 - min_gain);
}

std::size_t zstd_compress(std::span<const std::uint8_t> src, int level, Buffer& dst) {
    Scratch& s = scratch();
    dst.resize(ZSTD_compressBound(src.size()));
    const std::size_t n =
        ZSTD_compressCCtx(s.cctx.get(), dst.data(), dst.size(), src.data(), src.size(), level);
    if (ZSTD_isError(n)) return SIZE_MAX;
    return n;
}

// zstd at `level` into dst (if not null) when it codes the plane under `limit` bytes; its
// size if so.
std::optional<std::size_t> zstd_under(std::span<const std::uint8_t> plane, int level,
                                      std::size_t limit, std::uint8_t* dst) {
    Scratch& s = scratch();
    const std::size_t z = zstd_compress(plane, level, s.zstd_out);
    if (z >= limit) return std::nullopt;
    if (dst != nullptr) std::memcpy(dst, s.zstd_out.data(), z);
    return z;
}

// Whether zstd might beat Huffman: data with repeats Huffman cannot see (integers, text,
// mostly-zero planes). Dense float planes skip the trial: it would cost more than the
// whole Huffman pass.
bool worth_trying_zstd(const ChunkSpec& spec, Layout layout, const Histogram& counts,
                       std::size_t n) {
    if (spec.metadata || spec.policy->zstd_dense_planes || layout == Layout::bytes ||
        layout == Layout::group2 || layout == Layout::group4 || layout == Layout::group8)
        return true;
    const auto top = *std::max_element(counts.begin(), counts.end());
    return top > n / 2;
}

// A plane stored as it is; with no dst, only its size is wanted.
CodedPlane store_plane(std::span<const std::uint8_t> plane, std::uint8_t* dst) {
    if (dst != nullptr) std::memcpy(dst, plane.data(), plane.size());
    return {PlaneCodec::stored, plane.size()};
}

}  // namespace

std::size_t plane_encode_bound(std::size_t n) noexcept {
    return std::max({huffman::encode_bound(n), ans::encode_bound(n), n + 8});
}

CodedPlane encode_plane(std::span<const std::uint8_t> plane, const ChunkSpec& spec, Layout layout,
                        const PlaneStats* known, double short_code_max_loss, std::uint8_t* dst) {
    const CodecPolicy& policy = *spec.policy;
    const std::size_t n = plane.size();
    if (n == 0) return {PlaneCodec::stored, 0};
    if (known == nullptr && is_float_layout(layout) &&
        sample_says_random(plane, policy.huffman_min_gain))
        return store_plane(plane, dst);
    // A large JSON header is text: zstd always wins, and counting it for Huffman is waste.
    if (spec.metadata && n > kSmallMetadata) {
        if (const auto z = zstd_under(plane, kMetadataZstdLevel, n, dst))
            return {PlaneCodec::zstd, *z};
        return store_plane(plane, dst);
    }
    // The 2-byte float layouts' planes are counted from a sample (see sampled_counts.hpp):
    // a plane that reaches here holds exponent bits. FP32 planes are counted in full, as
    // their exponents carry a larger share of the chunk.
    const bool two_byte_float =
        policy.sampled_counts &&
        (layout == Layout::bf16 || layout == Layout::bf16x || layout == Layout::fp16);
    const PlaneStats stats =
        known != nullptr
            ? *known
            : PlaneStats{two_byte_float ? count_bytes_sampled(plane) : count_symbols(plane), {}};
    const Histogram& counts = stats.counts;
    if (std::count(counts.begin(), counts.end(), 0u) == 255) {
        if (dst != nullptr) dst[0] = plane[0];
        return {PlaneCodec::constant, 1};
    }
    // No code codes below the entropy: where even it misses the bar and zstd is not worth a
    // try, the plane is stored before a code is built.
    const double bar = static_cast<double>(n) * (1.0 - policy.huffman_min_gain);
    const bool try_zstd = worth_trying_zstd(spec, layout, counts, n);
    if (!try_zstd && entropy_bits(counts) / 8 >= bar) return store_plane(plane, dst);
    const huffman::CodeLengths lengths =
        stats.lengths ? *stats.lengths : huffman::build_code_lengths(counts, short_code_max_loss);
    const std::size_t huffman_estimate = huffman::estimate_size(counts, lengths, n);
    // The entropy coder for this plane: Huffman, or tANS where it pays (see kAnsMinGain).
    std::size_t entropy_estimate = huffman_estimate;
    std::optional<ans::Levels> levels;
    // The entropy bounds what tANS can save; checking it first skips choosing levels (a
    // shortest-path search) on planes that cannot pay.
    const double huffman_bytes = static_cast<double>(huffman_estimate);
    const bool ans_allowed = policy.ans_everywhere ||
                             (policy.ans_fp8 && layout == Layout::fp8 &&
                              huffman_bytes * 8 >= kAnsMinBitsPerSymbol * static_cast<double>(n));
    if (ans_allowed && entropy_bits(counts) / 8 < huffman_bytes * (1.0 - kAnsMinGain)) {
        levels = ans::choose_levels(counts);
        const std::size_t ans_estimate = ans::estimate_size(counts, *levels, n);
        if (static_cast<double>(ans_estimate) < huffman_bytes * (1.0 - kAnsMinGain))
            entropy_estimate = ans_estimate;
        else
            levels.reset();
    }

    if (try_zstd) {
        const int level = !spec.metadata        ? policy.data_zstd_level
                          : n <= kSmallMetadata ? kSmallMetadataZstdLevel
                                                : kMetadataZstdLevel;
        Scratch& s = scratch();
        bool try_full = true;
        if (n > 2 * kZstdSampleSize && !spec.metadata) {
            const std::size_t sample =
                zstd_compress(plane.first(kZstdSampleSize), kZstdSampleLevel, s.zstd_out);
            const double scaled = static_cast<double>(std::min(entropy_estimate, n)) *
                                  static_cast<double>(kZstdSampleSize) / static_cast<double>(n);
            try_full = static_cast<double>(sample) < scaled * kZstdSampleGain;
        }
        if (try_full) {
            if (const auto z = zstd_under(plane, level, std::min(n, entropy_estimate), dst))
                return {PlaneCodec::zstd, *z};
        }
    }
    if (static_cast<double>(entropy_estimate) < bar) {
        const PlaneCodec codec = levels ? PlaneCodec::ans : PlaneCodec::huffman;
        const std::size_t size = dst == nullptr ? entropy_estimate
                                 : levels       ? ans::encode(plane, *levels, dst)
                                                : huffman::encode(plane, lengths, dst);
        if (size < n) return {codec, size};
    }
    return store_plane(plane, dst);
}

void decode_plane(PlaneCodec codec, std::span<const std::uint8_t> payload,
                  std::span<std::uint8_t> out) {
    switch (codec) {
        case PlaneCodec::stored:
            if (payload.size() != out.size())
                throw FormatError("corrupt chunk (stored plane size)");
            std::memcpy(out.data(), payload.data(), out.size());
            return;
        case PlaneCodec::constant:
            if (payload.size() != 1) throw FormatError("corrupt chunk (constant plane size)");
            std::memset(out.data(), payload[0], out.size());
            return;
        case PlaneCodec::huffman:
            if (!huffman::decode(payload, out)) throw FormatError("corrupt chunk (Huffman plane)");
            return;
        case PlaneCodec::ans:
            if (!ans::decode(payload, out)) throw FormatError("corrupt chunk (ANS plane)");
            return;
        case PlaneCodec::zstd: {
            const std::size_t n = ZSTD_decompressDCtx(scratch().dctx.get(), out.data(), out.size(),
                                                      payload.data(), payload.size());
            if (ZSTD_isError(n) || n != out.size()) throw FormatError("corrupt chunk (zstd plane)");
            return;
        }
    }
    throw FormatError("corrupt chunk (unknown plane codec)");
}

}  // namespace znn
