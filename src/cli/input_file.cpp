#include "input_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "output_file.hpp"
#include "znn/errors.hpp"

namespace znn::cli {

namespace {

[[noreturn]] void throw_open_error(const std::string& path) {
    throw IoError(std::string("cannot open: ") + std::strerror(errno), path);
}

bool same_time(const struct timespec& a, const struct timespec& b) {
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

}  // namespace

InputFile::InputFile(const std::string& path, bool from_walk) {
    if (const auto fd = from_walk ? std::nullopt : descriptor_named_by(path)) {
        fd_ = *fd;
        owned_ = false;
        if (::fstat(fd_, &st_) != 0) throw_open_error(path);
        if (!S_ISREG(st_.st_mode) && !S_ISFIFO(st_.st_mode) && !S_ISSOCK(st_.st_mode))
            throw IoError("not a regular file -- ignored", path);
    } else {
        // A walk never opens what is not a regular file (a FIFO would block, a device may act).
        if (from_walk) {
            if (::stat(path.c_str(), &st_) != 0) throw_open_error(path);
            if (!S_ISREG(st_.st_mode)) throw IoError("not a regular file -- ignored", path);
        }
        // Non-blocking, so that a FIFO is seen for what it is before anything waits on it.
        fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd_ < 0) throw_open_error(path);
        if (::fstat(fd_, &st_) != 0) throw_open_error(path);
        if (S_ISFIFO(st_.st_mode) && !from_walk) {
            // Named on the command line: a stream, read once a writer has opened it.
            ::close(fd_);
            fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd_ < 0 || ::fstat(fd_, &st_) != 0) throw_open_error(path);
        } else if (!S_ISREG(st_.st_mode)) {
            throw IoError("not a regular file -- ignored", path);
        }
        const int flags = ::fcntl(fd_, F_GETFL);
        if (flags >= 0) (void)::fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK);
    }
    if (regular()) {
        const off_t at = ::lseek(fd_, 0, SEEK_CUR);
        size_ = at >= 0 && at <= st_.st_size ? static_cast<std::uint64_t>(st_.st_size - at) : 0;
    }
}

InputFile::~InputFile() {
    if (owned_ && fd_ >= 0) ::close(fd_);
}

bool InputFile::changed_since_open() const {
    if (!regular()) return false;
    struct stat now {};
    if (::fstat(fd_, &now) != 0) return false;
    return now.st_size != st_.st_size || !same_time(now.st_mtim, st_.st_mtim);
}

}  // namespace znn::cli
