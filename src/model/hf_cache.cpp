// The Hugging Face cache layout: snapshots/<rev>/<file> are relative symlinks into blobs/, and
// one blob may back the same file in several revisions. So a changed file never overwrites its
// blob: it becomes a new blob and only the one revision's link is repointed.
#include "znn/model_dir.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <random>
#include <system_error>

#include "znn/errors.hpp"

namespace znn {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kHashBufferSize = std::size_t{1} << 20;
constexpr int kTempNameAttempts = 100;

[[noreturn]] void throw_io(const std::string& what, const std::error_code& ec,
                           const fs::path& path) {
    throw IoError(what + ": " + ec.message(), path.string());
}

// A hidden name next to `target`, so a crash leaves an obvious leftover rather than a half file.
fs::path temp_sibling(const fs::path& target) {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    std::array<char, 17> hex{};
    std::snprintf(hex.data(), hex.size(), "%016llx", static_cast<unsigned long long>(rng()));
    return target.parent_path() / ("." + target.filename().string() + ".znn-tmp-" + hex.data());
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

struct HashStateFree {
    void operator()(XXH3_state_t* state) const noexcept { XXH3_freeState(state); }
};

}  // namespace

std::optional<fs::path> hf_blobs_dir(const fs::path& file) noexcept {
    try {
        std::error_code ec;
        if (!fs::is_symlink(file, ec)) return std::nullopt;
        const fs::path target = fs::canonical(file, ec);
        if (ec) return std::nullopt;
        fs::path blobs = target.parent_path();
        if (blobs.filename() != "blobs") return std::nullopt;
        if (!fs::is_directory(blobs.parent_path() / "snapshots", ec)) return std::nullopt;
        return blobs;
    } catch (...) {
        return std::nullopt;
    }
}

std::string hf_content_hash(const fs::path& file) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw_io("cannot read", std::error_code(errno, std::generic_category()), file);
    const FdCloser closer{fd};

    const std::unique_ptr<XXH3_state_t, HashStateFree> state(XXH3_createState());
    if (!state || XXH3_128bits_reset(state.get()) != XXH_OK) throw std::bad_alloc();
    std::unique_ptr<char[]> buffer(new char[kHashBufferSize]);
    for (;;) {
        const ssize_t n = ::read(fd, buffer.get(), kHashBufferSize);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_io("cannot read", std::error_code(errno, std::generic_category()), file);
        if (n == 0) break;
        XXH3_128bits_update(state.get(), buffer.get(), static_cast<std::size_t>(n));
    }

    // The canonical (big-endian) form, so the name does not depend on the host.
    XXH128_canonical_t canonical;
    XXH128_canonicalFromHash(&canonical, XXH3_128bits_digest(state.get()));
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(2 * sizeof canonical.digest);
    for (const unsigned char byte : canonical.digest) {
        hex += kDigits[byte >> 4];
        hex += kDigits[byte & 0xf];
    }
    return hex;
}

fs::path hf_store_blob(const fs::path& blobs_dir, const fs::path& tmp, const fs::path& link) {
    const fs::path blob = blobs_dir / hf_content_hash(tmp);
    std::error_code ec;
    const auto tmp_size = fs::file_size(tmp, ec);
    if (ec) throw_io("cannot read", ec, tmp);

    // Blob names are content hashes, so an existing blob of the same size already holds these
    // bytes (a different size can only be a damaged leftover, which the rename then replaces).
    std::error_code size_ec;
    const auto blob_size = fs::file_size(blob, size_ec);
    if (!size_ec && blob_size == tmp_size) {
        fs::remove(tmp, ec);
        if (ec) throw_io("cannot remove", ec, tmp);
    } else {
        fs::rename(tmp, blob, ec);
        if (ec) throw_io("cannot move into the cache", ec, blob);
    }

    // Relative like the links huggingface_hub makes, so the cache survives being moved.
    const fs::path link_dir = link.parent_path().empty() ? fs::path(".") : link.parent_path();
    const fs::path target = fs::relative(blob, link_dir, ec);
    if (ec || target.empty()) {
        throw_io("cannot link into the cache",
                 ec ? ec : std::make_error_code(std::errc::invalid_argument), link);
    }

    // A fresh link renamed over the old one: readers always see the old file or the new one.
    for (int attempt = 0;; ++attempt) {
        const fs::path tmp_link = temp_sibling(link_dir / link.filename());
        fs::create_symlink(target, tmp_link, ec);
        if (ec == std::errc::file_exists && attempt < kTempNameAttempts) continue;
        if (ec) throw_io("cannot create link", ec, tmp_link);
        fs::rename(tmp_link, link, ec);
        if (ec) {
            std::error_code ignored;
            fs::remove(tmp_link, ignored);
            throw_io("cannot replace link", ec, link);
        }
        return blob;
    }
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
