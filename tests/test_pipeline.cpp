#include <catch2/catch.hpp>

#include "test_data.hpp"
#include "znn/znn.hpp"

using namespace znn;

TEST_CASE("pipeline: round-trips sizes 0, 1, odd, chunk-1, chunk, chunk+1") {
    CompressOptions o;
    o.chunk_size = 4096;
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{4095}, std::size_t{4096}, std::size_t{4097},
                          std::size_t{12345}}) {
        for (unsigned threads : {1u, 2u, 5u}) {
            o.threads = threads;
            const auto data = test::bf16_weights(n, n);
            DecompressOptions d;
            d.threads = threads;
            CHECK(decompress_buffer(compress_buffer(data, o), d) == data);
        }
    }
}

TEST_CASE("pipeline: output bytes do not depend on the thread count") {
    const auto data = test::bf16_weights(300'000);
    CompressOptions o;
    o.chunk_size = 1024;
    o.threads = 1;
    const auto one = compress_buffer(data, o);
    for (unsigned threads : {2u, 3u, 8u}) {
        o.threads = threads;
        CHECK(compress_buffer(data, o) == one);
    }
}

TEST_CASE("pipeline: stress with tiny chunks and many threads") {
    const auto data = test::skewed_bytes(500'000, 4);
    CompressOptions o;
    o.chunk_size = 64;
    o.threads = 16;
    DecompressOptions d;
    d.threads = 16;
    for (int round = 0; round < 3; ++round) CHECK(decompress_buffer(compress_buffer(data, o), d) == data);
}

TEST_CASE("pipeline: an error in a worker stops the pipeline and is reported") {
    auto frame = compress_buffer(test::bf16_weights(200'000), CompressOptions{0, 1024, DtypeChoice::bf16, {}});
    frame[frame.size() / 2] ^= 0xFF;
    DecompressOptions d;
    d.threads = 4;
    CHECK_THROWS_AS(decompress_buffer(frame, d), FormatError);
}

TEST_CASE("pipeline: rejects a chunk size that is not a multiple of 8") {
    CompressOptions o;
    o.chunk_size = 1001;
    CHECK_THROWS_AS(compress_buffer(test::random_bytes(10), o), UsageError);
}
