// One input (a file or stdin) through compress, decompress or test, and the loop over a
// command line's inputs that these three subcommands share.
#include "file_job.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <vector>

#include "console.hpp"
#include "input_file.hpp"
#include "model_sync.hpp"
#include "output_file.hpp"
#include "progress.hpp"
#include "summary.hpp"
#include "walk.hpp"
#include "znn/base.hpp"
#include "znn/model_dir.hpp"
#include "znn/znn.hpp"

namespace fs = std::filesystem;

namespace znn::cli {

namespace {

constexpr std::string_view kSuffix = ".znn";

bool ends_with(const std::string& s, std::string_view suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// discardable: the output is thrown away if the run fails (a temporary file, or `test`).
Stats run_codec(Mode mode, InputStream& in, OutputStream& out, bool discardable,
                const Options& options, Progress& progress) {
    auto report = [&](std::uint64_t done) { progress.update(done); };
    if (mode == Mode::compress) {
        CompressOptions c;
        c.threads = options.threads;
        c.chunk_size = options.chunk_size;
        c.dtype = options.dtype;
        c.level = options.level;
        c.progress = report;
        c.overlap_output = true;
        c.base = options.base_model.get();
        return compress(in, out, c);
    }
    DecompressOptions d;
    d.threads = options.threads;
    d.base = options.base_model.get();
    d.progress = report;  // compressed bytes read, against the .znn file's size
    d.overlap_output = mode == Mode::decompress;  // `test` writes nothing
    d.check_base_first = !discardable;            // else the base is read once, not twice
    return decompress(in, out, d);
}

// The bytes of its input the codec consumed.
std::uint64_t consumed(Mode mode, const Stats& stats) {
    return mode == Mode::compress ? stats.raw_bytes : stats.compressed_bytes;
}

// Decodes the finished .znn output again, through its still open descriptor, and checks
// every checksum: --rm removes a source only after this has passed.
void verify_compressed(AtomicFile& file, const Stats& written, const std::string& target,
                       const Options& options) {
    if (::lseek(file.fd(), 0, SEEK_SET) != 0)
        throw IoError(std::string("cannot verify output: ") + std::strerror(errno), target);
    FdInput input(file.fd(), target);
    NullOutput sink;
    DecompressOptions d;
    d.threads = options.threads;
    d.base = options.base_model.get();  // the round trip goes through the base as well
    d.check_base_first = false;
    const Stats read = decompress(input, sink, d);
    if (read.raw_bytes != written.raw_bytes)
        throw FormatError("verification failed: size differs", target);
}

// Compares what it is given with a file's bytes; throws at the first difference.
class CompareOutput final : public OutputStream {
  public:
    CompareOutput(int fd, std::uint64_t offset) : fd_(fd), offset_(offset) {}
    void write(std::span<const std::uint8_t> data) override {
        while (!data.empty()) {
            const std::size_t n = std::min(data.size(), buffer_.size());
            if (read_at(n) != n || std::memcmp(buffer_.data(), data.data(), n) != 0)
                throw IoError("differs");
            data = data.subspan(n);
        }
    }
    bool at_end() { return read_at(1) == 0; }

  private:
    std::size_t read_at(std::size_t size) {
        std::size_t done = 0;
        while (done < size) {
            const ssize_t n =
                ::pread(fd_, buffer_.data() + done, size - done, static_cast<off_t>(offset_));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            done += static_cast<std::size_t>(n);
            offset_ += static_cast<std::uint64_t>(n);
        }
        return done;
    }

    int fd_;
    std::uint64_t offset_;
    std::vector<std::uint8_t> buffer_ = std::vector<std::uint8_t>(std::size_t{1} << 20);
};

// Whether the .znn file open as znn_fd decodes (checksums and all) to exactly the bytes of
// raw_fd from raw_offset on.
bool decodes_to(int znn_fd, const std::string& znn_name, int raw_fd, std::uint64_t raw_offset,
                const Options& options) {
    try {
        FdInput in(znn_fd, znn_name);
        CompareOutput compare(raw_fd, raw_offset);
        DecompressOptions d;
        d.threads = options.threads;
        d.base = options.base_model.get();
        d.check_base_first = false;
        decompress(in, compare, d);
        return compare.at_end();
    } catch (const Error&) {
        return false;
    }
}

// Whether an existing output is the finished work of an earlier, interrupted run: a regular
// file (or a link into the job's own cache) whose content matches the input, decoded one way
// or the other. Reads the input from where it starts.
bool output_already_done(const FileJob& job, const InputFile& in, const Options& options) {
    if (options.force || !in.named_file()) return false;
    if (options.mode != Mode::compress && options.mode != Mode::decompress) return false;
    struct stat link {};
    if (::lstat(job.target.c_str(), &link) != 0) return false;
    if (S_ISLNK(link.st_mode)) {
        const auto blobs = job.hf_blobs ? hf_blobs_dir(job.target) : std::nullopt;
        if (!blobs || *blobs != *job.hf_blobs) return false;
    } else if (!S_ISREG(link.st_mode)) {
        return false;
    }
    const int out = ::open(job.target.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (out < 0) return false;
    struct stat st {};
    const bool regular = ::fstat(out, &st) == 0 && S_ISREG(st.st_mode);
    const off_t start = ::lseek(in.fd(), 0, SEEK_CUR);
    bool done = false;
    if (regular && start >= 0) {
        if (options.mode == Mode::compress) {
            done = decodes_to(out, job.target, in.fd(), static_cast<std::uint64_t>(start), options);
        } else {
            done = decodes_to(in.fd(), job.input, out, 0, options);
            (void)::lseek(in.fd(), start, SEEK_SET);
        }
    }
    ::close(out);
    return done;
}

void report_done(const std::string& input, const std::string& output, const Stats& stats,
                 std::chrono::steady_clock::time_point start, const Options& options) {
    if (!options.show_summary) return;
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    report_file(options.mode, {input, options.mode == Mode::test ? std::string() : output,
                               stats.raw_bytes, stats.compressed_bytes, took.count()});
}

// Whether a source is removed later, by ModelSync, in a batch whose outputs are made durable
// together.
bool removal_deferred(const FileJob& job, const InputFile& in, const Options& options) {
    return options.remove_source && options.sync && !job.root.empty() && in.named_file();
}

// The source of a finished job goes: now, or (for a default-named output in a watched folder)
// once the index files there name the output.
bool remove_input(const FileJob& job, const InputFile& in, const Options& options) {
    if (!in.named_file()) {
        print_warning(job.input, "not a regular file: kept");
        return true;
    }
    const Removal removal{job.input,         in.stat_at_open().st_dev, in.stat_at_open().st_ino,
                          in.size_at_open(), job.hf_blobs.has_value(), job.target};
    if (removal_deferred(job, in, options)) {
        options.sync->remove_later(job.root, removal);
        return true;
    }
    return remove_source(removal);
}

// Puts a finished output in place: a plain file, or a new blob in an HF cache.
void commit_output(const FileJob& job, OutputTarget& output, bool durable) {
    if (!job.hf_blobs) return output.file->commit(job.target, output.replace, durable);
    const std::lock_guard lock(hf_cache_mutex());
    hf_store_blob(*job.hf_blobs, *output.file, job.target, durable);
}

}  // namespace

std::string output_name_for(Mode mode, const std::string& input) {
    if (mode == Mode::compress) return input + std::string(kSuffix);
    if (!ends_with(input, kSuffix)) return {};
    return input.substr(0, input.size() - kSuffix.size());
}

bool process_stream(const Options& options) {
    const Mode mode = options.mode;
    try {
        // A terminal has nothing to read: refused as zstd does (-f reads it anyway).
        if (::isatty(STDIN_FILENO) == 1 && !options.force)
            throw UsageError(
                "stdin is a terminal: nothing to read (give a file, a pipe or a "
                "redirection)");
        OutputTarget target;
        open_output(target, options.to_stdout ? std::string() : options.output, {}, nullptr,
                    options, {});
        FdInput in(STDIN_FILENO, "stdin");
        FdOutput fd_out(target.fd, target.name);
        NullOutput null_out;
        OutputStream& out = (mode == Mode::test) ? static_cast<OutputStream&>(null_out) : fd_out;
        Progress progress("stdin", 0);
        const auto start = std::chrono::steady_clock::now();
        const Stats stats = run_codec(mode, in, out, mode == Mode::test || target.file.has_value(),
                                      options, progress);
        if (target.file) target.file->commit(target.replace, false);
        report_done("stdin", target.name, stats, start, options);
        return true;
    } catch (const UsageError&) {
        throw;  // exit 2, from main
    } catch (const Error& e) {
        print_error(e.path().empty() ? "stdin" : e.path(), e.what());
        return false;
    } catch (const fs::filesystem_error& e) {
        print_error(options.output, e.code().message());
        return false;
    }
}

bool process_file(const FileJob& job, const Options& options) {
    const Mode mode = options.mode;
    const std::string& input = job.input;
    try {
        const InputFile in(input, job.from_walk);
        const bool default_name =
            !options.to_stdout && !job.target.empty() && job.target == output_name_for(mode, input);

        if (mode != Mode::test && !options.to_stdout && output_already_done(job, in, options)) {
            print_info(input + ": " + job.target + " is already complete");
            return !options.remove_source || remove_input(job, in, options);
        }

        OutputTarget output;
        open_output(output, options.to_stdout ? std::string("-") : job.target, input,
                    &in.stat_at_open(), options, {default_name, job.hf_blobs});

        FdInput input_stream(in.fd(), input, /*positional=*/true);
        FdOutput fd_out(output.fd, output.name);
        NullOutput null_out;
        OutputStream& out = (mode == Mode::test) ? static_cast<OutputStream&>(null_out) : fd_out;
        Progress progress(input, in.size_at_open(), options.show_progress, options.show_summary);
        const auto start = std::chrono::steady_clock::now();
        Stats stats;
        try {
            stats = run_codec(mode, input_stream, out,
                              mode == Mode::test || output.file.has_value(), options, progress);
        } catch (Error& e) {
            // A file cut short while being read fails in the codec: say why.
            if (in.changed_since_open()) throw IoError("changed while being read", input);
            if (e.path().empty()) e.set_path(input);
            throw;
        }
        // Bytes appended or rewritten while we read are not in the output: no output at all.
        if (in.changed_since_open() || (in.regular() && consumed(mode, stats) != in.size_at_open()))
            throw IoError("changed while being read", input);

        bool ok = true;
        if (output.file) {
            if (in.named_file()) output.file->copy_metadata(in.stat_at_open());
            if (options.remove_source && mode == Mode::compress)
                verify_compressed(*output.file, stats, job.target, options);
            // What --rm removes must be on disk first: now, or for the whole batch at once.
            commit_output(job, output,
                          options.remove_source && !removal_deferred(job, in, options));
            output.file.reset();
            if (options.remove_source) ok = remove_input(job, in, options);
        } else if (output.owns_fd && options.remove_source) {
            // What went to a device or pipe cannot be read back and verified.
            print_warning(input, "output is not a regular file: source kept");
        }
        report_done(input, output.name, stats, start, options);
        return ok;
    } catch (const UsageError&) {
        throw;  // exit 2, from main
    } catch (const Error& e) {
        print_error(e.path().empty() ? input : e.path(), e.what());
        return false;
    } catch (const fs::filesystem_error& e) {
        print_error(input, e.code().message());
        return false;
    }
}

bool process_file(const std::string& input, const std::string& target, const Options& options) {
    return process_file(FileJob{input, target, false, std::nullopt, {}}, options);
}

namespace {

// The progress line's total: every file named, stdin with an unknown size. A folder
// plans its own files when it is walked.
void plan_inputs(const std::vector<std::string>& inputs) {
    if (inputs.empty()) plan_progress(1, 0);
    bool several = inputs.size() > 1;
    for (const std::string& input : inputs) {
        std::error_code ec;
        const auto status = fs::status(input, ec);
        several = several || fs::is_directory(status);
        if (fs::is_directory(status)) continue;
        const std::uintmax_t size = fs::is_regular_file(status) ? fs::file_size(input, ec) : 0;
        plan_progress(1, ec ? 0 : size);
    }
    expect_several_files(several);
}

bool run_each_input(const Options& command_line, const TargetName& target_for) {
    if (!command_line.output.empty() && command_line.inputs.size() > 1)
        throw UsageError("-o takes a single input file");
    Options options = command_line;
    if (!options.base.empty() && !options.base_model) {
        try {
            options.base_model = BaseModel::open(options.base);
        } catch (const Error& e) {
            print_error(e.path().empty() ? options.base : e.path(), e.what());
            return false;
        }
    }
    if (options.inputs.empty() || (options.inputs.size() == 1 && options.inputs[0] == "-"))
        return process_stream(options);

    // Index files are synced once per run (and sources removed after them), not once per file.
    ModelSync sync(options);
    Options run_options = options;
    run_options.sync = &sync;
    // "-o -" means stdout, for a folder as for a file.
    Options folder_options = run_options;
    if (options.output == "-") folder_options.to_stdout = true;

    // Files named one by one run like a folder's: small ones several at a time.
    std::vector<SizedFile> files;
    const auto run_files_so_far = [&] {
        const bool done = run_files(files, run_options, [](const SizedFile& f, const Options& o) {
            return process_model_file(f.path, f.target, o);
        });
        files.clear();
        return done;
    };
    bool ok = true;
    for (const std::string& input : options.inputs) {
        if (input == "-") {
            ok = run_files_so_far() && ok;
            ok = process_stream(options) && ok;
            continue;
        }
        if (options.mode != Mode::test && is_in_hf_blobs(input)) {
            print_error(input,
                        "inside a Hugging Face cache's blobs/ folder -- ignored (use the links in "
                        "snapshots/)");
            ok = false;
            continue;
        }
        std::error_code ec;
        if (fs::is_directory(input, ec)) {
            // One -o file cannot hold a folder's many outputs.
            if (!options.output.empty() && options.output != "-")
                throw UsageError(
                    "-o names one output file; a folder gives one output per file (drop -o)",
                    input);
            ok = run_files_so_far() && ok;
            ok = process_directory(input, folder_options) && ok;
            continue;
        }
        std::string target = options.output;
        if (target.empty()) {
            const auto named = target_for(input, options);
            if (!named) {
                ok = false;
                continue;
            }
            target = *named;
        }
        std::uintmax_t size = fs::file_size(input, ec);
        if (ec) size = 0;
        // Same as process_file, plus HF-cache links and the index beside the file.
        files.push_back({input, target, size});
    }
    ok = run_files_so_far() && ok;
    return sync.flush() && ok;
}

}  // namespace

bool run_inputs(const Options& options, const TargetName& target_for) {
    plan_inputs(options.inputs);
    const bool ok = run_each_input(options, target_for);
    report_totals(options.mode);
    return ok;
}

}  // namespace znn::cli
