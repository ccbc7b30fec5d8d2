#include <catch2/catch.hpp>

#include <algorithm>

#include "entropy/huffman.hpp"
#include "entropy/plane_blocks.hpp"
#include "flipped_bits.hpp"
#include "test_data.hpp"

using namespace znn;

namespace {

std::vector<std::uint8_t> round_trip(const std::vector<std::uint8_t>& data,
                                     std::size_t* encoded_size = nullptr,
                                     double short_code_max_loss = 0) {
    const auto counts = count_symbols(data);
    const auto lengths = huffman::build_code_lengths(counts, short_code_max_loss);
    std::vector<std::uint8_t> packed(huffman::encode_bound(data.size()));
    const std::size_t size = huffman::encode(data, lengths, packed.data());
    packed.resize(size);
    if (encoded_size) *encoded_size = size;
    std::vector<std::uint8_t> out(data.size(), 0xAA);
    REQUIRE(huffman::decode(packed, out));
    return out;
}

}  // namespace

TEST_CASE("huffman: round-trips sizes around block and stream edges") {
    for (std::size_t n :
         {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{4}, std::size_t{5},
          std::size_t{7}, std::size_t{19}, std::size_t{20}, std::size_t{21}, std::size_t{83},
          std::size_t{1000},
          // the decoder switches from one symbol a lookup to several at 8192
          std::size_t{8191}, std::size_t{8192}, std::size_t{8193}, kBlockSymbols - 1, kBlockSymbols,
          kBlockSymbols + 1, 3 * kBlockSymbols + 17}) {
        const auto data = test::skewed_bytes(n, n);
        CHECK(round_trip(data) == data);
    }
}

TEST_CASE("huffman: round-trips a one-symbol plane") {
    const std::vector<std::uint8_t> data(1000, 42);
    CHECK(round_trip(data) == data);
}

TEST_CASE("huffman: round-trips all 256 symbols") {
    std::vector<std::uint8_t> data(256 * 64);
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 7);
    CHECK(round_trip(data) == data);
    const auto random = test::random_bytes(300'000, 9);
    CHECK(round_trip(random) == random);
}

