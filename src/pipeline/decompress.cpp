// decompress(): the frame reader, decode_payload on the workers and the content writer,
// wired together by OrderedPipeline (see ordered_pipeline.hpp).
#include "codec/codec.hpp"
#include "delta/delta_codec.hpp"
#include "pipeline/base_match.hpp"
#include "pipeline/content_writer.hpp"
#include "pipeline/frame_reader.hpp"
#include "pipeline/ordered_pipeline.hpp"
#include "pipeline/threads.hpp"
#include "znn/base.hpp"
#include "znn/errors.hpp"
#include "znn/znn.hpp"

namespace znn {

namespace {

// What a chunk holds until it is written: its payload, unless borrowed from the caller's
// buffer, and its decoded bytes, unless decoded straight into the output.
std::size_t chunk_cost(const DecodeTask& task) {
    const bool copied = !task.payload.empty() && task.payload.data() == task.storage.data();
    return (copied ? task.payload.size() : 0) + (task.header.delta ? task.base.size() : 0) +
           (task.direct_out != nullptr ? 0 : static_cast<std::size_t>(task.header.raw_size));
}

void decode_to(const DecodeTask& task, const BaseModel* base, std::span<std::uint8_t> out) {
    if (!task.header.delta) {
        decode_payload(task.payload, task.header, out);
        return;
    }
    try {
        decode_delta_payload(task.payload, task.header, task.base, out);
    } catch (const FormatError&) {
        // A wrong base shows first as a chunk that fails its checksum: say which tensor.
        if (task.unchecked_base)
            check_base_tensor(*task.unchecked_base, task.header.base_tensor, *base);
        throw;
    }
}

void decode_task(const DecodeTask& task, const BaseModel* base, DecodedChunk& chunk) {
    chunk.input_end = task.input_end;
    const auto size = static_cast<std::size_t>(task.header.raw_size);
    if (task.direct_out != nullptr) {
        chunk.direct_size = size;
        chunk.raw.clear();
        decode_to(task, base, {task.direct_out, size});
    } else {
        chunk.direct_size = 0;
        resize_discarding(chunk.raw, size);
        decode_to(task, base, chunk.raw);
    }
}

}  // namespace

Stats decompress(InputStream& in, OutputStream& out, const DecompressOptions& options) {
    FrameReader reader(in, options.base, options.check_base_first);
    ContentWriter writer(out, options.progress);
    OrderedPipeline<DecodeTask, DecodedChunk> pipeline(
        {resolve_threads(options.threads), options.overlap_output});
    pipeline.run(
        [&](DecodeTask& task) {
            if (!reader.next(task)) return false;
            task.direct_out = out.reserve(task.header.raw_size);
            task.input_end = reader.bytes_read();
            return true;
        },
        chunk_cost,
        [&](const DecodeTask& task, DecodedChunk& chunk) {
            decode_task(task, options.base, chunk);
        },
        [&](const DecodedChunk& chunk) { writer.write(chunk); });
    Stats stats = writer.stats();
    stats.compressed_bytes = reader.bytes_read();
    stats.frames = reader.frames();
    return stats;
}

}  // namespace znn
