// The file-descriptor streams.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "znn/errors.hpp"
#include "znn/stream.hpp"

namespace znn {

FdInput::FdInput(int fd, std::string name, bool positional) : fd_(fd), name_(std::move(name)) {
    struct stat st {};
    if (!positional || ::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) return;
    const off_t at = ::lseek(fd_, 0, SEEK_CUR);
    if (at < 0 || at > st.st_size) return;
    positional_ = true;
    start_ = static_cast<std::uint64_t>(at);
    size_ = static_cast<std::uint64_t>(st.st_size - at);
}

std::size_t FdInput::read(std::span<std::uint8_t> out) {
    for (;;) {
        const ssize_t n = ::read(fd_, out.data(), out.size());
        if (n >= 0) {
            position_ += static_cast<std::uint64_t>(n);
            return static_cast<std::size_t>(n);
        }
        if (errno != EINTR)
            throw IoError(std::string("read failed: ") + std::strerror(errno), name_);
    }
}

std::optional<std::uint64_t> FdInput::remaining() const {
    if (!positional_) return std::nullopt;
    return position_ < size_ ? size_ - position_ : 0;
}

void FdInput::skip(std::uint64_t size) {
    if (::lseek(fd_, static_cast<off_t>(size), SEEK_CUR) < 0)
        throw IoError(std::string("seek failed: ") + std::strerror(errno), name_);
    position_ += size;
}

void FdInput::read_at(std::uint64_t offset, std::span<std::uint8_t> out) {
    read_fd_at(fd_, start_ + offset, out, name_);
}

void read_fd_at(int fd, std::uint64_t offset, std::span<std::uint8_t> out,
                const std::string& name) {
    std::size_t done = 0;
    while (done < out.size()) {
        const ssize_t n =
            ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw IoError(std::string("read failed: ") + std::strerror(errno), name);
        if (n == 0) throw IoError("file shrank while being read", name);
        done += static_cast<std::size_t>(n);
    }
}

FdOutput::FdOutput(int fd, std::string name) : fd_(fd), name_(std::move(name)) {
    struct stat st {};
    const int flags = ::fcntl(fd_, F_GETFL);
    seekable_ = ::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode) && flags >= 0 &&
                (flags & O_APPEND) == 0 && ::lseek(fd_, 0, SEEK_CUR) >= 0;
}

void FdOutput::rewrite(std::uint64_t back, std::span<const std::uint8_t> data) {
    const off_t end = ::lseek(fd_, 0, SEEK_CUR);
    if (end < 0 || static_cast<std::uint64_t>(end) < back || data.size() > back)
        throw IoError("cannot rewrite output", name_);
    auto at = static_cast<off_t>(static_cast<std::uint64_t>(end) - back);
    while (!data.empty()) {
        const ssize_t n = ::pwrite(fd_, data.data(), data.size(), at);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw IoError(std::string("write failed: ") + std::strerror(errno), name_);
        }
        data = data.subspan(static_cast<std::size_t>(n));
        at += n;
    }
}

void VectorOutput::rewrite(std::uint64_t back, std::span<const std::uint8_t> data) {
    if (back > bytes.size() || data.size() > back) throw IoError("cannot rewrite output");
    std::copy(data.begin(), data.end(), bytes.end() - static_cast<std::ptrdiff_t>(back));
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

}  // namespace znn
