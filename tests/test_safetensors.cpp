#include <catch2/catch.hpp>
#include <cstring>
#include <string>

#include "model/safetensors.hpp"
#include "test_data.hpp"
#include "znn/inspect.hpp"
#include "znn/znn.hpp"

using namespace znn;

namespace {

std::vector<std::uint8_t> as_bytes(const std::string& s) {
    return {s.begin(), s.end()};
}

struct TestTensor {
    std::string dtype;
    std::uint64_t begin;
    std::uint64_t end;
};

// A header listing the tensors as t0, t1, ... with their dtypes and offsets.
std::vector<std::uint8_t> header_of(const std::vector<TestTensor>& tensors) {
    std::string json = "{";
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        const TestTensor& t = tensors[i];
        json += (i ? ",\"t" : "\"t") + std::to_string(i) + R"(":{"dtype":")" + t.dtype +
                R"(","shape":[],)" + R"("data_offsets":[)" + std::to_string(t.begin) + "," +
                std::to_string(t.end) + "]}";
    }
    return as_bytes(json + "}");
}

// A safetensors file: the header's length, the header, then the tensor bytes.
std::vector<std::uint8_t> file_of(const std::vector<std::uint8_t>& header,
                                  const std::vector<std::uint8_t>& body) {
    std::vector<std::uint8_t> file(8 + header.size() + body.size());
    const std::uint64_t n = header.size();
    std::memcpy(file.data(), &n, 8);
    std::memcpy(file.data() + 8, header.data(), header.size());
    std::memcpy(file.data() + 8 + header.size(), body.data(), body.size());
    return file;
}

std::vector<std::uint64_t> sizes_of(const std::vector<Region>& regions) {
    std::vector<std::uint64_t> sizes;
    for (const Region& r : regions) sizes.push_back(r.size);
    return sizes;
}

// Every tensor of a region's own layout starts on a whole element from the region's start,
// so the plane split sees its elements whole.
void check_elements_whole(const std::vector<Region>& regions, std::uint64_t header_bytes,
                          const std::vector<TestTensor>& tensors) {
    std::uint64_t start = 0;
    for (const Region& r : regions) {
        if (!r.metadata) {
            for (const TestTensor& t : tensors) {
                const std::uint64_t at = header_bytes + t.begin;
                if (at < start || at >= start + r.size || layout_for_dtype(t.dtype) != r.layout)
                    continue;
                INFO("tensor at " << t.begin << " in region at " << start);
                CHECK((at - start) % layout_width(r.layout) == 0);
            }
        }
        start += r.size;
    }
}

}  // namespace

TEST_CASE("safetensors: tensors map to the layouts of their dtypes, in file order") {
    const auto json = as_bytes(
        R"({"__metadata__":{"format":"pt"},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},)"
        R"("a":{"dtype":"BF16","shape":[4],"data_offsets":[0,8]},)"
        R"("c":{"dtype":"I64","shape":[1],"data_offsets":[16,24]}})");
    const auto regions = plan_safetensors(json);
    REQUIRE(regions);
    REQUIRE(regions->size() == 4);
    CHECK((*regions)[0].metadata);
    CHECK((*regions)[0].size == 8 + json.size());
    CHECK((*regions)[1].layout == Layout::bf16);
    CHECK((*regions)[2].layout == Layout::fp32);
    CHECK((*regions)[3].layout == Layout::group8);
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
    const auto json =
        as_bytes(R"({"a":{"dtype":"BF16","shape":[32768],"data_offsets":[0,65536]},)"
                 R"("b":{"dtype":"BF16","shape":[32768],"data_offsets":[65536,131072]},)"
                 R"("c":{"dtype":"BF16","shape":[4],"data_offsets":[131072,131080]},)"
                 R"("d":{"dtype":"BF16","shape":[4],"data_offsets":[131080,131088]}})");
    const auto regions = plan_safetensors(json);
    REQUIRE(regions);
    REQUIRE(regions->size() == 3);
    CHECK((*regions)[1].size == 65536);
    CHECK((*regions)[2].size == 65536 + 16);
}

