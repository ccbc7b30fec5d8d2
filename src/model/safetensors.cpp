#include "model/safetensors.hpp"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <string>

#include "common/bytes_io.hpp"

namespace znn {

std::optional<std::uint64_t> safetensors_json_size(
    std::span<const std::uint8_t, 8> first) noexcept {
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
    if (dtype == "F8_E4M3" || dtype == "F8_E5M2") return Layout::fp8;
    return Layout::bytes;  // BOOL, U8, I8 and anything new
}

namespace {

struct Tensor {
    std::uint64_t begin;
    std::uint64_t end;
    Layout layout;
};

// Adjacent tensors of one layout share a region (and so chunks), except that two tensors
// of kOwnRegionSize or more keep regions of their own: a code fitted to one tensor's
// exponents beats one shared with its neighbours (0.4 points on the MAXIM BF16 model), for
// a few percent of speed in the extra chunks. Models of large tensors are unaffected.
constexpr std::uint64_t kOwnRegionSize = 64 << 10;

// A tensor under kAbsorbSize that follows a region of one-byte elements (FP8, int8, BOOL,
// gaps) joins it whatever its dtype, coded as that region's bytes: a region of its own
// costs a chunk, 20 + 9 per plane bytes of header and a 16-byte seek entry. FP8
// checkpoints put a 4-byte F32 scale_inv and a 64- or 128-byte BF16 bias after each
// kernel: absorbing those halves their chunk count. Larger tensors cost more in the
// kernel's code than in a chunk of their own. Float regions take in nothing: foreign bytes
// cost more there than their chunk saves (an F32 bias in a BF16 region keeps its whole
// chunk from bf16x).
constexpr std::uint64_t kAbsorbSize = 128;

// Regions in file order, merging as it goes. The JSON header's region takes in nothing.
class RegionPlan {
  public:
    std::vector<Region> regions;

    void append(const Region& region) {
        const std::uint64_t size = region.size;
        if (size == 0) return;
        if (!regions.empty() && !regions.back().metadata && !region.metadata &&
            regions.back().base_tensor < 0 && region.base_tensor < 0) {
            Region& last = regions.back();
            const bool both_large = last.size >= kOwnRegionSize && size >= kOwnRegionSize;
            // The size test keeps a merged tensor's elements whole: after a tensor that is
            // not whole elements they would straddle the plane split.
            const bool merge = last.layout == region.layout && !both_large && !absorbed_ &&
                               last.size % layout_width(region.layout) == 0;
            const bool absorb = size < kAbsorbSize && layout_width(last.layout) == 1;
            if (merge || absorb) {
                last.size += size;
                // Once a region has taken in another dtype's tensor it merges no more of
                // its own: the kernels on either side of a scale and bias keep regions,
                // and codes, of their own. It also keeps elements whole should wider
                // layouts ever absorb: after a tail that is not whole elements they would
                // straddle.
                absorbed_ = absorbed_ || !merge;
                return;
            }
        }
        regions.push_back(region);
        absorbed_ = false;
    }

  private:
    bool absorbed_ = false;  // the last region took in a tensor of another layout
};

// Collects (dtype, data_offsets) per tensor straight from the parser's events: a header
// can list thousands of tensors, and building a DOM of it cost more than coding the
// header itself. Returning false from any event aborts the parse (malformed header).
class TensorCollector {
  public:
    using json = nlohmann::json;
    std::vector<Tensor> tensors;

