#include "pipeline/frame_writer.hpp"

namespace znn {

FrameWriter::FrameWriter(OutputStream& out, const ProgressFn& progress,
                         const Dependency* dependency)
    : out_(out), progress_(progress) {
    std::vector<std::uint8_t> head;
    const bool needs_base = dependency != nullptr && !dependency->tensors.empty();
    write_frame_header(head, needs_base ? kFrameNeedsBase : 0);
    if (needs_base) write_dependency_block(*dependency, head);
    dependency_size_ = head.size() - kFrameHeaderSize;
    out_.write(head);
    stats_.compressed_bytes += head.size();
}

void FrameWriter::write(const EncodedChunk& chunk) {
    out_.write(chunk.block);
    seek_.push_back({chunk.block.size(), chunk.raw_size});
    content_.add(chunk.raw_size, chunk.checksum);
    stats_.raw_bytes += chunk.raw_size;
    stats_.compressed_bytes += chunk.block.size();
    if (!chunk.block.empty() && chunk.block[0] == kDeltaBlockType) ++stats_.delta_chunks;
    ++stats_.chunks;
    if (progress_) progress_(stats_.raw_bytes);
}

void FrameWriter::rewrite_dependency(const Dependency& dependency) {
    std::vector<std::uint8_t> block;
    write_dependency_block(dependency, block);
    if (block.size() != dependency_size_)
        throw Error("dependency block changed size");  // a bug, never the input's doing
    out_.rewrite(stats_.compressed_bytes - kFrameHeaderSize, block);
}

Stats FrameWriter::finish() {
    Footer footer;
    footer.chunk_count = seek_.size();
    footer.content_size = stats_.raw_bytes;
    footer.content_checksum = content_.digest();
    footer.frame_size =
        stats_.compressed_bytes + kSeekHeaderSize + kSeekEntrySize * seek_.size() + kFooterSize;
    std::vector<std::uint8_t> tail;
    write_seek_block(seek_, footer, tail);
    out_.write(tail);
    stats_.compressed_bytes += tail.size();
    stats_.frames = 1;
    return stats_;
}

}  // namespace znn
