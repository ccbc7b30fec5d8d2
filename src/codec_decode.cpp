// Decoding one chunk: parse its header, decode each plane, join the planes and check
// the chunk's checksum. Every failure is a FormatError; nothing is read out of bounds.
#include <zstd.h>

#include <cstring>

#include "ans.hpp"
#include "codec.hpp"
#include "codec_scratch.hpp"
#include "huffman.hpp"
#include "planes.hpp"
#include "znn/errors.hpp"

namespace znn {

ChunkHeader parse_chunk_header(std::span<const std::uint8_t> block) {
    if (block.size() < kChunkPrefixSize) throw FormatError("truncated chunk header");
    ChunkHeader header = parse_chunk_prefix(block.first<kChunkPrefixSize>());
    if (block.size() < header.header_size()) throw FormatError("truncated chunk header");
    parse_plane_entries(block.subspan(kChunkPrefixSize, kPlaneEntrySize * header.plane_count), header);
    if (block.size() != header.block_size()) throw FormatError("corrupt chunk (size mismatch)");
    return header;
}

namespace {

void decode_plane(PlaneCodec codec, std::span<const std::uint8_t> payload, std::span<std::uint8_t> out) {
    switch (codec) {
        case PlaneCodec::stored:
            if (payload.size() != out.size()) throw FormatError("corrupt chunk (stored plane size)");
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
            const std::size_t n = ZSTD_decompressDCtx(scratch().dctx.get(), out.data(), out.size(), payload.data(),
                                                      payload.size());
            if (ZSTD_isError(n) || n != out.size()) throw FormatError("corrupt chunk (zstd plane)");
            return;
        }
    }
    throw FormatError("corrupt chunk (unknown plane codec)");
}

}  // namespace

void decode_chunk(std::span<const std::uint8_t> block, const ChunkHeader& header, std::span<std::uint8_t> out) {
    decode_payload(block.subspan(header.header_size()), header, out);
}

void decode_payload(std::span<const std::uint8_t> block, const ChunkHeader& header, std::span<std::uint8_t> out) {
    const PlaneShape shape = plane_shape(header.layout, header.phase, header.raw_size);
    std::size_t pos = 0;
    if (header.layout == Layout::bytes) {
        decode_plane(header.codecs[0], block.subspan(pos, header.sizes[0]), out);
    } else {
        Scratch& s = scratch();
        std::array<const std::uint8_t*, kMaxPlanes> ptrs{};
        for (unsigned i = 0; i < shape.count; ++i) {
            const auto payload = block.subspan(pos, header.sizes[i]);
            pos += header.sizes[i];
            if (header.codecs[i] == PlaneCodec::stored) {  // join straight from the block
                if (payload.size() != shape.sizes[i]) throw FormatError("corrupt chunk (stored plane size)");
                ptrs[i] = payload.data();
                continue;
            }
            auto& plane = s.planes[i];
            if (plane.size() < shape.sizes[i]) plane.resize(shape.sizes[i]);
            decode_plane(header.codecs[i], payload, {plane.data(), shape.sizes[i]});
            ptrs[i] = plane.data();
        }
        if (!planes_well_formed(header.layout, shape, ptrs)) throw FormatError("corrupt chunk (plane padding)");
        join_planes(header.layout, shape, ptrs, out);
    }
    if (checksum_bytes(out) != header.checksum) throw FormatError("checksum mismatch: corrupt chunk");
}

}  // namespace znn
