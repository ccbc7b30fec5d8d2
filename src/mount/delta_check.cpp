#include "mount/delta_check.hpp"

#include <filesystem>
#include <vector>

#include "znn/errors.hpp"
#include "znn/reader.hpp"

namespace znn::mount {

namespace {

// A file of the source as the user would name it: under the source as given, not its real path.
std::string shown_path(const std::string& file, const std::string& source,
                       const std::string& shown_source) {
    namespace fs = std::filesystem;
    if (file == source) return shown_source;
    const fs::path relative = fs::path(file).lexically_relative(source);
    if (relative.empty() || *relative.begin() == "..") return file;
    return (fs::path(shown_source) / relative).string();
}

}  // namespace

void check_delta_files(View& view, const std::shared_ptr<const BaseModel>& base,
                       const std::string& source, const std::string& shown_source) {
    ReaderOptions options;
    options.base = base;
    options.read_ahead = false;
    options.cache_size = 0;
    options.threads = 1;
    std::vector<std::uint64_t> folders = {View::kRootIno};
    while (!folders.empty()) {
        const std::uint64_t folder = folders.back();
        folders.pop_back();
        for (const Child& child : *view.children(folder)) {
            if (S_ISDIR(child.mode)) {
                folders.push_back(child.ino);
                continue;
            }
            const auto node = view.node(child.ino);
            if (!node || node->entry.kind != EntryKind::znn_file) continue;
            try {
                Reader reader(node->entry.source, options);  // checks the dependency
            } catch (Error& e) {
                if (e.path() == node->entry.source)
                    e.set_path(shown_path(e.path(), source, shown_source));
                throw;
            }
        }
    }
}

}  // namespace znn::mount
