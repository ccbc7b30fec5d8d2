#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "znn/base.hpp"
#include "znn/znn.hpp"

namespace {

std::vector<std::uint8_t> read_golden(const std::string& name) {
    std::ifstream in(std::string(ZNN_TEST_GOLDEN_DIR) + "/" + name, std::ios::binary);
    REQUIRE(in);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("golden: every committed v1 file decodes to its original") {
    for (const std::string stem :
         {"bf16", "fp32_bf16prec", "text", "empty", "tiny.safetensors", "bf16x", "fp8"}) {
        INFO(stem);
        CHECK(znn::decompress_buffer(read_golden(stem + ".znn")) == read_golden(stem + ".raw"));
    }
    CHECK(znn::decompress_buffer(read_golden("chunked_bf16.znn")) == read_golden("bf16.raw"));
    auto both = read_golden("bf16.raw");
    const auto text = read_golden("text.raw");
    both.insert(both.end(), text.begin(), text.end());
    CHECK(znn::decompress_buffer(read_golden("concat.znn")) == both);
}

TEST_CASE("golden: today's encoder still round-trips the originals no larger than the goldens") {
    // The encoder may get better without a format change; it must not get worse.
    using znn::DtypeChoice;
    const std::vector<std::pair<std::string, DtypeChoice>> made_with = {
        {"bf16", DtypeChoice::bf16},  {"fp32_bf16prec", DtypeChoice::fp32},
        {"text", DtypeChoice::bytes}, {"tiny.safetensors", DtypeChoice::automatic},
        {"bf16x", DtypeChoice::bf16}, {"fp8", DtypeChoice::fp8}};
    for (const auto& [stem, dtype] : made_with) {
        INFO(stem);
        const auto raw = read_golden(stem + ".raw");
        znn::CompressOptions o;
        o.dtype = dtype;
        const auto packed = znn::compress_buffer(raw, o);
        CHECK(znn::decompress_buffer(packed) == raw);
        CHECK(packed.size() <= read_golden(stem + ".znn").size() + 64);
    }
}

TEST_CASE("golden: the fuzzer's seeds decode, and its damaged seeds are rejected") {
    // fuzz/corpus/ seeds fuzz_decompress (see fuzz/make_corpus.sh); checking it here keeps it
    // in line with the format without a fuzzing build.
    std::size_t good = 0;
    std::size_t bad = 0;
    for (const auto& entry : std::filesystem::directory_iterator(ZNN_TEST_FUZZ_CORPUS_DIR)) {
        const std::string name = entry.path().filename().string();
        INFO(name);
        std::ifstream in(entry.path(), std::ios::binary);
        const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in),
                                              std::istreambuf_iterator<char>()};
        if (name.starts_with("bad_")) {
            CHECK_THROWS_AS(znn::decompress_buffer(bytes), znn::FormatError);
            ++bad;
        } else {
            CHECK_NOTHROW(znn::decompress_buffer(bytes));
            ++good;
        }
    }
    CHECK(good >= 10);
    CHECK(bad >= 5);
}

TEST_CASE("golden: the delta file decodes against its base, and only with it") {
    const auto base =
        znn::BaseModel::open(std::string(ZNN_TEST_GOLDEN_DIR) + "/delta_base.safetensors.raw");
    znn::DecompressOptions d;
    d.base = base.get();
    const auto raw = read_golden("delta_ft.safetensors.raw");
    const auto golden = read_golden("delta_ft.safetensors.znn");
    CHECK(znn::decompress_buffer(golden, d) == raw);
    CHECK_THROWS_AS(znn::decompress_buffer(golden), znn::BaseError);
    znn::CompressOptions c;
    c.base = base.get();
    const auto packed = znn::compress_buffer(raw, c);
    CHECK(znn::decompress_buffer(packed, d) == raw);
    CHECK(packed.size() <= golden.size() + 64);
}
