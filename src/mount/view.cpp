#include "mount/view.hpp"

#include <cerrno>
#include <cstring>

#include "znn/errors.hpp"

namespace znn::mount {

View::View(const std::string& source, const std::string& name, std::string skip)
    : skip_(std::move(skip)) {
    Entry root;
    root.source = source;
    root.kind = EntryKind::directory;
    if (::stat(source.c_str(), &root.st) != 0)
        throw IoError(std::string("cannot read: ") + std::strerror(errno), source);
    if (!S_ISDIR(root.st.st_mode)) {
        // A single file: a read-only folder of its own holds it.
        single_.push_back(describe_source_file(source, name));
        root.st.st_mode = S_IFDIR | 0555;
        root.st.st_nlink = 2;
        root.st.st_size = 0;
        root.st.st_blocks = 0;
    }
    const std::lock_guard lock(mutex_);
    add_node_locked(std::move(root), 0);
}

std::uint64_t View::add_node_locked(Entry entry, std::uint64_t parent) {
    auto node = std::make_shared<Node>();
    node->ino = next_ino_++;
    node->parent = parent == 0 ? node->ino : parent;
    node->entry = std::move(entry);
    node->entry.st.st_ino = node->ino;
    nodes_.emplace(node->ino, node);
    return node->ino;
}

std::shared_ptr<const Node> View::node(std::uint64_t ino) const {
    const std::lock_guard lock(mutex_);
    const auto it = nodes_.find(ino);
    return it == nodes_.end() ? nullptr : it->second;
}

std::shared_ptr<const View::Listing> View::listing(std::uint64_t folder) {
    std::shared_ptr<const Node> dir;
    {
        const std::lock_guard lock(mutex_);
        if (const auto it = listings_.find(folder); it != listings_.end()) return it->second;
        if (const auto it = nodes_.find(folder); it != nodes_.end()) dir = it->second;
    }
    if (!dir || dir->entry.kind != EntryKind::directory) return nullptr;
    // Read the source without the lock; if another thread got there first, keep its nodes.
    std::vector<Entry> entries = (folder == kRootIno && !single_.empty())
                                     ? single_
                                     : list_source_folder(dir->entry.source, skip_);
    const std::lock_guard lock(mutex_);
    if (const auto it = listings_.find(folder); it != listings_.end()) return it->second;
    auto made = std::make_shared<Listing>();
    made->children.reserve(entries.size());
    for (Entry& e : entries) {
        const mode_t type = e.st.st_mode & S_IFMT;
        std::string name = e.name;
        made->children.push_back({std::move(name), add_node_locked(std::move(e), folder), type});
    }
    for (const Child& c : made->children) made->by_name.emplace(c.name, c.ino);
    listings_.emplace(folder, made);
    return made;
}

std::shared_ptr<const Node> View::lookup(std::uint64_t parent, std::string_view name) {
    const auto list = listing(parent);
    if (!list) return nullptr;
    const auto it = list->by_name.find(name);
    return it == list->by_name.end() ? nullptr : node(it->second);
}

std::shared_ptr<const std::vector<Child>> View::children(std::uint64_t folder) {
    auto list = listing(folder);
    if (!list) return std::make_shared<const std::vector<Child>>();
    // An aliasing pointer: the vector lives as long as its listing, which is never dropped.
    return {list, &list->children};
}

}  // namespace znn::mount
