// Hugging Face index files (*.index.json) map tensor names to shard files. After compression
// the shards are "x.safetensors.znn", so loaders that go by the index need the names rewritten,
// and rewritten back after decompression, touching nothing else in the file.
#include "znn/model_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string_view>
#include <system_error>

#include "znn/atomic_file.hpp"
#include "znn/errors.hpp"

namespace znn {

namespace fs = std::filesystem;
using Json = nlohmann::json;  // validates the text and decodes escaped names; edits are textual

namespace {

constexpr std::string_view kIndexSuffix = ".index.json";
constexpr std::string_view kZnnSuffix = ".znn";
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

[[noreturn]] void throw_errno(const std::string& what, const fs::path& path) {
    throw IoError(what + ": " + std::generic_category().message(errno), path.string());
}

// Writes all of content to fd (a new file's), or throws IoError naming path.
void write_all(int fd, std::string_view content, const fs::path& path) {
    while (!content.empty()) {
        const ssize_t n = ::write(fd, content.data(), content.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno("cannot write", path);
        content.remove_prefix(static_cast<std::size_t>(n));
    }
}

struct FdCloser {
    int fd;
    ~FdCloser() {
        if (fd >= 0) ::close(fd);
    }
};

// Reads a whole (small) file; oversized files cannot be index files.
std::string read_index_text(const fs::path& file) {
    // O_NONBLOCK so a FIFO with an index-like name is rejected below instead of hanging here.
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) throw_errno("cannot read", file);
    const FdCloser closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) throw_errno("cannot read", file);
    if (!S_ISREG(st.st_mode))
        throw FormatError("not an index file (not a regular file)", file.string());
    if (static_cast<std::uintmax_t>(st.st_size) > kMaxIndexFileSize) {
        throw FormatError("not an index file (too large)", file.string());
    }
    std::string text;
    std::array<char, 65536> buffer;
    for (;;) {
        const ssize_t n = ::read(fd, buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno("cannot read", file);
        if (n == 0) break;
        text.append(buffer.data(), static_cast<std::size_t>(n));
        if (text.size() > kMaxIndexFileSize)
            throw FormatError("not an index file (too large)", file.string());
    }
    return text;
}

// A JSON string literal in the index text: [begin, end) includes both quotes.
struct Literal {
    std::size_t begin = 0;
    std::size_t end = 0;
};

// One member of the weight_map object, where it is written.
struct MapEntry {
    Literal key;
    Literal value;  // empty (begin == end) when the value is not a string
};

struct WeightMap {
    bool found = false;  // the first top-level "weight_map" member holds an object
    std::vector<MapEntry> entries;
};

std::string_view literal_text(std::string_view text, const Literal& literal) {
    return text.substr(literal.begin, literal.end - literal.begin);
}

// The text a string literal stands for.
std::string decode_string(std::string_view text, const Literal& literal) {
    const std::string_view quoted = literal_text(text, literal);
    const std::string_view inner = quoted.substr(1, quoted.size() - 2);
    if (inner.find('\\') == std::string_view::npos) return std::string(inner);
    return Json::parse(quoted).get<std::string>();
}

// Finds the weight_map's members in text that Json::accept has already validated, so it checks
// no syntax: it only needs to know where each value begins and ends. A rewrite then replaces
// exactly those bytes and keeps every other one (spacing, escapes, number spellings, key order).
class WeightMapScanner {
  public:
    explicit WeightMapScanner(std::string_view text) : text_(text) {}

    WeightMap scan() {
        WeightMap map;
        if (text_.starts_with(kUtf8Bom)) pos_ = kUtf8Bom.size();
        skip_space();
        if (peek() != '{') return map;
        bool seen = false;  // a repeated key: the first one counts, as for nlohmann's find()
        read_object([&](const Literal& key) {
            const bool is_map = !seen && decode_string(text_, key) == "weight_map";
            seen = seen || is_map;
            if (!is_map || peek() != '{') {
                skip_value();
                return;
            }
            map.found = true;
            read_object([&](const Literal& name) {
                MapEntry entry{name, {}};
                if (peek() == '"') {
                    entry.value = read_string();
                } else {
                    skip_value();
                }
                map.entries.push_back(entry);
            });
        });
        return map;
    }

  private:
    char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

