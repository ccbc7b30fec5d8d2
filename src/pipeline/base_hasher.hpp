// XXH3-64 of base tensors from the bytes a run reads for its delta chunks, so that a run
// reads each base tensor once instead of twice (whole for its checksum, then chunk by
// chunk). The reader thread reads every chunk's base bytes through it, in chunk order;
// bytes no chunk reads (chunks coded plain, a tensor's tail) are read for the hash alone.
// One tensor is hashed at a time: moving on to another completes the one before, so the
// state is one XXH3 stream whatever the file asks for.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include "common/buffer.hpp"
#include "format/checksum.hpp"
#include "znn/base.hpp"

namespace znn {

class BaseHasher {
  public:
    // tensors: the base tensor of each dependency entry, in entry order.
    BaseHasher(const BaseModel& base, std::vector<const BaseTensor*> tensors);
    // Reads out.size() bytes of entry `index`'s tensor from byte `offset` into out, and
    // hashes what it had not hashed of them. Throws IoError, FormatError (see BaseModel).
    void read(std::size_t index, std::uint64_t offset, std::span<std::uint8_t> out);
    // Every entry's XXH3-64, in entry order, reading whatever was not read yet. Entries
    // naming one tensor share its hash: a tensor is read at most once more, however many
    // entries a (hostile) dependency block lists.
    std::vector<std::uint64_t> finish();

  private:
    void hash_until(std::uint64_t end);  // reads and hashes current_ from done_ to end
    void complete_current();

    const BaseModel& base_;
    std::vector<const BaseTensor*> tensors_;
    std::map<const BaseTensor*, std::uint64_t> sums_;  // of the tensors hashed whole
    const BaseTensor* current_ = nullptr;              // the tensor being hashed
    std::unique_ptr<StreamChecksum> stream_;
    std::uint64_t done_ = 0;  // bytes of current_ hashed
    Buffer piece_;
};

}  // namespace znn
