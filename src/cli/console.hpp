// Everything the CLI prints to stderr: errors, the -v summary, the progress line.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace znn::cli {

void set_verbosity(int level);
int verbosity();

// "znn: <path>: <message>", always printed (even with -q, like zstd's errors).
void print_error(const std::string& path, const std::string& message);
// Printed unless -q.
void print_warning(const std::string& path, const std::string& message);
// Printed with -v.
void print_info(const std::string& message);

// Human-readable sizes: "45.46 MB".
std::string format_size(std::uint64_t bytes);

// A progress line on stderr, redrawn at most a few times a second, and only when stderr
// is a terminal, -q is off, and the job has run long enough to be worth it.
class Progress {
  public:
    Progress(std::string name, std::uint64_t total, bool allowed = true);  // total 0: unknown
    ~Progress();
    void update(std::uint64_t done);

  private:
    std::string name_;
    std::uint64_t total_;
    bool enabled_;
    bool drawn_ = false;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_;
};

}  // namespace znn::cli
