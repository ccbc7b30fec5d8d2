// The header of a safetensors file, tensor by tensor: what `znn extract`, `znn list
// --tensors` and anything else that works tensor by tensor needs.
//
// A safetensors file is: u64 little-endian N, N bytes of JSON ({"name": {"dtype": "BF16",
// "shape": [...], "data_offsets": [begin, end]}, ..., "__metadata__": {...}}), then the
// tensor data; offsets count from the end of the JSON.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "znn/inspect.hpp"

namespace znn {

struct TensorInfo {
    std::string name;
    std::string dtype;  // as written: "BF16", "F32", "F8_E4M3", ...
    std::vector<std::uint64_t> shape;
    std::uint64_t begin = 0;  // data_offsets, from the start of the data
    std::uint64_t end = 0;
    std::uint64_t size() const noexcept { return end - begin; }
};

struct SafetensorsHeader {
    std::uint64_t data_start = 0;     // 8 + the JSON's length: where the tensor data begins
    std::vector<TensorInfo> tensors;  // in the order the header lists them
    std::string metadata;             // the "__metadata__" object as JSON text; empty if none
    // The tensor of that name, or nullptr.
    const TensorInfo* find(std::string_view name) const noexcept;
};

// Bytes per element of a safetensors dtype; 0 for one znn does not know.
unsigned safetensors_dtype_size(std::string_view dtype) noexcept;

// Parses the JSON text of a header for a file with data_size bytes of tensor data. Throws
// FormatError (naming the tensor) when it is not a JSON object of tensors, a tensor lacks a
// string dtype, an integer shape or two data_offsets, its offsets are reversed or run past
// the data, its shape does not fill its bytes (known dtypes), or two tensors overlap.
SafetensorsHeader parse_safetensors_header(std::string_view json, std::uint64_t data_size);

// Reads and parses the header of safetensors content of `size` bytes through read_at.
// Throws FormatError if the content is not a safetensors file.
SafetensorsHeader read_safetensors_header(std::uint64_t size, const ReadAt& read_at);

// The header of a file holding `tensors` (their data_offsets as given) and `metadata` (JSON
// object text, or empty for none): the 8-byte length and the JSON, padded with spaces to a
// multiple of 8 bytes as the safetensors library writes it. Throws FormatError if metadata
// is not a JSON object.
std::vector<std::uint8_t> make_safetensors_header(std::span<const TensorInfo> tensors,
                                                  std::string_view metadata);

}  // namespace znn
