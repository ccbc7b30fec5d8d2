#include "access/chunk_store.hpp"

namespace znn::detail {

bool ChunkSlot::claim() noexcept {
    std::uint8_t expected = kQueued;
    return state_.compare_exchange_strong(expected, kDecoding, std::memory_order_acq_rel);
}

void ChunkSlot::finish(std::exception_ptr error) noexcept {
    error_ = std::move(error);
    state_.store(error_ ? kFailed : kReady, std::memory_order_release);
    state_.notify_all();
}

void ChunkSlot::wait() const {
    for (std::uint8_t s; (s = state_.load(std::memory_order_acquire)) < kReady;) state_.wait(s);
    if (state_.load(std::memory_order_acquire) == kFailed) std::rethrow_exception(error_);
}

std::shared_ptr<ChunkSlot> ChunkStore::find_or_insert(ChunkKey key, std::size_t size,
                                                      bool& created) {
    const std::lock_guard lock(mutex_);
    if (const auto found = map_.find(key); found != map_.end()) {
        lru_.splice(lru_.begin(), lru_, found->second);
        created = false;
        return found->second->slot;
    }
    auto slot = std::make_shared<ChunkSlot>();
    lru_.push_front({key, slot, size});
    map_.emplace(key, lru_.begin());
    used_ += size;
    created = true;
    evict_locked();  // first, so the new slot can take an evicted chunk's buffer
    if (!spare_.empty()) {
        spare_bytes_ -= spare_.back().capacity();
        slot->bytes = std::move(spare_.back());
        spare_.pop_back();
    }
    return slot;
}

void ChunkStore::remove(ChunkKey key, const ChunkSlot* slot) {
    const std::lock_guard lock(mutex_);
    const auto found = map_.find(key);
    if (found != map_.end() && found->second->slot.get() == slot) erase_locked(found->second);
}

void ChunkStore::remove_reader(std::uint64_t reader) {
    const std::lock_guard lock(mutex_);
    for (auto it = lru_.begin(); it != lru_.end();) {
        const auto next = std::next(it);
        if (it->key.reader == reader) erase_locked(it);
        it = next;
    }
}

void ChunkStore::release(std::uint64_t reader, std::uint64_t first, std::uint64_t last) {
    const std::lock_guard lock(mutex_);
    for (std::uint64_t chunk = first; chunk <= last; ++chunk) {
        const auto found = map_.find({reader, chunk});
        if (found == map_.end() || !found->second->slot->done()) continue;
        recycle_locked(found->second);
        erase_locked(found->second);
    }
}

void ChunkStore::recycle_locked(Lru::iterator it) {
    // Held only here, a slot cannot be reached but through this lock: its buffer is free.
    if (it->slot.use_count() != 1 || it->slot->failed()) return;
    const std::size_t bytes = it->slot->bytes.capacity();
    if (spare_bytes_ + bytes > capacity_ / 4) return;
    spare_bytes_ += bytes;
    spare_.push_back(std::move(it->slot->bytes));
}

std::size_t ChunkStore::size() const {
    const std::lock_guard lock(mutex_);
    return used_;
}

void ChunkStore::erase_locked(Lru::iterator it) {
    used_ -= it->size;
    map_.erase(it->key);
    lru_.erase(it);
}

void ChunkStore::evict_locked() {
    // From the least recently used end; the newest entry (the one just inserted) stays.
    for (auto it = lru_.end(); used_ > capacity_ && it != lru_.begin();) {
        --it;
        if (it == lru_.begin()) break;
        if (!it->slot->done()) continue;  // its decoder will need it in a moment
        auto victim = it++;
        recycle_locked(victim);
        erase_locked(victim);
    }
}

}  // namespace znn::detail
