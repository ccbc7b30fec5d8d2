#include "model_sync.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <system_error>

#include "console.hpp"
#include "walk.hpp"
#include "znn/atomic_file.hpp"
#include "znn/errors.hpp"
#include "znn/model_dir.hpp"

namespace fs = std::filesystem;

namespace znn::cli {

namespace {

fs::path normal(const fs::path& path) {
    std::error_code ec;
    const fs::path absolute = fs::absolute(path, ec);
    return (ec ? path : absolute).lexically_normal();
}

// Index files directly in `dir` (not below it): those are the ones that can name a file there.
std::vector<fs::path> indexes_in(const fs::path& dir) {
    std::vector<fs::path> found;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (is_index_file(it->path())) found.push_back(it->path());
    }
    std::sort(found.begin(), found.end());
    return found;
}

// Makes the outputs of the waiting sources durable. A few are fsynced one by one; for a
// large batch one syncfs per filesystem costs far less than thousands of fsyncs (5 ms each
// on ext4 here), though it also flushes whatever else is waiting on that filesystem.
void flush_outputs(const std::vector<const Removal*>& removals) {
    constexpr std::size_t kMaxSingleSyncs = 64;
    std::set<fs::path> folders;
    for (const Removal* removal : removals) {
        const fs::path output(removal->output);
        folders.insert(output.parent_path());
        if (removal->hf_link) {
            std::error_code ec;  // the blob behind the new link
            const fs::path blob = fs::canonical(output, ec);
            if (!ec) folders.insert(blob.parent_path());
        }
        if (removals.size() > kMaxSingleSyncs) continue;
        const int fd = ::open(output.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0) continue;
        (void)::fsync(fd);
        ::close(fd);
    }
    std::set<dev_t> synced;
    for (const fs::path& folder : folders) {
        const int fd =
            ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) continue;
        struct stat st {};
        if (removals.size() <= kMaxSingleSyncs) {
            (void)::fsync(fd);
        } else if (::fstat(fd, &st) == 0 && synced.insert(st.st_dev).second) {
            (void)::syncfs(fd);
        }
        ::close(fd);
    }
}

}  // namespace

std::mutex& hf_cache_mutex() {
    static std::mutex mutex;
    return mutex;
}

bool remove_source(const Removal& removal) {
    const std::string& path = removal.path;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return true;  // already gone: nothing left to remove
        print_error(path, std::string("cannot remove: ") + std::strerror(errno));
        return false;
    }
    // A link counts as the file it leads to, which is what was read.
    if (S_ISLNK(st.st_mode) && ::stat(path.c_str(), &st) != 0) st = {};
    if (st.st_dev != removal.dev || st.st_ino != removal.ino) {
        print_error(path,
                    "replaced while being read: kept (the output holds the content read before)");
        return false;
    }
    try {
        if (removal.hf_link) {
            const std::lock_guard lock(hf_cache_mutex());
            hf_remove_link(path);
        } else if (::unlink(path.c_str()) != 0) {
            throw IoError(std::string("cannot remove: ") + std::strerror(errno), path);
        }
        return true;
    } catch (const Error& e) {
        print_error(e.path().empty() ? path : e.path(), e.what());
    } catch (const fs::filesystem_error& e) {
        print_error(path, e.code().message());
    }
    return false;
}

ModelSync::Root& ModelSync::root_for(const fs::path& path, bool recursive) {
    const fs::path root = normal(path);
    for (Root& r : roots_) {
        if (r.path == root) {
            r.recursive = r.recursive || recursive;
            return r;
        }
    }
    roots_.push_back({root, recursive, {}});
    return roots_.back();
}

void ModelSync::watch(const fs::path& root, bool recursive) {
    const std::lock_guard lock(mutex_);
    root_for(root, recursive);
}

void ModelSync::remove_later(const fs::path& root, Removal removal) {
    const std::lock_guard lock(mutex_);
    pending_bytes_ += removal.size;
    root_for(root, false).pending.push_back(std::move(removal));
    if (pending_bytes_ >= kBatchBytes) failed_ = !flush_locked() || failed_;
}

bool ModelSync::flush() {
    const std::lock_guard lock(mutex_);
    const bool ok = flush_locked() && !failed_;
    failed_ = false;
    return ok;
}

bool ModelSync::sync_root(const Root& root, const std::set<fs::path>& leaving) {
    if (options_.to_stdout) return true;
    if (options_.mode != Mode::compress && options_.mode != Mode::decompress) return true;
    std::vector<fs::path> indexes;
    try {
        indexes = root.recursive ? find_index_files(root.path) : indexes_in(root.path);
    } catch (const Error& e) {
        print_error(e.path().empty() ? root.path.string() : e.path(), e.what());
        return false;
    }
    IndexSyncOptions sync_options;
    sync_options.confine = root.path;
    sync_options.leaving = [&](const fs::path& file) { return leaving.count(normal(file)) > 0; };
    bool ok = true;
    for (const fs::path& index : indexes) {
        try {
            const IndexSync sync = sync_index(index, sync_options);
            if (sync.changed()) print_info(index.string() + ": " + describe_renames(sync));
            if (sync.replaced_link)
                print_warning(index.string(),
                              "was a link out of the folder: replaced by a file (its target is "
                              "left alone)");
            if (options_.remove_source && !sync.replaced_blob.empty()) {
                const std::lock_guard lock(hf_cache_mutex());
                // The new link must be durable before the old blob goes (sync_index fsynced it).
                hf_remove_unused_blob(sync.replaced_blob.parent_path(), sync.replaced_blob);
            }
        } catch (const Error& e) {
            print_error(e.path().empty() ? index.string() : e.path(), e.what());
            ok = false;
        } catch (const fs::filesystem_error& e) {
            print_error(index.string(), e.code().message());
            ok = false;
        }
    }
    return ok;
}

bool ModelSync::flush_locked() {
    std::vector<const Removal*> waiting;
    for (const Root& root : roots_)
        for (const Removal& removal : root.pending) waiting.push_back(&removal);
    flush_outputs(waiting);
    std::set<fs::path> leaving;
    for (const Root& root : roots_)
        for (const Removal& removal : root.pending) leaving.insert(normal(removal.path));
    bool ok = true;
    for (Root& root : roots_) {
        // Even after a failed file: the indexes must name whatever exists now.
        const bool synced = sync_root(root, leaving);
        ok = ok && synced;
        bool kept = false;
        for (const Removal& removal : root.pending) {
            if (!synced) {
                print_error(removal.path, "kept: the index files beside it could not be updated");
                ok = false;
                continue;
            }
            if (!remove_source(removal)) {
                ok = false;
                kept = true;
            }
        }
        // A source that had to stay is present again: its index names it once more.
        if (kept) sync_root(root, {});
        root.pending.clear();
    }
    pending_bytes_ = 0;
    return ok;
}

}  // namespace znn::cli
