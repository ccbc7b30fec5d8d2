// Model folders stay loadable at every step of a run: index files (*.index.json) name the
// files present, preferring the uncompressed ones, so with --rm a source is removed only once
// the index files beside it name its output. Sources are therefore removed in batches, each
// after one rewrite of the folder's index files: a run over 10,000 shards rewrites each index
// a few times, not 10,000 times.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "options.hpp"

namespace znn::cli {

// A source whose output is complete and verified, to remove (--rm).
struct Removal {
    std::string path;
    dev_t dev = 0;  // of the file that was read: the path must still name it
    ino_t ino = 0;
    std::uint64_t size = 0;
    bool hf_link = false;  // a snapshot link: its blob goes too unless another revision uses it
    // Where its output went, committed without fsync: made durable (one syncfs for the whole
    // batch, not one fsync a file) before the source goes.
    std::string output;
};

// Removes removal.path if it still names the file that was read (the same device and inode;
// for a link, the file it leads to), and the blob behind an HF link unless it is shared.
// Otherwise keeps it and says why. Prints its own errors; false if the source was kept.
bool remove_source(const Removal& removal);

// Held while blobs are stored or removed in any Hugging Face cache: files processed at once may
// share blobs, and a blob must not be removed as unused while another file links to it.
std::mutex& hf_cache_mutex();

class ModelSync {
  public:
    explicit ModelSync(const Options& options) : options_(options) {}
    ModelSync(const ModelSync&) = delete;
    ModelSync& operator=(const ModelSync&) = delete;

    // The index files in `root` (and below it if recursive) are synced at each flush, and
    // only paths inside root (or an HF cache's own blobs/) are written. Thread-safe.
    void watch(const std::filesystem::path& root, bool recursive);
    // Removes `removal` at a later flush, after the index files under `root` (watched) name
    // its output; flushes now once the sources waiting hold more than kBatchBytes, so a run
    // never needs much more disk than the sources plus one batch of outputs. Thread-safe.
    void remove_later(const std::filesystem::path& root, Removal removal);
    // Flushes the waiting sources' outputs to disk, syncs every watched index, then removes
    // the sources waiting under each root whose indexes all synced (the others are kept, with a
    // message). Prints its own errors; false if anything failed since the last call. Thread-safe.
    bool flush();

    static constexpr std::uint64_t kBatchBytes = std::uint64_t{1} << 30;

  private:
    struct Root {
        std::filesystem::path path;
        bool recursive = false;
        std::vector<Removal> pending;
    };
    Root& root_for(const std::filesystem::path& path, bool recursive);
    bool flush_locked();
    bool sync_root(const Root& root, const std::set<std::filesystem::path>& leaving);

    Options options_;
    std::mutex mutex_;
    std::vector<Root> roots_;
    std::uint64_t pending_bytes_ = 0;
    bool failed_ = false;
};

}  // namespace znn::cli
