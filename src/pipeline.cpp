// compress() and decompress(): the readers, the codec and the ordered writer wired
// together by run_ordered (see ordered_pipeline.hpp for how order and memory are kept).
#include <thread>

#include "chunk_plan.hpp"
#include "codec.hpp"
#include "format.hpp"
#include "frame_reader.hpp"
#include "ordered_pipeline.hpp"
#include "znn/znn.hpp"

namespace znn {

namespace {

unsigned resolve_threads(unsigned requested) {
    if (requested != 0) return requested;
    return std::max(1u, std::thread::hardware_concurrency());
}

struct EncodedChunk {
    Buffer block;
    std::uint64_t raw_size = 0;
    std::uint64_t checksum = 0;
};

struct DecodedChunk {
    Buffer raw;
    std::size_t direct_size = 0;  // bytes decoded straight into the output instead
    // Compressed bytes read up to this chunk, for progress: the reader runs ahead of the writer,
    // so the count travels with the chunk.
    std::uint64_t input_end = 0;
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
    footer.frame_size = stats.compressed_bytes + kSeekHeaderSize + kSeekEntrySize * seek.size() + kFooterSize;
    std::vector<std::uint8_t> tail;
    write_seek_block(seek, footer, tail);
    out.write(tail);
    stats.compressed_bytes += tail.size();
    stats.frames = 1;
    return stats;
}

Stats decompress(InputStream& in, OutputStream& out, const DecompressOptions& options) {
    FrameReader reader(in);
    Stats stats;
    run_ordered<DecodeTask, DecodedChunk>(
        resolve_threads(options.threads),
        [&](DecodeTask& task) {
            if (!reader.next(task)) return false;
            task.direct_out = out.reserve(task.header.raw_size);
            task.input_end = reader.bytes_read();
            return true;
        },
        [](DecodeTask& task) {
            DecodedChunk chunk;
            chunk.input_end = task.input_end;
            if (task.direct_out != nullptr) {
                chunk.direct_size = task.header.raw_size;
                decode_payload(task.payload, task.header, {task.direct_out, chunk.direct_size});
            } else {
                chunk.raw.resize(task.header.raw_size);
                decode_payload(task.payload, task.header, chunk.raw);
            }
            return chunk;
        },
        [&](DecodedChunk& chunk) {
            if (chunk.direct_size != 0) {
                out.commit(chunk.direct_size);
                stats.raw_bytes += chunk.direct_size;
            } else {
                out.write(chunk.raw);
                stats.raw_bytes += chunk.raw.size();
            }
            ++stats.chunks;
            // Compressed bytes, as the caller can know the input's size but not the output's.
            if (options.progress) options.progress(chunk.input_end);
        },
        options.overlap_output);
    stats.compressed_bytes = reader.bytes_read();
    stats.frames = reader.frames();
    return stats;
}

std::vector<std::uint8_t> compress_buffer(std::span<const std::uint8_t> data, const CompressOptions& options) {
    SpanInput in(data);
    VectorOutput out;
    out.bytes.reserve(data.size() + data.size() / 64 + 4096);  // a stored chunk fits: no regrowth
    compress(in, out, options);
    return std::move(out.bytes);
}

std::vector<std::uint8_t> decompress_buffer(std::span<const std::uint8_t> data, const DecompressOptions& options) {
    SpanInput in(data);
    VectorOutput out;
    out.bytes.reserve(data.size() * 2);
    decompress(in, out, options);
    return std::move(out.bytes);
}

const char* version() noexcept { return ZNN_VERSION; }

}  // namespace znn
