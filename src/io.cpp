// The file-descriptor and buffer streams.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "znn/errors.hpp"
#include "znn/stream.hpp"

namespace znn {

std::size_t FdInput::read(std::span<std::uint8_t> out) {
    for (;;) {
        const ssize_t n = ::read(fd_, out.data(), out.size());
        if (n >= 0) return static_cast<std::size_t>(n);
        if (errno != EINTR) throw IoError(std::string("read failed: ") + std::strerror(errno), name_);
    }
}

void FdOutput::write(std::span<const std::uint8_t> data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd_, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw IoError(std::string("write failed: ") + std::strerror(errno), name_);
        }
        data = data.subspan(static_cast<std::size_t>(n));
    }
}

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

void SpanOutput::write(std::span<const std::uint8_t> data) {
    if (data.size() > buffer_.size() - used_) throw IoError("output buffer too small");
    if (data.empty()) return;
    std::memcpy(buffer_.data() + used_, data.data(), data.size());
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
