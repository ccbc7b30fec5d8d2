// The chunk pipeline's skeleton: one reader, N workers, one writer, and the chunks written
// in the order they were read.
//
// Order. The reader (the calling thread) puts each chunk into a result slot and queues the
// slot's index in read order. Workers take queued slots oldest first; the writer drains the
// queue in the same order, waiting for each slot's worker to finish, so it never sorts
// (pzstd's shape). The slots are allocated once. A written slot goes back on top of a free
// stack, so the next chunk reuses the buffers of the slot written last: their pages are
// already mapped, and slots that stay idle keep nothing.
//
// Memory. At most `depth` chunks are between reader and writer (2 per thread + 2), and
// their bytes are bounded too: the reader says what each chunk holds until it is written
// (its input, if copied, and its result) and waits before admitting one that would take
// the bytes in flight past the budget (256 MiB by default; one chunk is always admitted,
// and two when one alone is larger than the budget). Before reading the next chunk it
// waits for room for one as large as the last, so a run of large chunks cycles through
// budget / chunk slots, and slots whose buffers would keep more than the budget are
// emptied. Workers are started as chunks wait for them, up to `threads`, so per-thread
// scratch memory is held by no more workers than chunks were ever in flight at once (and
// a 1 KiB input never starts 32 threads).
//
// Errors. A worker's error is kept in its slot and raised by the writer when the slot's
// turn comes, and the reader's error after every chunk read before it is written: the
// error reported is always the first in input order, whatever the thread count. A writer
// error, or a thread that cannot start, stops everything at once. Stopping wakes every
// waiting thread; the first error is rethrown by run() once all threads have joined.
// std::bad_alloc becomes Error("out of memory") and a failed thread start
// Error("cannot start a thread: ..."), so the caller reports one line, never terminates.
//
// With one thread the reader codes each chunk itself, and the writer either runs inline
// too or (`writer_thread`) on a thread of its own, kOverlapDepth chunks behind.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <new>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "znn/errors.hpp"

namespace znn {

inline constexpr std::size_t kDefaultMemoryBudget = std::size_t{256} << 20;
// Chunks between the coding thread and the writer thread when there is one coding thread.
inline constexpr std::size_t kOverlapDepth = 4;

struct PipelineConfig {
    unsigned threads = 1;        // coding threads; 1: the reader codes
    bool writer_thread = false;  // with one thread: write from a thread of its own
    std::size_t memory_budget = kDefaultMemoryBudget;
};

// What a run saw, for tests and tuning.
struct PipelineCounts {
    std::size_t peak_bytes = 0;   // most bytes admitted and not yet written
    std::size_t peak_chunks = 0;  // most chunks admitted and not yet written
    unsigned workers = 0;         // worker threads started
};

template <class Task, class Result>
class OrderedPipeline {
  public:
    explicit OrderedPipeline(const PipelineConfig& config);
    OrderedPipeline(const OrderedPipeline&) = delete;
    OrderedPipeline& operator=(const OrderedPipeline&) = delete;

    // Runs once. On the calling thread, read(Task&) -> bool fills the next task (false: no
    // more) and cost(const Task&) -> size_t says how many bytes it holds until written;
    // work(Task&, Result&) codes it on a worker; write(Result&) takes the results in input
    // order on the writer. Rethrows the first error (see above).
    template <class Read, class Cost, class Work, class Write>
    void run(Read&& read, Cost&& cost, Work&& work, Write&& write);

    PipelineCounts counts() const noexcept { return counts_; }

  private:
    struct Slot {
        Task task;
        Result result;
        std::exception_ptr error;
        std::uint64_t seq = 0;  // the chunk's number in input order
        std::size_t cost = 0;   // bytes admitted for it
        std::size_t held = 0;   // bytes its buffers grew to, by the largest cost it took
        bool done = false;
    };

    template <class Read, class Work, class Write>
    void run_inline(Read& read, Work& work, Write& write);
    template <class Read, class Cost, class Work>
    void feed(Read& read, Cost& cost, Work& work);
    template <class Work>
    void serve(Work& work);
    template <class Write>
    void drain(Write& write);

