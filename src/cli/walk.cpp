#include "walk.hpp"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <system_error>
#include <vector>

#include "console.hpp"
#include "file_job.hpp"
#include "znn/errors.hpp"

namespace fs = std::filesystem;

namespace znn::cli {

namespace {

constexpr std::uintmax_t kLargeFileThreshold = std::uintmax_t{1} << 20;

bool has_weight_suffix(const fs::path& p) {
    static const std::vector<std::string> kSuffixes = {".safetensors", ".bin", ".pt",  ".pth",     ".ckpt",
                                                       ".gguf",        ".onnx", ".h5", ".msgpack", ".npy"};
    const std::string ext = p.extension().string();
    return std::find(kSuffixes.begin(), kSuffixes.end(), ext) != kSuffixes.end();
}

// Weight files by suffix, or any large file that is not text-like config.
bool is_weight_file(const fs::path& p, std::uintmax_t size) {
    if (p.extension() == ".znn") return false;
    if (has_weight_suffix(p)) return true;
    static const std::vector<std::string> kText = {".json", ".txt", ".md", ".py", ".yaml", ".yml", ".model", ".tiktoken"};
    if (std::find(kText.begin(), kText.end(), p.extension().string()) != kText.end()) return false;
    return size >= kLargeFileThreshold;
}

// A cache's blobs/ is only ever reached through the snapshot links: compressing a blob in place
// would change every revision that shares it.
bool is_hf_blobs_dir(const fs::path& dir) {
    std::error_code ec;
    return dir.filename() == "blobs" && fs::is_directory(dir.parent_path() / "snapshots", ec);
}

// Our own (and the library's) in-flight temporaries, left over by a crash or being written.
bool is_temp_name(const fs::path& p) {
    const std::string name = p.filename().string();
    return name.starts_with('.') && name.find(".znn-tmp") != std::string::npos;
}

// Regular files under dir, symlinked files included (an HF snapshot holds nothing else).
std::vector<fs::path> collect_files(const fs::path& dir, std::error_code& ec) {
    std::vector<fs::path> files;
    fs::recursive_directory_iterator it(dir, ec);
    for (const fs::recursive_directory_iterator end; !ec && it != end; it.increment(ec)) {
        std::error_code status_ec;  // a dangling link is skipped, not a reason to stop
        if (!it->is_symlink(status_ec) && it->is_directory(status_ec)) {
            if (is_hf_blobs_dir(it->path())) it.disable_recursion_pending();
            continue;
        }
        if (is_temp_name(it->path())) continue;
        if (it->is_regular_file(status_ec)) files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

bool writes_default_target(const std::string& input, const std::string& target, const Options& options) {
    if (options.mode != Mode::compress && options.mode != Mode::decompress) return false;
    if (options.to_stdout || target == "-" || target.empty()) return false;
    return target == output_name_for(options.mode, input);
}

// Decodes the finished output again before --rm drops the source, as process_file does for
// plain files; quietly, since the -v summary for this file was already printed.
bool verify_output(const std::string& target, const Options& options) {
    Options check = options;
    check.mode = Mode::test;
    check.remove_source = false;
    const int saved = verbosity();
    set_verbosity(std::min(saved, 1));
    const bool ok = process_file(target, std::string(), check);
    set_verbosity(saved);
    return ok;
}

// A symlink into an HF cache: the output is written beside the link as usual, then moved into
// blobs/ and linked, so no blob that another revision may use is ever touched.
bool process_hf_link(const std::string& input, const std::string& target, const fs::path& blobs,
                     const Options& options) {
    Options inner = options;
    inner.remove_source = false;  // removal must go through hf_remove_link, after the blob is stored
    if (!process_file(input, target, inner)) return false;
    if (options.remove_source && options.mode == Mode::compress && !verify_output(target, options)) return false;
    try {
        hf_store_blob(blobs, target, target);
        if (options.remove_source) hf_remove_link(input);
        return true;
    } catch (const Error& e) {
        print_error(e.path().empty() ? input : e.path(), e.what());
    } catch (const fs::filesystem_error& e) {
        print_error(input, e.code().message());
    }
    return false;
}

bool process_one(const std::string& input, const std::string& target, const Options& options) {
    if (writes_default_target(input, target, options)) {
        if (const auto blobs = hf_blobs_dir(input)) return process_hf_link(input, target, *blobs, options);
    }
    return process_file(input, target, options);
}

// After compress, entries prefer the .znn names; after decompress, the original ones.
bool sync_indexes(const std::vector<fs::path>& indexes, Mode mode) {
    const IndexPreference prefer = mode == Mode::compress ? IndexPreference::compressed : IndexPreference::original;
    bool ok = true;
    for (const fs::path& index : indexes) {
        try {
            const IndexSync sync = sync_index(index, prefer, false);
            if (sync.changed()) print_info(index.string() + ": " + describe_renames(sync));
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

}  // namespace

std::string describe_renames(const IndexSync& sync) {
    std::string text;
    for (const auto& [from, to] : sync.renamed) {
        if (!text.empty()) text += ", ";
        text += from + " -> " + to;
    }
    return text;
}

bool process_directory(const std::string& dir, const Options& options) {
    std::error_code ec;
    const std::vector<fs::path> files = collect_files(dir, ec);
    if (ec) {
        print_error(dir, "cannot list folder: " + ec.message());
        return false;
    }
    bool ok = true;
    for (const fs::path& file : files) {
        const std::string name = file.string();
        if (options.mode == Mode::compress) {
            std::error_code size_ec;
            const std::uintmax_t size = fs::file_size(file, size_ec);
            if (!is_weight_file(file, size_ec ? 0 : size)) continue;
        } else if (file.extension() != ".znn") {
            continue;
        }
        const std::string target = options.mode == Mode::test ? std::string() : output_name_for(options.mode, name);
        ok = process_one(name, options.to_stdout ? std::string("-") : target, options) && ok;
    }

    // Even after a failed file: the indexes must name whatever exists now.
    if ((options.mode == Mode::compress || options.mode == Mode::decompress) && !options.to_stdout) {
        try {
            ok = sync_indexes(find_index_files(dir), options.mode) && ok;
        } catch (const Error& e) {
            print_error(e.path().empty() ? dir : e.path(), e.what());
            ok = false;
        }
    }
    return ok;
}

bool process_model_file(const std::string& input, const std::string& target, const Options& options) {
    const bool ok = process_one(input, target, options);
    if (!ok || !writes_default_target(input, target, options)) return ok;
    fs::path folder = fs::path(input).parent_path();
    if (folder.empty()) folder = ".";
    return sync_indexes(indexes_in(folder), options.mode);
}

}  // namespace znn::cli
