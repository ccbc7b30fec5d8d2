#include "output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <vector>

#include "znn/errors.hpp"

namespace znn::cli {

namespace {

// The temporary files being written (folders run several files at once), for the signal
// handler. Only async-signal-safe work happens there: read these buffers and unlink.
struct LiveTemp {
    std::atomic<int> state{0};  // 0 free, 1 being filled, 2 live
    char path[4096];
};
constexpr std::size_t kLiveSlots = 64;
LiveTemp g_live[kLiveSlots];

void on_signal(int sig) {
    for (LiveTemp& slot : g_live)
        if (slot.state.load() == 2) ::unlink(slot.path);
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

// Registers path for removal on a signal; returns the slot, or -1 when none is free or
// the path is too long (the file is then still removed on every other exit path).
int register_live(const std::string& path) {
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

void unregister_live(int slot) {
    if (slot >= 0) g_live[slot].state.store(0);
}

// After a rename, the directory entry itself must reach the disk for the file to survive
// a crash under its new name.
void sync_directory_of(const std::string& path) {
    const std::filesystem::path p(path);
    const std::string dir = p.has_parent_path() ? p.parent_path().string() : std::string(".");
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    (void)::fsync(fd);
    ::close(fd);
}

std::string errno_text() {
    return std::strerror(errno);
}

}  // namespace

int open_special_output(const std::string& target) {
    struct stat st {};
    if (::stat(target.c_str(), &st) != 0 || S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) return -1;
    const int fd = ::open(target.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw IoError("cannot open output: " + errno_text(), target);
    return fd;
}

void install_cleanup_handlers() {
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) std::signal(sig, on_signal);
    // Past a file-size limit, write() then fails with EFBIG and the usual error path
    // removes the partial output, instead of the process dying with it left behind.
    std::signal(SIGXFSZ, SIG_IGN);
    // A closed pipe downstream is an I/O error on that output, not a silent death.
    std::signal(SIGPIPE, SIG_IGN);
}

OutputFile::OutputFile(std::string target) : target_(std::move(target)) {
    const std::filesystem::path path(target_);
    const std::filesystem::path dir =
        path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    std::string name_pattern = ".";
    name_pattern += path.filename().string();
    name_pattern += ".XXXXXX.znn-tmp";
    temp_ = (dir / name_pattern).string();
    std::vector<char> name(temp_.begin(), temp_.end());
    name.push_back('\0');
    fd_ = ::mkstemps(name.data(), 8);
    if (fd_ < 0) throw IoError("cannot create output: " + errno_text(), target_);
    temp_.assign(name.data());
    live_slot_ = register_live(temp_);
}

OutputFile::~OutputFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) {
        ::unlink(temp_.c_str());
        unregister_live(live_slot_);
    }
}

void OutputFile::copy_metadata_from(const std::string& source) {
    struct stat st {};
    if (::stat(source.c_str(), &st) != 0) return;
    (void)::fchmod(fd_, st.st_mode & 07777);
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    (void)::futimens(fd_, times);
}

void OutputFile::commit(bool force, bool durable) {
    if (durable && ::fsync(fd_) != 0 && errno != EINVAL)
        throw IoError("cannot write output: " + errno_text(), target_);
    if (::close(fd_) != 0) {
        fd_ = -1;
        throw IoError("cannot write output: " + errno_text(), target_);
    }
    fd_ = -1;
    if (force) {
        if (::rename(temp_.c_str(), target_.c_str()) != 0)
            throw IoError("cannot rename output: " + errno_text(), target_);
    } else {
        // link() fails if the target exists, so a file that appeared meanwhile is never replaced.
        if (::link(temp_.c_str(), target_.c_str()) != 0) {
            if (errno == EEXIST) throw IoError("already exists; not overwritten (use -f)", target_);
            if (::rename(temp_.c_str(), target_.c_str()) != 0)
                throw IoError("cannot rename output: " + errno_text(), target_);
        } else {
            ::unlink(temp_.c_str());
        }
    }
    committed_ = true;
    unregister_live(live_slot_);
    if (durable) sync_directory_of(target_);
}

}  // namespace znn::cli
