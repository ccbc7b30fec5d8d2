// The progress line on stderr: for the file being processed, its bytes done and total,
// percentage, speed and time left; with several files, the same for all of them. Drawn
// only when stderr is a terminal and -q is off, quiet for the first second (short jobs
// never flicker), then redrawn a few times a second; every other line printed clears it
// first (console.cpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace znn::cli {

// Adds files and their bytes (inputs' sizes, 0 if unknown) to the work the command has
// ahead: the total line counts them.
void plan_progress(std::uint64_t files, std::uint64_t bytes);
// Files planned so far.
std::uint64_t planned_files();

// Takes the terminal: the progress line is cleared if drawn, and comes back at the next
// update once the lock is released.
[[nodiscard]] std::unique_lock<std::mutex> lock_progress_line();

// One file's progress. Its bytes count toward the total line; `shown` says whether the
// file's own part is drawn (not while several files run at once), `counted` whether its
// bytes count at all (not for a second pass over an output).
class Progress {
  public:
    Progress(std::string name, std::uint64_t total, bool shown = true, bool counted = true);
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;
    // done: input bytes consumed so far.
    void update(std::uint64_t done);

  private:
    std::string name_;
    std::uint64_t total_;
    bool shown_;
    bool counted_;
    std::uint64_t done_ = 0;
    std::chrono::steady_clock::time_point start_;
};

}  // namespace znn::cli
