// One input (a file or stdin) through compress, decompress or test, and the loop over a
// command line's inputs that these three subcommands share.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>

#include "console.hpp"
#include "file_job.hpp"
#include "output_file.hpp"
#include "progress.hpp"
#include "summary.hpp"
#include "walk.hpp"
#include "znn/znn.hpp"

namespace fs = std::filesystem;

namespace znn::cli {

namespace {

constexpr std::string_view kSuffix = ".znn";

bool ends_with(const std::string& s, std::string_view suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::uint64_t size_of(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) return static_cast<std::uint64_t>(st.st_size);
    return 0;
}

Stats run_codec(Mode mode, InputStream& in, OutputStream& out, const Options& options,
                Progress& progress) {
    auto report = [&](std::uint64_t done) { progress.update(done); };
    if (mode == Mode::compress) {
        CompressOptions c;
        c.threads = options.threads;
        c.chunk_size = options.chunk_size;
        c.dtype = options.dtype;
        c.level = options.level;
        c.progress = report;
        c.overlap_output = true;
        return compress(in, out, c);
    }
    DecompressOptions d;
    d.threads = options.threads;
    d.progress = report;  // compressed bytes read, against the .znn file's size
    d.overlap_output = mode == Mode::decompress;  // `test` writes nothing
    return decompress(in, out, d);
}

// Re-reads a finished .znn file and checks every checksum: --rm removes a source only
// after this has passed.
void verify_compressed(const std::string& path, const Stats& written, const Options& options) {
    InputFd in{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (in.fd < 0)
        throw IoError(std::string("cannot verify output: ") + std::strerror(errno), path);
    FdInput input(in.fd, path);
    NullOutput sink;
    DecompressOptions d;
    d.threads = options.threads;
    const Stats read = decompress(input, sink, d);
    if (read.raw_bytes != written.raw_bytes)
        throw FormatError("verification failed: size differs", path);
}

void report_done(const std::string& input, const std::string& output, const Stats& stats,
                 std::chrono::steady_clock::time_point start, const Options& options) {
    if (!options.show_summary) return;
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    report_file(options.mode, {input, options.mode == Mode::test ? std::string() : output,
                               stats.raw_bytes, stats.compressed_bytes, took.count()});
}

}  // namespace

std::string output_name_for(Mode mode, const std::string& input) {
    if (mode == Mode::compress) return input + std::string(kSuffix);
    if (!ends_with(input, kSuffix)) return {};
    return input.substr(0, input.size() - kSuffix.size());
}

void open_output(OutputTarget& out, const std::string& target, const std::string& source,
                 const Options& options) {
    if (options.mode == Mode::test) return;
    if (!target.empty() && target != "-") {
        out.name = target;
        out.special.fd = open_special_output(target);
        if (out.special.fd >= 0) {
            out.fd = out.special.fd;
        } else {
            if (fs::exists(target)) {
                if (!source.empty() && fs::equivalent(target, source))
                    throw IoError("output would overwrite the input", source);
                if (!options.force)
                    throw IoError("already exists; not overwritten (use -f)", target);
            }
            out.file.emplace(target);
            out.fd = out.file->fd();
            return;
        }
    }
    if (options.mode == Mode::compress && ::isatty(out.fd) == 1 && !options.force)
        throw UsageError(
            out.name +
                " is a terminal: not writing compressed data to it (use -o or a redirection)",
            source.empty() ? "stdin" : source);
}

bool process_stream(const Options& options) {
    const Mode mode = options.mode;
    try {
        OutputTarget target;
        open_output(target, options.to_stdout ? std::string() : options.output, {}, options);
        FdInput in(STDIN_FILENO, "stdin");
        FdOutput fd_out(target.fd, target.name);
        NullOutput null_out;
        OutputStream& out = (mode == Mode::test) ? static_cast<OutputStream&>(null_out) : fd_out;
        Progress progress("stdin", 0);
        const auto start = std::chrono::steady_clock::now();
        const Stats stats = run_codec(mode, in, out, options, progress);
        if (target.file) target.file->commit(true, false);
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

bool process_file(const std::string& input, const std::string& target, const Options& options) {
    const Mode mode = options.mode;
    try {
        InputFd in{::open(input.c_str(), O_RDONLY | O_CLOEXEC)};
        if (in.fd < 0) throw IoError(std::string("cannot open: ") + std::strerror(errno), input);
        struct stat st {};
        if (::fstat(in.fd, &st) != 0 || !S_ISREG(st.st_mode))
            throw IoError("not a regular file -- ignored", input);

        OutputTarget output;
        open_output(output, options.to_stdout ? std::string("-") : target, input, options);
        std::optional<OutputFile>& file = output.file;

        FdInput input_stream(in.fd, input, /*positional=*/true);
        FdOutput fd_out(output.fd, output.name);
        NullOutput null_out;
        OutputStream& out = (mode == Mode::test) ? static_cast<OutputStream&>(null_out) : fd_out;
        Progress progress(input, size_of(in.fd), options.show_progress, options.show_summary);
        const auto start = std::chrono::steady_clock::now();
        Stats stats;
        try {
            stats = run_codec(mode, input_stream, out, options, progress);
        } catch (Error& e) {
            if (e.path().empty()) e.set_path(input);
            throw;
        }
        if (file) {
            file->copy_metadata_from(input);
            file->commit(options.force, options.remove_source || options.sync_output);
            file.reset();
            if (options.remove_source) {
                if (mode == Mode::compress) {
                    verify_compressed(target, stats, options);
                    // Bytes appended while we read are not in the output: keep the source.
                    if (size_of(in.fd) != stats.raw_bytes)
                        throw IoError("changed while being compressed; source kept", input);
                }
                if (::unlink(input.c_str()) != 0)
                    throw IoError(std::string("cannot remove: ") + std::strerror(errno), input);
            }
        } else if (output.special.fd >= 0 && options.remove_source) {
            // What went to a device or pipe cannot be read back and verified.
            print_warning(input, "output is not a regular file: source kept");
        }
        report_done(input, output.name, stats, start, options);
        return true;
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

bool run_each_input(const Options& options, const TargetName& target_for) {
    if (!options.output.empty() && options.inputs.size() > 1)
        throw UsageError("-o takes a single input file");
    if (options.inputs.empty() || (options.inputs.size() == 1 && options.inputs[0] == "-"))
        return process_stream(options);

    // "-o -" means stdout, for a folder as for a file.
    Options folder_options = options;
    if (options.output == "-") folder_options.to_stdout = true;

    bool ok = true;
    for (const std::string& input : options.inputs) {
        if (input == "-") {
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
        // Same as process_file, plus HF-cache links and the index beside the file.
        ok = process_model_file(input, target, options) && ok;
    }
    return ok;
}

}  // namespace

bool run_inputs(const Options& options, const TargetName& target_for) {
    plan_inputs(options.inputs);
    const bool ok = run_each_input(options, target_for);
    report_totals(options.mode);
    return ok;
}

}  // namespace znn::cli
