// compress(): the chunk reader, encode_chunk on the workers and the ordered writer wired
// together by run_ordered (see ordered_pipeline.hpp for how order and memory are kept),
// then the seek table and footer behind the last chunk.
#include "codec/codec.hpp"
#include "format/checksum.hpp"
#include "format/frame.hpp"
#include "pipeline/chunk_reader.hpp"
#include "pipeline/ordered_pipeline.hpp"
#include "pipeline/threads.hpp"
#include "znn/znn.hpp"

namespace znn {

namespace {

struct EncodedChunk {
    Buffer block;
    std::uint64_t raw_size = 0;
    std::uint64_t checksum = 0;
};

}  // namespace

Stats compress(InputStream& in, OutputStream& out, const CompressOptions& options) {
    ChunkReader reader(in, options);
    Stats stats;
    std::vector<std::uint8_t> head;
    write_frame_header(head);
    out.write(head);
    stats.compressed_bytes += head.size();

    std::vector<SeekEntry> seek;
    ContentChecksum content;
    run_ordered<ChunkTask, EncodedChunk>(
        resolve_threads(options.threads), [&](ChunkTask& task) { return reader.next(task); },
        [&](ChunkTask& task) {
            reader.fetch(task);
            EncodedChunk chunk;
            chunk.raw_size = task.raw.size();
            chunk.checksum = encode_chunk(task.raw, task.spec, chunk.block);
            return chunk;
        },
        [&](EncodedChunk& chunk) {
            out.write(chunk.block);
            seek.push_back({chunk.block.size(), chunk.raw_size});
            content.add(chunk.raw_size, chunk.checksum);
            stats.raw_bytes += chunk.raw_size;
            stats.compressed_bytes += chunk.block.size();
            ++stats.chunks;
            if (options.progress) options.progress(stats.raw_bytes);
        },
        options.overlap_output);

    Footer footer;
    footer.chunk_count = seek.size();
    footer.content_size = stats.raw_bytes;
    footer.content_checksum = content.digest();
    footer.frame_size =
        stats.compressed_bytes + kSeekHeaderSize + kSeekEntrySize * seek.size() + kFooterSize;
    std::vector<std::uint8_t> tail;
    write_seek_block(seek, footer, tail);
    out.write(tail);
    stats.compressed_bytes += tail.size();
    stats.frames = 1;
    return stats;
}

}  // namespace znn
