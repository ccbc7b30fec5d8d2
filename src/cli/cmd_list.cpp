// znn list: what a .znn file holds, from its footers, seek tables and chunk headers only.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "commands.hpp"
#include "console.hpp"
#include "znn/errors.hpp"
#include "znn/inspect.hpp"
#include "znn/stream.hpp"

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

std::string layouts_text(const FrameInfo& f) {
    std::string text;
    for (int i = 0; i < kLayoutCount; ++i) {
        if (f.layout_bytes[static_cast<std::size_t>(i)] == 0) continue;
        if (!text.empty()) text += ",";
        text += layout_name(static_cast<Layout>(i));
    }
    return text.empty() ? "-" : text;
}

}  // namespace

int run_list(const Options& options) {
    if (options.list_tensors) return run_list_tensors(options);
    bool ok = true;
    std::printf("%8s %12s %12s %8s %8s  %-16s %-18s %s\n", "frames", "compressed", "original",
                "ratio", "chunks", "checksum", "layouts", "file");
    for (const std::string& path : options.inputs) {
        try {
            const auto frames = inspect_path(path);
            FrameInfo total;
            std::string layouts;
            for (const FrameInfo& f : frames) {
                total.compressed_size += f.compressed_size;
                total.content_size += f.content_size;
                total.chunk_count += f.chunk_count;
                for (int i = 0; i < kLayoutCount; ++i)
                    total.layout_bytes[static_cast<std::size_t>(i)] +=
                        f.layout_bytes[static_cast<std::size_t>(i)];
            }
            total.content_checksum = frames.size() == 1 ? frames[0].content_checksum : 0;
            const double ratio = total.content_size
                                     ? 100.0 * static_cast<double>(total.compressed_size) /
                                           static_cast<double>(total.content_size)
                                     : 0.0;
            char checksum[32];
            if (frames.size() == 1)
                std::snprintf(checksum, sizeof checksum, "%016llx",
                              static_cast<unsigned long long>(total.content_checksum));
            else
                std::snprintf(checksum, sizeof checksum, "(%zu frames)", frames.size());
            std::printf("%8zu %12s %12s %7.2f%% %8llu  %-16s %-18s %s\n", frames.size(),
                        format_size(total.compressed_size).c_str(),
                        format_size(total.content_size).c_str(), ratio,
                        static_cast<unsigned long long>(total.chunk_count), checksum,
                        layouts_text(total).c_str(), path.c_str());
            if (verbosity() >= 2) {
                for (std::size_t i = 0; i < frames.size(); ++i) {
                    const FrameInfo& f = frames[i];
                    std::printf(
                        "  frame %zu at %llu: %llu -> %llu bytes, %llu chunks, checksum %016llx\n",
                        i, static_cast<unsigned long long>(f.offset),
                        static_cast<unsigned long long>(f.content_size),
                        static_cast<unsigned long long>(f.compressed_size),
                        static_cast<unsigned long long>(f.chunk_count),
                        static_cast<unsigned long long>(f.content_checksum));
                    for (int l = 0; l < kLayoutCount; ++l)
                        if (f.layout_bytes[static_cast<std::size_t>(l)])
                            std::printf("    %-6s %llu bytes\n",
                                        std::string(layout_name(static_cast<Layout>(l))).c_str(),
                                        static_cast<unsigned long long>(
                                            f.layout_bytes[static_cast<std::size_t>(l)]));
                }
            }
        } catch (const Error& e) {
            print_error(e.path().empty() ? path : e.path(), e.what());
            ok = false;
        }
    }
    std::fflush(stdout);
    return ok ? kExitOk : kExitError;
}

}  // namespace znn::cli
