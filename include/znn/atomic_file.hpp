// Files that appear under their name only once complete. Every file znn writes goes through
// AtomicFile: compressed and restored outputs, rewritten index files, Hugging Face cache blobs;
// and replace_symlink() repoints cache links the same way. A failure, Ctrl-C or even SIGKILL
// never leaves a partial file under the final name.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

namespace znn {

class AtomicFile {
  public:
    // A new, empty file open for reading and writing in the folder of `target`, where commit()
    // will put it. Where the filesystem allows (O_TMPFILE), the file has no name at all until
    // commit, so nothing is left behind whatever kills the process; elsewhere it is named
    // ".<target's name>.XXXXXXXXXXXXXXXX.znn-tmp", removed by the destructor and by
    // remove_temporary_files(). Throws IoError naming target.
    explicit AtomicFile(const std::filesystem::path& target);
    ~AtomicFile();  // discards the file unless committed
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    // Open read-write until commit (so the content can be read back and checked first).
    int fd() const noexcept { return fd_; }
    // Whether the file is one without a name (O_TMPFILE).
    bool unnamed() const noexcept { return unnamed_; }

    // The permission bits the file gets at commit; by default 0666 & ~umask, as for any new file.
    void set_mode(mode_t mode) noexcept { mode_ = mode & 07777; }
    // Takes mode, owner (where permitted) and times from source at commit, as zstd does.
    void copy_metadata(const struct stat& source) noexcept;

    // Puts the complete file in place as `target` (in the folder given at construction; the
    // constructor's target if empty) and closes it. Without `replace`, anything already at
    // target (a file, a link, even a dangling one) makes it throw IoError "already exists",
    // checked atomically where the filesystem allows (link, or rename without replacement,
    // on filesystems without hard links). With `replace`, whatever is at target (anything but
    // a folder) is replaced by a rename, never written through: a symlink there is replaced,
    // not followed. `durable` flushes the data to disk before and the folder entry after.
    // Throws IoError.
    void commit(const std::filesystem::path& target, bool replace, bool durable);
    void commit(bool replace, bool durable) { commit(target_, replace, durable); }

  private:
    void apply_metadata() noexcept;
    void link_unnamed(const std::filesystem::path& target);

    std::filesystem::path target_;
    std::filesystem::path dir_;
    std::string temp_;  // named temporaries only
    int fd_ = -1;
    int slot_ = -1;  // in the list remove_temporary_files() reads
    bool unnamed_ = false;
    bool committed_ = false;
    mode_t mode_;
    std::optional<struct stat> source_;
};

// Atomically makes `link` a symlink whose text is `target` (a new link renamed over whatever
// was there, so readers see the old link or the new one). Throws IoError.
void replace_symlink(const std::filesystem::path& target, const std::filesystem::path& link);

// fsyncs a folder, so entries just created, renamed or removed in it survive a crash.
// Best effort: errors are ignored.
void sync_folder(const std::filesystem::path& dir) noexcept;

// Removes every named temporary file of live AtomicFiles (and replace_symlink's temporary
// links). Async-signal-safe: for SIGINT/SIGTERM/SIGHUP handlers, which then re-raise.
void remove_temporary_files() noexcept;

// 0666 & ~umask: the mode a new file gets. Read once, without changing the umask.
mode_t default_file_mode() noexcept;

}  // namespace znn
