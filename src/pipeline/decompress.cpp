// decompress(): the frame reader, decode_payload on the workers and the ordered writer
// wired together by run_ordered (see ordered_pipeline.hpp).
#include "codec/codec.hpp"
#include "pipeline/frame_reader.hpp"
#include "pipeline/ordered_pipeline.hpp"
#include "pipeline/threads.hpp"
#include "znn/znn.hpp"

namespace znn {

namespace {

struct DecodedChunk {
    Buffer raw;
    std::size_t direct_size = 0;  // bytes decoded straight into the output instead
    // Compressed bytes read up to this chunk, for progress: the reader runs ahead of the writer,
    // so the count travels with the chunk.
    std::uint64_t input_end = 0;
};

}  // namespace

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

}  // namespace znn