TEST_CASE("huffman: limits code lengths to 11 bits on very skewed histograms") {
    Histogram counts{};
    std::uint32_t c = 1;
    for (unsigned s = 0; s < 40; ++s) {
        counts[s] = c;
        if (c < (1u << 30)) c *= 2;
    }
    const auto lengths = huffman::build_code_lengths(counts);
    std::uint32_t kraft = 0;
    for (unsigned s = 0; s < 256; ++s) {
        CHECK(lengths[s] <= huffman::kMaxCodeLength);
        if (counts[s]) {
            CHECK(lengths[s] >= 1);
            kraft += 1u << (huffman::kMaxCodeLength - lengths[s]);
        }
    }
    CHECK(kraft <= (1u << huffman::kMaxCodeLength));
    // And data drawn from such a skew still round-trips.
    const auto data = test::skewed_bytes(200'000, 3);
    CHECK(round_trip(data) == data);
}

unsigned longest_code(const huffman::CodeLengths& lengths) {
    return *std::max_element(lengths.begin(), lengths.end());
}

std::uint64_t coded_bits(const Histogram& counts, const huffman::CodeLengths& lengths) {
    std::uint64_t bits = 0;
    for (unsigned s = 0; s < 256; ++s) bits += std::uint64_t{counts[s]} * lengths[s];
    return bits;
}

TEST_CASE("huffman: takes 10-bit codes only when they cost less than allowed") {
    // Two dominant symbols and a long tail of rare ones: the optimal code wants 11 bits
    // for the rarest, and 10 bits cost a little.
    Histogram counts{};
    counts[0] = 1'000'000;
    counts[1] = 500'000;
    for (unsigned s = 2; s < 40; ++s) counts[s] = 2'000 >> (s / 4);
    const auto exact = huffman::build_code_lengths(counts);
    REQUIRE(longest_code(exact) == huffman::kMaxCodeLength);
    const auto cheap = huffman::build_code_lengths(counts, 0.01);
    CHECK(longest_code(cheap) <= huffman::kShortCodeLength);
    CHECK(coded_bits(counts, cheap) > coded_bits(counts, exact));
    CHECK(static_cast<double>(coded_bits(counts, cheap)) <=
          static_cast<double>(coded_bits(counts, exact)) * 1.01);
    std::uint32_t kraft = 0;
    for (unsigned s = 0; s < 256; ++s) {
        if (counts[s]) CHECK(cheap[s] >= 1);
        if (cheap[s]) kraft += 1u << (huffman::kShortCodeLength - cheap[s]);
    }
    CHECK(kraft <= (1u << huffman::kShortCodeLength));
    // Too dear: a budget smaller than the loss keeps the 11-bit code.
    const double loss = static_cast<double>(coded_bits(counts, cheap)) /
                            static_cast<double>(coded_bits(counts, exact)) -
                        1;
    CHECK(huffman::build_code_lengths(counts, loss / 2) == exact);
}

TEST_CASE("huffman: round-trips planes whose longest code is 1 to 11 bits") {
    // The decoder sizes its table by the longest code (at least 8 bits); cover each size.
    for (unsigned symbols : {2u, 3u, 5u, 9u, 17u, 33u, 65u, 129u, 256u}) {
        std::vector<std::uint8_t> data(40'000);
        for (std::size_t i = 0; i < data.size(); ++i)
            data[i] = static_cast<std::uint8_t>((i * 2654435761u >> 7) % symbols);
        CHECK(round_trip(data) == data);
    }
    // Symbol s appears 2^(9-s) times, 100 times over: lengths 1, 2, ..., 9, 9.
    std::vector<std::uint8_t> geometric;
    for (unsigned rep = 0; rep < 100; ++rep)
        for (unsigned s = 0; s < 10; ++s)
            geometric.insert(geometric.end(), std::size_t{1} << (9 - std::min(s, 8u)),
                             static_cast<std::uint8_t>(s));
    CHECK(longest_code(huffman::build_code_lengths(count_symbols(geometric))) == 9);
    CHECK(round_trip(geometric) == geometric);
    const auto data = test::skewed_bytes(100'000, 21);
    for (double loss : {0.0, 0.05}) {
        const auto lengths = huffman::build_code_lengths(count_symbols(data), loss);
        CHECK(longest_code(lengths) == (loss > 0 ? 10u : 11u));
        CHECK(round_trip(data, nullptr, loss) == data);
    }
}

TEST_CASE("huffman: round-trips blocks whose four streams end far apart") {
    // The decoder runs the four streams together while all have room, then each alone:
    // quarters of very different entropy make one stream finish long before the others.
    const auto skewed = test::skewed_bytes(kBlockSymbols, 31);
    const auto random = test::random_bytes(kBlockSymbols, 32);
    for (unsigned odd_one : {0u, 1u, 3u}) {
        for (std::size_t n : {std::size_t{40'000}, kBlockSymbols, kBlockSymbols + 999}) {
            INFO("quarter " << odd_one << ", " << n << " symbols");
            std::vector<std::uint8_t> data(n);
            const std::size_t quarter = (std::min(n, kBlockSymbols) + 3) / 4;
            for (std::size_t i = 0; i < n; ++i) {
                const bool odd = (i % kBlockSymbols) / quarter == odd_one;
                // Symbols 0-15 only, so the random quarters stay codable next to the skewed.
                data[i] = odd ? static_cast<std::uint8_t>(random[i % random.size()] & 15)
                              : static_cast<std::uint8_t>(skewed[i % skewed.size()] & 15);
            }
            CHECK(round_trip(data) == data);
            std::reverse(data.begin(), data.end());
            CHECK(round_trip(data) == data);
        }
    }
}

TEST_CASE("huffman: compresses a BF16 exponent-like plane close to its entropy") {
    const auto data = test::skewed_bytes(1 << 20, 5);  // entropy ~2 bits/symbol
    std::size_t size = 0;
    round_trip(data, &size);
    CHECK(static_cast<double>(size) < static_cast<double>(data.size()) * 2.05 / 8);
}

TEST_CASE("huffman: rejects corrupt and truncated input without crashing") {
    const auto data = test::skewed_bytes(100'000, 11);
    const auto lengths = huffman::build_code_lengths(count_symbols(data));
    std::vector<std::uint8_t> packed(huffman::encode_bound(data.size()));
    packed.resize(huffman::encode(data, lengths, packed.data()));
    std::vector<std::uint8_t> out(data.size());
    for (std::size_t cut = 0; cut < packed.size(); cut += 97) {
        CHECK_FALSE(huffman::decode({packed.data(), cut}, out));
    }
    CHECK(test::check_flipped_bits(packed, data,
                                   [](auto in, auto o) { return huffman::decode(in, o); }) > 0);
    // Wrong symbol count.
    std::vector<std::uint8_t> shorter(data.size() - 1);
    CHECK_FALSE(huffman::decode(packed, shorter));
}
