// The compression reader: cuts the input into chunks that never straddle two layouts.
#pragma once

#include <deque>
#include <vector>

#include "codec/codec.hpp"
#include "common/buffer.hpp"
#include "format/dependency.hpp"
#include "model/safetensors.hpp"
#include "pipeline/base_hasher.hpp"
#include "znn/base.hpp"
#include "znn/znn.hpp"

namespace znn {

struct ChunkTask {
    std::span<const std::uint8_t> raw;  // into storage, or borrowed from an in-memory input
    Buffer storage;
    ChunkSpec spec;
    std::uint64_t fetch_offset = 0;  // with fetch_size: still to be read, by fetch()
    std::size_t fetch_size = 0;
    Buffer base;  // with spec.base_tensor: the same bytes of the base tensor
};

class ChunkReader {
  public:
    // hash_base_later: the matched base tensors are hashed from the bytes next() reads for
    // the chunks (finish_dependency() gives the checksums), not read whole beforehand.
    ChunkReader(InputStream& in, const CompressOptions& options, bool hash_base_later = false);
    // Reads the input's header, if any, and with a base matches its tensors (reading and
    // hashing each matched base tensor, unless hashed later). next() does it when not called
    // first. Throws IoError.
    void plan();
    // With a base: what the frame depends on (empty tensors: nothing matched). When the
    // base is hashed later, its checksums are 0 until finish_dependency().
    const Dependency& dependency() const noexcept { return dependency_; }
    // After the last chunk: the dependency with every checksum. Throws IoError.
    const Dependency& finish_dependency();
    // Fills task with the next chunk; false at the end of the input. Throws IoError.
    // From a positional input the bytes are not read yet: fetch() does that, on a worker.
    // A chunk of a matched tensor comes with its base bytes, read here in chunk order.
    bool next(ChunkTask& task);
    // Reads a task's bytes if next() left them to the worker. Thread-safe. Throws IoError.
    void fetch(ChunkTask& task);

  private:
    void match_base(std::span<const std::uint8_t> json,
                    std::map<std::uint64_t, std::uint32_t>& delta_at);
    std::size_t read(std::uint8_t* out, std::size_t size);

    InputStream& in_;
    std::size_t chunk_size_;
    DtypeChoice dtype_;
    const CodecPolicy& policy_;
    const BaseModel* base_;
    bool hash_base_later_;
    std::unique_ptr<BaseHasher> hasher_;
    Dependency dependency_;
    std::vector<const BaseTensor*> base_tensors_;
    bool planned_ = false;
    std::deque<Region> regions_;         // known regions, then the rest of the input
    ChunkSpec rest_spec_;                // how to code what follows the known regions
    std::vector<std::uint8_t> sniffed_;  // bytes read while planning, served first
    std::size_t sniffed_pos_ = 0;
    std::uint64_t position_ = 0;  // bytes of input handed out so far
};

}  // namespace znn
