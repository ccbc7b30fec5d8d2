// Tells sequential reads from random ones, and how far ahead of a sequential stream to
// decode. Reads that start near the furthest point read so far count as sequential (several
// threads of one stream, as a FUSE mount has, deliver neighbouring reads out of order); each
// one in a row doubles the window, as the kernel's own read-ahead does, so one small read
// after another decodes little ahead, and two in a row (a header, then the JSON it announces)
// nothing.
#pragma once

#include <algorithm>
#include <cstdint>
#include <mutex>

namespace znn::detail {

class ReadAhead {
  public:
    struct Range {
        std::uint64_t begin = 0;
        std::uint64_t end = 0;  // empty when begin == end
    };
    struct Plan {
        Range ahead;   // to decode ahead of the stream
        Range behind;  // left behind by the stream, far enough that no straggler needs it
    };

    explicit ReadAhead(std::uint64_t max_window) : max_window_(max_window) {}

    // Notes a read of [offset, offset + length) of content_size bytes; returns the content to
    // decode ahead of it, and the content it has left behind, that earlier calls have not
    // handed out yet.
    Plan plan(std::uint64_t offset, std::uint64_t length, std::uint64_t content_size) {
        const std::lock_guard lock(mutex_);
        const std::uint64_t end = offset + length;
        const bool sequential =
            has_read_ && offset + kNear >= frontier_ && offset <= frontier_ + kNear;
        has_read_ = true;
        if (!sequential) {
            streak_ = 0;
            frontier_ = end;
            planned_ = end;
            released_ = offset;
            return {};
        }
        streak_ = std::min(streak_ + 1, kMaxStreak);
        frontier_ = std::max(frontier_, end);
        if (streak_ < kMinStreak) return {};
        Plan plan;
        // Reads of a stream may come out of order by up to kNear (several threads serve it).
        if (offset > kNear && offset - kNear > released_) {
            plan.behind = {released_, offset - kNear};
            released_ = offset - kNear;
        }
        const std::uint64_t base = std::max<std::uint64_t>(length, kMinBase);
        const std::uint64_t window = std::min(max_window_, base << streak_);
        const std::uint64_t target = std::min(content_size, frontier_ + window);
        const std::uint64_t begin = std::max(planned_, end);
        if (begin < target) {
            plan.ahead = {begin, target};
            planned_ = target;
        }
        return plan;
    }

  private:
    static constexpr std::uint64_t kNear = std::uint64_t{2} << 20;
    static constexpr std::uint64_t kMinBase = std::uint64_t{128} << 10;
    static constexpr unsigned kMinStreak =
        2;  // a header and the JSON it announces are not a stream
    static constexpr unsigned kMaxStreak = 8;

    const std::uint64_t max_window_;
    std::mutex mutex_;
    bool has_read_ = false;
    std::uint64_t frontier_ = 0;  // the furthest end of a read in this stream
    std::uint64_t planned_ = 0;   // content handed out for decoding ahead up to here
    std::uint64_t released_ = 0;  // content handed out as left behind up to here
    unsigned streak_ = 0;
};

}  // namespace znn::detail
