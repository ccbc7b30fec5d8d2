// How many worker threads a pipeline runs.
#pragma once

#include <algorithm>
#include <thread>

namespace znn {

// The count asked for, or one per core for 0.
inline unsigned resolve_threads(unsigned requested) {
    if (requested != 0) return requested;
    return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace znn
