#include <catch2/catch.hpp>

#include <cstring>
#include <string>

#include "common/bytes_io.hpp"
#include "znn/errors.hpp"
#include "znn/safetensors.hpp"

using namespace znn;

namespace {

const std::string kHeader = R"({"b.weight":{"dtype":"BF16","shape":[2,3],"data_offsets":[8,20]},
 "__metadata__":{"format":"pt","note":"kept"},
 "a.bias":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},
 "empty":{"dtype":"F16","shape":[0,4],"data_offsets":[20,20]},
 "odd":{"dtype":"X9","shape":[5],"data_offsets":[20,23]}})";

std::string tensor_json(const std::string& fields) {
    return R"({"t":{)" + fields + "}}";
}

}  // namespace

TEST_CASE("safetensors header: names, dtypes, shapes, offsets and metadata in header order") {
    const SafetensorsHeader h = parse_safetensors_header(kHeader, 23);
    CHECK(h.data_start == 8 + kHeader.size());
    REQUIRE(h.tensors.size() == 4);
    CHECK(h.tensors[0].name == "b.weight");
    CHECK(h.tensors[0].dtype == "BF16");
    CHECK(h.tensors[0].shape == std::vector<std::uint64_t>{2, 3});
    CHECK(h.tensors[0].begin == 8);
    CHECK(h.tensors[0].size() == 12);
    CHECK(h.tensors[1].name == "a.bias");
    CHECK(h.tensors[2].shape == std::vector<std::uint64_t>{0, 4});
    CHECK(h.tensors[3].dtype == "X9");  // unknown dtypes are kept, their size unchecked
    CHECK(h.metadata == R"({"format":"pt","note":"kept"})");
    REQUIRE(h.find("a.bias") != nullptr);
    CHECK(h.find("a.bias")->end == 8);
    CHECK(h.find("missing") == nullptr);
}

TEST_CASE("safetensors header: malformed headers are refused, naming the tensor") {
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"not json", "{\"t\": "},
        {"not an object", "[1, 2]"},
        {"entry not an object", R"({"t": 5})"},
        {"no dtype", tensor_json(R"("shape":[1],"data_offsets":[0,2])")},
        {"dtype not a string", tensor_json(R"("dtype":7,"shape":[1],"data_offsets":[0,2])")},
        {"no shape", tensor_json(R"("dtype":"BF16","data_offsets":[0,2])")},
        {"negative dim", tensor_json(R"("dtype":"BF16","shape":[-1],"data_offsets":[0,2])")},
        {"one offset", tensor_json(R"("dtype":"BF16","shape":[1],"data_offsets":[0])")},
        {"reversed", tensor_json(R"("dtype":"BF16","shape":[1],"data_offsets":[4,2])")},
        {"past the data", tensor_json(R"("dtype":"BF16","shape":[100],"data_offsets":[0,200])")},
        {"shape disagrees", tensor_json(R"("dtype":"F32","shape":[3],"data_offsets":[0,8])")},
        {"shape overflows",
         tensor_json(R"("dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8])")},
        {"metadata not an object", R"({"__metadata__": "x"})"},
        {"metadata a string", R"({"__metadata__": "x"})"},
        {"metadata twice", R"({"__metadata__": {}, "__metadata__": {}})"},
        {"a tensor twice", R"({"t":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},
                              "t":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})"},
        {"dtype an object", tensor_json(R"("dtype":{},"shape":[1],"data_offsets":[0,2])")},
        {"shape of lists", tensor_json(R"("dtype":"BF16","shape":[[1]],"data_offsets":[0,2])")},
        {"three offsets", tensor_json(R"("dtype":"U8","shape":[1],"data_offsets":[0,1,1])")},
        {"trailing text", R"({"t":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}} x)"},
        {"overlap", R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},
                       "b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}})"},
    };
    for (const auto& [what, json] : bad) {
        INFO(what);
        CHECK_THROWS_AS(parse_safetensors_header(json, 100), FormatError);
    }
    CHECK_THROWS_WITH(parse_safetensors_header(
                          tensor_json(R"("dtype":"F32","shape":[3],"data_offsets":[0,8])"), 100),
                      Catch::Contains("\"t\""));
}

