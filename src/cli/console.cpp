#include "console.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace znn::cli {

namespace {

int g_verbosity = 1;

spdlog::logger& logger() {
    static auto log = [] {
        auto l = spdlog::stderr_logger_mt("znn");  // folders run files on several threads
        l->set_pattern("znn: %v");
        l->set_level(spdlog::level::trace);
        return l;
    }();
    return *log;
}

std::string prefixed(const std::string& path, const std::string& message) {
    return path.empty() ? message : path + ": " + message;
}

}  // namespace

void set_verbosity(int level) {
    g_verbosity = level;
}
int verbosity() {
    return g_verbosity;
}

void print_error(const std::string& path, const std::string& message) {
    logger().error(prefixed(path, message));
    logger().flush();
}

void print_warning(const std::string& path, const std::string& message) {
    if (g_verbosity >= 1) logger().warn(prefixed(path, message));
}

void print_info(const std::string& message) {
    if (g_verbosity >= 2) logger().info(message);
}

std::string format_size(std::uint64_t bytes) {
    char buf[32];
    if (bytes < 10'000) {
        std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
    } else if (bytes < 10'000'000) {
        std::snprintf(buf, sizeof buf, "%.2f KB", static_cast<double>(bytes) / 1e3);
    } else if (bytes < 10'000'000'000ULL) {
        std::snprintf(buf, sizeof buf, "%.2f MB", static_cast<double>(bytes) / 1e6);
    } else {
        std::snprintf(buf, sizeof buf, "%.2f GB", static_cast<double>(bytes) / 1e9);
    }
    return buf;
}

Progress::Progress(std::string name, std::uint64_t total, bool allowed)
    : name_(std::move(name)),
      total_(total),
      enabled_(allowed && g_verbosity >= 1 && ::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

Progress::~Progress() {
    if (drawn_) std::fprintf(stderr, "\r\033[K");
}

void Progress::update(std::uint64_t done) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    // Quiet for the first second (short jobs never flicker), then 5 redraws a second.
    if (now - start_ < std::chrono::seconds(1) || now - last_ < std::chrono::milliseconds(200))
        return;
    last_ = now;
    drawn_ = true;
    if (total_ > 0) {
        // An input that grows while it is read could count past its size at the start.
        const double fraction =
            static_cast<double>(std::min(done, total_)) / static_cast<double>(total_);
        std::fprintf(stderr, "\r\033[Kznn: %s: %3.0f%% %s", name_.c_str(), 100.0 * fraction,
                     format_size(done).c_str());
    } else {
        std::fprintf(stderr, "\r\033[Kznn: %s: %s", name_.c_str(), format_size(done).c_str());
    }
    std::fflush(stderr);
}

}  // namespace znn::cli
