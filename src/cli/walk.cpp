#include "walk.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <vector>

#include "console.hpp"
#include "file_job.hpp"
#include "model_sync.hpp"
#include "progress.hpp"
#include "znn/errors.hpp"
#include "znn/stream.hpp"
#include "znn/znn.hpp"

namespace fs = std::filesystem;

namespace znn::cli {

namespace {

constexpr std::uintmax_t kLargeFileThreshold = std::uintmax_t{1} << 20;
// A file this large keeps every thread busy with its own chunks; smaller ones are run
// several at a time, one thread each, so a folder of many small shards is not serial.
constexpr std::uintmax_t kChunkParallelSize = std::uintmax_t{64} << 20;

unsigned thread_count(const Options& options) {
    return options.threads != 0 ? options.threads
                                : std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

bool run_files(const std::vector<SizedFile>& jobs, const Options& options, const RunFile& run) {
    const unsigned threads = thread_count(options);
    if (options.to_stdout || threads <= 1 || jobs.size() <= 1) {
        bool ok = true;
        for (const SizedFile& job : jobs) ok = run(job, options) && ok;
        return ok;
    }
    bool ok = true;
    std::vector<const SizedFile*> small;
    for (const SizedFile& job : jobs) {
        if (job.size >= kChunkParallelSize) {
            ok = run(job, options) && ok;
        } else {
            small.push_back(&job);
        }
    }
    Options one = options;
    one.threads = 1;
    one.show_progress = false;  // several files at once: progress lines would interleave
    std::atomic<std::size_t> next{0};
    std::atomic<bool> all_ok{true};
    std::mutex error_mutex;
    std::exception_ptr usage_error;  // (run prints and absorbs data and I/O errors itself)
    auto worker = [&] {
        for (std::size_t i; (i = next.fetch_add(1)) < small.size();) {
            try {
                if (!run(*small[i], one)) all_ok.store(false);
            } catch (...) {
                const std::lock_guard lock(error_mutex);
                if (!usage_error) usage_error = std::current_exception();
                all_ok.store(false);
                next.store(small.size());  // stop handing out work
            }
        }
    };
    std::vector<std::jthread> pool;
    const auto workers = static_cast<unsigned>(std::min<std::size_t>(threads, small.size()));
    for (unsigned i = 1; i < workers; ++i) {
        try {
            pool.emplace_back(worker);
        } catch (const std::system_error&) {
            break;  // out of threads: fewer file workers, every file still runs
        }
    }
    worker();
    pool.clear();  // joins
    if (usage_error) std::rethrow_exception(usage_error);
    return ok && all_ok.load();
}

namespace {

bool has_weight_suffix(const fs::path& p) {
    static const std::vector<std::string> kSuffixes = {".safetensors", ".bin",  ".pt",   ".pth",
                                                       ".ckpt",        ".gguf", ".onnx", ".h5",
                                                       ".msgpack",     ".npy"};
    const std::string ext = p.extension().string();
    return std::find(kSuffixes.begin(), kSuffixes.end(), ext) != kSuffixes.end();
}

// Whether the first MiB of a file shrinks by at least 3% under znn: an unknown large
// file is compressed only if its content says it is worth it (random or already
// compressed data is left as it is).
bool content_compresses(const fs::path& p) {
    constexpr std::size_t kSample = std::size_t{1} << 20;
    const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return true;  // let the real attempt report the error
    std::vector<std::uint8_t> sample(kSample);
    std::size_t got = 0;
    try {
        FdInput in(fd, p.string());
        got = read_fully(in, sample);
    } catch (const Error&) {
        ::close(fd);
        return true;
    }
    ::close(fd);
    sample.resize(got);
    CompressOptions one;
    one.threads = 1;
    const auto packed = compress_buffer(sample, one);
    return static_cast<double>(packed.size()) <= 0.97 * static_cast<double>(sample.size());
}

// Weight files by suffix, or any large file that is not text-like config and whose
// content compresses.
bool is_weight_file(const fs::path& p, std::uintmax_t size) {
    if (p.extension() == ".znn") return false;
    if (has_weight_suffix(p)) return true;
    static const std::vector<std::string> kText = {".json", ".txt", ".md",    ".py",
                                                   ".yaml", ".yml", ".model", ".tiktoken"};
    if (std::find(kText.begin(), kText.end(), p.extension().string()) != kText.end()) return false;
    return size >= kLargeFileThreshold && content_compresses(p);
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

bool writes_default_target(const std::string& input, const std::string& target,
                           const Options& options) {
    if (options.mode != Mode::compress && options.mode != Mode::decompress) return false;
    if (options.to_stdout || target == "-" || target.empty()) return false;
    return target == output_name_for(options.mode, input);
}

// One file: a symlink into a Hugging Face cache gets its output stored as a new blob (shared
// blobs are never modified); with --rm, the source goes once the index files under `root`
// name the output.
bool process_one(const std::string& input, const std::string& target, const fs::path& root,
                 bool from_walk, const Options& options) {
    FileJob job{input, target, from_walk, std::nullopt, {}};
    if (writes_default_target(input, target, options)) {
        job.hf_blobs = hf_blobs_dir(input);
        job.root = root;
    }
    return process_file(job, options);
}

// The progress line counts the folder's files; -v says when there are none.
void announce_jobs(const std::string& dir, const std::vector<SizedFile>& jobs,
                   const Options& options) {
    std::uintmax_t bytes = 0;
    for (const SizedFile& job : jobs) bytes += job.size;
    plan_progress(jobs.size(), bytes);
    if (!jobs.empty()) return;
    print_info(dir + ": " +
               (options.mode == Mode::compress
                    ? "nothing to compress (no weight files; see \"Folders\" in man znn)"
                    : "nothing to " +
                          std::string(options.mode == Mode::test ? "test" : "decompress") +
                          " (no .znn files)"));
}

}  // namespace

std::vector<fs::path> files_under(const fs::path& dir, std::error_code& ec) {
    return collect_files(dir, ec);
}

std::string describe_renames(const IndexSync& sync) {
    std::string text;
    for (const auto& [from, to] : sync.renamed) {
        if (!text.empty()) text += ", ";
        text += from + " -> " + to;
    }
    return text;
}

bool is_in_hf_blobs(const std::string& input) {
    std::error_code ec;
    const bool is_dir = fs::is_directory(input, ec);  // follows links
    // A file link is how a snapshot names a blob, and process_hf_link handles those safely.
    if (!is_dir && (fs::is_symlink(input, ec) || !fs::is_regular_file(input, ec))) return false;
    // Canonical, so "blobs/", "./blobs/." and a linked folder are recognised too.
    const fs::path dir = is_dir ? fs::canonical(input, ec)
                                : fs::canonical(fs::absolute(input, ec).parent_path(), ec);
    return !ec && is_hf_blobs_dir(dir);
}

bool process_directory(const std::string& dir, const Options& options) {
    std::error_code ec;
    const std::vector<fs::path> files = collect_files(dir, ec);
    if (ec) {
        print_error(dir, "cannot list folder: " + ec.message());
        return false;
    }
    if (options.sync) options.sync->watch(dir, true);
    std::vector<SizedFile> jobs;
    for (const fs::path& file : files) {
        std::error_code size_ec;
        std::uintmax_t size = fs::file_size(file, size_ec);
        if (size_ec) size = 0;
        if (options.mode == Mode::compress) {
            if (!is_weight_file(file, size)) continue;
        } else if (file.extension() != ".znn") {
            continue;
        }
        const std::string target =
            options.mode == Mode::test ? std::string() : output_name_for(options.mode, file);
        jobs.push_back({file.string(), options.to_stdout ? std::string("-") : target, size});
    }
    announce_jobs(dir, jobs, options);
    return run_files(jobs, options, [&](const SizedFile& job, const Options& job_options) {
        return process_one(job.path, job.target, dir, true, job_options);
    });
}

bool process_model_file(const std::string& input, const std::string& target,
                        const Options& options) {
    fs::path folder = fs::path(input).parent_path();
    if (folder.empty()) folder = ".";
    if (options.sync && writes_default_target(input, target, options))
        options.sync->watch(folder, false);
    return process_one(input, target, folder, false, options);
}

}  // namespace znn::cli
