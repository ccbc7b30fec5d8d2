#include "safetensors.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "bytes_io.hpp"

namespace znn {

std::optional<std::uint64_t> safetensors_json_size(std::span<const std::uint8_t, 8> first) noexcept {
    const auto n = load_le<std::uint64_t>(first.data());
    if (n < 2 || n > kMaxSafetensorsHeader) return std::nullopt;
    return n;
}

Layout layout_for_dtype(std::string_view dtype) noexcept {
    if (dtype == "BF16") return Layout::bf16;
    if (dtype == "F16") return Layout::fp16;
    if (dtype == "F32") return Layout::fp32;
    if (dtype == "F64" || dtype == "I64" || dtype == "U64") return Layout::group8;
    if (dtype == "I32" || dtype == "U32") return Layout::group4;
    if (dtype == "I16" || dtype == "U16") return Layout::group2;
    return Layout::bytes;  // BOOL, U8, I8, F8_E4M3, F8_E5M2 and anything new
}

namespace {

struct Tensor {
    std::uint64_t begin;
    std::uint64_t end;
    Layout layout;
};

void append_region(std::vector<Region>& regions, std::uint64_t size, ChunkSpec spec) {
    if (size == 0) return;
    if (!regions.empty()) {
        Region& last = regions.back();
        if (!last.spec.metadata && !spec.metadata && last.spec.layout == spec.layout &&
            last.size % layout_width(spec.layout) == 0) {
            last.size += size;
            return;
        }
    }
    regions.push_back({size, spec});
}

}  // namespace

std::optional<std::vector<Region>> plan_safetensors(std::span<const std::uint8_t> json) {
    if (json.empty() || json[0] != '{') return std::nullopt;
    const auto header = nlohmann::json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
    if (!header.is_object()) return std::nullopt;

    std::vector<Tensor> tensors;
    for (const auto& [name, info] : header.items()) {
        if (name == "__metadata__") continue;
        if (!info.is_object()) return std::nullopt;
        const auto dtype = info.find("dtype");
        const auto offsets = info.find("data_offsets");
        if (dtype == info.end() || !dtype->is_string() || offsets == info.end() || !offsets->is_array() ||
            offsets->size() != 2 || !(*offsets)[0].is_number_unsigned() || !(*offsets)[1].is_number_unsigned())
            return std::nullopt;
        const auto begin = (*offsets)[0].get<std::uint64_t>();
        const auto end = (*offsets)[1].get<std::uint64_t>();
        if (end < begin) return std::nullopt;
        tensors.push_back({begin, end, layout_for_dtype(dtype->get<std::string>())});
    }
    std::sort(tensors.begin(), tensors.end(), [](const Tensor& a, const Tensor& b) { return a.begin < b.begin; });

    std::vector<Region> regions;
    ChunkSpec meta;
    meta.metadata = true;
    regions.push_back({8 + json.size(), meta});
    std::uint64_t at = 0;
    for (const Tensor& t : tensors) {
        if (t.begin < at) return std::nullopt;  // overlapping tensors: not a file we understand
        append_region(regions, t.begin - at, ChunkSpec{});
        ChunkSpec spec;
        spec.layout = t.layout;
        append_region(regions, t.end - t.begin, spec);
        at = t.end;
    }
    return regions;
}

}  // namespace znn
