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
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string_view>
#include <system_error>

#include "znn/errors.hpp"

namespace znn {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;  // keeps the file's key order on rewrite

namespace {

constexpr std::string_view kIndexSuffix = ".index.json";
constexpr std::string_view kZnnSuffix = ".znn";
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr std::size_t kMaxIndent = 16;
constexpr int kTempNameAttempts = 100;
constexpr mode_t kDefaultMode = 0644;

[[noreturn]] void throw_errno(const std::string& what, const fs::path& path) {
    throw IoError(what + ": " + std::generic_category().message(errno), path.string());
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

// Builds the document from parser events, appending object members in file order.
// ordered_json's own parser checks every new key against all earlier ones, which is
// quadratic: a 6336-tensor index took 40 ms to parse; this takes about 3.
class OrderedBuilder {
public:
    explicit OrderedBuilder(Json& root) : root_(root) {}

    bool null() { return add(nullptr); }
    bool boolean(bool v) { return add(v); }
    bool number_integer(Json::number_integer_t v) { return add(v); }
    bool number_unsigned(Json::number_unsigned_t v) { return add(v); }
    bool number_float(Json::number_float_t v, const Json::string_t&) { return add(v); }
    bool string(Json::string_t& v) { return add(std::move(v)); }
    bool binary(Json::binary_t& v) { return add(Json::binary(std::move(v))); }
    bool start_object(std::size_t) {
        stack_.push_back(add_container(Json::object()));
        return true;
    }
    bool end_object() {
        stack_.pop_back();
        return true;
    }
    bool start_array(std::size_t) {
        stack_.push_back(add_container(Json::array()));
        return true;
    }
    bool end_array() {
        stack_.pop_back();
        return true;
    }
    bool key(Json::string_t& k) {
        key_ = std::move(k);
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }

private:
    // Where the next value goes: the root, the end of an array, or a new object member.
    Json* slot() {
        if (stack_.empty()) return &root_;
        Json& parent = *stack_.back();
        if (parent.is_array()) {
            parent.get_ref<Json::array_t&>().emplace_back();
            return &parent.get_ref<Json::array_t&>().back();
        }
        auto& members = static_cast<Json::object_t::Container&>(parent.get_ref<Json::object_t&>());
        members.emplace_back(std::move(key_), nullptr);
        return &members.back().second;
    }
    template <class T>
    bool add(T&& value) {
        *slot() = Json(std::forward<T>(value));
        return true;
    }
    Json* add_container(Json&& empty) {
        Json* at = slot();
        *at = std::move(empty);
        return at;
    }

    Json& root_;
    // Open containers, root first. Appending to the innermost one can only move its closed
    // children, never an open container, so these pointers stay valid.
    std::vector<Json*> stack_;
    std::string key_;
};

// Parses text, keeping key order; a discarded value if it is not valid JSON.
Json parse_ordered(const std::string& text) {
    Json doc;
    OrderedBuilder builder(doc);
    if (!Json::sax_parse(text, &builder, Json::input_format_t::json, /*strict=*/true)) return Json(Json::value_t::discarded);
    return doc;
}

bool has_weight_map(const Json& doc) {
    if (!doc.is_object()) return false;
    const auto it = doc.find("weight_map");
    return it != doc.end() && it->is_object();
}

// How the original was written, so a rewrite differs only in the changed names.
struct TextStyle {
    int indent = -1;  // -1: everything on one line
    char indent_char = ' ';
    bool trailing_newline = false;
    bool crlf = false;
    bool ascii = true;  // Python's json.dumps escapes non-ASCII by default
    bool bom = false;
    bool spaced = false;  // one line with ", " and ": " (Python's json.dumps default)
};

TextStyle detect_style(std::string_view text) {
    TextStyle style;
    if (text.starts_with(kUtf8Bom)) {
        style.bom = true;
        text.remove_prefix(kUtf8Bom.size());
    }
    style.crlf = text.find("\r\n") != std::string_view::npos;
    style.trailing_newline = !text.empty() && text.back() == '\n';
    style.ascii = std::all_of(text.begin(), text.end(),
                              [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    const auto last = text.find_last_not_of(" \t\r\n");
    const auto newline = text.find('\n');
    if (last == std::string_view::npos || newline == std::string_view::npos || newline > last)
        return style;
    // The first line inside the top-level object is indented by exactly one level.
    const auto first = text.find_first_not_of(" \t", newline + 1);
    if (first == std::string_view::npos || text[first] == '}') {
        style.indent = 2;  // no member to measure; 2 is what HF writes
        return style;
    }
    const auto width = first - (newline + 1);
    style.indent = static_cast<int>(std::min<std::size_t>(width, kMaxIndent));
    if (width > 0) style.indent_char = text[newline + 1];
    return style;
}

// nlohmann's one-line form has no spaces after separators; Python's has.
void dump_spaced(const Json& value, bool ascii, std::string& out) {
    if (!value.is_structured()) {
        out += value.dump(-1, ' ', ascii);
        return;
    }
    const bool object = value.is_object();
    out += object ? '{' : '[';
    for (auto it = value.begin(); it != value.end(); ++it) {
        if (it != value.begin()) out += ", ";
        if (object) {
            out += Json(it.key()).dump(-1, ' ', ascii);
            out += ": ";
        }
        dump_spaced(it.value(), ascii, out);
    }
    out += object ? '}' : ']';
}

std::string render(const Json& doc, const TextStyle& style) {
    std::string out = style.bom ? std::string(kUtf8Bom) : std::string();
    if (style.indent < 0 && style.spaced) {
        dump_spaced(doc, style.ascii, out);
    } else {
        out += doc.dump(style.indent, style.indent_char, style.ascii);
    }
    if (style.trailing_newline) out += '\n';
    if (!style.crlf) return out;
    // JSON strings cannot hold a raw newline, so every '\n' is a line break.
    std::string crlf;
    crlf.reserve(out.size() + out.size() / 16);
    for (const char c : out) {
        if (c == '\n') crlf += '\r';
        crlf += c;
    }
    return crlf;
}

bool is_file(const fs::path& path) {
    std::error_code ec;
    return fs::is_regular_file(path, ec);  // follows symlinks, as loaders do
}

// The name a weight_map value should have, given what exists in `folder`.
std::string choose_name(const fs::path& folder, const std::string& name, IndexPreference prefer) {
    const bool is_znn = name.size() > kZnnSuffix.size() && name.ends_with(kZnnSuffix);
    const std::string other =
        is_znn ? name.substr(0, name.size() - kZnnSuffix.size()) : name + std::string(kZnnSuffix);
    if (!is_file(folder / other)) return name;
    if (!is_file(folder / name)) return other;
    switch (prefer) {
        case IndexPreference::keep_current:
            return name;
        case IndexPreference::compressed:
            return is_znn ? name : other;
        case IndexPreference::original:
            return is_znn ? other : name;
    }
    return name;
}

mode_t file_mode(const fs::path& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<mode_t>(st.st_mode & 07777) : kDefaultMode;
}

// Writes content to a new hidden file in `dir` (so a rename can put it in place atomically).
fs::path write_temp(const fs::path& dir, const fs::path& name, const std::string& content,
                    mode_t mode) {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    fs::path tmp;
    int fd = -1;
    for (int attempt = 0; fd < 0; ++attempt) {
        std::array<char, 17> hex{};
        std::snprintf(hex.data(), hex.size(), "%016llx", static_cast<unsigned long long>(rng()));
        tmp = dir / ("." + name.string() + ".znn-tmp-" + hex.data());
        fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 && (errno != EEXIST || attempt >= kTempNameAttempts))
            throw_errno("cannot create", tmp);
    }
    FdCloser closer{fd};
    try {
        for (std::size_t done = 0; done < content.size();) {
            const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw_errno("cannot write", tmp);
            done += static_cast<std::size_t>(n);
        }
        if (::fchmod(fd, mode) != 0) throw_errno("cannot set permissions", tmp);
        // Durable before the rename, or a crash could leave an empty index behind.
        if (::fsync(fd) != 0) throw_errno("cannot write", tmp);
        closer.fd = -1;
        if (::close(fd) != 0) throw_errno("cannot write", tmp);
    } catch (...) {
        std::error_code ignored;
        fs::remove(tmp, ignored);
        throw;
    }
    return tmp;
}

void write_index(const fs::path& index_file, const std::string& content) {
    std::error_code ec;
    if (const auto blobs = hf_blobs_dir(index_file)) {
        // Other revisions may share the blob: write a new one and repoint only this link.
        const fs::path tmp =
            write_temp(*blobs, index_file.filename(), content, file_mode(index_file));
        try {
            hf_store_blob(*blobs, tmp, index_file);
        } catch (...) {
            fs::remove(tmp, ec);
            throw;
        }
        return;
    }
    // For any other symlink, replace the target so the user's link keeps working.
    fs::path target = index_file;
    if (fs::is_symlink(index_file, ec)) {
        target = fs::canonical(index_file, ec);
        if (ec) throw IoError("cannot resolve: " + ec.message(), index_file.string());
    }
    const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
    const fs::path tmp = write_temp(dir, target.filename(), content, file_mode(target));
    fs::rename(tmp, target, ec);
    if (ec) {
        const std::string message = "cannot replace: " + ec.message();
        fs::remove(tmp, ec);
        throw IoError(message, index_file.string());
    }
}

}  // namespace

bool is_index_file(const fs::path& file) noexcept {
    try {
        if (!file.filename().string().ends_with(kIndexSuffix)) return false;
        if (!is_file(file)) return false;
        const std::string text = read_index_text(file);
        return has_weight_map(parse_ordered(text));
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

IndexSync sync_index(const fs::path& index_file, IndexPreference prefer, bool check_only) {
    IndexSync result{index_file, {}};
    const std::string text = read_index_text(index_file);
    Json doc = parse_ordered(text);
    if (doc.is_discarded())
        throw FormatError("not an index file (invalid JSON)", index_file.string());
    if (!has_weight_map(doc))
        throw FormatError("not an index file (no \"weight_map\" object)", index_file.string());
    TextStyle style = detect_style(text);
    if (style.indent < 0) {
        // Either one-line form; the one that reproduces the original is the one it was written in.
        style.spaced = true;
        style.spaced = render(doc, style) == text;
    }

    // Shards are named relative to where the index appears, not where a symlink points.
    const fs::path folder = index_file.parent_path();
    std::map<std::string, std::string> decided;  // each distinct file name is looked up once
    Json& weight_map = doc["weight_map"];
    for (auto entry = weight_map.begin(); entry != weight_map.end(); ++entry) {
        if (!entry.value().is_string()) {
            throw FormatError(
                "not an index file (weight_map value for \"" + entry.key() + "\" is not a string)",
                index_file.string());
        }
        const std::string name = entry.value().get<std::string>();
        auto known = decided.find(name);
        if (known == decided.end()) {
            known = decided.emplace(name, choose_name(folder, name, prefer)).first;
            if (known->second != name) result.renamed.emplace_back(name, known->second);
        }
        if (known->second != name) entry.value() = known->second;
    }

    if (result.changed() && !check_only) write_index(index_file, render(doc, style));
    return result;
}

}  // namespace znn
