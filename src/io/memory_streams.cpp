// The buffer streams, and read_fully.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "simd/kernels.hpp"
#include "znn/errors.hpp"
#include "znn/stream.hpp"

namespace znn {

std::size_t SpanInput::read(std::span<std::uint8_t> out) {
    const std::size_t n = std::min(out.size(), data_.size());
    if (n == 0) return 0;
    std::memcpy(out.data(), data_.data(), n);
    data_ = data_.subspan(n);
    return n;
}

std::optional<std::span<const std::uint8_t>> SpanInput::borrow(std::size_t size) {
    const auto part = data_.first(std::min(size, data_.size()));
    data_ = data_.subspan(part.size());
    return part;
}

namespace {

// Copies of this size or more bypass the cache: a memory output is not read back while the
// stream is written, so its lines need not be fetched first and would only evict the
// working set. Compressing a BF16 model into memory: 3.5% faster (blocks are ~170 KB).
constexpr std::size_t kStreamingCopy = 64 << 10;

void copy_to_output(std::uint8_t* dst, const std::uint8_t* src, std::size_t n) noexcept {
    if (n >= kStreamingCopy) {
        simd::kernels().copy_streaming(dst, src, n);
        return;
    }
    std::memcpy(dst, src, n);
}

}  // namespace

void SpanOutput::write(std::span<const std::uint8_t> data) {
    if (data.size() > buffer_.size() - used_) throw IoError("output buffer too small");
    if (data.empty()) return;
    copy_to_output(buffer_.data() + used_, data.data(), data.size());
    used_ += data.size();
}

std::uint8_t* SpanOutput::reserve(std::size_t size) noexcept {
    if (size > buffer_.size() - reserved_) return nullptr;  // write() will report it
    std::uint8_t* at = buffer_.data() + reserved_;
    reserved_ += size;
    return at;
}

void SpanOutput::commit(std::size_t size) {
    if (size > buffer_.size() - used_) throw IoError("output buffer too small");
    used_ += size;
}

std::size_t read_fully(InputStream& in, std::span<std::uint8_t> out) {
    std::size_t done = 0;
    while (done < out.size()) {
        const std::size_t n = in.read(out.subspan(done));
        if (n == 0) break;
        done += n;
    }
    return done;
}

}  // namespace znn
