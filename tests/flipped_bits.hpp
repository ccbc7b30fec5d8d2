// A decoder's answer to damaged input, for the entropy coders' tests.
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <span>
#include <vector>

namespace znn::test {

// Flips one bit in every 61st byte of packed (the encoding of data) and decodes each copy
// with decode(in, out) -> bool. Decoding must never crash, and never take the damage in
// silence: it fails, or its bytes differ (which the chunk checksum then catches). Returns
// how many copies it rejected.
template <class Decode>
std::size_t check_flipped_bits(const std::vector<std::uint8_t>& packed,
                               const std::vector<std::uint8_t>& data, Decode decode) {
    std::vector<std::uint8_t> out(data.size());
    std::size_t rejected = 0;
    for (std::size_t pos = 0; pos < packed.size(); pos += 61) {
        auto bad = packed;
        bad[pos] ^= 0x10;
        INFO("flip at " << pos);
        if (!decode(std::span<const std::uint8_t>(bad), std::span<std::uint8_t>(out)))
            ++rejected;
        else
            CHECK(out != data);
    }
    return rejected;
}

}  // namespace znn::test
