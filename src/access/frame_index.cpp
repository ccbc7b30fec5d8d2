#include "access/frame_index.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "format/chunk_header.hpp"
#include "format/frame.hpp"
#include "znn/errors.hpp"
#include "znn/znn.hpp"

namespace znn::detail {

namespace {

// Seek tables are read this many entries at a time, so a table's claimed length never sizes
// a buffer by itself.
constexpr std::uint64_t kEntriesPerRead = 4096;
// The smallest chunk block: a prefix and one plane entry.
constexpr std::uint64_t kMinBlockSize = kChunkPrefixSize + kPlaneEntrySize;
constexpr std::uint64_t kMinFrameSize = kFrameHeaderSize + kSeekHeaderSize + kFooterSize;

struct Frame {
    std::uint64_t offset = 0;
    std::vector<ChunkLocation> chunks;  // content offsets relative to the frame
    std::optional<Dependency> dependency;
};

// The dependency block at `at`, which must end by `limit` (where the seek block starts).
Dependency read_dependency(std::uint64_t at, std::uint64_t limit, const ReadAt& read_at,
                           std::uint64_t& size) {
    std::array<std::uint8_t, kDependencyPrefixSize> prefix{};
    if (limit - at < prefix.size()) throw FormatError("corrupt dependency block (truncated)");
    read_at(at, prefix);
    const std::uint32_t body_size = parse_dependency_prefix(prefix);
    if (limit - at - prefix.size() < body_size)
        throw FormatError("corrupt dependency block (truncated)");
    std::vector<std::uint8_t> body(body_size);
    read_at(at + prefix.size(), body);
    size = prefix.size() + body_size;
    return parse_dependency_body(body);
}

// Reads and checks the frame that ends at `end`.
Frame read_frame(std::uint64_t end, const ReadAt& read_at) {
    if (end < kMinFrameSize)
        throw FormatError("not a .znn file or truncated (too short for a frame)");
    std::array<std::uint8_t, kFooterSize> footer_bytes{};
    read_at(end - kFooterSize, footer_bytes);
    const Footer footer = parse_footer(footer_bytes);
    if (footer.frame_size > end || footer.frame_size < kMinFrameSize)
        throw FormatError("corrupt footer (frame size)");
    const std::uint64_t body = footer.frame_size - kMinFrameSize;  // chunk blocks + entries
    if (footer.chunk_count > body / (kSeekEntrySize + kMinBlockSize))
        throw FormatError("corrupt footer (chunk count)");
    Frame frame;
    frame.offset = end - footer.frame_size;
    std::array<std::uint8_t, kFrameHeaderSize> header{};
    read_at(frame.offset, header);
    const std::uint8_t flags = check_frame_header(header);

    const std::uint64_t entries_at =
        end - kFooterSize - kSeekEntrySize * footer.chunk_count;  // first seek entry
    std::array<std::uint8_t, kSeekHeaderSize> seek_header{};
    read_at(entries_at - kSeekHeaderSize, seek_header);
    if (seek_header[0] != kSeekBlockType ||
        std::any_of(seek_header.begin() + 1, seek_header.end(), [](auto b) { return b != 0; }))
        throw FormatError("corrupt seek table (block type)");

    const std::uint64_t blocks_end = entries_at - kSeekHeaderSize;
    std::uint64_t block_at = frame.offset + kFrameHeaderSize;
    if ((flags & kFrameNeedsBase) != 0) {
        std::uint64_t size = 0;
        frame.dependency = read_dependency(block_at, blocks_end, read_at, size);
        block_at += size;
    }
    std::uint64_t content = 0;
    frame.chunks.reserve(footer.chunk_count);
    std::vector<std::uint8_t> table;
    for (std::uint64_t done = 0; done < footer.chunk_count;) {
        const std::uint64_t n = std::min(kEntriesPerRead, footer.chunk_count - done);
        table.resize(n * kSeekEntrySize);
        read_at(entries_at + done * kSeekEntrySize, table);
        for (std::uint64_t i = 0; i < n; ++i) {
            const SeekEntry e = parse_seek_entry(table.data() + i * kSeekEntrySize);
            if (e.block_size < kMinBlockSize || e.block_size > blocks_end - block_at)
                throw FormatError("corrupt seek table (block size)");
            if (e.raw_size == 0 || e.raw_size > kMaxChunkSize)
                throw FormatError("corrupt seek table (chunk size)");
            frame.chunks.push_back({content, block_at, e.block_size, e.raw_size});
            block_at += e.block_size;
            if (content > UINT64_MAX - e.raw_size)
                throw FormatError("corrupt seek table (chunk size)");
            content += e.raw_size;
        }
        done += n;
    }
    if (block_at != blocks_end) throw FormatError("corrupt seek table (does not cover the frame)");
    if (content != footer.content_size) throw FormatError("corrupt footer (content size)");
    return frame;
}

}  // namespace

std::size_t FrameIndex::chunk_at(std::uint64_t offset) const noexcept {
    const auto after = std::upper_bound(
        chunks.begin(), chunks.end(), offset,
        [](std::uint64_t value, const ChunkLocation& c) { return value < c.content_offset; });
    return static_cast<std::size_t>(after - chunks.begin()) - 1;
}

const DependentFrame* FrameIndex::dependent_frame(std::size_t chunk) const noexcept {
    const auto after = std::upper_bound(
        dependent.begin(), dependent.end(), chunk,
        [](std::size_t value, const DependentFrame& f) { return value < f.first_chunk; });
    if (after == dependent.begin()) return nullptr;
    const DependentFrame& frame = *(after - 1);
    return chunk < frame.end_chunk ? &frame : nullptr;
}

FrameIndex index_frames(std::uint64_t file_size, const ReadAt& read_at) {
    if (file_size == 0) throw FormatError("empty input: not a .znn file");
    std::vector<Frame> frames;  // last frame first
    for (std::uint64_t end = file_size; end > 0;) {
        frames.push_back(read_frame(end, read_at));
        end = frames.back().offset;
    }
    FrameIndex index;
    index.frames = frames.size();
    std::size_t total = 0;
    for (const Frame& f : frames) total += f.chunks.size();
    index.chunks.reserve(total);
    for (auto f = frames.rbegin(); f != frames.rend(); ++f) {
        if (f->dependency)
            index.dependent.push_back({index.chunks.size(), index.chunks.size() + f->chunks.size(),
                                       std::move(*f->dependency)});
        for (ChunkLocation c : f->chunks) {
            if (index.content_size > UINT64_MAX - c.raw_size)
                throw FormatError("corrupt footer (content size)");
            c.content_offset = index.content_size;
            index.content_size += c.raw_size;
            index.chunks.push_back(c);
        }
    }
    return index;
}

}  // namespace znn::detail
