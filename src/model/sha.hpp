// SHA-256 and SHA-1 (FIPS 180-4), for naming Hugging Face cache blobs as the Hub does: LFS
// files by the SHA-256 of their bytes, other files by their Git blob id (a SHA-1). None of
// the project's dependencies offers these, and the kernel's AF_ALG sockets are often
// disabled, so they are written here from the standard; tests/test_sha.cpp checks them
// against the NIST example vectors.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace znn {

// Both hashes cut the message into 64-byte blocks and end it with the same padding (a 1 bit,
// zeros, the bit length big-endian); only the block function and state differ.
template <class Block>
class MerkleDamgard {
  public:
    static constexpr std::size_t kDigestSize = Block::kDigestSize;
    using Digest = std::array<std::uint8_t, kDigestSize>;

    void update(std::span<const std::uint8_t> data) noexcept;
    Digest finish() noexcept;  // the hasher is spent afterwards

  private:
    Block block_;
    std::array<std::uint8_t, 64> pending_{};
    std::size_t pending_size_ = 0;
    std::uint64_t total_ = 0;  // bytes
};

struct Sha256Block {
    static constexpr std::size_t kDigestSize = 32;
    std::array<std::uint32_t, 8> state = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                          0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    void compress(const std::uint8_t* blocks, std::size_t count) noexcept;
};

struct Sha1Block {
    static constexpr std::size_t kDigestSize = 20;
    std::array<std::uint32_t, 5> state = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476,
                                          0xc3d2e1f0};
    void compress(const std::uint8_t* blocks, std::size_t count) noexcept;
    void compress_one(const std::uint8_t* block) noexcept;
};

using Sha256 = MerkleDamgard<Sha256Block>;
using Sha1 = MerkleDamgard<Sha1Block>;

extern template class MerkleDamgard<Sha256Block>;
extern template class MerkleDamgard<Sha1Block>;

// SHA-256's block function on `count` 64-byte blocks, portable. Sha256 uses the CPU's SHA
// extensions instead where simd::sha256_blocks() offers them; the tests compare the two.
void sha256_blocks_portable(std::uint32_t* state, const std::uint8_t* blocks,
                            std::size_t count) noexcept;

// Lower-case hex, two digits a byte.
std::string to_hex(std::span<const std::uint8_t> bytes);

}  // namespace znn