TEST_CASE("safetensors: tensors under 128 bytes after an FP8 region join it whatever their dtype") {
    // FP8 checkpoints: kernel, 4-byte F32 scale_inv, BF16 bias. The 128-byte bias keeps a
    // region of its own, and so does k2, though small and FP8 like k1: a region that took
    // in other dtypes merges no more kernels.
    const std::vector<TestTensor> tensors = {
        {"F8_E4M3", 0, 1000},    {"F32", 1000, 1004}, {"BF16", 1004, 1068},
        {"F8_E4M3", 1068, 2068}, {"F32", 2068, 2072}, {"BF16", 2072, 2200},
    };
    const auto json = header_of(tensors);
    const auto regions = plan_safetensors(json);
    REQUIRE(regions);
    CHECK(sizes_of(*regions) == std::vector<std::uint64_t>{8 + json.size(), 1068, 1004, 128});
    CHECK((*regions)[1].layout == layout_for_dtype("F8_E4M3"));
    CHECK((*regions)[2].layout == layout_for_dtype("F8_E4M3"));
    CHECK((*regions)[3].layout == Layout::bf16);
    check_elements_whole(*regions, 8 + json.size(), tensors);
}

TEST_CASE("safetensors: the header's region and float regions take in no other dtype") {
    // A 4-byte F32 first: the JSON header's region is coded apart (a stronger zstd level).
    // BF16 and F32 regions would lose more to foreign bytes than a chunk costs.
    const std::vector<TestTensor> tensors = {
        {"F32", 0, 4},       {"F8_E4M3", 4, 1004}, {"BF16", 1004, 2004},
        {"F32", 2004, 2008}, {"BF16", 2008, 3008}, {"I64", 3008, 3016},
    };
    const auto json = header_of(tensors);
    const auto regions = plan_safetensors(json);
    REQUIRE(regions);
    CHECK(sizes_of(*regions) ==
          std::vector<std::uint64_t>{8 + json.size(), 4, 1000, 1000, 4, 1000, 8});
    CHECK((*regions)[0].metadata);
    CHECK((*regions)[1].layout == Layout::fp32);
    CHECK((*regions)[6].layout == Layout::group8);
}

TEST_CASE("safetensors: merged and absorbed tensors keep their elements whole") {
    // t1 (6 bytes of BF16) joins the odd-sized FP8 t0; t2, BF16 and too big to be taken in,
    // starts a region at its own first byte. t3, 95 bytes, leaves t2's region mid-element,
    // so t4 starts a region rather than straddle elements. The 3-byte gap after it is a
    // bytes region that takes in t5; t6 starts afresh and t7 joins it.
    const std::vector<TestTensor> tensors = {
        {"F8_E4M3", 0, 999},  {"BF16", 999, 1005},  {"BF16", 1005, 3005}, {"BF16", 3005, 3100},
        {"BF16", 3100, 3108}, {"BF16", 3111, 3119}, {"F32", 3119, 4119},  {"F32", 4119, 4123},
    };
    const auto json = header_of(tensors);
    const auto regions = plan_safetensors(json);
    REQUIRE(regions);
    CHECK(sizes_of(*regions) ==
          std::vector<std::uint64_t>{8 + json.size(), 1005, 2095, 8, 11, 1004});
    CHECK((*regions)[1].layout == layout_for_dtype("F8_E4M3"));
    CHECK((*regions)[2].layout == Layout::bf16);
    CHECK((*regions)[3].layout == Layout::bf16);
    CHECK((*regions)[4].layout == Layout::bytes);
    CHECK((*regions)[5].layout == Layout::fp32);
    check_elements_whole(*regions, 8 + json.size(), tensors);
}

