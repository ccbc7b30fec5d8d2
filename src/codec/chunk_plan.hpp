// The first step of coding a chunk: analyse it before it is split. The plan fixes the
// element layout and phase (from the reader's spec, or a probe of the data), how the chunk
// divides into planes, what is already known of a plane's statistics, and how much each
// plane may give up for faster decoding. encode_chunk then splits, codes each plane and
// assembles the block.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "codec/codec.hpp"
#include "entropy/histogram.hpp"
#include "entropy/huffman.hpp"
#include "planes/plane_shape.hpp"
#include "znn/layout.hpp"

namespace znn {

// A plane's histogram, and its Huffman code lengths if they were needed already.
struct PlaneStats {
    Histogram counts{};
    std::optional<huffman::CodeLengths> lengths;
};

struct ChunkPlan {
    Layout layout = Layout::bytes;
    std::uint8_t phase = 0;
    PlaneShape shape;
    // Plane 0's statistics when choosing the layout already counted them (the BF16 family).
    std::optional<PlaneStats> plane0;
    // The share of its size each plane may give up for Huffman codes of at most
    // huffman::kShortCodeLength bits, whose decoding tables build twice as fast.
    std::array<double, kMaxPlanes> short_code_max_loss{};
};

// Plans the coding of raw (1..kMaxChunkSize bytes) as spec asks. Deterministic: depends
// only on the bytes and the spec.
ChunkPlan plan_chunk(std::span<const std::uint8_t> raw, const ChunkSpec& spec);

}  // namespace znn
