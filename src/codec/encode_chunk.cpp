// Encoding one chunk, top to bottom: analyse it (plan_chunk), split it into planes, code
// each plane (encode_plane), assemble the block behind its header.
#include <algorithm>
#include <array>
#include <cstring>

#include "codec/chunk_plan.hpp"
#include "codec/codec.hpp"
#include "codec/plane_coder.hpp"
#include "codec/scratch.hpp"
#include "format/checksum.hpp"
#include "format/chunk_header.hpp"
#include "planes/planes.hpp"

namespace znn {

namespace {

// An incompressible chunk: one stored plane, so a block never grows by more than its header.
void store_chunk(std::span<const std::uint8_t> raw, ChunkHeader& header, Buffer& block) {
    header.layout = Layout::bytes;
    header.phase = 0;
    header.plane_count = 1;
    header.codecs[0] = PlaneCodec::stored;
    header.sizes[0] = raw.size();
    resize_discarding(block, header.header_size() + raw.size());
    write_chunk_header(header, block.data());
    std::memcpy(block.data() + header.header_size(), raw.data(), raw.size());
}

// encode_chunk, or with no block only the size its block would have (see encode_plane).
std::uint64_t code_chunk(std::span<const std::uint8_t> raw, const ChunkSpec& spec, Buffer* block,
                         std::size_t& size) {
    // 1. Analyse.
    const ChunkPlan plan = plan_chunk(raw, spec);
    const PlaneShape& shape = plan.shape;
    ChunkHeader header;
    header.raw_size = raw.size();
    header.checksum = block != nullptr ? checksum_bytes(raw) : 0;
    header.layout = plan.layout;
    header.phase = plan.phase;
    header.plane_count = static_cast<std::uint8_t>(shape.count);

    // 2. Split: the bytes layout codes the input directly; others split into scratch.
    Scratch& s = scratch();
    std::array<std::span<const std::uint8_t>, kMaxPlanes> planes;
    if (plan.layout == Layout::bytes) {
        planes[0] = raw;
    } else {
        std::array<std::uint8_t*, kMaxPlanes> ptrs{};
        for (unsigned i = 0; i < shape.count; ++i) {
            resize_discarding(s.planes[i], shape.sizes[i]);
            ptrs[i] = s.planes[i].data();
        }
        split_planes(plan.layout, shape, raw, ptrs);
        for (unsigned i = 0; i < shape.count; ++i) planes[i] = {s.planes[i].data(), shape.sizes[i]};
    }

    // 3. Code every plane straight into the block, behind room for the header.
    std::size_t capacity = header.header_size();
    for (unsigned i = 0; i < shape.count; ++i) capacity += plane_encode_bound(shape.sizes[i]);
    if (block != nullptr) resize_discarding(*block, capacity);
    std::size_t pos = header.header_size();
    for (unsigned i = 0; i < shape.count; ++i) {
        std::uint8_t* dst = block != nullptr ? block->data() + pos : nullptr;
        const PlaneStats* known = i == 0 && plan.plane0 ? &*plan.plane0 : nullptr;
        const CodedPlane coded =
            encode_plane(planes[i], spec, plan.layout, known, plan.short_code_max_loss[i], dst);
        header.codecs[i] = coded.codec;
        header.sizes[i] = coded.size;
        pos += coded.size;
    }

    // 4. Assemble.
    if (pos - header.header_size() >= raw.size()) {
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

std::uint64_t encode_chunk(std::span<const std::uint8_t> raw, const ChunkSpec& spec,
                           Buffer& block) {
    std::size_t size = 0;
    return code_chunk(raw, spec, &block, size);
}

std::size_t estimate_chunk_size(std::span<const std::uint8_t> raw, const ChunkSpec& spec) {
    std::size_t size = 0;
    code_chunk(raw, spec, nullptr, size);
    return size;
}

}  // namespace znn
