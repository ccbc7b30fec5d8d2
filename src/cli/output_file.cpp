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

// The temporary file being written, for the signal handler. Only async-signal-safe work
// happens there: read this buffer and unlink it.
char g_live_temp[4096];
std::atomic<bool> g_live{false};

void on_signal(int sig) {
    if (g_live.load()) ::unlink(g_live_temp);
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

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
    const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    std::string name_pattern = ".";
    name_pattern += path.filename().string();
    name_pattern += ".XXXXXX.znn-tmp";
    temp_ = (dir / name_pattern).string();
    std::vector<char> name(temp_.begin(), temp_.end());
    name.push_back('\0');
    fd_ = ::mkstemps(name.data(), 8);
    if (fd_ < 0) throw IoError("cannot create output: " + errno_text(), target_);
    temp_.assign(name.data());
    if (temp_.size() < sizeof g_live_temp) {
        std::memcpy(g_live_temp, temp_.c_str(), temp_.size() + 1);
        g_live.store(true);
    }
}

OutputFile::~OutputFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) {
        g_live.store(false);
        ::unlink(temp_.c_str());
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
    if (durable && ::fsync(fd_) != 0 && errno != EINVAL) throw IoError("cannot write output: " + errno_text(), target_);
    if (::close(fd_) != 0) {
        fd_ = -1;
        throw IoError("cannot write output: " + errno_text(), target_);
    }
    fd_ = -1;
    if (force) {
        if (::rename(temp_.c_str(), target_.c_str()) != 0) throw IoError("cannot rename output: " + errno_text(), target_);
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
    g_live.store(false);
}

}  // namespace znn::cli
