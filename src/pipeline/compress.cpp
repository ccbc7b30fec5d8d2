// compress(): the chunk reader, encode_chunk on the workers and the frame writer, wired
// together by OrderedPipeline (see ordered_pipeline.hpp for how order and memory are kept).
#include "codec/codec.hpp"
#include "pipeline/chunk_reader.hpp"
#include "pipeline/frame_writer.hpp"
#include "pipeline/ordered_pipeline.hpp"
#include "pipeline/threads.hpp"
#include "znn/znn.hpp"

namespace znn {

namespace {

// What a chunk holds until it is written: its input, unless borrowed from the caller's
// buffer, and its block, which is at most about as large.
std::size_t chunk_cost(const ChunkTask& task) {
    const std::size_t raw = task.fetch_size != 0 ? task.fetch_size : task.raw.size();
    const bool copied = task.fetch_size != 0 || task.raw.data() == task.storage.data();
    return (copied ? raw : 0) + raw;
}

}  // namespace

Stats compress(InputStream& in, OutputStream& out, const CompressOptions& options) {
    ChunkReader reader(in, options);
    FrameWriter writer(out, options.progress);
    OrderedPipeline<ChunkTask, EncodedChunk> pipeline(
        {resolve_threads(options.threads), options.overlap_output});
    pipeline.run([&](ChunkTask& task) { return reader.next(task); }, chunk_cost,
                 [&](ChunkTask& task, EncodedChunk& chunk) {
                     reader.fetch(task);
                     chunk.raw_size = task.raw.size();
                     chunk.checksum = encode_chunk(task.raw, task.spec, chunk.block);
                 },
                 [&](const EncodedChunk& chunk) { writer.write(chunk); });
    return writer.finish();
}

}  // namespace znn
