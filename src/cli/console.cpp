#include "console.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>

#include "progress.hpp"

namespace znn::cli {

namespace {

int g_verbosity = 1;

spdlog::logger& logger() {
    static auto log = [] {
        auto l = spdlog::stderr_logger_mt("znn");  // folders run files on several threads
        l->set_pattern("%v");
        l->set_level(spdlog::level::trace);
        return l;
    }();
    return *log;
}

std::string prefixed(const std::string& path, const std::string& message) {
    return "znn: " + (path.empty() ? message : path + ": " + message);
}

// Every line goes out with the progress line out of its way.
void emit(spdlog::level::level_enum level, const std::string& line) {
    const auto lock = lock_progress_line();
    logger().log(level, line);
    logger().flush();
}

}  // namespace

void set_verbosity(int level) {
    g_verbosity = level;
}
int verbosity() {
    return g_verbosity;
}

void print_error(const std::string& path, const std::string& message) {
    emit(spdlog::level::err, prefixed(path, message));
}

void print_warning(const std::string& path, const std::string& message) {
    if (g_verbosity >= 1) emit(spdlog::level::warn, prefixed(path, message));
}

void print_info(const std::string& message) {
    if (g_verbosity >= 2) emit(spdlog::level::info, prefixed("", message));
}

void print_line(const std::string& line) {
    emit(spdlog::level::info, line);
}

bool stderr_is_terminal() {
    static const bool yes = ::isatty(STDERR_FILENO) == 1;
    return yes;
}

std::string format_size(std::uint64_t bytes) {
    static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    char buf[32];
    if (bytes < 1024) {
        std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
        return buf;
    }
    double value = static_cast<double>(bytes) / 1024;
    std::size_t unit = 0;
    // 1023.5 KiB would print as "1024 KiB": move up a unit before rounding does.
    while (value >= 1023.5 && unit + 1 < std::size(kUnits)) {
        value /= 1024;
        ++unit;
    }
    const int decimals = value < 9.995 ? 2 : value < 99.95 ? 1 : 0;
    std::snprintf(buf, sizeof buf, "%.*f %s", decimals, value, kUnits[unit]);
    return buf;
}

std::string format_speed(double bytes_per_second) {
    const double rounded = std::max(0.0, std::round(bytes_per_second));
    return format_size(static_cast<std::uint64_t>(rounded)) + "/s";
}

}  // namespace znn::cli