    bool null() { return scalar(); }
    bool boolean(bool) { return scalar(); }
    bool number_integer(json::number_integer_t) { return scalar(); }
    bool number_float(json::number_float_t, const json::string_t&) { return scalar(); }
    bool binary(json::binary_t&) { return scalar(); }
    bool number_unsigned(json::number_unsigned_t v) {
        if (depth_ == 3 && field_ == Field::offsets) {
            if (offset_count_ >= 2) return false;
            offsets_[offset_count_++] = v;
            return true;
        }
        return scalar();
    }
    bool string(json::string_t& v) {
        if (depth_ == 2 && field_ == Field::dtype) {
            dtype_ = v;
            has_dtype_ = true;
            return true;
        }
        return scalar();
    }
    bool start_object(std::size_t) {
        if (depth_ == 1 && !skip_)
            begin_tensor();
        else if (!check_container())
            return false;
        ++depth_;
        return true;
    }
    bool end_object() {
        --depth_;
        if (depth_ == 1 && !skip_) {
            if (!has_dtype_ || !has_offsets_ || offset_count_ != 2 || offsets_[1] < offsets_[0])
                return false;
            tensors.push_back({offsets_[0], offsets_[1], layout_for_dtype(dtype_)});
        }
        if (depth_ == 1) skip_ = false;
        return true;
    }
    bool start_array(std::size_t) {
        if (depth_ == 1 && !skip_) return false;  // a tensor entry must be an object
        if (depth_ == 2 && field_ == Field::offsets && !skip_) {
            if (has_offsets_) return false;
            has_offsets_ = true;
        } else if (!check_container()) {
            return false;
        }
        ++depth_;
        return true;
    }
    bool end_array() {
        --depth_;
        if (depth_ == 1) skip_ = false;
        return true;
    }
    bool key(json::string_t& k) {
        if (depth_ == 1) {
            skip_ = k == "__metadata__";
        } else if (depth_ == 2) {
            field_ = k == "dtype"          ? Field::dtype
                     : k == "data_offsets" ? Field::offsets
                                           : Field::other;
        }
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
        return false;
    }

  private:
    enum class Field { other, dtype, offsets };

    bool scalar() {
        if (depth_ == 1 && !skip_) return false;  // tensor entry not an object
        if (depth_ == 2 && !skip_ && field_ != Field::other)
            return false;  // wrong type for a field
        if (depth_ == 3 && !skip_ && field_ == Field::offsets) return false;  // non-integer offset
        return true;
    }
    bool check_container() {
        if (depth_ == 0) return true;  // the top-level object
        if (depth_ == 2 && !skip_ && field_ != Field::other) return false;
        if (depth_ == 3 && !skip_ && field_ == Field::offsets) return false;
        return true;
    }
    void begin_tensor() {
        has_dtype_ = has_offsets_ = false;
        offset_count_ = 0;
        field_ = Field::other;
    }

    int depth_ = 0;
    bool skip_ = false;  // inside __metadata__
    Field field_ = Field::other;
    std::string dtype_;
    bool has_dtype_ = false;
    bool has_offsets_ = false;
    unsigned offset_count_ = 0;
    std::array<std::uint64_t, 2> offsets_{};
};

}  // namespace

std::optional<std::vector<Region>> plan_safetensors(
    std::span<const std::uint8_t> json, const std::map<std::uint64_t, std::uint32_t>* delta_at) {
    if (json.empty() || json[0] != '{') return std::nullopt;
    TensorCollector collector;
    // Plain char pointers give nlohmann's fastest input adapter.
    const auto* text = reinterpret_cast<const char*>(json.data());
    if (!nlohmann::json::sax_parse(text, text + json.size(), &collector,
                                   nlohmann::json::input_format_t::json,
                                   /*strict=*/true))
        return std::nullopt;
    std::vector<Tensor> tensors = std::move(collector.tensors);
    std::sort(tensors.begin(), tensors.end(),
              [](const Tensor& a, const Tensor& b) { return a.begin < b.begin; });

    RegionPlan plan;
    plan.regions.push_back({8 + json.size(), Layout::bytes, true});
    std::uint64_t at = 0;
    for (const Tensor& t : tensors) {
        if (t.begin < at) return std::nullopt;  // overlapping tensors: not a file we understand
        plan.append({t.begin - at, Layout::bytes});
        Region region{t.end - t.begin, t.layout};
        if (delta_at != nullptr) {
            const auto it = delta_at->find(t.begin);
            if (it != delta_at->end() && t.end > t.begin) region.base_tensor = it->second;
        }
        plan.append(region);
        at = t.end;
    }
    return std::move(plan.regions);
}

}  // namespace znn
