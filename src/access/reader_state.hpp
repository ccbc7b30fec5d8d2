// What a Reader shares with the read-ahead tasks it queues: the source, the chunk map and
// the decoding of one chunk. Tasks hold it weakly, so a closed Reader's queued work is dropped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "access/chunk_store.hpp"
#include "access/frame_index.hpp"
#include "access/read_ahead.hpp"
#include "znn/inspect.hpp"

namespace znn::detail {

struct ReaderState {
    ReaderState(std::string name_, ReadAt read_at_, FrameIndex index_, std::uint64_t max_window)
        : name(std::move(name_)),
          read_at(std::move(read_at_)),
          index(std::move(index_)),
          ahead(max_window) {}

    // Reads chunk `chunk`'s block, checks its header against the seek table, decodes and
    // verifies it into slot, then finishes the slot (with a FormatError or IoError naming
    // the file and the chunk on failure). Never throws.
    void decode(std::size_t chunk, ChunkSlot& slot) const noexcept;

    const std::string name;
    const ReadAt read_at;
    const FrameIndex index;
    const std::uint64_t id = next_id();
    ReadAhead ahead;

  private:
    static std::uint64_t next_id() noexcept;
};

}  // namespace znn::detail
