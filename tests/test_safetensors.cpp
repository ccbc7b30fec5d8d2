#include <catch2/catch.hpp>
#include <cstring>
#include <string>

#include "safetensors.hpp"
#include "test_data.hpp"
#include "znn/znn.hpp"

using namespace znn;

namespace {

std::vector<std::uint8_t> as_bytes(const std::string& s) { return {s.begin(), s.end()}; }

}  // namespace

TEST_CASE("safetensors: tensors map to the layouts of their dtypes, in file order") {
    const auto json = as_bytes(
        R"({"__metadata__":{"format":"pt"},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},)"
        R"("a":{"dtype":"BF16","shape":[4],"data_offsets":[0,8]},"c":{"dtype":"I64","shape":[1],"data_offsets":[16,24]}})");
    const auto regions = plan_safetensors(json);
    REQUIRE(regions);
    REQUIRE(regions->size() == 4);
    CHECK((*regions)[0].spec.metadata);
    CHECK((*regions)[0].size == 8 + json.size());
    CHECK((*regions)[1].spec.layout == Layout::bf16);
    CHECK((*regions)[2].spec.layout == Layout::fp32);
    CHECK((*regions)[3].spec.layout == Layout::group8);
}

TEST_CASE("safetensors: adjacent tensors of one dtype share a region") {
    const auto json = as_bytes(R"({"a":{"dtype":"BF16","shape":[4],"data_offsets":[0,8]},)"
                               R"("b":{"dtype":"BF16","shape":[4],"data_offsets":[8,16]}})");
    const auto regions = plan_safetensors(json);
    REQUIRE(regions);
    REQUIRE(regions->size() == 2);
    CHECK((*regions)[1].size == 16);
}

TEST_CASE("safetensors: two adjacent tensors of 64 KiB or more keep regions of their own") {
    // a and b: 64 KiB each, so regions of their own; c and d are small and join b's.
    const auto json = as_bytes(R"({"a":{"dtype":"BF16","shape":[32768],"data_offsets":[0,65536]},)"
                               R"("b":{"dtype":"BF16","shape":[32768],"data_offsets":[65536,131072]},)"
                               R"("c":{"dtype":"BF16","shape":[4],"data_offsets":[131072,131080]},)"
                               R"("d":{"dtype":"BF16","shape":[4],"data_offsets":[131080,131088]}})");
    const auto regions = plan_safetensors(json);
    REQUIRE(regions);
    REQUIRE(regions->size() == 3);
    CHECK((*regions)[1].size == 65536);
    CHECK((*regions)[2].size == 65536 + 16);
}

TEST_CASE("safetensors: malformed headers are refused, so the file is coded as opaque bytes") {
    CHECK_FALSE(plan_safetensors(as_bytes("not json")));
    CHECK_FALSE(plan_safetensors(as_bytes(R"({"a":{"dtype":"BF16"}})")));
    CHECK_FALSE(plan_safetensors(as_bytes(R"({"a":{"dtype":"BF16","data_offsets":[8,4]}})")));
    CHECK_FALSE(plan_safetensors(as_bytes(R"({"a":{"dtype":"BF16","data_offsets":[0,8]},"b":{"dtype":"BF16","data_offsets":[4,12]}})")));
    // Wrong types and shapes, each on its own.
    CHECK_FALSE(plan_safetensors(as_bytes(R"({"a":[1,2]})")));
    CHECK_FALSE(plan_safetensors(as_bytes(R"({"a":7})")));
    CHECK_FALSE(plan_safetensors(as_bytes(R"({"a":{"dtype":16,"data_offsets":[0,8]}})")));
    CHECK_FALSE(plan_safetensors(as_bytes(R"({"a":{"dtype":"BF16","data_offsets":[0,8,16]}})")));
    CHECK_FALSE(plan_safetensors(as_bytes(R"({"a":{"dtype":"BF16","data_offsets":[0]}})")));
    CHECK_FALSE(plan_safetensors(as_bytes(R"({"a":{"dtype":"BF16","data_offsets":[-1,8]}})")));
    CHECK_FALSE(plan_safetensors(as_bytes(R"({"a":{"dtype":"BF16","data_offsets":[0,[8]]}})")));
    CHECK_FALSE(plan_safetensors(as_bytes(R"({"a":{"dtype":"BF16","data_offsets":{"b":0}}})")));
    CHECK_FALSE(plan_safetensors(as_bytes(R"({"a":{"dtype":"BF16","data_offsets":[0,8]}} trailing)")));
    CHECK_FALSE(plan_safetensors(as_bytes(R"({"a":{"dtype":"BF16","data_offsets":[0,8]})")));
}

TEST_CASE("safetensors: metadata and unknown fields may hold anything") {
    const auto json = as_bytes(
        R"({"__metadata__":{"nested":{"dtype":[1,{"x":null}]},"n":-3.5,"ok":true},)"
        R"("a":{"shape":[[2],{"k":"v"}],"dtype":"BF16","extra":null,"data_offsets":[0,8]}})");
    const auto regions = plan_safetensors(json);
    REQUIRE(regions);
    REQUIRE(regions->size() == 2);
    CHECK((*regions)[1].spec.layout == Layout::bf16);
    CHECK((*regions)[1].size == 8);
}

TEST_CASE("safetensors: whole files round-trip, well-formed, malformed or truncated") {
    const std::string header = R"({"w":{"dtype":"BF16","shape":[5000],"data_offsets":[0,10000]}})";
    const auto body = test::bf16_weights(10'000);
    std::vector<std::uint8_t> file(8 + header.size() + body.size());
    const std::uint64_t n = header.size();
    std::memcpy(file.data(), &n, 8);
    std::memcpy(file.data() + 8, header.data(), header.size());
    std::memcpy(file.data() + 8 + header.size(), body.data(), body.size());
    CHECK(decompress_buffer(compress_buffer(file)) == file);
    auto broken = file;
    broken[10] = '#';
    CHECK(decompress_buffer(compress_buffer(broken)) == broken);
    const std::vector<std::uint8_t> cut(file.begin(), file.begin() + 5000);
    CHECK(decompress_buffer(compress_buffer(cut)) == cut);
}
