#include "mount/error_log.hpp"

#include <syslog.h>

#include <cstdio>

namespace znn::mount {

void ErrorLog::use_syslog() {
    const std::lock_guard lock(mutex_);
    ::openlog("znn", LOG_PID, LOG_DAEMON);
    syslog_ = true;
}

void ErrorLog::report(const std::string& path, const std::string& message) {
    const std::lock_guard lock(mutex_);
    const std::string line = path.empty() ? message : path + ": " + message;
    if (syslog_)
        ::syslog(LOG_ERR, "%s", line.c_str());
    else
        std::fprintf(stderr, "znn: %s\n", line.c_str());
}

void ErrorLog::report_once(const std::string& path, const std::string& message) {
    {
        const std::lock_guard lock(mutex_);
        if (!seen_.insert(path + '\0' + message).second) return;
    }
    report(path, message);
}

}  // namespace znn::mount