    void skip_space() {
        while (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r') ++pos_;
    }

    Literal read_string() {
        const std::size_t begin = pos_++;
        // An escape's second character may be a quote: step over both.
        while (pos_ < text_.size() && text_[pos_] != '"') pos_ += text_[pos_] == '\\' ? 2 : 1;
        return {begin, ++pos_};
    }

    void skip_value() {
        const char c = peek();
        if (c == '"') {
            read_string();
        } else if (c == '{' || c == '[') {
            std::size_t depth = 0;
            do {
                const char d = peek();
                if (d == '"') {
                    read_string();
                    continue;
                }
                if (d == '{' || d == '[') ++depth;
                if (d == '}' || d == ']') --depth;
                ++pos_;
            } while (depth > 0 && pos_ < text_.size());
        } else {
            // A number, true, false or null: up to the next separator.
            constexpr std::string_view kEnds = " \t\r\n,}]";
            while (pos_ < text_.size() && kEnds.find(text_[pos_]) == std::string_view::npos) ++pos_;
        }
    }

    // Calls on_member(key) for each member of the object at pos_, with pos_ at the member's
    // value; on_member must move pos_ past that value.
    template <class OnMember>
    void read_object(OnMember&& on_member) {
        ++pos_;  // '{'
        for (skip_space(); pos_ < text_.size() && peek() != '}'; skip_space()) {
            if (peek() == ',') {
                ++pos_;
                skip_space();
            }
            const Literal key = read_string();
            skip_space();
            ++pos_;  // ':'
            skip_space();
            on_member(key);
        }
        ++pos_;  // '}'
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

// The weight_map of an index file's text. Throws FormatError if it is not one.
WeightMap read_weight_map(std::string_view text, const fs::path& file) {
    if (!Json::accept(text)) throw FormatError("not an index file (invalid JSON)", file.string());
    WeightMap map = WeightMapScanner(text).scan();
    if (!map.found)
        throw FormatError("not an index file (no \"weight_map\" object)", file.string());
    for (const MapEntry& entry : map.entries) {
        if (entry.value.begin == entry.value.end) {
            throw FormatError("not an index file (weight_map value for \"" +
                                  decode_string(text, entry.key) + "\" is not a string)",
                              file.string());
        }
    }
    return map;
}

// The literal for new_name in place of old_literal (which says old_name). choose_name only adds
// or drops the .znn suffix, so only that changes and the rest stays as written, escapes included.
std::string encode_name(std::string_view old_literal, const std::string& old_name,
                        const std::string& new_name) {
    const std::string suffix(kZnnSuffix);
    const std::string_view body = old_literal.substr(0, old_literal.size() - 1);  // quote dropped
    if (new_name == old_name + suffix) return std::string(body) + suffix + '"';
    // Four plain characters at the end cannot be part of an escape ("\." is not one).
    if (old_name == new_name + suffix && body.ends_with(suffix))
        return std::string(body.substr(0, body.size() - suffix.size())) + '"';
    // The suffix itself was escaped: write the name as Python's json.dumps would.
    const bool ascii = std::all_of(old_literal.begin(), old_literal.end(),
                                   [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    return Json(new_name).dump(-1, ' ', ascii);
}

bool is_file(const fs::path& path) {
    std::error_code ec;
    return fs::is_regular_file(path, ec);  // follows symlinks, as loaders do
}

// Whether a weight_map value names a file inside the index's folder: relative, without "..".
// Anything else is not the folder's to rename or to look at.
bool names_inside(const std::string& name) {
    const fs::path path(name);
    if (name.empty() || path.is_absolute() || path.has_root_name()) return false;
    return std::none_of(path.begin(), path.end(),
                        [](const fs::path& part) { return part == ".."; });
}

// The name a weight_map value should have, by the rule: the file present, preferring the
// uncompressed one. Empty if neither is present.
std::string choose_name(const fs::path& folder, const std::string& name,
                        const IndexSyncOptions& options) {
    const bool is_znn = name.size() > kZnnSuffix.size() && name.ends_with(kZnnSuffix);
    const std::string original = is_znn ? name.substr(0, name.size() - kZnnSuffix.size()) : name;
    const std::string compressed = original + std::string(kZnnSuffix);
    const auto present = [&](const std::string& candidate) {
        const fs::path path = folder / candidate;
        return is_file(path) && !(options.leaving && options.leaving(path));
    };
    if (present(original)) return original;
    if (present(compressed)) return compressed;
    return {};
}

// Whether `path` (made absolute and normal) lies inside `folder`.
bool is_inside(const fs::path& path, const fs::path& folder) {
    std::error_code ec;
    const fs::path base = fs::weakly_canonical(folder, ec);
    if (ec) return false;
    const fs::path rel = path.lexically_relative(base);
    return !rel.empty() && *rel.begin() != ".." && !rel.is_absolute();
}

// Writes `content` over `file` atomically, with the mode the file had.
void replace_file(const fs::path& file, const std::string& content, const fs::path& mode_of,
                  bool durable) {
    AtomicFile out(file);
    struct stat st {};
    if (::stat(mode_of.c_str(), &st) == 0) out.set_mode(st.st_mode);
    write_all(out.fd(), content, file);
    out.commit(true, durable);
}

// Writes the new index text. Returns the blob the index linked to before, if it was a link
// into its HF cache; else empty. Sets replaced_link when a link leading out of `confine` was
// replaced by a file.
fs::path write_index(const fs::path& index_file, const std::string& content,
                     const fs::path& confine, bool durable, bool& replaced_link) {
    std::error_code ec;
    if (const auto blobs = hf_blobs_dir(index_file)) {
        // Other revisions may share the blob: write a new one and repoint only this link.
        const fs::path old_blob = fs::canonical(index_file, ec);
        if (ec) throw IoError("cannot resolve: " + ec.message(), index_file.string());
        AtomicFile blob(*blobs / index_file.filename());
        struct stat st {};
        if (::stat(old_blob.c_str(), &st) == 0) blob.set_mode(st.st_mode);
        write_all(blob.fd(), content, index_file);
        hf_store_blob(*blobs, blob, index_file, durable);
        return old_blob;
    }
    if (fs::is_symlink(index_file, ec)) {
        const fs::path target = fs::canonical(index_file, ec);
        if (ec) throw IoError("cannot resolve: " + ec.message(), index_file.string());
        if (is_inside(target, confine)) {
            // The user's own link inside the folder keeps working: its target is rewritten.
            replace_file(target, content, target, durable);
        } else {
            // Never written through: a link out of the folder becomes a file of its own.
            replace_file(index_file, content, target, durable);
            replaced_link = true;
        }
        return {};
    }
    replace_file(index_file, content, index_file, durable);
    return {};
}

}  // namespace

bool is_index_file(const fs::path& file) noexcept {
    try {
        if (!file.filename().string().ends_with(kIndexSuffix)) return false;
        if (!is_file(file)) return false;
        const std::string text = read_index_text(file);
        return Json::accept(text) && WeightMapScanner(text).scan().found;
    } catch (...) {
        return false;
    }
}

std::vector<fs::path> find_index_files(const fs::path& dir) {
    std::vector<fs::path> found;
    std::error_code ec;
    fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec);
    if (ec) throw IoError("cannot list folder: " + ec.message(), dir.string());
    for (const fs::recursive_directory_iterator end{}; it != end;) {
        // The name test first: it is free, and spares parsing every tokenizer.json.
        const fs::path& path = it->path();
        if (path.filename().string().ends_with(kIndexSuffix) && is_index_file(path)) {
            found.push_back(path);
        }
        it.increment(ec);
        if (ec) throw IoError("cannot list folder: " + ec.message(), dir.string());
    }
    std::sort(found.begin(), found.end());
    return found;
}

WeightMapRewrite rewrite_weight_map(std::string_view text,
                                    const std::function<std::string(const std::string&)>& rename) {
    const WeightMap map = read_weight_map(text, fs::path());
    WeightMapRewrite result;
    std::map<std::string, std::string> decided;  // each distinct file name is decided once
    // The original text with only the changed values replaced: every other byte stays, so a
    // compress and decompress round trip gives back the same file.
    std::size_t copied = 0;
    for (const MapEntry& entry : map.entries) {
        const std::string name = decode_string(text, entry.value);
        auto known = decided.find(name);
        if (known == decided.end()) {
            known = decided.emplace(name, rename(name)).first;
            if (known->second != name) result.renamed.emplace_back(name, known->second);
        }
        if (known->second == name) continue;
        result.text.append(text, copied, entry.value.begin - copied);
        result.text += encode_name(literal_text(text, entry.value), name, known->second);
        copied = entry.value.end;
    }
    result.text.append(text, copied);
    return result;
}

IndexSync sync_index(const fs::path& index_file, const IndexSyncOptions& options) {
    IndexSync result;
    result.index_file = index_file;
    const std::string text = read_index_text(index_file);
    // Shards are named relative to where the index appears, not where a symlink points.
    const fs::path folder =
        index_file.parent_path().empty() ? fs::path(".") : index_file.parent_path();
    WeightMapRewrite rewrite;
    try {
        rewrite = rewrite_weight_map(text, [&](const std::string& name) {
            if (!names_inside(name)) return name;
            std::string chosen = choose_name(folder, name, options);
            if (!chosen.empty()) return chosen;
            result.missing.push_back(name);
            return name;
        });
    } catch (Error& e) {
        e.set_path(index_file.string());
        throw;
    }
    result.renamed = std::move(rewrite.renamed);
    if (result.changed() && !options.check_only) {
        const fs::path confine = options.confine.empty() ? folder : options.confine;
        result.replaced_blob =
            write_index(index_file, rewrite.text, confine, options.durable, result.replaced_link);
    }
    return result;
}

}  // namespace znn