TEST_CASE("safetensors header: fields nobody reads are skipped, nested metadata kept") {
    const std::string json = R"({"__metadata__":{"a":[1,{"b":null}],"c":{"d":-2.5,"e":true}},
        "t":{"extra":{"x":[1,[2,{"y":3}]]},"dtype":"U8","more":"s","shape":[2],
             "data_offsets":[0,2],"last":[{}]}})";
    const SafetensorsHeader h = parse_safetensors_header(json, 2);
    REQUIRE(h.tensors.size() == 1);
    CHECK(h.tensors[0].dtype == "U8");
    CHECK(h.tensors[0].shape == std::vector<std::uint64_t>{2});
    CHECK(h.tensors[0].end == 2);
    CHECK(h.metadata == R"({"a":[1,{"b":null}],"c":{"d":-2.5,"e":true}})");
}

TEST_CASE("safetensors header: a made header parses back and aligns the data to 8 bytes") {
    const SafetensorsHeader h = parse_safetensors_header(kHeader, 23);
    std::vector<TensorInfo> kept = {h.tensors[1], h.tensors[0]};
    kept[1].begin = 8;
    kept[1].end = 20;
    const auto bytes = make_safetensors_header(kept, h.metadata);
    CHECK(bytes.size() % 8 == 0);
    const auto n = load_le<std::uint64_t>(bytes.data());
    REQUIRE(n == bytes.size() - 8);
    const std::string json(bytes.begin() + 8, bytes.end());
    const SafetensorsHeader back = parse_safetensors_header(json, 20);
    REQUIRE(back.tensors.size() == 2);
    CHECK(back.tensors[0].name == "a.bias");
    CHECK(back.tensors[1].name == "b.weight");
    CHECK(back.tensors[1].shape == h.tensors[0].shape);
    CHECK(back.tensors[1].begin == 8);
    CHECK(back.metadata == h.metadata);
    CHECK(json.find("__metadata__") < json.find("a.bias"));  // metadata first, as torch writes
    // No metadata: no __metadata__ key at all.
    const auto plain = make_safetensors_header(kept, "");
    CHECK(std::string(plain.begin() + 8, plain.end()).find("__metadata__") == std::string::npos);
    CHECK_THROWS_AS(make_safetensors_header(kept, "[1]"), FormatError);
}

TEST_CASE("safetensors header: read through a ReadAt, refusing what is not safetensors") {
    std::vector<std::uint8_t> file(8 + kHeader.size() + 23);
    store_le<std::uint64_t>(file.data(), kHeader.size());
    std::memcpy(file.data() + 8, kHeader.data(), kHeader.size());
    auto read_from = [](const std::vector<std::uint8_t>& f) {
        return [&f](std::uint64_t offset, std::span<std::uint8_t> out) {
            if (offset + out.size() > f.size()) throw FormatError("past the end");
            std::memcpy(out.data(), f.data() + offset, out.size());
        };
    };
    const SafetensorsHeader h = read_safetensors_header(file.size(), read_from(file));
    CHECK(h.tensors.size() == 4);
    CHECK(h.data_start == 8 + kHeader.size());

    auto short_file = file;
    short_file.resize(file.size() - 1);  // the last tensor now runs past the end
    CHECK_THROWS_AS(read_safetensors_header(short_file.size(), read_from(short_file)), FormatError);
    auto huge = file;
    store_le<std::uint64_t>(huge.data(), std::uint64_t{1} << 40);
    CHECK_THROWS_AS(read_safetensors_header(huge.size(), read_from(huge)), FormatError);
    const std::vector<std::uint8_t> tiny = {1, 2, 3};
    CHECK_THROWS_AS(read_safetensors_header(tiny.size(), read_from(tiny)), FormatError);
}
