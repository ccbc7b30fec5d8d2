#include "format.hpp"

#include <xxhash.h>

#include <algorithm>
#include <string>

#include "bytes_io.hpp"
#include "znn/errors.hpp"
#include "znn/znn.hpp"

namespace znn {

std::uint64_t ChunkHeader::payload_size() const noexcept {
    std::uint64_t total = 0;
    for (unsigned i = 0; i < plane_count; ++i) total += sizes[i];
    return total;
}

void write_frame_header(std::vector<std::uint8_t>& out) {
    out.insert(out.end(), kFrameMagic.begin(), kFrameMagic.end());
    out.push_back(kFormatVersion);
    out.push_back(0);  // flags
    out.push_back(0);  // reserved
    out.push_back(0);
}

void check_frame_header(std::span<const std::uint8_t, kFrameHeaderSize> header) {
    if (!std::equal(kFrameMagic.begin(), kFrameMagic.end(), header.begin())) {
        if (header[0] == 'Z' && header[1] == 'N')
            throw FormatError("legacy ZipNN file: not supported by this version of znn");
        throw FormatError("not a .znn file (bad magic number)");
    }
    if (header[4] != kFormatVersion)
        throw FormatError("unsupported .znn format version " + std::to_string(header[4]));
    if (header[5] != 0 || header[6] != 0 || header[7] != 0)
        throw FormatError("corrupt frame header (reserved bits set)");
}

std::size_t write_chunk_header(const ChunkHeader& header, std::uint8_t* out) noexcept {
    out[0] = kChunkBlockType;
    out[1] = static_cast<std::uint8_t>(header.layout);
    out[2] = header.phase;
    out[3] = header.plane_count;
    store_le<std::uint64_t>(out + 4, header.raw_size);
    store_le<std::uint64_t>(out + 12, header.checksum);
    std::uint8_t* p = out + kChunkPrefixSize;
    for (unsigned i = 0; i < header.plane_count; ++i, p += kPlaneEntrySize) {
        p[0] = static_cast<std::uint8_t>(header.codecs[i]);
        store_le<std::uint64_t>(p + 1, header.sizes[i]);
    }
    return header.header_size();
}

ChunkHeader parse_chunk_prefix(std::span<const std::uint8_t, kChunkPrefixSize> prefix) {
    if (prefix[0] != kChunkBlockType) throw FormatError("corrupt chunk header (bad block type)");
    const auto layout = layout_from_id(prefix[1]);
    if (!layout) throw FormatError("corrupt chunk header (unknown layout " + std::to_string(prefix[1]) + ")");
    ChunkHeader h;
    h.layout = *layout;
    h.phase = prefix[2];
    h.plane_count = prefix[3];
    h.raw_size = load_le<std::uint64_t>(prefix.data() + 4);
    h.checksum = load_le<std::uint64_t>(prefix.data() + 12);
    if (h.phase >= layout_width(h.layout)) throw FormatError("corrupt chunk header (bad phase)");
    if (h.plane_count != layout_plane_count(h.layout)) throw FormatError("corrupt chunk header (bad plane count)");
    if (h.raw_size == 0 || h.raw_size > kMaxChunkSize) throw FormatError("corrupt chunk header (bad chunk size)");
    return h;
}

void parse_plane_entries(std::span<const std::uint8_t> entries, ChunkHeader& header) {
    const PlaneShape shape = plane_shape(header.layout, header.phase, header.raw_size);
    for (unsigned i = 0; i < header.plane_count; ++i) {
        const std::uint8_t* p = entries.data() + kPlaneEntrySize * i;
        if (p[0] >= kPlaneCodecCount) throw FormatError("corrupt chunk header (unknown plane codec)");
        header.codecs[i] = static_cast<PlaneCodec>(p[0]);
        header.sizes[i] = load_le<std::uint64_t>(p + 1);
        // No codec expands a plane by more than a small constant, so a larger size is corrupt.
        if (header.sizes[i] > 2 * shape.sizes[i] + 4096) throw FormatError("corrupt chunk header (bad plane size)");
    }
}

void write_seek_block(const std::vector<SeekEntry>& entries, const Footer& footer, std::vector<std::uint8_t>& out) {
    const std::size_t start = out.size();
    out.resize(start + kSeekHeaderSize + kSeekEntrySize * entries.size() + kFooterSize, 0);
    std::uint8_t* p = out.data() + start;
    p[0] = kSeekBlockType;
    p += kSeekHeaderSize;
    for (const SeekEntry& e : entries) {
        store_le<std::uint64_t>(p, e.block_size);
        store_le<std::uint64_t>(p + 8, e.raw_size);
        p += kSeekEntrySize;
    }
    store_le<std::uint64_t>(p, footer.chunk_count);
    store_le<std::uint64_t>(p + 8, footer.content_size);
    store_le<std::uint64_t>(p + 16, footer.content_checksum);
    store_le<std::uint64_t>(p + 24, footer.frame_size);
    std::copy(kFooterMagic.begin(), kFooterMagic.end(), p + 32);
}

SeekEntry parse_seek_entry(const std::uint8_t* p) noexcept {
    return {load_le<std::uint64_t>(p), load_le<std::uint64_t>(p + 8)};
}

Footer parse_footer(std::span<const std::uint8_t, kFooterSize> bytes) {
    if (!std::equal(kFooterMagic.begin(), kFooterMagic.end(), bytes.begin() + 32))
        throw FormatError("corrupt or truncated frame (bad footer magic)");
    Footer f;
    f.chunk_count = load_le<std::uint64_t>(bytes.data());
    f.content_size = load_le<std::uint64_t>(bytes.data() + 8);
    f.content_checksum = load_le<std::uint64_t>(bytes.data() + 16);
    f.frame_size = load_le<std::uint64_t>(bytes.data() + 24);
    return f;
}

ContentChecksum::ContentChecksum() : state_(XXH3_createState()) {
    if (state_ == nullptr) throw std::bad_alloc();
    XXH3_64bits_reset(static_cast<XXH3_state_t*>(state_));
}

ContentChecksum::~ContentChecksum() { XXH3_freeState(static_cast<XXH3_state_t*>(state_)); }

void ContentChecksum::add(std::uint64_t raw_size, std::uint64_t chunk_checksum) noexcept {
    std::array<std::uint8_t, 16> record;
    store_le<std::uint64_t>(record.data(), raw_size);
    store_le<std::uint64_t>(record.data() + 8, chunk_checksum);
    XXH3_64bits_update(static_cast<XXH3_state_t*>(state_), record.data(), record.size());
}

std::uint64_t ContentChecksum::digest() const noexcept {
    return XXH3_64bits_digest(static_cast<const XXH3_state_t*>(state_));
}

#ifdef ZNN_CHECKSUM_AVX2
std::uint64_t checksum_bytes_avx2(const std::uint8_t* data, std::size_t size) noexcept;  // checksum_avx2.cpp
#endif

std::uint64_t checksum_bytes(std::span<const std::uint8_t> data) noexcept {
#ifdef ZNN_CHECKSUM_AVX2
    static const bool has_avx2 = __builtin_cpu_supports("avx2");
    if (has_avx2) return checksum_bytes_avx2(data.data(), data.size());
#endif
    return XXH3_64bits(data.data(), data.size());
}

}  // namespace znn