    bool has_room(std::size_t slots, std::size_t bytes) const noexcept;
    void wait_for_room(std::unique_lock<std::mutex>& lock, std::size_t slots, std::size_t bytes);
    void trim_free_slots(std::size_t limit);
    void release_slot(std::uint32_t s);
    void fail(std::exception_ptr error);
    void end_input();
    void rethrow() const;
    template <class F>
    static std::jthread start_thread(F&& body);

    const unsigned threads_;
    const bool writer_thread_;
    const std::size_t budget_;
    std::vector<Slot> slots_;
    Task solo_task_;                   // the task of every chunk when one thread codes (see feed)
    std::vector<std::uint32_t> ring_;  // the slot of chunk n at ring_[n % size]
    std::vector<std::uint32_t> free_;  // free slots, the one written last on top
    std::size_t refill_ = 1;           // free slots a reader waiting for one waits for

    std::mutex mutex_;
    std::condition_variable reader_cv_;
    std::condition_variable worker_cv_;
    std::condition_variable writer_cv_;
    std::uint64_t read_seq_ = 0;   // chunks admitted
    std::uint64_t work_seq_ = 0;   // chunks taken by workers
    std::uint64_t write_seq_ = 0;  // chunks written
    std::size_t bytes_in_flight_ = 0;
    std::size_t bytes_held_ = 0;
    unsigned busy_ = 0;          // workers coding a chunk
    bool reader_waits_ = false;  // for has_room(reader_wants_...)
    std::size_t reader_wants_slots_ = 0;
    std::size_t reader_wants_bytes_ = 0;
    bool input_done_ = false;
    bool stopped_ = false;
    std::exception_ptr error_;        // the first error; stops everything
    std::exception_ptr input_error_;  // the reader's, raised after the chunks before it
    PipelineCounts counts_;
    std::vector<std::jthread> workers_;
};

template <class Task, class Result>
OrderedPipeline<Task, Result>::OrderedPipeline(const PipelineConfig& config)
    : threads_(std::max(1u, config.threads)),
      writer_thread_(config.writer_thread || config.threads > 1),
      budget_(config.memory_budget) {
    std::size_t depth = 1;
    if (threads_ > 1) {
        depth = 2 * std::size_t{threads_} + 2;
    } else if (writer_thread_) {
        depth = kOverlapDepth;
    }
    slots_.resize(depth);
    ring_.resize(depth);
    free_.reserve(depth);
    for (std::size_t i = depth; i-- > 0;) free_.push_back(static_cast<std::uint32_t>(i));
    refill_ = depth - depth / 2;
    // Starting a worker must not be followed by anything that can throw.
    workers_.reserve(threads_ > 1 ? threads_ : 0);
}

template <class Task, class Result>
template <class Read, class Cost, class Work, class Write>
void OrderedPipeline<Task, Result>::run(Read&& read, Cost&& cost, Work&& work, Write&& write) {
    try {
        if (!writer_thread_) {
            run_inline(read, work, write);
            return;
        }
        std::jthread writer;
        try {
            writer = start_thread([&] { drain(write); });
            feed(read, cost, work);
        } catch (...) {
            fail(std::current_exception());
        }
        end_input();
        if (writer.joinable()) writer.join();
        workers_.clear();  // joins: every worker returns once input ended or the run stopped
        rethrow();
    } catch (const std::bad_alloc&) {
        throw Error("out of memory");
    }
}

template <class Task, class Result>
template <class Read, class Work, class Write>
void OrderedPipeline<Task, Result>::run_inline(Read& read, Work& work, Write& write) {
    Slot& slot = slots_[0];
    while (read(slot.task)) {
        work(slot.task, slot.result);
        write(slot.result);
        counts_.peak_chunks = 1;
    }
}

// The reader: takes a free slot, reads a chunk into it, waits until the budget admits it,
// then queues it for the workers (or, with one thread, codes it).
template <class Task, class Result>
template <class Read, class Cost, class Work>
void OrderedPipeline<Task, Result>::feed(Read& read, Cost& cost, Work& work) {
    const std::size_t depth = slots_.size();
    std::size_t expected = 0;  // the last chunk's cost, as a guess at the next one's
    for (;;) {
        std::uint32_t s = 0;
        {
            // Wait for room for a chunk like the last one before reading the next, so the
            // slot taken is the one written last, its buffers already the right size.
            // Without a free slot, wait for several, to wake once per few chunks written.
            std::unique_lock lock(mutex_);
            wait_for_room(lock, free_.empty() ? refill_ : 1, expected);
            if (stopped_) return;
            s = free_.back();
            free_.pop_back();
        }
        Slot& slot = slots_[s];
        // With one thread a task is coded as soon as it is read, so one task serves every
        // chunk: only results wait for the writer, and only their buffers are kept per slot.
        Task& task = threads_ > 1 ? slot.task : solo_task_;
        std::size_t bytes = 0;
        try {
            if (!read(task)) {
                release_slot(s);
                return;
            }
            bytes = cost(task);
        } catch (...) {
            release_slot(s);
            const std::lock_guard lock(mutex_);
            input_error_ = std::current_exception();
            return;
        }
        expected = bytes;
        bool start_worker = false;
        {
            std::unique_lock lock(mutex_);
            wait_for_room(lock, 0, bytes);
            if (stopped_) {
                free_.push_back(s);
                return;
            }
            slot.cost = bytes;
            slot.seq = read_seq_;
            slot.done = false;
            slot.error = nullptr;
            if (bytes > slot.held) {
                bytes_held_ += bytes - slot.held;
                slot.held = bytes;
            }
            trim_free_slots(std::max(budget_, 2 * bytes));
            bytes_in_flight_ += bytes;
            ring_[read_seq_ % depth] = s;
            ++read_seq_;
            counts_.peak_bytes = std::max(counts_.peak_bytes, bytes_in_flight_);
            counts_.peak_chunks =
                std::max(counts_.peak_chunks, static_cast<std::size_t>(read_seq_ - write_seq_));
            if (threads_ > 1) {
                // A new worker only when the chunks waiting outnumber the idle workers.
                const std::uint64_t waiting = read_seq_ - work_seq_;
                start_worker = counts_.workers < threads_ && waiting > counts_.workers - busy_;
                if (start_worker) ++counts_.workers;
            }
        }
        if (threads_ > 1) {
            if (start_worker) {
                try {
                    workers_.push_back(start_thread([this, &work] { serve(work); }));
                } catch (...) {
                    fail(std::current_exception());
                    return;
                }
            }
            worker_cv_.notify_one();
            continue;
        }
        // One thread: code the chunk here; the writer thread writes it.
        try {
            work(task, slot.result);
        } catch (...) {
            slot.error = std::current_exception();
        }
        const std::lock_guard lock(mutex_);
        slot.done = true;
        if (slot.seq == write_seq_) writer_cv_.notify_one();
    }
}

// A worker: codes queued chunks oldest first until the input ends or the run stops.
template <class Task, class Result>
template <class Work>
void OrderedPipeline<Task, Result>::serve(Work& work) {
    std::unique_lock lock(mutex_);
    for (;;) {
        worker_cv_.wait(lock, [&] { return stopped_ || work_seq_ < read_seq_ || input_done_; });
        if (stopped_ || work_seq_ == read_seq_) return;
        Slot& slot = slots_[ring_[work_seq_ % slots_.size()]];
        ++work_seq_;
        ++busy_;
        lock.unlock();
        try {
            work(slot.task, slot.result);
        } catch (...) {
            slot.error = std::current_exception();
        }
        lock.lock();
        --busy_;
        slot.done = true;
        if (slot.seq == write_seq_) writer_cv_.notify_one();
    }
}

// The writer: takes the chunks in input order as their workers finish them.
template <class Task, class Result>
template <class Write>
void OrderedPipeline<Task, Result>::drain(Write& write) {
    const std::size_t depth = slots_.size();
    std::unique_lock lock(mutex_);
    for (;;) {
        writer_cv_.wait(lock, [&] {
            return stopped_ || (input_done_ && write_seq_ == read_seq_) ||
                   (write_seq_ < read_seq_ && slots_[ring_[write_seq_ % depth]].done);
        });
        if (stopped_) return;
        const std::uint32_t s = ring_[write_seq_ % depth];
        if (write_seq_ == read_seq_) {  // everything read is written
            if (input_error_) {
                lock.unlock();
                fail(input_error_);
            }
            return;
        }
        lock.unlock();
        try {
            if (slots_[s].error) std::rethrow_exception(slots_[s].error);
            write(slots_[s].result);
        } catch (...) {
            fail(std::current_exception());
            return;
        }
        lock.lock();
        ++write_seq_;
        bytes_in_flight_ -= slots_[s].cost;
        free_.push_back(s);
        // Wake the reader only once what it waits for is there.
        if (reader_waits_ && has_room(reader_wants_slots_, reader_wants_bytes_)) {
            reader_waits_ = false;
            reader_cv_.notify_one();
        }
    }
}

// Whether `slots` slots are free and the budget admits a chunk of `bytes`: always when
// nothing is in flight, and two chunks of any size.
template <class Task, class Result>
bool OrderedPipeline<Task, Result>::has_room(std::size_t slots, std::size_t bytes) const noexcept {
    return free_.size() >= slots &&
           (bytes_in_flight_ == 0 || bytes_in_flight_ + bytes <= std::max(budget_, 2 * bytes));
}

template <class Task, class Result>
void OrderedPipeline<Task, Result>::wait_for_room(std::unique_lock<std::mutex>& lock,
                                                  std::size_t slots, std::size_t bytes) {
    if (stopped_ || has_room(slots, bytes)) return;
    reader_wants_slots_ = slots;
    reader_wants_bytes_ = bytes;
    reader_waits_ = true;
    reader_cv_.wait(lock, [&] { return stopped_ || has_room(slots, bytes); });
    reader_waits_ = false;
}

// Empties free slots, the longest unused first, until the buffers kept fit `limit`.
template <class Task, class Result>
void OrderedPipeline<Task, Result>::trim_free_slots(std::size_t limit) {
    for (std::size_t i = 0; i < free_.size() && bytes_held_ > limit; ++i) {
        Slot& slot = slots_[free_[i]];
        if (slot.held == 0) continue;
        slot.task = Task{};
        slot.result = Result{};
        bytes_held_ -= slot.held;
        slot.held = 0;
    }
}

template <class Task, class Result>
void OrderedPipeline<Task, Result>::release_slot(std::uint32_t s) {
    const std::lock_guard lock(mutex_);
    free_.push_back(s);
}

template <class Task, class Result>
void OrderedPipeline<Task, Result>::fail(std::exception_ptr error) {
    {
        const std::lock_guard lock(mutex_);
        if (!error_) error_ = std::move(error);
        stopped_ = true;
    }
    reader_cv_.notify_all();
    worker_cv_.notify_all();
    writer_cv_.notify_all();
}

template <class Task, class Result>
void OrderedPipeline<Task, Result>::end_input() {
    {
        const std::lock_guard lock(mutex_);
        input_done_ = true;
    }
    worker_cv_.notify_all();
    writer_cv_.notify_all();
}

template <class Task, class Result>
void OrderedPipeline<Task, Result>::rethrow() const {
    if (error_) std::rethrow_exception(error_);
}

template <class Task, class Result>
template <class F>
std::jthread OrderedPipeline<Task, Result>::start_thread(F&& body) {
    try {
        return std::jthread(std::forward<F>(body));
    } catch (const std::system_error& e) {
        throw Error("cannot start a thread: " + e.code().message());
    }
}

}  // namespace znn
