// An LD_PRELOAD library for the CLI tests: makes znn meet, on demand and at a known moment,
// what the real world does to it at random. Each behaviour is switched on by a variable:
//
//   ZNN_FAULT_NO_HARDLINKS=1    link()/linkat() fail with EPERM and O_TMPFILE with EOPNOTSUPP,
//                               as on vfat and some network or FUSE filesystems.
//   ZNN_FAULT_NO_NOREPLACE=1    renameat2(RENAME_NOREPLACE) fails with EINVAL too.
//   ZNN_FAULT_WATCH=PATH        the file whose first read sets off the two actions below:
//   ZNN_FAULT_MOVE=FROM:TO        rename FROM to TO (a downloader replacing the input, or a
//                                 file appearing at the output's name);
//   ZNN_FAULT_RESIZE=N            append N bytes to PATH, or cut -N bytes off its end.
//   ZNN_FAULT_LOG=FILE          append the destination of every rename and link, one a line.
//   ZNN_FAULT_SIGNAL=SUFFIX:SIG raise signal SIG just before a rename or link whose
//                               destination ends in SUFFIX (killed mid-commit).
//
// Only calls made by znn's own code are seen (glibc's internal calls bypass the PLT).
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

template <class Fn>
Fn real(const char* name) {
    return reinterpret_cast<Fn>(::dlsym(RTLD_NEXT, name));
}

const char* env(const char* name) {
    const char* value = std::getenv(name);
    return value && *value ? value : nullptr;
}

std::atomic<int> g_watched_fd{-1};
std::atomic<bool> g_fired{false};

void log_destination(const char* path) {
    const char* log = env("ZNN_FAULT_LOG");
    if (!log) return;
    static auto real_open = real<int (*)(const char*, int, ...)>("open");
    const int fd = real_open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return;
    const std::string line = std::string(path) + "\n";
    (void)::write(fd, line.data(), line.size());
    ::close(fd);
}

void maybe_signal(const char* path) {
    const char* spec = env("ZNN_FAULT_SIGNAL");
    if (!spec) return;
    const char* colon = std::strrchr(spec, ':');
    if (!colon) return;
    const std::string suffix(spec, colon);
    const std::string target(path);
    if (target.size() >= suffix.size() &&
        target.compare(target.size() - suffix.size(), suffix.size(), suffix) == 0)
        ::raise(std::atoi(colon + 1));
}

void before_destination(const char* path) {
    log_destination(path);
    maybe_signal(path);
}

// The first read of the watched file: what happens to it (and around it) now.
void fire(int fd) {
    if (fd < 0 || fd != g_watched_fd.load() || g_fired.exchange(true)) return;
    const char* watched = env("ZNN_FAULT_WATCH");
    if (const char* resize = env("ZNN_FAULT_RESIZE")) {
        const long long n = std::atoll(resize);
        static auto real_open = real<int (*)(const char*, int, ...)>("open");
        if (n > 0) {
            const int out = real_open(watched, O_WRONLY | O_APPEND | O_CLOEXEC);
            const std::string bytes(static_cast<std::size_t>(n), 'z');
            if (out >= 0) {
                (void)::write(out, bytes.data(), bytes.size());
                ::close(out);
            }
        } else {
            struct stat st {};
            if (::stat(watched, &st) == 0) (void)::truncate(watched, st.st_size + n);
        }
    }
    if (const char* move = env("ZNN_FAULT_MOVE")) {
        const char* colon = std::strchr(move, ':');
        if (colon) {
            static auto real_rename = real<int (*)(const char*, const char*)>("rename");
            (void)real_rename(std::string(move, colon).c_str(), colon + 1);
        }
    }
}

int after_open(const char* path, int flags, int fd) {
    const char* watched = env("ZNN_FAULT_WATCH");
    if (fd >= 0 && watched && (flags & O_ACCMODE) == O_RDONLY && std::strcmp(path, watched) == 0) {
        int expected = -1;
        g_watched_fd.compare_exchange_strong(expected, fd);
    }
    return fd;
}

