// The chunk pipeline's skeleton: one producer, N workers, one ordered consumer.
//
// The producer (the calling thread) makes tasks in input order. For each task it first
// pushes a result slot into a bounded queue, then hands the task to the workers. The
// consumer thread pops slots from that queue, so it sees results in input order without
// ever sorting, and waits on each slot until its worker fills it. When the queue is full
// the producer blocks: at most `depth` tasks are in flight, which bounds memory however
// long the input is. The first exception anywhere wins; it stops every thread and is
// rethrown to the caller. With one thread everything runs inline, in order.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace znn {

// A blocking FIFO with an optional capacity. close() lets consumers drain and then stop;
// abort() releases everyone at once. A producer that finds the queue full sleeps until it
// is half empty, so it wakes once per several items instead of once per item.
template <class T>
class BlockingQueue {
  public:
    explicit BlockingQueue(std::size_t capacity = SIZE_MAX)
        : capacity_(capacity), refill_at_(capacity / 2) {}

    bool push(T item) {
        std::unique_lock lock(mutex_);
        if (items_.size() >= capacity_) {
            not_full_.wait(lock, [&] { return aborted_ || items_.size() <= refill_at_; });
        }
        if (aborted_) return false;
        items_.push_back(std::move(item));
        not_empty_.notify_one();
        return true;
    }

    std::optional<T> pop() {
        std::unique_lock lock(mutex_);
        not_empty_.wait(lock, [&] { return aborted_ || closed_ || !items_.empty(); });
        if (aborted_ || items_.empty()) return std::nullopt;
        T item = std::move(items_.front());
        items_.pop_front();
        if (items_.size() == refill_at_) not_full_.notify_one();
        return item;
    }

    void close() {
        std::lock_guard lock(mutex_);
        closed_ = true;
        not_empty_.notify_all();
    }

    void abort() {
        std::lock_guard lock(mutex_);
        aborted_ = true;
        not_empty_.notify_all();
        not_full_.notify_all();
    }

  private:
    std::mutex mutex_;
    std::condition_variable not_empty_;
    std::condition_variable not_full_;
    std::deque<T> items_;
    std::size_t capacity_;
    std::size_t refill_at_;
    bool closed_ = false;
    bool aborted_ = false;
};

// Keeps the first error and tells everyone to stop.
class ErrorHolder {
  public:
    void set(std::exception_ptr error) {
        std::lock_guard lock(mutex_);
        if (!error_) error_ = std::move(error);
    }
    bool failed() {
        std::lock_guard lock(mutex_);
        return error_ != nullptr;
    }
    void rethrow() {
        if (error_) std::rethrow_exception(error_);
    }

  private:
    std::mutex mutex_;
    std::exception_ptr error_;
};

// One coding thread with the consumer on a thread of its own: the calling thread
// produces and works, the consumer writes behind it, at most kOverlapDepth results back.
// Writing a decompressed file is as much kernel time as decoding it is user time, and
// zstd overlaps the two the same way (its asynchronous I/O).
inline constexpr std::size_t kOverlapDepth = 4;

template <class Task, class Result, class Produce, class Work, class Consume>
void run_overlapped(Produce& produce, Work& work, Consume& consume) {
    BlockingQueue<Result> done(kOverlapDepth);
    ErrorHolder errors;
    std::thread writer([&] {
        try {
            while (auto result = done.pop()) consume(*result);
        } catch (...) {
            errors.set(std::current_exception());
            done.abort();
        }
    });
    try {
        Task task;
        while (!errors.failed() && produce(task)) {
            if (!done.push(work(task))) break;
        }
    } catch (...) {
        errors.set(std::current_exception());
        done.abort();
    }
    done.close();
    writer.join();
    errors.rethrow();
}

// produce(Task&) -> bool fills the next task (false: no more);
// work(Task&) -> Result runs on a worker; consume(Result&) runs in input order.
// With one thread, everything runs on the calling thread unless `overlap_consume`, which
// moves consume() to a thread of its own (run_overlapped).
template <class Task, class Result, class Produce, class Work, class Consume>
void run_ordered(unsigned threads, Produce&& produce, Work&& work, Consume&& consume,
                 bool overlap_consume = false) {
    if (threads <= 1 && overlap_consume) {
        run_overlapped<Task, Result>(produce, work, consume);
        return;
    }
    if (threads <= 1) {
        Task task;
        while (produce(task)) {
            Result result = work(task);
            consume(result);
        }
        return;
    }

    struct Slot {
        std::mutex mutex;
        std::condition_variable ready_cv;
        bool ready = false;
        std::optional<Result> result;
        std::exception_ptr error;
    };
    struct Job {
        Task task;
        std::shared_ptr<Slot> slot;
    };
    BlockingQueue<std::shared_ptr<Slot>> in_order(2 * threads + 2);
    BlockingQueue<Job> jobs;
    ErrorHolder errors;
    // The job queue is never aborted, only closed: every slot the consumer may be waiting
    // on belongs to a queued job, so workers must drain them (skipping the work) to release it.
    auto stop_all = [&](std::exception_ptr e) {
        errors.set(std::move(e));
        in_order.abort();
    };

    std::vector<std::thread> workers;
    for (unsigned i = 0; i < threads; ++i) {
        workers.emplace_back([&] {
            while (auto job = jobs.pop()) {
                std::optional<Result> result;
                std::exception_ptr error;
                if (!errors.failed()) {
                    try {
                        result.emplace(work(job->task));
                    } catch (...) {
                        error = std::current_exception();
                    }
                }
                std::lock_guard lock(job->slot->mutex);
                job->slot->result = std::move(result);
                job->slot->error = error;
                job->slot->ready = true;
                job->slot->ready_cv.notify_one();
            }
        });
    }
    std::thread writer([&] {
        try {
            while (auto slot = in_order.pop()) {
                std::unique_lock lock((*slot)->mutex);
                (*slot)->ready_cv.wait(lock, [&] { return (*slot)->ready; });
                if ((*slot)->error) std::rethrow_exception((*slot)->error);
                if (!(*slot)->result) break;  // skipped after another thread failed
                consume(*(*slot)->result);
            }
        } catch (...) {
            stop_all(std::current_exception());
        }
    });

    try {
        while (!errors.failed()) {
            Job job{Task{}, std::make_shared<Slot>()};
            if (!produce(job.task)) break;
            if (!in_order.push(job.slot)) break;
            jobs.push(std::move(job));
        }
    } catch (...) {
        stop_all(std::current_exception());
    }
    in_order.close();
    jobs.close();
    writer.join();
    for (auto& w : workers) w.join();
    errors.rethrow();
}

}  // namespace znn
