// A base model: the tensors a fine-tune or a later checkpoint is coded against.
//
//   auto base = znn::BaseModel::open("base-model/");      // or a .safetensors, .znn file
//   znn::CompressOptions options;
//   options.base = base.get();
//   znn::compress(in, out, options);   // tensors matched by name are coded as deltas
//
// A base is opened from a .safetensors file, a .safetensors.znn file (read through
// znn::Reader, never decompressed to disk) or a folder of shards (every *.safetensors and
// *.safetensors.znn file directly in it; of a file and its .znn, the plain one is read).
// Tensors are found by name across shards. Every member is safe to call from many threads.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace znn {

struct BaseTensor {
    std::string name;
    std::string dtype;  // as the safetensors header writes it: "BF16", "F16", "F32", ...
    std::vector<std::uint64_t> shape;
    std::uint64_t size = 0;  // bytes
};

class BaseModel {
  public:
    // Opens a base and reads its headers. Throws IoError, FormatError (not safetensors, or
    // two shards hold a tensor of the same name), UsageError (a folder with no shards).
    static std::unique_ptr<BaseModel> open(const std::string& path);
    ~BaseModel();
    BaseModel(const BaseModel&) = delete;
    BaseModel& operator=(const BaseModel&) = delete;

    // The file or folder name the base was opened from, as recorded in delta files.
    const std::string& hint() const noexcept;
    const std::string& path() const noexcept;
    std::size_t tensor_count() const noexcept;
    // The tensor of that name, or nullptr.
    const BaseTensor* find(std::string_view name) const noexcept;
    // Copies out.size() bytes of the tensor from byte offset (which must lie within it).
    // Throws IoError, FormatError (a corrupt compressed base).
    void read(const BaseTensor& tensor, std::uint64_t offset, std::span<std::uint8_t> out) const;
    // XXH3-64 of the tensor's bytes; computed once (reading the whole tensor), then kept.
    std::uint64_t checksum(const BaseTensor& tensor) const;

    struct Impl;

  private:
    explicit BaseModel(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace znn