bool refuse_tmpfile(int flags) {
    if ((flags & O_TMPFILE) == O_TMPFILE && env("ZNN_FAULT_NO_HARDLINKS")) {
        errno = EOPNOTSUPP;
        return true;
    }
    return false;
}

}  // namespace

// The mode argument exists only with O_CREAT or O_TMPFILE.
#define ZNN_READ_MODE(flags, mode)                               \
    mode_t mode = 0;                                             \
    if (((flags)&O_CREAT) || ((flags)&O_TMPFILE) == O_TMPFILE) { \
        va_list args;                                            \
        va_start(args, flags);                                   \
        mode = va_arg(args, mode_t);                             \
        va_end(args);                                            \
    }

extern "C" {

int open(const char* path, int flags, ...) {
    static auto next = real<int (*)(const char*, int, ...)>("open");
    ZNN_READ_MODE(flags, mode);
    if (refuse_tmpfile(flags)) return -1;
    return after_open(path, flags, next(path, flags, mode));
}

int open64(const char* path, int flags, ...) {
    static auto next = real<int (*)(const char*, int, ...)>("open64");
    ZNN_READ_MODE(flags, mode);
    if (refuse_tmpfile(flags)) return -1;
    return after_open(path, flags, next(path, flags, mode));
}

int openat(int dir, const char* path, int flags, ...) {
    static auto next = real<int (*)(int, const char*, int, ...)>("openat");
    ZNN_READ_MODE(flags, mode);
    if (refuse_tmpfile(flags)) return -1;
    return after_open(path, flags, next(dir, path, flags, mode));
}

ssize_t read(int fd, void* buf, size_t count) {
    static auto next = real<ssize_t (*)(int, void*, size_t)>("read");
    fire(fd);
    return next(fd, buf, count);
}

ssize_t pread(int fd, void* buf, size_t count, off_t offset) {
    static auto next = real<ssize_t (*)(int, void*, size_t, off_t)>("pread");
    fire(fd);
    return next(fd, buf, count, offset);
}

ssize_t pread64(int fd, void* buf, size_t count, off_t offset) {
    static auto next = real<ssize_t (*)(int, void*, size_t, off_t)>("pread64");
    fire(fd);
    return next(fd, buf, count, offset);
}

int link(const char* from, const char* to) {
    static auto next = real<int (*)(const char*, const char*)>("link");
    if (env("ZNN_FAULT_NO_HARDLINKS")) {
        errno = EPERM;
        return -1;
    }
    before_destination(to);
    return next(from, to);
}

int linkat(int from_dir, const char* from, int to_dir, const char* to, int flags) {
    static auto next = real<int (*)(int, const char*, int, const char*, int)>("linkat");
    if (env("ZNN_FAULT_NO_HARDLINKS")) {
        errno = EPERM;
        return -1;
    }
    before_destination(to);
    return next(from_dir, from, to_dir, to, flags);
}

int rename(const char* from, const char* to) {
    static auto next = real<int (*)(const char*, const char*)>("rename");
    before_destination(to);
    return next(from, to);
}

int renameat(int from_dir, const char* from, int to_dir, const char* to) {
    static auto next = real<int (*)(int, const char*, int, const char*)>("renameat");
    before_destination(to);
    return next(from_dir, from, to_dir, to);
}

int renameat2(int from_dir, const char* from, int to_dir, const char* to, unsigned flags) {
    static auto next = real<int (*)(int, const char*, int, const char*, unsigned)>("renameat2");
    if ((flags & RENAME_NOREPLACE) && env("ZNN_FAULT_NO_NOREPLACE")) {
        errno = EINVAL;
        return -1;
    }
    before_destination(to);
    return next(from_dir, from, to_dir, to, flags);
}

}  // extern "C"
