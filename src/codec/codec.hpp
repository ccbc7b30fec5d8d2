// Coding one chunk: split into planes, pick the cheapest codec per plane, assemble the
// chunk block; and the reverse. No I/O, no threads: the pipeline calls these.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "codec/policy.hpp"
#include "common/buffer.hpp"
#include "format/chunk_header.hpp"
#include "znn/layout.hpp"

namespace znn {

// How the reader wants a chunk coded.
struct ChunkSpec {
    Layout layout = Layout::bytes;
    std::uint8_t phase = 0;
    bool probe = false;     // choose layout and phase from the data itself
    bool metadata = false;  // headers and the like: worth a stronger zstd level
    const CodecPolicy* policy = &default_codec_policy();  // the compression level's choices
    // Coded against a base tensor (src/delta/): its dependency index, and the chunk's
    // offset in it. -1: no base.
    std::int64_t base_tensor = -1;
    std::uint64_t base_offset = 0;
};

// Encodes raw (1..kMaxChunkSize bytes) into a complete chunk block, replacing block's
// contents. Returns the chunk's XXH3-64 checksum.
std::uint64_t encode_chunk(std::span<const std::uint8_t> raw, const ChunkSpec& spec, Buffer& block);

// The size of the block encode_chunk would make, from the same choices but with the
// entropy coders' sizes estimated (exact to a few bytes a plane) and no checksum: for
// comparing ways to cut the input into chunks at half the cost.
std::size_t estimate_chunk_size(std::span<const std::uint8_t> raw, const ChunkSpec& spec);

// Decodes a complete chunk block whose header was parsed into `header`; out must be
// header.raw_size bytes. Throws FormatError if the payload is corrupt or the checksum
// does not match.
void decode_chunk(std::span<const std::uint8_t> block, const ChunkHeader& header,
                  std::span<std::uint8_t> out);
// The same for the payload alone (the block without its header), which may live apart.
void decode_payload(std::span<const std::uint8_t> payload, const ChunkHeader& header,
                    std::span<std::uint8_t> out);

}  // namespace znn
