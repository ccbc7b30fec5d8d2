// Reading a safetensors header into byte regions that each carry one element layout.
//
// A safetensors file is: u64 little-endian N, N bytes of JSON ({"name": {"dtype": "BF16",
// "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {...}}), then the tensor
// data, offsets relative to the end of the JSON.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "znn/layout.hpp"

namespace znn {

// A run of the file to be coded one way: the header, or tensors (and the gaps between
// them) of one element layout.
struct Region {
    std::uint64_t size = 0;
    Layout layout = Layout::bytes;
    bool metadata = false;  // the 8-byte length and the JSON header
    // A tensor coded against a base: its index in the frame's dependency block (-1: none),
    // and how far into the tensor the region now starts (the reader advances it).
    std::int64_t base_tensor = -1;
    std::uint64_t base_offset = 0;
};

// Headers larger than this are not taken for safetensors (the format's own limit is 100 MB).
inline constexpr std::uint64_t kMaxSafetensorsHeader = 100'000'000;

// The JSON length announced by the first 8 bytes, if it is plausible for a safetensors file.
std::optional<std::uint64_t> safetensors_json_size(std::span<const std::uint8_t, 8> first) noexcept;

// Regions covering the 8 + N header bytes (metadata) and every tensor in file order, with
// gaps between tensors as plain bytes. Adjacent regions of one layout are merged so small
// tensors share chunks, and tensors under 128 bytes after a region of one-byte elements
// (FP8) join it whatever their dtype. Returns nothing if the JSON is malformed or the
// tensors overlap; the caller then treats the file as opaque.
// delta_at, if given, maps a tensor's begin offset to its base tensor index: that tensor
// gets a region of its own with that base_tensor.
std::optional<std::vector<Region>> plan_safetensors(
    std::span<const std::uint8_t> json,
    const std::map<std::uint64_t, std::uint32_t>* delta_at = nullptr);

// The layout a safetensors dtype string maps to ("BF16" -> bf16, "I64" -> group8, ...).
Layout layout_for_dtype(std::string_view dtype) noexcept;

}  // namespace znn
