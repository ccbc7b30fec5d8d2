#include <cstdio>
#include <string>

#include "mount/read_ahead_knob.hpp"

namespace znn::mount {

namespace {

constexpr unsigned kReadAheadKb = 1024;

}  // namespace

// The kernel reads a FUSE file ahead in 128 KiB requests by default, and lets a file system
// lower that but not raise it; root may raise it through sysfs, for this mount alone, to
// FUSE's largest request (1 MiB): a quarter of the requests, each a round trip through two
// threads. Best effort: anyone else keeps the default.
void raise_read_ahead(const std::string& mountpoint) noexcept {
    std::FILE* info = std::fopen("/proc/self/mountinfo", "r");
    if (info == nullptr) return;
    char line[8192];
    std::string device;
    while (std::fgets(line, sizeof line, info) != nullptr) {
        char dev[64] = {};
        char path[4096] = {};
        // "<id> <parent> <major:minor> <root> <mount point> ...": paths octal-escaped.
        if (std::sscanf(line, "%*s %*s %63s %*s %4095s", dev, path) == 2 && path == mountpoint)
            device = dev;  // the last one: the newest mount on that path
    }
    std::fclose(info);
    if (device.empty()) return;
    const std::string knob = "/sys/class/bdi/" + device + "/read_ahead_kb";
    std::FILE* f = std::fopen(knob.c_str(), "r+");
    if (f == nullptr) return;
    unsigned current = 0;
    if (std::fscanf(f, "%u", &current) == 1 && current < kReadAheadKb) {
        std::rewind(f);
        std::fprintf(f, "%u\n", kReadAheadKb);
    }
    std::fclose(f);
}

}  // namespace znn::mount
