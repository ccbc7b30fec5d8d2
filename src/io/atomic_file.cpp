// AtomicFile: an unnamed temporary (O_TMPFILE) linked into place once complete where the
// filesystem supports it, else a hidden named temporary that signal handlers can remove.
#include "znn/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>
#include <string>

#include "znn/errors.hpp"

namespace znn {

namespace fs = std::filesystem;

namespace {

constexpr int kTempNameAttempts = 100;

// The named temporaries alive now, for the signal handler: it may only read these buffers and
// call unlink(). A slot is 0 free, 1 being filled, 2 live.
struct LiveTemp {
    std::atomic<int> state{0};
    char path[PATH_MAX];
};
constexpr std::size_t kLiveSlots = 128;
LiveTemp g_live[kLiveSlots];

// Returns the slot, or -1 when none is free or the path is too long: the file is then still
// removed on every exit but a signal.
int register_temp(const std::string& path) noexcept {
    if (path.size() >= sizeof LiveTemp::path) return -1;
    for (std::size_t i = 0; i < kLiveSlots; ++i) {
        int expected = 0;
        if (g_live[i].state.compare_exchange_strong(expected, 1)) {
            std::memcpy(g_live[i].path, path.c_str(), path.size() + 1);
            g_live[i].state.store(2);
            return static_cast<int>(i);
        }
    }
    return -1;
}

void unregister_temp(int slot) noexcept {
    if (slot >= 0) g_live[slot].state.store(0);
}

[[noreturn]] void throw_errno(const std::string& what, const fs::path& path) {
    throw IoError(what + ": " + std::strerror(errno), path.string());
}

fs::path folder_of(const fs::path& path) {
    return path.has_parent_path() ? path.parent_path() : fs::path(".");
}

// ".<name>.<16 hex digits>.znn-tmp" in dir: hidden, and recognised by the folder walk as a
// leftover to skip.
fs::path random_temp_name(const fs::path& dir, const fs::path& name) {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    std::array<char, 17> hex{};
    std::snprintf(hex.data(), hex.size(), "%016llx", static_cast<unsigned long long>(rng()));
    return dir / ("." + name.filename().string() + "." + hex.data() + ".znn-tmp");
}

// Linking an unnamed file needs /proc/self/fd (or the CAP_DAC_READ_SEARCH capability for
// AT_EMPTY_PATH): without /proc, named temporaries are used instead.
bool can_link_unnamed() {
    static const bool available = ::access("/proc/self/fd", X_OK) == 0;
    return available;
}

// Makes the unnamed file open as fd appear as `name`. False (errno set) on failure.
bool link_fd(int fd, const fs::path& name) {
    if (::linkat(fd, "", AT_FDCWD, name.c_str(), AT_EMPTY_PATH) == 0) return true;
    if (errno == EEXIST) return false;
    const std::string proc = "/proc/self/fd/" + std::to_string(fd);
    return ::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW) == 0;
}

// Moves `from` to `to` only if nothing is at `to`, on filesystems with or without hard links.
// False with errno EEXIST if something is there; throws IoError on other failures.
bool rename_no_replace(const fs::path& from, const fs::path& to) {
    if (::link(from.c_str(), to.c_str()) == 0) {
        ::unlink(from.c_str());
        return true;
    }
    if (errno == EEXIST) return false;
    // No hard links here (vfat, some FUSE and network filesystems): the kernel's rename
    // without replacement is as atomic.
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0)
        return true;
    if (errno == EEXIST) return false;
    if (errno != EINVAL && errno != ENOSYS && errno != EPERM && errno != EOPNOTSUPP)
        throw_errno("cannot rename output", to);
    // Neither: a last check, racy only against a file appearing in between.
    struct stat st {};
    if (::lstat(to.c_str(), &st) == 0) {
        errno = EEXIST;
        return false;
    }
    if (::rename(from.c_str(), to.c_str()) != 0) throw_errno("cannot rename output", to);
    return true;
}

mode_t read_umask() noexcept {
    // Linux 4.7+ shows it; umask() itself can only be read by setting it, which races with
    // threads creating files.
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("Umask:", 0) == 0)
            return static_cast<mode_t>(std::stoul(line.substr(6), nullptr, 8));
    }
    const mode_t mask = ::umask(022);
    ::umask(mask);
    return mask;
}

}  // namespace

mode_t default_file_mode() noexcept {
    static const mode_t mode = 0666 & ~read_umask();
    return mode;
}

