// A byte vector whose resize() does not zero the new bytes. Chunk buffers are always
// overwritten right after they grow, and zeroing a megabyte per chunk was measurable.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace znn {

template <class T>
struct DefaultInitAllocator : std::allocator<T> {
    template <class U>
    struct rebind {
        using other = DefaultInitAllocator<U>;
    };
    DefaultInitAllocator() = default;
    template <class U>
    DefaultInitAllocator(const DefaultInitAllocator<U>&) noexcept {}
    template <class U>
    void construct(U* p) noexcept {
        ::new (static_cast<void*>(p)) U;  // default-init: no zeroing
    }
    template <class U, class... Args>
    void construct(U* p, Args&&... args) {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
};

using Buffer = std::vector<std::uint8_t, DefaultInitAllocator<std::uint8_t>>;

// Sizes a buffer whose bytes are all about to be overwritten. A plain resize that outgrows
// the capacity copies the old bytes across, and one at a time at that (the allocator's
// construct keeps std::vector from moving them with memmove), which for a recycled chunk
// block is the whole previous chunk.
inline void resize_discarding(Buffer& buffer, std::size_t size) {
    if (size > buffer.capacity()) buffer.clear();
    buffer.resize(size);
}

}  // namespace znn
