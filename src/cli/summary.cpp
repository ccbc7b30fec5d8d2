#include "summary.hpp"

#include <cstdio>
#include <mutex>

#include "console.hpp"

namespace znn::cli {

namespace {

struct Totals {
    std::mutex mutex;
    std::uint64_t files = 0;
    std::uint64_t raw_bytes = 0;
    std::uint64_t compressed_bytes = 0;
    bool to_stdout = false;
    bool several = false;
};

Totals& totals() {
    static Totals t;
    return t;
}

// On a terminal, unless what was written went to stdout (zstd's rule: a pipeline stays
// quiet); always with -v.
bool summary_wanted(bool to_stdout) {
    if (verbosity() >= 2) return true;
    return verbosity() == 1 && stderr_is_terminal() && !to_stdout;
}

std::string percent(std::uint64_t compressed, std::uint64_t raw) {
    char buf[16];
    const double pct =
        raw ? 100.0 * static_cast<double>(compressed) / static_cast<double>(raw) : 0.0;
    std::snprintf(buf, sizeof buf, "%.2f%%", pct);
    return buf;
}

// "84.7 MiB => 56.1 MiB", in the direction the data went.
std::string sizes(Mode mode, std::uint64_t raw, std::uint64_t compressed) {
    if (mode == Mode::compress) return format_size(raw) + " => " + format_size(compressed);
    return format_size(compressed) + " => " + format_size(raw);
}

const char* verb(Mode mode) {
    switch (mode) {
        case Mode::compress:
            return "compressed";
        case Mode::decompress:
            return "decompressed";
        default:
            return "tested";
    }
}

}  // namespace

void expect_several_files(bool several) {
    Totals& t = totals();
    const std::lock_guard lock(t.mutex);
    t.several = several;
}

void report_file(Mode mode, const FileOutcome& o) {
    Totals& t = totals();
    {
        const std::lock_guard lock(t.mutex);
        ++t.files;
        t.raw_bytes += o.raw_bytes;
        t.compressed_bytes += o.compressed_bytes;
        t.to_stdout = t.to_stdout || o.output == "stdout";
        if (t.several && verbosity() < 2) return;
    }
    const bool to_stdout = o.output == "stdout";
    if (!summary_wanted(to_stdout)) return;
    std::string line = o.input + " : " + percent(o.compressed_bytes, o.raw_bytes) + " (" +
                       sizes(mode, o.raw_bytes, o.compressed_bytes) + ", " +
                       (mode == Mode::test ? std::string("OK") : o.output) + ")";
    if (verbosity() >= 2 && o.seconds > 0)
        line += " " + format_speed(static_cast<double>(o.raw_bytes) / o.seconds);
    print_line(line);
}

void report_totals(Mode mode) {
    Totals& t = totals();
    const std::lock_guard lock(t.mutex);
    if (!t.several || t.files == 0 || !summary_wanted(t.to_stdout)) return;
    std::string line = std::to_string(t.files) + (t.files == 1 ? " file " : " files ") +
                       verb(mode) + " : " + percent(t.compressed_bytes, t.raw_bytes) + " (" +
                       sizes(mode, t.raw_bytes, t.compressed_bytes) + ")";
    print_line(line);
}

}  // namespace znn::cli
