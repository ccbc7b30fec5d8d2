// Encoding one chunk: choose its layout, split it into planes and pick each plane's
// codec (the policies and their measurements are next to their constants below).
#include "codec.hpp"

#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>

#include "ans.hpp"
#include "codec_scratch.hpp"
#include "entropy.hpp"
#include "huffman.hpp"
#include "planes.hpp"
#include "probe.hpp"
#include "sampled_counts.hpp"
#include "znn/errors.hpp"

namespace znn {

namespace {

constexpr int kDataZstdLevel = 3;
// Headers (safetensors JSON) are mostly repeated keys; level 1 measured smaller and
// 7x faster than level 6 on a 1 MB header. Small headers get level 9, which costs ~1 ms
// at 64 KiB and codes a 39 KB header 18% smaller (FP8 file: 4962 -> 4078 bytes).
constexpr int kMetadataZstdLevel = 1;
constexpr int kSmallMetadataZstdLevel = 9;
constexpr std::size_t kSmallMetadata = 64 << 10;
// zstd is tried on a sample first, at its fastest level; it must beat Huffman on the
// sample by this factor. (Level 1 picks as level 3 did on every shared file; a smaller
// sample did not: FP8 79.50% -> 79.94%.)
constexpr std::size_t kZstdSampleSize = 64 << 10;
constexpr int kZstdSampleLevel = 1;
constexpr double kZstdSampleGain = 0.97;
// Huffman must save this share of a plane to be used. Sign-and-mantissa planes that it
// shrinks by 3-7% (~7.5 bits a symbol) decode one symbol a lookup, at ~0.6 ns a byte
// against a copy's ~0.02, and save little: at 3% the ONNX file decoded 18% and coded 10%
// slower for 0.2 points (85.16% -> 85.37%; ZipNN 86.38%), the BF16 model 6% and 3% for 0.1
// (66.17% -> 66.27%; bound 66.23%). Exponent planes save 60% or more.
constexpr double kHuffmanMinGain = 0.07;
// tANS replaces Huffman on the fp8 layout's planes when it codes them smaller by
// kAnsMinGain: there Huffman's whole-bit code lengths were what kept FP8 files 0.7 points
// above their entropy bound (shared FP8 file: 79.50% -> 78.54% with the fp8 layout). It
// decodes ~2x slower than Huffman (1.3 against 0.57 ns a symbol), and elsewhere it does
// not pay: on FP16 and ONNX planes it saves ~0.7% for 30-50% of their speed, and even
// choosing levels for the few planes it might help cost the mixed-dtype file 28% of its
// compression speed. Exponent planes (~2.6 bits) are Huffman's best case anyway.
constexpr double kAnsMinBitsPerSymbol = 4.0;
constexpr double kAnsMinGain = 0.002;
// Sign and mantissa planes of floats are close to random. Before counting such a plane in
// full, a sample of kSampleSlices slices of kSampleSlice bytes spread over it is counted;
// if even the sample cannot gain kHuffmanMinGain, the plane is stored. At most 4 KiB:
// a uniform plane's 4K-byte sample still reads ~7.95 bits against the 7.44 bar, and
// every shared file codes to the same bytes as with 8 KiB (half the sampling cost on the
// FP16 file); planes under 32 KiB give an eighth of their bytes.
constexpr std::size_t kSampleSlice = 1 << 9;  // at most; a 64th of smaller planes
constexpr std::size_t kSampleSlices = 8;
constexpr std::size_t kMinSampledPlane = 16 << 10;

bool is_float_layout(Layout layout) {
    return layout == Layout::bf16 || layout == Layout::bf16x || layout == Layout::fp16 || layout == Layout::fp32 ||
           layout == Layout::fp8;
}

// True when a sample shows the plane cannot gain enough from Huffman or zstd to be worth
// a full count. Deterministic: depends only on the plane's bytes.
bool sample_says_random(std::span<const std::uint8_t> plane) {
    if (plane.size() < kMinSampledPlane) return false;
    const std::size_t slice = std::min(kSampleSlice, plane.size() / (8 * kSampleSlices));
    // Gathered and counted at once: counting each slice apart cost more in clearing and
    // summing sub-histograms than in counting (5% of compressing a BF16 model).
    std::array<std::uint8_t, kSampleSlices * kSampleSlice> gathered;
    const std::size_t stride = (plane.size() - slice) / (kSampleSlices - 1);
    for (std::size_t k = 0; k < kSampleSlices; ++k)
        std::memcpy(gathered.data() + k * slice, plane.data() + k * stride, slice);
    const std::size_t n = kSampleSlices * slice;
    const huffman::Histogram counts = huffman::count_symbols({gathered.data(), n});
    if (*std::max_element(counts.begin(), counts.end()) > n / 4) return false;
    // Order-0 entropy is a floor for Huffman, and cheaper than building a code (which
    // cost 12 us a plane here). Measured on 8 KiB it reads low by ~0.02 bits a symbol,
    // which errs toward counting. Half of kHuffmanMinGain as the bar, as before, had the
    // ONNX file's FP32 sign-and-mantissa planes (~7.93 bits) counted in full only to be
    // stored: 7% of its compression time.
    const double bits = entropy_bits(counts);
    return bits > 8.0 * static_cast<double>(n) * (1.0 - kHuffmanMinGain);
}


std::size_t zstd_compress(std::span<const std::uint8_t> src, int level, Buffer& dst) {
    Scratch& s = scratch();
    dst.resize(ZSTD_compressBound(src.size()));
    const std::size_t n = ZSTD_compressCCtx(s.cctx.get(), dst.data(), dst.size(), src.data(), src.size(), level);
    if (ZSTD_isError(n)) return SIZE_MAX;
    return n;
}

// zstd at `level` into dst (if not null) when it codes the plane under `limit` bytes; its
// size if so.
std::optional<std::size_t> zstd_under(std::span<const std::uint8_t> plane, int level, std::size_t limit,
                                      std::uint8_t* dst) {
    Scratch& s = scratch();
    const std::size_t z = zstd_compress(plane, level, s.zstd_out);
    if (z >= limit) return std::nullopt;
    if (dst != nullptr) std::memcpy(dst, s.zstd_out.data(), z);
    return z;
}

// Whether zstd might beat Huffman: data with repeats Huffman cannot see (integers,
// text, mostly-zero planes). Dense float planes skip the trial, it would cost more than
// the whole Huffman pass.
bool worth_trying_zstd(const ChunkSpec& spec, Layout layout, const huffman::Histogram& counts, std::size_t n) {
    if (spec.metadata || layout == Layout::bytes || layout == Layout::group2 || layout == Layout::group4 ||
        layout == Layout::group8)
        return true;
    const auto top = *std::max_element(counts.begin(), counts.end());
    return top > n / 2;
}

// A plane's histogram, and its Huffman code lengths if they were needed already.
struct PlaneStats {
    huffman::Histogram counts;
    std::optional<huffman::CodeLengths> lengths;
};

// BF16 exponent planes may give up this share of their size for codes of at most 10 bits
// (huffman::build_code_lengths). A table build costs as much as decoding ~12 000 symbols,
// and a BF16 model of 64-256 KiB tensors builds one per tensor: there it was a fifth of
// decoding. On the shared BF16 file: 2635 -> 2800 MB/s decompressing in memory, 66.125%
// -> 66.167%. FP32 exponent planes yield twice the bytes a symbol, so their tables cost
// half as much per byte, and that file has no size to spare (ZipNN: 82.65%, znn 82.647%).
constexpr double kShortCodeMaxLoss = 0.005;
// FP32 exponent planes take short codes only when small: the table's cost is then spread
// over few symbols. The shared ONNX file (128 KiB chunks, 32K-symbol planes) spent 16% of
// its decoding building 11-bit tables; the FP32 file's 128K-symbol planes keep exact codes.
constexpr std::size_t kFp32ShortCodeMaxSymbols = std::size_t{64} << 10;

// How much plane `plane` of a chunk in `layout` may give up for short codes (above).
double short_code_max_loss(Layout layout, unsigned plane, std::size_t symbols) {
    if (plane != 0) return 0;
    if (layout == Layout::bf16 || layout == Layout::bf16x) return kShortCodeMaxLoss;
    if (layout == Layout::fp32 && symbols < kFp32ShortCodeMaxSymbols) return kShortCodeMaxLoss;
    return 0;
}

PlaneStats plane_stats(const huffman::Histogram& counts, double short_code_max_loss = 0) {
    return {counts, huffman::build_code_lengths(counts, short_code_max_loss)};
}

// Copies a plane that is stored as it is; with no dst, only its size is wanted.
std::pair<PlaneCodec, std::size_t> store_plane(std::span<const std::uint8_t> plane, std::uint8_t* dst) {
    if (dst != nullptr) std::memcpy(dst, plane.data(), plane.size());
    return {PlaneCodec::stored, plane.size()};
}

// Encodes one plane at dst (room for huffman::encode_bound(n) and ans::encode_bound(n)
// bytes or more). `known`, if given, holds the plane's statistics. With dst null, makes
// the same choices but only returns the size, the entropy coders' by estimate (exact to a
// few bytes a block).
std::pair<PlaneCodec, std::size_t> encode_plane(std::span<const std::uint8_t> plane, const ChunkSpec& spec,
                                                Layout layout, std::uint8_t* dst, const PlaneStats* known,
                                                double short_code_max_loss) {
    const std::size_t n = plane.size();
    if (n == 0) return {PlaneCodec::stored, 0};
    if (known == nullptr && is_float_layout(layout) && sample_says_random(plane)) return store_plane(plane, dst);
    // A large JSON header is text: zstd always wins, and counting its symbols for Huffman
    // cost 1% of compressing a BF16 model with a 1 MB header.
    if (spec.metadata && n > kSmallMetadata) {
        if (const auto z = zstd_under(plane, kMetadataZstdLevel, n, dst)) return {PlaneCodec::zstd, *z};
        return store_plane(plane, dst);
    }
    // The 2-byte float layouts' planes are counted from a sample like BF16 exponents: a
    // plane that reaches here holds exponent bits (FP16's high bytes; an odd phase moves
    // them to plane 1). FP32 planes are counted in full: that file has no size to spare.
    const bool two_byte_float = layout == Layout::bf16 || layout == Layout::bf16x || layout == Layout::fp16;
    const PlaneStats stats =
        known != nullptr ? *known
                         : PlaneStats{two_byte_float ? count_bytes_sampled(plane) : huffman::count_symbols(plane), {}};
    const huffman::Histogram& counts = stats.counts;
    if (std::count(counts.begin(), counts.end(), 0u) == 255) {
        if (dst != nullptr) dst[0] = plane[0];
        return {PlaneCodec::constant, 1};
    }
    // No code codes below the entropy: where even it misses the bar and zstd is not worth
    // a try, the plane is stored before a code is built (the FP16 file's odd-phase chunks,
    // whose plane 0 is near random, had a quarter of its code builds).
    const double bar = static_cast<double>(n) * (1.0 - kHuffmanMinGain);
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
    if (layout == Layout::fp8 && huffman_bytes * 8 >= kAnsMinBitsPerSymbol * static_cast<double>(n) &&
        entropy_bits(counts) / 8 < huffman_bytes * (1.0 - kAnsMinGain)) {
        levels = ans::choose_levels(counts);
        const std::size_t ans_estimate = ans::estimate_size(counts, *levels, n);
        if (static_cast<double>(ans_estimate) < huffman_bytes * (1.0 - kAnsMinGain))
            entropy_estimate = ans_estimate;
        else
            levels.reset();
    }

    if (try_zstd) {
        const int level = !spec.metadata       ? kDataZstdLevel
                          : n <= kSmallMetadata ? kSmallMetadataZstdLevel
                                                : kMetadataZstdLevel;
        Scratch& s = scratch();
        bool try_full = true;
        if (n > 2 * kZstdSampleSize && !spec.metadata) {
            const std::size_t sample = zstd_compress(plane.first(kZstdSampleSize), kZstdSampleLevel, s.zstd_out);
            const double scaled = static_cast<double>(std::min(entropy_estimate, n)) * static_cast<double>(kZstdSampleSize) / static_cast<double>(n);
            try_full = static_cast<double>(sample) < scaled * kZstdSampleGain;
        }
        if (try_full) {
            if (const auto z = zstd_under(plane, level, std::min(n, entropy_estimate), dst)) return {PlaneCodec::zstd, *z};
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

// bf16x must save this share of the chunk over bf16 to be used: its exponent symbols
// carry a bit more, so Huffman decoding yields fewer of them a lookup.
constexpr double kBf16xMinGain = 0.005;

struct Bf16Choice {
    Layout layout = Layout::bf16;
    std::optional<PlaneStats> plane0;  // the chosen layout's plane-0 statistics, if counted
};

// For the k elements of a BF16 chunk: bf16x when every element fits it and it codes
// smaller by kBf16xMinGain, else bf16. One count serves both layouts' plane 0.
Bf16Choice choose_bf16_layout(std::span<const std::uint8_t> elements, std::size_t k) {
    if (k == 0) return {};
    const Bf16Counts counts = count_bf16_symbols(elements.data(), k);
    if (!counts.fits_x) return {Layout::bf16, PlaneStats{counts.exponents, {}}};
    PlaneStats plain = plane_stats(counts.exponents, kShortCodeMaxLoss);
    PlaneStats with_x = plane_stats(counts.x, kShortCodeMaxLoss);
    const auto x_size = static_cast<double>(huffman::estimate_size(with_x.counts, *with_x.lengths, k) + (7 * k + 7) / 8);
    const auto plain_size = static_cast<double>(huffman::estimate_size(plain.counts, *plain.lengths, k) + k);
    if (x_size < plain_size * (1.0 - kBf16xMinGain)) return {Layout::bf16x, std::move(with_x)};
    return {Layout::bf16, std::move(plain)};
}

void store_chunk(std::span<const std::uint8_t> raw, ChunkHeader& header, Buffer& block) {
    header.layout = Layout::bytes;
    header.phase = 0;
    header.plane_count = 1;
    header.codecs[0] = PlaneCodec::stored;
    header.sizes[0] = raw.size();
    block.resize(header.header_size() + raw.size());
    write_chunk_header(header, block.data());
    std::memcpy(block.data() + header.header_size(), raw.data(), raw.size());
}

// encode_chunk, or with no block only the size its block would have (see encode_plane).
std::uint64_t code_chunk(std::span<const std::uint8_t> raw, const ChunkSpec& spec, Buffer* block,
                         std::size_t& size) {
    ChunkHeader header;
    header.raw_size = raw.size();
    header.checksum = block != nullptr ? checksum_bytes(raw) : 0;
    header.layout = spec.layout;
    header.phase = spec.phase;
    if (spec.probe) {
        const ProbeResult guess = probe_layout(raw);
        header.layout = guess.layout;
        header.phase = guess.phase;
    }
    if (header.phase >= layout_width(header.layout)) header.phase = 0;
    // The BF16 family: bf16x where it fits and pays, with plane 0's statistics in hand.
    Bf16Choice bf16;
    if (header.layout == Layout::bf16 || header.layout == Layout::bf16x) {
        const PlaneShape elements = plane_shape(Layout::bf16, header.phase, raw.size());
        bf16 = choose_bf16_layout(raw.subspan(elements.leading), elements.elements);
        header.layout = bf16.layout;
    }
    header.plane_count = static_cast<std::uint8_t>(layout_plane_count(header.layout));
    const PlaneShape shape = plane_shape(header.layout, header.phase, raw.size());

    // Planes: the bytes layout codes the input directly; others split into scratch first.
    Scratch& s = scratch();
    std::array<std::span<const std::uint8_t>, kMaxPlanes> planes;
    if (header.layout == Layout::bytes) {
        planes[0] = raw;
    } else {
        std::array<std::uint8_t*, kMaxPlanes> ptrs{};
        for (unsigned i = 0; i < shape.count; ++i) {
            s.planes[i].resize(shape.sizes[i]);
            ptrs[i] = s.planes[i].data();
        }
        split_planes(header.layout, shape, raw, ptrs);
        for (unsigned i = 0; i < shape.count; ++i) planes[i] = {s.planes[i].data(), shape.sizes[i]};
    }
    const PlaneStats* known0 = bf16.plane0 ? &*bf16.plane0 : nullptr;

    // Encode every plane straight into the block, behind room for the header.
    std::size_t capacity = header.header_size();
    for (unsigned i = 0; i < shape.count; ++i) capacity += std::max({huffman::encode_bound(shape.sizes[i]), ans::encode_bound(shape.sizes[i]), shape.sizes[i] + 8});
    if (block != nullptr) block->resize(capacity);
    std::size_t pos = header.header_size();
    for (unsigned i = 0; i < shape.count; ++i) {
        std::uint8_t* dst = block != nullptr ? block->data() + pos : nullptr;
        const auto [codec, plane_size] = encode_plane(planes[i], spec, header.layout, dst, i == 0 ? known0 : nullptr,
                                                      short_code_max_loss(header.layout, i, shape.sizes[i]));
        header.codecs[i] = codec;
        header.sizes[i] = plane_size;
        pos += plane_size;
    }
    if (pos - header.header_size() >= raw.size()) {
        // Incompressible: never grow by more than the header.
        if (block != nullptr)
            store_chunk(raw, header, *block);
        else
            header.plane_count = 1;
        size = header.header_size() + raw.size();
        return header.checksum;
    }
    if (block != nullptr) {
        block->resize(pos);
        write_chunk_header(header, block->data());
    }
    size = pos;
    return header.checksum;
}

}  // namespace

std::uint64_t encode_chunk(std::span<const std::uint8_t> raw, const ChunkSpec& spec, Buffer& block) {
    std::size_t size = 0;
    return code_chunk(raw, spec, &block, size);
}

std::size_t estimate_chunk_size(std::span<const std::uint8_t> raw, const ChunkSpec& spec) {
    std::size_t size = 0;
    code_chunk(raw, spec, nullptr, size);
    return size;
}

}  // namespace znn
