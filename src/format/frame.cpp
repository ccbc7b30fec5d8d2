#include "format/frame.hpp"

#include <algorithm>
#include <string>

#include "common/bytes_io.hpp"
#include "znn/errors.hpp"
#include "znn/znn.hpp"

namespace znn {

void write_frame_header(std::vector<std::uint8_t>& out, std::uint8_t flags) {
    out.insert(out.end(), kFrameMagic.begin(), kFrameMagic.end());
    out.push_back(kFormatVersion);
    out.push_back(flags);
    out.push_back(0);  // reserved
    out.push_back(0);
}

std::uint8_t check_frame_header(std::span<const std::uint8_t, kFrameHeaderSize> header) {
    if (!std::equal(kFrameMagic.begin(), kFrameMagic.end(), header.begin())) {
        if (header[0] == 'Z' && header[1] == 'N')
            throw FormatError("legacy ZipNN file: not supported by this version of znn");
        throw FormatError("not a .znn file (bad magic number)");
    }
    if (header[4] != kFormatVersion)
        throw FormatError("unsupported .znn format version " + std::to_string(header[4]));
    if ((header[5] & ~kFrameNeedsBase) != 0 || header[6] != 0 || header[7] != 0)
        throw FormatError("corrupt frame header (reserved bits set)");
    return header[5];
}

void write_seek_block(const std::vector<SeekEntry>& entries, const Footer& footer,
                      std::vector<std::uint8_t>& out) {
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

}  // namespace znn
