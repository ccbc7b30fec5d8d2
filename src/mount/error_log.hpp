// Errors of a running mount: printed as "znn: <path>: <what>" on stderr in the foreground, or
// to syslog (LOG_DAEMON, ident "znn") once the process has gone to the background. A corrupt
// chunk is reported once, however many reads hit it.
#pragma once

#include <mutex>
#include <set>
#include <string>

namespace znn::mount {

class ErrorLog {
  public:
    // From now on, report to syslog: stderr is /dev/null in the background.
    void use_syslog();
    void report(const std::string& path, const std::string& message);
    // The same, but only the first time this path and message are seen.
    void report_once(const std::string& path, const std::string& message);

  private:
    std::mutex mutex_;
    std::set<std::string> seen_;
    bool syslog_ = false;
};

}  // namespace znn::mount
