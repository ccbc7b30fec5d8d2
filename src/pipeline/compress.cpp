// compress(): the chunk reader, encode_chunk on the workers and the frame writer, wired
// together by OrderedPipeline (see ordered_pipeline.hpp for how order and memory are kept).
#include "codec/codec.hpp"
#include "delta/delta_codec.hpp"
#include "pipeline/chunk_reader.hpp"
#include "pipeline/frame_writer.hpp"
#include "pipeline/ordered_pipeline.hpp"
#include "pipeline/threads.hpp"
#include "znn/base.hpp"
#include "znn/znn.hpp"

namespace znn {

namespace {

// What a chunk holds until it is written: its input, unless borrowed from the caller's
// buffer, and its block, which is at most about as large.
std::size_t chunk_cost(const ChunkTask& task) {
    const std::size_t raw = task.fetch_size != 0 ? task.fetch_size : task.raw.size();
    const bool copied = task.fetch_size != 0 || task.raw.data() == task.storage.data();
    return (copied ? raw : 0) + raw + (task.spec.base_tensor >= 0 ? task.base.size() : 0);
}

// A chunk of a tensor matched in the base, against the same bytes of the base tensor (the
// delta coder falls back to plain coding where that is smaller).
std::uint64_t encode_against_base(const ChunkTask& task, Buffer& block) {
    const DeltaRef ref{static_cast<std::uint32_t>(task.spec.base_tensor), task.spec.base_offset};
    return encode_delta_chunk(task.raw, task.base, task.spec, ref, block);
}

}  // namespace

Stats compress(InputStream& in, OutputStream& out, const CompressOptions& options) {
    // Where the output can go back, the dependency's checksums are filled in after the
    // chunks, from the base bytes they read: the base is read once, not twice.
    const bool hash_base_later = out.can_rewrite();
    ChunkReader reader(in, options, hash_base_later);
    reader.plan();
    FrameWriter writer(out, options.progress, &reader.dependency());
    OrderedPipeline<ChunkTask, EncodedChunk> pipeline(
        {resolve_threads(options.threads), options.overlap_output});
    pipeline.run([&](ChunkTask& task) { return reader.next(task); }, chunk_cost,
                 [&](ChunkTask& task, EncodedChunk& chunk) {
                     reader.fetch(task);
                     chunk.raw_size = task.raw.size();
                     chunk.checksum = task.spec.base_tensor >= 0
                                          ? encode_against_base(task, chunk.block)
                                          : encode_chunk(task.raw, task.spec, chunk.block);
                 },
                 [&](const EncodedChunk& chunk) { writer.write(chunk); });
    if (hash_base_later && !reader.dependency().tensors.empty())
        writer.rewrite_dependency(reader.finish_dependency());
    return writer.finish();
}

}  // namespace znn
