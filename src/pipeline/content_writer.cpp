#include "pipeline/content_writer.hpp"

namespace znn {

void ContentWriter::write(const DecodedChunk& chunk) {
    if (chunk.direct_size != 0) {
        out_.commit(chunk.direct_size);
        stats_.raw_bytes += chunk.direct_size;
    } else {
        out_.write(chunk.raw);
        stats_.raw_bytes += chunk.raw.size();
    }
    ++stats_.chunks;
    // Compressed bytes, as the caller can know the input's size but not the output's.
    if (progress_) progress_(chunk.input_end);
}

}  // namespace znn
