#include "access/reader_state.hpp"

#include <atomic>

#include "codec/codec.hpp"
#include "common/buffer.hpp"
#include "delta/delta_codec.hpp"
#include "pipeline/base_match.hpp"
#include "znn/errors.hpp"

namespace znn::detail {

namespace {

// A block buffer per thread; one that grew past this for an unusually large chunk is
// given back after use.
constexpr std::size_t kKeptBlockBuffer = std::size_t{4} << 20;

// A thread's spare buffer, taken for one decoding and given back after it. Taken rather than
// used in place: reading a compressed base decodes the base's chunks on this same thread, in
// the middle of decoding ours, and would overwrite a shared buffer.
class TakenBuffer {
  public:
    explicit TakenBuffer(Buffer& spare) : bytes(std::move(spare)), spare_(spare) {}
    ~TakenBuffer() {
        if (bytes.capacity() <= kKeptBlockBuffer) spare_ = std::move(bytes);
    }
    TakenBuffer(const TakenBuffer&) = delete;
    TakenBuffer& operator=(const TakenBuffer&) = delete;

    Buffer bytes;

  private:
    Buffer& spare_;
};

std::string where(const FrameIndex& index, std::size_t chunk) {
    const ChunkLocation& c = index.chunks[chunk];
    return " (chunk " + std::to_string(chunk) + ", content bytes " +
           std::to_string(c.content_offset) + " to " +
           std::to_string(c.content_offset + c.raw_size - 1) + ")";
}

std::vector<std::vector<const BaseTensor*>> match_frames(const FrameIndex& index,
                                                         const BaseModel* base,
                                                         bool allow_missing_base,
                                                         const std::string& name) {
    std::vector<std::vector<const BaseTensor*>> tensors;
    if (base == nullptr && allow_missing_base) return tensors;
    try {
        for (const DependentFrame& frame : index.dependent)
            tensors.push_back(match_dependency(frame.dependency, base));
    } catch (Error& e) {
        if (e.path().empty()) e.set_path(name);
        throw;
    }
    return tensors;
}

}  // namespace

ReaderState::ReaderState(std::string name_, ReadAt read_at_, FrameIndex index_,
                         std::uint64_t max_window, std::shared_ptr<const BaseModel> base_,
                         bool allow_missing_base)
    : name(std::move(name_)),
      read_at(std::move(read_at_)),
      index(std::move(index_)),
      base(std::move(base_)),
      base_tensors(match_frames(index, base.get(), allow_missing_base, name)),
      ahead(max_window) {}

std::uint64_t ReaderState::next_id() noexcept {
    static std::atomic<std::uint64_t> counter{1};
    return counter.fetch_add(1, std::memory_order_relaxed);
}

void ReaderState::decode_delta(std::size_t chunk, std::span<const std::uint8_t> block,
                               const ChunkHeader& header, std::span<std::uint8_t> out) const {
    const DependentFrame* frame = index.dependent_frame(chunk);
    if (frame == nullptr)
        throw FormatError("corrupt chunk (coded against a base in a frame without one)");
    // Opened without a base: the same error as a Reader opened so, when a read needs it.
    if (base_tensors.empty()) (void)match_dependency(frame->dependency, nullptr);
    const auto& tensors = base_tensors[static_cast<std::size_t>(frame - index.dependent.data())];
    if (header.base_tensor >= tensors.size())
        throw FormatError("corrupt delta chunk (base tensor index)");
    const BaseTensor& tensor = *tensors[header.base_tensor];
    if (header.base_offset > tensor.size || header.raw_size > tensor.size - header.base_offset)
        throw FormatError("corrupt delta chunk (outside its base tensor)");
    static thread_local Buffer spare;
    TakenBuffer base_bytes(spare);
    base_bytes.bytes.resize(out.size());
    base->read(tensor, header.base_offset, base_bytes.bytes);
    decode_delta_payload(block.subspan(header.header_size()), header, base_bytes.bytes, out);
}

void ReaderState::decode(std::size_t chunk, ChunkSlot& slot) const noexcept {
    static thread_local Buffer spare;
    std::exception_ptr error;
    try {
        TakenBuffer block(spare);
        const ChunkLocation& c = index.chunks[chunk];
        block.bytes.resize(c.block_size);
        read_at(c.block_offset, block.bytes);
        const ChunkHeader header = parse_chunk_header(block.bytes);
        if (header.raw_size != c.raw_size)
            throw FormatError("corrupt chunk header (size differs from the seek table)");
        slot.bytes.clear();  // a recycled buffer: regrown, if need be, without copying
        slot.bytes.resize(c.raw_size);
        if (header.delta)
            decode_delta(chunk, block.bytes, header, slot.bytes);
        else
            decode_chunk(block.bytes, header, slot.bytes);
    } catch (const FormatError& e) {
        // One from a compressed base names the base's file, and stays as it is.
        error = e.path().empty()
                    ? std::make_exception_ptr(FormatError(e.what() + where(index, chunk), name))
                    : std::current_exception();
    } catch (const IoError& e) {
        error = std::make_exception_ptr(IoError(e.what(), e.path().empty() ? name : e.path()));
    } catch (const BaseError& e) {
        error = std::make_exception_ptr(BaseError(e.what(), e.path().empty() ? name : e.path()));
    } catch (...) {
        error = std::current_exception();
    }
    if (error) Buffer().swap(slot.bytes);
    slot.finish(error);
}

}  // namespace znn::detail
