#include "access/decode_workers.hpp"

namespace znn::detail {

DecodeWorkers::~DecodeWorkers() {
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
        tasks_.clear();
    }
    wake_.notify_all();
    for (std::thread& t : pool_) t.join();
}

void DecodeWorkers::submit(std::function<void()> task) {
    {
        const std::lock_guard lock(mutex_);
        tasks_.push_back(std::move(task));
        if (pool_.size() < threads_) pool_.emplace_back([this] { run(); });
    }
    wake_.notify_one();
}

void DecodeWorkers::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
        if (stopping_) return;
        std::function<void()> task = std::move(tasks_.front());
        tasks_.pop_front();
        lock.unlock();
        task();
        task = nullptr;  // release what it holds before sleeping
        lock.lock();
    }
}

}  // namespace znn::detail
