#include "output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "znn/atomic_file.hpp"
#include "znn/errors.hpp"
#include "znn/model_dir.hpp"

namespace znn::cli {

namespace {

void on_signal(int sig) {
    remove_temporary_files();
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

// "N" as a descriptor number, or -1.
int parse_fd(std::string_view text) {
    int fd = -1;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), fd);
    return ec == std::errc() && end == text.data() + text.size() && fd >= 0 ? fd : -1;
}

// The descriptor a path names by spelling alone, or -1.
int descriptor_spelled(const std::string& path) {
    if (path == "/dev/stdin") return STDIN_FILENO;
    if (path == "/dev/stdout") return STDOUT_FILENO;
    if (path == "/dev/stderr") return STDERR_FILENO;
    const std::string own = "/proc/" + std::to_string(::getpid()) + "/fd/";
    for (const std::string_view prefix :
         {std::string_view("/dev/fd/"), std::string_view("/proc/self/fd/"),
          std::string_view("/proc/thread-self/fd/"), std::string_view(own)}) {
        if (path.size() > prefix.size() && path.compare(0, prefix.size(), prefix) == 0)
            return parse_fd(std::string_view(path).substr(prefix.size()));
    }
    return -1;
}

void check_terminal(const OutputTarget& out, const std::string& source, const Options& options) {
    if (options.mode == Mode::compress && ::isatty(out.fd) == 1 && !options.force)
        throw UsageError(
            out.name +
                " is a terminal: not writing compressed data to it (use -o or a redirection)",
            source.empty() ? "stdin" : source);
}

}  // namespace

std::optional<int> descriptor_named_by(const std::string& path) {
    namespace fs = std::filesystem;
    fs::path current = fs::path(path).lexically_normal();
    // A few links deep is enough for /dev/stdout -> /proc/self/fd/1 and a user's link to it.
    for (int depth = 0; depth < 8; ++depth) {
        const int fd = descriptor_spelled(current.string());
        if (fd >= 0) {
            if (::fcntl(fd, F_GETFD) < 0) return std::nullopt;
            return fd;
        }
        std::error_code ec;
        if (!fs::is_symlink(fs::symlink_status(current, ec))) return std::nullopt;
        const fs::path next = fs::read_symlink(current, ec);
        if (ec) return std::nullopt;
        current = (next.is_absolute() ? next : current.parent_path() / next).lexically_normal();
    }
    return std::nullopt;
}

int open_special_output(const std::string& target) {
    struct stat st {};
    if (::stat(target.c_str(), &st) != 0 || S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) return -1;
    const int fd = ::open(target.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw IoError(std::string("cannot open output: ") + std::strerror(errno), target);
    return fd;
}

OutputTarget::~OutputTarget() {
    if (owns_fd) ::close(fd);
}

void open_output(OutputTarget& out, const std::string& target, const std::string& source,
                 const struct stat* source_stat, const Options& options, const OutputRules& rules) {
    if (options.mode == Mode::test) return;
    if (!target.empty() && target != "-") {
        out.name = target;
        if (const auto fd = descriptor_named_by(target)) {
            // /dev/stdout and the like mean the descriptor: written, never replaced.
            out.fd = *fd;
        } else {
            struct stat link {};
            if (::lstat(target.c_str(), &link) != 0) {
                if (errno != ENOENT)
                    throw IoError(std::string("cannot create output: ") + std::strerror(errno),
                                  target);
            } else {
                struct stat st = link;
                const bool dangling = S_ISLNK(link.st_mode) && ::stat(target.c_str(), &st) != 0;
                if (source_stat && !dangling && st.st_dev == source_stat->st_dev &&
                    st.st_ino == source_stat->st_ino)
                    throw IoError("output would overwrite the input", source);
                if (S_ISDIR(st.st_mode) && !dangling)
                    throw IoError("is a folder; not overwritten", target);
                if (!rules.default_name && !dangling && !S_ISREG(st.st_mode)) {
                    out.fd = open_special_output(target);
                    out.owns_fd = true;
                    return check_terminal(out, source, options);
                }
                if (!options.force) {
                    // A link into the job's own cache is how the output is stored there.
                    const auto link_blobs = rules.blobs ? hf_blobs_dir(target) : std::nullopt;
                    const bool cache_link = link_blobs && *link_blobs == *rules.blobs;
                    if (rules.default_name && S_ISLNK(link.st_mode) && !cache_link)
                        throw IoError(
                            "exists and is a symbolic link; not overwritten (use -f to "
                            "replace the link)",
                            target);
                    if (rules.default_name && !S_ISREG(link.st_mode) && !cache_link)
                        throw IoError("exists and is not a regular file; not overwritten (use -f)",
                                      target);
                    throw IoError("already exists; not overwritten (use -f)", target);
                }
                out.replace = true;
            }
            out.file.emplace(rules.blobs ? *rules.blobs / std::filesystem::path(target).filename()
                                         : std::filesystem::path(target));
            out.fd = out.file->fd();
            return;
        }
    }
    check_terminal(out, source, options);
}

void install_cleanup_handlers() {
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) std::signal(sig, on_signal);
    // Past a file-size limit, write() then fails with EFBIG and the usual error path
    // removes the partial output, instead of the process dying with it left behind.
    std::signal(SIGXFSZ, SIG_IGN);
    // A closed pipe downstream is an I/O error on that output, not a silent death.
    std::signal(SIGPIPE, SIG_IGN);
}

}  // namespace znn::cli