TEST_CASE("safetensors: malformed headers are refused, so the file is coded as opaque bytes") {
    CHECK_FALSE(plan_safetensors(as_bytes("not json")));
    CHECK_FALSE(plan_safetensors(as_bytes(R"({"a":{"dtype":"BF16"}})")));
    CHECK_FALSE(plan_safetensors(as_bytes(R"({"a":{"dtype":"BF16","data_offsets":[8,4]}})")));
    CHECK_FALSE(plan_safetensors(as_bytes(R"({"a":{"dtype":"BF16","data_offsets":[0,8]},)"
                                          R"("b":{"dtype":"BF16","data_offsets":[4,12]}})")));
    // Wrong types and shapes, each on its own.
    CHECK_FALSE(plan_safetensors(as_bytes(R"({"a":[1,2]})")));
    CHECK_FALSE(plan_safetensors(as_bytes(R"({"a":7})")));
    CHECK_FALSE(plan_safetensors(as_bytes(R"({"a":{"dtype":16,"data_offsets":[0,8]}})")));
    CHECK_FALSE(plan_safetensors(as_bytes(R"({"a":{"dtype":"BF16","data_offsets":[0,8,16]}})")));
    CHECK_FALSE(plan_safetensors(as_bytes(R"({"a":{"dtype":"BF16","data_offsets":[0]}})")));
    CHECK_FALSE(plan_safetensors(as_bytes(R"({"a":{"dtype":"BF16","data_offsets":[-1,8]}})")));
    CHECK_FALSE(plan_safetensors(as_bytes(R"({"a":{"dtype":"BF16","data_offsets":[0,[8]]}})")));
    CHECK_FALSE(plan_safetensors(as_bytes(R"({"a":{"dtype":"BF16","data_offsets":{"b":0}}})")));
    CHECK_FALSE(
        plan_safetensors(as_bytes(R"({"a":{"dtype":"BF16","data_offsets":[0,8]}} trailing)")));
    CHECK_FALSE(plan_safetensors(as_bytes(R"({"a":{"dtype":"BF16","data_offsets":[0,8]})")));
}

TEST_CASE("safetensors: metadata and unknown fields may hold anything") {
    const auto json = as_bytes(
        R"({"__metadata__":{"nested":{"dtype":[1,{"x":null}]},"n":-3.5,"ok":true},)"
        R"("a":{"shape":[[2],{"k":"v"}],"dtype":"BF16","extra":null,"data_offsets":[0,8]}})");
    const auto regions = plan_safetensors(json);
    REQUIRE(regions);
    REQUIRE(regions->size() == 2);
    CHECK((*regions)[1].layout == Layout::bf16);
    CHECK((*regions)[1].size == 8);
}

TEST_CASE("safetensors: whole files round-trip, well-formed, malformed or truncated") {
    const std::string header = R"({"w":{"dtype":"BF16","shape":[5000],"data_offsets":[0,10000]}})";
    const auto body = test::bf16_weights(10'000);
    const auto file = file_of(as_bytes(header), body);
    CHECK(decompress_buffer(compress_buffer(file)) == file);
    auto broken = file;
    broken[10] = '#';
    CHECK(decompress_buffer(compress_buffer(broken)) == broken);
    const std::vector<std::uint8_t> cut(file.begin(), file.begin() + 5000);
    CHECK(decompress_buffer(compress_buffer(cut)) == cut);
}

TEST_CASE("safetensors: FP8 kernels with absorbed scales and odd-sized biases round-trip") {
    // Odd sizes leave bytes outside whole elements wherever a region ends.
    const std::vector<TestTensor> tensors = {
        {"F8_E4M3", 0, 70001},      {"F32", 70001, 70005},   {"BF16", 70005, 70011},
        {"F8_E4M3", 70011, 140013}, {"F32", 140013, 140017}, {"BF16", 140017, 140145},
        {"BF16", 140145, 150145},   {"I64", 150145, 150153},
    };
    const auto header = header_of(tensors);
    const auto body = test::bf16_weights(150'153);
    const auto file = file_of(header, body);
    CHECK(decompress_buffer(compress_buffer(file)) == file);
}

TEST_CASE("safetensors: FP8 tensors use the fp8 layout and code smaller than as bytes") {
    const std::vector<TestTensor> tensors = {
        {"F8_E4M3", 0, 100'000},
        {"F32", 100'000, 100'004},
        {"BF16", 100'004, 100'068},
        {"F8_E4M3", 100'068, 150'068},
    };
    const auto header = header_of(tensors);
    const auto body = test::fp8_weights(150'068, 21);
    const auto file = file_of(header, body);
    const auto packed = compress_buffer(file);
    CHECK(decompress_buffer(packed) == file);
    const auto frames =
        inspect_frames(packed.size(), [&](std::uint64_t offset, std::span<std::uint8_t> out) {
            std::memcpy(out.data(), packed.data() + offset, out.size());
        });
    REQUIRE(frames.size() == 1);
    // Both kernels, with the scale and bias absorbed into the first.
    CHECK(frames[0].layout_bytes[static_cast<unsigned>(Layout::fp8)] == 150'068);
    CompressOptions as_bytes;
    as_bytes.dtype = DtypeChoice::bytes;
    CHECK(packed.size() < compress_buffer(file, as_bytes).size());
}
