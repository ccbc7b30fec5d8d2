// The Hugging Face cache layout: snapshots/<rev>/<file> are relative symlinks into blobs/, and
// one blob may back the same file in several revisions. So a changed file never overwrites its
// blob: it becomes a new blob and only the one revision's link is repointed.
#include "znn/model_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <span>
#include <system_error>
#include <vector>

#include "model/sha.hpp"
#include "znn/atomic_file.hpp"
#include "znn/errors.hpp"

namespace znn {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kReadBufferSize = std::size_t{1} << 20;

[[noreturn]] void throw_io(const std::string& what, const std::error_code& ec,
                           const fs::path& path) {
    throw IoError(what + ": " + ec.message(), path.string());
}

[[noreturn]] void throw_errno(const std::string& what, const fs::path& path) {
    throw_io(what, std::error_code(errno, std::generic_category()), path);
}

// Where a link really lives, so two spellings of the same link compare equal.
fs::path link_identity(const fs::path& link) {
    std::error_code ec;
    const fs::path abs = fs::absolute(link, ec);
    if (ec) return link.lexically_normal();
    const fs::path dir = fs::weakly_canonical(abs.parent_path(), ec);
    return ec ? abs.lexically_normal() : dir / abs.filename();
}

fs::path cache_root(const fs::path& blobs_dir) {
    const fs::path dir = blobs_dir.has_filename() ? blobs_dir : blobs_dir.parent_path();
    return dir.parent_path();
}

struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
};

// Reads [offset, offset + out.size()) or up to the end; returns the count. Throws IoError.
std::size_t read_at(int fd, std::uint64_t offset, std::span<std::uint8_t> out,
                    const fs::path& path) {
    std::size_t done = 0;
    while (done < out.size()) {
        const ssize_t n =
            ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno("cannot read", path);
        if (n == 0) break;
        done += static_cast<std::size_t>(n);
    }
    return done;
}

// Feeds every byte of fd from offset 0 to `hash`; returns the count.
template <class Hash>
std::uint64_t hash_fd(int fd, Hash& hash, const fs::path& path) {
    std::vector<std::uint8_t> buffer(kReadBufferSize);
    std::uint64_t offset = 0;
    for (;;) {
        const std::size_t n = read_at(fd, offset, buffer, path);
        if (n == 0) return offset;
        hash.update({buffer.data(), n});
        offset += n;
    }
}

// Whether the two descriptors hold the same bytes.
bool same_content(int a, int b, const fs::path& a_path, const fs::path& b_path) {
    struct stat sa {};
    struct stat sb {};
    if (::fstat(a, &sa) != 0 || ::fstat(b, &sb) != 0 || sa.st_size != sb.st_size) return false;
    std::vector<std::uint8_t> x(kReadBufferSize);
    std::vector<std::uint8_t> y(kReadBufferSize);
    for (std::uint64_t offset = 0;;) {
        const std::size_t n = read_at(a, offset, x, a_path);
        if (read_at(b, offset, y, b_path) != n) return false;
        if (n == 0) return true;
        if (std::memcmp(x.data(), y.data(), n) != 0) return false;
        offset += n;
    }
}

}  // namespace

std::optional<fs::path> hf_blobs_dir(const fs::path& file) noexcept {
    try {
        std::error_code ec;
        if (!fs::is_symlink(file, ec)) return std::nullopt;
        const fs::path target = fs::canonical(file, ec);
        if (ec) return std::nullopt;
        fs::path blobs = target.parent_path();
        if (blobs.filename() != "blobs") return std::nullopt;
        const fs::path snapshots = blobs.parent_path() / "snapshots";
        if (!fs::is_directory(snapshots, ec)) return std::nullopt;
        // The link must be one of this cache's snapshots: a link planted elsewhere that points
        // into some cache's blobs/ must not make znn write or delete there.
        const fs::path link_dir = fs::canonical(fs::absolute(file, ec).parent_path(), ec);
        if (ec) return std::nullopt;
        const fs::path rel = link_dir.lexically_relative(snapshots);
        if (rel.empty() || *rel.begin() == ".." || *rel.begin() == ".") return std::nullopt;
        return blobs;
    } catch (...) {
        return std::nullopt;
    }
}

