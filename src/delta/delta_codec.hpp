// Coding a chunk of a float tensor against the same bytes of its base tensor ("NS4"), for
// fine-tunes and checkpoints that moved little from their base. Per element, with W the
// element width in bits and the sign apart:
//
//   flip = sign(x) ^ sign(base); dm = |x| - |base| as integers; u = |dm|; neg = dm < 0
//   r    = R[exponent(base)], a per-chunk table: floor(log2(mean u of that exponent))
//   symbol = 4 * min(u >> r, 15) + 2 * neg + flip; u >> r >= 15 goes to the escapes
//   the low r bits of u are stored raw
//
// A fine-tune moves a weight by an amount that scales with its magnitude, so the base's
// exponent predicts how many low bits are noise (r) and what the symbol's distribution is:
// the base exponents present are cut into up to 4 contiguous groups, each coding its
// symbols as one plane with its own entropy code. man/znn.5 ("Delta chunk") has the bytes.
#pragma once

#include <cstdint>
#include <span>

#include "codec/codec.hpp"
#include "common/buffer.hpp"
#include "format/chunk_header.hpp"

namespace znn {

struct DeltaRef {
    std::uint32_t base_tensor = 0;  // index in the frame's dependency block
    std::uint64_t base_offset = 0;  // byte offset of the chunk in that tensor
};

// Encodes raw (whole elements of spec.layout: bf16, fp16 or fp32) against base (as many
// bytes) into block: a delta chunk, or a plain chunk block when that is smaller. Returns
// the chunk's XXH3-64.
std::uint64_t encode_delta_chunk(std::span<const std::uint8_t> raw,
                                 std::span<const std::uint8_t> base, const ChunkSpec& spec,
                                 const DeltaRef& ref, Buffer& block);

// Decodes a delta chunk's payload (the block without its header) against base
// (header.raw_size bytes) into out. Throws FormatError if the payload is corrupt or the
// checksum does not match.
void decode_delta_payload(std::span<const std::uint8_t> payload, const ChunkHeader& header,
                          std::span<const std::uint8_t> base, std::span<std::uint8_t> out);

}  // namespace znn
