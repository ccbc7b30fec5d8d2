// Decoded chunks by (reader, chunk): a map and an LRU list under one mutex that is held only
// to find, insert or evict an entry, never while a chunk is read or decoded.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "common/buffer.hpp"

namespace znn::detail {

// One chunk, decoded or on its way. Whoever claims a queued slot decodes it (a reader that
// needs it now, or a read-ahead worker that gets there first); everyone else waits for it.
class ChunkSlot {
  public:
    // True if the caller now owns the decoding and must call finish().
    bool claim() noexcept;
    // Ends the decoding: bytes are ready, or error says why not. Wakes every waiter.
    void finish(std::exception_ptr error) noexcept;
    // Waits until the slot is decoded; rethrows its error if decoding failed.
    void wait() const;
    bool done() const noexcept { return state_.load(std::memory_order_acquire) >= kReady; }
    bool failed() const noexcept { return state_.load(std::memory_order_acquire) == kFailed; }

    Buffer bytes;  // written by the owner of the decoding only, read once done

  private:
    static constexpr std::uint8_t kQueued = 0;
    static constexpr std::uint8_t kDecoding = 1;
    static constexpr std::uint8_t kReady = 2;
    static constexpr std::uint8_t kFailed = 3;
    std::atomic<std::uint8_t> state_{kQueued};
    std::exception_ptr error_;
};

struct ChunkKey {
    std::uint64_t reader = 0;
    std::uint64_t chunk = 0;
    bool operator==(const ChunkKey&) const = default;
};

class ChunkStore {
  public:
    explicit ChunkStore(std::size_t capacity) : capacity_(capacity) {}

    // The slot for key, now the most recently used: the one held, or a new queued one
    // charged `size` bytes (then created is set, and the caller must see it decoded).
    // Inserting evicts the least recently used decoded chunks beyond the capacity; slots
    // still being decoded are kept, and evicted slots live on while someone holds them.
    std::shared_ptr<ChunkSlot> find_or_insert(ChunkKey key, std::size_t size, bool& created);
    // Drops key if it still holds slot (after a failed decoding, so the next read retries).
    void remove(ChunkKey key, const ChunkSlot* slot);
    // Drops every chunk of one reader (when it closes).
    void remove_reader(std::uint64_t reader);
    // Drops chunks first..last of a reader that a sequential stream has left behind: the
    // kernel's page cache (a mount) or the caller keeps what it read, so holding them would
    // only push out chunks read at random. Their buffers serve the next chunks.
    void release(std::uint64_t reader, std::uint64_t first, std::uint64_t last);

    std::size_t capacity() const noexcept { return capacity_; }
    std::size_t size() const;

  private:
    struct Entry {
        ChunkKey key;
        std::shared_ptr<ChunkSlot> slot;
        std::size_t size;
    };
    struct KeyHash {
        std::size_t operator()(const ChunkKey& k) const noexcept {
            return std::hash<std::uint64_t>()(k.reader * 0x9E3779B97F4A7C15ull ^ k.chunk);
        }
    };
    using Lru = std::list<Entry>;

    void erase_locked(Lru::iterator it);
    void evict_locked();

    // Keeps the buffer of an entry being dropped for a new slot, if nobody else holds it.
    void recycle_locked(Lru::iterator it);

    // Buffers of dropped chunks, handed to new slots: a fresh buffer costs a page fault every
    // 4 KiB on its first use, a tenth of a mount's time streaming. At most a quarter of the
    // capacity is kept so.
    std::vector<Buffer> spare_;
    std::size_t spare_bytes_ = 0;

    const std::size_t capacity_;
    mutable std::mutex mutex_;
    Lru lru_;  // most recently used first
    std::unordered_map<ChunkKey, Lru::iterator, KeyHash> map_;
    std::size_t used_ = 0;
};

}  // namespace znn::detail
