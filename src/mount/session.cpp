// Starting and stopping a mount as sshfs does: every check that can fail is made, and the
// file system mounted, while the caller still waits, so errors are reported synchronously;
// only then does the process go to the background (unless -f) and serve until unmounted.
#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>

#include "mount/delta_check.hpp"
#include "mount/filesystem.hpp"
#include "mount/mount.hpp"
#include "znn/errors.hpp"

namespace znn::mount {

namespace {

// What libfuse logs is kept and folded into our own one-line errors while starting; once
// running, it goes to the mount's error log.
std::mutex g_log_mutex;
std::string g_fuse_message;
ErrorLog* g_running_log = nullptr;

void capture_fuse_log(enum fuse_log_level level, const char* format, va_list ap) {
    if (level > FUSE_LOG_ERR) {  // -o debug: every request, to stderr as libfuse prints it
        std::vfprintf(stderr, format, ap);
        return;
    }
    char text[1024];
    std::vsnprintf(text, sizeof text, format, ap);
    std::string message(text);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
        message.pop_back();
    if (message.starts_with("fuse: ")) message.erase(0, 6);
    const std::lock_guard lock(g_log_mutex);
    if (g_running_log != nullptr)
        g_running_log->report("", message);
    else
        g_fuse_message = message;
}

std::string fuse_message() {
    const std::lock_guard lock(g_log_mutex);
    return g_fuse_message.empty() ? std::string() : " (" + g_fuse_message + ")";
}

std::string real_path(const std::string& path, const char* missing) {
    char* resolved = ::realpath(path.c_str(), nullptr);
    if (resolved == nullptr)
        throw IoError(std::string(missing) + ": " + std::strerror(errno), path);
    std::string result(resolved);
    std::free(resolved);
    return result;
}

void check_mountpoint(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        throw IoError("not a folder (mount on an empty folder: mkdir it first)", path);
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr)
        throw IoError(std::string("cannot open: ") + std::strerror(errno) +
                          " (mount on an empty folder you can read)",
                      path);
    bool empty = true;
    while (const dirent* d = ::readdir(dir)) {
        const std::string_view name = d->d_name;
        if (name != "." && name != "..") empty = false;
    }
    ::closedir(dir);
    if (!empty)
        throw IoError("not empty (mount on an empty folder, or unmount what is mounted there)",
                      path);
}

void check_fuse_device() {
    const int fd = ::open("/dev/fuse", O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        ::close(fd);
        return;
    }
    throw IoError(std::string("cannot open: ") + std::strerror(errno) +
                      " (znn mount needs FUSE: install fuse3 and load the fuse module; in a "
                      "container, give it --device /dev/fuse and --cap-add SYS_ADMIN)",
                  "/dev/fuse");
}

// FUSE options take commas as separators; a comma in a path is escaped.
std::string escape_option(const std::string& value) {
    std::string out;
    for (const char c : value) {
        if (c == ',' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

struct SessionDeleter {
    void operator()(fuse_session* se) const noexcept { fuse_session_destroy(se); }
};

}  // namespace

int serve_mount(const MountOptions& options) {
    const std::string source = real_path(options.source, "no such file or folder");
    const std::string mountpoint =
        real_path(options.mountpoint, "no such folder (mount on an empty folder: mkdir it first)");
    struct stat st {};
    if (::stat(source.c_str(), &st) != 0 || !(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)))
        throw IoError("not a folder or a file (give a folder of .znn files or a .znn file)",
                      options.source);
    check_mountpoint(mountpoint);
    check_fuse_device();

    // Few arenas: decoded chunks are allocated by whichever thread decodes them and freed by
    // whichever evicts them, and one heap per thread would each keep its own high water.
    mallopt(M_ARENA_MAX, 2);

    fuse_set_log_func(capture_fuse_log);
    auto cache =
        std::make_shared<ChunkCache>(static_cast<std::size_t>(options.cache_size), options.threads);
    const std::string name = std::filesystem::path(options.source).filename().string();
    Filesystem fs(source, name.empty() ? source : name, mountpoint, cache);
    std::shared_ptr<const BaseModel> base;
    if (!options.base.empty()) base = BaseModel::open(options.base);
    check_delta_files(fs.view, base, source, options.source);
    if (base && !options.foreground) {
        // Checking may have started a compressed base's decoding threads, which the fork to
        // the background would not carry over: the server opens the base afresh (and checks
        // each delta file again, against the base's checksums, when it is first opened).
        base.reset();
        base = BaseModel::open(options.base);
    }
    fs.base = base;

    std::vector<std::string> words = {
        "znn", "-o", "ro,default_permissions,subtype=znn,fsname=" + escape_option(source)};
    for (const std::string& o : options.fuse_options) {
        words.push_back("-o");
        words.push_back(o);
    }
    std::vector<char*> argv;
    for (std::string& w : words) argv.push_back(w.data());
    fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
    const std::unique_ptr<fuse_session, SessionDeleter> session(
        fuse_session_new(&args, &filesystem_operations(), sizeof(fuse_lowlevel_ops), &fs));
    fuse_opt_free_args(&args);
    if (!session) throw UsageError("bad FUSE option" + fuse_message());

    // Our Ctrl-C handler (for temporary output files) would keep libfuse from installing
    // its own, which ends the session loop so the file system is unmounted.
    for (const int sig : {SIGINT, SIGTERM, SIGHUP}) std::signal(sig, SIG_DFL);
    if (fuse_set_signal_handlers(session.get()) != 0)
        throw IoError("cannot install signal handlers", mountpoint);
    if (fuse_session_mount(session.get(), mountpoint.c_str()) != 0) {
        fuse_remove_signal_handlers(session.get());
        throw IoError("cannot mount" + fuse_message(), options.mountpoint);
    }
    if (options.verbose)
        std::fprintf(stderr, "znn: mounted %s on %s\n", source.c_str(), mountpoint.c_str());
    std::fflush(nullptr);
    // The parent returns from here (exit status 0) once the child has detached.
    if (fuse_daemonize(options.foreground ? 1 : 0) != 0) {
        fuse_session_unmount(session.get());
        fuse_remove_signal_handlers(session.get());
        throw IoError("cannot go to the background", mountpoint);
    }
    if (!options.foreground) fs.log.use_syslog();
    {
        const std::lock_guard lock(g_log_mutex);
        g_running_log = &fs.log;
    }

    fuse_loop_config* config = fuse_loop_cfg_create();
    fuse_loop_cfg_set_clone_fd(config, 1);
    const int loop = fuse_session_loop_mt(session.get(), config);
    fuse_loop_cfg_destroy(config);

    fuse_session_unmount(session.get());
    fuse_remove_signal_handlers(session.get());
    {
        const std::lock_guard lock(g_log_mutex);
        g_running_log = nullptr;
    }
    if (options.verbose && options.foreground)
        std::fprintf(stderr, "znn: unmounted %s\n", mountpoint.c_str());
    // A signal ends the loop with its number: a clean unmount, as fusermount3 -u is.
    return loop < 0 ? 1 : 0;
}

}  // namespace znn::mount
