// Per-thread buffers and zstd contexts for coding chunks, shared by the encoder
// (encode_chunk.cpp, plane_coder.cpp) and the decoder (decode_chunk.cpp).
#pragma once

#include <zstd.h>

#include <array>
#include <memory>

#include "common/buffer.hpp"
#include "planes/plane_shape.hpp"

namespace znn {

struct ZstdDeleter {
    void operator()(ZSTD_CCtx* c) const noexcept { ZSTD_freeCCtx(c); }
    void operator()(ZSTD_DCtx* d) const noexcept { ZSTD_freeDCtx(d); }
};

// Reused across chunks so the hot path never allocates or faults in fresh pages.
struct Scratch {
    std::array<Buffer, kMaxPlanes> planes;
    Buffer zstd_out;
    std::unique_ptr<ZSTD_CCtx, ZstdDeleter> cctx{ZSTD_createCCtx()};
    std::unique_ptr<ZSTD_DCtx, ZstdDeleter> dctx{ZSTD_createDCtx()};
};

// This thread's scratch.
inline Scratch& scratch() {
    thread_local Scratch s;
    return s;
}

}  // namespace znn
