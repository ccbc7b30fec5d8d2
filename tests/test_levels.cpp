// Compression levels: each one's choices reach the codec, every level round-trips, and
// the default is level 3 byte for byte.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <string>

#include "codec/codec.hpp"
#include "test_data.hpp"
#include "znn/inspect.hpp"
#include "znn/znn.hpp"

using namespace znn;

namespace {

std::vector<std::uint8_t> compress_at(std::span<const std::uint8_t> data, int level) {
    CompressOptions o;
    o.level = level;
    return compress_buffer(data, o);
}

// The codecs encode_chunk chose for a chunk coded at `level`.
std::vector<PlaneCodec> chunk_codecs(const std::vector<std::uint8_t>& raw, Layout layout,
                                     int level) {
    ChunkSpec spec;
    spec.layout = layout;
    spec.policy = &codec_policy(level);
    Buffer block;
    encode_chunk(raw, spec, block);
    const ChunkHeader header = parse_chunk_header(block);
    std::vector<std::uint8_t> out(header.raw_size);
    decode_chunk(block, header, out);
    REQUIRE(out == raw);
    return {header.codecs.begin(), header.codecs.begin() + header.plane_count};
}

bool uses(const std::vector<PlaneCodec>& codecs, PlaneCodec codec) {
    return std::find(codecs.begin(), codecs.end(), codec) != codecs.end();
}

std::uint64_t chunk_count(const std::vector<std::uint8_t>& frame) {
    const auto frames =
        inspect_frames(frame.size(), [&](std::uint64_t at, std::span<std::uint8_t> out) {
            std::memcpy(out.data(), frame.data() + at, out.size());
        });
    REQUIRE(frames.size() == 1);
    return frames[0].chunk_count;
}

// A safetensors file holding one BF16 tensor of n bytes.
std::vector<std::uint8_t> safetensors_bf16(std::size_t n) {
    const std::string header = R"({"w":{"dtype":"BF16","shape":[)" + std::to_string(n / 2) +
                               R"(],"data_offsets":[0,)" + std::to_string(n) + "]}}";
    std::vector<std::uint8_t> file(8 + header.size());
    const std::uint64_t size = header.size();
    std::memcpy(file.data(), &size, 8);
    std::memcpy(file.data() + 8, header.data(), header.size());
    const auto body = test::bf16_weights(n, 3);
    file.insert(file.end(), body.begin(), body.end());
    return file;
}

}  // namespace

TEST_CASE("levels: every level round-trips every kind of data") {
    const std::vector<std::pair<const char*, std::vector<std::uint8_t>>> inputs = {
        {"bf16", test::bf16_weights(300'000, 1)},   {"fp16", test::fp16_weights(300'000, 2)},
        {"fp32", test::fp32_weights(300'000, 3)},   {"fp8", test::fp8_weights(300'000, 4)},
        {"random", test::random_bytes(100'000, 5)}, {"skewed", test::skewed_bytes(100'000, 6)},
        {"tiny", test::bf16_weights(10, 7)},        {"empty", {}},
    };
    for (int level = kMinLevel; level <= kMaxLevel; ++level) {
        for (const auto& [name, data] : inputs) {
            INFO(name << " at level " << level);
            CHECK(decompress_buffer(compress_at(data, level)) == data);
        }
    }
}

TEST_CASE("levels: no level given is level 3, byte for byte") {
    CHECK(kDefaultLevel == 3);
    for (const auto& data :
         {test::bf16_weights(300'000), test::fp8_weights(200'000), safetensors_bf16(600'000)}) {
        CHECK(compress_buffer(data) == compress_at(data, 3));
        CHECK(compress_buffer(data) != compress_at(data, 1));
    }
}

TEST_CASE("levels: a level out of range is a usage error") {
    const auto data = test::bf16_weights(1000);
    for (const int level : {0, -1, 10, 19}) {
        INFO(level);
        CHECK_THROWS_AS(compress_at(data, level), UsageError);
        CHECK_THROWS_AS(codec_policy(level), UsageError);
    }
}

TEST_CASE("levels: FP8 planes take tANS from level 3 on, Huffman below") {
    const auto data = test::fp8_weights(200'000);
    CHECK_FALSE(uses(chunk_codecs(data, Layout::fp8, 1), PlaneCodec::ans));
    CHECK_FALSE(uses(chunk_codecs(data, Layout::fp8, 2), PlaneCodec::ans));
    CHECK(uses(chunk_codecs(data, Layout::fp8, 2), PlaneCodec::huffman));
    CHECK(uses(chunk_codecs(data, Layout::fp8, 3), PlaneCodec::ans));
    // And the file is smaller for it.
    CHECK(compress_at(data, 3).size() < compress_at(data, 1).size());
}

TEST_CASE("levels: from level 7, tANS codes any plane where it is smaller") {
    const auto data = test::bf16_weights(200'000);
    CHECK_FALSE(uses(chunk_codecs(data, Layout::bf16, 6), PlaneCodec::ans));
    CHECK(uses(chunk_codecs(data, Layout::bf16, 7), PlaneCodec::ans));
    CHECK(compress_at(data, 7).size() < compress_at(data, 6).size());
}

TEST_CASE("levels: chunks in tensors are larger at low levels, smaller at high ones") {
    // One tensor of 2 MiB: level 1 cuts it in 1 MiB chunks, level 3 in 256 KiB, level 4 in
    // 128 KiB; the header is a chunk of its own.
    const auto file = safetensors_bf16(std::size_t{2} << 20);
    CHECK(chunk_count(compress_at(file, 1)) == 1 + 2);
    CHECK(chunk_count(compress_at(file, 3)) == 1 + 8);
    CHECK(chunk_count(compress_at(file, 4)) == 1 + 16);
}

TEST_CASE("levels: headerless input tries larger chunks at level 1") {
    // Level 1 tries 1 MiB, 512 KiB and 256 KiB chunks, level 3 128 to 512 KiB.
    const auto data = test::bf16_weights(std::size_t{3} << 20, 4);
    CHECK(chunk_count(compress_at(data, 1)) <= 12);
    CHECK(chunk_count(compress_at(data, 3)) >= 6);
    CHECK(chunk_count(compress_at(data, 1)) < chunk_count(compress_at(data, 3)));
}

TEST_CASE("levels: the fastest, the default and the smallest level, in that order of size") {
    // (Between neighbours, a trial may misjudge by a hair on data this uniform.)
    for (const auto& data : {test::bf16_weights(400'000, 8), test::fp16_weights(400'000, 9),
                             test::fp8_weights(400'000, 10), test::fp32_weights(400'000, 11)}) {
        std::size_t previous = SIZE_MAX;
        for (const int level : {1, 3, 9}) {
            INFO("level " << level);
            const std::size_t size = compress_at(data, level).size();
            CHECK(size <= previous);
            previous = size;
        }
    }
}
