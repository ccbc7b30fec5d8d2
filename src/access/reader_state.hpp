// What a Reader shares with the read-ahead tasks it queues: the source, the chunk map and
// the decoding of one chunk. Tasks hold it weakly, so a closed Reader's queued work is dropped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "access/chunk_store.hpp"
#include "access/frame_index.hpp"
#include "access/read_ahead.hpp"
#include "format/chunk_header.hpp"
#include "znn/base.hpp"
#include "znn/inspect.hpp"

namespace znn::detail {

struct ReaderState {
    // base: the base model delta frames are decoded with, or null. Its tensors are matched
    // with each dependency block here: throws BaseError (without a base, unless
    // allow_missing_base; or with a wrong one), with `name` as its path.
    ReaderState(std::string name_, ReadAt read_at_, FrameIndex index_, std::uint64_t max_window,
                std::shared_ptr<const BaseModel> base_, bool allow_missing_base);

    // Reads chunk `chunk`'s block, checks its header against the seek table, decodes and
    // verifies it into slot (a delta chunk against its base tensor), then finishes the slot
    // (with a FormatError, BaseError or IoError naming the file, and the chunk, on failure).
    // Never throws.
    void decode(std::size_t chunk, ChunkSlot& slot) const noexcept;

    const std::string name;
    const ReadAt read_at;
    const FrameIndex index;
    const std::shared_ptr<const BaseModel> base;
    // Per dependent frame (index.dependent), the base tensor of each dependency entry; empty
    // when no base was given.
    const std::vector<std::vector<const BaseTensor*>> base_tensors;
    const std::uint64_t id = next_id();
    ReadAhead ahead;

  private:
    static std::uint64_t next_id() noexcept;
    // Decodes a delta chunk's block against the bytes of its base tensor.
    void decode_delta(std::size_t chunk, std::span<const std::uint8_t> block,
                      const ChunkHeader& header, std::span<std::uint8_t> out) const;
};

}  // namespace znn::detail
