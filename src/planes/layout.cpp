// The public layout API (include/znn/layout.hpp): widths, names and on-disk ids.
#include "znn/layout.hpp"

namespace znn {

unsigned layout_width(Layout layout) noexcept {
    switch (layout) {
        case Layout::bytes:
        case Layout::fp8:
            return 1;
        case Layout::bf16:
        case Layout::bf16x:
        case Layout::fp16:
        case Layout::group2:
            return 2;
        case Layout::fp32:
        case Layout::group4:
            return 4;
        case Layout::group8:
            return 8;
    }
    return 1;
}

std::string_view layout_name(Layout layout) noexcept {
    switch (layout) {
        case Layout::bytes:
            return "bytes";
        case Layout::bf16:
            return "bf16";
        case Layout::bf16x:
            return "bf16x";
        case Layout::fp8:
            return "fp8";
        case Layout::fp16:
            return "fp16";
        case Layout::fp32:
            return "fp32";
        case Layout::group2:
            return "int16";
        case Layout::group4:
            return "int32";
        case Layout::group8:
            return "int64";
    }
    return "?";
}

std::optional<Layout> layout_from_id(std::uint8_t id) noexcept {
    if (id >= kLayoutCount) return std::nullopt;
    return static_cast<Layout>(id);
}

std::optional<DtypeChoice> parse_dtype(std::string_view text) noexcept {
    if (text == "auto") return DtypeChoice::automatic;
    if (text == "bytes") return DtypeChoice::bytes;
    if (text == "bf16") return DtypeChoice::bf16;
    if (text == "fp16") return DtypeChoice::fp16;
    if (text == "fp32") return DtypeChoice::fp32;
    if (text == "fp8") return DtypeChoice::fp8;
    return std::nullopt;
}

}  // namespace znn
