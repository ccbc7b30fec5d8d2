// XXH3-64 checksums: of each chunk's bytes, and of a frame's content.
#pragma once

#include <cstdint>
#include <span>

namespace znn {

// The content checksum: XXH3-64 over (u64 raw size, u64 chunk checksum) of every chunk.
class ContentChecksum {
  public:
    ContentChecksum();
    ~ContentChecksum();
    ContentChecksum(const ContentChecksum&) = delete;
    ContentChecksum& operator=(const ContentChecksum&) = delete;
    void add(std::uint64_t raw_size, std::uint64_t chunk_checksum) noexcept;
    std::uint64_t digest() const noexcept;

  private:
    void* state_;
};

// XXH3-64 of bytes given in pieces: the same value as checksum_bytes of their concatenation.
class StreamChecksum {
  public:
    StreamChecksum();
    ~StreamChecksum();
    StreamChecksum(const StreamChecksum&) = delete;
    StreamChecksum& operator=(const StreamChecksum&) = delete;
    void update(std::span<const std::uint8_t> bytes) noexcept;
    std::uint64_t digest() const noexcept;

  private:
    void* state_;
};

std::uint64_t checksum_bytes(std::span<const std::uint8_t> data) noexcept;

}  // namespace znn
