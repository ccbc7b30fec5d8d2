#include "progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "console.hpp"

namespace znn::cli {

namespace {

using Clock = std::chrono::steady_clock;

// What every file's progress adds up to, under one lock (files of a folder run at once).
struct Board {
    std::mutex mutex;
    std::uint64_t planned_files = 0;
    std::uint64_t planned_bytes = 0;
    std::uint64_t finished_files = 0;
    std::uint64_t done_bytes = 0;  // of finished and running files
    std::optional<Clock::time_point> start;
    Clock::time_point last_draw{};
    bool drawn = false;
};

Board& board() {
    static Board b;
    return b;
}

// Quiet for the first second, then at most 5 redraws a second. ZNN_PROGRESS_DELAY_MS
// shortens both, for the tests (they cannot wait seconds for every file).
struct Timing {
    std::chrono::milliseconds delay{1000};
    std::chrono::milliseconds interval{200};
};
const Timing& timing() {
    static const Timing t = [] {
        Timing r;
        if (const char* env = std::getenv("ZNN_PROGRESS_DELAY_MS")) {
            r.delay = r.interval = std::chrono::milliseconds(std::atoi(env));
        }
        return r;
    }();
    return t;
}

bool drawing_enabled() {
    return verbosity() >= 1 && stderr_is_terminal();
}

std::size_t terminal_width() {
    winsize ws{};
    if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    return 80;
}

std::string format_eta(double seconds) {
    const auto s = static_cast<unsigned long long>(seconds + 0.5);
    char buf[32];
    if (s >= 3600)
        std::snprintf(buf, sizeof buf, "%llu:%02llu:%02llu left", s / 3600, s / 60 % 60, s % 60);
    else
        std::snprintf(buf, sizeof buf, "%llu:%02llu left", s / 60, s % 60);
    return buf;
}

// "45% 12.3 MiB / 27.1 MiB", or the bytes alone when the total is unknown.
std::string format_share(std::uint64_t done, std::uint64_t total) {
    if (total == 0) return format_size(done);
    // An input that grows while it is read could count past its size.
    const double fraction = static_cast<double>(std::min(done, total)) / static_cast<double>(total);
    char pct[16];
    std::snprintf(pct, sizeof pct, "%3.0f%%", 100.0 * fraction);
    return std::string(pct) + " " + format_size(done) + " / " + format_size(total);
}

// ", 812 MiB/s, 0:05 left" for done of total bytes in `seconds`.
std::string format_pace(std::uint64_t done, std::uint64_t total, double seconds) {
    if (seconds <= 0 || done == 0) return {};
    const double speed = static_cast<double>(done) / seconds;
    std::string text = ", " + format_speed(speed);
    if (total > done) text += ", " + format_eta(static_cast<double>(total - done) / speed);
    return text;
}

}  // namespace

void plan_progress(std::uint64_t files, std::uint64_t bytes) {
    Board& b = board();
    const std::lock_guard lock(b.mutex);
    b.planned_files += files;
    b.planned_bytes += bytes;
}

std::uint64_t planned_files() {
    Board& b = board();
    const std::lock_guard lock(b.mutex);
    return b.planned_files;
}

std::unique_lock<std::mutex> lock_progress_line() {
    Board& b = board();
    std::unique_lock lock(b.mutex);
    if (b.drawn) {
        std::fputs("\r\033[K", stderr);
        b.drawn = false;
    }
    return lock;
}

Progress::Progress(std::string name, std::uint64_t total, bool shown, bool counted)
    : name_(std::move(name)),
      total_(total),
      shown_(shown),
      counted_(counted),
      start_(Clock::now()) {
    if (!counted_) return;
    Board& b = board();
    const std::lock_guard lock(b.mutex);
    if (!b.start) b.start = start_;
}

Progress::~Progress() {
    if (!counted_) return;
    const auto lock = lock_progress_line();
    ++board().finished_files;
}

void Progress::update(std::uint64_t done) {
    if (!counted_) return;
    Board& b = board();
    const std::lock_guard lock(b.mutex);
    b.done_bytes += done - std::min(done, done_);
    done_ = std::max(done, done_);
    if (!drawing_enabled()) return;
    const auto now = Clock::now();
    if (now - *b.start < timing().delay || now - b.last_draw < timing().interval) return;
    const bool several = b.planned_files > 1;
    if (!shown_ && !several) return;
    b.last_draw = now;

    std::string line = "znn: ";
    if (several) {
        const std::uint64_t at = std::min(b.finished_files + 1, b.planned_files);
        line += "[" + std::to_string(at) + "/" + std::to_string(b.planned_files) + "] ";
    }
    std::string name = name_;
    std::string detail;
    const std::chrono::duration<double> file_time = now - start_;
    const std::chrono::duration<double> all_time = now - *b.start;
    if (several) {
        // The file's share alone: the bytes are the total's.
        if (shown_ && total_ > 0) detail = format_share(done_, total_).substr(0, 4) + "; ";
        detail += "all " + format_share(b.done_bytes, b.planned_bytes) +
                  format_pace(b.done_bytes, b.planned_bytes, all_time.count());
    } else {
        detail = format_share(done_, total_) + format_pace(done_, total_, file_time.count());
    }
    if (!shown_) name.clear();
    // Never wider than the terminal: a wrapped line cannot be redrawn in place. The name
    // gives way first, keeping its end.
    const std::size_t width = terminal_width() - 1;
    const std::size_t fixed = line.size() + detail.size() + (name.empty() ? 0 : 2);
    if (!name.empty() && fixed + name.size() > width) {
        const std::size_t room = width > fixed + 4 ? width - fixed - 3 : 1;
        name = "..." + name.substr(name.size() - std::min(room, name.size()));
    }
    if (!name.empty()) line += name + ": ";
    line += detail;
    if (line.size() > width) line.resize(width);
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
    std::fflush(stderr);
    b.drawn = true;
}

}  // namespace znn::cli
