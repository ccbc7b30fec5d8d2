// Decoding one chunk, the encoder's way back up: decode each plane, join the planes, check
// the chunk's checksum. Every failure is a FormatError; nothing is read out of bounds.
#include <array>

#include "codec/codec.hpp"
#include "codec/plane_coder.hpp"
#include "codec/scratch.hpp"
#include "format/checksum.hpp"
#include "planes/planes.hpp"
#include "znn/errors.hpp"

namespace znn {

void decode_chunk(std::span<const std::uint8_t> block, const ChunkHeader& header,
                  std::span<std::uint8_t> out) {
    decode_payload(block.subspan(header.header_size()), header, out);
}

void decode_payload(std::span<const std::uint8_t> block, const ChunkHeader& header,
                    std::span<std::uint8_t> out) {
    if (header.delta)
        throw BaseError("delta chunk: needs the base model it was compressed against");
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
                if (payload.size() != shape.sizes[i])
                    throw FormatError("corrupt chunk (stored plane size)");
                ptrs[i] = payload.data();
                continue;
            }
            auto& plane = s.planes[i];
            if (plane.size() < shape.sizes[i]) resize_discarding(plane, shape.sizes[i]);
            decode_plane(header.codecs[i], payload, {plane.data(), shape.sizes[i]});
            ptrs[i] = plane.data();
        }
        if (!planes_well_formed(header.layout, shape, ptrs))
            throw FormatError("corrupt chunk (plane padding)");
        join_planes(header.layout, shape, ptrs, out);
    }
    if (checksum_bytes(out) != header.checksum)
        throw FormatError("checksum mismatch: corrupt chunk");
}

}  // namespace znn
