#include "pipeline/frame_reader.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>

#include "codec/codec.hpp"
#include "format/dependency.hpp"
#include "pipeline/base_match.hpp"
#include "znn/errors.hpp"

namespace znn {

namespace {

constexpr std::size_t kReadAhead = std::size_t{256} << 10;

}  // namespace

FrameReader::FrameReader(InputStream& in, const BaseModel* base, bool check_base_first)
    : in_(in),
      base_(base),
      check_base_first_(check_base_first),
      read_ahead_(!in.borrow(0).has_value()) {
    if (read_ahead_) ahead_.resize(kReadAhead);
}

// Like read_fully, through the read-ahead buffer. Requests of half the buffer or more go
// straight to `out` once the buffer is drained, so large payloads are not copied twice.
std::size_t FrameReader::fetch(std::uint8_t* out, std::size_t size) {
    if (!read_ahead_) return read_fully(in_, {out, size});
    std::size_t done = 0;
    while (done < size) {
        if (ahead_pos_ == ahead_end_) {
            if (size - done >= kReadAhead / 2)
                return done + read_fully(in_, {out + done, size - done});
            ahead_pos_ = 0;
            ahead_end_ = in_.read(ahead_);  // what is there: a pipe need not fill the buffer
            if (ahead_end_ == 0) break;
        }
        const std::size_t n = std::min(size - done, ahead_end_ - ahead_pos_);
        std::memcpy(out + done, ahead_.data() + ahead_pos_, n);
        ahead_pos_ += n;
        done += n;
    }
    return done;
}

void FrameReader::read_exact(std::uint8_t* out, std::size_t size) {
    const std::size_t got = fetch(out, size);
    bytes_read_ += got;
    if (got != size) throw FormatError("truncated input (unexpected end of file)");
}

bool FrameReader::start_frame() {
    std::array<std::uint8_t, kFrameHeaderSize> header{};
    const std::size_t got = fetch(header.data(), header.size());
    bytes_read_ += got;
    if (got == 0) {
        if (frames_ == 0) throw FormatError("empty input: not a .znn file");
        return false;  // clean end after the last frame
    }
    if (got < 4) throw FormatError("not a .znn file (too short)");
    if (got < header.size()) {
        check_frame_header(header);  // a better message when the magic is already wrong
        throw FormatError("truncated input (unexpected end of file)");
    }
    const std::uint8_t flags = check_frame_header(header);
    in_frame_ = true;
    frame_start_ = bytes_read_ - header.size();
    base_tensors_.clear();
    unchecked_.reset();
    hasher_.reset();
    if ((flags & kFrameNeedsBase) != 0) read_dependency();
    seen_.clear();
    content_size_ = 0;
    content_checksum_ = std::make_unique<ContentChecksum>();
    return true;
}

// The dependency block, checked against the base before any chunk of the frame is read:
// wholly, or names and sizes only when the checksums wait for the frame's end.
void FrameReader::read_dependency() {
    std::array<std::uint8_t, kDependencyPrefixSize> prefix{};
    read_exact(prefix.data(), prefix.size());
    Buffer body(parse_dependency_prefix(prefix));
    read_exact(body.data(), body.size());
    auto dependency = std::make_shared<const Dependency>(parse_dependency_body(body));
    base_tensors_ = match_dependency(*dependency, base_, check_base_first_);
    if (!check_base_first_) {
        unchecked_ = std::move(dependency);
        hasher_ = std::make_unique<BaseHasher>(*base_, base_tensors_);
    }
}

// Reads the seek block and checks it and the footer against the chunks that were read.
void FrameReader::finish_frame() {
    std::array<std::uint8_t, kSeekHeaderSize - 1> reserved{};
    read_exact(reserved.data(), reserved.size());
    for (auto b : reserved)
        if (b != 0) throw FormatError("corrupt seek table (reserved bytes set)");
    std::array<std::uint8_t, kSeekEntrySize> entry{};
    for (const SeekEntry& expected : seen_) {
        read_exact(entry.data(), entry.size());
        const SeekEntry e = parse_seek_entry(entry.data());
        if (e.block_size != expected.block_size || e.raw_size != expected.raw_size)
            throw FormatError("corrupt seek table (entry does not match its chunk)");
    }
    std::array<std::uint8_t, kFooterSize> bytes{};
    read_exact(bytes.data(), bytes.size());
    const Footer footer = parse_footer(bytes);
    if (footer.chunk_count != seen_.size()) throw FormatError("corrupt footer (chunk count)");
    if (footer.content_size != content_size_) throw FormatError("corrupt footer (content size)");
    if (footer.frame_size != bytes_read_ - frame_start_)
        throw FormatError("corrupt footer (frame size)");
    if (footer.content_checksum != content_checksum_->digest())
        throw FormatError("content checksum mismatch: chunks missing, reordered or corrupt");
    if (hasher_) check_base_checksums(*unchecked_, *base_, hasher_->finish());
    in_frame_ = false;
    ++frames_;
}

bool FrameReader::next(DecodeTask& task) {
    for (;;) {
        if (!in_frame_ && !start_frame()) return false;
        std::uint8_t type = 0;
        read_exact(&type, 1);
        if (type == kSeekBlockType) {
            finish_frame();
            continue;
        }
        std::array<std::uint8_t, kChunkPrefixSize> prefix{};
        prefix[0] = type;
        read_exact(prefix.data() + 1, prefix.size() - 1);
        ChunkHeader header = parse_chunk_prefix(prefix);
        // Read the plane table, then the payload it announces (each size already bounded).
        Buffer& b = task.storage;
        resize_discarding(b, header.header_size());
        std::copy(prefix.begin(), prefix.end(), b.begin());
        read_exact(b.data() + kChunkPrefixSize, header.header_size() - kChunkPrefixSize);
        parse_plane_entries({b.data() + kChunkPrefixSize, header.header_size() - kChunkPrefixSize},
                            header);
        const std::uint64_t block_size = header.block_size();
        const std::size_t payload_size = block_size - header.header_size();
        const auto borrowed = in_.borrow(payload_size);
        if (borrowed) {
            bytes_read_ += borrowed->size();
            if (borrowed->size() != payload_size)
                throw FormatError("truncated input (unexpected end of file)");
            task.payload = *borrowed;
        } else {
            resize_discarding(b, payload_size);
            read_exact(b.data(), payload_size);
            task.payload = {b.data(), payload_size};
        }
        task.unchecked_base.reset();
        if (header.delta) {
            if (header.base_tensor >= base_tensors_.size())
                throw FormatError("corrupt delta chunk (base tensor index)");
            const BaseTensor& tensor = *base_tensors_[header.base_tensor];
            if (header.base_offset > tensor.size ||
                header.raw_size > tensor.size - header.base_offset)
                throw FormatError("corrupt delta chunk (outside its base tensor)");
            // Read here, in chunk order, so that the hasher sees each tensor's bytes once.
            resize_discarding(task.base, static_cast<std::size_t>(header.raw_size));
            if (hasher_) {
                hasher_->read(header.base_tensor, header.base_offset, task.base);
                task.unchecked_base = unchecked_;
            } else {
                base_->read(tensor, header.base_offset, task.base);
            }
        }
        seen_.push_back({block_size, header.raw_size});
        content_size_ += header.raw_size;
        content_checksum_->add(header.raw_size, header.checksum);
        task.header = header;
        return true;
    }
}

}  // namespace znn
