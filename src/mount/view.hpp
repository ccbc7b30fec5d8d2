// The mounted tree: numbered nodes for what source_entry.hpp says each source entry shows as.
// Folders are listed from the source the first time they are looked into and kept: the source
// must not change while mounted. Thread-safe; no lock is held while the source is read.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mount/source_entry.hpp"

namespace znn::mount {

struct Node {
    std::uint64_t ino = 0;
    std::uint64_t parent = 0;  // the root is its own parent
    Entry entry;
};

struct Child {
    std::string name;
    std::uint64_t ino = 0;
    mode_t mode = 0;  // type bits, for readdir
};

class View {
  public:
    static constexpr std::uint64_t kRootIno = 1;

    // source: an absolute folder, or a single file shown in a root folder of its own under
    // `name`. skip: a path inside the source to leave out (the mountpoint). Throws IoError.
    View(const std::string& source, const std::string& name, std::string skip);

    // The node numbered ino, or nullptr.
    std::shared_ptr<const Node> node(std::uint64_t ino) const;
    // The child of folder `parent` shown as name, or nullptr. Throws IoError if the folder
    // cannot be listed.
    std::shared_ptr<const Node> lookup(std::uint64_t parent, std::string_view name);
    // A folder's children sorted by name (empty for a node that is not a folder).
    std::shared_ptr<const std::vector<Child>> children(std::uint64_t folder);

  private:
    struct Listing {
        std::vector<Child> children;
        std::unordered_map<std::string_view, std::uint64_t> by_name;  // views into children
    };

    std::shared_ptr<const Listing> listing(std::uint64_t folder);
    std::uint64_t add_node_locked(Entry entry, std::uint64_t parent);

    const std::string skip_;
    std::vector<Entry> single_;  // the one entry when the source is a file
    mutable std::mutex mutex_;
    std::unordered_map<std::uint64_t, std::shared_ptr<const Node>> nodes_;
    std::unordered_map<std::uint64_t, std::shared_ptr<const Listing>> listings_;
    std::uint64_t next_ino_ = kRootIno;
};

}  // namespace znn::mount
