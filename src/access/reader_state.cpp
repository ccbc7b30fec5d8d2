#include "access/reader_state.hpp"

#include <atomic>

#include "codec/codec.hpp"
#include "common/buffer.hpp"
#include "znn/errors.hpp"

namespace znn::detail {

namespace {

// A block buffer per thread; one that grew past this for an unusually large chunk is
// given back after use.
constexpr std::size_t kKeptBlockBuffer = std::size_t{4} << 20;

std::string where(const FrameIndex& index, std::size_t chunk) {
    const ChunkLocation& c = index.chunks[chunk];
    return " (chunk " + std::to_string(chunk) + ", content bytes " +
           std::to_string(c.content_offset) + " to " +
           std::to_string(c.content_offset + c.raw_size - 1) + ")";
}

}  // namespace

std::uint64_t ReaderState::next_id() noexcept {
    static std::atomic<std::uint64_t> counter{1};
    return counter.fetch_add(1, std::memory_order_relaxed);
}

void ReaderState::decode(std::size_t chunk, ChunkSlot& slot) const noexcept {
    static thread_local Buffer block;
    std::exception_ptr error;
    try {
        const ChunkLocation& c = index.chunks[chunk];
        block.resize(c.block_size);
        read_at(c.block_offset, block);
        const ChunkHeader header = parse_chunk_header(block);
        if (header.raw_size != c.raw_size)
            throw FormatError("corrupt chunk header (size differs from the seek table)");
        slot.bytes.clear();  // a recycled buffer: regrown, if need be, without copying
        slot.bytes.resize(c.raw_size);
        decode_chunk(block, header, slot.bytes);
    } catch (const FormatError& e) {
        error = std::make_exception_ptr(FormatError(e.what() + where(index, chunk), name));
    } catch (const IoError& e) {
        error = std::make_exception_ptr(IoError(e.what(), e.path().empty() ? name : e.path()));
    } catch (...) {
        error = std::current_exception();
    }
    if (block.capacity() > kKeptBlockBuffer) Buffer().swap(block);
    if (error) Buffer().swap(slot.bytes);
    slot.finish(error);
}

}  // namespace znn::detail