void remove_temporary_files() noexcept {
    for (LiveTemp& slot : g_live)
        if (slot.state.load() == 2) ::unlink(slot.path);
}

void sync_folder(const fs::path& dir) noexcept {
    const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    (void)::fsync(fd);
    ::close(fd);
}

AtomicFile::AtomicFile(const fs::path& target)
    : target_(target), dir_(folder_of(target)), mode_(default_file_mode()) {
    if (can_link_unnamed()) {
        fd_ = ::open(dir_.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd_ >= 0) {
            unnamed_ = true;
            return;
        }
        // Unsupported here (EOPNOTSUPP, or EISDIR from kernels without O_TMPFILE): a named
        // temporary, which also reports any other error (no such folder, no permission).
    }
    for (int attempt = 0;; ++attempt) {
        const fs::path temp = random_temp_name(dir_, target_);
        fd_ = ::open(temp.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd_ >= 0) {
            temp_ = temp.string();
            break;
        }
        if (errno != EEXIST || attempt >= kTempNameAttempts)
            throw_errno("cannot create output", target_);
    }
    slot_ = register_temp(temp_);
}

AtomicFile::~AtomicFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_ && !temp_.empty()) ::unlink(temp_.c_str());
    unregister_temp(slot_);
}

void AtomicFile::copy_metadata(const struct stat& source) noexcept {
    source_ = source;
    mode_ = source.st_mode & 07777;
}

void AtomicFile::apply_metadata() noexcept {
    if (source_) {
        // Owner first: changing it clears set-user-ID bits that fchmod then restores.
        (void)::fchown(fd_, source_->st_uid, source_->st_gid);
    }
    (void)::fchmod(fd_, mode_);
    if (source_) {
        const struct timespec times[2] = {source_->st_atim, source_->st_mtim};
        (void)::futimens(fd_, times);
    }
}

void AtomicFile::link_unnamed(const fs::path& target) {
    if (link_fd(fd_, target)) return;
    if (errno == EEXIST) throw IoError("already exists; not overwritten (use -f)", target.string());
    throw_errno("cannot create output", target);
}

void AtomicFile::commit(const fs::path& target_path, bool replace, bool durable) {
    const fs::path target = target_path.empty() ? target_ : target_path;
    apply_metadata();
    if (durable && ::fsync(fd_) != 0 && errno != EINVAL) throw_errno("cannot write output", target);
    if (unnamed_ && !replace) {
        link_unnamed(target);
    } else if (unnamed_) {
        // A name of its own first (registered, so a signal removes it), then renamed over
        // whatever is at target.
        for (int attempt = 0;; ++attempt) {
            const fs::path temp = random_temp_name(dir_, target);
            if (link_fd(fd_, temp)) {
                temp_ = temp.string();
                break;
            }
            if (errno != EEXIST || attempt >= kTempNameAttempts)
                throw_errno("cannot create output", target);
        }
        slot_ = register_temp(temp_);
        unnamed_ = false;  // from here on, a failure must remove the name
    }
    if (!unnamed_) {
        if (replace) {
            if (::rename(temp_.c_str(), target.c_str()) != 0)
                throw_errno("cannot rename output", target);
        } else if (!rename_no_replace(temp_, target)) {
            throw IoError("already exists; not overwritten (use -f)", target.string());
        }
    }
    committed_ = true;
    unregister_temp(slot_);
    slot_ = -1;
    const int fd = fd_;
    fd_ = -1;
    // Network filesystems may report a failed write only here; the file is already in place
    // then, so say so rather than claim success.
    if (::close(fd) != 0 && errno != EINTR) throw_errno("cannot write output", target);
    if (durable) sync_folder(folder_of(target));
}

void replace_symlink(const fs::path& target, const fs::path& link) {
    const fs::path dir = folder_of(link);
    for (int attempt = 0;; ++attempt) {
        const fs::path temp = random_temp_name(dir, link);
        if (::symlink(target.c_str(), temp.c_str()) != 0) {
            if (errno == EEXIST && attempt < kTempNameAttempts) continue;
            throw_errno("cannot create link", link);
        }
        const int slot = register_temp(temp.string());
        const int renamed = ::rename(temp.c_str(), link.c_str());
        const int saved = errno;
        if (renamed != 0) ::unlink(temp.c_str());
        unregister_temp(slot);
        errno = saved;
        if (renamed != 0) throw_errno("cannot replace link", link);
        return;
    }
}

}  // namespace znn
