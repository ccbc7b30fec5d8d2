#include "znn/inspect.hpp"

#include <algorithm>

#include "format/chunk_header.hpp"
#include "format/dependency.hpp"
#include "format/frame.hpp"
#include "znn/errors.hpp"

namespace znn {

std::vector<FrameInfo> inspect_frames(std::uint64_t file_size, const ReadAt& read_at) {
    if (file_size == 0) throw FormatError("empty input: not a .znn file");
    // Any other file says so by its first bytes, before its end is read as a footer.
    if (file_size < kFrameHeaderSize) throw FormatError("not a .znn file (too short)");
    std::array<std::uint8_t, kFrameHeaderSize> first{};
    read_at(0, first);
    check_frame_header(first);
    std::vector<FrameInfo> frames;
    std::uint64_t end = file_size;
    while (end > 0) {
        if (end < kFrameHeaderSize + kSeekHeaderSize + kFooterSize)
            throw FormatError("not a .znn file or truncated (too short for a frame)");
        std::array<std::uint8_t, kFooterSize> footer_bytes{};
        read_at(end - kFooterSize, footer_bytes);
        const Footer footer = parse_footer(footer_bytes);
        const std::uint64_t table_size =
            kSeekHeaderSize + kSeekEntrySize * footer.chunk_count + kFooterSize;
        if (footer.chunk_count > end / kSeekEntrySize || footer.frame_size > end ||
            footer.frame_size < kFrameHeaderSize + table_size)
            throw FormatError("corrupt footer (sizes)");
        FrameInfo info;
        info.offset = end - footer.frame_size;
        info.compressed_size = footer.frame_size;
        info.content_size = footer.content_size;
        info.chunk_count = footer.chunk_count;
        info.content_checksum = footer.content_checksum;

        std::array<std::uint8_t, kFrameHeaderSize> header{};
        read_at(info.offset, header);
        const std::uint8_t flags = check_frame_header(header);
        std::vector<std::uint8_t> table(kSeekEntrySize * footer.chunk_count);
        read_at(end - table_size + kSeekHeaderSize, table);
        std::uint64_t block_at = info.offset + kFrameHeaderSize;
        if ((flags & kFrameNeedsBase) != 0) {
            std::array<std::uint8_t, kDependencyPrefixSize> prefix{};
            if (end - table_size - block_at < prefix.size())
                throw FormatError("corrupt dependency block (truncated)");
            read_at(block_at, prefix);
            const std::uint32_t body_size = parse_dependency_prefix(prefix);
            if (end - table_size - block_at - prefix.size() < body_size)
                throw FormatError("corrupt dependency block (truncated)");
            std::vector<std::uint8_t> body(body_size);
            read_at(block_at + prefix.size(), body);
            const Dependency d = parse_dependency_body(body);
            info.base_hint = d.hint;
            info.base_checksum = d.base_checksum();
            info.base_tensors = d.tensors.size();
            block_at += prefix.size() + body_size;
        }
        std::uint64_t raw_total = 0;
        for (std::uint64_t i = 0; i < footer.chunk_count; ++i) {
            const SeekEntry e = parse_seek_entry(table.data() + kSeekEntrySize * i);
            if (e.block_size < kChunkPrefixSize || e.block_size > end - table_size - block_at)
                throw FormatError("corrupt seek table (block size)");
            std::array<std::uint8_t, kChunkPrefixSize> prefix{};
            read_at(block_at, prefix);
            const ChunkHeader h = parse_chunk_prefix(prefix);
            if (h.raw_size != e.raw_size) throw FormatError("corrupt seek table (chunk size)");
            info.layout_bytes[static_cast<std::size_t>(h.layout)] += h.raw_size;
            if (h.delta) {
                ++info.delta_chunks;
                info.delta_bytes += h.raw_size;
            }
            raw_total += h.raw_size;
            block_at += e.block_size;
        }
        if (block_at != end - table_size || raw_total != footer.content_size)
            throw FormatError("corrupt seek table (does not cover the frame)");
        frames.push_back(info);
        end = info.offset;
    }
    std::reverse(frames.begin(), frames.end());
    return frames;
}

}  // namespace znn
