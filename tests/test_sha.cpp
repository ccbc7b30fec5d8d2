// SHA-256 and SHA-1 against the example vectors NIST publishes for FIPS 180-4, and Git blob ids.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "model/sha.hpp"
#include "simd/kernels.hpp"

namespace {

std::span<const std::uint8_t> bytes_of(std::string_view text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

template <class Hash>
std::string hash_hex(std::string_view text) {
    Hash hash;
    hash.update(bytes_of(text));
    return znn::to_hex(hash.finish());
}

// The same message fed in uneven pieces, so every path through the block buffer is taken.
template <class Hash>
std::string hash_hex_in_pieces(std::string_view text) {
    Hash hash;
    std::size_t piece = 1;
    while (!text.empty()) {
        const std::size_t n = std::min(piece, text.size());
        hash.update(bytes_of(text.substr(0, n)));
        text.remove_prefix(n);
        piece = piece * 3 % 97 + 1;
    }
    return znn::to_hex(hash.finish());
}

const std::string kTwoBlocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
const std::string kFourBlocks =
    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnop"
    "qrsmnopqrstnopqrstu";

}  // namespace

TEST_CASE("sha: SHA-256 of the NIST examples") {
    using znn::Sha256;
    CHECK(hash_hex<Sha256>("") ==
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(hash_hex<Sha256>("abc") ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(hash_hex<Sha256>(kTwoBlocks) ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    CHECK(hash_hex<Sha256>(kFourBlocks) ==
          "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    const std::string million(1'000'000, 'a');
    CHECK(hash_hex<Sha256>(million) ==
          "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    CHECK(hash_hex_in_pieces<Sha256>(million) ==
          "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    CHECK(hash_hex_in_pieces<Sha256>(kFourBlocks) ==
          "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST_CASE("sha: SHA-1 of the NIST examples") {
    using znn::Sha1;
    CHECK(hash_hex<Sha1>("") == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    CHECK(hash_hex<Sha1>("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d");
    CHECK(hash_hex<Sha1>(kTwoBlocks) == "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    CHECK(hash_hex<Sha1>(kFourBlocks) == "a49b2446a02c645bf419f995b67091253a04a259");
    const std::string million(1'000'000, 'a');
    CHECK(hash_hex<Sha1>(million) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    CHECK(hash_hex_in_pieces<Sha1>(million) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST_CASE("sha: messages of 55, 56, 63, 64 and 65 bytes pad across block boundaries") {
    // Lengths where the padding just fits, just does not, or fills a whole extra block,
    // checked against the same hash computed one byte at a time.
    for (const std::size_t n : {55u, 56u, 63u, 64u, 65u, 119u, 120u}) {
        const std::string text(n, 'x');
        CHECK(hash_hex<znn::Sha256>(text) == hash_hex_in_pieces<znn::Sha256>(text));
        CHECK(hash_hex<znn::Sha1>(text) == hash_hex_in_pieces<znn::Sha1>(text));
    }
    // sha256sum / sha1sum of 64 'x' bytes.
    CHECK(hash_hex<znn::Sha256>(std::string(64, 'x')) ==
          "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c");
    CHECK(hash_hex<znn::Sha1>(std::string(64, 'x')) == "bb2fa3ee7afb9f54c6dfb5d021f14b1ffe40c163");
}

TEST_CASE("sha: the SHA-256 block function on the CPU's SHA extensions matches the portable one") {
    const znn::simd::Sha256Blocks fast = znn::simd::sha256_blocks();
    if (!fast) {
        WARN("no SHA extensions on this CPU: only the portable code runs");
        return;
    }
    std::vector<std::uint8_t> blocks(64 * 37);
    std::uint32_t seed = 12345;
    for (auto& byte : blocks) {
        seed = seed * 1103515245 + 12345;
        byte = static_cast<std::uint8_t>(seed >> 16);
    }
    // Through Sha256 (the extensions) against the portable function, 1 to 37 blocks at a time.
    for (const std::size_t count : {1u, 2u, 5u, 37u}) {
        znn::Sha256Block extensions;
        fast(extensions.state.data(), blocks.data(), count);
        znn::Sha256Block portable;
        znn::sha256_blocks_portable(portable.state.data(), blocks.data(), count);
        CHECK(extensions.state == portable.state);
    }
}
