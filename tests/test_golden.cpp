#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <string>

#include "znn/znn.hpp"

namespace {

std::vector<std::uint8_t> read_golden(const std::string& name) {
    std::ifstream in(std::string(ZNN_TEST_GOLDEN_DIR) + "/" + name, std::ios::binary);
    REQUIRE(in);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("golden: every committed v1 file decodes to its original") {
    for (const std::string stem : {"bf16", "fp32_bf16prec", "text", "empty", "tiny.safetensors"}) {
        INFO(stem);
        CHECK(znn::decompress_buffer(read_golden(stem + ".znn")) == read_golden(stem + ".raw"));
    }
    CHECK(znn::decompress_buffer(read_golden("chunked_bf16.znn")) == read_golden("bf16.raw"));
    auto both = read_golden("bf16.raw");
    const auto text = read_golden("text.raw");
    both.insert(both.end(), text.begin(), text.end());
    CHECK(znn::decompress_buffer(read_golden("concat.znn")) == both);
}

TEST_CASE("golden: compressing the originals still gives the committed bytes") {
    znn::CompressOptions o;
    o.threads = 1;
    o.dtype = znn::DtypeChoice::bf16;
    CHECK(znn::compress_buffer(read_golden("bf16.raw"), o) == read_golden("bf16.znn"));
    o.dtype = znn::DtypeChoice::automatic;
    CHECK(znn::compress_buffer(read_golden("tiny.safetensors.raw"), o) == read_golden("tiny.safetensors.znn"));
}
