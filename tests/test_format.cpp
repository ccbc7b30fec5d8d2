#include <catch2/catch.hpp>

#include "format/frame.hpp"
#include "test_data.hpp"
#include "znn/znn.hpp"

using namespace znn;

namespace {

std::vector<std::uint8_t> sample_frame() {
    CompressOptions o;
    o.threads = 1;
    o.chunk_size = 4096;
    o.dtype = DtypeChoice::bf16;
    return compress_buffer(test::bf16_weights(20'000), o);
}

}  // namespace

TEST_CASE("format: a frame starts with a magic that legacy ZipNN files never have") {
    const auto frame = sample_frame();
    CHECK(frame[0] == 0x89);
    CHECK(frame[1] == 'Z');
    CHECK_FALSE((frame[0] == 'Z' && frame[1] == 'N'));
    std::vector<std::uint8_t> legacy = {'Z', 'N', 0, 5, 3, 0, 0, 0, 0, 0};
    CHECK_THROWS_WITH(decompress_buffer(legacy), Catch::Contains("legacy ZipNN"));
}

TEST_CASE("format: corruption anywhere in a frame is detected") {
    const auto frame = sample_frame();
    // The frame itself decodes, so every failure below is the flipped bit's.
    REQUIRE(decompress_buffer(frame) == test::bf16_weights(20'000));
    // Every byte: header, chunk headers, payloads, seek table, footer.
    for (std::size_t pos = 0; pos < frame.size(); ++pos) {
        auto bad = frame;
        bad[pos] ^= 0x01;
        INFO("byte " << pos << " of " << frame.size());
        CHECK_THROWS_AS(decompress_buffer(bad), FormatError);
    }
}

TEST_CASE("format: truncation at any point is detected") {
    const auto frame = sample_frame();
    for (std::size_t cut = 0; cut < frame.size(); cut += 7) {
        INFO("cut at " << cut);
        CHECK_THROWS_AS(decompress_buffer({frame.data(), cut}), FormatError);
    }
}

TEST_CASE("format: concatenated frames decode to the concatenated contents") {
    const auto a = test::bf16_weights(10'001, 1);
    const auto b = test::random_bytes(777, 2);
    auto joined = compress_buffer(a);
    const auto second = compress_buffer(b);
    joined.insert(joined.end(), second.begin(), second.end());
    auto expected = a;
    expected.insert(expected.end(), b.begin(), b.end());
    CHECK(decompress_buffer(joined) == expected);
}

TEST_CASE("format: an empty input gives a valid empty frame") {
    const auto frame = compress_buffer({});
    CHECK(frame.size() == kFrameHeaderSize + kSeekHeaderSize + kFooterSize);
    CHECK(decompress_buffer(frame).empty());
}
