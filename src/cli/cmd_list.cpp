// znn list: what .znn files hold, from their footers, seek tables and chunk headers only. A
// folder stands for every .znn file under it; several files get a total row.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "commands.hpp"
#include "console.hpp"
#include "walk.hpp"
#include "znn/errors.hpp"
#include "znn/inspect.hpp"
#include "znn/stream.hpp"

namespace fs = std::filesystem;

namespace znn::cli {

namespace {

std::vector<FrameInfo> inspect_path(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw IoError(std::string("cannot open: ") + std::strerror(errno), path);
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw IoError("not a regular file (list needs a seekable file)", path);
    }
    auto read_at = [&](std::uint64_t offset, std::span<std::uint8_t> out) {
        read_fd_at(fd, offset, out, path);
    };
    try {
        auto frames = inspect_frames(static_cast<std::uint64_t>(st.st_size), read_at);
        ::close(fd);
        return frames;
    } catch (...) {
        ::close(fd);
        throw;
    }
}

// One file's frames added up, or several files'.
struct Totals {
    std::uint64_t frames = 0;
    FrameInfo sum;
};

void add(Totals& t, const FrameInfo& f) {
    ++t.frames;
    t.sum.compressed_size += f.compressed_size;
    t.sum.content_size += f.content_size;
    t.sum.chunk_count += f.chunk_count;
    for (std::size_t i = 0; i < kLayoutCount; ++i) t.sum.layout_bytes[i] += f.layout_bytes[i];
}

std::string layouts_text(const FrameInfo& f) {
    std::string text;
    for (int i = 0; i < kLayoutCount; ++i) {
        if (f.layout_bytes[static_cast<std::size_t>(i)] == 0) continue;
        if (!text.empty()) text += ",";
        text += layout_name(static_cast<Layout>(i));
    }
    return text.empty() ? "-" : text;
}

void print_header() {
    std::printf("%8s %12s %12s %8s %8s  %-16s %-18s %s\n", "frames", "compressed", "original",
                "ratio", "chunks", "checksum", "layouts", "file");
}

void print_row(const Totals& t, const std::string& checksum, const std::string& name) {
    const double ratio = t.sum.content_size ? 100.0 * static_cast<double>(t.sum.compressed_size) /
                                                  static_cast<double>(t.sum.content_size)
                                            : 0.0;
    std::printf("%8llu %12s %12s %7.2f%% %8llu  %-16s %-18s %s\n",
                static_cast<unsigned long long>(t.frames),
                format_size(t.sum.compressed_size).c_str(), format_size(t.sum.content_size).c_str(),
                ratio, static_cast<unsigned long long>(t.sum.chunk_count), checksum.c_str(),
                layouts_text(t.sum).c_str(), name.c_str());
}

// A file that cannot be decompressed alone says so, whatever the verbosity.
void print_dependencies(const std::vector<FrameInfo>& frames) {
    for (const FrameInfo& f : frames)
        if (f.base_tensors != 0)
            std::printf(
                "  needs base '%s' (checksum %016llx): %llu tensors, %llu of %llu chunks coded "
                "against it\n",
                f.base_hint.c_str(), static_cast<unsigned long long>(f.base_checksum),
                static_cast<unsigned long long>(f.base_tensors),
                static_cast<unsigned long long>(f.delta_chunks),
                static_cast<unsigned long long>(f.chunk_count));
}

// With -v: every frame, and the bytes of each layout in it.
void print_frames(const std::vector<FrameInfo>& frames) {
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const FrameInfo& f = frames[i];
        std::printf("  frame %zu at %llu: %llu -> %llu bytes, %llu chunks, checksum %016llx\n", i,
                    static_cast<unsigned long long>(f.offset),
                    static_cast<unsigned long long>(f.content_size),
                    static_cast<unsigned long long>(f.compressed_size),
                    static_cast<unsigned long long>(f.chunk_count),
                    static_cast<unsigned long long>(f.content_checksum));
        for (int l = 0; l < kLayoutCount; ++l)
            if (f.layout_bytes[static_cast<std::size_t>(l)])
                std::printf(
                    "    %-6s %llu bytes\n",
                    std::string(layout_name(static_cast<Layout>(l))).c_str(),
                    static_cast<unsigned long long>(f.layout_bytes[static_cast<std::size_t>(l)]));
    }
}

// The files an argument stands for: itself, or every .znn file under a folder.
std::vector<std::string> files_for(const std::string& input) {
    std::error_code ec;
    if (!fs::is_directory(input, ec)) return {input};
    const std::vector<fs::path> all = files_under(input, ec);
    if (ec) throw IoError("cannot list folder: " + ec.message(), input);
    std::vector<std::string> found;
    for (const fs::path& p : all)
        if (p.extension() == ".znn") found.push_back(p.string());
    if (found.empty()) print_warning(input, "no .znn files in this folder");
    return found;
}

}  // namespace

int run_list(const Options& options) {
    if (options.list_tensors) return run_list_tensors(options);
    bool ok = true;
    bool header_printed = false;
    Totals all;
    std::uint64_t files = 0;
    for (const std::string& input : options.inputs) {
        std::vector<std::string> paths;
        try {
            paths = files_for(input);
        } catch (const Error& e) {
            print_error(e.path().empty() ? input : e.path(), e.what());
            ok = false;
        }
        for (const std::string& path : paths) {
            try {
                const auto frames = inspect_path(path);
                Totals one;
                for (const FrameInfo& f : frames) add(one, f);
                char checksum[32];
                if (frames.size() == 1)
                    std::snprintf(checksum, sizeof checksum, "%016llx",
                                  static_cast<unsigned long long>(frames[0].content_checksum));
                else
                    std::snprintf(checksum, sizeof checksum, "(%zu frames)", frames.size());
                if (verbosity() >= 1) {
                    if (!header_printed) print_header();
                    header_printed = true;
                    print_row(one, checksum, path);
                    print_dependencies(frames);
                }
                if (verbosity() >= 2) print_frames(frames);
                for (const FrameInfo& f : frames) add(all, f);
                ++files;
            } catch (const Error& e) {
                std::fflush(stdout);  // the rows so far come before the error
                print_error(e.path().empty() ? path : e.path(), e.what());
                ok = false;
            }
        }
    }
    if (files > 1 && verbosity() >= 1)
        print_row(all, "-", "(total of " + std::to_string(files) + " files)");
    std::fflush(stdout);
    return ok ? kExitOk : kExitError;
}

}  // namespace znn::cli
