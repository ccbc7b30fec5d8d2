#include "mount/source_entry.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "znn/errors.hpp"
#include "znn/model_dir.hpp"
#include "znn/reader.hpp"

namespace fs = std::filesystem;

namespace znn::mount {

namespace {

constexpr std::string_view kSuffix = ".znn";
constexpr std::string_view kIndexSuffix = ".index.json";

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string strip_suffix(std::string_view s) {
    return std::string(s.substr(0, s.size() - kSuffix.size()));
}

bool is_hf_blobs_folder(const std::string& folder) {
    const fs::path p(folder);
    std::error_code ec;
    return p.filename() == "blobs" && fs::is_directory(p.parent_path() / "snapshots", ec);
}

// The file's whole text, if it is a regular file small enough for an index that starts with
// '{' (JSON blobs in a cache are told apart from weights by this before being read).
std::optional<std::string> read_json_text(const std::string& path, const struct stat& st) {
    if (!S_ISREG(st.st_mode) || st.st_size < 2 ||
        static_cast<std::uintmax_t>(st.st_size) > kMaxIndexFileSize)
        return std::nullopt;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::string text(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::read(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    text.resize(done);
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string::npos || text[first] != '{') return std::nullopt;
    return text;
}

// An index's text with its weight map naming what the mount shows: X.znn becomes X. In a
// folder, only names whose X.znn is there (as `znn decompress` renames only files it
// restored); in a cache's blobs/, where the index's folder is not known, every such name.
// Nothing when the file is not an index or names no .znn file.
std::shared_ptr<const std::string> rewritten_index(const std::string& path, const struct stat& st,
                                                   const std::string& folder, bool blob) {
    const auto text = read_json_text(path, st);
    if (!text) return nullptr;
    try {
        auto rewrite = rewrite_weight_map(*text, [&](const std::string& name) {
            if (!ends_with(name, kSuffix)) return name;
            std::error_code ec;
            if (!blob && !fs::exists(fs::path(folder) / name, ec)) return name;
            return strip_suffix(name);
        });
        if (rewrite.renamed.empty()) return nullptr;
        return std::make_shared<const std::string>(std::move(rewrite.text));
    } catch (const Error&) {
        return nullptr;  // JSON, but not an index file
    }
}

// A link's target as shown: a final component X.znn that names a .znn file becomes X.
std::string shown_target(const std::string& link, const std::string& target) {
    if (!ends_with(target, kSuffix)) return target;
    struct stat st {};
    if (::stat(link.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return target;
    return znn_content_size(link) ? strip_suffix(target) : target;
}

std::optional<Entry> describe(const std::string& folder, const std::string& name,
                              const std::set<std::string>& names, bool blobs) {
    Entry e;
    e.source = (fs::path(folder) / name).string();
    e.name = name;
    if (::lstat(e.source.c_str(), &e.st) != 0) return std::nullopt;
    // X.znn appears as X unless the folder has a real X too.
    const bool strippable = ends_with(name, kSuffix) && !names.contains(strip_suffix(name));
    if (S_ISDIR(e.st.st_mode)) {
        e.kind = EntryKind::directory;
    } else if (S_ISLNK(e.st.st_mode)) {
        e.kind = EntryKind::symlink;
        std::array<char, 4096> buffer{};
        const ssize_t n = ::readlink(e.source.c_str(), buffer.data(), buffer.size());
        if (n < 0 || static_cast<std::size_t>(n) == buffer.size()) return std::nullopt;
        const std::string target(buffer.data(), static_cast<std::size_t>(n));
        struct stat to {};
        if (strippable && ::stat(e.source.c_str(), &to) == 0 && S_ISREG(to.st_mode) &&
            znn_content_size(e.source))
            e.name = strip_suffix(name);
        e.link_target = shown_target(e.source, target);
        e.st.st_size = static_cast<off_t>(e.link_target.size());
    } else if (S_ISREG(e.st.st_mode)) {
        const bool candidate = strippable || blobs;
        if (const auto size = candidate ? znn_content_size(e.source) : std::nullopt) {
            e.kind = EntryKind::znn_file;
            if (strippable) e.name = strip_suffix(name);
            e.st.st_size = static_cast<off_t>(*size);
        } else if (ends_with(name, kIndexSuffix) || blobs) {
            e.text = rewritten_index(e.source, e.st, folder, blobs);
            if (e.text) {
                e.kind = EntryKind::index_file;
                e.st.st_size = static_cast<off_t>(e.text->size());
            }
        }
    } else {
        return std::nullopt;  // sockets, FIFOs, devices
    }
    if (!S_ISLNK(e.st.st_mode) && !S_ISDIR(e.st.st_mode))
        e.st.st_blocks = (e.st.st_size + 511) / 512;  // du shows the restored size
    return e;
}

}  // namespace

std::optional<std::uint64_t> znn_content_size(const std::string& path) noexcept {
    try {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return std::nullopt;
        std::array<std::uint8_t, 4> magic{};
        const bool match = ::pread(fd, magic.data(), magic.size(), 0) == 4 && magic[0] == 0x89 &&
                           magic[1] == 'Z' && magic[2] == 'N' && magic[3] == 'N';
        ::close(fd);
        if (!match) return std::nullopt;
        ReaderOptions options;
        options.read_ahead = false;
        options.cache_size = 0;
        options.threads = 1;
        options.allow_missing_base = true;  // the size is known without it
        return Reader(path, options).size();
    } catch (...) {
        return std::nullopt;
    }
}

std::vector<Entry> list_source_folder(const std::string& folder, const std::string& skip) {
    DIR* dir = ::opendir(folder.c_str());
    if (dir == nullptr)
        throw IoError(std::string("cannot list folder: ") + std::strerror(errno), folder);
    std::set<std::string> names;
    while (const dirent* d = ::readdir(dir)) {
        const std::string_view name = d->d_name;
        if (name != "." && name != "..") names.emplace(name);
    }
    ::closedir(dir);
    const bool blobs = is_hf_blobs_folder(folder);
    std::vector<Entry> entries;
    for (const std::string& name : names) {
        if ((fs::path(folder) / name).string() == skip) continue;
        if (auto e = describe(folder, name, names, blobs)) entries.push_back(std::move(*e));
    }
    std::sort(entries.begin(), entries.end(),
              [](const Entry& a, const Entry& b) { return a.name < b.name; });
    return entries;
}

Entry describe_source_file(const std::string& path, const std::string& name) {
    const fs::path p(path);
    const std::string real_name = p.filename().string();
    auto e = describe(p.parent_path().string(), real_name, {real_name}, false);
    if (!e) throw IoError("cannot read", path);
    e->name =
        e->kind == EntryKind::znn_file && ends_with(name, kSuffix) ? strip_suffix(name) : name;
    return *e;
}

}  // namespace znn::mount
