// The threads that decode chunks ahead of sequential readers, and the later chunks of a read
// that spans several, while the reader decodes the first. They start with the first task,
// so a Reader used for a few random reads (or a process that forks first) runs none.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace znn::detail {

class DecodeWorkers {
  public:
    explicit DecodeWorkers(unsigned threads) : threads_(threads) {}
    // Tasks still queued are dropped, running ones finished.
    ~DecodeWorkers();
    DecodeWorkers(const DecodeWorkers&) = delete;
    DecodeWorkers& operator=(const DecodeWorkers&) = delete;

    // Runs task on a worker, in submission order. Tasks must not throw.
    void submit(std::function<void()> task);

  private:
    void run();

    const unsigned threads_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> tasks_;
    std::vector<std::thread> pool_;
    bool stopping_ = false;
};

}  // namespace znn::detail
