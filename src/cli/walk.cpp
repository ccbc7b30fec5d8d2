#include "walk.hpp"

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <vector>

#include "console.hpp"
#include "file_job.hpp"

namespace fs = std::filesystem;

namespace znn::cli {

namespace {

constexpr std::uint64_t kLargeFileThreshold = 1 << 20;

bool has_weight_suffix(const fs::path& p) {
    static const std::vector<std::string> kSuffixes = {".safetensors", ".bin", ".pt",  ".pth",     ".ckpt",
                                                       ".gguf",        ".onnx", ".h5", ".msgpack", ".npy"};
    const std::string ext = p.extension().string();
    return std::find(kSuffixes.begin(), kSuffixes.end(), ext) != kSuffixes.end();
}

// Weight files by suffix, or any large file that is not text-like config.
bool is_weight_file(const fs::path& p, std::uint64_t size) {
    if (p.extension() == ".znn") return false;
    if (has_weight_suffix(p)) return true;
    static const std::vector<std::string> kText = {".json", ".txt", ".md", ".py", ".yaml", ".yml", ".model", ".tiktoken"};
    if (std::find(kText.begin(), kText.end(), p.extension().string()) != kText.end()) return false;
    return size >= kLargeFileThreshold;
}

}  // namespace

bool process_directory(const std::string& dir, const Options& options) {
    std::vector<fs::path> files;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
        if (it->is_regular_file(ec)) files.push_back(it->path());
    }
    if (ec) {
        print_error(dir, ec.message());
        return false;
    }
    std::sort(files.begin(), files.end());
    bool ok = true;
    for (const fs::path& file : files) {
        const std::string name = file.string();
        if (options.mode == Mode::compress) {
            if (!is_weight_file(file, fs::file_size(file, ec))) continue;
        } else if (file.extension() != ".znn") {
            continue;
        }
        const std::string target = options.mode == Mode::test ? std::string() : output_name_for(options.mode, name);
        ok = process_file(name, target, options) && ok;
    }
    return ok;
}

}  // namespace znn::cli