std::string hf_blob_name(int fd, const std::string& path) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) throw_errno("cannot read", path);
    const auto size = static_cast<std::uint64_t>(st.st_size);
    std::array<std::uint8_t, kHfBinarySample> sample{};
    const std::size_t sampled = read_at(fd, 0, sample, path);
    const bool binary = std::memchr(sample.data(), 0, sampled) != nullptr;
    if (size >= kHfLfsMinSize || binary) {
        Sha256 hash;
        hash_fd(fd, hash, path);
        return to_hex(hash.finish());
    }
    // Git's blob id: the object header, then the bytes.
    Sha1 hash;
    const std::string header = "blob " + std::to_string(size);
    hash.update({reinterpret_cast<const std::uint8_t*>(header.c_str()), header.size() + 1});
    if (hash_fd(fd, hash, path) != size) throw IoError("changed while being read", path);
    return to_hex(hash.finish());
}

std::string hf_blob_name(const fs::path& file) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) throw_errno("cannot read", file);
    const FdCloser closer{fd};
    return hf_blob_name(fd, file.string());
}

fs::path hf_store_blob(const fs::path& blobs_dir, AtomicFile& file, const fs::path& link,
                       bool durable) {
    const fs::path blob = blobs_dir / hf_blob_name(file.fd(), link.string());

    // Blob names are content hashes, but an existing blob may be damaged: it is reused only
    // if its bytes are the new ones, and replaced otherwise.
    bool exists = false;
    bool reuse = false;
    const int existing = ::open(blob.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (existing >= 0) {
        const FdCloser closer{existing};
        exists = true;
        struct stat st {};
        reuse = ::fstat(existing, &st) == 0 && S_ISREG(st.st_mode) &&
                same_content(existing, file.fd(), blob, link);
    } else if (errno != ENOENT) {
        exists = true;  // a link or something unreadable under a blob's name: replaced
    }
    if (!reuse) file.commit(blob, exists, durable);

    // Relative like the links huggingface_hub makes, so the cache survives being moved.
    std::error_code ec;
    const fs::path link_dir = link.parent_path().empty() ? fs::path(".") : link.parent_path();
    const fs::path target = fs::relative(blob, link_dir, ec);
    if (ec || target.empty()) {
        throw_io("cannot link into the cache",
                 ec ? ec : std::make_error_code(std::errc::invalid_argument), link);
    }
    replace_symlink(target, link);
    if (durable) sync_folder(link_dir);
    return blob;
}

bool hf_blob_shared(const fs::path& blobs_dir, const fs::path& blob, const fs::path& except) {
    const fs::path snapshots = cache_root(blobs_dir) / "snapshots";
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(snapshots, ec))) return false;

    const fs::path wanted = fs::weakly_canonical(blob, ec);
    if (ec) throw_io("cannot resolve", ec, blob);
    const fs::path skipped = except.empty() ? fs::path() : link_identity(except);

    // Errors are thrown, not skipped: an unread folder might hold the one other reference, and
    // answering "not shared" would let hf_remove_link delete a blob still in use.
    fs::recursive_directory_iterator it(snapshots, fs::directory_options::none, ec);
    if (ec) throw_io("cannot list folder", ec, snapshots);
    for (const fs::recursive_directory_iterator end{}; it != end;) {
        const fs::path& path = it->path();
        if (it->is_symlink(ec) && !ec) {
            std::error_code resolve_ec;
            const fs::path resolved = fs::canonical(path, resolve_ec);
            if (!resolve_ec && resolved == wanted) {
                if (skipped.empty() || link_identity(path) != skipped) return true;
            }
        }
        if (ec) throw_io("cannot read", ec, path);
        it.increment(ec);
        if (ec) throw_io("cannot list folder", ec, snapshots);
    }
    return false;
}

void hf_remove_link(const fs::path& link) {
    std::error_code ec;
    const auto blobs = hf_blobs_dir(link);
    if (!blobs) {
        fs::remove(link, ec);
        if (ec) throw_io("cannot remove", ec, link);
        return;
    }
    const fs::path blob = fs::canonical(link, ec);
    if (ec) throw_io("cannot resolve", ec, link);
    const bool shared = hf_blob_shared(*blobs, blob, link);
    // The link goes first: a crash in between leaves an unused blob, not a dangling link.
    fs::remove(link, ec);
    if (ec) throw_io("cannot remove", ec, link);
    if (!shared) {
        fs::remove(blob, ec);
        if (ec) throw_io("cannot remove", ec, blob);
    }
}

bool hf_remove_unused_blob(const fs::path& blobs_dir, const fs::path& blob) {
    if (hf_blob_shared(blobs_dir, blob, fs::path())) return false;
    std::error_code ec;
    const bool removed = fs::remove(blob, ec);
    if (ec) throw_io("cannot remove", ec, blob);
    return removed;
}

}  // namespace znn
