// The dependency block of a frame coded against a base model (man/znn.5, "Dependency
// block"). It follows the frame header when the header's flags have kFrameNeedsBase:
//
//   dependency = u8 type=0x03 | 3 reserved bytes | u32 body size B | body
//   body       = u64 base checksum | u32 tensor count T | u16 hint size H | H hint bytes
//                | T x (u16 name size L | L name bytes | u64 size | u64 XXH3-64 of the bytes)
//
// Delta chunks name a base tensor by its index in this list. The base checksum is the
// content checksum (format/checksum.hpp) of the T (size, XXH3-64) pairs.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace znn {

inline constexpr std::uint8_t kDependencyBlockType = 0x03;
inline constexpr std::size_t kDependencyPrefixSize = 8;
inline constexpr std::uint32_t kMaxDependencyBody = std::uint32_t{64} << 20;

struct DependencyTensor {
    std::string name;
    std::uint64_t size = 0;
    std::uint64_t checksum = 0;  // XXH3-64 of the base tensor's bytes
};

struct Dependency {
    std::string hint;  // the base's file or folder name, for messages
    std::vector<DependencyTensor> tensors;
    // The checksum over every tensor's (size, checksum), as the block records it.
    std::uint64_t base_checksum() const noexcept;
};

// Appends the whole block. Throws UsageError if a name or the hint is too long.
void write_dependency_block(const Dependency& dependency, std::vector<std::uint8_t>& out);

// The body size from the 8-byte prefix. Throws FormatError on a bad type, reserved bytes
// or a size over kMaxDependencyBody.
std::uint32_t parse_dependency_prefix(std::span<const std::uint8_t, kDependencyPrefixSize> prefix);
// Parses the body. Throws FormatError if it is malformed or its checksum does not match.
Dependency parse_dependency_body(std::span<const std::uint8_t> body);

}  // namespace znn
