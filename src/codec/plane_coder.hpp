// Coding one byte plane: the third step of encode_chunk (analyse -> split -> code each
// plane -> assemble). Each plane takes the cheapest of stored, constant, Huffman, tANS
// and zstd, judged from its statistics; decoding dispatches on the codec the block names.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "codec/chunk_plan.hpp"
#include "codec/codec.hpp"
#include "format/chunk_header.hpp"

namespace znn {

struct CodedPlane {
    PlaneCodec codec = PlaneCodec::stored;
    std::size_t size = 0;
};

// Bytes encode_plane may write for a plane of n bytes.
std::size_t plane_encode_bound(std::size_t n) noexcept;

// Encodes plane (of a chunk coded as spec and plan say) at dst, which has room for
// plane_encode_bound(plane.size()) bytes. `known`, if given, holds the plane's statistics.
// With dst null it makes the same choices but only returns the size, the entropy coders'
// by estimate (exact to a few bytes a block).
CodedPlane encode_plane(std::span<const std::uint8_t> plane, const ChunkSpec& spec, Layout layout,
                        const PlaneStats* known, double short_code_max_loss, std::uint8_t* dst);

// Decodes a plane of out.size() bytes. Throws FormatError if the payload is corrupt.
void decode_plane(PlaneCodec codec, std::span<const std::uint8_t> payload,
                  std::span<std::uint8_t> out);

}  // namespace znn
