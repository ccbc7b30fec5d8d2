#include "format/chunk_header.hpp"

#include <string>

#include "common/bytes_io.hpp"
#include "planes/plane_shape.hpp"
#include "znn/errors.hpp"
#include "znn/znn.hpp"

namespace znn {

std::uint64_t ChunkHeader::payload_size() const noexcept {
    std::uint64_t total = 0;
    for (unsigned i = 0; i < plane_count; ++i) total += sizes[i];
    return total;
}

std::size_t write_chunk_header(const ChunkHeader& header, std::uint8_t* out) noexcept {
    out[0] = header.delta ? kDeltaBlockType : kChunkBlockType;
    out[1] = static_cast<std::uint8_t>(header.layout);
    out[2] = header.phase;
    out[3] = header.plane_count;
    store_le<std::uint64_t>(out + 4, header.raw_size);
    store_le<std::uint64_t>(out + 12, header.checksum);
    std::uint8_t* p = out + kChunkPrefixSize;
    if (header.delta) {
        store_le<std::uint32_t>(p, header.base_tensor);
        store_le<std::uint64_t>(p + 4, header.base_offset);
        p += kDeltaRefSize;
    }
    for (unsigned i = 0; i < header.plane_count; ++i, p += kPlaneEntrySize) {
        p[0] = static_cast<std::uint8_t>(header.codecs[i]);
        store_le<std::uint64_t>(p + 1, header.sizes[i]);
    }
    return header.header_size();
}

ChunkHeader parse_chunk_prefix(std::span<const std::uint8_t, kChunkPrefixSize> prefix) {
    if (prefix[0] != kChunkBlockType && prefix[0] != kDeltaBlockType)
        throw FormatError("corrupt chunk header (bad block type)");
    const auto layout = layout_from_id(prefix[1]);
    if (!layout)
        throw FormatError("corrupt chunk header (unknown layout " + std::to_string(prefix[1]) +
                          ")");
    ChunkHeader h;
    h.delta = prefix[0] == kDeltaBlockType;
    h.layout = *layout;
    h.phase = prefix[2];
    h.plane_count = prefix[3];
    h.raw_size = load_le<std::uint64_t>(prefix.data() + 4);
    h.checksum = load_le<std::uint64_t>(prefix.data() + 12);
    if (h.phase >= layout_width(h.layout)) throw FormatError("corrupt chunk header (bad phase)");
    if (h.delta) {
        if ((h.layout != Layout::bf16 && h.layout != Layout::fp16 && h.layout != Layout::fp32) ||
            h.phase != 0 || h.plane_count < kMinDeltaParts || h.plane_count > kMaxDeltaParts)
            throw FormatError("corrupt delta chunk header");
        if (h.raw_size % layout_width(h.layout) != 0)
            throw FormatError("corrupt delta chunk header (not whole elements)");
    } else if (h.plane_count != layout_plane_count(h.layout)) {
        throw FormatError("corrupt chunk header (bad plane count)");
    }
    if (h.raw_size == 0 || h.raw_size > kMaxChunkSize)
        throw FormatError("corrupt chunk header (bad chunk size)");
    return h;
}

void parse_plane_entries(std::span<const std::uint8_t> entries, ChunkHeader& header) {
    const PlaneShape shape =
        header.delta ? PlaneShape{} : plane_shape(header.layout, header.phase, header.raw_size);
    const std::uint8_t* at = entries.data();
    if (header.delta) {
        header.base_tensor = load_le<std::uint32_t>(at);
        header.base_offset = load_le<std::uint64_t>(at + 4);
        at += kDeltaRefSize;
    }
    for (unsigned i = 0; i < header.plane_count; ++i) {
        const std::uint8_t* p = at + kPlaneEntrySize * i;
        if (p[0] >= kPlaneCodecCount)
            throw FormatError("corrupt chunk header (unknown plane codec)");
        header.codecs[i] = static_cast<PlaneCodec>(p[0]);
        header.sizes[i] = load_le<std::uint64_t>(p + 1);
        // No codec expands a plane by more than a small constant, so a larger size is
        // corrupt. No part of a delta chunk holds more than the chunk's bits and a table.
        const std::uint64_t bound = header.delta ? header.raw_size : shape.sizes[i];
        if (header.sizes[i] > 2 * bound + 4096)
            throw FormatError("corrupt chunk header (bad plane size)");
    }
}

ChunkHeader parse_chunk_header(std::span<const std::uint8_t> block) {
    if (block.size() < kChunkPrefixSize) throw FormatError("truncated chunk header");
    ChunkHeader header = parse_chunk_prefix(block.first<kChunkPrefixSize>());
    if (block.size() < header.header_size()) throw FormatError("truncated chunk header");
    parse_plane_entries(block.subspan(kChunkPrefixSize, header.header_size() - kChunkPrefixSize),
                        header);
    if (block.size() != header.block_size()) throw FormatError("corrupt chunk (size mismatch)");
    return header;
}

}  // namespace znn
