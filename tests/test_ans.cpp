#include <catch2/catch.hpp>

#include <numeric>
#include <random>

#include "entropy/ans.hpp"
#include "entropy/ans_table.hpp"
#include "entropy/huffman.hpp"
#include "entropy/plane_blocks.hpp"
#include "flipped_bits.hpp"
#include "test_data.hpp"

using namespace znn;

namespace {

std::vector<std::uint8_t> encode_plane(const std::vector<std::uint8_t>& data) {
    const auto levels = ans::choose_levels(count_symbols(data));
    std::vector<std::uint8_t> packed(ans::encode_bound(data.size()));
    packed.resize(ans::encode(data, levels, packed.data()));
    return packed;
}

std::vector<std::uint8_t> round_trip(const std::vector<std::uint8_t>& data) {
    const auto packed = encode_plane(data);
    std::vector<std::uint8_t> out(data.size(), 0xAA);
    REQUIRE(ans::decode(packed, out));
    return out;
}

double entropy_bytes(const std::vector<std::uint8_t>& data) {
    const auto counts = count_symbols(data);
    double bits = 0;
    for (const auto c : counts)
        if (c != 0)
            bits -= static_cast<double>(c) *
                    std::log2(static_cast<double>(c) / static_cast<double>(data.size()));
    return bits / 8;
}

}  // namespace

TEST_CASE("ans: round-trips sizes around block and stream edges") {
    for (std::size_t n :
         {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{4}, std::size_t{5},
          std::size_t{15}, std::size_t{16}, std::size_t{17}, std::size_t{63}, std::size_t{1000},
          kBlockSymbols - 1, kBlockSymbols, kBlockSymbols + 1, 3 * kBlockSymbols + 17}) {
        INFO("size " << n);
        const auto fp8 = test::fp8_weights(n, n);
        CHECK(round_trip(fp8) == fp8);
        const auto skewed = test::skewed_bytes(n, n);
        CHECK(round_trip(skewed) == skewed);
    }
}

TEST_CASE("ans: round-trips one symbol, two symbols, all 256 and a dominant symbol") {
    const std::vector<std::uint8_t> one(1000, 42);
    CHECK(round_trip(one) == one);
    std::vector<std::uint8_t> two(5000);
    for (std::size_t i = 0; i < two.size(); ++i) two[i] = (i * 2654435761u >> 7) % 3 == 0 ? 7 : 200;
    CHECK(round_trip(two) == two);
    const auto random = test::random_bytes(300'000, 9);
    CHECK(round_trip(random) == random);
    std::vector<std::uint8_t> dominant(200'000, 0);
    for (std::size_t i = 0; i < dominant.size(); i += 997)
        dominant[i] = static_cast<std::uint8_t>(i % 256);
    CHECK(round_trip(dominant) == dominant);
}

TEST_CASE("ans: codes FP8 weights within 0.3% of their order-0 entropy, below Huffman") {
    const auto data = test::fp8_weights(1 << 18, 3);
    const auto packed = encode_plane(data);
    const double entropy = entropy_bytes(data);
    CHECK(static_cast<double>(packed.size()) < entropy * 1.003);
    const auto counts = count_symbols(data);
    const auto lengths = huffman::build_code_lengths(counts);
    CHECK(packed.size() < huffman::estimate_size(counts, lengths, data.size()));
    const auto levels = ans::choose_levels(counts);
    const auto estimate = ans::estimate_size(counts, levels, data.size());
    // "To within a few bytes per block": stream padding is not modelled.
    const std::size_t slack = 8 * (data.size() / kBlockSymbols) + 16;
    CHECK(estimate <= packed.size() + slack);
    CHECK(estimate + slack >= packed.size());
}

TEST_CASE("ans: normalized slots sum to the table size and give every present symbol one") {
    std::mt19937_64 rng(5);
    for (int round = 0; round < 200; ++round) {
        ans::Levels levels{};
        const auto present = static_cast<unsigned>(1 + rng() % 256);
        for (unsigned k = 0; k < present; ++k)
            levels[rng() % 256] = static_cast<std::uint8_t>(1 + rng() % ans::kMaxLevel);
        ans::Normalized slots{};
        REQUIRE(ans::normalize(levels, slots));
        unsigned total = 0;
        for (unsigned s = 0; s < 256; ++s) {
            CHECK((slots[s] == 0) == (levels[s] == 0));
            total += slots[s];
        }
        CHECK(total == ans::kTableSize);
    }
    ans::Levels none{};
    ans::Normalized slots{};
    CHECK_FALSE(ans::normalize(none, slots));
}

TEST_CASE("ans: level descriptions round-trip and have one valid form") {
    std::mt19937_64 rng(8);
    for (int round = 0; round < 200; ++round) {
        ans::Levels levels{};
        const auto first = static_cast<unsigned>(rng() % 256);
        const auto last = static_cast<unsigned>(first + rng() % (256 - first));
        for (unsigned s = first; s <= last; ++s)
            if (s == first || s == last || rng() % 4 != 0)
                levels[s] = static_cast<std::uint8_t>(1 + rng() % ans::kMaxLevel);
        std::vector<std::uint8_t> out(ans::kMaxDescriptionSize);
        const std::size_t size = ans::write_description(levels, out.data());
        CHECK(size == ans::description_size(levels));
        ans::Levels back{};
        CHECK(ans::read_description({out.data(), size}, back) == size);
        CHECK(back == levels);
        CHECK(ans::read_description({out.data(), size - 1}, back) == 0);  // truncated
    }
    // first's level 0, last < first, and a set padding bit are all malformed.
    ans::Levels back{};
    const std::vector<std::uint8_t> zero_level = {3, 3, 0x00};
    CHECK(ans::read_description(zero_level, back) == 0);
    const std::vector<std::uint8_t> reversed = {5, 4, 0x01};
    CHECK(ans::read_description(reversed, back) == 0);
    const std::vector<std::uint8_t> padded = {3, 3, 0x41};
    CHECK(ans::read_description(padded, back) == 0);
    const std::vector<std::uint8_t> good = {3, 3, 0x01};
    CHECK(ans::read_description(good, back) == 3);
}

TEST_CASE("ans: rejects corrupt and truncated input without crashing") {
    const auto data = test::fp8_weights(100'000, 11);
    const auto packed = encode_plane(data);
    std::vector<std::uint8_t> out(data.size());
    for (std::size_t cut = 0; cut < packed.size(); cut += 97)
        CHECK_FALSE(ans::decode({packed.data(), cut}, out));
    auto longer = packed;
    longer.push_back(0);
    CHECK_FALSE(ans::decode(longer, out));
    CHECK(test::check_flipped_bits(packed, data,
                                   [](auto in, auto o) { return ans::decode(in, o); }) > 0);
    std::vector<std::uint8_t> shorter(data.size() - 1);
    CHECK_FALSE(ans::decode(packed, shorter));
}
